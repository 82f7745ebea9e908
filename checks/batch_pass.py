"""The landed-batch pass: each extract's suite on the rows a load is about to insert.

A batch is every file of one flush of an extract. Its suite (the contract's rules and the
bank's policy rules) runs on the batch's witness rows (`frames.witnesses`); a failure is traced
to every offending file and line of the whole batch, and the files that break an `error`
expectation are refused. Across the run, each expectation keeps one tally (`_BatchTally`), which
becomes its dq.results rows at the end: one per offending file, or one saying none offended.

`collections check` runs the same suites over the whole raw tables, read in chunks
(`table_chunks`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime

import duckdb
import polars as pl

from checks import frames, rules
from checks.results import SAMPLE_ROWS, Planned, Results, Validate, percent, text
from checks.rules import BATCH, FILE, LINE
from checks.store import Finding
from warehouse.contract import Extract
from warehouse.contract.schema import Kind

log = logging.getLogger(__name__)

CHUNK_ROWS = 1_500_000  # rows per batch when `collections check` reads a raw table
SAMPLE_LINES = 20  # line numbers kept per offending file


@dataclass
class _FileFailure:
    count: int = 0
    rows: int = 0
    lines: list[int] = field(default_factory=list)
    samples: list[str] = field(default_factory=list)


@dataclass
class _BatchTally:
    """One landed-batch expectation across every batch of the run."""

    planned: Planned
    expectation_type: str | None = None
    element_count: int = 0
    failures: dict[str, _FileFailure] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # GX could not evaluate it


def _sample_columns(extract: Extract, column: str | None) -> list[str]:
    """Columns that name an offending landed row: its key and the checked column, never a hash
    or free text (the warehouse holds masked values only, and samples take nothing else)."""
    names = list(extract.key)
    if column and column not in names:
        declared = {c.name: c for c in extract.columns}.get(column)
        if declared is not None and declared.kind != Kind.FREE_TEXT:
            names.append(rules.stored_name(declared))
    return names


def _reason(plan: Planned, failure: _FileFailure) -> str:
    where = ", ".join(str(line) for line in failure.lines[:5])
    return (
        f"{plan.rule.suite}/{plan.rule.name} ({plan.severity}): {failure.count} of "
        f'{failure.rows} row(s) break "{plan.description}" (line(s) {where})'
    )


class BatchPass:
    """Every landed batch of one run, by extract: plans, verdicts, refused files, tallies."""

    def __init__(self, results: Results, validate: Validate, *, now: datetime) -> None:
        self.results = results
        self.validate = validate
        self.now = now  # the clock of `<column>_not_in_future`: the run's start
        self.files_refused = 0
        self._tallies: dict[tuple[str, str], _BatchTally] = {}
        self._plans: dict[str, list[Planned]] = {}
        self._batches = 0

    def plans(self, extract: Extract) -> list[Planned]:
        if extract.name not in self._plans:
            policy, misconfigured = rules.policy_batch_rules(
                extract, self.results.settings, now=self.now
            )
            for problem in misconfigured:
                log.warning("settings.dq_rules: %s", problem)
            plans = [self.results.plan(rule) for rule in [*rules.contract_rules(extract), *policy]]
            self._plans[extract.name] = [p for p in plans if p is not None]
        return self._plans[extract.name]

    def check(
        self, extract: Extract, batch: pl.DataFrame, plans: list[Planned], *, refuse: bool
    ) -> dict[str, str]:
        """Validate one batch; {file name: reason} for the files an `error` refuses."""
        self._batches += 1
        label = f"batch-{self._batches}"
        witness = frames.witnesses(batch, [p.check for p in plans])
        outcomes = self.validate(f"{extract.table}.batch", label, witness, plans)
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
                    refused.setdefault(name, []).append(_reason(plan, failure))
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
        plan: Planned,
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
                f"line {row[LINE]}: " + ", ".join(f"{c}={text(row[c])}" for c in shown)
                for row in rows.head(SAMPLE_ROWS).iter_rows(named=True)
            ]
            yield str(name), _FileFailure(rows.height, rows_per_file.get(name, 0), lines, samples)

    def findings(self) -> list[Finding]:
        """The dq.results rows of every landed-batch expectation this run checked."""
        found: list[Finding] = []
        for tally in self._tallies.values():
            common = dict(
                stage=BATCH,
                target=tally.planned.rule.suite,
                expectation_type=tally.expectation_type,
            )
            for problem in tally.problems[:1]:
                found.append(
                    self.results.planned_finding(
                        tally.planned,
                        **common,
                        success=False,
                        observed_value=f"not checked: {problem}",
                        element_count=tally.element_count,
                    )
                )
            for name, failure in sorted(tally.failures.items()):
                found.append(
                    self.results.planned_finding(
                        tally.planned,
                        **common,
                        success=False,
                        file_name=name,
                        observed_value=f"{failure.count:,} of {failure.rows:,} rows",
                        element_count=failure.rows,
                        unexpected_count=failure.count,
                        unexpected_percent=percent(failure.count, failure.rows),
                        sample="; ".join(failure.samples),
                        sample_lines=failure.lines,
                    )
                )
            if not tally.problems and not tally.failures:
                found.append(
                    self.results.planned_finding(
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

    def table_chunks(
        self, con: duckdb.DuckDBPyConnection, extract: Extract
    ) -> Iterator[pl.DataFrame]:
        """A whole raw table as batches (`collections check`), with only the columns its suite
        reads; nothing when the suite has no expectation to run."""
        plans = self.plans(extract)
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
                yield chunk
