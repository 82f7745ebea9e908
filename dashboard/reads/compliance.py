"""What the Compliance page reads: breach counts by rule, agent, team, day and month
(mart.compliance_breach_counts), the breaches themselves for the list and the audit export
(mart.compliance_breaches), and one attempt for a breach's drill-down (core.contact_attempts).

Breaches add up over any rows of mart.compliance_breach_counts. Attempts in breach are a
distinct count: the view counts each once on one row of its scope, and which column adds up
right depends on the rules a slice covers (one rule, the rules of one rule set, every rule).
Accounts in breach add up over no rows at all (an account is breached on many days, by many
agents), so they are counted, exactly, over the slice's breaches in mart.compliance_breaches.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, NamedTuple

import polars as pl
import streamlit as st

from dashboard.reads.combine import count_as, counts, select_list
from dashboard.reads.connection import MAX_ROWS, Capped, WarehouseVersion, capped, query
from dashboard.reads.filters import TEAM, Filters


class BreachFilter(NamedTuple):
    """The Compliance page's own choices on top of the sidebar: a rule set, a rule, an agent."""

    rule_set: str | None = None
    rule: str | None = None
    agent_id: str | None = None


def _breach_where(filters: Filters, chosen: BreachFilter) -> tuple[str, list[Any]]:
    where, params = filters.where(TEAM)
    for column, value in zip(("rule_set", "rule", "agent_id"), chosen, strict=True):
        if value:
            where += f" AND {column} = ?"
            params.append(value)
    return where, params


def _reach(chosen: BreachFilter, *, by_rule: bool = False) -> str:
    """Breaches and attempts in breach of the slice, from the columns of
    mart.compliance_breach_counts that count each attempt once for the rules the slice covers."""
    if chosen.rule or by_rule:
        attempts = "breaches"
    elif chosen.rule_set:
        attempts = "attempts_breaking_rule_set"
    else:
        attempts = "attempts_in_breach"
    return select_list(counts("breaches"), count_as("attempts", attempts))


def _accounts(
    version: WarehouseVersion, where: str, params: list[Any], group: str | None = None
) -> pl.DataFrame:
    """Accounts in breach of the slice (per group), each once: a distinct count over the
    slice's breaches, which no pre-counted row can give."""
    keys = f"{group}, " if group else ""
    grouping = f" GROUP BY {group}" if group else ""
    return query(
        version,
        f"SELECT {keys}count(DISTINCT account_id) AS accounts "
        f"FROM mart.compliance_breaches WHERE {where}{grouping}",
        params,
    )


class RecordsSince(NamedTuple):
    """How far back the contact records go, and the last purge that cut them."""

    first_contact: date | None  # the earliest contact held (None: no contacts)
    purged_before: date | None  # the latest `collections purge --before` date, if any


@st.cache_data(show_spinner=False, max_entries=16)
def records_since(version: WarehouseVersion) -> RecordsSince:
    """The earliest contact held and the last purge (ops.purges). Reads only the earliest
    month's files: a bound two months past the first month folder lets Parquet's statistics skip
    the rest (a late file holding older rows is still found: its row groups' minimum is below)."""
    frame = query(
        version,
        """
        WITH bound AS (
            SELECT min(month) + INTERVAL 2 MONTH AS below
            FROM ops.lake_files WHERE relation = 'raw.contacts'
        )
        SELECT
            (SELECT min(CAST(started_at AS DATE)) FROM raw.contacts
             WHERE started_at < (SELECT below FROM bound)) AS first_contact,
            (SELECT max(before_date) FROM ops.purges) AS purged_before
        """,
    )
    first, purged = frame.row(0)
    if first is None:  # no month folder below the bound (or none at all): ask every file
        first = query(
            version, "SELECT min(CAST(started_at AS DATE)) AS first FROM raw.contacts"
        ).item()
    return RecordsSince(first, purged)


@st.cache_data(show_spinner=False, max_entries=16)
def rule_choices(version: WarehouseVersion) -> pl.DataFrame:
    """Rule sets and rules in force (settings.compliance_rules), for the page's pickers."""
    return query(
        version,
        "SELECT rule_set, rule, description FROM settings.compliance_rules ORDER BY rule_set, rule",
    )


