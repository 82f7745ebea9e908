"""Calendar months as the warehouse counts them: the first day of the month stands for it."""

from __future__ import annotations

from datetime import date

# The calendar a full rebuild computes, and the mark of "every month changed": every month a bank
# can have.
FIRST_MONTH = date(1900, 1, 1)
LAST_MONTH = date(2999, 12, 1)


def add_months(month: date, months: int) -> date:
    """The first day of the month `months` after (or before) `month`'s."""
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_of(day: date) -> date:
    """The month a day falls in (its first day)."""
    return date(day.year, day.month, 1)
