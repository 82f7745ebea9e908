"""How the dashboard writes numbers, dates and codes: the one formatting layer.

One place, so a KPI card, a table, a chart, the morning briefing and a test all spell ¥6,300.00
the same way. Money arrives as `Decimal` from the warehouse and is rounded half-up to the fen,
like a statement; floats (chart data) are accepted too. Rates are percentages, counts have
thousands separators, dates are ISO (2024-02-29) and instants are shown in the bank's zone with
the zone named. Months and weekdays follow the page's language. Code values (a bucket, a rule,
an outcome) are shown by their glossary label in the page's language (`code`).

Tables take their column formats from here too (`TABLE_FORMATS`, used by `dashboard.tables`),
and charts their tick formats (`month_tickformat`), so no page spells a format of its own.
"""

from __future__ import annotations

import html
from datetime import date, datetime
from zoneinfo import ZoneInfo

from warehouse.app import numbers

MISSING = numbers.MISSING
money = numbers.money
count = numbers.count
percent = numbers.percent
points = numbers.points
day = numbers.day

# How a table column of each kind is drawn (Streamlit's column formats, printf via sprintf-js:
# "," groups thousands). The same spelling as money(), count() and percent() below.
TABLE_FORMATS: dict[str, str] = {
    "money": "¥%,.2f",
    "count": "%,d",
    "rate": "percent",
    "number": "%,.1f",
    "seconds": "%,.1f",
    "integer": "%d",
}
DATE_FORMAT = "YYYY-MM-DD"
DATETIME_FORMAT = "YYYY-MM-DD HH:mm"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _lang(lang: str | None) -> str:
    if lang is not None:
        return lang
    from dashboard.i18n import language  # the page's language; English outside a run

    return language()


def month(value: date | None, *, lang: str | None = None) -> str:
    """The first day of a month, as a manager says it: Feb 2024, or 2024年2月 in Chinese."""
    return numbers.month(value, _lang(lang))


def long_day(value: date | None, *, lang: str | None = None) -> str:
    """A date in words, as a caption says it: 3 Nov 2026, or 2026年11月3日 in Chinese."""
    return numbers.long_day(value, _lang(lang))


def weekday(iso_weekday: int) -> str:
    """Mon … Sun (周一 … 周日) for an ISO weekday (1 = Monday)."""
    from dashboard.i18n import text

    return text(f"contacts.weekday.{WEEKDAYS[iso_weekday - 1]}")


def month_tickformat(*, lang: str | None = None) -> str:
    """A chart's month axis in the page's language (d3 time format)."""
    return "%Y年%-m月" if _lang(lang) == "zh" else "%b %Y"


def code(domain: str, value: object) -> str:
    """A code value by its glossary label in the page's language (`code.<domain>.<value>`):
    `no_answer` -> No answer / 未接听. A value the glossary does not know shows as itself, an
    empty one as a dash. Plain text: escape it (i18n.escape) where Markdown renders."""
    if value is None:
        return MISSING
    from dashboard.i18n import has, text

    key = f"code.{domain}.{value}"
    return text(key) if has(key) else str(value)


def chart_text(value: object) -> str:
    """A label from the data for a Plotly chart, which renders a little HTML (<a href>, <b>) in
    names and ticks: shown as the text it is."""
    return html.escape(MISSING if value is None else str(value), quote=False)


def month_key(value: date) -> str:
    """The month in a URL: 2024-02."""
    return value.strftime("%Y-%m")


def timestamp(value: datetime | None, zone: str) -> str:
    """An instant in the bank's zone: 2024-03-01 09:30 CST."""
    if value is None:
        return MISSING
    local = value.astimezone(ZoneInfo(zone))
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def seconds(value: float | None) -> str:
    """A duration: 2.3 s, 1 min 05 s."""
    if value is None:
        return MISSING
    if value < 60:
        return f"{value:.1f} s"
    minutes, rest = divmod(round(value), 60)
    return f"{minutes} min {rest:02d} s"
