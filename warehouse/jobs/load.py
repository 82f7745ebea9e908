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
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from checks import docs as dq_docs
from checks.session import CheckSession, ChecksFailed, RunSummary, describe_failures, record_skipped
from warehouse import marts
from warehouse.landing.files import FileResult, plan_inbox
from warehouse.landing.loader import Loader
from warehouse.landing.masking import KeyedHasher
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
) -> LoadSummary:
    """Land every file of `inbox` into the warehouse at `db` and publish the result atomically.

    With `run_checks` (the default) every batch and then the whole warehouse go through the
    data-quality suites (`checks`); `ChecksFailed` means an `error` expectation on the warehouse
    as a whole failed and nothing was published. Without, the run is recorded as skipped.
    """
    inbox = Path(inbox)
    if not inbox.is_dir():
        raise NotADirectoryError(f"inbox {inbox} is not a folder")
    started = time.perf_counter()
    hasher = KeyedHasher()
    db = Path(db)
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
            con,
            load_id,
            encoding=encoding,
            hasher=hasher,
            bank_timezone=marts.bank_timezone(con),
            checks=session,
        )
        plan = plan_inbox(inbox)
        summary.files = loader.land_all(plan, progress=progress)
        if progress:
            progress("rebuilding marts", len(plan), len(plan))
        summary.mart_seconds = marts.build(
            con, changed=marts.changes_from_load(con, load_id, summary.files)
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


def _record(staging: Staging, summary: LoadSummary, started_at: datetime) -> None:
    con = staging.con
    finished = datetime.now(UTC)
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
                    "rows_read": f.rows_read,
                    "rows_landed": f.rows_landed,
                    "rows_quarantined": f.rows_quarantined,
                    "rows_replaced": f.rows_replaced,
                    "status": f.status,
                    "message": f.message,
                }
                for f in summary.files
            ],
            schema_overrides={"extract": pl.String, "business_date": pl.Date, "sha256": pl.String},
        ).with_columns(pl.lit(finished).alias("loaded_at"))
        con.register("__files", files.to_arrow())
        con.execute("INSERT INTO ops.loaded_files BY NAME SELECT * FROM __files")
        con.unregister("__files")
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
