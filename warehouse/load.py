"""`collections load INBOX`: land every file of an inbox, exactly once, then publish atomically.

Per file: refuse it whole (unknown extract, missing required columns, empty, unreadable), or
parse and check every row; good rows land in `raw.<extract>`, bad rows in `ops.quarantine`, and
`ops.loaded_files` records the counts (rows_read = rows_landed + rows_quarantined). A file
identical to the one already landed for that extract and business date is `unchanged`; a
different one `replaced` that date's rows. A key that arrives again in a later file replaces the
earlier row (latest business date wins) and is counted in `rows_replaced`.

Everything happens in a staging copy that is published only when the whole inbox is in and the
marts are rebuilt (see `publish`).

Data quality (`checks`): each batch is validated by its extract's suite just before it is
inserted; a file that breaks an `error` expectation is refused (its rows stay out, a corrected
file it was replacing stays in). After the marts are rebuilt the warehouse-wide suites run; an
`error` there publishes nothing (`ChecksFailed`). Results go to dq.runs / dq.results in the
staging copy, Data Docs beside the warehouse.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import polars as pl

from checks import docs as dq_docs
from checks.session import CheckSession, ChecksFailed, RunSummary, describe_failures, record_skipped
from warehouse import marts
from warehouse.config import bank_timezone
from warehouse.db import connect_writer, ensure_schema
from warehouse.loaders import EXTRACTS, Extract
from warehouse.loaders.reading import (
    LINE,
    FileName,
    FileRefused,
    parse_file_name,
    read_extract_file,
)
from warehouse.loaders.schema import LINEAGE_COLUMNS
from warehouse.loaders.validation import validate
from warehouse.masking import KeyedHasher
from warehouse.publish import (
    discard_stale_staging,
    exclusive_lock,
    prepare_staging,
    publish,
)

log = logging.getLogger(__name__)

FLUSH_ROWS = 1_500_000  # rows buffered per extract before they go into DuckDB together

Progress = Callable[[str, int, int], None]


@dataclass
class FileResult:
    file_name: str
    extract: str | None
    business_date: date | None
    status: str  # landed | replaced | unchanged | refused
    message: str = ""
    sha256: str | None = None
    size_bytes: int = 0
    rows_read: int = 0
    rows_landed: int = 0
    rows_quarantined: int = 0
    rows_replaced: int = 0


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


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class _Replacement:
    """A file that replaces an earlier one for its business date, applied when its batch lands
    (after the checks): if the checks refuse it, the earlier file's rows stay."""

    business_date: date
    previous_load_id: int


