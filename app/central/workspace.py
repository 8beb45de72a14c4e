"""Words, numbers and SVG for the dashboard and the case list: the views give codes and
counts (app/services/analytics/views.py); this puts the reader's words and digits on them."""

from __future__ import annotations

from datetime import date
from typing import Any

from babel.dates import format_date as babel_date
from flask import session
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from app.languages import buddhist_era, in_native_digits
from app.questionnaire import Tier
from app.services.analytics import views
from app.text.dates import BE_LABEL, format_date, format_number, to_buddhist_year
from app.web.labels import ELEMENT_LABELS, TIER_LABELS, ui_lang

DIGITS_KEY = "digits"  # the session's choice: "native" or absent (ASCII)

CHART_TITLES = {
    "time": _l("Screenings over time"),
    "stations": _l("Screenings by station"),
    "forced_criminality_share": _l("Share with forced criminality"),
}
SHARE_LABELS = {views.WITH: _l("With forced criminality"), views.WITHOUT: _l("Without")}


def native_chosen() -> bool:
    return session.get(DIGITS_KEY) == "native"


def digits(text: str) -> str:
    return in_native_digits(text, ui_lang()) if native_chosen() else text


def number(n: int | None) -> str:
    """A count in the reader's digits; a hidden one says so."""
    if n is None:
        return _("hidden")
    return digits(format_number(n, ui_lang()))


def percent(part: int | None, whole: int | None) -> str:
    if part is None or not whole:
        return _("hidden")
    return digits(format_number(round(100 * part / whole), ui_lang())) + "%"


def day(value: date | None) -> str:
    return digits(format_date(value, ui_lang())) if value is not None else ""


def month(code: str) -> str:
    """"2026-03" as the month and year in the reader's words (Buddhist era for Thai)."""
    try:
        first = date.fromisoformat(code + "-01")
    except ValueError:
        return code
    lang = ui_lang()
    words = babel_date(first, "LLLL y", locale=lang)
    if buddhist_era(lang):
        words = words.replace(str(first.year), f"{BE_LABEL} {to_buddhist_year(first.year)}")
    return digits(words)


def chart_title(chart: views.Chart) -> str:
    if chart.id in CHART_TITLES:
        return str(CHART_TITLES[chart.id])
    return chart.spec.label(ui_lang()) if chart.spec is not None else chart.id


def code_label(fact: str | None, code: str, *, spec: Any = None,
               stations: dict[str, str] | None = None) -> str:
    """A code in words: interface words for tiers and elements, the definition's for the rest."""
    if code == views.NOT_RECORDED:
        return _("Not recorded")
    if fact == "stations":
        return (stations or {}).get(code, code)
    if fact == "forced_criminality_share":
        return str(SHARE_LABELS.get(code, code))
    tier = Tier.of(code) if fact == "tier" else None
    if tier is not None:
        return str(TIER_LABELS[tier])
    if fact == "elements" and code in ELEMENT_LABELS:
        return str(ELEMENT_LABELS[code])
    if spec is not None:
        return digits(spec.value_label(code, ui_lang()))
    return digits(code)


def row_label(chart: views.Chart, code: str, stations: dict[str, str], unit: str) -> str:
    if chart.kind == "time":
        if unit == "month":
            return month(code[:7])
        return _("Week of %(day)s", day=day(date.fromisoformat(code)))
    return code_label("stations" if chart.kind == "stations" else chart.id, code, spec=chart.spec,
                      stations=stations)


def bar_svg(chart: views.Chart, labels: list[str], title_id: str) -> Markup:
    """Bars drawn on the server: horizontal with their labels, columns for the time chart.
    The table beside it carries the numbers for screen readers (the SVG is aria-hidden)."""
    counts = [r.count for r in chart.rows]
    top = max([c for c in counts if c is not None] + [1])
    parts: list[str] = []
    if chart.kind == "time":
        width, height, gap = 640, 160, 2
        n = max(1, len(counts))
        bar = max(1.0, (width - gap * n) / n)
        for i, c in enumerate(counts):
            x = i * (bar + gap)
            if c is None:
                parts.append(f'<rect class="hidden-cell" x="{x:.1f}" y="{height - 12}" '
                             f'width="{bar:.1f}" height="12"/>')
            else:
                h = (height - 2) * c / top
                parts.append(f'<rect x="{x:.1f}" y="{height - h:.1f}" width="{bar:.1f}" height="{h:.1f}"/>')
        view = f"0 0 {width} {height}"
    else:
        row_h, label_w, bar_w = 22, 230, 330
        for i, (c, label) in enumerate(zip(counts, labels, strict=True)):
            y = i * row_h
            parts.append(f'<text x="0" y="{y + 15}">{escape(label[:40])}</text>')
            if c is None:
                parts.append(f'<rect class="hidden-cell" x="{label_w}" y="{y + 4}" width="24" height="14"/>')
            else:
                w = bar_w * c / top
                parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="14"/>')
                parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + 15}">{escape(number(c))}</text>')
        view = f"0 0 {label_w + bar_w + 70} {max(1, len(counts)) * row_h}"
    # Every text inside was escaped above; the rest is numbers.
    svg = (f'<svg class="chart" viewBox="{view}" role="img" aria-labelledby="{title_id}" '
           f'focusable="false" xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>')
    return Markup(svg)  # noqa: S704 - labels escaped above, the rest numbers


def helpers() -> dict[str, object]:
    return {"number": number, "percent": percent, "digits": digits, "case_day": day,
            "chart_title": chart_title, "code_label": code_label, "row_label": row_label, "bar_svg": bar_svg,
            "native_chosen": native_chosen}
