"""Everything the dashboard reads, cached and keyed on the published version of the warehouse.

A load publishes by swapping a new file over the old one (`warehouse.publish`), so the file's
inode and modification time name a version. `warehouse_version()` reads them on every rerun;
the connection (`st.cache_resource`) and every query result (`st.cache_data`) are keyed on that
version, so the first interaction after a publication reads the new numbers, without a restart,
and never a mix of old and new.

The pages only draw. The SQL here selects from the published `mart` and `ops` relations with
WHERE filters and sums of additive columns (counts and balances); measures themselves (buckets,
ratios, risk grades) are defined once, in `sql/`. Every query returns aggregates, never more
than `MAX_ROWS` rows, so nothing large travels to the browser.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import duckdb
import polars as pl
import streamlit as st

from warehouse import marts
from warehouse.config import warehouse_path
from warehouse.storage import CATALOG, connect_reader

MAX_ROWS = 100_000
# A segment the card system left empty (e.g. snapshots of an account whose record has not
# arrived yet) is shown and filtered under this label rather than silently dropped.
NOT_GIVEN = "(not given)"


class WarehouseVersion(NamedTuple):
    """One published version of the warehouse file: a publication replaces the inode."""

    path: str
    inode: int
    mtime_ns: int


def warehouse_version(db: str | os.PathLike[str] | None = None) -> WarehouseVersion | None:
    """The version published right now, or None when nothing has been published yet."""
    target = warehouse_path(db).resolve()
    try:
        stat = target.stat()
    except FileNotFoundError:
        return None
    return WarehouseVersion(str(target), stat.st_ino, stat.st_mtime_ns)


def _close(connection: duckdb.DuckDBPyConnection) -> None:
    # Closing releases the replaced file, which the attach otherwise keeps alive on disk.
    connection.close()


@st.cache_resource(max_entries=2, on_release=_close, show_spinner=False)
def _connection(version: WarehouseVersion) -> duckdb.DuckDBPyConnection:
    # Two entries: the version a session still finishing a rerun uses, and the new one.
    return connect_reader(Path(version.path))


def _query(
    version: WarehouseVersion, sql: str, params: Sequence[Any] | dict[str, Any] = ()
) -> pl.DataFrame:
    """Run one SELECT on a cursor of its own (connections are not shared across threads)."""
    cursor = _connection(version).cursor()
    try:
        cursor.execute(f"USE {CATALOG}")
        relation = cursor.sql(sql, params=params if isinstance(params, dict) else list(params))
        assert relation is not None, "a dashboard query is a SELECT"
        frame = relation.pl()
    finally:
        cursor.close()
    if frame.height > MAX_ROWS:
        raise RuntimeError(
            f"query returned {frame.height:,} rows; the dashboard sends at most {MAX_ROWS:,}"
        )
    return frame


@st.cache_data(show_spinner=False, max_entries=16)
def bank_timezone(version: WarehouseVersion) -> str:
    """The bank's zone this version holds (settings.bank_timezone): every time is shown in it."""
    cursor = _connection(version).cursor()
    try:
        cursor.execute(f"USE {CATALOG}")
        return marts.bank_timezone(cursor)
    finally:
        cursor.close()


# --- The shared slice ---------------------------------------------------------------------------


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
        columns: Sequence[str] = ("product", "branch", "risk_grade"),
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


# --- Portfolio ----------------------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=16)
def months(version: WarehouseVersion) -> list[date]:
    """Every month with a month-end picture, oldest first."""
    frame = _query(version, "SELECT DISTINCT month FROM mart.bucket_month ORDER BY month")
    return frame["month"].to_list()


def _labels(frame: pl.DataFrame, column: str) -> list[str]:
    return [NOT_GIVEN if value is None else value for value in frame[column].to_list()]


@st.cache_data(show_spinner=False, max_entries=16)
def segment_options(version: WarehouseVersion) -> SegmentOptions:
    """The values each segment filter offers; risk grades from least to most severe."""
    products = _query(
        version, "SELECT DISTINCT product FROM mart.bucket_month ORDER BY product NULLS LAST"
    )
    branches = _query(
        version, "SELECT DISTINCT branch FROM mart.bucket_month ORDER BY branch NULLS LAST"
    )
    grades = _query(
        version,
        """
        SELECT DISTINCT m.risk_grade, g.severity
        FROM mart.bucket_month AS m
        LEFT JOIN settings.risk_grades AS g ON m.risk_grade = g.risk_grade
        ORDER BY g.severity NULLS LAST, m.risk_grade NULLS LAST
        """,
    )
    # Teams come from the agents extract (one row per agent: a later file replaces it).
    teams = _query(
        version, "SELECT DISTINCT team FROM raw.agents WHERE team IS NOT NULL ORDER BY team"
    )
    return SegmentOptions(
        _labels(products, "product"),
        _labels(branches, "branch"),
        _labels(grades, "risk_grade"),
        teams["team"].to_list(),
    )


