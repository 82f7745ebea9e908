"""Landing validated rows in the raw tables: in large batches, exactly once, latest wins.

An `ExtractWriter` buffers one extract's validated rows and lands them together. Before a batch
goes in, the data-quality hook (`BatchChecker`, the checks' session during a load) may refuse
whole files of it; then the rows of the files a correction replaces go, the extract's history
keeps every record, and a key that arrives again replaces the earlier row (the later business
date wins), counted in `rows_replaced`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Protocol

import duckdb
import polars as pl

from warehouse.contract import Extract
from warehouse.contract.schema import LINEAGE_COLUMNS
from warehouse.landing.files import FileResult

FLUSH_ROWS = 1_500_000  # rows buffered per extract before they go into DuckDB together


class BatchChecker(Protocol):
    """What landing asks of the data-quality checks (`checks.CheckSession` during a load)."""

    def check_batch(self, extract: Extract, batch: pl.DataFrame) -> dict[str, str]:
        """{file name: reason} for the files of `batch` an `error` expectation refuses."""
        ...

    def ready(self) -> bool:
        """Whether a batch can be checked now without waiting (GX imports in the background)."""
        ...


@dataclass
class Replacement:
    """A file that replaces an earlier one for its business date, applied when its batch lands
    (after the checks): if the checks refuse it, the earlier file's rows stay."""

    business_date: date
    previous_load_id: int


class ExtractWriter:
    """Buffers one extract's validated rows and lands them in DuckDB in large batches."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        extract: Extract,
        load_id: int,
        *,
        checks: BatchChecker | None = None,
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
        self.replacing: dict[str, Replacement] = {}

    def add(
        self, frame: pl.DataFrame, result: FileResult, replacement: Replacement | None = None
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
