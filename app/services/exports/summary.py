"""The de-identified XLSX export's summary sheet: every dashboard chart for the export's
filters, its counts through the workspace's small-cell rule (a hidden count says "hidden")."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from app.questionnaire.facts import translate
from app.questionnaire.fields import N_
from app.services.analytics import views
from app.services.analytics.filters import Filters
from app.services.exports.cells import Cell

CHART_TITLES = {"time": N_("Screenings over time"), "stations": N_("Screenings by station"),
                "forced_criminality_share": N_("Share with forced criminality")}
SHARE_WORDS = {views.WITH: N_("With forced criminality"), views.WITHOUT: N_("Without")}


def summary_rows(filters: Filters, lang: str, today: date) -> Iterator[tuple[bool, list[Cell]]]:
    """(is a header, cells): every dashboard chart for these filters as (chart, code, words,
    count) rows and its total, a count hidden by the small-cell rule written as "hidden"."""
    t = lambda msgid: translate(msgid, lang)  # noqa: E731
    board = views.dashboard(filters, today=today, unit="month")
    names = views.station_names()
    hidden = t(N_("hidden"))
    yield True, [t(N_("Chart")), t(N_("Code")), t(N_("Value")), t(N_("Count"))]
    for chart in board.charts:
        title = t(CHART_TITLES[chart.id]) if chart.id in CHART_TITLES else \
            chart.spec.label(lang) if chart.spec is not None else chart.id
        for row in chart.rows:
            yield False, [title, row.code, _summary_words(chart, row.code, lang, names),
                          row.count if row.count is not None else hidden]
        yield False, [title, "total", t(N_("Total")), chart.total if chart.total is not None else hidden]
    yield False, [translate(N_("Counts from 1 to %(n)d are hidden, and so are the counts that would give "
                               "them away."), lang, n=board.threshold - 1)]


def _summary_words(chart: views.Chart, code: str, lang: str, names: dict[str, str]) -> str:
    if code == views.NOT_RECORDED:
        return translate(N_("Not recorded"), lang)
    if chart.kind == "stations":
        return names.get(code, code)
    if chart.kind == "share":
        return translate(SHARE_WORDS[code], lang) if code in SHARE_WORDS else code
    if chart.spec is not None:
        return chart.spec.value_label(code, lang)
    return code
