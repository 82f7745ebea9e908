"""The published marts' suites: per view, one SQL aggregate frame and the expectations on its
columns; every other published view must at least build and answer. An `error` here fails the
whole load (wrong numbers are not published).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from checks.rules.expectation import MART, Check, Rule, fixed


@dataclass(frozen=True)
class MartSuite:
    """A published view's suite: one SQL aggregate frame (`checks/sql/mart/<view>.sql`) and the
    expectations on its columns.

    `index` names the frame's row (a month, a slice) in samples.
    """

    view: str
    index: tuple[str, ...]
    rules: tuple[Rule, ...] = field(default_factory=tuple)
    # The table whose rebuild decides which months a load checks: its frame's query takes
    # `$since`, the first month that table was rebuilt from (None: every row, every time).
    follows: str | None = None

    @property
    def suite(self) -> str:
        return f"mart.{self.view}"

    @property
    def query(self) -> str:
        """Its frame's file in `checks/sql/`."""
        return f"mart/{self.view}"


def _mart_rule(
    view: str, name: str, description: str, check: Check, *, counts_rows: bool = True
) -> Rule:
    return Rule(f"mart.{view}", name, description, MART, fixed(check), counts_rows=counts_rows)


MART_SUITES: tuple[MartSuite, ...] = (
    MartSuite(
        "account_month",
        ("month",),
        (
            _mart_rule(
                "account_month",
                "one_row_per_account_month",
                "one row per account and month",
                Check("between", column="duplicate_rows", min_value=0, max_value=0),
            ),
            _mart_rule(
                "account_month",
                "bucket_assigned",
                "every account-month is in a bucket",
                Check("between", column="without_bucket", min_value=0, max_value=0),
            ),
            _mart_rule(
                "account_month",
                "risk_grade_assigned",
                "every account-month has a risk grade",
                Check("between", column="without_risk_grade", min_value=0, max_value=0),
            ),
            _mart_rule(
                "account_month",
                "every_snapshot_account_present",
                "every account with a snapshot in a month has a row",
                Check("between", column="missing_accounts", min_value=0, max_value=0),
            ),
        ),
        follows="mart.account_month",
    ),
    MartSuite(
        "bucket_month",
        ("month",),
        (
            _mart_rule(
                "bucket_month",
                "reconciles_with_account_month",
                "accounts and balance per month add up to mart.account_month",
                Check("between", column="difference", min_value=0, max_value=0),
                counts_rows=False,
            ),
        ),
        follows="mart.bucket_month",
    ),
    MartSuite(
        "delinquency_ratios",
        ("month", "measure", "product", "branch", "risk_grade"),
        (
            _mart_rule(
                "delinquency_ratios",
                "ratios_between_0_and_1",
                "account ratios between 0 and 1",
                Check("between", column="account_ratio", min_value=0, max_value=1),
                counts_rows=False,
            ),
            _mart_rule(
                "delinquency_ratios",
                "delinquent_within_live",
                "delinquent accounts never exceed live accounts",
                Check("between", column="delinquent_over_live", min_value=0, max_value=0),
            ),
        ),
        follows="mart.account_month",
    ),
    MartSuite(
        "invalid_contact_points",
        ("account_id", "contact_number_masked"),
        (
            _mart_rule(
                "invalid_contact_points",
                "numbers_masked",
                "every number is masked (first 3 and last 4 digits shown at most)",
                Check(
                    "match_regex",
                    column="contact_number_masked",
                    regex=r"^(?:\d{0,3}\*+\d{0,4}|\*+)$",
                ),
                counts_rows=False,
            ),
        ),
    ),
)

QUERYABLE = "queryable"


def queryable_rule(view: str) -> Rule:
    """Every other published view (without a suite of its own): it builds and answers."""
    return Rule(
        f"mart.{view}",
        QUERYABLE,
        f"mart.{view} builds and answers a query",
        MART,
        fixed(Check("not_null", column="answers")),
        "error",
    )
