"""What the data must be: every expectation of every suite, declared once, without GX.

A suite is named after the relation it protects: `raw.<extract>` for each extract, `mart.<view>`
for each published view. Its expectations run at one of three stages:

- `landed batch`: on the rows a load is about to insert (all files of one flush of an extract),
  before they reach the warehouse. An `error` here refuses the file.
- `warehouse`: cross-file consistency, completeness and volume, as SQL aggregates over the
  staging warehouse once every file is in. An `error` here fails the whole load.
- `mart`: the rebuilt marts, through aggregates. An `error` here fails the whole load.

The contract's own rules (required values, code sets, ranges, one key per file) are derived
from the extract schemas in `warehouse.contract`, so column lists and code sets exist only there.
The loader already enforces them row by row (a breaking row is quarantined); the suites state
them again because they prove what landed. The bank's policy (plausible amounts, clock skew,
references, volume bands, screening thresholds) comes from `settings.dq_rules`.

Each expectation is a `Check`: a plain description of what Great Expectations is asked
(`checks.run` turns it into a GX expectation).

The modules, one job each: `expectation` (what a Check and a Rule are), `contract` (the rules
derived from the contract), `policy` (the bank's policy rules on a landed batch), `measures`
(the warehouse-wide measures), `marts` (the mart suites).
"""

from __future__ import annotations

from checks.rules.contract import contract_rules, stored_name
from checks.rules.expectation import (
    BATCH,
    FILE,
    LINE,
    MART,
    WAREHOUSE,
    Check,
    Rule,
    Thresholds,
)
from checks.rules.marts import MART_SUITES, QUERYABLE, MartSuite, queryable_rule
from checks.rules.measures import (
    DATES_PRESENT,
    FILE_MEASURES,
    INVALID_CONTACT_POINTS,
    VOLUME,
    DatesPresent,
    FileMeasure,
    volume_rule,
)
from checks.rules.policy import policy_batch_rules
from warehouse.contract import EXTRACTS

__all__ = [
    "BATCH",
    "DATES_PRESENT",
    "FILE",
    "FILE_MEASURES",
    "INVALID_CONTACT_POINTS",
    "LINE",
    "MART",
    "MART_SUITES",
    "QUERYABLE",
    "VOLUME",
    "WAREHOUSE",
    "Check",
    "DatesPresent",
    "FileMeasure",
    "MartSuite",
    "Rule",
    "Thresholds",
    "contract_rules",
    "policy_batch_rules",
    "queryable_rule",
    "stored_name",
    "volume_rule",
    "warehouse_rules",
]


def warehouse_rules() -> list[Rule]:
    """Every warehouse-stage and mart expectation: each has a row in sql/settings/dq_rules.sql
    (none has a default from a schema)."""
    rules = [measure.rule() for measure in FILE_MEASURES]
    rules += [volume_rule(name) for name in EXTRACTS]
    rules += [dates.rule() for dates in DATES_PRESENT]
    rules.append(INVALID_CONTACT_POINTS)
    rules += [rule for mart in MART_SUITES for rule in mart.rules]
    return rules
