"""How the rows of a slice combine: counts and amounts add up; a rate is the sum of its numerator
over the sum of its denominator.

A rate is never averaged over rows, and never written out here: the views of `sql/mart/` define
each rate and expose its numerator and denominator as additive columns (their headers say
which), and a read names the two columns (`Rate`) and lets `sum_over_sum` recombine them over
the rows it keeps. These helpers write select items for the reads' SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple


class Rate(NamedTuple):
    """A rate as a view defines it: `name` = `numerator` / `denominator`, both additive columns."""

    name: str
    numerator: str
    denominator: str


def counts(*columns: str) -> list[str]:
    """Select items: each count column added up over the slice (as a 64-bit integer)."""
    return [count_as(column, column) for column in columns]


def count_as(name: str, column: str) -> str:
    """A select item: the count `column` added up over the slice, named `name`."""
    return f"CAST(sum({column}) AS BIGINT) AS {name}"


def amounts(*columns: str) -> list[str]:
    """Select items: each amount (yuan) added up over the slice."""
    return [f"sum({column}) AS {column}" for column in columns]


def sum_over_sum(rate: Rate, *, within: Sequence[str] = ()) -> str:
    """A select item: the rate over the rows a group keeps, its numerator's sum over its
    denominator's sum, empty (NULL) when the denominator adds up to 0.

    With `within`, the denominator is added up over every result row sharing those columns: a
    share of their total (a migration cell over its from bucket)."""
    denominator = f"sum({rate.denominator})"
    if within:
        denominator = f"sum({denominator}) OVER (PARTITION BY {', '.join(within)})"
    return f"sum({rate.numerator}) / nullif({denominator}, 0) AS {rate.name}"


def select_list(*items: str | Sequence[str]) -> str:
    """Select items (strings, or lists of them from the helpers above) joined for a SELECT."""
    flat: list[str] = []
    for item in items:
        flat.extend([item] if isinstance(item, str) else item)
    return ",\n    ".join(flat)
