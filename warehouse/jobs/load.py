"""`collections load INBOX`: land every file of an inbox, exactly once, then publish atomically.

The whole load happens in one publication (`warehouse.storage.publication`): every file is
landed (`warehouse.landing`), the marts refreshed from what changed (`warehouse.marts`), the
data-quality suites run (`checks`), and only then is the staging copy swapped in.

Data quality: each batch is validated by its extract's suite just before it is inserted; a file
that breaks an `error` expectation is refused (its rows stay out, a corrected file it was
replacing stays in). After the marts are rebuilt the warehouse-wide suites run; an `error` there
publishes nothing (`ChecksFailed`). Results go to dq.runs / dq.results in the staging copy, Data
Docs beside the warehouse.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl

from checks import docs as dq_docs
from checks.session import CheckSession, ChecksFailed, RunSummary, describe_failures, record_skipped
from warehouse import marts
from warehouse.contract.files import FileName
from warehouse.landing.files import FileResult, in_force, plan_inbox, same_file, sha256_of
from warehouse.landing.loader import Loader
from warehouse.landing.masking import KeyedHasher
from warehouse.marts.build import Engine
from warehouse.months import FIRST_MONTH
from warehouse.storage.connect import connect_reader
from warehouse.storage.lake import Lake
from warehouse.storage.publication import Staging, publishing

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]


@dataclass
class LoadSummary:
    load_id: int
    inbox: Path
    files: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0
    mart_seconds: dict[str, float] = field(default_factory=dict)
    interrupted_load_discarded: bool = False
    dq: RunSummary | None = None  # None when the checks were skipped (--no-checks)
    published: bool = True  # False: every file was already landed as it is (nothing new)

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def refused(self) -> int:
        return self.count("refused")

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_landed(self) -> int:
        return sum(f.rows_landed for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)


def load_inbox(
    inbox: Path,
    *,
    db: Path,
    encoding: str = "utf-8",
    progress: Progress | None = None,
    run_checks: bool = True,
    verify: bool = False,
    engine: Callable[[Lake], Engine] | None = None,
) -> LoadSummary:
    """Land every file of `inbox` into the warehouse at `db` and publish the result atomically.

    With `run_checks` (the default) every batch and then the whole warehouse go through the
    data-quality suites (`checks`); `ChecksFailed` means an `error` expectation on the warehouse
    as a whole failed and nothing was published. Without, the run is recorded as skipped.

    An inbox whose every file is already landed as it is publishes nothing (`published` is
    False): a file of the same size and modification time as the landed one is taken for it
    without being read, unless `verify` asks to hash every file.

    `engine(lake)` gives the engine the marts are refreshed on (DuckDB when None; Spark:
    `warehouse.jobs.build.engine_for`), with the same months refreshed either way.
    """
    inbox = Path(inbox)
    if not inbox.is_dir():
        raise NotADirectoryError(f"inbox {inbox} is not a folder")
    started = time.perf_counter()
    db = Path(db)
    plan = plan_inbox(inbox)
    unchanged = _all_unchanged(db, plan, verify=verify)
    if unchanged is not None:
        summary = LoadSummary(0, inbox, files=unchanged, published=False)
        summary.seconds = time.perf_counter() - started
        return summary
    hasher = KeyedHasher()
    with publishing(db) as staging:
        if staging.interrupted:
            log.warning(
                "a previous load of %s was interrupted; starting again from the published version",
                db,
            )
        con = staging.con
        load_id = int(
            con.execute("SELECT coalesce(max(load_id), 0) + 1 FROM ops.load_runs").fetchall()[0][0]
        )
        summary = LoadSummary(load_id, inbox, interrupted_load_discarded=staging.interrupted)
        now = datetime.now(UTC)
        # The settings come first: offset-less timestamps are read in the bank's zone.
        marts.ensure_settings(con)
        session = CheckSession(con, kind="load", load_id=load_id) if run_checks else None
        loader = Loader(
            staging.lake,
            load_id,
            encoding=encoding,
            hasher=hasher,
            bank_timezone=marts.bank_timezone(con),
            checks=session,
            verify=verify,
        )
        summary.files = loader.land_all(plan, progress=progress)
        # The files go into ops.loaded_files before the marts: the as-of date is the latest
        # business date of the files held (core.as_of_date), rows or not.
        held_until = _latest_business_date(con)
        _record_files(con, summary)
        changed = loader.changes()
        moved_from = _calendar_moved_from(con, held_until)
        if moved_from is not None:
            changed[marts.LOADED_FILES] = moved_from
        if progress:
            progress("rebuilding marts", len(plan), len(plan))
        summary.mart_seconds = marts.build(
            staging.lake,
            changed=changed,
            engine=engine(staging.lake) if engine is not None else None,
        )
        _record(staging, summary, now)
        if session is None:
            record_skipped(con, load_id, now)
        else:
            if progress:
                progress("checking data quality", len(plan), len(plan))
            session.check_whole_warehouse(con)
            blocking = session.blocking()
            summary.dq = session.write(con)
            if blocking:
                session.build_docs(dq_docs.docs_folder(db), summary.dq, published=False)
                raise ChecksFailed(
                    f"load {load_id} not published: {len(blocking)} data-quality "
                    f"expectation(s) of severity error failed on the warehouse as a whole\n"
                    + describe_failures(blocking),
                    summary.dq,
                )
            dq = summary.dq
            staging.after_publish(
                lambda: session.build_docs(dq_docs.docs_folder(db), dq, published=True)
            )
    summary.seconds = time.perf_counter() - started
    return summary


def _all_unchanged(
    db: Path, plan: list[tuple[Path, FileName | None, str | None]], *, verify: bool
) -> list[FileResult] | None:
    """When every planned file is the one already landed for its extract and date, their
    results; else None (the load must run). Reads the published catalog only."""
    if not plan or not db.exists():
        return None
    con = connect_reader(db)
    try:
        current = in_force(con)
    except duckdb.Error:  # a catalog from before ops.loaded_files had today's columns
        return None
    finally:
        con.close()
    results: list[FileResult] = []
    seen: set[tuple[str, date]] = set()
    for path, name, refusal in plan:
        if refusal is not None or name is None:
            return None
        identity = (name.extract, name.business_date)
        previous = current.get(identity)
        if previous is None or identity in seen:
            return None
        seen.add(identity)
        sha = previous.sha256 if not verify and same_file(path, previous) else sha256_of(path)
        if sha != previous.sha256:
            return None
        stat = path.stat()
        results.append(
            FileResult(
                path.name,
                name.extract,
                name.business_date,
                "unchanged",
                f"identical to the file landed by load {previous.load_id}; nothing to do",
                sha256=sha,
                size_bytes=stat.st_size,
                modified_ns=stat.st_mtime_ns,
            )
        )
    return results


def _latest_business_date(con: duckdb.DuckDBPyConnection) -> date | None:
    """The latest business date of any file held (refused ones are not)."""
    rows = con.execute(
        "SELECT max(business_date) FROM ops.loaded_files WHERE status <> 'refused'"
    ).fetchall()
    return rows[0][0] if rows else None


def _calendar_moved_from(con: duckdb.DuckDBPyConnection, held_until: date | None) -> date | None:
    """When this load's files moved the latest business date on (a header-only file too), the
    first month whose promises and plans may now be judged differently: the month of the first
    day past the earlier latest date (None: the calendar did not move)."""
    latest = _latest_business_date(con)
    if latest is None or (held_until is not None and latest <= held_until):
        return None
    if held_until is None:
        return FIRST_MONTH
    return (held_until + timedelta(days=1)).replace(day=1)


def _record_files(con: duckdb.DuckDBPyConnection, summary: LoadSummary) -> None:
    recorded = datetime.now(UTC)
    if summary.files:
        files = pl.DataFrame(
            [
                {
                    "load_id": summary.load_id,
                    "file_name": f.file_name,
                    "extract": f.extract,
                    "business_date": f.business_date,
                    "sha256": f.sha256,
                    "size_bytes": f.size_bytes,
                    "modified_ns": f.modified_ns,
                    "rows_read": f.rows_read,
                    "rows_landed": f.rows_landed,
                    "rows_quarantined": f.rows_quarantined,
                    "rows_replaced": f.rows_replaced,
                    "status": f.status,
                    "message": f.message,
                }
                for f in summary.files
            ],
            schema_overrides={
                "extract": pl.String,
                "business_date": pl.Date,
                "sha256": pl.String,
                "modified_ns": pl.Int64,
            },
        ).with_columns(pl.lit(recorded).alias("loaded_at"))
        con.register("__files", files.to_arrow())
        con.execute("INSERT INTO ops.loaded_files BY NAME SELECT * FROM __files")
        con.unregister("__files")


def _record(staging: Staging, summary: LoadSummary, started_at: datetime) -> None:
    con = staging.con
    finished = datetime.now(UTC)
    con.execute(
        "INSERT INTO ops.load_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            summary.load_id,
            str(summary.inbox),
            started_at,
            finished,
            len(summary.files),
            summary.refused,
            summary.rows_read,
            summary.rows_landed,
            summary.rows_quarantined,
            "refused files" if summary.refused else "ok",
        ],
    )
    staging.record_publication(summary.load_id, finished)
