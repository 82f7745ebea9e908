"""What the operations pages read: the Loads page (ops.load_runs, ops.loaded_files,
ops.quarantine) and the Data quality page (dq.runs and dq.results, written by `checks`, and the
landed or quarantined rows a finding names). Counts and rows as the loaders and the checks
recorded them; every personal value in them is already masked.
"""

from __future__ import annotations

from typing import Any

import polars as pl
import streamlit as st

from dashboard.reads.connection import MAX_ROWS, WarehouseVersion, query
from warehouse.storage import CATALOG

# --- Loads (ops.*, written by `collections load`) ------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=16)
def load_runs(version: WarehouseVersion, *, limit: int = 50) -> pl.DataFrame:
    """The most recent `collections load` runs, newest first (ops.load_runs)."""
    return query(
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
    """What one load did with each file of its inbox (ops.loaded_files); `refused_before` is the
    first earlier load that refused the same file unchanged (same content), so a refusal is
    reported once, and again only when the file changes."""
    return query(
        version,
        f"""
        SELECT
            f.file_name, f.extract, f.business_date, f.status, f.rows_read, f.rows_landed,
            f.rows_quarantined, f.rows_replaced, f.message,
            (
                SELECT min(e.load_id) FROM ops.loaded_files AS e
                WHERE e.status = 'refused' AND f.status = 'refused' AND e.load_id < f.load_id
                    AND e.file_name = f.file_name AND e.sha256 IS NOT DISTINCT FROM f.sha256
            ) AS refused_before
        FROM ops.loaded_files AS f
        WHERE f.load_id = ?
        ORDER BY
            -- what this load changed first (new and corrected files), then what it refused,
            -- then the files it had already (unchanged)
            CASE status
                WHEN 'landed' THEN 0 WHEN 'replaced' THEN 0 WHEN 'refused' THEN 1 ELSE 2
            END,
            rows_quarantined DESC, extract, business_date, file_name
        LIMIT {MAX_ROWS}
        """,
        [load_id],
    )


# An extract counts as sent daily when a file of it arrived for at least this share of the
# business dates of the window (the dates any file arrived for): a bank's own habit, not a rule.
DAILY_SHARE = 0.8
DAILY_WINDOW_DAYS = 31


@st.cache_data(show_spinner=False, max_entries=16)
def missing_daily_files(version: WarehouseVersion) -> pl.DataFrame:
    """Business dates of the last DAILY_WINDOW_DAYS days (the dates any file arrived for) that
    lack a file of an extract the bank sends daily: one row per extract and date, newest first.
    A refused file counts as arrived (the Loads page reports it already)."""
    return query(
        version,
        f"""
        WITH files AS (
            SELECT DISTINCT extract, business_date
            FROM ops.loaded_files
            WHERE business_date IS NOT NULL AND extract IS NOT NULL
        ),
        window_dates AS (
            SELECT DISTINCT business_date
            FROM files
            WHERE business_date > (SELECT max(business_date) FROM files)
                - INTERVAL {DAILY_WINDOW_DAYS} DAY
        ),
        daily AS (
            SELECT f.extract
            FROM files AS f
            INNER JOIN window_dates AS w USING (business_date)
            GROUP BY f.extract
            HAVING count(*) >= {DAILY_SHARE} * (SELECT count(*) FROM window_dates)
        )
        SELECT d.extract, w.business_date
        FROM daily AS d
        CROSS JOIN window_dates AS w
        ANTI JOIN files AS f ON f.extract = d.extract AND f.business_date = w.business_date
        ORDER BY w.business_date DESC, d.extract
        LIMIT {MAX_ROWS}
        """,
    )


@st.cache_data(show_spinner=False, max_entries=32)
def quarantine_by_file(
    version: WarehouseVersion, load_id: int, *, limit: int = 500
) -> pl.DataFrame:
    """Quarantined rows of one load by file and column (ops.quarantine; counts only, no records)."""
    return query(
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
    return query(
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


# --- Data quality (dq.*, written by `checks`) ----------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=16)
def has_dq(version: WarehouseVersion) -> bool:
    """Whether this warehouse holds data-quality results (one older than the checks has none)."""
    frame = query(
        version,
        "SELECT count(*) AS n FROM information_schema.tables "
        "WHERE table_catalog = ? AND table_schema = 'dq' AND table_name IN ('runs', 'results')",
        [CATALOG],
    )
    return int(frame["n"][0]) == 2


@st.cache_data(show_spinner=False, max_entries=16)
def dq_runs(version: WarehouseVersion, *, limit: int = 50) -> pl.DataFrame:
    """The most recent data-quality runs, newest first (dq.runs)."""
    return query(
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
    return query(
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
    return query(
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
    return query(
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
    return query(
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
    return query(
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
    columns = query(
        version,
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_catalog = ? AND table_schema = 'raw' AND table_name = ? "
        "AND column_name NOT LIKE '%\\_hash' ESCAPE '\\' ORDER BY ordinal_position",
        [CATALOG, name],
    )["column_name"].to_list()
    if not columns:
        return pl.DataFrame()
    return query(
        version,
        f"""
        SELECT {", ".join(f'"{c}"' for c in columns)}
        FROM raw."{name}"
        WHERE _file_name = ? AND _line_number IN ({", ".join("?" for _ in lines)})
        ORDER BY _line_number
        """,
        [file_name, *lines],
    )
