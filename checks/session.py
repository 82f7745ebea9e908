"""One run of the data-quality checks, for a load or for `collections check`.

A load creates a `CheckSession` on its staging warehouse and:

1. hands it every batch it is about to insert (`check_batch`, from the loader's flush): the
   extract's suite runs on the batch's witness rows (`frames.witnesses`), failures are traced
   to every offending file and line, and the files that break an `error` expectation are
   returned, to be refused;
2. once every file is in and the marts are rebuilt, runs the warehouse-wide suites
   (`check_whole_warehouse`): consistency across extracts, completeness, volume, contact screening,
   and the marts. An `error` there fails the whole load (`ChecksFailed`);
3. writes dq.runs / dq.results into the staging copy (`write`), and builds Data Docs.

`collections check` (`warehouse.jobs.check`) re-runs every suite on the published warehouse
through the same publication path, landed suites reading the raw tables in chunks
(`check_table`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from checks import docs, frames, rules, run, settings, store
from checks.rules import BATCH, FILE, LINE, MART, WAREHOUSE, Check, Rule
from checks.store import Finding, RunRow
from warehouse.contract import EXTRACTS, Extract
from warehouse.contract.schema import Kind

log = logging.getLogger(__name__)

CHUNK_ROWS = 1_500_000  # rows per batch when `collections check` reads a raw table
SAMPLE_ROWS = 5
SAMPLE_LINES = 20


class ChecksFailed(RuntimeError):
    """An `error` expectation failed on the warehouse as a whole: nothing is published."""

    def __init__(self, message: str, summary: RunSummary) -> None:
        super().__init__(message)
        self.summary = summary


@dataclass
class RunSummary:
    run_id: int
    kind: str
    status: str
    expectations: int
    failed: list[Finding]
    files_refused: int
    seconds: float
    docs_index: Path | None = None
    timings: dict[str, float] = field(default_factory=dict)  # seconds by step, for benchmarks

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.failed if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.failed if f.severity == "warn"]


@dataclass
class _Planned:
    rule: Rule
    severity: str
    check: Check
    description: str


@dataclass
class _FileFailure:
    count: int = 0
    rows: int = 0
    lines: list[int] = field(default_factory=list)
    samples: list[str] = field(default_factory=list)


@dataclass
class _BatchTally:
    """One landed-batch expectation across every batch of the run."""

    planned: _Planned
    expectation_type: str | None = None
    element_count: int = 0
    failures: dict[str, _FileFailure] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # GX could not evaluate it


def _text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, datetime | date):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    return str(value)


def _percent(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


def _sample_columns(extract: Extract, column: str | None) -> list[str]:
    """Columns that name an offending landed row: its key and the checked column, never a hash
    or free text (the warehouse holds masked values only, and samples take nothing else)."""
    names = list(extract.key)
    if column and column not in names:
        declared = {c.name: c for c in extract.columns}.get(column)
        if declared is not None and declared.kind != Kind.FREE_TEXT:
            names.append(rules.stored_name(declared))
    return names


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
        self.findings: list[Finding] = []
        self._tallies: dict[tuple[str, str], _BatchTally] = {}
        self._batch_plans: dict[str, list[_Planned]] = {}
        self._engine: run.Engine | None = None
        self._batches = 0
        self.files_refused = 0
        self._now = self.started_at
        self.timings: dict[str, float] = {"setup": time.perf_counter() - self._clock}
        # GX takes seconds to import: start now, in the background, while the files are read.
        run.preload()

    # --- settings -----------------------------------------------------------------------------

    def _derived_defaults(self, con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str, str]]:
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

    def _plan(self, rule: Rule) -> _Planned | None:
        """The rule with its severity and thresholds, or None when it is off.

        A policy rule without a row in settings.dq_rules is reported (as a warning) and skipped.
        """
        setting = self.settings.get(*rule.key)
        if setting is None and rule.default_severity is None:
            self._record_problem(rule, "warn", "no row in settings.dq_rules for this expectation")
            return None
        severity = setting.severity if setting else rule.default_severity
        if severity == "off":
            return None
        thresholds = setting.thresholds if setting else {}
        try:
            check = rule.check(thresholds)
        except (ValueError, TypeError, KeyError) as exc:
            self._record_problem(rule, severity or "warn", f"settings.dq_rules thresholds: {exc}")
            return None
        description = setting.description if setting and setting.description else rule.description
        return _Planned(rule, severity or "error", check, description)

    def _record_problem(self, rule: Rule, severity: str, problem: str) -> None:
        self.findings.append(
            self._finding(
                rule,
                severity,
                rule.description,
                stage=rule.stage,
                target=rule.suite,
                success=False,
                observed_value=f"not checked: {problem}",
            )
        )

    def _action(self, severity: str, stage: str) -> str:
        if severity != "error":
            return "flagged"
        if self.kind == "check":
            return "check failed"
        return "file refused" if stage == BATCH else "load refused"

    def _finding(
        self,
        rule: Rule,
        severity: str,
        description: str,
        *,
        stage: str,
        target: str,
        success: bool,
        **found: Any,
    ) -> Finding:
        """A dq.results row about `rule`; a failure carries the action its severity takes."""
        return Finding(
            suite=rule.suite,
            expectation=rule.name,
            stage=stage,
            target=target,
            column_name=rule.column,
            severity=severity,
            success=success,
            action=None if success else self._action(severity, stage),
            description=description,
            **found,
        )

    def _planned_finding(self, plan: _Planned, **fields: Any) -> Finding:
        return self._finding(plan.rule, plan.severity, plan.description, **fields)

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
        self, gx_suite: str, label: str, frame: pl.DataFrame, plans: Sequence[_Planned]
    ) -> dict[str, run.Outcome]:
        columns = [c for p in plans for c in p.check.reads]
        codes = [p.check.column for p in plans if p.check.kind == "in_set" and p.check.column]
        planned = [run.Planned(p.rule.name, p.check, p.severity, p.description) for p in plans]
        data = frames.to_pandas(frame, columns, categories=codes)
        return self.engine.validate(gx_suite, label, data, planned)

    # --- 1. landed batches --------------------------------------------------------------------

    def batch_plans(self, extract: Extract) -> list[_Planned]:
        if extract.name not in self._batch_plans:
            policy, misconfigured = rules.policy_batch_rules(extract, self.settings, now=self._now)
            for problem in misconfigured:
                log.warning("settings.dq_rules: %s", problem)
            plans = [self._plan(rule) for rule in [*rules.contract_rules(extract), *policy]]
            self._batch_plans[extract.name] = [p for p in plans if p is not None]
        return self._batch_plans[extract.name]

    def check_batch(
        self, extract: Extract, batch: pl.DataFrame, *, refuse: bool = True
    ) -> dict[str, str]:
        """Validate rows about to land (every file of one flush; `_file_name` and `_line_number`
        name each row). Returns {file name: reason} for the files an `error` expectation refuses.
        """
        plans = self.batch_plans(extract)
        if not plans or batch.height == 0:
            return {}
        self.engine  # noqa: B018 -- the GX import is timed on its own
        started = time.perf_counter()
        try:
            return self._check_batch(extract, batch, plans, refuse=refuse)
        finally:
            self._add_time("landed batches", started)

    def _check_batch(
        self, extract: Extract, batch: pl.DataFrame, plans: list[_Planned], *, refuse: bool
    ) -> dict[str, str]:
        self._batches += 1
        label = f"batch-{self._batches}"
        witness = frames.witnesses(batch, [p.check for p in plans])
        outcomes = self._validate(f"{extract.table}.batch", label, witness, plans)
        refused: dict[str, list[str]] = {}
        rows_per_file: dict[str, int] = {}
        if not all(o.success for o in outcomes.values()) or len(outcomes) < len(plans):
            rows_per_file = dict(batch.group_by(FILE).len().iter_rows())
        for plan in plans:
            outcome = outcomes.get(plan.rule.name)
            tally = self._tallies.setdefault(plan.rule.key, _BatchTally(plan))
            tally.element_count += batch.height
            if outcome is None:
                tally.problems.append("no result from Great Expectations")
                continue
            tally.expectation_type = outcome.expectation_type
            if outcome.success:
                continue
            if outcome.exception or not outcome.positions:
                problem = (
                    outcome.exception or f"failed without offending rows ({outcome.observed_value})"
                )
                tally.problems.append(problem)
                if plan.severity == "error":  # nothing proven about any file of this batch
                    for name in rows_per_file:
                        refused.setdefault(name, []).append(
                            f"{plan.rule.suite}/{plan.rule.name}: {problem}"
                        )
                continue
            for name, failure in self._trace(extract, batch, plan, rows_per_file):
                merged = tally.failures.setdefault(name, _FileFailure())
                merged.count += failure.count
                merged.rows += failure.rows
                merged.lines = sorted([*merged.lines, *failure.lines])[:SAMPLE_LINES]
                merged.samples = [*merged.samples, *failure.samples][:SAMPLE_ROWS]
                if plan.severity == "error":
                    refused.setdefault(name, []).append(self._reason(plan, failure))
        if not refuse:
            return {}
        self.files_refused += len(refused)
        return {
            name: "refused by data-quality check(s): "
            + "; ".join(reasons[:3])
            + (f"; and {len(reasons) - 3} more" if len(reasons) > 3 else "")
            + "; nothing of this file landed"
            for name, reasons in refused.items()
        }

    def _trace(
        self,
        extract: Extract,
        batch: pl.DataFrame,
        plan: _Planned,
        rows_per_file: Mapping[str, int],
    ) -> Iterator[tuple[str, _FileFailure]]:
        """Every row of the batch that breaks the check, by file: count, lines, a masked sample.

        Great Expectations decided that the check failed (on the witness rows); the count and
        the lines come from the whole batch.
        """
        shown = [c for c in _sample_columns(extract, plan.rule.column) if c in batch.columns]
        offending = (
            batch.filter(frames.offending(plan.check)).select(FILE, LINE, *shown).sort(FILE, LINE)
        )
        for (name,), rows in offending.group_by(FILE, maintain_order=True):
            lines = rows[LINE].head(SAMPLE_LINES).to_list()
            samples = [
                f"line {row[LINE]}: " + ", ".join(f"{c}={_text(row[c])}" for c in shown)
                for row in rows.head(SAMPLE_ROWS).iter_rows(named=True)
            ]
            yield str(name), _FileFailure(rows.height, rows_per_file.get(name, 0), lines, samples)

    @staticmethod
    def _reason(plan: _Planned, failure: _FileFailure) -> str:
        where = ", ".join(str(line) for line in failure.lines[:5])
        return (
            f"{plan.rule.suite}/{plan.rule.name} ({plan.severity}): {failure.count} of "
            f'{failure.rows} row(s) break "{plan.description}" (line(s) {where})'
        )

    def _batch_findings(self) -> list[Finding]:
        found: list[Finding] = []
        for tally in self._tallies.values():
            common = dict(
                stage=BATCH,
                target=tally.planned.rule.suite,
                expectation_type=tally.expectation_type,
            )
            for problem in tally.problems[:1]:
                found.append(
                    self._planned_finding(
                        tally.planned,
                        **common,
                        success=False,
                        observed_value=f"not checked: {problem}",
                        element_count=tally.element_count,
                    )
                )
            for name, failure in sorted(tally.failures.items()):
                found.append(
                    self._planned_finding(
                        tally.planned,
                        **common,
                        success=False,
                        file_name=name,
                        observed_value=f"{failure.count:,} of {failure.rows:,} rows",
                        element_count=failure.rows,
                        unexpected_count=failure.count,
                        unexpected_percent=_percent(failure.count, failure.rows),
                        sample="; ".join(failure.samples),
                        sample_lines=failure.lines,
                    )
                )
            if not tally.problems and not tally.failures:
                found.append(
                    self._planned_finding(
                        tally.planned,
                        **common,
                        success=True,
                        observed_value=f"{tally.element_count:,} rows, none offending",
                        element_count=tally.element_count,
                        unexpected_count=0,
                        unexpected_percent=0.0,
                    )
                )
        return found

    def check_table(self, con: duckdb.DuckDBPyConnection, extract: Extract) -> None:
        """The landed-batch suite over a whole raw table (`collections check`), in chunks."""
        plans = self.batch_plans(extract)
        if not plans:
            return
        needed = {c for p in plans for c in p.check.reads} | {FILE, LINE, *extract.key}
        for plan in plans:
            needed.update(c for c in _sample_columns(extract, plan.rule.column))
        stored = [name for name, _, _ in extract.stored_columns()]
        columns = [c for c in [*stored, FILE, LINE] if c in needed]
        relation = con.sql(
            f"SELECT {', '.join(columns)} FROM {extract.table} ORDER BY {FILE}, {LINE}"
        )
        assert relation is not None
        reader = relation.to_arrow_reader(CHUNK_ROWS)
        for record_batch in reader:
            chunk = pl.from_arrow(record_batch)
            assert isinstance(chunk, pl.DataFrame)
            if chunk.height:
                self.check_batch(extract, chunk, refuse=False)

    # --- 2. the warehouse as a whole ----------------------------------------------------------

    def check_whole_warehouse(self, con: duckdb.DuckDBPyConnection) -> None:
        """Consistency across extracts, completeness, volume, contact screening, and the marts.

        During a load, per-row checks look at the rows this load landed; during
        `collections check`, at every row. Completeness and the marts always look at all.
        """
        self.engine  # noqa: B018 -- the GX import is timed on its own
        for step, check in (
            ("files", self._check_files),
            ("calendar", self._check_dates),
            ("contact screening", self._check_invalid_contact_points),
            ("marts", self._check_marts),
        ):
            started = time.perf_counter()
            check(con)
            self._add_time(step, started)

    def _unchecked(self, plans: Sequence[_Planned], target: str, error: Exception) -> None:
        for plan in plans:
            self.findings.append(
                self._planned_finding(
                    plan,
                    stage=plan.rule.stage,
                    target=target,
                    success=False,
                    observed_value=f"not checked: {str(error).splitlines()[0]}",
                )
            )

    def _check_files(self, con: duckdb.DuckDBPyConnection) -> None:
        for extract in EXTRACTS.values():
            measures = [m for m in rules.FILE_MEASURES if m.extract == extract.name]
            plans: list[_Planned] = []
            with_thresholds: list[tuple[rules.FileMeasure, Mapping[str, Any]]] = []
            for measure in measures:
                plan = self._plan(measure.rule())
                if plan:
                    plans.append(plan)
                    setting = self.settings.get(*measure.rule().key)
                    with_thresholds.append((measure, setting.thresholds if setting else {}))
            volume_plan = self._plan(rules.volume_rule(extract.name))
            volume = None
            if volume_plan:
                plans.append(volume_plan)
                setting = self.settings.get(extract.table, rules.VOLUME)
                volume = setting.thresholds if setting else {}
            if not plans:
                continue
            try:
                frame = frames.files_frame(con, extract.name, with_thresholds, volume, self.load_id)
            except (duckdb.Error, ValueError) as exc:
                self._unchecked(plans, extract.table, exc)
                continue
            if frame.is_empty():
                continue
            label = "files"
            outcomes = self._validate(f"{extract.table}.files", label, frame, plans)
            for plan in plans:
                self._file_findings(extract.table, plan, outcomes.get(plan.rule.name), frame)

    def _file_findings(
        self, target: str, plan: _Planned, outcome: run.Outcome | None, frame: pl.DataFrame
    ) -> None:
        """One finding per offending file (a row of the files frame), or one for all when none."""
        rule = plan.rule
        column = plan.check.column or ""
        common = dict(
            stage=WAREHOUSE,
            target=target,
            expectation_type=outcome.expectation_type if outcome else None,
        )
        if outcome is None or outcome.exception:
            problem = outcome.exception if outcome else "no result from Great Expectations"
            self.findings.append(
                self._planned_finding(
                    plan, **common, success=False, observed_value=f"not checked: {problem}"
                )
            )
            return
        if outcome.success:
            checked = frame.filter(pl.col(column).is_not_null())
            measured = int(checked["rows_landed"].sum()) if rule.counts_rows else checked.height
            unit = "rows" if rule.counts_rows else "files"
            self.findings.append(
                self._planned_finding(
                    plan,
                    **common,
                    success=True,
                    observed_value=f"{measured:,} {unit}, none offending",
                    element_count=measured,
                    unexpected_count=0,
                    unexpected_percent=0.0,
                )
            )
            return
        for position in outcome.positions:
            row = frame.row(position, named=True)
            if rule.counts_rows:
                count, rows = int(row[column]), int(row["rows_landed"] or 0)
                observed = f"{count:,} of {rows:,} rows"
                sample = "; ".join(row.get(f"{rule.name}__sample") or []) or None
                lines = list(row.get(f"{rule.name}__lines") or []) or None
            else:  # volume: the file itself is the offending unit
                count, rows = 1, 1
                observed = (
                    f"{row['rows_read']:,} rows = {row['volume_ratio']:.2f} x the trailing median "
                    f"({row['trailing_median']:,.0f}) of {row['day_kind']} files"
                )
                sample, lines = observed, None
            self.findings.append(
                self._planned_finding(
                    plan,
                    **common,
                    success=False,
                    file_name=row["file_name"],
                    observed_value=observed,
                    element_count=rows,
                    unexpected_count=count,
                    unexpected_percent=_percent(count, rows),
                    sample=sample,
                    sample_lines=lines,
                )
            )

    def _summary_finding(
        self,
        plan: _Planned,
        outcome: run.Outcome | None,
        frame: pl.DataFrame,
        *,
        target: str,
        stage: str,
        describe: Sequence[str],
    ) -> None:
        """One finding for a whole frame (calendar days, months, slices): the offending rows
        are named by the `describe` columns in the sample."""
        common = dict(
            stage=stage,
            target=target,
            expectation_type=outcome.expectation_type if outcome else None,
            element_count=frame.height,
        )
        if outcome is None or outcome.exception:
            problem = outcome.exception if outcome else "no result from Great Expectations"
            self.findings.append(
                self._planned_finding(
                    plan, **common, success=False, observed_value=f"not checked: {problem}"
                )
            )
            return
        column = plan.check.column
        if plan.check.kind == "row_count_equal":
            offending = frame
            count = frame.height
            observed = f"{frame.height:,} row(s)"
        else:
            positions = pl.Series(outcome.positions, dtype=pl.Int64)
            offending = frame[positions] if outcome.positions else frame.clear()
            summed = plan.rule.counts_rows and column and offending.height
            count = int(offending[column].sum()) if summed else offending.height
            observed = (
                f"{offending.height:,} of {frame.height:,} row{'' if frame.height == 1 else 's'}"
            )
        sample = None
        if not outcome.success and offending.height:
            shown = [c for c in describe if c in offending.columns]
            if plan.check.kind == "between" and column not in shown and column in offending.columns:
                shown.append(column)  # the value that is out of bounds
            sample = "; ".join(
                ", ".join(f"{c}={_text(r[c])}" for c in shown)
                for r in offending.head(SAMPLE_ROWS * 2).iter_rows(named=True)
            )
        self.findings.append(
            self._planned_finding(
                plan,
                **common,
                success=bool(outcome.success),
                observed_value=observed,
                unexpected_count=0 if outcome.success else count,
                unexpected_percent=_percent(offending.height, frame.height) or 0.0,
                sample=sample,
            )
        )

    def _check_dates(self, con: duckdb.DuckDBPyConnection) -> None:
        for dates in rules.DATES_PRESENT:
            plan = self._plan(dates.rule())
            if plan is None:
                continue
            try:
                frame = frames.dates_frame(con, dates)
            except duckdb.Error as exc:
                self._unchecked([plan], dates.suite, exc)
                continue
            if frame.is_empty():
                continue
            outcomes = self._validate(f"{dates.suite}.calendar", "calendar", frame, [plan])
            self._summary_finding(
                plan,
                outcomes.get(plan.rule.name),
                frame,
                target="ops.loaded_files",
                stage=WAREHOUSE,
                describe=["business_date"],
            )

    def _check_invalid_contact_points(self, con: duckdb.DuckDBPyConnection) -> None:
        plan = self._plan(rules.INVALID_CONTACT_POINTS)
        if plan is None:
            return
        try:
            frame = frames.invalid_contact_points_frame(con)
        except duckdb.Error as exc:
            self._unchecked([plan], "mart.invalid_contact_points", exc)
            return
        outcomes = self._validate("raw.contacts.screening", "screening", frame, [plan])
        self._summary_finding(
            plan,
            outcomes.get(plan.rule.name),
            frame,
            target="mart.invalid_contact_points",
            stage=WAREHOUSE,
            describe=["contact_number_masked", "account_id", "wrong_number_outcomes"],
        )

    def _check_marts(self, con: duckdb.DuckDBPyConnection) -> None:
        for mart in rules.MART_SUITES:
            plans = [p for p in (self._plan(rule) for rule in mart.rules) if p]
            if not plans:
                continue
            try:
                frame = frames.mart_frame(con, mart)
            except duckdb.Error as exc:
                self._unchecked(plans, mart.suite, exc)
                continue
            outcomes = self._validate(mart.suite, "mart", frame, plans)
            for plan in plans:
                self._summary_finding(
                    plan,
                    outcomes.get(plan.rule.name),
                    frame,
                    target=mart.suite,
                    stage=MART,
                    describe=mart.index,
                )
        self._check_other_views(con)

    def _check_other_views(self, con: duckdb.DuckDBPyConnection) -> None:
        """Every other published view, in one validation: it builds and answers (queryable)."""
        plans = {}
        for view in frames.other_mart_views(con, [m.view for m in rules.MART_SUITES]):
            plan = self._plan(rules.queryable_rule(view))
            if plan is not None:
                plans[view] = plan
        if not plans:
            return
        frame = frames.views_frame(con, plans)
        together = _Planned(
            Rule(
                "mart.*",
                rules.QUERYABLE,
                "each published view builds and answers",
                MART,
                lambda _t: Check("not_null", column="answers"),
            ),
            "error",
            Check("not_null", column="answers"),
            "each published view builds and answers",
        )
        outcome = self._validate("mart.views", "views", frame, [together]).get(rules.QUERYABLE)
        broken = set(outcome.positions) if outcome else set(range(frame.height))
        for position, row in enumerate(frame.iter_rows(named=True)):
            plan = plans[row["view"]]
            ok = outcome is not None and not outcome.exception and position not in broken
            self.findings.append(
                self._planned_finding(
                    plan,
                    stage=MART,
                    target=plan.rule.suite,
                    success=ok,
                    expectation_type=outcome.expectation_type if outcome else None,
                    observed_value="answers" if ok else f"does not answer: {row['error']}",
                    element_count=1,
                    unexpected_count=0 if ok else 1,
                    unexpected_percent=0.0 if ok else 100.0,
                )
            )

    # --- 3. results ---------------------------------------------------------------------------

    def all_findings(self) -> list[Finding]:
        return [*self._batch_findings(), *self.findings]

    def blocking(self) -> list[Finding]:
        """Failed `error` expectations that stop the whole load (not those that refused a file)."""
        return [f for f in self.findings if not f.success and f.severity == "error"]

    def write(self, con: duckdb.DuckDBPyConnection, *, message: str = "") -> RunSummary:
        findings = self.all_findings()
        failed = [f for f in findings if not f.success]
        errors = sum(1 for f in failed if f.severity == "error")
        warnings = sum(1 for f in failed if f.severity == "warn")
        status = "failed" if errors else ("warned" if warnings else "passed")
        # Time spent checking (not the load's own work in between), GX import wait included.
        seconds = sum(v for step, v in self.timings.items() if "included above" not in step)
        expectations = len({(f.suite, f.expectation) for f in findings})
        engine = self._engine
        store.write(
            con,
            RunRow(
                self.run_id,
                self.load_id,
                self.kind,
                self.started_at,
                datetime.now(UTC),
                status,
                expectations,
                errors,
                warnings,
                self.files_refused,
                engine.validations if engine else 0,
                seconds,
                engine.version if engine else None,
                message,
            ),
            findings,
        )
        if engine:
            self.timings["GX validations (included above)"] = engine.seconds
        return RunSummary(
            self.run_id,
            self.kind,
            status,
            expectations,
            failed,
            self.files_refused,
            seconds,
            timings=self.timings,
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


def record_skipped(con: duckdb.DuckDBPyConnection, load_id: int, started_at: datetime) -> None:
    """`collections load --no-checks`: the run is recorded as skipped, so nobody mistakes it."""
    store.ensure(con)
    store.write(
        con,
        RunRow(
            store.next_run_id(con),
            load_id,
            "load",
            started_at,
            datetime.now(UTC),
            "skipped",
            0,
            0,
            0,
            0,
            0,
            0.0,
            None,
            "checks skipped (--no-checks)",
        ),
        [],
    )


def describe_failures(failures: Sequence[Finding], *, limit: int = 10) -> str:
    lines = [
        f"{f.suite}/{f.expectation} ({f.severity}) on {f.file_name or f.target}: {f.observed_value}"
        + (f" — e.g. {f.sample[:200]}" if f.sample else "")
        for f in failures[:limit]
    ]
    if len(failures) > limit:
        lines.append(f"... and {len(failures) - limit} more (dq.results)")
    return "\n".join(lines)
