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
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from warehouse.contract import EXTRACTS, Extract
from warehouse.contract.schema import Column, Kind

if TYPE_CHECKING:
    from checks.settings import Settings

BATCH = "landed batch"
WAREHOUSE = "warehouse"
MART = "mart"

FILE = "_file_name"
LINE = "_line_number"

Thresholds = Mapping[str, Any]

PLAUSIBLE = "_plausible"
NOT_IN_FUTURE = "_not_in_future"
NUMERIC_KINDS = (Kind.INTEGER, Kind.MONEY)


@dataclass(frozen=True)
class Check:
    """One question for Great Expectations about one frame.

    kinds: `not_null`, `in_set`, `between`, `unique_together`, `match_regex`, `row_count_equal`.
    """

    kind: str
    column: str | None = None
    columns: tuple[str, ...] = ()
    value_set: tuple[Any, ...] = ()
    min_value: Any = None
    max_value: Any = None
    strict_min: bool = False
    regex: str | None = None
    value: int | None = None

    @property
    def reads(self) -> tuple[str, ...]:
        """The frame columns this check needs."""
        return (self.column,) if self.column else self.columns


@dataclass(frozen=True)
class Rule:
    """One expectation: which suite it belongs to, what it means, and how it is checked.

    `check` builds the question from the thresholds in settings.dq_rules. `default_severity` is
    set for expectations derived from a schema (the contract's rules, always `error` at first);
    the bank's policy expectations take severity and thresholds from the rows of
    `sql/settings/dq_rules.sql`.
    """

    suite: str
    name: str
    description: str
    stage: str
    check: Callable[[Thresholds], Check]
    default_severity: str | None = None
    column: str | None = None  # the column of the extract or mart it is about, for people
    # For checks over per-file or per-month aggregates: the checked column is a count of
    # offending rows (so a failure's unexpected count is their sum, not the number of files).
    counts_rows: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return (self.suite, self.name)


def _fixed(check: Check) -> Callable[[Thresholds], Check]:
    return lambda _thresholds: check


def _none_above(column: str) -> Callable[[Thresholds], Check]:
    """A count of offending rows that must be zero."""
    return _fixed(Check("between", column=column, min_value=0, max_value=0))


# --- Landed batch: the contract, derived from the extract schemas --------------------------------


def stored_name(column: Column) -> str:
    """The column's name in the raw table (personal values land masked, as `<name>_masked`)."""
    return column.stored_columns()[0][0]


def _range_words(column: Column) -> str:
    low = (
        ""
        if column.minimum is None
        else f"{'>' if column.exclusive_minimum else '>='} {column.minimum:g}"
    )
    high = "" if column.maximum is None else f"<= {column.maximum:g}"
    return " and ".join(part for part in (low, high) if part)


def contract_rules(extract: Extract) -> list[Rule]:
    """The contract's rules for one extract, as expectations on its landed batch."""
    suite = extract.table
    rules: list[Rule] = []
    for column in extract.columns:
        name = stored_name(column)
        if column.required or column.key:
            rules.append(
                Rule(
                    suite,
                    f"{column.name}_not_null",
                    f"{column.name} is present (the contract requires it)",
                    BATCH,
                    _fixed(Check("not_null", column=name)),
                    "error",
                    column.name,
                )
            )
        if column.kind == Kind.CODE:
            rules.append(
                Rule(
                    suite,
                    f"{column.name}_in_set",
                    f"{column.name} is one of: {', '.join(column.codes)}",
                    BATCH,
                    _fixed(Check("in_set", column=name, value_set=column.codes)),
                    "error",
                    column.name,
                )
            )
        if column.minimum is not None or column.maximum is not None:
            check = Check(
                "between",
                column=name,
                min_value=column.minimum,
                max_value=column.maximum,
                strict_min=column.exclusive_minimum,
            )
            rules.append(
                Rule(
                    suite,
                    f"{column.name}_in_range",
                    f"{column.name} {_range_words(column)} (the contract's range)",
                    BATCH,
                    _fixed(check),
                    "error",
                    column.name,
                )
            )
    key = ", ".join(extract.key)
    rules.append(
        Rule(
            suite,
            "key_unique_in_file",
            f"each key ({key}) appears once per file",
            BATCH,
            _fixed(Check("unique_together", columns=(FILE, *extract.key))),
            "error",
            extract.key[0],
        )
    )
    return rules


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
                    lambda t, c=column.name: _plausible(t, c),
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
                    lambda t, c=column.name: _not_in_future(t, c, now),
                    None,
                    column.name,
                )
            )
    return rules, misconfigured


