"""Landing one file: refuse it whole, or parse, check, mask and buffer its rows.

Per file: refuse it whole (unknown extract, missing required columns, empty, unreadable), or
parse and check every row; good rows go to the extract's `ExtractWriter`, bad rows to
`ops.quarantine`, and the `FileResult` keeps the counts (rows_read = rows_landed +
rows_quarantined). A file identical to the one already landed for that extract and business
date is `unchanged`; a different one `replaced` that date's rows.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import polars as pl

from warehouse.contract import EXTRACTS
from warehouse.contract.files import FileName, FileRefused
from warehouse.landing.files import FileResult, InForce, in_force, same_file, sha256_of
from warehouse.landing.masking import KeyedHasher
from warehouse.landing.reading import LINE, read_extract_file
from warehouse.landing.validation import validate
from warehouse.landing.writing import BatchChecker, ExtractWriter, Replacement
from warehouse.storage.lake import Lake


class Loader:
    def __init__(
        self,
        lake: Lake,
        load_id: int,
        *,
        encoding: str,
        hasher: KeyedHasher,
        bank_timezone: str,
        checks: BatchChecker | None = None,
        verify: bool = False,
    ) -> None:
        con = lake.con
        self.con = con
        self.load_id = load_id
        self.encoding = encoding
        self.hasher = hasher
        self.timezone = bank_timezone
        self.writers = {
            name: ExtractWriter(
                lake,
                extract,
                load_id,
                bank_timezone=bank_timezone,
                checks=checks,
                on_refused=self._refused,
            )
            for name, extract in EXTRACTS.items()
        }
        # Files landed by this run, by (extract, business date): ops.loaded_files only gets them
        # at the end, and a second file for the same date in one inbox must replace the first.
        self.landed_now: dict[tuple[str, date], InForce] = {}
        # The file in force for each extract and date, read once (one query per file is slow).
        self.in_force = in_force(con)
        self.verify = verify

    def _refused(self, result: FileResult) -> None:
        # A file the checks refused landed nothing: a later file for its date replaces nothing.
        if result.extract and result.business_date:
            self.landed_now.pop((result.extract, result.business_date), None)

    def previous(self, extract: str, business_date: date) -> InForce | None:
        if (extract, business_date) in self.landed_now:
            return self.landed_now[(extract, business_date)]
        return self.in_force.get((extract, business_date))

    def land_file(self, path: Path, name: FileName, seen: set[tuple[str, date]]) -> FileResult:
        extract = EXTRACTS[name.extract]
        result = FileResult(path.name, extract.name, name.business_date, "landed")
        stat = path.stat()
        result.size_bytes, result.modified_ns = stat.st_size, stat.st_mtime_ns
        identity = (extract.name, name.business_date)
        if identity in seen:
            # Two files for one extract and date in one inbox: the second corrects the first.
            self.writers[extract.name].flush()
        seen.add(identity)
        previous = self.previous(extract.name, name.business_date)
        if previous is not None and not self.verify and same_file(path, previous):
            result.sha256 = previous.sha256
        else:
            result.sha256 = sha256_of(path)
        if previous and previous.sha256 == result.sha256:
            result.status = "unchanged"
            result.message = (
                f"identical to the file landed by load {previous.load_id}; nothing to do"
            )
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
            replacement = Replacement(name.business_date, previous.load_id)
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
        self.landed_now[identity] = InForce(
            result.sha256, self.load_id, result.size_bytes, result.modified_ns
        )
        return result

    def finish(self) -> None:
        for writer in self.writers.values():
            writer.flush()
        for writer in self.writers.values():
            writer.compact()

    def changes(self) -> dict[str, date]:
        """Per raw relation this load changed, the first month whose rows changed."""
        changed: dict[str, date] = {}
        for writer in self.writers.values():
            for relation, month in writer.changed.items():
                changed[relation] = min(month, changed.get(relation, month))
        return changed

    def land_all(
        self,
        plan: list[tuple[Path, FileName | None, str | None]],
        *,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> list[FileResult]:
        """Land every planned file (`warehouse.landing.files.plan_inbox`); one result each."""
        results: list[FileResult] = []
        seen: set[tuple[str, date]] = set()
        current_extract: str | None = None
        for index, (path, name, refusal) in enumerate(plan):
            if progress:
                progress(path.name, index, len(plan))
            if refusal is not None or name is None:
                results.append(FileResult(path.name, None, None, "refused", refusal or ""))
                continue
            if name.extract != current_extract and current_extract is not None:
                # Files come extract by extract: land what is buffered before the next one.
                self.writers[current_extract].flush(unless_checks_pending=True)
            current_extract = name.extract
            try:
                results.append(self.land_file(path, name, seen))
            except FileRefused as exc:
                results.append(
                    FileResult(path.name, name.extract, name.business_date, "refused", str(exc))
                )
        self.finish()
        return results
