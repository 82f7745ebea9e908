"""Champion / challenger: a random share of accounts gets the challenger strategy; compare.

**Assignment.** Each account's arm is a pure function of the experiment's seed and the account
id: the first 8 hex digits of md5("<seed>:<account_id>") as a number in [0, 1); below the
challenger's share means challenger. It is random across accounts, needs no stored list, never
changes for an account, and anyone can recompute it (`arm_of`). The population is every live
account at least one day past due at the experiment's start month.

**Outcomes** at the next month end (mart.account_month at start month + 1), per arm:

* cure rate   accounts back to Current / accounts in the arm;
* roll rate   accounts in a worse bucket (higher bucket order; written off counts as worse) /
              accounts in the arm;
* collected rate  yuan paid (core.payments_net) in the month after the start month / balance at
              the start month (a ratio of sums).

**Intervals** (95%, z = 1.96): Wilson score intervals for each arm's cure and roll rates; for
the difference challenger - champion, the normal approximation
d ± z·sqrt(p1(1-p1)/n1 + p2(1-p2)/n2). The collected rate is a ratio estimator R = Σy/Σx with
the linearised variance Var(R) ≈ Σ(y - R·x)² / (n(n-1)·x̄²), and the difference the normal
approximation with the two variances added. Accounts missing from the next month end count as
neither cured nor rolled.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import date

import duckdb
import polars as pl

from warehouse.months import add_months

Z95 = 1.959963984540054


def arm_of(seed: int, account_id: str, share: float) -> str:
    draw = int(hashlib.md5(f"{seed}:{account_id}".encode()).hexdigest()[:8], 16) / 2**32
    return "challenger" if draw < share else "champion"


def assign(account_ids: list[str], *, seed: int, share: float) -> pl.DataFrame:
    if not 0 < share < 1:
        raise ValueError(f"the challenger's share is between 0 and 1; got {share}")
    return pl.DataFrame(
        {"account_id": account_ids, "arm": [arm_of(seed, a, share) for a in account_ids]},
        schema={"account_id": pl.String, "arm": pl.String},
    )


def population(con: duckdb.DuckDBPyConnection, month: date) -> list[str]:
    """Live accounts at least one day past due at `month` (mart.account_month)."""
    rows = con.execute(
        "SELECT account_id FROM mart.account_month WHERE month = ? "
        "AND delinquency_cause IS NOT NULL ORDER BY account_id",
        [month],
    ).fetchall()
    return [row[0] for row in rows]


def wilson(successes: float, n: float, z: float = Z95) -> tuple[float, float]:
    if n <= 0:
        return (math.nan, math.nan)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def difference(
    p1: float, n1: float, p2: float, n2: float, z: float = Z95
) -> tuple[float, float, float]:
    """(d, low, high) for d = p2 - p1 by the normal approximation."""
    if n1 <= 0 or n2 <= 0:
        return (math.nan, math.nan, math.nan)
    d = p2 - p1
    se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    return (d, d - z * se, d + z * se)


def ratio_and_variance(paid: list[float], balance: list[float]) -> tuple[float, float]:
    n = len(paid)
    total = sum(balance)
    if n < 2 or total == 0:
        return (math.nan, math.nan)
    r = sum(paid) / total
    mean_x = total / n
    residual = sum((y - r * x) ** 2 for y, x in zip(paid, balance, strict=True))
    return (r, residual / (n * (n - 1) * mean_x * mean_x))


@dataclass(frozen=True)
class ArmComparison:
    arms: pl.DataFrame  # arm, accounts, cured, rolled, cure_rate(+ci), roll_rate(+ci), collected
    differences: pl.DataFrame  # measure, champion, challenger, difference, low, high
    outcome_month: date | None


def outcomes(con: duckdb.DuckDBPyConnection, start_month: date) -> pl.DataFrame:
    """Per account of the population: balance at start, cured, rolled, paid the month after."""
    following = add_months(start_month, 1)
    return con.sql(
        """
        WITH start AS (
            SELECT account_id, bucket_order, balance::DOUBLE AS balance
            FROM mart.account_month WHERE month = ? AND delinquency_cause IS NOT NULL
        ),
        after AS (
            SELECT account_id, bucket, bucket_order FROM mart.account_month WHERE month = ?
        ),
        paid AS (
            SELECT account_id, sum(amount)::DOUBLE AS paid FROM core.payments_net
            WHERE paid_date >= ? AND paid_date < ? GROUP BY account_id
        )
        SELECT s.account_id, s.balance,
               coalesce(a.bucket = 'Current', false) AS cured,
               coalesce(a.bucket_order > s.bucket_order, false) AS rolled,
               coalesce(p.paid, 0) AS paid,
               a.account_id IS NOT NULL AS observed
        FROM start AS s
        LEFT JOIN after AS a USING (account_id)
        LEFT JOIN paid AS p USING (account_id)
        """,
        params=[start_month, following, following, add_months(following, 1)],
    ).pl()


def compare(
    con: duckdb.DuckDBPyConnection, *, start_month: date, seed: int, share: float
) -> ArmComparison:
    frame = outcomes(con, start_month)
    following = add_months(start_month, 1)
    has_next = con.execute(
        "SELECT count(*) FROM mart.account_month WHERE month = ?", [following]
    ).fetchall()[0][0]
    frame = frame.join(
        assign(frame["account_id"].to_list(), seed=seed, share=share), on="account_id"
    )
    rows = []
    stats: dict[str, dict[str, float]] = {}
    for arm in ("champion", "challenger"):
        part = frame.filter(pl.col("arm") == arm)
        n = float(part.height)
        cured = float(part["cured"].sum()) if n else 0.0
        rolled = float(part["rolled"].sum()) if n else 0.0
        collected, variance = ratio_and_variance(part["paid"].to_list(), part["balance"].to_list())
        cure_lo, cure_hi = wilson(cured, n)
        roll_lo, roll_hi = wilson(rolled, n)
        se = math.sqrt(variance) if not math.isnan(variance) else math.nan
        stats[arm] = {"n": n, "cure": cured / n if n else math.nan,
                      "roll": rolled / n if n else math.nan, "collected": collected,
                      "collected_var": variance}  # fmt: skip
        rows.append({
            "arm": arm, "accounts": int(n), "cured": int(cured), "rolled": int(rolled),
            "cure_rate": stats[arm]["cure"], "cure_low": cure_lo, "cure_high": cure_hi,
            "roll_rate": stats[arm]["roll"], "roll_low": roll_lo, "roll_high": roll_hi,
            "collected_rate": collected, "collected_low": collected - Z95 * se,
            "collected_high": collected + Z95 * se,
        })  # fmt: skip
    champion, challenger = stats["champion"], stats["challenger"]
    differences = []
    for measure in ("cure", "roll"):
        d, lo, hi = difference(
            champion[measure], champion["n"], challenger[measure], challenger["n"]
        )
        differences.append({"measure": f"{measure}_rate", "champion": champion[measure],
                            "challenger": challenger[measure], "difference": d, "low": lo,
                            "high": hi})  # fmt: skip
    d = challenger["collected"] - champion["collected"]
    se = math.sqrt(champion["collected_var"] + challenger["collected_var"])
    differences.append({"measure": "collected_rate", "champion": champion["collected"],
                        "challenger": challenger["collected"], "difference": d,
                        "low": d - Z95 * se, "high": d + Z95 * se})  # fmt: skip
    return ArmComparison(
        pl.DataFrame(rows), pl.DataFrame(differences), following if has_next else None
    )


def challenger_treatments(
    con: duckdb.DuckDBPyConnection, month: date, challenger_settings: dict, arms: pl.DataFrame
) -> pl.DataFrame:
    """The challenger arm's accounts graded and treated under the challenger settings
    (account_id, arm, treatment, channels, contacts_per_week) for the work queue."""
    from warehouse.app import strategy

    readable = set(strategy.candidate_tables())
    candidate = {t: rows for t, rows in challenger_settings.items() if t in readable}
    graded = strategy.grade_accounts(con, month, candidate).select(
        "account_id", "risk_grade", "delinquency_cause", "treatment"
    )
    treatments = pl.DataFrame(
        challenger_settings.get("settings.treatments", []), infer_schema_length=None
    )
    if treatments.height:
        graded = graded.join(
            treatments.select(
                "risk_grade", "delinquency_cause", "channels",
                pl.col("contacts_per_week").cast(pl.Int64),
            ),
            on=["risk_grade", "delinquency_cause"],
            how="left",
        )  # fmt: skip
    challengers = arms.filter(pl.col("arm") == "challenger")
    return challengers.join(graded, on="account_id", how="inner").select(
        "account_id", "arm", "treatment", "channels", "contacts_per_week"
    )