# --- Warehouse: consistency, completeness, volume ---------------------------------------------


@dataclass(frozen=True)
class FileMeasure:
    """A warehouse-wide rule counted per landed file: SQL returning, for every file with
    offending rows, `file_name, load_id, offending, lines, sample` (lines: up to 20 line
    numbers; sample: up to 5 short texts naming the rows, masked values only).

    `sql(thresholds, scope)` gets a SQL condition on `r._load_id` that limits the rows looked
    at (this load's rows during a load, every row during `collections check`).
    """

    extract: str
    name: str
    description: str
    sql: Callable[[Thresholds, str], str]

    @property
    def suite(self) -> str:
        return f"raw.{self.extract}"

    def rule(self) -> Rule:
        return Rule(
            self.suite,
            self.name,
            self.description,
            WAREHOUSE,
            _none_above(self.name),
            counts_rows=True,
        )


def _key_text(extract: str, *extra: str) -> str:
    """SQL text naming a raw row by its key (and a few more columns): `account_id=A1, ...`."""
    schema = EXTRACTS[extract]
    columns = list(dict.fromkeys([*schema.key, *extra]))
    parts = [f"'{c}=' || coalesce(CAST(r.{c} AS VARCHAR), 'NULL')" for c in columns]
    return " || ', ' || ".join(parts)


def row_measure(
    extract: str, name: str, description: str, predicate: Callable[[Thresholds], str], *shows: str
) -> FileMeasure:
    """A FileMeasure over single rows of raw.<extract>, from a SQL predicate over `r`."""

    def sql(thresholds: Thresholds, scope: str) -> str:
        return f"""
            SELECT
                r._file_name AS file_name,
                r._load_id AS load_id,
                count(*) AS offending,
                list(r._line_number ORDER BY r._line_number)[1:20] AS lines,
                list('line ' || r._line_number || ': ' || {_key_text(extract, *shows)}
                     ORDER BY r._line_number)[1:5] AS sample
            FROM raw.{extract} AS r
            WHERE ({scope}) AND ({predicate(thresholds)})
            GROUP BY ALL
        """

    return FileMeasure(extract, name, description, sql)


def _number(thresholds: Thresholds, name: str) -> float:
    """A threshold that is spliced into SQL: it must be a number."""
    value = thresholds.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"threshold {name!r} must be a number, found {value!r}")
    return float(value)


def _account_known(extract: str) -> FileMeasure:
    return row_measure(
        extract,
        "account_known",
        "the account is in an accounts file",
        lambda _t: (
            "r.account_id IS NOT NULL AND NOT EXISTS "
            "(SELECT 1 FROM raw.accounts AS a WHERE a.account_id = r.account_id)"
        ),
        "account_id",
    )


def _agent_known(extract: str) -> FileMeasure:
    return row_measure(
        extract,
        "agent_known",
        "the agent is in an agents file",
        lambda _t: (
            "r.agent_id IS NOT NULL AND NOT EXISTS "
            "(SELECT 1 FROM raw.agents AS g WHERE g.agent_id = r.agent_id)"
        ),
        "agent_id",
    )


