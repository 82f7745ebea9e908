"""What the Migration page reads: the migration matrix (mart.bucket_migration_by_segment summed
over the slice's segments), the accounts behind one cell (mart.account_migration), roll and
flow rates (mart.roll_rates) and the chained expected loss (mart.expected_loss), both for the
whole book.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import streamlit as st

from dashboard.reads.combine import Rate, amounts, counts, select_list, sum_over_sum
from dashboard.reads.connection import Capped, WarehouseVersion, capped, query
from dashboard.reads.filters import SEGMENTS, Filters

# A cell's share of its from bucket (mart.bucket_migration_by_segment's share columns, whose
# denominator is the from bucket's total over the slice's segments).
SHARE_OF_ACCOUNTS = Rate("share_of_accounts", "accounts", "accounts")
SHARE_OF_BALANCE = Rate("share_of_balance", "balance", "balance")


@st.cache_data(show_spinner=False, max_entries=16)
def bucket_order(version: WarehouseVersion) -> list[str]:
    """Buckets in their order, with `New` first and `Gone` last (the matrix's axes)."""
    frame = query(version, "SELECT bucket FROM settings.buckets ORDER BY sort_order")
    return ["New", *frame["bucket"].to_list(), "Gone"]


@st.cache_data(show_spinner=False, max_entries=16)
def migration_months(version: WarehouseVersion, filters: Filters) -> list[date]:
    """From-months in range that have a next month to compare with, latest last."""
    frame = query(
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
    columns = select_list(
        counts("accounts"),
        amounts("balance"),
        sum_over_sum(SHARE_OF_ACCOUNTS, within=("from_bucket",)),
        sum_over_sum(SHARE_OF_BALANCE, within=("from_bucket",)),
    )
    return query(
        version,
        f"""
        SELECT
            from_bucket, to_bucket,
            {columns}
        FROM mart.bucket_migration_by_segment
        WHERE {where} AND month = ?
        GROUP BY from_bucket, to_bucket
        """,
        [*params, month],
    )


@st.cache_data(show_spinner=False, max_entries=32)
def roll_rates(version: WarehouseVersion, filters: Filters) -> pl.DataFrame:
    """Roll-forward, cure, stay, flow rates by month and bucket (mart.roll_rates: whole book)."""
    return query(
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


@st.cache_data(show_spinner=False, max_entries=16)
def delinquent_buckets(version: WarehouseVersion) -> list[str]:
    """The day buckets past the first (M1 and worse), in order: where collections work."""
    frame = query(
        version,
        "SELECT bucket FROM settings.buckets WHERE status IS NULL ORDER BY sort_order OFFSET 1",
    )
    return frame["bucket"].to_list()


def worst_rolling(rates: pl.DataFrame, delinquent: list[str]) -> pl.DataFrame:
    """The delinquent buckets of the latest month of `rates` ranked by roll-forward rate, worst
    first (ties: the larger bucket first), with the accounts that rolled."""
    latest = rates.filter(
        (pl.col("month") == rates["month"].max()) & pl.col("bucket").is_in(delinquent)
    )
    return latest.select(
        "month",
        "bucket",
        "accounts",
        (pl.col("roll_forward_rate") * pl.col("accounts"))
        .round(0)
        .cast(pl.Int64)
        .alias("rolled_forward"),
        "roll_forward_rate",
        "roll_forward_balance_rate",
        "cure_rate",
        "balance",
    ).sort(["roll_forward_rate", "accounts"], descending=True, nulls_last=True)


def roll_rates_for_alerts(version: WarehouseVersion, filters: Filters) -> pl.DataFrame:
    """Roll rates of the period's latest month and of the month before it, that one read even
    when it lies before the period shown (an alert's comparison is never inside the filter)."""
    end = filters.end
    before = date(end.year - 1, 12, 1) if end.month == 1 else date(end.year, end.month - 1, 1)
    return roll_rates(version, Filters(min(before, filters.start), end))


@st.cache_data(show_spinner=False, max_entries=32)
def expected_loss(version: WarehouseVersion, month: date) -> pl.DataFrame:
    """Chained expected loss of each bucket at `month` (mart.expected_loss, whole book)."""
    return query(
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
    return capped(
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
