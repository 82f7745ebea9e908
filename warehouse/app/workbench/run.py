"""Running one workbench query: checked, on a locked connection, under a timer and a row cap.

A query runs under a wall-clock timer that interrupts it (`con.interrupt()`), and at most
`max_rows` rows come back; a longer result is cut there and says so. `run_as` checks the role
and writes every query, refusal and failure to the audit trail.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa

from warehouse.app.workbench.connection import DEFAULT_LIMITS, Limits, connect_locked
from warehouse.app.workbench.guard import QueryFailed, QueryRefused, check_query


class QueryTimedOut(RuntimeError):
    """The query ran past the time limit and was stopped."""


@dataclass(frozen=True)
class QueryResult:
    frame: pl.DataFrame
    truncated: bool  # more rows existed than max_rows: `frame` holds the first max_rows
    max_rows: int
    seconds: float
    notes: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        shown = f"{self.frame.height:,} row(s) in {self.seconds:.2f} s"
        if self.truncated:
            return (
                f"{shown}: the result had more rows and was cut at the row cap of {self.max_rows:,}"
            )
        return shown


def _unique_names(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        count = seen.get(name, 0)
        seen[name] = count + 1
        unique.append(name if count == 0 else f"{name}_{count + 1}")
    return unique


def run_query(path: Path, sql: str, *, limits: Limits = DEFAULT_LIMITS) -> QueryResult:
    """Run one read-only query on the published warehouse within `limits`.

    Raises QueryRefused (not a read, or it reached outside the warehouse), QueryTimedOut
    (stopped by the timer) or QueryFailed (DuckDB's own error, e.g. an unknown column).
    """
    text = check_query(sql)
    started = time.perf_counter()
    con = connect_locked(path, limits)
    timed_out = threading.Event()

    def stop() -> None:
        timed_out.set()
        con.interrupt()

    timer = threading.Timer(limits.seconds, stop)
    timer.daemon = True
    timer.start()
    try:
        relation = con.sql(text)
        if relation is None:  # not a query after all (check_query lets none through)
            raise QueryRefused("refused: the statement returns no rows")
        reader = relation.to_arrow_reader(min(limits.max_rows + 1, 100_000))
        batches: list[pa.RecordBatch] = []
        rows = 0
        for batch in reader:
            batches.append(batch)
            rows += batch.num_rows
            if rows > limits.max_rows:
                break
        table = pa.Table.from_batches(batches, schema=reader.schema)
    except duckdb.InterruptException:
        raise QueryTimedOut(
            f"stopped after {limits.seconds:g} s: the workbench's time limit; "
            "narrow the query (filter a month, aggregate) and try again"
        ) from None
    except duckdb.PermissionException as exc:
        raise QueryRefused(
            "refused: the query tried to reach a file, directory, extension or database "
            f"outside the warehouse ({str(exc).splitlines()[0]})"
        ) from None
    except duckdb.Error as exc:
        message = str(exc)
        if timed_out.is_set() or "maximum execution time" in message:
            raise QueryTimedOut(
                f"stopped after {limits.seconds:g} s: the workbench's time limit"
            ) from None
        if "configuration has been locked" in message or "lock_configuration" in message:
            raise QueryRefused("refused: the workbench's settings are locked") from None
        if "read-only" in message.lower() or "attached in read-only mode" in message:
            raise QueryRefused(f"refused: the warehouse is read-only here ({message})") from None
        raise QueryFailed(message) from None
    finally:
        timer.cancel()
        con.close()
    truncated = table.num_rows > limits.max_rows
    if truncated:
        table = table.slice(0, limits.max_rows)
    table = table.rename_columns(_unique_names(table.column_names))
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return QueryResult(frame, truncated, limits.max_rows, time.perf_counter() - started)


def run_as(
    user: Any, path: Path, sql: str, *, store: Any = None, limits: Limits = DEFAULT_LIMITS
) -> QueryResult:
    """`run_query` for a user whose role may use the workbench (warehouse.app.access), refused
    otherwise; with an app store (warehouse.app.store.AppStore) every query, refusal and
    failure is written to the audit trail."""
    from warehouse.app import access

    if store is not None:
        store.authorise(user, "workbench.query", sql[:200])
    else:
        access.require(user, "workbench.query")
    try:
        result = run_query(path, sql, limits=limits)
    except (QueryRefused, QueryTimedOut, QueryFailed) as exc:
        if store is not None:
            store.audit(user, "workbench.query", allowed=isinstance(exc, QueryFailed),
                        detail=f"{type(exc).__name__}: {exc}; {sql[:200]}")  # fmt: skip
        raise
    if store is not None:
        store.audit(user, "workbench.query", allowed=True,
                    detail=f"{result.frame.height} rows; {sql[:200]}")  # fmt: skip
    return result
