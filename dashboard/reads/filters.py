"""The slice the sidebar chooses (`Filters`) and the values its widgets offer.

Every page with the sidebar takes the same slice: a month range and, per segment, the values
chosen (none = all). A view applies the filters it has columns for; a page names the others
(`Filters.ignored_by`) rather than ignoring them silently.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

import duckdb
import polars as pl
import streamlit as st

from dashboard.reads.connection import WarehouseVersion, missing_objects, query

# A segment the card system left empty (e.g. snapshots of an account whose record has not
# arrived yet) is shown and filtered under this label rather than silently dropped.
NOT_GIVEN = "(not given)"
# The filterable columns of the portfolio marts, and of the agent and contact marts.
SEGMENTS = ("product", "branch", "risk_grade")
TEAM = ("team",)


@dataclass(frozen=True)
class Filters:
    """The slice every portfolio query takes: a month range and segment choices (empty = all)."""

    start: date
    end: date
    products: tuple[str, ...] = ()
    branches: tuple[str, ...] = ()
    risk_grades: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()

    def chosen(self) -> dict[str, tuple[str, ...]]:
        """Each filterable column and the values chosen for it (empty = all)."""
        return {
            "product": self.products,
            "branch": self.branches,
            "risk_grade": self.risk_grades,
            "team": self.teams,
        }

    def ignored_by(self, columns: Sequence[str]) -> list[str]:
        """The filters in use that a relation with only `columns` cannot apply (page says so)."""
        return [
            column for column, values in self.chosen().items() if values and column not in columns
        ]

    def widened_to(self, start: date) -> Filters:
        return dataclasses.replace(self, start=min(start, self.start))

    def where(
        self,
        columns: Sequence[str] = SEGMENTS,
        *,
        month: str = "month",
        alias: str = "",
    ) -> tuple[str, list[Any]]:
        """A WHERE clause over the month range and those of `columns` the relation has, with its
        parameters. Portfolio marts carry product/branch/risk_grade; agent marts carry team."""
        prefix = f"{alias}." if alias else ""
        clauses = [f"{prefix}{month} BETWEEN ? AND ?"]
        params: list[Any] = [self.start, self.end]
        every = self.chosen()
        for column in columns:
            chosen = every[column]
            if not chosen:
                continue
            named = [value for value in chosen if value != NOT_GIVEN]
            alternatives = []
            if named:
                alternatives.append(f"{prefix}{column} IN ({', '.join('?' for _ in named)})")
                params.extend(named)
            if NOT_GIVEN in chosen:
                alternatives.append(f"{prefix}{column} IS NULL")
            clauses.append("(" + " OR ".join(alternatives) + ")")
        return " AND ".join(clauses), params


class SegmentOptions(NamedTuple):
    products: list[str]
    branches: list[str]
    risk_grades: list[str]
    teams: list[str] = []


class MonthFacts(NamedTuple):
    """What the warehouse holds for the months a page can show (mart.reporting_months)."""

    months: list[date]  # every month with data, up to the as-of date's month, oldest first
    with_picture: list[date]  # those with account pictures (the portfolio pages)
    complete: list[date]  # those whose month end is held (migration, roll rates, vintages)
    current: date | None  # the month of the as-of date: the month so far


@st.cache_data(show_spinner=False, max_entries=16)
def month_facts(version: WarehouseVersion) -> MonthFacts:
    """The months of mart.reporting_months; a warehouse published before that view has only the
    months with a picture (mart.bucket_month)."""
    try:
        if "mart.reporting_months" in missing_objects(version):
            raise LookupError("mart.reporting_months")
        frame = query(
            version,
            "SELECT month, has_picture, is_complete, is_current FROM mart.reporting_months "
            "ORDER BY month",
        )
    except (LookupError, duckdb.Error):
        # Published before the view (or before a mart it reads): the months with a picture.
        held = query(version, "SELECT DISTINCT month FROM mart.bucket_month ORDER BY month")
        every = held["month"].to_list()
        return MonthFacts(every, every, every, every[-1] if every else None)
    current = frame.filter(pl.col("is_current"))["month"].to_list()
    return MonthFacts(
        frame["month"].to_list(),
        frame.filter(pl.col("has_picture"))["month"].to_list(),
        frame.filter(pl.col("is_complete"))["month"].to_list(),
        current[0] if current else None,
    )


def months(version: WarehouseVersion) -> list[date]:
    """Every month the pages can show, oldest first, the current month so far included (the
    range slider's stops)."""
    return month_facts(version).months


def _labels(frame: pl.DataFrame, column: str) -> list[str]:
    return [NOT_GIVEN if value is None else value for value in frame[column].to_list()]


@st.cache_data(show_spinner=False, max_entries=16)
def segment_options(version: WarehouseVersion) -> SegmentOptions:
    """The values each segment filter offers; risk grades from least to most severe."""
    products = query(
        version, "SELECT DISTINCT product FROM mart.bucket_month ORDER BY product NULLS LAST"
    )
    branches = query(
        version, "SELECT DISTINCT branch FROM mart.bucket_month ORDER BY branch NULLS LAST"
    )
    grades = query(
        version,
        """
        SELECT DISTINCT m.risk_grade, g.severity
        FROM mart.bucket_month AS m
        LEFT JOIN settings.risk_grades AS g ON m.risk_grade = g.risk_grade
        ORDER BY g.severity NULLS LAST, m.risk_grade NULLS LAST
        """,
    )
    # Teams come from the agents extract (one row per agent: a later file replaces it).
    teams = query(
        version, "SELECT DISTINCT team FROM raw.agents WHERE team IS NOT NULL ORDER BY team"
    )
    return SegmentOptions(
        _labels(products, "product"),
        _labels(branches, "branch"),
        _labels(grades, "risk_grade"),
        teams["team"].to_list(),
    )
