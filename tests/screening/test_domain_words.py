"""Record states and outcome tiers are enums the pages share with the services, never strings
compared in a route or a template; the skip-logic model comes from the questionnaire engine."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from app.models import RecordState
from app.questionnaire import TIERS, Tier, load_definition, score
from app.screening.labels import STATE_LABELS
from app.services import records
from app.web.labels import TIER_LABELS

APP = Path(__file__).resolve().parents[2] / "app"
STATE_AND_TIER_WORDS = re.compile(
    r"""['"](draft|final|synced|waiting|refer_mdt|possible_victim|labour_rights|no_indicators)['"]""")


def _routes_and_templates() -> list[Path]:
    return sorted([*APP.glob("*/routes.py"), *APP.glob("templates/**/*.html")])


def test_no_route_or_template_names_a_state_or_tier_by_string():
    found = [f"{path.relative_to(APP)}:{n}: {line.strip()}"
             for path in _routes_and_templates()
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if STATE_AND_TIER_WORDS.search(line)]
    assert found == []


def test_every_tier_and_list_state_has_its_words():
    assert TIERS == tuple(Tier) and set(TIER_LABELS) == set(Tier)
    assert set(STATE_LABELS) == set(records.ListState)
    assert {s.value for s in RecordState} < {s.value for s in records.ListState}


def test_tiers_are_the_outcome_blocks_of_the_shipped_definition_and_what_scoring_returns():
    definition = load_definition(APP / "questionnaires" / "default.yaml")
    assert set(definition.outcome.explanations) == {t.value for t in Tier}
    outcome = score(definition, {})
    assert isinstance(outcome.tier, Tier)
    assert records.outcome_dict(outcome)["tier"] == outcome.tier.value
    assert type(records.outcome_dict(outcome)["tier"]) is str  # the body stores the plain word


def test_no_route_module_keeps_a_cache_of_its_own():
    """Caches of engine data (the skip-logic model) belong to the engine, not to a route module."""
    for path in APP.glob("*/routes.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.AnnAssign | ast.Assign) and isinstance(node.value, ast.Dict):
                raise AssertionError(f"{path.relative_to(APP)}:{node.lineno}: a module-level dict")
            if isinstance(node, ast.FunctionDef):
                names = {ast.unparse(d).split("(")[0] for d in node.decorator_list}
                assert not names & {"cache", "lru_cache", "functools.cache", "functools.lru_cache"}, (
                    f"{path.relative_to(APP)}:{node.lineno}: {node.name} is cached in a route module")


def test_the_section_page_embeds_the_engine_model_and_the_list_uses_the_states(app, start):
    interview = start()
    html = interview.page("setup").get_data(as_text=True)
    embedded = re.search(r'<script type="application/json" id="skip-model">(.*?)</script>', html, re.S)
    assert embedded is not None
    with app.app_context():
        from app.services import questionnaires

        definition = questionnaires.latest()
    assert json.loads(embedded.group(1)) == definition.client_model

    listing = interview.client.get("/screenings/?state=draft").get_data(as_text=True)
    assert f'data-record="{interview.id}"' in listing and "Resume" in listing
    assert str(STATE_LABELS[records.ListState.DRAFT]) in listing
    for state in ("final", "waiting", "synced"):
        other = interview.client.get(f"/screenings/?state={state}").get_data(as_text=True)
        assert f'data-record="{interview.id}"' not in other, state
    everything = interview.client.get("/screenings/?state=nonsense").get_data(as_text=True)
    assert f'data-record="{interview.id}"' in everything
