"""What the Promises and plans page reads: kept, partial and broken promises
(mart.promise_kept_rates), the kept rate under other grace days and tolerances
(mart.promise_kept_sensitivity) and repayment plans by type (mart.plan_performance).

A read adds up each view's counts over the slice; every rate is a sum over a sum (`combine`) of
the numerator and denominator the view exposes (`resolved`: promises whose outcome is known;
`ended`: plans completed or broken).
"""

from __future__ import annotations

from typing import Any

import polars as pl
import streamlit as st

from dashboard.reads.combine import Rate, counts, select_list, sum_over_sum
from dashboard.reads.connection import MAX_ROWS, WarehouseVersion, query
from dashboard.reads.filters import TEAM, Filters

# mart.promise_kept_rates and mart.promise_kept_sensitivity
KEPT_RATE = Rate("kept_rate", "kept", "resolved")
PARTIAL_RATE = Rate("partial_rate", "partial", "resolved")
BROKEN_RATE = Rate("broken_rate", "broken", "resolved")
# mart.plan_performance
PLAN_KEPT_RATE = Rate("kept_rate", "completed", "ended")
PLAN_BROKEN_RATE = Rate("broken_rate", "broken", "approved")
PLAN_CURE_RATE = Rate("cure_rate", "cured", "matured")

PROMISE_COUNTS = ("promises", "kept", "partial", "broken", "pending")
# Every promise measure of a slice; `resolved` last (the thin-rate alerts' base, not a column
# the page shows).
PROMISE_SUMS = select_list(
    counts(*PROMISE_COUNTS),
    sum_over_sum(KEPT_RATE),
    sum_over_sum(PARTIAL_RATE),
    sum_over_sum(BROKEN_RATE),
    counts("resolved"),
)


@st.cache_data(show_spinner=False, max_entries=32)
def promise_rates(version: WarehouseVersion, filters: Filters, by: str) -> pl.DataFrame:
    """Kept / partial / broken rates among resolved promises, per month, agent or bucket."""
    group = {
        "month": "month",
        "agent": "agent_id, agent_name, team",
        "bucket": "bucket",
    }[by]
    where, params = filters.where(TEAM)
    return query(
        version,
        f"""
        SELECT {group}, {PROMISE_SUMS}
        FROM mart.promise_kept_rates
        WHERE {where}
        GROUP BY {group}
        ORDER BY {group}
        LIMIT {MAX_ROWS}
        """,
        params,
    )


@st.cache_data(show_spinner=False, max_entries=32)
def promise_totals(version: WarehouseVersion, filters: Filters) -> dict[str, Any]:
    """The slice's promises, kept / partial / broken / pending, and their rates, over every
    month, agent and bucket."""
    where, params = filters.where(TEAM)
    frame = query(
        version, f"SELECT {PROMISE_SUMS} FROM mart.promise_kept_rates WHERE {where}", params
    )
    return frame.row(0, named=True)


@st.cache_data(show_spinner=False, max_entries=32)
def kept_sensitivity(version: WarehouseVersion, filters: Filters) -> pl.DataFrame:
    """The kept rate for each grace days x tolerance scenario (mart.promise_kept_sensitivity)."""
    return query(
        version,
        f"""
        SELECT
            grace_days, CAST(tolerance_share AS DOUBLE) AS tolerance_share,
            bool_or(is_in_force) AS is_in_force, {PROMISE_SUMS}
        FROM mart.promise_kept_sensitivity
        WHERE month BETWEEN ? AND ?
        GROUP BY grace_days, tolerance_share
        ORDER BY grace_days, tolerance_share
        """,
        [filters.start, filters.end],
    )


@st.cache_data(show_spinner=False, max_entries=32)
def plan_performance(version: WarehouseVersion, filters: Filters) -> pl.DataFrame:
    """Repayment plans by type over the months in range (mart.plan_performance)."""
    columns = select_list(
        counts("plans", "approved", "active", "completed", "broken"),
        sum_over_sum(PLAN_KEPT_RATE),
        sum_over_sum(PLAN_BROKEN_RATE),
        counts("matured", "cured"),
        sum_over_sum(PLAN_CURE_RATE),
    )
    return query(
        version,
        f"""
        SELECT
            plan_type,
            {columns}
        FROM mart.plan_performance
        WHERE month BETWEEN ? AND ?
        GROUP BY plan_type
        ORDER BY plan_type
        """,
        [filters.start, filters.end],
    )


@st.cache_data(show_spinner=False, max_entries=32)
def open_promises(version: WarehouseVersion, filters: Filters) -> pl.DataFrame:
    """Every promise still pending (its window open at the as-of date), soonest due first, for
    the slice's teams, whatever the months chosen: the promises a collector follows up this
    week (mart.promise_outcomes)."""
    where, params = filters.where(TEAM)
    where = where.replace("month BETWEEN ? AND ?", "TRUE", 1)
    return query(
        version,
        f"""
        SELECT
            promise_id, account_id, agent_id, agent_name, team, promised_date, paid_by,
            promised_amount, paid_amount, bucket
        FROM mart.promise_outcomes
        WHERE status = 'pending' AND {where}
        ORDER BY promised_date, promise_id
        LIMIT {MAX_ROWS}
        """,
        params[2:],
    )
