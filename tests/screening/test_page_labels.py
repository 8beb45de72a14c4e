"""The prepared labels of the section pages: one set per questionnaire version and language
pair, bounded, and the same markup as the ``t`` macro they stand for (the golden test checks
whole pages)."""

from __future__ import annotations

import dataclasses

from app.screening import labels


def _macro(app):
    return app.jinja_env.get_template("screening/_text.html").module.t


def test_one_set_per_definition_and_pair_and_never_more_than_the_bound(app):
    from app.services import questionnaires

    with app.test_request_context(headers={"Accept-Language": "th"}):
        definition = questionnaires.latest()
        first = labels.page_labels(definition, "my", "th")
        assert labels.page_labels(definition, "my", "th") is first
        assert labels.page_labels(definition, "km", "th") is not first
        # Another definition object (a new version, or the directory's variant) has its own.
        other = dataclasses.replace(definition)
        assert labels.page_labels(other, "my", "th") is not first
        for n in range(labels.PREPARED_MAX + 5):
            labels.page_labels(dataclasses.replace(definition, version=f"9.{n}"), "my", "th")
        assert len(labels._PREPARED) == labels.PREPARED_MAX
        assert labels.page_labels(definition, "my", "th") is not first  # dropped, made again


def test_a_label_is_the_macro_s_markup_made_once(app):
    from app.services import questionnaires

    with app.test_request_context(headers={"Accept-Language": "th"}):
        definition = questionnaires.latest()
        question = definition.question("q_needs_doctor")
        prepared = labels.page_labels(definition, "my", "th")
        made = prepared.t(question.label, "my", "th")
        assert made == _macro(app)(question.label, "my", "th", False)
        assert 'lang="my"' in made and 'lang="th"' in made  # both languages
        assert prepared.t(question.label, "my", "th") is made  # not made again
        screener = prepared.t(question.label, "my", "th", True)
        assert screener == _macro(app)(question.label, "my", "th", True) and 'lang="my"' not in screener
        # Asked for another pair than its own, it makes the markup without keeping it.
        assert prepared.t(question.label, "km", "th") == _macro(app)(question.label, "km", "th", False)
        assert prepared.in_both("Yes", "my", "th") == labels.in_both("Yes", "my", "th")
