"""Cached, read-only queries of the collections pages (Migration, Contacts, Promises and plans,
Compliance, Accounts) and the alerts' thresholds.

Like `dashboard.data` (whose connection and `_query` they share): keyed on the published
`WarehouseVersion`, so a load shows on the next interaction; they select from the published
`mart` views with WHERE filters and sums of additive columns, and recompute a rate only as a sum
over a sum, the way each view's header says its rows combine. Lists of rows (accounts behind a
matrix cell, breaches, a timeline) stop at `MAX_ROWS` and say when they did (`Capped`).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

import polars as pl
import streamlit as st

from dashboard.data import MAX_ROWS, Filters, WarehouseVersion, _query

SEGMENTS = ("product", "branch", "risk_grade")
TEAM = ("team",)


class Capped(NamedTuple):
    """Rows for the page, and whether more matched than were sent."""

    rows: pl.DataFrame
    capped: bool


def _capped(version: WarehouseVersion, sql: str, params: list[Any], limit: int) -> Capped:
    frame = _query(version, f"{sql}\nLIMIT {min(limit, MAX_ROWS) + 1}", params)
    shown = min(limit, MAX_ROWS)
    return Capped(frame.head(shown), frame.height > shown)


# --- Settings ------------------------------------------------------------------------------------

# What the dashboard adds to the warehouse (sql/500-502). A warehouse published by an older
# version lacks them until its next load; the pages then say so instead of failing.
DASHBOARD_OBJECTS = ("mart.account_timeline", "mart.account_migration", "settings.alert_thresholds")


@st.cache_data(show_spinner=False, max_entries=16)
def missing_objects(version: WarehouseVersion) -> frozenset[str]:
    """Those of DASHBOARD_OBJECTS this version does not hold."""
    frame = _query(
        version,
        "SELECT table_schema || '.' || table_name AS name FROM information_schema.tables "
        "WHERE table_catalog = current_database()",
    )
    return frozenset(DASHBOARD_OBJECTS) - set(frame["name"].to_list())


@st.cache_data(show_spinner=False, max_entries=16)
def alert_thresholds(version: WarehouseVersion) -> dict[str, float]:
    """settings.alert_thresholds as numbers (the alerts compare rates and counts with them);
    empty when this version has no such table yet."""
    if "settings.alert_thresholds" in missing_objects(version):
        return {}
    frame = _query(version, "SELECT threshold, value FROM settings.alert_thresholds")
    return {row[0]: float(row[1]) for row in frame.iter_rows()}


@st.cache_data(show_spinner=False, max_entries=16)
def bucket_order(version: WarehouseVersion) -> list[str]:
    """Buckets in their order, with `New` first and `Gone` last (the matrix's axes)."""
    frame = _query(version, "SELECT bucket FROM settings.buckets ORDER BY sort_order")
    return ["New", *frame["bucket"].to_list(), "Gone"]


# --- Migration -----------------------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=16)
def migration_months(version: WarehouseVersion, filters: Filters) -> list[date]:
    """From-months in range that have a next month to compare with, latest last."""
    frame = _query(
        version,
        "SELECT DISTINCT month FROM mart.bucket_migration WHERE month BETWEEN ? AND ? ORDER BY 1",
        [filters.start, filters.end],
    )
    return frame["month"].to_list()


@st.cache_data(show_spinner=False, max_entries=64)
def migration_matrix(version: WarehouseVersion, filters: Filters, month: date) -> pl.DataFrame:
    """From bucket x to bucket for one from-month and the slice: accounts and balance moved, and
    their shares of the from bucket (mart.bucket_migration_by_segment summed over segments)."""
    where, params = filters.where(SEGMENTS)
    return _query(
        version,
        f"""
        SELECT
            from_bucket, to_bucket,
            CAST(sum(accounts) AS BIGINT) AS accounts,
            sum(balance) AS balance,
            sum(accounts) / sum(sum(accounts)) OVER (PARTITION BY from_bucket)
                AS share_of_accounts,
            sum(balance) / nullif(sum(sum(balance)) OVER (PARTITION BY from_bucket), 0)
                AS share_of_balance
        FROM mart.bucket_migration_by_segment
        WHERE {where} AND month = ?
        GROUP BY from_bucket, to_bucket
        """,
        [*params, month],
    )


@st.cache_data(show_spinner=False, max_entries=32)
def roll_rates(version: WarehouseVersion, filters: Filters) -> pl.DataFrame:
    """Roll-forward, cure, stay, flow rates by month and bucket (mart.roll_rates: whole book)."""
    return _query(
        version,
        """
        SELECT
            month, bucket, bucket_order, accounts, balance, roll_forward_rate, cure_rate,
            stay_rate, flow_rate, net_flow_rate, roll_forward_balance_rate
        FROM mart.roll_rates
        WHERE month BETWEEN ? AND ? AND accounts > 0
        ORDER BY month, bucket_order
        """,
        [filters.start, filters.end],
    )


@st.cache_data(show_spinner=False, max_entries=32)
def expected_loss(version: WarehouseVersion, month: date) -> pl.DataFrame:
    """Chained expected loss of each bucket at `month` (mart.expected_loss, whole book)."""
    return _query(
        version,
        """
        SELECT bucket, bucket_order, balance, flow_rate, write_off_rate, loss_rate, expected_loss
        FROM mart.expected_loss
        WHERE month = (SELECT max(month) FROM mart.expected_loss WHERE month <= ?)
        ORDER BY bucket_order
        """,
        [month],
    )


@st.cache_data(show_spinner=False, max_entries=64)
def cell_accounts(
    version: WarehouseVersion,
    filters: Filters,
    month: date,
    from_bucket: str,
    to_bucket: str,
    *,
    limit: int = 1000,
) -> Capped:
    """The accounts behind one matrix cell (mart.account_migration), largest balance first."""
    where, params = filters.where(SEGMENTS)
    return _capped(
        version,
        f"""
        SELECT account_id, from_bucket, to_bucket, balance, to_balance, product, branch, risk_grade
        FROM mart.account_migration
        WHERE {where} AND month = ? AND from_bucket = ? AND to_bucket = ?
        ORDER BY balance DESC NULLS LAST, account_id
        """,
        [*params, month, from_bucket, to_bucket],
        limit,
    )


# --- Contacts ------------------------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=32)
def contact_funnel(version: WarehouseVersion, filters: Filters) -> pl.DataFrame:
    """Attempts -> connects -> right-party contacts -> promises -> kept promises, by channel.

    The first four are sums of mart.contact_effectiveness; kept promises are mart.promise_outcomes
    of the same attempts' months and teams, by the channel of the attempt that made them.
    """
    where, params = filters.where(TEAM)
    kept_where, kept_params = filters.where(TEAM, alias="o")
    return _query(
        version,
        f"""
        WITH effort AS (
            SELECT
                channel,
                CAST(sum(attempts) AS BIGINT) AS attempts,
                CAST(sum(connects) AS BIGINT) AS connects,
                CAST(sum(right_party_contacts) AS BIGINT) AS right_party_contacts,
                CAST(sum(promises) AS BIGINT) AS promises,
                sum(amount_paid_7d) AS amount_paid_7d
            FROM mart.contact_effectiveness
            WHERE {where}
            GROUP BY channel
        ),
        kept AS (
            SELECT c.channel, count(*) AS promises_kept
            FROM mart.promise_outcomes AS o
            INNER JOIN core.contact_attempts AS c ON o.attempt_id = c.attempt_id
            WHERE {kept_where} AND o.status = 'kept'
            GROUP BY c.channel
        )
        SELECT e.*, coalesce(k.promises_kept, 0) AS promises_kept
        FROM effort AS e
        LEFT JOIN kept AS k ON e.channel = k.channel
        ORDER BY e.attempts DESC, e.channel
        """,
        [*params, *kept_params],
    )


@st.cache_data(show_spinner=False, max_entries=32)
def hour_weekday(version: WarehouseVersion, filters: Filters, channel: str | None) -> pl.DataFrame:
    """RPC rate by the debtor's local weekday (1 = Monday) and hour, for the slice."""
    where, params = filters.where(TEAM)
    if channel:
        where += " AND channel = ?"
        params.append(channel)
    return _query(
        version,
        f"""
        SELECT
            weekday, hour,
            CAST(sum(attempts) AS BIGINT) AS attempts,
            CAST(sum(right_party_contacts) AS BIGINT) AS right_party_contacts,
            sum(right_party_contacts) / sum(attempts) AS rpc_rate
        FROM mart.contact_effectiveness
        WHERE {where}
        GROUP BY weekday, hour
        ORDER BY weekday, hour
        """,
        params,
    )


def _league(group: str) -> str:
    return f"""
        SELECT
            {group},
            CAST(sum(attempts) AS BIGINT) AS attempts,
            CAST(sum(connects) AS BIGINT) AS connects,
            CAST(sum(right_party_contacts) AS BIGINT) AS right_party_contacts,
            CAST(sum(promises) AS BIGINT) AS promises,
            sum(amount_paid_7d) AS amount_paid_7d,
            sum(right_party_contacts) / nullif(sum(attempts), 0) AS rpc_rate,
            sum(promises) / nullif(sum(right_party_contacts), 0) AS promise_rate,
            CAST(sum(promises_kept) AS BIGINT) AS promises_kept,
            CAST(sum(promises_resolved) AS BIGINT) AS promises_resolved,
            sum(promises_kept) / nullif(sum(promises_resolved), 0) AS promise_kept_rate,
            CAST(sum(breaches) AS BIGINT) AS breaches
    """


@st.cache_data(show_spinner=False, max_entries=32)
def agent_table(version: WarehouseVersion, filters: Filters, by: str) -> pl.DataFrame:
    """The agent league summed over the months in range, per agent or per team (mart.agent_league);
    per agency from mart.agency_league (agencies have no team)."""
    if by == "agency":
        return _query(
            version,
            _league("agency")
            + f"""
            FROM mart.agency_league WHERE month BETWEEN ? AND ?
            GROUP BY agency ORDER BY amount_paid_7d DESC NULLS LAST, agency LIMIT {MAX_ROWS}
            """,
            [filters.start, filters.end],
        )
    group = "agent_id, agent_name, team, agency" if by == "agent" else "team"
    where, params = filters.where(TEAM)
    return _query(
        version,
        _league(group)
        + f"""
        FROM mart.agent_league WHERE {where}
        GROUP BY {group} ORDER BY amount_paid_7d DESC NULLS LAST, {group} LIMIT {MAX_ROWS}
        """,
        params,
    )


# --- Promises and plans --------------------------------------------------------------------------


def _kept_sums() -> str:
    return """
        CAST(sum(promises) AS BIGINT) AS promises,
        CAST(sum(kept) AS BIGINT) AS kept,
        CAST(sum(partial) AS BIGINT) AS partial,
        CAST(sum(broken) AS BIGINT) AS broken,
        CAST(sum(pending) AS BIGINT) AS pending,
        sum(kept) / nullif(sum(kept) + sum(partial) + sum(broken), 0) AS kept_rate,
        sum(partial) / nullif(sum(kept) + sum(partial) + sum(broken), 0) AS partial_rate,
        sum(broken) / nullif(sum(kept) + sum(partial) + sum(broken), 0) AS broken_rate
    """


@st.cache_data(show_spinner=False, max_entries=32)
def promise_rates(version: WarehouseVersion, filters: Filters, by: str) -> pl.DataFrame:
    """Kept / partial / broken rates among resolved promises, per month, agent or bucket."""
    group = {
        "month": "month",
        "agent": "agent_id, agent_name, team",
        "bucket": "bucket",
    }[by]
    where, params = filters.where(TEAM)
    return _query(
        version,
        f"""
        SELECT {group}, {_kept_sums()}
        FROM mart.promise_kept_rates
        WHERE {where}
        GROUP BY {group}
        ORDER BY {group}
        LIMIT {MAX_ROWS}
        """,
        params,
    )


@st.cache_data(show_spinner=False, max_entries=32)
def kept_sensitivity(version: WarehouseVersion, filters: Filters) -> pl.DataFrame:
    """The kept rate for each grace days x tolerance scenario (mart.promise_kept_sensitivity)."""
    return _query(
        version,
        f"""
        SELECT
            grace_days, CAST(tolerance_share AS DOUBLE) AS tolerance_share,
            bool_or(is_in_force) AS is_in_force, {_kept_sums()}
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
    return _query(
        version,
        """
        SELECT
            plan_type,
            CAST(sum(plans) AS BIGINT) AS plans,
            CAST(sum(approved) AS BIGINT) AS approved,
            CAST(sum(active) AS BIGINT) AS active,
            CAST(sum(completed) AS BIGINT) AS completed,
            CAST(sum(broken) AS BIGINT) AS broken,
            sum(completed) / nullif(sum(completed) + sum(broken), 0) AS kept_rate,
            sum(broken) / nullif(sum(approved), 0) AS broken_rate,
            CAST(sum(matured) AS BIGINT) AS matured,
            CAST(sum(cured) AS BIGINT) AS cured,
            sum(cured) / nullif(sum(matured), 0) AS cure_rate
        FROM mart.plan_performance
        WHERE month BETWEEN ? AND ?
        GROUP BY plan_type
        ORDER BY plan_type
        """,
        [filters.start, filters.end],
    )


# --- Compliance ----------------------------------------------------------------------------------


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


@st.cache_data(show_spinner=False, max_entries=16)
def rule_choices(version: WarehouseVersion) -> pl.DataFrame:
    """Rule sets and rules in force (settings.compliance_rules), for the page's pickers."""
    return _query(
        version,
        "SELECT rule_set, rule, description FROM settings.compliance_rules ORDER BY rule_set, rule",
    )


@st.cache_data(show_spinner=False, max_entries=32)
def breaches(
    version: WarehouseVersion, filters: Filters, chosen: BreachFilter, *, limit: int = MAX_ROWS
) -> Capped:
    """The breaches of the slice, newest first (mart.compliance_breaches): the audit's rows."""
    where, params = _breach_where(filters, chosen)
    return _capped(
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
    frame = _query(
        version,
        f"""
        SELECT count(*) AS breaches, count(DISTINCT attempt_id) AS attempts,
               count(DISTINCT account_id) AS accounts
        FROM mart.compliance_breaches WHERE {where}
        """,
        params,
    )
    return {name: int(value) for name, value in frame.row(0, named=True).items()}


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
    return _query(
        version,
        f"""
        SELECT {group}, count(*) AS breaches, count(DISTINCT attempt_id) AS attempts,
               count(DISTINCT account_id) AS accounts
        FROM mart.compliance_breaches
        WHERE {where}
        GROUP BY {group}
        ORDER BY {"breaches DESC, " if by in ("rule", "agent", "team") else ""}{group}
        LIMIT {MAX_ROWS}
        """,
        params,
    )


@st.cache_data(show_spinner=False, max_entries=32)
def attempt(version: WarehouseVersion, attempt_id: str) -> pl.DataFrame:
    """One contact attempt as the warehouse holds it (masked number), for a breach's drill-down."""
    return _query(
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


# --- Accounts ------------------------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=64)
def find_accounts(version: WarehouseVersion, text: str, *, limit: int = 50) -> Capped:
    """Accounts whose id is `text`, or whose masked national ID, card or phone ends with it (a
    tail of 4 digits) or equals it: only masked values are compared and returned."""
    wanted = text.strip()
    if not wanted:
        return Capped(pl.DataFrame(), False)
    return _capped(
        version,
        """
        SELECT
            account_id, customer_name_masked, national_id_masked, card_no_masked, mobile_masked,
            product, branch, open_date
        FROM core.accounts
        WHERE account_id = $text
            OR national_id_masked = $text OR card_no_masked = $text OR mobile_masked = $text
            OR (length($text) >= 4 AND (
                ends_with(national_id_masked, $text)
                OR ends_with(card_no_masked, $text)
                OR ends_with(mobile_masked, $text)
            ))
        ORDER BY account_id
        """,
        {"text": wanted},  # type: ignore[arg-type]
        limit,
    )


@st.cache_data(show_spinner=False, max_entries=64)
def account_header(version: WarehouseVersion, account_id: str) -> pl.DataFrame:
    """The account's masked identity and its latest month end (bucket, grade, treatment)."""
    return _query(
        version,
        """
        SELECT
            a.account_id, a.customer_name_masked, a.national_id_masked, a.card_no_masked,
            a.mobile_masked, a.product, a.branch, a.open_date, a.credit_limit,
            m.month, m.bucket, m.balance, m.days_past_due, m.risk_grade, m.delinquency_cause,
            m.treatment
        FROM core.accounts AS a
        LEFT JOIN mart.account_month AS m ON a.account_id = m.account_id
        WHERE a.account_id = ?
        ORDER BY m.month DESC NULLS LAST
        LIMIT 1
        """,
        [account_id],
    )


@st.cache_data(show_spinner=False, max_entries=64)
def account_timeline(version: WarehouseVersion, account_id: str) -> Capped:
    """The account's whole story, oldest first (mart.account_timeline)."""
    return _capped(
        version,
        """
        SELECT event_date, event_at, kind, reference, status, amount, detail, agent_id
        FROM mart.account_timeline
        WHERE account_id = ?
        ORDER BY event_date, event_at NULLS FIRST, kind, reference
        """,
        [account_id],
        MAX_ROWS,
    )


@st.cache_data(show_spinner=False, max_entries=64)
def account_months(version: WarehouseVersion, account_id: str) -> pl.DataFrame:
    """Balance, bucket, risk grade and treatment at each month end (mart.account_month)."""
    return _query(
        version,
        """
        SELECT month, bucket, bucket_order, balance, days_past_due, risk_grade, treatment
        FROM mart.account_month WHERE account_id = ? ORDER BY month
        """,
        [account_id],
    )


def as_float(value: Decimal | float | None) -> float | None:
    return None if value is None else float(value)


# --- Portfolio -----------------------------------------------------------------------------------

PORTFOLIO_SEGMENTS = ("product", "branch", "risk_grade", "vintage_year")


@st.cache_data(show_spinner=False, max_entries=32)
def collected_and_written_off(version: WarehouseVersion, filters: Filters) -> pl.DataFrame:
    """Money collected (net of reversals), recovered after write-off, and written off, by month
    for the slice (mart.portfolio_health)."""
    where, params = filters.where(SEGMENTS)
    return _query(
        version,
        f"""
        SELECT
            month,
            sum(collected) AS collected,
            sum(recovered) AS recovered,
            sum(written_off) AS written_off,
            CAST(sum(newly_written_off_accounts) AS BIGINT) AS written_off_accounts,
            CAST(sum(paying_accounts) AS BIGINT) AS paying_accounts
        FROM mart.portfolio_health
        WHERE {where}
        GROUP BY month
        ORDER BY month
        """,
        params,
    )


@st.cache_data(show_spinner=False, max_entries=64)
def portfolio_by_segment(
    version: WarehouseVersion, filters: Filters, segment: str, month: date
) -> pl.DataFrame:
    """One month of the slice by product, branch, risk grade or vintage year: the live book, its
    30+/60+/90+ ratios (sums over sums), collected and written off (mart.portfolio_health)."""
    if segment not in PORTFOLIO_SEGMENTS:
        raise ValueError(f"segment must be one of {PORTFOLIO_SEGMENTS}; found {segment!r}")
    where, params = filters.where(SEGMENTS)
    return _query(
        version,
        f"""
        SELECT
            CAST({segment} AS VARCHAR) AS segment,
            CAST(sum(live_accounts) AS BIGINT) AS live_accounts,
            sum(live_balance) AS live_balance,
            sum(delinquent_balance) AS delinquent_balance,
            sum(dpd30_balance) / nullif(sum(live_balance), 0) AS dpd30_ratio,
            sum(dpd60_balance) / nullif(sum(live_balance), 0) AS dpd60_ratio,
            sum(dpd90_balance) / nullif(sum(live_balance), 0) AS dpd90_ratio,
            sum(collected) AS collected,
            sum(written_off) AS written_off
        FROM mart.portfolio_health
        WHERE {where} AND month = ?
        GROUP BY {segment}
        ORDER BY live_balance DESC NULLS LAST, segment
        LIMIT {MAX_ROWS}
        """,
        [*params, month],
    )