class _ExtractWriter:
    """Buffers one extract's validated rows and lands them in DuckDB in large batches."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        extract: Extract,
        load_id: int,
        *,
        checks: CheckSession | None = None,
        on_refused: Callable[[FileResult], None] | None = None,
    ) -> None:
        self.con = con
        self.extract = extract
        self.load_id = load_id
        self.checks = checks
        self.on_refused = on_refused
        self.frames: list[pl.DataFrame] = []
        self.rows = 0
        self.results: dict[str, FileResult] = {}
        self.replacing: dict[str, _Replacement] = {}

    def add(
        self, frame: pl.DataFrame, result: FileResult, replacement: _Replacement | None = None
    ) -> None:
        self.frames.append(frame)
        self.results[result.file_name] = result
        if replacement is not None:
            self.replacing[result.file_name] = replacement
        self.rows += frame.height
        if self.rows >= FLUSH_ROWS:
            self.flush()

    def _refuse(self, batch: pl.DataFrame) -> pl.DataFrame:
        """Run the extract's suite on the batch; drop the files an `error` expectation refuses."""
        if self.checks is None or batch.height == 0:
            return batch
        refused = self.checks.check_batch(self.extract, batch)
        if not refused:
            return batch
        for name, reason in refused.items():
            result = self.results[name]
            result.status = "refused"
            result.rows_landed = 0
            kept = ""
            if name in self.replacing:
                previous = self.replacing.pop(name)
                kept = (
                    f"; the {self.extract.name} rows for {previous.business_date} landed by load "
                    f"{previous.previous_load_id} stay"
                )
            quarantined = (
                f"; its {result.rows_quarantined} quarantined row(s) stay in ops.quarantine "
                "for reference"
                if result.rows_quarantined
                else ""
            )
            result.message = "; ".join(
                part for part in (reason + kept + quarantined, result.message) if part
            )
            if self.on_refused:
                self.on_refused(result)
        return batch.filter(~pl.col("_file_name").is_in(list(refused)))

    def _replace_previous(self) -> None:
        """Remove the rows (and quarantine) of the files this batch's corrections replace."""
        for name, replacement in self.replacing.items():
            removed = self.con.execute(
                f"DELETE FROM {self.extract.table} WHERE _business_date = ?",
                [replacement.business_date],
            ).fetchall()[0][0]
            if self.extract.history is not None:
                self.con.execute(
                    f"DELETE FROM {self.extract.history.table} WHERE _business_date = ?",
                    [replacement.business_date],
                )
            self.con.execute(
                "DELETE FROM ops.quarantine WHERE extract = ? AND business_date = ? "
                "AND NOT (load_id = ? AND file_name = ?)",
                [self.extract.name, replacement.business_date, self.load_id, name],
            )
            result = self.results[name]
            note = (
                f"replaces the {self.extract.name} file for {replacement.business_date} landed by "
                f"load {replacement.previous_load_id} ({removed} rows of that date removed)"
            )
            result.message = "; ".join(part for part in (note, result.message) if part)
        self.replacing = {}

    def _keep_history(self, batch: pl.DataFrame) -> None:
        """Append every landed record to the extract's history (`Extract.history`), before the
        raw table keeps only the latest one per key. A corrected file's date was emptied by
        `_replace_previous`; an unchanged file never gets here, so a reload changes nothing."""
        history = self.extract.history
        if history is None:
            return
        columns = [name for name, _, _ in self.extract.history_columns()]
        columns += [name for name, _, _ in LINEAGE_COLUMNS]
        rows = batch.select(columns).unique(
            subset=[*self.extract.key, "_business_date"], keep="last", maintain_order=True
        )
        self.con.register("__history", rows.to_arrow())
        try:
            self.con.execute(f"INSERT INTO {history.table} BY NAME SELECT * FROM __history")
        finally:
            self.con.unregister("__history")

    def flush(self, *, unless_checks_pending: bool = False) -> None:
        """Land the buffered rows. With `unless_checks_pending`, a small buffer waits while Great
        Expectations is still being imported (a load's first seconds), rather than the load."""
        if not self.frames:
            return
        if (
            unless_checks_pending
            and self.checks is not None
            and not self.checks.ready()
            and self.rows < FLUSH_ROWS
        ):
            return
        key = list(self.extract.key)
        batch = self._refuse(pl.concat(self.frames, how="vertical"))
        self.frames, self.rows = [], 0
        self._replace_previous()
        if batch.height == 0:  # every row of these files was quarantined (or refused)
            return
        self._keep_history(batch)
        batch = batch.with_row_index("__pos")
        # The same key twice in this batch (from two files): the later business date wins.
        repeated = batch.filter(pl.struct(key).is_duplicated())
        if repeated.height:
            batch = batch.sort(["_business_date", "__pos"]).unique(subset=key, keep="last")
            winners = batch.join(repeated.select(key).unique(), on=key, how="semi")
            for name, count in winners.group_by("_file_name").len().iter_rows():
                self.results[name].rows_replaced += count
        batch = batch.drop("__pos")
        table = self.extract.table
        self.con.register("__batch", batch.to_arrow())
        try:
            # fetchall, not fetchone: an unfinished result blocks unregister() (DuckDB 2).
            has_rows = self.con.execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchall()[0][0]
            if not has_rows:
                self.con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM __batch")
                return
            on = " AND ".join(f"t.{k} = b.{k}" for k in key)
            # Only row groups whose keys can overlap the batch are read: the first key column's
            # range (ids and dates mostly grow over time) lets DuckDB skip the rest by zonemap.
            prune_on = self.extract.date_key or key[0]
            low, high = batch.select(
                pl.col(prune_on).min().alias("low"), pl.col(prune_on).max().alias("high")
            ).row(0)
            prune = f" AND t.{prune_on} BETWEEN $low AND $high"
            overlap = self.con.execute(
                f"""
                SELECT b._file_name,
                       count(*) FILTER (WHERE t._business_date <= b._business_date) AS replaced,
                       count(*) FILTER (WHERE t._business_date > b._business_date) AS newer
                FROM {table} AS t JOIN __batch AS b ON {on}{prune}
                GROUP BY 1
                """,
                {"low": low, "high": high},
            ).fetchall()
            if overlap:
                newer = 0
                for name, replaced, newer_rows in overlap:
                    self.results[name].rows_replaced += replaced
                    newer += newer_rows
                self.con.execute(
                    f"DELETE FROM {table} AS t USING __batch AS b "
                    f"WHERE {on} AND t._business_date <= b._business_date{prune}",
                    {"low": low, "high": high},
                )
                if newer:
                    # Rows older than what the warehouse already holds stay out (latest wins).
                    self.con.execute(
                        f"INSERT INTO {table} BY NAME SELECT b.* FROM __batch AS b "
                        f"WHERE NOT EXISTS (SELECT 1 FROM {table} AS t WHERE {on})"
                    )
                    return
            self.con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM __batch")
        finally:
            self.con.unregister("__batch")


