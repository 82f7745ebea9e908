"""The warehouse-wide pass, once every file is in: consistency across rows and extracts, volume
(one row per landed file), completeness (one row per calendar day) and contact screening.

During a load the per-file measures look at the rows this load landed; during
`collections check`, at every row. Completeness and the screening always look at everything.
A failed `error` expectation here fails the whole load.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import duckdb
import polars as pl

from checks import frames, rules, run
from checks.results import Planned, Results, Validate, percent
from checks.rules import WAREHOUSE
from warehouse.contract import EXTRACTS


class WarehousePass:
    def __init__(self, results: Results, validate: Validate, *, load_id: int | None) -> None:
        self.results = results
        self.validate = validate
        self.load_id = load_id  # None: every row (`collections check`)
        # mart.invalid_contact_points as the screening read it in this run (the marts pass
        # checks the same rows: `frames.masked_numbers_frame`); None until then.
        self.screened: pl.DataFrame | None = None

    def check_files(self, con: duckdb.DuckDBPyConnection) -> None:
        """Per extract, one frame of its landed files: a column per measure, and the volume."""
        settings = self.results.settings
        for extract in EXTRACTS.values():
            measures = [m for m in rules.FILE_MEASURES if m.extract == extract.name]
            plans: list[Planned] = []
            with_thresholds: list[tuple[rules.FileMeasure, Mapping[str, Any]]] = []
            for measure in measures:
                plan = self.results.plan(measure.rule())
                if plan:
                    plans.append(plan)
                    setting = settings.get(*measure.rule().key)
                    with_thresholds.append((measure, setting.thresholds if setting else {}))
            volume_plan = self.results.plan(rules.volume_rule(extract.name))
            volume = None
            if volume_plan:
                plans.append(volume_plan)
                setting = settings.get(extract.table, rules.VOLUME)
                volume = setting.thresholds if setting else {}
            if not plans:
                continue
            try:
                frame = frames.files_frame(con, extract.name, with_thresholds, volume, self.load_id)
            except (duckdb.Error, ValueError) as exc:
                self.results.unchecked(plans, extract.table, exc)
                continue
            if frame.is_empty():
                continue
            label = "files"
            outcomes = self.validate(f"{extract.table}.files", label, frame, plans)
            for plan in plans:
                self._file_findings(extract.table, plan, outcomes.get(plan.rule.name), frame)

    def _file_findings(
        self, target: str, plan: Planned, outcome: run.Outcome | None, frame: pl.DataFrame
    ) -> None:
        """One finding per offending file (a row of the files frame), or one for all when none."""
        rule = plan.rule
        column = plan.check.column or ""
        common = dict(
            stage=WAREHOUSE,
            target=target,
            expectation_type=outcome.expectation_type if outcome else None,
        )
        findings = self.results.findings
        if outcome is None or outcome.exception:
            problem = outcome.exception if outcome else "no result from Great Expectations"
            findings.append(
                self.results.planned_finding(
                    plan, **common, success=False, observed_value=f"not checked: {problem}"
                )
            )
            return
        if outcome.success:
            checked = frame.filter(pl.col(column).is_not_null())
            measured = int(checked["rows_landed"].sum()) if rule.counts_rows else checked.height
            unit = "rows" if rule.counts_rows else "files"
            findings.append(
                self.results.planned_finding(
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
            findings.append(
                self.results.planned_finding(
                    plan,
                    **common,
                    success=False,
                    file_name=row["file_name"],
                    observed_value=observed,
                    element_count=rows,
                    unexpected_count=count,
                    unexpected_percent=percent(count, rows),
                    sample=sample,
                    sample_lines=lines,
                )
            )

    def check_dates(self, con: duckdb.DuckDBPyConnection) -> None:
        """Completeness: a file for every calendar day (or month end) of each extract's span."""
        for dates in rules.DATES_PRESENT:
            plan = self.results.plan(dates.rule())
            if plan is None:
                continue
            try:
                frame = frames.dates_frame(con, dates)
            except duckdb.Error as exc:
                self.results.unchecked([plan], dates.suite, exc)
                continue
            if frame.is_empty():
                continue
            outcomes = self.validate(f"{dates.suite}.calendar", "calendar", frame, [plan])
            self.results.summary_finding(
                plan,
                outcomes.get(plan.rule.name),
                frame,
                target="ops.loaded_files",
                stage=WAREHOUSE,
                describe=["business_date"],
            )

    def check_invalid_contact_points(self, con: duckdb.DuckDBPyConnection) -> None:
        """Contact screening: the numbers mart.invalid_contact_points lists."""
        self.screened = None
        plan = self.results.plan(rules.INVALID_CONTACT_POINTS)
        if plan is None:
            return
        try:
            frame = frames.invalid_contact_points_frame(con)
        except duckdb.Error as exc:
            self.results.unchecked([plan], "mart.invalid_contact_points", exc)
            return
        self.screened = frame
        outcomes = self.validate("raw.contacts.screening", "screening", frame, [plan])
        self.results.summary_finding(
            plan,
            outcomes.get(plan.rule.name),
            frame,
            target="mart.invalid_contact_points",
            stage=WAREHOUSE,
            describe=["contact_number_masked", "account_id", "wrong_number_outcomes"],
        )
