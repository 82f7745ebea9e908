"""The warehouse-wide expectations, as SQL aggregates over the staging warehouse once every file
is in: consistency across rows and extracts, completeness, volume, contact screening.

Per-file measures (`FileMeasure`) count the offending rows of each landed file: during a load
they look at the rows this load landed, during `collections check` at every row. Completeness
(`DatesPresent`) and the contact screening always look at everything. An `error` here fails
the whole load.
"""

from __future__ import annotations

from dataclasses import dataclass

from checks.rules.expectation import (
    WAREHOUSE,
    Check,
    Rule,
    Thresholds,
    fixed,
    none_above,
    number,
)


@dataclass(frozen=True)
class FileMeasure:
    """A warehouse-wide rule counted per landed file, by a query of `checks/sql/warehouse/`
    returning, for every file with offending rows, `file_name, load_id, offending, lines,
    sample` (lines: up to 20 line numbers; sample: up to 5 short texts naming the rows, masked
    values only).

    The query takes `$load_id` (this load's rows during a load, NULL for every row during
    `collections check`) and one named parameter per name in `thresholds`, from the rule's row
    of settings.dq_rules; `shows` are the columns besides the key that name an offending row.
    """

    extract: str
    name: str
    description: str
    shows: tuple[str, ...] = ()
    thresholds: tuple[str, ...] = ()

    @property
    def suite(self) -> str:
        return f"raw.{self.extract}"

    @property
    def query(self) -> str:
        """Its file in `checks/sql/`: named after the measure (one file serves every extract)."""
        return f"warehouse/{self.name}"

    def rule(self) -> Rule:
        return Rule(
            self.suite,
            self.name,
            self.description,
            WAREHOUSE,
            none_above(self.name),
            counts_rows=True,
        )

    def parameters(self, thresholds: Thresholds) -> dict[str, float]:
        """Its thresholds, each checked to be a number (in the order the query names them)."""
        return {name: number(thresholds, name) for name in self.thresholds}


FILE_MEASURES: tuple[FileMeasure, ...] = (
    FileMeasure(
        "snapshots",
        "cycles_agree_with_days_past_due",
        "cycles delinquent agree with days past due",
        shows=("days_past_due", "cycles_delinquent"),
        thresholds=("days_per_cycle", "tolerance_cycles"),
    ),
    FileMeasure(
        "snapshots",
        "overdue_within_balance",
        "overdue principal + interest + fees <= balance when the balance is positive",
        shows=("balance", "overdue_principal", "overdue_interest", "overdue_fees"),
        thresholds=("tolerance",),
    ),
    FileMeasure(
        "snapshots",
        "month_end_complete",
        "every account open at the previous month end appears at this month end",
    ),
    *(
        FileMeasure(
            extract, "account_known", "the account is in an accounts file", shows=("account_id",)
        )
        for extract in ("snapshots", "payments", "contacts", "promises", "plans")
    ),
    *(
        FileMeasure(extract, "agent_known", "the agent is in an agents file", shows=("agent_id",))
        for extract in ("contacts", "promises")
    ),
    FileMeasure(
        "promises",
        "attempt_known",
        "the promise's contact attempt is in a contacts file",
        shows=("attempt_id",),
    ),
    FileMeasure(
        "promises",
        "attempt_same_account",
        "the promise's contact attempt is on the same account",
        shows=("account_id", "attempt_id"),
    ),
)

VOLUME = "volume_within_band"


def volume_rule(extract: str) -> Rule:
    return Rule(
        f"raw.{extract}",
        VOLUME,
        "rows in the file within the band around the trailing median of its kind of day",
        WAREHOUSE,
        lambda t: Check(
            "between",
            column="volume_ratio",
            min_value=number(t, "low"),
            max_value=number(t, "high"),
        ),
    )


@dataclass(frozen=True)
class DatesPresent:
    """Completeness of a daily (or month-end) extract: a file for every day of its span."""

    extract: str
    name: str
    month_ends_only: bool

    @property
    def suite(self) -> str:
        return f"raw.{self.extract}"

    def rule(self) -> Rule:
        which = "month end" if self.month_ends_only else "calendar day"
        return Rule(
            self.suite,
            self.name,
            f"a {self.extract} file for every {which} between the first and the last",
            WAREHOUSE,
            fixed(Check("not_null", column="file_name")),
        )


DATES_PRESENT: tuple[DatesPresent, ...] = (
    DatesPresent("snapshots", "month_ends_present", month_ends_only=True),
    DatesPresent("payments", "business_dates_present", month_ends_only=False),
    DatesPresent("contacts", "business_dates_present", month_ends_only=False),
    DatesPresent("promises", "business_dates_present", month_ends_only=False),
)

INVALID_CONTACT_POINTS = Rule(
    "raw.contacts",
    "invalid_contact_points",
    "no number dialled for an account has repeated wrong_number outcomes "
    "(they are listed in mart.invalid_contact_points)",
    WAREHOUSE,
    fixed(Check("row_count_equal", value=0)),
)