def _month_end_complete_sql(_thresholds: Thresholds, scope: str) -> str:
    # Month-end files in scope; the accounts open (not in a state bucket such as written off or
    # closed, settings.buckets) at the month end before, missing from this one.
    return f"""
        WITH month_end_files AS (
            SELECT DISTINCT r._file_name, r._load_id, r.as_of_date
            FROM raw.snapshots AS r
            WHERE ({scope}) AND r.as_of_date = last_day(r.as_of_date)
        ),

        missing AS (
            SELECT f._file_name, f._load_id, p.account_id
            FROM month_end_files AS f
            INNER JOIN raw.snapshots AS p
                ON p.as_of_date = last_day(CAST(f.as_of_date - INTERVAL 1 MONTH AS DATE))
            WHERE p.status NOT IN (SELECT status FROM settings.buckets WHERE status IS NOT NULL)
                AND NOT EXISTS (
                    SELECT 1 FROM raw.snapshots AS s
                    WHERE s.as_of_date = f.as_of_date AND s.account_id = p.account_id
                )
        )

        SELECT
            _file_name AS file_name,
            _load_id AS load_id,
            count(*) AS offending,
            CAST([] AS BIGINT[]) AS lines,
            list('missing account_id=' || account_id ORDER BY account_id)[1:5] AS sample
        FROM missing
        GROUP BY ALL
    """