class Loader:
    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        load_id: int,
        *,
        encoding: str,
        hasher: KeyedHasher,
        checks: CheckSession | None = None,
    ) -> None:
        self.con = con
        self.load_id = load_id
        self.encoding = encoding
        self.hasher = hasher
        self.timezone = bank_timezone()
        self.writers = {
            name: _ExtractWriter(con, extract, load_id, checks=checks, on_refused=self._refused)
            for name, extract in EXTRACTS.items()
        }
        # Files landed by this run, by (extract, business date): ops.loaded_files only gets them
        # at the end, and a second file for the same date in one inbox must replace the first.
        self.landed_now: dict[tuple[str, date], str] = {}
        # The file in force for each extract and date, read once (one query per file is slow).
        self.in_force: dict[tuple[str, date], tuple[str, int]] = {
            (extract, business_date): (sha, load_id)
            for extract, business_date, sha, load_id in con.execute(
                """
                SELECT extract, business_date, arg_max(sha256, load_id), max(load_id)
                FROM ops.loaded_files
                WHERE status IN ('landed', 'replaced')
                GROUP BY extract, business_date
                """
            ).fetchall()
        }

    def _refused(self, result: FileResult) -> None:
        # A file the checks refused landed nothing: a later file for its date replaces nothing.
        if result.extract and result.business_date:
            self.landed_now.pop((result.extract, result.business_date), None)

    def previous(self, extract: str, business_date: date) -> tuple[str, int] | None:
        if (extract, business_date) in self.landed_now:
            return self.landed_now[(extract, business_date)], self.load_id
        return self.in_force.get((extract, business_date))

    def land_file(self, path: Path, name: FileName, seen: set[tuple[str, date]]) -> FileResult:
        extract = EXTRACTS[name.extract]
        result = FileResult(path.name, extract.name, name.business_date, "landed")
        result.size_bytes = path.stat().st_size
        result.sha256 = sha256_of(path)
        identity = (extract.name, name.business_date)
        if identity in seen:
            # Two files for one extract and date in one inbox: the second corrects the first.
            self.writers[extract.name].flush()
        seen.add(identity)
        previous = self.previous(extract.name, name.business_date)
        if previous and previous[0] == result.sha256:
            result.status = "unchanged"
            result.message = f"identical to the file landed by load {previous[1]}; nothing to do"
            return result

        batch = read_extract_file(path, encoding=self.encoding)
        missing = [c for c in extract.required if c not in batch.columns]
        if missing:
            raise FileRefused(
                f"{path.name}: required column(s) missing: {', '.join(missing)} "
                f"(the {extract.name} extract needs {', '.join(extract.required)})"
            )
        known = {c.name for c in extract.columns}
        extra = [c for c in batch.columns if c not in known]
        checked = validate(batch, extract, hasher=self.hasher, bank_timezone=self.timezone)

        notes = []
        replacement = None
        if previous:
            # The earlier rows of this date go when this file's batch lands (after its checks).
            self.writers[extract.name].flush()
            result.status = "replaced"
            replacement = _Replacement(name.business_date, previous[1])
        if extra:
            notes.append(
                f"ignored column(s) not in the contract: {', '.join(extra)} "
                "(not stored: they could hold personal data)"
            )
        result.rows_read = batch.rows_read
        result.rows_landed = checked.clean.height
        result.rows_quarantined = checked.quarantine.height
        if checked.duplicates:
            notes.append(f"{checked.duplicates} duplicate key row(s) quarantined")
        if result.rows_quarantined:
            notes.append(f"{result.rows_quarantined} row(s) quarantined, see ops.quarantine")
        result.message = "; ".join(notes)

        if checked.quarantine.height:
            quarantine = checked.quarantine.with_columns(
                pl.lit(self.load_id, dtype=pl.Int64).alias("load_id"),
                pl.lit(path.name).alias("file_name"),
                pl.lit(extract.name).alias("extract"),
                pl.lit(name.business_date).alias("business_date"),
            )
            self.con.register("__quarantine", quarantine.to_arrow())
            self.con.execute("INSERT INTO ops.quarantine BY NAME SELECT * FROM __quarantine")
            self.con.unregister("__quarantine")
        clean = checked.clean.rename({LINE: "_line_number"}).with_columns(
            pl.lit(path.name).alias("_file_name"),
            pl.lit(name.business_date).alias("_business_date"),
            pl.lit(self.load_id, dtype=pl.Int64).alias("_load_id"),
        )
        self.writers[extract.name].add(clean, result, replacement)
        self.landed_now[identity] = result.sha256
        return result

    def finish(self) -> None:
        for writer in self.writers.values():
            writer.flush()