@st.cache_data(show_spinner=False, max_entries=32)
def breaches(
    version: WarehouseVersion, filters: Filters, chosen: BreachFilter, *, limit: int = MAX_ROWS
) -> Capped:
    """The breaches of the slice, newest first (mart.compliance_breaches): the audit's rows."""
    where, params = _breach_where(filters, chosen)
    return capped(
        version,
        f"""
        SELECT
            started_at, local_time, timezone, rule_set, rule, attempt_id, account_id, agent_id,
            agent_name, team, agency, channel, outcome, detail
        FROM mart.compliance_breaches
        WHERE {where}
        ORDER BY started_at DESC, attempt_id, rule_set, rule
        """,
        params,
        limit,
    )


@st.cache_data(show_spinner=False, max_entries=32)
def breach_totals(
    version: WarehouseVersion, filters: Filters, chosen: BreachFilter
) -> dict[str, int]:
    """Breaches, attempts in breach and accounts touched in the slice."""
    where, params = _breach_where(filters, chosen)
    frame = query(
        version,
        f"SELECT {_reach(chosen)} FROM mart.compliance_breach_counts WHERE {where}",
        params,
    )
    totals = {name: int(value or 0) for name, value in frame.row(0, named=True).items()}
    totals["accounts"] = int(_accounts(version, where, params)["accounts"][0] or 0)
    return totals


@st.cache_data(show_spinner=False, max_entries=32)
def breach_counts(
    version: WarehouseVersion, filters: Filters, chosen: BreachFilter, by: str
) -> pl.DataFrame:
    """Breaches of the slice counted by rule set and rule, agent, team, day or month."""
    group = {
        "rule": "rule_set, rule",
        "agent": "agent_id, agent_name, team",
        "team": "team",
        "day": "local_date",
        "month": "month",
        "agent_month": "agent_id, agent_name, team, month",
        "team_month": "team, month",
    }[by]
    where, params = _breach_where(filters, chosen)
    counted = query(
        version,
        f"""
        SELECT {group}, {_reach(chosen, by_rule=by == "rule")}
        FROM mart.compliance_breach_counts
        WHERE {where}
        GROUP BY {group}
        ORDER BY {"breaches DESC, " if by in ("rule", "agent", "team") else ""}{group}
        LIMIT {MAX_ROWS}
        """,
        params,
    )
    keys = [key.strip() for key in group.split(",")]
    accounts = _accounts(version, where, params, group)
    return counted.join(accounts, on=keys, how="left", nulls_equal=True, maintain_order="left")


@st.cache_data(show_spinner=False, max_entries=32)
def attempt(version: WarehouseVersion, attempt_id: str) -> pl.DataFrame:
    """One contact attempt as the warehouse holds it (masked number), for a breach's drill-down."""
    return query(
        version,
        """
        SELECT
            attempt_id, account_id, agent_id, agent_name, team, channel, outcome, party,
            third_party_relation, started_at, local_time, debtor_timezone, day_type,
            contact_number_masked, duration_s, bucket
        FROM core.contact_attempts
        WHERE attempt_id = ?
        """,
        [attempt_id],
    )


def alert_filters(filters: Filters, baseline: Sequence[date]) -> Filters:
    """The slice an alert reads: the period's latest month and its baseline months before it,
    the page's other choices (teams) kept, whatever months the page shows."""
    return Filters(
        min([*baseline, filters.end]),
        filters.end,
        filters.products,
        filters.branches,
        filters.risk_grades,
        filters.teams,
    )


@st.cache_data(show_spinner=False, max_entries=16)
def attempt_months(version: WarehouseVersion) -> frozenset[date]:
    """The months the warehouse holds contact attempts for (mart.contact_funnel): the months an
    alert's baseline can come from."""
    frame = query(version, "SELECT DISTINCT month FROM mart.contact_funnel")
    return frozenset(frame["month"].to_list())