FILE_MEASURES: tuple[FileMeasure, ...] = (
    row_measure(
        "snapshots",
        "cycles_agree_with_days_past_due",
        "cycles delinquent agree with days past due",
        lambda t: (
            "r.cycles_delinquent IS NOT NULL AND ("
            "(r.days_past_due = 0) <> (r.cycles_delinquent = 0) OR "
            f"abs(r.cycles_delinquent - ceil(r.days_past_due / {_number(t, 'days_per_cycle')})) "
            f"> {_number(t, 'tolerance_cycles')})"
        ),
        "days_past_due",
        "cycles_delinquent",
    ),
    row_measure(
        "snapshots",
        "overdue_within_balance",
        "overdue principal + interest + fees <= balance when the balance is positive",
        lambda t: (
            "r.balance > 0 AND coalesce(r.overdue_principal, 0) + coalesce(r.overdue_interest, 0)"
            f" + coalesce(r.overdue_fees, 0) > r.balance + {_number(t, 'tolerance')}"
        ),
        "balance",
        "overdue_principal",
        "overdue_interest",
        "overdue_fees",
    ),
    FileMeasure(
        "snapshots",
        "month_end_complete",
        "every account open at the previous month end appears at this month end",
        _month_end_complete_sql,
    ),
    *(
        _account_known(extract)
        for extract in ("snapshots", "payments", "contacts", "promises", "plans")
    ),
    *(_agent_known(extract) for extract in ("contacts", "promises")),
    row_measure(
        "promises",
        "attempt_known",
        "the promise's contact attempt is in a contacts file",
        lambda _t: (
            "r.attempt_id IS NOT NULL AND NOT EXISTS "
            "(SELECT 1 FROM raw.contacts AS c WHERE c.attempt_id = r.attempt_id)"
        ),
        "attempt_id",
    ),
    row_measure(
        "promises",
        "attempt_same_account",
        "the promise's contact attempt is on the same account",
        lambda _t: (
            "EXISTS (SELECT 1 FROM raw.contacts AS c "
            "WHERE c.attempt_id = r.attempt_id AND c.account_id <> r.account_id)"
        ),
        "account_id",
        "attempt_id",
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
            min_value=_number(t, "low"),
            max_value=_number(t, "high"),
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
            _fixed(Check("not_null", column="file_name")),
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
    _fixed(Check("row_count_equal", value=0)),
)


# --- Marts: through aggregates ------------------------------------------------------------------


@dataclass(frozen=True)
class MartSuite:
    """A published view's suite: one SQL aggregate frame and the expectations on its columns.

    `index` names the frame's row (a month, a slice) in samples.
    """

    view: str
    sql: str
    index: tuple[str, ...]
    rules: tuple[Rule, ...] = field(default_factory=tuple)

    @property
    def suite(self) -> str:
        return f"mart.{self.view}"


def _mart_rule(
    view: str, name: str, description: str, check: Check, *, counts_rows: bool = True
) -> Rule:
    return Rule(f"mart.{view}", name, description, MART, _fixed(check), counts_rows=counts_rows)


MART_SUITES: tuple[MartSuite, ...] = (
    MartSuite(
        "account_month",
        """
        WITH mart AS (
            SELECT
                m.month,
                count(*) AS account_months,
                count(DISTINCT m.account_id) AS accounts,
                count(*) FILTER (WHERE m.bucket IS NULL) AS without_bucket,
                count(*) FILTER (WHERE g.risk_grade IS NULL) AS without_risk_grade
            FROM mart.account_month AS m
            LEFT JOIN settings.risk_grades AS g ON m.risk_grade = g.risk_grade
            GROUP BY m.month
        ),

        snapshots AS (
            SELECT
                CAST(date_trunc('month', as_of_date) AS DATE) AS month,
                count(DISTINCT account_id) AS accounts
            FROM raw.snapshots
            GROUP BY 1
        )

        SELECT
            coalesce(mart.month, snapshots.month) AS month,
            coalesce(mart.account_months, 0) - coalesce(mart.accounts, 0) AS duplicate_rows,
            coalesce(mart.without_bucket, 0) AS without_bucket,
            coalesce(mart.without_risk_grade, 0) AS without_risk_grade,
            greatest(coalesce(snapshots.accounts, 0) - coalesce(mart.accounts, 0), 0)
                AS missing_accounts
        FROM mart
        FULL OUTER JOIN snapshots ON mart.month = snapshots.month
        ORDER BY 1
        """,
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
    ),
    MartSuite(
        "bucket_month",
        """
        WITH buckets AS (
            SELECT month, sum(accounts) AS accounts, sum(balance) AS balance
            FROM mart.bucket_month GROUP BY month
        ),

        accounts AS (
            SELECT month, count(*) AS accounts, sum(balance) AS balance
            FROM mart.account_month GROUP BY month
        )

        SELECT
            coalesce(a.month, b.month) AS month,
            CAST(abs(coalesce(a.accounts, 0) - coalesce(b.accounts, 0))
                + abs(coalesce(a.balance, 0) - coalesce(b.balance, 0)) AS DOUBLE) AS difference
        FROM accounts AS a
        FULL OUTER JOIN buckets AS b ON a.month = b.month
        ORDER BY 1
        """,
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
    ),
    MartSuite(
        "delinquency_ratios",
        """
        SELECT
            month, measure, product, branch, risk_grade,
            CAST(account_ratio AS DOUBLE) AS account_ratio,
            greatest(delinquent_accounts - live_accounts, 0) AS delinquent_over_live
        FROM mart.delinquency_ratios
        ORDER BY ALL
        """,
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
    ),
    MartSuite(
        "invalid_contact_points",
        """
        SELECT contact_number_masked, account_id
        FROM mart.invalid_contact_points
        WHERE contact_number_masked IS NOT NULL
        ORDER BY ALL
        """,
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
        _fixed(Check("not_null", column="answers")),
        "error",
    )


def warehouse_rules() -> list[Rule]:
    """Every warehouse-stage and mart expectation with a row in sql/settings/dq_rules.sql (no schema default)."""
    rules = [measure.rule() for measure in FILE_MEASURES]
    rules += [volume_rule(name) for name in EXTRACTS]
    rules += [dates.rule() for dates in DATES_PRESENT]
    rules.append(INVALID_CONTACT_POINTS)
    rules += [rule for mart in MART_SUITES for rule in mart.rules]
    return rules
