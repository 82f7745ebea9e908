"""What the Portfolio page reads: the book by bucket (mart.bucket_month), the delinquency ratios
(mart.delinquency_ratios), money collected and written off and the book by segment
(mart.portfolio_health), and the bucket settings it colours them by.

Each query filters its view on the slice and adds up the view's counts and balances; the
ratios are sums over sums (`combine`), as the views' headers say their rows combine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import polars as pl
import streamlit as st

from dashboard.reads.combine import (
    Rate,
    amounts,
    count_as,
    counts,
    select_list,
    sum_over_sum,
)
from dashboard.reads.connection import MAX_ROWS, WarehouseVersion, query
from dashboard.reads.filters import Filters

# The segments a page can break the book down by (mart.portfolio_health's columns).
PORTFOLIO_SEGMENTS = ("product", "branch", "risk_grade", "vintage_year")

# mart.delinquency_ratios
ACCOUNT_RATIO = Rate("account_ratio", "delinquent_accounts", "live_accounts")
BALANCE_RATIO = Rate("balance_ratio", "delinquent_balance", "live_balance")
# mart.portfolio_health
DPD_RATIOS = tuple(
    Rate(f"dpd{days}_ratio", f"dpd{days}_balance", "live_balance") for days in (30, 60, 90)
)


@st.cache_data(show_spinner=False, max_entries=16)
def bucket_settings(version: WarehouseVersion) -> pl.DataFrame:
    """The bucket definitions this version was built with (settings.buckets), in order.

    `live` = a day-range bucket (not Written off/Closed): the book the ratios are taken over;
    `delinquent` = a live bucket of at least one day past due (M1 and worse).
    """
    return query(
        version,
        """
        SELECT
            bucket,
            sort_order,
            min_days_past_due,
            max_days_past_due,
            status IS NULL AS live,
            status IS NULL AND coalesce(min_days_past_due, 0) >= 1 AS delinquent
        FROM settings.buckets
        ORDER BY sort_order
        """,
    )


@st.cache_data(show_spinner=False, max_entries=16)
def ratio_measures(version: WarehouseVersion) -> list[str]:
    """The delinquency ratios this version computes (30+, 60+, 90+ by default), mildest first."""
    frame = query(
        version, "SELECT measure FROM settings.delinquency_thresholds ORDER BY min_days_past_due"
    )
    return frame["measure"].to_list()


@st.cache_data(show_spinner=False, max_entries=64)
def bucket_series(version: WarehouseVersion, filters: Filters) -> pl.DataFrame:
    """Accounts and balance by month and bucket for the slice (mart.bucket_month)."""
    where, params = filters.where()
    return query(
        version,
        f"""
        SELECT
            month, bucket, bucket_order,
            {select_list(counts("accounts"), amounts("balance"))}
        FROM mart.bucket_month
        WHERE {where}
        GROUP BY month, bucket, bucket_order
        ORDER BY month, bucket_order
        """,
        params,
    )


@st.cache_data(show_spinner=False, max_entries=64)
def ratio_series(version: WarehouseVersion, filters: Filters) -> pl.DataFrame:
    """30+/60+/90+ ratios by month for the slice: the view's counts and balances added up over
    the slice's segments, then divided (mart.delinquency_ratios says to add, not average)."""
    where, params = filters.where()
    columns = select_list(
        counts("live_accounts"),
        amounts("live_balance"),
        counts("delinquent_accounts"),
        amounts("delinquent_balance"),
        sum_over_sum(ACCOUNT_RATIO),
        sum_over_sum(BALANCE_RATIO),
    )
    return query(
        version,
        f"""
        SELECT
            month,
            measure,
            {columns}
        FROM mart.delinquency_ratios
        WHERE {where}
        GROUP BY month, measure
        ORDER BY month, measure
        """,
        params,
    )


@dataclass(frozen=True)
class MonthKpis:
    """The headline numbers of one month for one slice."""

    month: date
    accounts: int  # live book: not written off, not closed
    balance: Decimal  # live book
    delinquent_balance: Decimal  # M1 and worse
    balance_ratios: dict[str, float | None]  # measure -> delinquent balance / live balance
    account_ratios: dict[str, float | None]  # measure -> delinquent accounts / live accounts