@st.cache_data(show_spinner=False, max_entries=16)
def bucket_settings(version: WarehouseVersion) -> pl.DataFrame:
    """The bucket definitions this version was built with (settings.buckets), in order.

    `live` = a day-range bucket (not Written off/Closed): the book the ratios are taken over;
    `delinquent` = a live bucket of at least one day past due (M1 and worse).
    """
    return _query(
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
    frame = _query(
        version, "SELECT measure FROM settings.delinquency_thresholds ORDER BY min_days_past_due"
    )
    return frame["measure"].to_list()


@st.cache_data(show_spinner=False, max_entries=64)
def bucket_series(version: WarehouseVersion, filters: Filters) -> pl.DataFrame:
    """Accounts and balance by month and bucket for the slice (mart.bucket_month)."""
    where, params = filters.where()
    return _query(
        version,
        f"""
        SELECT
            month, bucket, bucket_order,
            CAST(sum(accounts) AS BIGINT) AS accounts,
            sum(balance) AS balance
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
    return _query(
        version,
        f"""
        SELECT
            month,
            measure,
            CAST(sum(live_accounts) AS BIGINT) AS live_accounts,
            sum(live_balance) AS live_balance,
            CAST(sum(delinquent_accounts) AS BIGINT) AS delinquent_accounts,
            sum(delinquent_balance) AS delinquent_balance,
            sum(delinquent_accounts) / nullif(sum(live_accounts), 0) AS account_ratio,
            sum(delinquent_balance) / nullif(sum(live_balance), 0) AS balance_ratio
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


# --- Provenance and operations ------------------------------------------------------------------


class Publication(NamedTuple):
    version: int
    load_id: int
    published_at: datetime


@st.cache_data(show_spinner=False, max_entries=16)
def publication(version: WarehouseVersion) -> Publication | None:
    """Which publication the file holds (ops.publications), for the caption under every number."""
    frame = _query(
        version,
        "SELECT version, load_id, published_at FROM ops.publications ORDER BY version DESC LIMIT 1",
    )
    return Publication(*frame.row(0)) if frame.height else None


@st.cache_data(show_spinner=False, max_entries=16)
def load_runs(version: WarehouseVersion, *, limit: int = 50) -> pl.DataFrame:
    """The most recent `collections load` runs, newest first (ops.load_runs)."""
    return _query(
        version,
        """
        SELECT
            load_id, status, started_at, finished_at,
            epoch(finished_at - started_at) AS seconds,
            files, files_refused, rows_read, rows_landed, rows_quarantined, inbox
        FROM ops.load_runs
        ORDER BY load_id DESC
        LIMIT ?
        """,
        [limit],
    )


@st.cache_data(show_spinner=False, max_entries=32)
def loaded_files(version: WarehouseVersion, load_id: int) -> pl.DataFrame:
    """What one load did with each file of its inbox (ops.loaded_files)."""
    return _query(
        version,
        f"""
        SELECT
            file_name, extract, business_date, status, rows_read, rows_landed,
            rows_quarantined, rows_replaced, message
        FROM ops.loaded_files
        WHERE load_id = ?
        ORDER BY status = 'refused' DESC, rows_quarantined DESC, extract, business_date, file_name
        LIMIT {MAX_ROWS}
        """,
        [load_id],
    )


@st.cache_data(show_spinner=False, max_entries=32)
def quarantine_by_file(
    version: WarehouseVersion, load_id: int, *, limit: int = 500
) -> pl.DataFrame:
    """Quarantined rows of one load by file and column (ops.quarantine; counts only, no records)."""
    return _query(
        version,
        """
        SELECT
            file_name, column_name, count(*) AS rows, min(line_number) AS first_line,
            min(reason) AS example_reason
        FROM ops.quarantine
        WHERE load_id = ?
        GROUP BY file_name, column_name
        ORDER BY rows DESC, file_name, column_name
        LIMIT ?
        """,
        [load_id, limit],
    )


@st.cache_data(show_spinner=False, max_entries=32)
def quarantine_reasons(version: WarehouseVersion, load_id: int, *, limit: int = 20) -> pl.DataFrame:
    """The most frequent quarantine reasons of one load, with how many files they hit."""
    return _query(
        version,
        """
        SELECT reason, column_name, count(*) AS rows, count(DISTINCT file_name) AS files
        FROM ops.quarantine
        WHERE load_id = ?
        GROUP BY reason, column_name
        ORDER BY rows DESC, reason
        LIMIT ?
        """,
        [load_id, limit],
    )


# --- Data quality (dq.*, written by `checks`) ---------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=16)
def has_dq(version: WarehouseVersion) -> bool:
    """Whether this warehouse holds data-quality results (one older than the checks has none)."""
    frame = _query(
        version,
        "SELECT count(*) AS n FROM information_schema.tables "
        "WHERE table_catalog = ? AND table_schema = 'dq' AND table_name IN ('runs', 'results')",
        [CATALOG],
    )
    return int(frame["n"][0]) == 2


@st.cache_data(show_spinner=False, max_entries=16)
def dq_runs(version: WarehouseVersion, *, limit: int = 50) -> pl.DataFrame:
    """The most recent data-quality runs, newest first (dq.runs)."""
    return _query(
        version,
        """
        SELECT
            run_id, kind, load_id, status, started_at, seconds, expectations,
            failed_errors, failed_warnings, files_refused, gx_version, message
        FROM dq.runs
        ORDER BY run_id DESC
        LIMIT ?
        """,
        [limit],
    )


@st.cache_data(show_spinner=False, max_entries=32)
def dq_failures(version: WarehouseVersion, run_id: int) -> pl.DataFrame:
    """Every failed expectation of one run, errors first, one row per finding (dq.results)."""
    return _query(
        version,
        f"""
        SELECT
            row_number() OVER (
                ORDER BY severity = 'error' DESC, suite, expectation, file_name NULLS FIRST
            ) AS finding,
            severity, suite, expectation, stage, target, file_name, column_name,
            observed_value, unexpected_count, unexpected_percent, action, sample, sample_lines,
            description, expectation_type
        FROM dq.results
        WHERE run_id = ? AND NOT success
        ORDER BY finding
        LIMIT {MAX_ROWS}
        """,
        [run_id],
    )


@st.cache_data(show_spinner=False, max_entries=32)
def dq_failures_by_expectation(version: WarehouseVersion, run_id: int) -> pl.DataFrame:
    """Failed expectations of one run by severity, suite and expectation: files and rows hit."""
    return _query(
        version,
        """
        SELECT
            severity, suite, expectation,
            count(DISTINCT file_name) AS files,
            CAST(sum(unexpected_count) AS BIGINT) AS offending,
            any_value(action) AS action,
            any_value(description) AS description
        FROM dq.results
        WHERE run_id = ? AND NOT success
        GROUP BY severity, suite, expectation
        ORDER BY severity = 'error' DESC, offending DESC NULLS LAST, suite, expectation
        """,
        [run_id],
    )


@st.cache_data(show_spinner=False, max_entries=16)
def dq_trend(version: WarehouseVersion, *, runs: int = 30) -> pl.DataFrame:
    """Failed findings per run, suite and severity over the latest runs (for the trend chart)."""
    return _query(
        version,
        """
        WITH latest AS (
            SELECT run_id, started_at FROM dq.runs ORDER BY run_id DESC LIMIT ?
        )
        SELECT
            l.run_id, l.started_at, r.suite, r.severity,
            count(r.run_id) FILTER (WHERE NOT r.success) AS failures
        FROM latest AS l
        INNER JOIN dq.results AS r ON r.run_id = l.run_id
        GROUP BY ALL
        ORDER BY l.run_id, r.suite, r.severity
        """,
        [runs],
    )


@st.cache_data(show_spinner=False, max_entries=32)
def quarantined_rows(
    version: WarehouseVersion, load_id: int, *, file_name: str | None = None, limit: int = 500
) -> pl.DataFrame:
    """Quarantined rows of one load with their reasons (ops.quarantine; records already masked),
    and whether their file landed or was refused."""
    where = "q.load_id = ?"
    params: list[Any] = [load_id]
    if file_name is not None:
        where += " AND q.file_name = ?"
        params.append(file_name)
    params.append(limit)
    return _query(
        version,
        f"""
        SELECT
            q.file_name, q.line_number, q.column_name, q.reason, f.status AS file_status,
            q.raw_record
        FROM ops.quarantine AS q
        LEFT JOIN ops.loaded_files AS f ON f.load_id = q.load_id AND f.file_name = q.file_name
        WHERE {where}
        ORDER BY q.file_name, q.line_number
        LIMIT ?
        """,
        params,
    )


@st.cache_data(show_spinner=False, max_entries=32)
def landed_file_status(version: WarehouseVersion, file_name: str) -> pl.DataFrame:
    """Each load's verdict on one file name (ops.loaded_files), newest first."""
    return _query(
        version,
        """
        SELECT load_id, status, rows_read, rows_landed, rows_quarantined, message
        FROM ops.loaded_files
        WHERE file_name = ?
        ORDER BY load_id DESC
        LIMIT 20
        """,
        [file_name],
    )


@st.cache_data(show_spinner=False, max_entries=32)
def offending_rows(
    version: WarehouseVersion, table: str, file_name: str, lines: tuple[int, ...]
) -> pl.DataFrame:
    """The landed rows a finding names: `table` (a raw.<extract>) rows of `file_name` at `lines`.

    Keyed hashes are left out (they link rows, they say nothing to a person); every personal
    value in the raw tables is already masked.
    """
    schema, _, name = table.partition(".")
    if schema != "raw" or not name.isidentifier() or not lines:
        return pl.DataFrame()
    columns = _query(
        version,
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_catalog = ? AND table_schema = 'raw' AND table_name = ? "
        "AND column_name NOT LIKE '%\\_hash' ESCAPE '\\' ORDER BY ordinal_position",
        [CATALOG, name],
    )["column_name"].to_list()
    if not columns:
        return pl.DataFrame()
    return _query(
        version,
        f"""
        SELECT {", ".join(f'"{c}"' for c in columns)}
        FROM raw."{name}"
        WHERE _file_name = ? AND _line_number IN ({", ".join("?" for _ in lines)})
        ORDER BY _line_number
        """,
        [file_name, *lines],
    )
