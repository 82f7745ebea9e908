"""The worker process that runs one workbench query, so no query can take the dashboard down.

Started by `warehouse.app.workbench.run` for each query (`python -I`, a bare environment, a
process group of its own) and fed one JSON request on stdin. Before it imports DuckDB it
limits itself with the kernel's help:

* RLIMIT_AS: its whole address space (`Limits.address_space`). A scalar or list function that
  DuckDB's `memory_limit` does not see (`range(0, 150000000)`, `repeat('x', 1e9)`,
  `string_split` of a huge string) fails to allocate here, in this process only;
* RLIMIT_CPU: a little more CPU time than the query's deadline (the kernel ends it even if the
  dashboard that started it died); the dashboard kills it at the deadline anyway;
* RLIMIT_FSIZE 0 (it cannot write a file), RLIMIT_CORE 0 (no core dump with data in it), and
  PR_SET_PDEATHSIG (it dies with the dashboard).

It checks the text again (`guard.check_query`), opens the locked connection
(`connection.connect_locked`), says it is ready (the deadline runs from then), runs the query
and writes back a header (JSON) and the result as an Arrow IPC stream, cut at `max_rows` rows
and `max_bytes` bytes. Columns of types the dashboard cannot hold (INTERVAL, UNION, BIT, ...)
come back as their text, so ordinary date arithmetic (`max(t) - min(t)`, `age(...)`) just works.

Protocol on stdout: b"R" when ready, then an 8-byte big-endian length and the header, then (for
an answer) an 8-byte length and the Arrow stream.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import re
import resource
import signal
import struct
import sys
from typing import Any

READY = b"R"
MAX_REQUEST_BYTES = 1 << 20
# DuckDB types polars (and so the dashboard) cannot hold: such a column comes back as text.
AS_TEXT = re.compile(
    r"\b(INTERVAL|UNION|BIT|BIGNUM|VARINT|VARIANT|GEOMETRY|TIME WITH TIME ZONE)\b", re.IGNORECASE
)


def _frame(out: Any, payload: bytes) -> None:
    out.write(struct.pack(">Q", len(payload)))
    out.write(payload)
    out.flush()


def _limit_process(request: dict[str, Any]) -> None:
    space = int(request["address_space"])
    resource.setrlimit(resource.RLIMIT_AS, (space, space))
    cpu = int(float(request["seconds"])) + 10
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write fails with EFBIG instead of a kill
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    with contextlib.suppress(OSError, AttributeError):  # Linux: die with the parent
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        count = seen.get(name, 0)
        seen[name] = count + 1
        unique.append(name if count == 0 else f"{name}_{count + 1}")
    return unique


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _displayable(relation: Any) -> Any:
    """The relation with unique column names and every column of an AS_TEXT type cast."""
    names = _unique([str(c) for c in relation.columns])
    columns = []
    for position, (name, kind) in enumerate(zip(names, relation.types, strict=True), start=1):
        as_text = AS_TEXT.search(str(kind)) is not None
        expression = f"CAST(#{position} AS VARCHAR)" if as_text else f"#{position}"
        columns.append(f"{expression} AS {_quote(name)}")
    return relation.project(", ".join(columns))


def _rows_that_fit(batch: Any, budget: int) -> int:
    """How many leading rows of `batch` fit in `budget` bytes."""
    low, high = 0, batch.num_rows
    while low < high:
        middle = (low + high + 1) // 2
        if batch.slice(0, middle).nbytes <= budget:
            low = middle
        else:
            high = middle - 1
    return low


def _answer(con: Any, text: str, request: dict[str, Any], out: Any) -> dict[str, Any]:
    import pyarrow as pa

    max_rows, max_bytes = int(request["max_rows"]), int(request["max_bytes"])
    relation = con.sql(text)
    if relation is None:
        return {"status": "refused", "code": "statement", "params": {"statement": "NONE"},
                "message": "refused: the statement returns no rows"}  # fmt: skip
    reader = _displayable(relation).to_arrow_reader(min(max_rows + 1, 2048))
    batches, rows, size, cut_by = [], 0, 0, None
    for batch in reader:
        if rows + batch.num_rows > max_rows:
            batch = batch.slice(0, max_rows - rows)
            cut_by = "rows"
        if size + batch.nbytes > max_bytes:
            fits = _rows_that_fit(batch, max_bytes - size)
            batch = batch.slice(0, fits)
            cut_by = "bytes"
        if batch.num_rows:
            batches.append(batch)
            rows += batch.num_rows
            size += batch.nbytes
        if cut_by:
            break
    if cut_by == "bytes" and rows == 0:
        return {"status": "stopped", "limit": "bytes", "params": {"limit": max_bytes},
                "message": f"stopped: a single row of the result is larger than the "
                f"workbench's result limit of {max_bytes / 2**20:g} MB"}  # fmt: skip
    table = pa.Table.from_batches(batches, schema=reader.schema)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    payload = sink.getvalue().to_pybytes()
    header = {"status": "ok", "rows": rows, "truncated": cut_by is not None, "cut_by": cut_by}
    _frame(out, json.dumps(header).encode())
    _frame(out, payload)
    return header


def _classify(exc: BaseException, request: dict[str, Any]) -> dict[str, Any]:
    """A header for an exception of DuckDB's (or Python's) while the query ran."""
    import duckdb

    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    seconds = float(request["seconds"])
    memory = f"{int(request['address_space']) / 2**30:g} GB"
    if isinstance(exc, duckdb.InterruptException) or "maximum execution time" in str(exc):
        return {"status": "stopped", "limit": "time", "params": {"seconds": seconds},
                "message": f"stopped after {seconds:g} s: the workbench's time limit"}  # fmt: skip
    if isinstance(exc, duckdb.OutOfMemoryException | MemoryError) or "bad allocation" in str(exc):
        return {"status": "stopped", "limit": "memory", "params": {"limit": memory},
                "message": f"stopped: the query needed more memory than the workbench allows "
                f"({memory}; {message})"}  # fmt: skip
    if isinstance(exc, duckdb.PermissionException):
        return {"status": "refused", "code": "engine", "params": {"detail": message},
                "message": "refused: the query tried to reach a file, directory, extension or "
                f"database outside the warehouse ({message})"}  # fmt: skip
    if "read-only" in message.lower():
        return {"status": "refused", "code": "read_only", "params": {"detail": message},
                "message": f"refused: the warehouse is read-only here ({message})"}  # fmt: skip
    if "configuration has been locked" in message or "lock_configuration" in message:
        return {"status": "refused", "code": "locked", "params": {},
                "message": "refused: the workbench's settings are locked"}  # fmt: skip
    return {"status": "failed", "message": message}


def main() -> None:
    # The protocol owns the real stdout; anything else printed goes nowhere.
    out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    request = json.loads(sys.stdin.buffer.read(MAX_REQUEST_BYTES))
    _limit_process(request)
    header: dict[str, Any]
    try:
        from warehouse.app.workbench import connection, guard

        try:
            text = guard.check_query(request["sql"])
        except guard.QueryRefused as exc:
            header = {"status": "refused", "code": exc.code, "params": exc.params,
                      "message": str(exc)}  # fmt: skip
        except guard.QueryFailed as exc:
            header = {"status": "failed", "message": str(exc)}
        else:
            limits = connection.Limits(
                max_rows=int(request["max_rows"]), seconds=float(request["seconds"]),
                memory_limit=str(request["memory_limit"]), threads=int(request["threads"]),
            )  # fmt: skip
            con = connection.connect_locked(request["db"], limits)
            out.write(READY)
            out.flush()
            try:
                header = _answer(con, text, request, out)
            except BaseException as exc:  # every outcome is an answer, never a traceback
                header = _classify(exc, request)
            if header.get("status") == "ok":  # written with its rows
                return
    except BaseException as exc:
        header = {"status": "failed", "message": f"{type(exc).__name__}: {exc}"[:2000]}
    if not header.get("status"):
        header["status"] = "failed"
    _frame(out, json.dumps(header, default=str).encode())


if __name__ == "__main__":
    main()
