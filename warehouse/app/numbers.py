"""How the product writes numbers and dates for people: money in yuan, rates as percentages,
counts with separators, months and days in either language.

The one formatting layer: the dashboard (`dashboard.format`, which adds the page's language and
the glossary's code labels) and the morning briefing (`warehouse.app.report`) both write through
these functions, so a card, a table and the briefing all spell ¥6,300.00 the same way. Money is
rounded half-up to the fen, like a statement.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

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


def month(value: date | None, lang: str) -> str:
    """The first day of a month, as a manager says it: Feb 2024, or 2024年2月 in Chinese."""
    if value is None:
        return MISSING
    return f"{value.year}年{value.month}月" if lang == "zh" else value.strftime("%b %Y")


def long_day(value: date | None, lang: str) -> str:
    """A date in words: 3 Nov 2026, or 2026年11月3日 in Chinese."""
    if value is None:
        return MISSING
    if lang == "zh":
        return f"{value.year}年{value.month}月{value.day}日"
    return f"{value.day} {value:%b %Y}"


def day(value: date | None) -> str:
    """A calendar date, the same in both languages: 2024-02-29."""
    return MISSING if value is None else value.isoformat()