def _plan(inbox: Path) -> list[tuple[Path, FileName | None, str | None]]:
    """Every file of the inbox in landing order: extract load order, then business date."""
    planned: list[tuple[Path, FileName | None, str | None]] = []
    for path in sorted(inbox.iterdir()):
        if path.name.startswith("."):
            continue  # hidden files (editor and OS leftovers) are not extracts
        if path.is_dir():
            planned.append(
                (path, None, f"{path.name}: is a folder; an inbox holds extract files only")
            )
            continue
        try:
            name = parse_file_name(path)
        except FileRefused as exc:
            planned.append((path, None, str(exc)))
            continue
        if name.extract not in EXTRACTS:
            planned.append(
                (
                    path,
                    None,
                    f"{path.name}: unknown extract {name.extract!r}; known: {', '.join(EXTRACTS)}",
                )
            )
            continue
        planned.append((path, name, None))

    def order(item: tuple[Path, FileName | None, str | None]) -> tuple[int, date, str]:
        _, name, _ = item
        if name is None:
            return (-1, date.min, item[0].name)
        return (EXTRACTS[name.extract].load_order, name.business_date, item[0].name)

    return sorted(planned, key=order)


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
    with exclusive_lock(db):
        interrupted = discard_stale_staging(db)
        if interrupted:
            log.warning(
                "a previous load of %s was interrupted; starting again from the published version",
                db,
            )
        staging = prepare_staging(db)
        con = connect_writer(staging)
        try:
            ensure_schema(con)
            load_id = con.execute(
                "SELECT coalesce(max(load_id), 0) + 1 FROM ops.load_runs"
            ).fetchone()[0]  # type: ignore[index]
            summary = LoadSummary(load_id, inbox, interrupted_load_discarded=interrupted)
            now = datetime.now(UTC)
            session = CheckSession(con, kind="load", load_id=load_id) if run_checks else None
            loader = Loader(con, load_id, encoding=encoding, hasher=hasher, checks=session)
            plan = _plan(inbox)
            seen: set[tuple[str, date]] = set()
            current_extract: str | None = None
            for index, (path, name, refusal) in enumerate(plan):
                if progress:
                    progress(path.name, index, len(plan))
                if refusal is not None or name is None:
                    summary.files.append(
                        FileResult(path.name, None, None, "refused", refusal or "")
                    )
                    continue
                if name.extract != current_extract and current_extract is not None:
                    # Files come extract by extract: land what is buffered before the next one.
                    loader.writers[current_extract].flush(unless_checks_pending=True)
                current_extract = name.extract
                try:
                    summary.files.append(loader.land_file(path, name, seen))
                except FileRefused as exc:
                    summary.files.append(
                        FileResult(path.name, name.extract, name.business_date, "refused", str(exc))
                    )
            loader.finish()
            if progress:
                progress("rebuilding marts", len(plan), len(plan))
            summary.mart_seconds = marts.build(
                con, changed=marts.changes_from_load(con, load_id, summary.files)
            )
            _record(con, summary, now)
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
            con.execute("CHECKPOINT")
            con.close()
            publish(db)
            if session is not None and summary.dq is not None:
                session.build_docs(dq_docs.docs_folder(db), summary.dq, published=True)
        except BaseException:
            con.close()
            discard_stale_staging(db)  # the staging copy and its write-ahead log
            raise
    summary.seconds = time.perf_counter() - started
    return summary


def _record(con: duckdb.DuckDBPyConnection, summary: LoadSummary, started_at: datetime) -> None:
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
    version = con.execute("SELECT coalesce(max(version), 0) + 1 FROM ops.publications").fetchone()[
        0
    ]  # type: ignore[index]
    con.execute(
        "INSERT INTO ops.publications VALUES (?, ?, ?)", [version, summary.load_id, finished]
    )
