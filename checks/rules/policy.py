"""The bank's policy on a landed batch: expectations a bank adds by rows of settings.dq_rules.

A `raw.<extract>` row named `<column>_plausible` checks that numeric column against its
thresholds {"min_value", "max_value"}; one named `<column>_not_in_future` checks a timestamp
against the clock plus {"tolerance_minutes"}.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from checks.rules.expectation import BATCH, Check, Rule, Thresholds
from warehouse.contract import Extract
from warehouse.contract.schema import Kind

if TYPE_CHECKING:
    from checks.settings import Settings

PLAUSIBLE = "_plausible"
NOT_IN_FUTURE = "_not_in_future"
NUMERIC_KINDS = (Kind.INTEGER, Kind.MONEY)


def _plausible(thresholds: Thresholds, column: str) -> Check:
    return Check(
        "between",
        column=column,
        min_value=thresholds.get("min_value"),
        max_value=thresholds.get("max_value"),
    )


def _not_in_future(thresholds: Thresholds, column: str, now: datetime) -> Check:
    tolerance = timedelta(minutes=float(thresholds.get("tolerance_minutes", 0)))
    return Check("between", column=column, max_value=now + tolerance)


def policy_batch_rules(
    extract: Extract, settings: Settings, *, now: datetime | None = None
) -> tuple[list[Rule], list[str]]:
    """Expectations a bank adds by rows of settings.dq_rules (`<column>_plausible`,
    `<column>_not_in_future`). Returns the rules and the rows that name no suitable column."""
    now = now or datetime.now(UTC)
    suite = extract.table
    rules: list[Rule] = []
    misconfigured: list[str] = []
    columns = {c.name: c for c in extract.columns}
    for name in settings.names(suite):
        if name.endswith(PLAUSIBLE):
            column = columns.get(name.removesuffix(PLAUSIBLE))
            if column is None or column.kind not in NUMERIC_KINDS:
                misconfigured.append(f"{suite}/{name}: {suite} has no numeric column of that name")
                continue
            rules.append(
                Rule(
                    suite,
                    name,
                    f"{column.name} within the plausible range",
                    BATCH,
                    partial(_plausible, column=column.name),
                    None,
                    column.name,
                )
            )
        elif name.endswith(NOT_IN_FUTURE):
            column = columns.get(name.removesuffix(NOT_IN_FUTURE))
            if column is None or column.kind != Kind.TIMESTAMP:
                misconfigured.append(
                    f"{suite}/{name}: {suite} has no timestamp column of that name"
                )
                continue
            rules.append(
                Rule(
                    suite,
                    name,
                    f"{column.name} is not in the future",
                    BATCH,
                    partial(_not_in_future, column=column.name, now=now),
                    None,
                    column.name,
                )
            )
    return rules, misconfigured