def month_kpis(
    buckets: pl.DataFrame, ratios: pl.DataFrame, settings: pl.DataFrame, month: date
) -> MonthKpis:
    """Headline numbers of `month` from the two series above (sums only, no new measure)."""
    live = settings.filter(pl.col("live"))["bucket"].to_list()
    delinquent = settings.filter(pl.col("delinquent"))["bucket"].to_list()
    in_month = buckets.filter(pl.col("month") == month)
    live_rows = in_month.filter(pl.col("bucket").is_in(live))
    overdue_rows = in_month.filter(pl.col("bucket").is_in(delinquent))
    month_ratios = ratios.filter(pl.col("month") == month)
    return MonthKpis(
        month=month,
        accounts=int(live_rows["accounts"].sum()),
        balance=_decimal_sum(live_rows["balance"]),
        delinquent_balance=_decimal_sum(overdue_rows["balance"]),
        balance_ratios=dict(
            zip(month_ratios["measure"], month_ratios["balance_ratio"], strict=True)
        ),
        account_ratios=dict(
            zip(month_ratios["measure"], month_ratios["account_ratio"], strict=True)
        ),
    )


def _decimal_sum(values: pl.Series) -> Decimal:
    return sum((value for value in values.to_list() if value is not None), Decimal("0.00"))


def bucket_table(buckets: pl.DataFrame, settings: pl.DataFrame) -> pl.DataFrame:
    """Every configured bucket for one month of `bucket_series`, empty ones as zeros, with each
    bucket's share of the month's accounts and balance."""
    table = (
        settings.select("bucket", "sort_order")
        .join(buckets.select("bucket", "accounts", "balance"), on="bucket", how="left")
        .with_columns(
            pl.col("accounts").fill_null(0),
            pl.col("balance").cast(pl.Float64).fill_null(0.0),
        )
        .sort("sort_order")
    )
    total_accounts = table["accounts"].sum()
    total_balance = table["balance"].sum()
    return table.select(
        "bucket",
        "accounts",
        (pl.col("accounts") / total_accounts if total_accounts else pl.lit(None)).alias(
            "account_share"
        ),
        "balance",
        (pl.col("balance") / total_balance if total_balance else pl.lit(None)).alias(
            "balance_share"
        ),
    )


@st.cache_data(show_spinner=False, max_entries=32)
def collected_and_written_off(version: WarehouseVersion, filters: Filters) -> pl.DataFrame:
    """Money collected (net of reversals), recovered after write-off, and written off, by month
    for the slice (mart.portfolio_health)."""
    where, params = filters.where()
    columns = select_list(
        amounts("collected", "recovered", "written_off"),
        count_as("written_off_accounts", "newly_written_off_accounts"),
        counts("paying_accounts"),
    )
    return query(
        version,
        f"""
        SELECT
            month,
            {columns}
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
    where, params = filters.where()
    columns = select_list(
        counts("live_accounts"),
        amounts("live_balance", "delinquent_balance"),
        [sum_over_sum(ratio) for ratio in DPD_RATIOS],
        amounts("collected", "written_off"),
    )
    return query(
        version,
        f"""
        SELECT
            CAST({segment} AS VARCHAR) AS segment,
            {columns}
        FROM mart.portfolio_health
        WHERE {where} AND month = ?
        GROUP BY {segment}
        ORDER BY live_balance DESC NULLS LAST, segment
        LIMIT {MAX_ROWS}
        """,
        [*params, month],
    )


# mart.vintage_curves_by_segment
VINTAGE_RATIO = Rate("delinquent_ratio", "delinquent_accounts", "cohort_accounts")


@st.cache_data(show_spinner=False, max_entries=32)
def vintage_curves(version: WarehouseVersion, filters: Filters, measure: str) -> pl.DataFrame:
    """The slice's vintage curves for one measure (30+, 60+ …): per cohort and month on book, the
    cohort's delinquent accounts over its accounts, both added up over the slice's products and
    branches (mart.vintage_curves_by_segment), month ends in the range."""
    where, params = filters.where(("product", "branch"))
    columns = select_list(
        counts("cohort_accounts", "delinquent_accounts"), sum_over_sum(VINTAGE_RATIO)
    )
    return query(
        version,
        f"""
        SELECT
            vintage, months_on_book,
            {columns}
        FROM mart.vintage_curves_by_segment
        WHERE {where} AND measure = ?
        GROUP BY vintage, months_on_book
        ORDER BY vintage, months_on_book
        LIMIT {MAX_ROWS}
        """,
        [*params, measure],
    )
