"""The published version of the warehouse, the one cached connection to it, and the one query
function every read goes through.

A load publishes by swapping a new file over the old one (`warehouse.storage.publication`), so
the file's inode and modification time name a version. `warehouse_version()` reads them on every
rerun; the connection (`st.cache_resource`) and every query result (`st.cache_data`, in the area
modules beside this one) are keyed on that version, so the first interaction after a publication
reads the new numbers, without a restart, and never a mix of old and new.

Every query returns at most `MAX_ROWS` rows, so nothing large travels to the browser; lists of
rows (the accounts behind a matrix cell, breaches, a timeline) stop there and say so (`Capped`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple

import duckdb
import polars as pl
import streamlit as st

from warehouse import marts
from warehouse.config import warehouse_path
from warehouse.storage import CATALOG, connect_reader

MAX_ROWS = 100_000


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


@contextmanager
def cursor(version: WarehouseVersion) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor of its own on the version (connections are not shared across threads), for the
    services of `warehouse.app` that take a connection."""
    con = _connection(version).cursor()
    try:
        con.execute(f"USE {CATALOG}")
        yield con
    finally:
        con.close()


def query(
    version: WarehouseVersion, sql: str, params: Sequence[Any] | dict[str, Any] = ()
) -> pl.DataFrame:
    """Run one SELECT on the version; refuses to send more than MAX_ROWS rows."""
    with cursor(version) as con:
        relation = con.sql(sql, params=params if isinstance(params, dict) else list(params))
        assert relation is not None, "a dashboard query is a SELECT"
        frame = relation.pl()
    if frame.height > MAX_ROWS:
        raise RuntimeError(
            f"query returned {frame.height:,} rows; the dashboard sends at most {MAX_ROWS:,}"
        )
    return frame


class Capped(NamedTuple):
    """Rows for the page, and whether more matched than were sent."""

    rows: pl.DataFrame
    capped: bool


def capped(
    version: WarehouseVersion,
    sql: str,
    params: Sequence[Any] | dict[str, Any],
    limit: int,
) -> Capped:
    """The first `limit` rows of `sql` (at most MAX_ROWS), and whether there were more."""
    shown = min(limit, MAX_ROWS)
    frame = query(version, f"{sql}\nLIMIT {shown + 1}", params)
    return Capped(frame.head(shown), frame.height > shown)


# --- What this version holds ---------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=16)
def bank_timezone(version: WarehouseVersion) -> str:
    """The bank's zone this version holds (settings.bank_timezone): every time is shown in it."""
    with cursor(version) as con:
        return marts.bank_timezone(con)


class Publication(NamedTuple):
    version: int
    load_id: int
    published_at: datetime


@st.cache_data(show_spinner=False, max_entries=16)
def publication(version: WarehouseVersion) -> Publication | None:
    """Which publication the file holds (ops.publications), for the caption under every number."""
    frame = query(
        version,
        "SELECT version, load_id, published_at FROM ops.publications ORDER BY version DESC LIMIT 1",
    )
    return Publication(*frame.row(0)) if frame.height else None


@st.cache_data(show_spinner=False, max_entries=16)
def as_of_date(version: WarehouseVersion) -> date | None:
    """The warehouse's latest business date (core.as_of_date): what "data through" means on
    every page. None before the first file with a business date."""
    frame = query(version, "SELECT as_of_date FROM core.as_of_date")
    return frame["as_of_date"][0] if frame.height else None


# What the dashboard added to the warehouse after it was first published: relations, and columns
# of older views (`relation.column`). A warehouse published by an older version lacks them until
# its next load; the pages then say so instead of failing.
DASHBOARD_OBJECTS = (
    "mart.account_timeline",
    "mart.account_migration",
    "settings.alert_thresholds",
    "mart.contact_funnel",
    "mart.contact_slots",
    "mart.compliance_breach_counts",
    "mart.promise_kept_rates.resolved",
    "mart.promise_kept_sensitivity.resolved",
    "mart.plan_performance.ended",
    "mart.reporting_months",
    "mart.account_day_changes",
    "mart.permitted_contact_slots",
    "mart.vintage_curves_by_segment",
)


@st.cache_data(show_spinner=False, max_entries=16)
def missing_objects(version: WarehouseVersion) -> frozenset[str]:
    """Those of DASHBOARD_OBJECTS this version does not hold."""
    frame = query(
        version,
        "SELECT table_schema || '.' || table_name AS relation, column_name "
        "FROM information_schema.columns WHERE table_catalog = current_database()",
    )
    held = set(frame["relation"].to_list())
    held.update(
        f"{relation}.{column}"
        for relation, column in frame.select("relation", "column_name").rows()
    )
    return frozenset(DASHBOARD_OBJECTS) - held


@st.cache_data(show_spinner=False, max_entries=16)
def alert_thresholds(version: WarehouseVersion) -> dict[str, float]:
    """settings.alert_thresholds as numbers (the alerts compare rates and counts with them);
    empty when this version has no such table yet."""
    if "settings.alert_thresholds" in missing_objects(version):
        return {}
    frame = query(version, "SELECT threshold, value FROM settings.alert_thresholds")
    return {row[0]: float(row[1]) for row in frame.iter_rows()}
