"""What a candidate strategy would do, before anyone saves it (the Strategy page's preview).

Given the settings in force and a candidate version (`warehouse.app_store.Settings`), for one
month:

* **grades**: each account graded under the candidate by the warehouse's own rules
  (`warehouse.strategy.grade_accounts`: the same SQL as mart.account_month, with the candidate's
  settings rows swapped in); the from/to matrix of saved grade x candidate grade.
  When only the thresholds, the employment grades or the treatments change (not the causes'
  parameters), the grades are recomputed from the factors mart.account_month already holds
  (`fast_grades`, the same rule in Polars: the most severe grade any of whose thresholds is met,
  or the employment type's grade), which answers in well under a second at a million accounts;
  a test holds it equal to the SQL. Anything else re-runs the grading SQL for the month.
* **daily workload per team and channel**: a treatment plans `contacts_per_week` contacts,
  spread evenly over its channels and over the working days of a week
  (settings.working_weekdays). The work goes to teams in the shares each team took of the
  attempts of that bucket and channel over the last `flow_rate_months` months
  (mart.contact_effectiveness); attempts no team made (automated SMS) are `(automated)`.
* **expected collections per day**: the planned attempts times the yuan paid within 7 days per
  attempt for that bucket and channel over the same months (mart.contact_effectiveness: paid
  within N days of a contact / attempts). Historical effectiveness, not a causal estimate.
* **replay of contact rules**: past attempts judged again under the candidate's contact windows
  and frequency caps (the SQL of mart.compliance_breaches with the candidate rows swapped in):
  breaches per rule set and rule, saved vs candidate.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import polars as pl

from warehouse import marts
from warehouse.app import strategy
from warehouse.app.store import Settings
from warehouse.months import LAST_MONTH, add_months, month_of

BREACHES = "mart.compliance_breaches"
AUTOMATED = "(automated)"


@dataclass(frozen=True)
class Preview:
    month: date
    accounts: int
    grade_changes: int
    treatment_changes: int
    matrix: pl.DataFrame  # risk_grade x candidate_risk_grade: accounts, balance
    workload: pl.DataFrame  # team, channel: saved, candidate, change (contacts per working day)
    collections: pl.DataFrame  # channel: saved, candidate, change (yuan per working day)
    seconds: float


def _parameter(settings: Settings, name: str, default: float) -> float:
    for row in settings.get("settings.analytics_parameters", []):
        if row.get("parameter") == name:
            return float(row["value"])
    return default


def _grading_candidate(current: Settings, candidate: Settings) -> dict[str, list[dict[str, Any]]]:
    """The candidate's tables the grading query reads and that differ from those in force."""
    readable = set(strategy.candidate_tables())
    return {
        table: rows
        for table, rows in candidate.items()
        if table in readable and rows != current.get(table)
    }


FAST_TABLES = {"settings.risk_grades", "settings.treatments", "settings.employment_risk"}
FACTORS = ("days_past_due", "overdue_amount", "credit_score", "past_delinquencies")
THRESHOLD_OF = {"days_past_due": ("min_days_past_due", "ge"),
                "overdue_amount": ("min_overdue_amount", "ge"),
                "credit_score": ("below_credit_score", "lt"),
                "past_delinquencies": ("min_past_delinquencies", "ge")}  # fmt: skip


def _fast_path(current: Settings, changed: dict[str, list[dict[str, Any]]]) -> bool:
    """Whether the candidate changes only what the stored factors can re-grade."""
    if not set(changed) <= FAST_TABLES:
        return False
    if "settings.employment_risk" in changed:
        before = {r["employment_type"]: r["no_regular_income"]
                  for r in current.get("settings.employment_risk", [])}  # fmt: skip
        after = {r["employment_type"]: r["no_regular_income"]
                 for r in changed["settings.employment_risk"]}  # fmt: skip
        return before == after  # the cause depends on it
    return True


def fast_grades(accounts: pl.DataFrame, candidate: Settings) -> pl.DataFrame:
    """`accounts` (mart.account_month rows with the factors) graded under the candidate's
    risk_grades and employment_risk, and treated under its treatments."""
    grades = sorted(candidate["settings.risk_grades"], key=lambda r: -int(r["severity"]))
    employment = {r["employment_type"]: r["risk_grade"]
                  for r in candidate.get("settings.employment_risk", [])}  # fmt: skip
    employment_grade = pl.col("employment_type").replace_strict(
        employment, default=None, return_dtype=pl.String
    )
    lowest = grades[-1]["risk_grade"]
    grade = pl.lit(lowest)
    for row in reversed(grades[:-1]):  # build from the mildest up: the most severe wins
        met = pl.lit(False)
        for factor, (column, op) in THRESHOLD_OF.items():
            value = row.get(column)
            if value is None:
                continue
            threshold = float(value)
            value_of = pl.col(factor).cast(pl.Float64)
            met = met | (value_of >= threshold if op == "ge" else value_of < threshold).fill_null(
                False
            )
        met = met | (employment_grade == row["risk_grade"]).fill_null(False)
        grade = pl.when(met).then(pl.lit(row["risk_grade"])).otherwise(grade)
    graded = accounts.with_columns(grade.alias("risk_grade"))
    treatments = _treatments(candidate).select("risk_grade", "delinquency_cause", "treatment")
    return graded.drop("treatment").join(
        treatments, on=["risk_grade", "delinquency_cause"], how="left"
    )


