"""What the Contacts page reads: the funnel per channel (mart.contact_funnel), the best time to
call (mart.contact_slots), and the agent, team and agency tables (mart.agent_league,
mart.agency_league).

Each view is at the grain the page filters on (a month range and teams); a read adds up its
counts over the slice and recombines the rates as sums over sums (`combine`).
"""

from __future__ import annotations

from typing import Any

import polars as pl
import streamlit as st

from dashboard.reads.combine import Rate, amounts, counts, select_list, sum_over_sum
from dashboard.reads.connection import MAX_ROWS, WarehouseVersion, query
from dashboard.reads.filters import TEAM, Filters

# The rates of the contact views (mart.contact_funnel, mart.contact_slots, mart.agent_league).
CONNECT_RATE = Rate("connect_rate", "connects", "attempts")
RPC_RATE = Rate("rpc_rate", "right_party_contacts", "attempts")
PROMISE_RATE = Rate("promise_rate", "promises", "right_party_contacts")
PROMISE_KEPT_RATE = Rate("promise_kept_rate", "promises_kept", "promises_resolved")

FUNNEL_COUNTS = ("attempts", "connects", "right_party_contacts", "promises")


@st.cache_data(show_spinner=False, max_entries=32)
def contact_funnel(version: WarehouseVersion, filters: Filters) -> pl.DataFrame:
    """Attempts -> connects -> right-party contacts -> promises -> kept promises, by channel,
    with the RPC and promise rates (mart.contact_funnel). A channel without an attempt in the
    slice is left out."""
    where, params = filters.where(TEAM)
    columns = select_list(
        counts(*FUNNEL_COUNTS),
        amounts("amount_paid_within_window"),
        counts("promises_kept"),
        sum_over_sum(RPC_RATE),
        sum_over_sum(PROMISE_RATE),
    )
    return query(
        version,
        f"""
        SELECT
            channel,
            {columns}
        FROM mart.contact_funnel
        WHERE {where}
        GROUP BY channel
        HAVING sum(attempts) > 0
        ORDER BY attempts DESC, channel
        """,
        params,
    )


@st.cache_data(show_spinner=False, max_entries=32)
def funnel_totals(version: WarehouseVersion, filters: Filters) -> dict[str, Any]:
    """The slice's attempts and its connect, RPC and promise rates over every channel."""
    where, params = filters.where(TEAM)
    columns = select_list(
        counts(*FUNNEL_COUNTS),
        sum_over_sum(CONNECT_RATE),
        sum_over_sum(RPC_RATE),
        sum_over_sum(PROMISE_RATE),
    )
    frame = query(version, f"SELECT {columns} FROM mart.contact_funnel WHERE {where}", params)
    return frame.row(0, named=True)


@st.cache_data(show_spinner=False, max_entries=32)
def hour_weekday(version: WarehouseVersion, filters: Filters, channel: str | None) -> pl.DataFrame:
    """RPC rate by the debtor's local weekday (1 = Monday) and hour, for the slice
    (mart.contact_slots)."""
    where, params = filters.where(TEAM)
    if channel:
        where += " AND channel = ?"
        params.append(channel)
    columns = select_list(counts("attempts", "right_party_contacts"), sum_over_sum(RPC_RATE))
    return query(
        version,
        f"""
        SELECT
            weekday, hour,
            {columns}
        FROM mart.contact_slots
        WHERE {where}
        GROUP BY weekday, hour
        ORDER BY weekday, hour
        """,
        params,
    )


@st.cache_data(show_spinner=False, max_entries=32)
def permitted_slots(version: WarehouseVersion, channel: str | None) -> pl.DataFrame:
    """Which weekday x hour slots the compliance rules in force allow for `channel`
    (mart.permitted_contact_slots); for every channel at once (None), a slot is allowed when
    every channel's rules allow it."""
    where, params = ("channel = ?", [channel]) if channel else ("TRUE", [])
    return query(
        version,
        f"""
        SELECT
            weekday, hour,
            bool_and(is_permitted) AS is_permitted,
            string_agg(DISTINCT forbidden_by, ', ') AS forbidden_by,
            string_agg(DISTINCT rule_sets, ', ') AS rule_sets
        FROM mart.permitted_contact_slots
        WHERE {where}
        GROUP BY weekday, hour
        ORDER BY weekday, hour
        """,
        params,
    )


def rule_sets_respected(permitted: pl.DataFrame) -> list[str]:
    """The rule sets a recommendation over `permitted_slots` respects, each once."""
    named: set[str] = set()
    for value in permitted["rule_sets"].drop_nulls().to_list():
        named.update(part.strip() for part in value.split(",") if part.strip())
    return sorted(named)


def best_slot(
    grid: pl.DataFrame, *, least_attempts: int, permitted: pl.DataFrame | None = None
) -> dict[str, Any] | None:
    """The slot of `hour_weekday` with the highest RPC rate (then the most attempts), among the
    slots with at least `least_attempts` attempts when there are any, and only among the slots
    the rules in force allow (`permitted`, from `permitted_slots`): a slot a rule forbids is
    never recommended, however well it answers. None when no allowed slot has an attempt."""
    if permitted is not None:
        slot = [pl.col("weekday").cast(pl.Int64), pl.col("hour").cast(pl.Int64)]
        allowed = permitted.filter(pl.col("is_permitted")).select(slot)
        grid = grid.with_columns(slot).join(allowed, on=["weekday", "hour"], how="semi")
    if grid.is_empty():
        return None
    trusted = grid.filter(pl.col("attempts") >= least_attempts)
    ranked = (trusted if not trusted.is_empty() else grid).sort(
        ["rpc_rate", "attempts"], descending=True, nulls_last=True
    )
    return ranked.row(0, named=True)


LEAGUE_SUMS = select_list(
    counts(*FUNNEL_COUNTS),
    amounts("amount_paid_within_window"),
    sum_over_sum(RPC_RATE),
    sum_over_sum(PROMISE_RATE),
    counts("promises_kept", "promises_resolved"),
    sum_over_sum(PROMISE_KEPT_RATE),
    counts("breaches"),
)


@st.cache_data(show_spinner=False, max_entries=32)
def agent_table(version: WarehouseVersion, filters: Filters, by: str) -> pl.DataFrame:
    """The agent league summed over the months in range, per agent or per team (mart.agent_league);
    per agency from mart.agency_league (agencies have no team)."""
    if by == "agency":
        return query(
            version,
            f"""
            SELECT agency, {LEAGUE_SUMS}
            FROM mart.agency_league WHERE month BETWEEN ? AND ?
            GROUP BY agency
            ORDER BY amount_paid_within_window DESC NULLS LAST, agency LIMIT {MAX_ROWS}
            """,
            [filters.start, filters.end],
        )
    group = "agent_id, agent_name, team, agency" if by == "agent" else "team"
    where, params = filters.where(TEAM)
    return query(
        version,
        f"""
        SELECT {group}, {LEAGUE_SUMS}
        FROM mart.agent_league WHERE {where}
        GROUP BY {group}
        ORDER BY amount_paid_within_window DESC NULLS LAST, {group} LIMIT {MAX_ROWS}
        """,
        params,
    )
