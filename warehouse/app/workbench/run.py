"""Running one workbench query: checked, then run in a worker process of its own.

The dashboard's process never runs a workbench query: `run_query` checks the text
(`guard.check_query`) and hands it to a fresh worker process (`worker.py`) that runs it under
an OS-enforced address-space limit, on the locked connection. The worker is killed (SIGKILL, its
whole process group) at the deadline; at most `max_bytes` of answer are ever read from it. So a
query that would run for minutes, allocate gigabytes in one scalar function, or return a
gigabyte string stops there, the dashboard goes on, and the user is told which limit stopped
it (`QueryStopped.limit`: time, memory, bytes, busy, worker).

At most MAX_WORKERS queries run at once per dashboard process (`COLLECTIONS_WORKBENCH_WORKERS`,
default 2); a query that waits longer than BUSY_WAIT_SECONDS for its turn is stopped as busy.

`run_as` checks the role and writes exactly one audit row per query: answered (rows), refused
(why), failed (DuckDB's message) or stopped (the limit): whatever happens, including an error
nobody foresaw, which becomes a `QueryFailed` rather than a traceback on the page.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from warehouse.app.workbench.connection import DEFAULT_LIMITS, Limits
from warehouse.app.workbench.guard import QueryFailed, QueryRefused, check_query
from warehouse.config import PROJECT_ROOT

WORKER = Path(__file__).with_name("worker.py")
# `python -I` (no environment variables, no user site, no current folder on the path) running
# worker.main with the project importable.
BOOTSTRAP = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from warehouse.app.workbench.worker import main; main()"
)
STARTUP_SECONDS = 60.0  # to import DuckDB and open the warehouse, on a busy machine
GRACE_SECONDS = 1.0  # past the query's own limit, before the kill
HEADER_BYTES = 1 << 16
MAX_WORKERS = max(1, int(os.environ.get("COLLECTIONS_WORKBENCH_WORKERS", "2")))
BUSY_WAIT_SECONDS = 30.0
_TURNS = threading.BoundedSemaphore(MAX_WORKERS)


class QueryStopped(RuntimeError):
    """A limit stopped the query: `limit` is time, memory, bytes, busy or worker, `params` what
    the dashboard needs to say it in the user's language."""

    code = "stopped"

    def __init__(self, which: str, message: str, /, **params: Any) -> None:
        super().__init__(message)
        self.limit = which
        self.params = params


class QueryTimedOut(QueryStopped):
    """The query ran past the time limit and was stopped."""

    def __init__(self, message: str, /, **params: Any) -> None:
        super().__init__("time", message, **params)


@dataclass(frozen=True)
class QueryResult:
    frame: pl.DataFrame
    truncated: bool  # more rows (or bytes) existed than the caps: `frame` holds what fitted
    max_rows: int
    seconds: float
    notes: list[str] = field(default_factory=list)
    cut_by: str | None = None  # rows or bytes, when truncated
    max_bytes: int = DEFAULT_LIMITS.max_bytes

    @property
    def message(self) -> str:
        shown = f"{self.frame.height:,} row(s) in {self.seconds:.2f} s"
        if self.cut_by == "bytes":
            return (
                f"{shown}: the result was larger and was cut at the size limit of "
                f"{self.max_bytes / 2**20:g} MB"
            )
        if self.truncated:
            return (
                f"{shown}: the result had more rows and was cut at the row cap of {self.max_rows:,}"
            )
        return shown


# --- The worker ---------------------------------------------------------------------------------


def _worker_env() -> dict[str, str]:
    """A bare environment: no secret of the dashboard's (mask key, credentials) reaches it."""
    return {"PATH": os.defpath, "LANG": "C.UTF-8", "MALLOC_ARENA_MAX": "2",
            "OMP_NUM_THREADS": "1"}  # fmt: skip


