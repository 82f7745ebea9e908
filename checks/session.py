"""One run of the data-quality checks, for a load or for `collections check`.

A load creates a `CheckSession` on its staging warehouse and:

1. hands it every batch it is about to insert (`check_batch`, from the loader's flush): the
   extract's suite runs on the batch's witness rows (`frames.witnesses`), failures are traced
   to every offending file and line, and the files that break an `error` expectation are
   returned, to be refused (`checks.batch_pass`);
2. once every file is in and the marts are rebuilt, runs the warehouse-wide suites
   (`check_whole_warehouse`): consistency across extracts, completeness, volume, contact
   screening (`checks.warehouse_pass`), and the marts (`checks.mart_pass`). An `error` there
   fails the whole load (`ChecksFailed`);
3. writes dq.runs / dq.results into the staging copy (`write`, `checks.results`), and builds
   Data Docs.

`collections check` (`warehouse.jobs.check`) re-runs every suite on the published warehouse
through the same publication path, landed suites reading the raw tables in chunks
(`check_table`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

from checks import docs, frames, rules, run, settings, store
from checks.batch_pass import BatchPass
from checks.mart_pass import MartPass
from checks.results import (
    ChecksFailed,
    Planned,
    Results,
    RunSummary,
    describe_failures,
    record_skipped,
)
from checks.results import write as write_results
from checks.store import Finding
from checks.warehouse_pass import WarehousePass
from warehouse.contract import EXTRACTS, Extract

__all__ = ["CheckSession", "ChecksFailed", "RunSummary", "describe_failures", "record_skipped"]

log = logging.getLogger(__name__)


class CheckSession:
    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        *,
        kind: str,
        load_id: int | None,
    ) -> None:
        self.started_at = datetime.now(UTC)
        self._clock = time.perf_counter()
        self.kind = kind
        self.load_id = load_id
        store.ensure(con)
        settings.ensure(con)
        settings.sync(con, self._derived_defaults(con))
        self.settings = settings.read(con)
        self.run_id = store.next_run_id(con)
        self.results = Results(self.settings, kind=kind)
        self.batches = BatchPass(self.results, self._validate, now=self.started_at)
        self.warehouse = WarehousePass(self.results, self._validate, load_id=load_id)
        self.marts = MartPass(
            self.results, self._validate, screened=lambda: self.warehouse.screened
        )
        self._engine: run.Engine | None = None
        self.timings: dict[str, float] = {"setup": time.perf_counter() - self._clock}
        # GX takes seconds to import: start now, in the background, while the files are read.
        run.preload()

    def _derived_defaults(self, con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str, str]]:
        """settings.dq_rules rows for the expectations derived from schemas: the contract's
        rules of every extract, and `queryable` for each published view without a suite."""
        derived: list[tuple[str, str, str, str]] = []
        for extract in EXTRACTS.values():
            for rule in rules.contract_rules(extract):
                derived.append(
                    (rule.suite, rule.name, rule.default_severity or "error", rule.description)
                )
        known = [mart.view for mart in rules.MART_SUITES]
        for view in frames.other_mart_views(con, known):
            rule = rules.queryable_rule(view)
            derived.append(
                (rule.suite, rule.name, rule.default_severity or "error", rule.description)
            )
        return derived

    @property
    def findings(self) -> list[Finding]:
        """The findings recorded so far, outside the landed-batch tallies."""
        return self.results.findings

    @property
    def files_refused(self) -> int:
        return self.batches.files_refused

    # --- Great Expectations -------------------------------------------------------------------

    def ready(self) -> bool:
        """Whether a batch can be validated without waiting for the GX import."""
        return self._engine is not None or run.ready()

    @property
    def engine(self) -> run.Engine:
        if self._engine is None:
            started = time.perf_counter()
            name = f"load-{self.load_id}" if self.kind == "load" else f"check-{self.run_id}"
            self._engine = run.Engine(run_name=name, run_time=self.started_at)
            self._add_time("waiting for the GX import", started)
        return self._engine

    def _add_time(self, step: str, started: float) -> None:
        self.timings[step] = self.timings.get(step, 0.0) + time.perf_counter() - started

    def _validate(
        self, gx_suite: str, label: str, frame: pl.DataFrame, plans: Sequence[Planned]
    ) -> dict[str, run.Outcome]:
        columns = [c for p in plans for c in p.check.reads]
        codes = [p.check.column for p in plans if p.check.kind == "in_set" and p.check.column]
        planned = [run.Planned(p.rule.name, p.check, p.severity, p.description) for p in plans]
        data = frames.to_pandas(frame, columns, categories=codes)
        return self.engine.validate(gx_suite, label, data, planned)

    # --- 1. landed batches --------------------------------------------------------------------

    def batch_plans(self, extract: Extract) -> list[Planned]:
        return self.batches.plans(extract)

    def check_batch(
        self, extract: Extract, batch: pl.DataFrame, *, refuse: bool = True
    ) -> dict[str, str]:
        """Validate rows about to land (every file of one flush; `_file_name` and `_line_number`
        name each row). Returns {file name: reason} for the files an `error` expectation refuses.
        """
        plans = self.batches.plans(extract)
        if not plans or batch.height == 0:
            return {}
        self.engine  # noqa: B018 -- the GX import is timed on its own
        started = time.perf_counter()
        try:
            return self.batches.check(extract, batch, plans, refuse=refuse)
        finally:
            self._add_time("landed batches", started)

    def check_table(self, con: duckdb.DuckDBPyConnection, extract: Extract) -> None:
        """The landed-batch suite over a whole raw table (`collections check`), in chunks."""
        for chunk in self.batches.table_chunks(con, extract):
            self.check_batch(extract, chunk, refuse=False)

    # --- 2. the warehouse as a whole ----------------------------------------------------------

    def check_whole_warehouse(self, con: duckdb.DuckDBPyConnection) -> None:
        """Consistency across extracts, completeness, volume, contact screening, and the marts.

        During a load, per-row checks look at the rows this load landed; during
        `collections check`, at every row. Completeness and the marts always look at all.
        """
        self.engine  # noqa: B018 -- the GX import is timed on its own
        for step, check in (
            ("files", self.warehouse.check_files),
            ("calendar", self.warehouse.check_dates),
            ("contact screening", self.warehouse.check_invalid_contact_points),
            ("marts", self.marts.check_marts),
        ):
            started = time.perf_counter()
            check(con)
            self._add_time(step, started)

    # --- 3. results ---------------------------------------------------------------------------

    def all_findings(self) -> list[Finding]:
        return [*self.batches.findings(), *self.results.findings]

    def blocking(self) -> list[Finding]:
        """Failed `error` expectations that stop the whole load (not those that refused a file)."""
        return self.results.blocking()

    def write(self, con: duckdb.DuckDBPyConnection, *, message: str = "") -> RunSummary:
        return write_results(
            con,
            self.all_findings(),
            run_id=self.run_id,
            load_id=self.load_id,
            kind=self.kind,
            started_at=self.started_at,
            files_refused=self.files_refused,
            timings=self.timings,
            engine=self._engine,
            message=message,
        )

    def build_docs(self, folder: Path, summary: RunSummary, *, published: bool) -> Path | None:
        """Data Docs of this run; a failure to write them is logged, never fatal."""
        if self._engine is None:
            return None
        started = time.perf_counter()
        try:
            index = docs.build(
                self._engine.context,
                folder,
                {
                    "run_id": self.run_id,
                    "kind": self.kind,
                    "load_id": self.load_id,
                    "status": summary.status,
                    "started_at": self.started_at.isoformat(),
                    "published": published,
                },
            )
        except Exception as exc:  # HTML is a convenience; the results are in dq.results
            log.warning("could not build Data Docs in %s: %s", folder, exc)
            return None
        summary.docs_index = index
        summary.timings["data docs"] = time.perf_counter() - started
        return index
