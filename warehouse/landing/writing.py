"""Landing validated rows in the raw relations: in large batches, exactly once, latest wins.

An `ExtractWriter` buffers one extract's validated rows and lands them together. Before a batch
goes in, the data-quality hook (`BatchChecker`, the checks' session during a load) may refuse
whole files of it; then the rows of the files a correction replaces go, the extract's history
keeps every record, and a key that arrives again replaces the earlier row (the later business
date wins), counted in `rows_replaced`.

The rows live in the lake (`warehouse.storage.lake`), one folder per business month: a batch is
written as new files, and a file that loses rows (to a correction, or to a later record of the
same key) is rewritten without them. Each writer also says which months of its relations the
load changed (`changed`), from the contract's dating columns: the rows it added and the rows it
removed (and, for a payment reversal, the payment it cancels).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

import polars as pl

from warehouse.contract import EXTRACTS, Extract
from warehouse.contract.schema import LINEAGE_COLUMNS, Kind
from warehouse.landing.files import FileResult
from warehouse.months import FIRST_MONTH, month_of
from warehouse.storage.lake import Lake, LakeFile

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
    """Buffers one extract's validated rows and lands them in the lake in large batches."""

    def __init__(
        self,
        lake: Lake,
        extract: Extract,
        load_id: int,
        *,
        bank_timezone: str,
        checks: BatchChecker | None = None,
        on_refused: Callable[[FileResult], None] | None = None,
    ) -> None:
        self.lake = lake
        self.con = lake.con
        self.extract = extract
        self.load_id = load_id
        self.bank_timezone = bank_timezone
        self.checks = checks
        self.on_refused = on_refused
        self.frames: list[pl.DataFrame] = []
        self.rows = 0
        self.results: dict[str, FileResult] = {}
        self.replacing: dict[str, Replacement] = {}
        # Per relation this writer changed, the first month whose rows changed.
        self.changed: dict[str, date] = {}
        self._columns = [name for name, _, _ in (*extract.stored_columns(), *LINEAGE_COLUMNS)]
        self._history_columns = (
            [name for name, _, _ in (*extract.history_columns(), *LINEAGE_COLUMNS)]
            if extract.history is not None
            else []
        )

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

    # --- what changed -------------------------------------------------------------------------

    def _note(self, relation: str, month: date | None) -> None:
        if month is not None:
            self.changed[relation] = min(month, self.changed.get(relation, month))

    def _dating_sql(self, alias: str) -> str | None:
        """SQL for the day a row of this extract dates (None: a row may change any month).
        Records of an extract with a history are in force from their business date: the marts
        read them through their versions."""
        return ExtractWriter.dating_of(self.extract, alias, self.bank_timezone)

    def _note_rows(self, relation: str, rows_sql: str, params: Any = None) -> None:
        """Note the month of the earliest row `rows_sql` (a FROM ... WHERE over alias `t`)
        names: rows about to be added or removed."""
        if relation != self.extract.table:  # a history: dated by its business date
            day = "t._business_date"
        else:
            dating = self._dating_sql("t")
            if dating is None:
                self._note(relation, FIRST_MONTH)
                return
            day = dating
        value = self.con.execute(f"SELECT min({day}) {rows_sql}", params).fetchall()[0][0]
        if value is not None:
            self._note(relation, month_of(value))

    def _note_gone(self, relation: str, scan: str, gone_sql: str, params: Any) -> None:
        """Note the rows `gone_sql` names, about to leave `relation` (a scan as alias `t`).

        The latest records of an extract with a history (raw.accounts) are dated for the marts by
        that history, which keeps every record: a record superseded there stays in force until
        the next one's date, so its going from the latest records changes the months from the
        record that replaces it (noted when that record lands, or by the correction that takes
        it away), not from its own date. Readers of the latest records themselves
        (core.accounts) hold them for every month whatever a row's date (`-- Months: every`).
        Only a record the history lacks (a warehouse loaded before it existed, where the latest
        record also stands for every earlier month) changes every month."""
        history = self.extract.history
        if history is None or relation != self.extract.table:
            self._note_rows(relation, f"FROM {scan} AS t WHERE {gone_sql}", params)
            return
        kept = self.lake.files(history.table)
        missing = ""
        if kept:
            on = " AND ".join(f"h.{k} = t.{k}" for k in (*self.extract.key, "_business_date"))
            missing = (
                f" AND NOT EXISTS (SELECT 1 FROM {self.lake.scan([f.path for f in kept])} AS h "
                f"WHERE {on})"
            )
        unkept = self.con.execute(
            f"SELECT count(*) FROM {scan} AS t WHERE ({gone_sql}){missing}", params
        ).fetchall()[0][0]
        if unkept:
            self._note(relation, FIRST_MONTH)

    # --- landing ------------------------------------------------------------------------------

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

    def _remove(self, relation: str, files: list[LakeFile], gone_sql: str, params: Any) -> int:
        """Rewrite each of `files` without the rows `gone_sql` (a condition on alias `t`)
        names; returns how many rows went."""
        removed = 0
        for file in files:
            scan = self.lake.scan([file.path])
            gone = int(
                self.con.execute(
                    f"SELECT count(*) FROM {scan} AS t WHERE {gone_sql}", params
                ).fetchall()[0][0]
            )
            if not gone:
                continue
            self._note_gone(relation, scan, gone_sql, params)
            kept = self.lake.write(
                relation,
                f"SELECT t.* FROM {scan} AS t WHERE NOT ({gone_sql})",
                params,
                month=file.month,
                order_by=self._order(relation),
            )
            self.lake.swap(relation, remove=[file.path], add=kept)
            removed += gone
        return removed

    def _order(self, relation: str) -> list[str]:
        """How the rows of a file are sorted: by account where an account is named (one
        account's rows, for its timeline, sit in one stretch of each file), else by key."""
        columns = {c.name for c in self.extract.columns}
        if "account_id" in columns:
            return ["account_id", *(k for k in self.extract.key if k != "account_id")]
        return list(self.extract.key)

    def compact(self) -> None:
        """Merge the month folders of this writer's relations that hold too many files (a day
        adds one): a reader opens a few files per month, whatever the number of days."""
        relations = [self.extract.table]
        if self.extract.history is not None:
            relations.append(self.extract.history.table)
        for relation in relations:
            if relation in self.changed:
                self.lake.compact(relation, order_by=self._order(relation))

    def _replace_previous(self) -> None:
        """Remove the rows (and quarantine) of the files this batch's corrections replace."""
        for name, replacement in self.replacing.items():
            day = replacement.business_date
            month = (month_of(day), month_of(day))
            removed = self._remove(
                self.extract.table,
                self.lake.files(self.extract.table, month),
                "t._business_date = $day",
                {"day": day},
            )
            if self.extract.history is not None:
                if removed:  # the latest records changed, from that date (`_note_gone`)
                    self._note(self.extract.table, month_of(day))
                history = self.extract.history.table
                self._remove(
                    history,
                    self.lake.files(history, month),
                    "t._business_date = $day",
                    {"day": day},
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

    def _append(self, relation: str, columns: list[str], alias: str) -> None:
        """Write the rows registered as `alias` into `relation`, one folder per business month."""
        self._note_rows(relation, f"FROM {alias} AS t")
        files = self.lake.write_rows(
            relation, f"SELECT {', '.join(columns)} FROM {alias}", order_by=self._order(relation)
        )
        self.lake.swap(relation, add=files)

    def _keep_history(self, batch: pl.DataFrame) -> None:
        """Append every landed record to the extract's history (`Extract.history`), before the
        raw relation keeps only the latest one per key. A corrected file's date was emptied by
        `_replace_previous`; an unchanged file never gets here, so a reload changes nothing."""
        history = self.extract.history
        if history is None:
            return
        rows = batch.select(self._history_columns).unique(
            subset=[*self.extract.key, "_business_date"], keep="last", maintain_order=True
        )
        self.con.register("__history", rows.to_arrow())
        try:
            self._first_records(history.table)
            self._append(history.table, self._history_columns, "__history")
        finally:
            self.con.unregister("__history")

    def _first_records(self, history: str) -> None:
        """A key whose first record this is also stands for the time before it (the first record
        of an account back-fills its earlier months): those months change too, from the
        earliest row of any dated extract that names the key."""
        key = self.extract.key
        existing = self.lake.files(history)
        known = (
            f" AND NOT EXISTS (SELECT 1 FROM {self.lake.scan([f.path for f in existing])} AS h "
            f"WHERE {' AND '.join(f'h.{k} = n.{k}' for k in key)})"
            if existing
            else ""
        )
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE __first_keys AS SELECT DISTINCT {', '.join(key)} "
            f"FROM __history AS n WHERE TRUE{known}"
        )
        try:
            if not self.con.execute("SELECT count(*) FROM __first_keys").fetchall()[0][0]:
                return
            for other in self.referencing:
                files = self.lake.files(other.table)
                dating = ExtractWriter.dating_of(other, "t", self.bank_timezone)
                if not files or dating is None:
                    continue
                on = " AND ".join(f"t.{k} = k.{k}" for k in key)
                self._note_from(
                    history,
                    f"SELECT min({dating}) FROM {self.lake.scan([f.path for f in files])} AS t "
                    f"INNER JOIN __first_keys AS k ON {on}",
                )
        finally:
            self.con.execute("DROP TABLE IF EXISTS __first_keys")

    def _note_from(self, relation: str, sql: str) -> None:
        value = self.con.execute(sql).fetchall()[0][0]
        if value is not None:
            self._note(relation, month_of(value))

    @property
    def referencing(self) -> list[Extract]:
        """The other extracts whose rows name this one's key (an account, an agent)."""
        return [
            other
            for other in EXTRACTS.values()
            if other.name != self.extract.name
            and all(any(c.name == k for c in other.columns) for k in self.extract.key)
        ]

    @staticmethod
    def dating_of(extract: Extract, alias: str, bank_timezone: str) -> str | None:
        """SQL for the day a row of `extract` dates, None when its rows are not dated."""
        if extract.history is not None:
            return f"{alias}._business_date"
        if extract.dated_by is None:
            return None
        column = extract.column(extract.dated_by)
        value = f"{alias}.{column.name}"
        if column.kind == Kind.TIMESTAMP:
            zone = bank_timezone.replace("'", "''")
            return f"CAST({value} AT TIME ZONE '{zone}' AS DATE)"
        return f"CAST({value} AS DATE)"

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
        table = self.extract.table
        self.con.register("__batch", batch.to_arrow())
        try:
            existing = self.lake.files(table)
            if existing:
                batch_rows = self._latest_wins(batch, existing)
                if batch_rows is not None:
                    self.con.unregister("__batch")
                    self.con.register("__batch", batch_rows.to_arrow())
            self._cancelled()
            self._append(table, self._columns, "__batch")
        finally:
            self.con.unregister("__batch")

    def _latest_wins(self, batch: pl.DataFrame, existing: list[LakeFile]) -> pl.DataFrame | None:
        """A key already landed: the earlier row goes (its file is rewritten without it), or, when
        the landed row is from a later business date, the batch's row stays out. Returns the
        batch without those rows, or None when it keeps every row."""
        key = list(self.extract.key)
        table = self.extract.table
        on = " AND ".join(f"t.{k} = b.{k}" for k in key)
        # Only row groups whose keys can overlap the batch are read: the first key column's
        # range (ids and dates mostly grow over time) lets DuckDB skip the rest by its statistics.
        prune_on = self.extract.date_key or key[0]
        low, high = batch.select(
            pl.col(prune_on).min().alias("low"), pl.col(prune_on).max().alias("high")
        ).row(0)
        bounds = {"low": low, "high": high}
        scan = self.lake.scan([f.path for f in existing], filename=True)
        overlap = self.con.execute(
            f"""
            SELECT t.filename, b._file_name,
                   count(*) FILTER (WHERE t._business_date <= b._business_date) AS replaced,
                   count(*) FILTER (WHERE t._business_date > b._business_date) AS newer
            FROM {scan} AS t JOIN __batch AS b ON {on}
            WHERE t.{prune_on} BETWEEN $low AND $high
            GROUP BY ALL
            """,
            bounds,
        ).fetchall()
        if not overlap:
            return None
        touched: set[str] = set()
        newer = 0
        for filename, name, replaced, newer_rows in overlap:
            self.results[name].rows_replaced += replaced
            newer += newer_rows
            if replaced:
                touched.add(filename)
        by_path = {self.lake.absolute(f.path): f for f in existing}
        self._remove(
            table,
            [by_path[name] for name in sorted(touched)],
            f"EXISTS (SELECT 1 FROM __batch AS b WHERE {on} "
            "AND t._business_date <= b._business_date)",
            None,
        )
        if not newer:
            return None
        # Rows older than what the warehouse already holds stay out (latest wins).
        later = self.con.execute(
            f"""
            SELECT DISTINCT b.__pos
            FROM {scan} AS t JOIN __batch AS b ON {on}
            WHERE t.{prune_on} BETWEEN $low AND $high AND t._business_date > b._business_date
            """,
            bounds,
        ).fetchall()
        return batch.filter(~pl.col("__pos").is_in([pos for (pos,) in later]))

    def _cancelled(self) -> None:
        """A row that cancels a landed one (a payment reversal) changes that row's month too."""
        cancels = self.extract.cancels
        existing = self.lake.files(self.extract.table)
        if cancels is None or not existing:
            return
        scan = self.lake.scan([f.path for f in existing])
        self._note_rows(
            self.extract.table,
            f"FROM {scan} AS t INNER JOIN __batch AS b ON b.{cancels.column} = t.{cancels.key} "
            f"WHERE b.{cancels.when}",
        )