def _kill(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # the worker's own group, started for it alone
    process.wait()


def _frames(buffer: bytes) -> list[bytes]:
    frames, at = [], 0
    while at + 8 <= len(buffer):
        (size,) = struct.unpack(">Q", buffer[at : at + 8])
        if at + 8 + size > len(buffer):
            break
        frames.append(buffer[at + 8 : at + 8 + size])
        at += 8 + size
    return frames


def _exchange(request: dict[str, Any], limits: Limits) -> tuple[dict[str, Any], bytes | None]:
    """Start a worker, give it `request`, read its answer within the deadline and the byte
    budget; (header, Arrow stream or None)."""
    process = subprocess.Popen(
        [sys.executable, "-I", "-c", BOOTSTRAP, str(PROJECT_ROOT)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=_worker_env(),
        start_new_session=True,
        close_fds=True,
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        try:
            process.stdin.write(json.dumps(request).encode("utf-8"))
            process.stdin.close()
        except BrokenPipeError:
            pass
        fd = process.stdout.fileno()
        buffer = bytearray()
        budget = limits.max_bytes + HEADER_BYTES + (1 << 20)
        ready = False
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                _kill(process)
                if ready:
                    raise QueryTimedOut(
                        f"stopped after {limits.seconds:g} s: the workbench's time limit; "
                        "narrow the query (filter a month, aggregate) and try again",
                        seconds=limits.seconds,
                    )
                raise QueryStopped("worker", "stopped: the query's worker did not start in time")
            readable, _, _ = select.select([fd], [], [], remaining)
            if not readable:
                continue
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            buffer += chunk
            if not ready and buffer[:1] == b"R":
                ready = True
                del buffer[:1]
                deadline = time.monotonic() + limits.seconds + GRACE_SECONDS
            if len(buffer) > budget:
                _kill(process)
                raise QueryStopped(
                    "bytes",
                    f"stopped: the result is larger than the workbench's limit of "
                    f"{limits.max_bytes / 2**20:g} MB",
                    limit=limits.max_bytes,
                )
        code = process.wait()
    finally:
        if process.poll() is None:
            _kill(process)
        process.stdout.close()
    frames = _frames(bytes(buffer))
    if not frames:
        if code < 0 and -code in (signal.SIGXCPU, signal.SIGKILL):
            raise QueryTimedOut(
                f"stopped after {limits.seconds:g} s: the workbench's time limit",
                seconds=limits.seconds,
            )
        gigabytes = f"{limits.address_space / 2**30:g} GB"
        raise QueryStopped(
            "memory" if code < 0 else "worker",
            f"stopped: the query's worker ended without an answer (exit {code}); most likely "
            f"it ran into the workbench's memory limit of {gigabytes}",
            limit=gigabytes,
            exit=code,
        )
    try:
        header = json.loads(frames[0])
    except ValueError:
        raise QueryFailed("the query's worker answered something unreadable") from None
    return header, (frames[1] if len(frames) > 1 else None)


def _column(table: pa.Table, index: int) -> pl.Series:
    """One column as polars holds it; a type polars refuses comes back as its text."""
    column = table.column(index)
    name = table.column_names[index]
    try:
        converted = pl.from_arrow(pa.table({name: column}))
        assert isinstance(converted, pl.DataFrame)
        return converted.to_series()
    except BaseException:  # polars raises, or panics, on a type it has no place for
        return pl.Series(name, [None if v is None else str(v) for v in column.to_pylist()],
                         dtype=pl.String)  # fmt: skip


def _frame(stream: bytes) -> pl.DataFrame:
    table = pa.ipc.open_stream(io.BytesIO(stream)).read_all()
    return pl.DataFrame([_column(table, i) for i in range(table.num_columns)])


def _raise_for(header: dict[str, Any], limits: Limits) -> None:
    status = header.get("status")
    message = str(header.get("message", ""))
    params = header.get("params") or {}
    if status == "refused":
        raise QueryRefused(str(header.get("code", "engine")), message, **params)
    if status == "stopped":
        limit = str(header.get("limit", "worker"))
        if limit == "time":
            raise QueryTimedOut(message, **params)
        raise QueryStopped(limit, message, **params)
    if status != "ok":
        raise QueryFailed(message or "the query failed")


def run_query(path: Path, sql: str, *, limits: Limits = DEFAULT_LIMITS) -> QueryResult:
    """Run one read-only query on the published warehouse within `limits`, in a worker.

    Raises QueryRefused (not a read, or it reached outside the warehouse), QueryStopped (a
    limit: time, memory, bytes, busy), QueryTimedOut (the time limit, a QueryStopped) or
    QueryFailed (DuckDB's own error, e.g. an unknown column).
    """
    text = check_query(sql)
    if not Path(path).exists():
        raise QueryFailed(f"no warehouse at {path}: run `collections load INBOX` first")
    if not _TURNS.acquire(timeout=BUSY_WAIT_SECONDS):
        raise QueryStopped(
            "busy",
            f"stopped: {MAX_WORKERS} workbench queries are running already; try again shortly",
            running=MAX_WORKERS,
        )
    started = time.perf_counter()
    try:
        request = {
            "db": str(Path(path).resolve()), "sql": text, "max_rows": limits.max_rows,
            "max_bytes": limits.max_bytes, "seconds": limits.seconds,
            "memory_limit": limits.memory_limit, "threads": limits.threads,
            "address_space": limits.address_space,
        }  # fmt: skip
        header, stream = _exchange(request, limits)
    finally:
        _TURNS.release()
    _raise_for(header, limits)
    if stream is None:
        raise QueryFailed("the query's worker sent no rows")
    frame = _frame(stream)
    return QueryResult(
        frame,
        bool(header.get("truncated")),
        limits.max_rows,
        time.perf_counter() - started,
        cut_by=header.get("cut_by"),
        max_bytes=limits.max_bytes,
    )


def outcome_of(exc: BaseException) -> str:
    """The audit trail's outcome for a query that did not answer."""
    if isinstance(exc, QueryRefused):
        return "refused"
    if isinstance(exc, QueryStopped):
        return "stopped"
    return "failed"


def run_as(
    user: Any,
    path: Path,
    sql: str,
    *,
    store: Any = None,
    limits: Limits = DEFAULT_LIMITS,
) -> QueryResult:
    """`run_query` for a user whose role may use the workbench (warehouse.app.access), refused
    otherwise; with an app store (warehouse.app.store.AppStore) every query gets exactly one
    audit row: who, when, its text, rows and outcome. Any error becomes a QueryFailed."""
    from warehouse.app import access

    if store is not None:
        store.authorise(user, "workbench.query", target="workbench", query=sql)
    else:
        access.require(user, "workbench.query")
    try:
        result = run_query(path, sql, limits=limits)
    except (QueryRefused, QueryStopped, QueryFailed) as exc:
        if store is not None:
            store.audit(user, "workbench.query", allowed=not isinstance(exc, QueryRefused),
                        outcome=outcome_of(exc), detail=f"{type(exc).__name__}: {exc}",
                        query=sql)  # fmt: skip
        raise
    except Exception as exc:  # whatever nobody foresaw: a message and an audit row, not a traceback
        failed = QueryFailed(f"the query could not be run ({type(exc).__name__}: {exc})")
        if store is not None:
            store.audit(user, "workbench.query", allowed=True, outcome="failed",
                        detail=f"QueryFailed: {failed}", query=sql)  # fmt: skip
        raise failed from None
    if store is not None:
        store.audit(user, "workbench.query", allowed=True, outcome="ok", rows=result.frame.height,
                    detail=result.message, query=sql)  # fmt: skip
    return result
