"""Days as the simulation counts them: whole days since 1970-01-01, instants as seconds of the
bank's local wall time since then (so `t * DAY + seconds_of_day` is a timestamp)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

EPOCH = date(1970, 1, 1)
DAY = 86_400  # seconds


def day_number(d: date) -> int:
    """The day `d` as days since the epoch."""
    return (d - EPOCH).days


def day_date(t: int) -> date:
    """Days since the epoch back to a date."""
    return EPOCH + timedelta(days=int(t))


def month_end(d: date) -> date:
    """The last calendar day of `d`'s month."""
    return date(d.year, d.month, calendar.monthrange(d.year, d.month)[1])


def add_months(d: date, n: int) -> date:
    """The first day of the month `n` months after `d`'s month."""
    y, m = divmod(d.month - 1 + n, 12)
    return date(d.year + y, m + 1, 1)