def _treatments(settings: Settings) -> pl.DataFrame:
    rows = settings.get("settings.treatments", [])
    schema = {"risk_grade": pl.String, "delinquency_cause": pl.String, "treatment": pl.String,
              "channels": pl.String, "contacts_per_week": pl.Float64}  # fmt: skip
    frame = pl.DataFrame(
        [{name: row.get(name) for name in schema} for row in rows], schema=schema, strict=False
    )
    return frame


def _plan(accounts: pl.DataFrame, treatments: pl.DataFrame, working_days: float) -> pl.DataFrame:
    """Planned attempts per working day by bucket and channel for graded accounts."""
    planned = (
        accounts.join(treatments, on=["risk_grade", "delinquency_cause"], how="inner")
        .with_columns(pl.col("channels").str.split(",").alias("channel"))
        .with_columns(
            (pl.col("contacts_per_week") / pl.col("channel").list.len() / working_days).alias(
                "per_day"
            )
        )
        .explode("channel")
        .with_columns(pl.col("channel").str.strip_chars())
    )
    return planned.group_by("bucket", "channel").agg(pl.col("per_day").sum().alias("attempts"))


def effectiveness(con: duckdb.DuckDBPyConnection, month: date, months: int) -> pl.DataFrame:
    """Per bucket, channel and team over the `months` months up to `month`: attempts and yuan
    paid within N days (mart.contact_effectiveness)."""
    first = add_months(date(month.year, month.month, 1), -(months - 1))
    return con.sql(
        """
        SELECT bucket, channel, coalesce(team, ?) AS team,
               sum(attempts)::DOUBLE AS attempts, sum(amount_paid_within_window)::DOUBLE AS paid
        FROM mart.contact_effectiveness
        WHERE month BETWEEN ? AND ? AND bucket IS NOT NULL
        GROUP BY ALL
        """,
        params=[AUTOMATED, first, month],
    ).pl()


def working_days_per_week(con: duckdb.DuckDBPyConnection) -> float:
    rows = con.execute("SELECT count(*) FROM settings.working_weekdays WHERE is_working").fetchall()
    return float(rows[0][0] or 5)


def _workload(plan: pl.DataFrame, history: pl.DataFrame) -> pl.DataFrame:
    shares = history.with_columns(
        (pl.col("attempts") / pl.col("attempts").sum().over("bucket", "channel")).alias("share")
    ).select("bucket", "channel", "team", "share")
    joined = plan.join(shares, on=["bucket", "channel"], how="left").with_columns(
        pl.col("team").fill_null("(no history)"), pl.col("share").fill_null(1.0)
    )
    return joined.group_by("team", "channel").agg(
        (pl.col("attempts") * pl.col("share")).sum().alias("attempts")
    )


def _collections(plan: pl.DataFrame, history: pl.DataFrame) -> pl.DataFrame:
    yield_per_attempt = history.group_by("bucket", "channel").agg(
        (pl.col("paid").sum() / pl.col("attempts").sum()).alias("yuan_per_attempt")
    )
    return (
        plan.join(yield_per_attempt, on=["bucket", "channel"], how="left")
        .with_columns((pl.col("attempts") * pl.col("yuan_per_attempt").fill_null(0)).alias("yuan"))
        .group_by("channel")
        .agg(pl.col("yuan").sum())
    )


def _side_by_side(
    saved: pl.DataFrame, candidate: pl.DataFrame, keys: list[str], value: str
) -> pl.DataFrame:
    return (
        saved.rename({value: "saved"})
        .join(candidate.rename({value: "candidate"}), on=keys, how="full", coalesce=True)
        .with_columns(pl.col("saved").fill_null(0.0), pl.col("candidate").fill_null(0.0))
        .with_columns((pl.col("candidate") - pl.col("saved")).alias("change"))
        .sort(keys)
    )


