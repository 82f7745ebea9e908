"""How the dashboard writes numbers: money in yuan, rates as percentages, months as months.

One place, so a KPI card, a table and a test all spell ¥6,300.00 the same way. Money arrives as
`Decimal` from the warehouse and is rounded half-up to the fen, like a statement; floats (chart
data) are accepted too.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

MISSING = "–"
FEN = Decimal("0.01")


def _as_decimal(amount: Decimal | float | int) -> Decimal:
    return amount if isinstance(amount, Decimal) else Decimal(str(amount))


def money(amount: Decimal | float | int | None, *, signed: bool = False) -> str:
    """¥6,300.00; -¥12.50 for a credit balance; +¥300.00 with `signed` (a change)."""
    if amount is None:
        return MISSING
    value = _as_decimal(amount).quantize(FEN, rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ("+" if signed else "")
    return f"{sign}¥{abs(value):,.2f}"


def count(number: int | None, *, signed: bool = False) -> str:
    """3,021 accounts; +12 with `signed`."""
    if number is None:
        return MISSING
    return f"{number:+,d}" if signed else f"{number:,d}"


def percent(ratio: float | Decimal | None, *, digits: int = 1) -> str:
    """0.825 -> 82.5%."""
    if ratio is None:
        return MISSING
    return f"{float(ratio) * 100:.{digits}f}%"


def points(change: float | Decimal | None, *, digits: int = 1) -> str:
    """A change of a rate, in percentage points: 0.325 -> +32.5 pp."""
    if change is None:
        return MISSING
    return f"{float(change) * 100:+.{digits}f} pp"


def month(value: date | None, *, lang: str | None = None) -> str:
    """The first day of a month, as a manager says it: Feb 2024, or 2024年2月 in Chinese."""
    if value is None:
        return MISSING
    if lang is None:
        from dashboard.i18n import language  # the page's language; English outside a run

        lang = language()
    return f"{value.year}年{value.month}月" if lang == "zh" else value.strftime("%b %Y")


def day(value: date | None) -> str:
    """A calendar date, the same in both languages: 2024-02-29."""
    return MISSING if value is None else value.isoformat()


def month_key(value: date) -> str:
    """The month in a URL: 2024-02."""
    return value.strftime("%Y-%m")


def timestamp(value: datetime | None, zone: str) -> str:
    """An instant in the bank's zone: 2024-03-01 09:30 CST."""
    if value is None:
        return MISSING
    local = value.astimezone(ZoneInfo(zone))
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
