"""The warehouse-wide expectations, as SQL aggregates over the staging warehouse once every file
is in: consistency across rows and extracts, completeness, volume, contact screening.

Per-file measures (`FileMeasure`) count the offending rows of each landed file: during a load
they look at the rows this load landed, during `collections check` at every row. Completeness
(`DatesPresent`) and the contact screening always look at everything. An `error` here fails
the whole load.
"""

from __future__ import annotations

from collections.abc import Callable
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
from warehouse.contract import EXTRACTS


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
            none_above(self.name),
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
            f"abs(r.cycles_delinquent - ceil(r.days_past_due / {number(t, 'days_per_cycle')})) "
            f"> {number(t, 'tolerance_cycles')})"
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
            f" + coalesce(r.overdue_fees, 0) > r.balance + {number(t, 'tolerance')}"
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
