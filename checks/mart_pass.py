"""The marts pass, after the rebuild: each suite of `rules.MART_SUITES` on its aggregate frame,
and every other published view proved to build and answer. A failed `error` expectation here
fails the whole load: wrong numbers are not published.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import duckdb
import polars as pl

from checks import frames, rules
from checks.results import Planned, Results, Validate
from checks.rules import MART, Check, Rule


class MartPass:
    def __init__(
        self,
        results: Results,
        validate: Validate,
        *,
        screened: Callable[[], pl.DataFrame | None] = lambda: None,
    ) -> None:
        self.results = results
        self.validate = validate
        # mart.invalid_contact_points as the warehouse pass's screening read it in this run.
        self.screened = screened

    def since(self, con: duckdb.DuckDBPyConnection, mart: rules.MartSuite) -> date | None:
        """The first month a load must check of a suite that follows a table: the first month
        the load rebuilt that table from (ops.mart_builds; the months before are as checked
        when they were built), a month after every one when it rebuilt none. Every month for
        `collections check`, or when the table's build is not on record."""
        if mart.follows is None or self.results.kind != "load":
            return None
        try:
            found = con.execute(
                "SELECT mode, first_month FROM ops.mart_builds WHERE model = ?", [mart.follows]
            ).fetchall()
        except duckdb.Error:
            return None
        if not found:
            return None
        mode, first = found[0]
        if first is None:
            return frames.NO_MONTH if mode in ("skipped", "unchanged") else None
        return first if isinstance(first, date) else None

    def check_marts(self, con: duckdb.DuckDBPyConnection) -> None:
        for mart in rules.MART_SUITES:
            plans = [p for p in (self.results.plan(rule) for rule in mart.rules) if p]
            if not plans:
                continue
            try:
                frame = self._frame(con, mart)
            except duckdb.Error as exc:
                self.results.unchecked(plans, mart.suite, exc)
                continue
            outcomes = self.validate(mart.suite, "mart", frame, plans)
            for plan in plans:
                self.results.summary_finding(
                    plan,
                    outcomes.get(plan.rule.name),
                    frame,
                    target=mart.suite,
                    stage=MART,
                    describe=mart.index,
                )
        self._check_other_views(con)

    def _frame(self, con: duckdb.DuckDBPyConnection, mart: rules.MartSuite) -> pl.DataFrame:
        screened = self.screened() if mart.view == "invalid_contact_points" else None
        if screened is not None:  # the same rows, already read: not computed a second time
            return frames.masked_numbers_frame(screened)
        return frames.mart_frame(con, mart, since=self.since(con, mart))

    def _check_other_views(self, con: duckdb.DuckDBPyConnection) -> None:
        """Every other published view, in one validation: it builds and answers (queryable)."""
        plans = {}
        for view in frames.other_mart_views(con, [m.view for m in rules.MART_SUITES]):
            plan = self.results.plan(rules.queryable_rule(view))
            if plan is not None:
                plans[view] = plan
        if not plans:
            return
        frame = frames.views_frame(con, plans)
        together = Planned(
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
        outcome = self.validate("mart.views", "views", frame, [together]).get(rules.QUERYABLE)
        broken = set(outcome.positions) if outcome else set(range(frame.height))
        for position, row in enumerate(frame.iter_rows(named=True)):
            plan = plans[row["view"]]
            ok = outcome is not None and not outcome.exception and position not in broken
            self.results.findings.append(
                self.results.planned_finding(
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
