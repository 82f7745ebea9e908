"""What an expectation is: a `Check` (the question for Great Expectations) inside a `Rule` (its
suite, its meaning, its stage), and the few names every suite shares.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

BATCH = "landed batch"
WAREHOUSE = "warehouse"
MART = "mart"

FILE = "_file_name"
LINE = "_line_number"

Thresholds = Mapping[str, Any]


@dataclass(frozen=True)
class Check:
    """One question for Great Expectations about one frame.

    kinds: `not_null`, `in_set`, `between`, `unique_together`, `match_regex`, `row_count_equal`.
    """

    kind: str
    column: str | None = None
    columns: tuple[str, ...] = ()
    value_set: tuple[Any, ...] = ()
    min_value: Any = None
    max_value: Any = None
    strict_min: bool = False
    regex: str | None = None
    value: int | None = None

    @property
    def reads(self) -> tuple[str, ...]:
        """The frame columns this check needs."""
        return (self.column,) if self.column else self.columns


@dataclass(frozen=True)
class Rule:
    """One expectation: which suite it belongs to, what it means, and how it is checked.

    `check` builds the question from the thresholds in settings.dq_rules. `default_severity` is
    set for expectations derived from a schema (the contract's rules, always `error` at first);
    the bank's policy expectations take severity and thresholds from the rows of
    `sql/settings/dq_rules.sql`.
    """

    suite: str
    name: str
    description: str
    stage: str
    check: Callable[[Thresholds], Check]
    default_severity: str | None = None
    column: str | None = None  # the column of the extract or mart it is about, for people
    # For checks over per-file or per-month aggregates: the checked column is a count of
    # offending rows (so a failure's unexpected count is their sum, not the number of files).
    counts_rows: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return (self.suite, self.name)


def fixed(check: Check) -> Callable[[Thresholds], Check]:
    """A check that takes no thresholds."""
    return lambda _thresholds: check


def none_above(column: str) -> Callable[[Thresholds], Check]:
    """A count of offending rows that must be zero."""
    return fixed(Check("between", column=column, min_value=0, max_value=0))


def number(thresholds: Thresholds, name: str) -> float:
    """A threshold that reaches SQL (a query parameter, or a bound of a check): it must be a
    number (bool is not one)."""
    value = thresholds.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"threshold {name!r} must be a number, found {value!r}")
    return float(value)