def preview(
    con: duckdb.DuckDBPyConnection, month: date, current: Settings, candidate: Settings
) -> Preview:
    """Everything the Strategy page shows before a save (see the module docstring)."""
    started = time.perf_counter()
    month = date(month.year, month.month, 1)
    saved = con.sql(
        "SELECT account_id, bucket, risk_grade, delinquency_cause, treatment, balance, "
        "days_past_due, overdue_amount, credit_score, past_delinquencies, employment_type "
        "FROM mart.account_month WHERE month = ? AND delinquency_cause IS NOT NULL",
        params=[month],
    ).pl()
    changed_tables = _grading_candidate(current, candidate)
    if changed_tables and _fast_path(current, changed_tables):
        graded = fast_grades(saved, candidate)
    elif changed_tables:
        graded = strategy.grade_accounts(con, month, changed_tables).filter(
            pl.col("delinquency_cause").is_not_null()
        )
        graded = graded.select("account_id", "bucket", "risk_grade", "delinquency_cause",
                               "treatment", "balance")  # fmt: skip
    else:
        graded = saved
    pairs = saved.select(
        "account_id", "balance", "risk_grade", pl.col("treatment").alias("saved_treatment")
    ).join(
        graded.select(
            "account_id",
            pl.col("risk_grade").alias("candidate_risk_grade"),
            pl.col("treatment").alias("candidate_treatment"),
        ),
        on="account_id",
        how="full",
        coalesce=True,
    )
    matrix = (
        pairs.group_by("risk_grade", "candidate_risk_grade")
        .agg(pl.len().alias("accounts"), pl.col("balance").sum().alias("balance"))
        .sort("risk_grade", "candidate_risk_grade", nulls_last=True)
    )
    grade_changes = pairs.filter(
        pl.col("risk_grade").ne_missing(pl.col("candidate_risk_grade"))
    ).height
    treatment_changes = pairs.filter(
        pl.col("saved_treatment").ne_missing(pl.col("candidate_treatment"))
    ).height
    months = int(_parameter(current, "flow_rate_months", 6))
    history = effectiveness(con, month, months)
    days = working_days_per_week(con)
    saved_plan = _plan(saved, _treatments(current), days)
    candidate_plan = _plan(graded, _treatments(candidate), days)
    workload = _side_by_side(
        _workload(saved_plan, history), _workload(candidate_plan, history), ["team", "channel"],
        "attempts",
    )  # fmt: skip
    collections = _side_by_side(
        _collections(saved_plan, history), _collections(candidate_plan, history), ["channel"],
        "yuan",
    )  # fmt: skip
    return Preview(
        month, saved.height, grade_changes, treatment_changes, matrix, workload, collections,
        time.perf_counter() - started,
    )  # fmt: skip


def grade_matrix_wide(matrix: pl.DataFrame, order: list[str]) -> pl.DataFrame:
    """The from/to matrix as a table: one row per saved grade, one column per candidate grade."""
    if matrix.is_empty():
        return pl.DataFrame({"risk_grade": []})
    wide = matrix.pivot(
        on="candidate_risk_grade", index="risk_grade", values="accounts", aggregate_function="sum"
    ).fill_null(0)
    columns = [g for g in order if g in wide.columns] + [
        c for c in wide.columns if c not in order and c != "risk_grade"
    ]
    rank = {g: i for i, g in enumerate(order)}
    return (
        wide.select("risk_grade", *columns)
        .with_columns(pl.col("risk_grade").replace_strict(rank, default=len(rank)).alias("_o"))
        .sort("_o")
        .drop("_o")
    )


# --- Replaying contact rules --------------------------------------------------------------------


def replay_breaches(
    con: duckdb.DuckDBPyConnection, current: Settings, candidate: Settings, *, since: date
) -> pl.DataFrame:
    """Attempts since `since` judged under the candidate contact rules: breaches per rule set
    and rule, saved (the published mart) vs candidate."""
    model = marts.model(BREACHES)
    changed = {
        table: rows
        for table, rows in candidate.items()
        if table in model.inputs and rows != current.get(table)
    }
    replayed = None
    if changed:
        # The model judges the months from `since`'s on, reading itself the attempts of the
        # counting periods before them (under the candidate's caps), not the whole book.
        with strategy.substituted(con, model.select_sql(), changed) as query:
            values = marts.parameters_for(query, marts.month_range(month_of(since), LAST_MONTH))
            replayed = con.sql(
                f"SELECT rule_set, rule, count(*)::BIGINT AS breaches FROM ({query}) AS b "
                "WHERE local_date >= $since GROUP BY ALL",
                params={**values, "since": since},
            ).pl()
    saved = con.sql(
        "SELECT rule_set, rule, count(*)::BIGINT AS breaches FROM mart.compliance_breaches "
        "WHERE local_date >= ? GROUP BY ALL",
        params=[since],
    ).pl()
    if replayed is None:
        replayed = saved
    return _side_by_side(
        saved.with_columns(pl.col("breaches").cast(pl.Float64)),
        replayed.with_columns(pl.col("breaches").cast(pl.Float64)),
        ["rule_set", "rule"],
        "breaches",
    ).with_columns(pl.col("saved", "candidate", "change").cast(pl.Int64))
