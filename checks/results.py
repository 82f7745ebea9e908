"""The session's bookkeeping and results: which expectations run, at what severity, what each
found (a dq.results row, `Finding`), and the run as a whole (`RunSummary`, dq.runs).

Every pass of a session (`batch_pass`, `warehouse_pass`, `mart_pass`) plans its rules and
records its findings here, so severity, actions and the wording of "not checked" are decided
in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from checks import run, store
from checks.rules import BATCH, Check, Rule
from checks.settings import Settings
from checks.store import Finding, RunRow

SAMPLE_ROWS = 5  # offending rows shown in a finding's sample


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
class Planned:
    """A rule as this run checks it: its severity, its check (thresholds applied), its words."""

    rule: Rule
    severity: str
    check: Check
    description: str


# Validates a frame against planned expectations as one GX suite: (suite, batch label, frame,
# plans) -> outcome by rule name. The session provides it (it owns the GX engine).
Validate = Callable[[str, str, pl.DataFrame, Sequence[Planned]], dict[str, run.Outcome]]


def text(value: Any) -> str:
    """A value as a sample shows it."""
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, datetime | date):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    return str(value)


def percent(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


class Results:
    """The findings of one run, in the order they were found, and the plan of each rule."""

    def __init__(self, settings: Settings, *, kind: str) -> None:
        self.settings = settings
        self.kind = kind
        self.findings: list[Finding] = []

    def plan(self, rule: Rule) -> Planned | None:
        """The rule with its severity and thresholds, or None when it is off.

        A policy rule without a row in settings.dq_rules is reported (as a warning) and skipped.
        """
        setting = self.settings.get(*rule.key)
        if setting is None and rule.default_severity is None:
            self.record_problem(rule, "warn", "no row in settings.dq_rules for this expectation")
            return None
        severity = setting.severity if setting else rule.default_severity
        if severity == "off":
            return None
        thresholds = setting.thresholds if setting else {}
        try:
            check = rule.check(thresholds)
        except (ValueError, TypeError, KeyError) as exc:
            self.record_problem(rule, severity or "warn", f"settings.dq_rules thresholds: {exc}")
            return None
        description = setting.description if setting and setting.description else rule.description
        return Planned(rule, severity or "error", check, description)

    def record_problem(self, rule: Rule, severity: str, problem: str) -> None:
        self.findings.append(
            self.finding(
                rule,
                severity,
                rule.description,
                stage=rule.stage,
                target=rule.suite,
                success=False,
                observed_value=f"not checked: {problem}",
            )
        )

    def action(self, severity: str, stage: str) -> str:
        if severity != "error":
            return "flagged"
        if self.kind == "check":
            return "check failed"
        return "file refused" if stage == BATCH else "load refused"

    def finding(
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
            action=None if success else self.action(severity, stage),
            description=description,
            **found,
        )

    def planned_finding(self, plan: Planned, **fields: Any) -> Finding:
        return self.finding(plan.rule, plan.severity, plan.description, **fields)

    def unchecked(self, plans: Sequence[Planned], target: str, error: Exception) -> None:
        """The planned rules could not be checked (their frame failed): one finding each."""
        for plan in plans:
            self.findings.append(
                self.planned_finding(
                    plan,
                    stage=plan.rule.stage,
                    target=target,
                    success=False,
                    observed_value=f"not checked: {str(error).splitlines()[0]}",
                )
            )

    def summary_finding(
        self,
        plan: Planned,
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
                self.planned_finding(
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
            if plan.rule.counts_rows and column and offending.height:
                count = int(offending[column].sum())  # a count of offending rows per frame row
            else:
                count = offending.height
            observed = (
                f"{offending.height:,} of {frame.height:,} row{'' if frame.height == 1 else 's'}"
            )
        sample = None
        if not outcome.success and offending.height:
            shown = [c for c in describe if c in offending.columns]
            if plan.check.kind == "between" and column not in shown and column in offending.columns:
                shown.append(column)  # the value that is out of bounds
            sample = "; ".join(
                ", ".join(f"{c}={text(r[c])}" for c in shown)
                for r in offending.head(SAMPLE_ROWS * 2).iter_rows(named=True)
            )
        self.findings.append(
            self.planned_finding(
                plan,
                **common,
                success=bool(outcome.success),
                observed_value=observed,
                unexpected_count=0 if outcome.success else count,
                unexpected_percent=percent(offending.height, frame.height) or 0.0,
                sample=sample,
            )
        )

    def blocking(self) -> list[Finding]:
        """Failed `error` expectations that stop the whole load (not those that refused a file)."""
        return [f for f in self.findings if not f.success and f.severity == "error"]


def write(
    con: duckdb.DuckDBPyConnection,
    findings: Sequence[Finding],
    *,
    run_id: int,
    load_id: int | None,
    kind: str,
    started_at: datetime,
    files_refused: int,
    timings: dict[str, float],
    engine: run.Engine | None,
    message: str = "",
) -> RunSummary:
    """The run's dq.runs row and its dq.results rows, written in the staging copy."""
    failed = [f for f in findings if not f.success]
    errors = sum(1 for f in failed if f.severity == "error")
    warnings = sum(1 for f in failed if f.severity == "warn")
    status = "failed" if errors else ("warned" if warnings else "passed")
    # Time spent checking (not the load's own work in between), GX import wait included.
    seconds = sum(v for step, v in timings.items() if "included above" not in step)
    expectations = len({(f.suite, f.expectation) for f in findings})
    store.write(
        con,
        RunRow(
            run_id,
            load_id,
            kind,
            started_at,
            datetime.now(UTC),
            status,
            expectations,
            errors,
            warnings,
            files_refused,
            engine.validations if engine else 0,
            seconds,
            engine.version if engine else None,
            message,
        ),
        findings,
    )
    if engine:
        timings["GX validations (included above)"] = engine.seconds
    return RunSummary(
        run_id, kind, status, expectations, failed, files_refused, seconds, timings=timings
    )


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
