"""The demo bank responds to the treatment in force (issue 14, part 5b).

A champion / challenger experiment: half the accounts (warehouse.app.experiments.arm_of, seed 5,
share 0.5) get, from 1 December 2024, a firmer treatment for medium risk: every medium row of
settings.treatments with two more contacts a week (2 -> 4, or 3 -> 5 for the wilful) and letters
added. The demo works those accounts more (warehouse.demo.treatments: calls x intensity, letters
from the 20th day overdue) and their customers pay of their own accord more often (daily odds x
intensity ** 0.5, about 1.41 at twice the contacts).

The measure is the experiment's own: the cure rate (back to Current at the next month end) of
the accounts delinquent at a month end, champion against challenger, each arm with its Wilson
interval (experiments.wilson) and the difference with the normal-approximation interval of
experiments.difference. The arms differ when their 95% intervals do not overlap. The experiment
concerns medium-risk accounts, so they are the population: the demo grades by credit score
(600-699 medium) and employment (unemployed is high) (warehouse.demo.book.grade), read here from
the accounts file. Every month end from the start
month's to the one before the last counts (account-months).

With 5,000 accounts over 12 months the challenger's cure rate is higher, the arms' intervals are
apart and the difference's interval lies above 0. With 50 accounts the same experiment cannot
tell the arms apart: at seed 7, 3 of 7 champion account-months cure against 3 of 3 challenger
ones, and the Wilson intervals overlap (0.16-0.75 and 0.44-1). (The normal approximation of the
difference claims more there: with every challenger account cured its variance is 0, which is
why it is not the test of a sample that small.)
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from warehouse.app.experiments import arm_of, difference, wilson
from warehouse.demo import Challenger, generate_bank
from warehouse.demo.treatments import default_rows

SEED, SHARE = 5, 0.5
START = date(2024, 12, 1)


def firmer_for_medium_risk() -> list[dict[str, object]]:
    return [
        dict(
            row,
            contacts_per_week=int(str(row["contacts_per_week"])) + 2,
            channels=f"{row['channels']}, letter",
        )
        for row in default_rows()
        if row["risk_grade"] == "medium"
    ]


def cure_rates(folder: Path) -> tuple[tuple[int, int], tuple[int, int]]:
    """((champion account-months, cured), (challenger account-months, cured))."""
    snapshots = pl.read_csv(
        str(folder / "snapshots_*.csv"),
        infer_schema=False,
        columns=["as_of_date", "account_id", "days_past_due", "status"],
    ).with_columns(pl.col("as_of_date").str.to_date(), pl.col("days_past_due").cast(pl.Int64))
    ends = snapshots.filter(pl.col("as_of_date") == pl.col("as_of_date").dt.month_end())
    live = pl.col("status").is_in(["open", "frozen"])
    accounts = (
        pl.read_csv(str(folder / "accounts_*.csv"), infer_schema=False)
        .unique("account_id", keep="last", maintain_order=True)
        .filter(
            pl.col("credit_score").cast(pl.Int64).is_between(600, 699),
            pl.col("employment_type") != "unemployed",
        )
        .select("account_id")
    )
    month_ends = sorted(ends["as_of_date"].unique().to_list())
    frames = []
    for this, following in zip(month_ends, month_ends[1:], strict=False):
        if this < date(2024, 11, 30):  # the start month's picture and later
            continue
        delinquent = ends.filter(pl.col("as_of_date") == this, pl.col("days_past_due") > 0, live)
        cured = ends.filter(pl.col("as_of_date") == following).select(
            "account_id", cured=(pl.col("days_past_due") == 0) & live
        )
        frames.append(
            delinquent.select("account_id")
            .join(accounts, on="account_id")
            .join(cured, on="account_id", how="left")
        )
    frame = pl.concat(frames).with_columns(
        pl.col("cured").fill_null(False),
        arm=pl.col("account_id").map_elements(
            lambda a: arm_of(SEED, a, SHARE), return_dtype=pl.String
        ),
    )
    counts = {
        row["arm"]: (row["n"], row["cured"])
        for row in frame.group_by("arm").agg(n=pl.len(), cured=pl.col("cured").sum()).to_dicts()
    }
    return counts.get("champion", (0, 0)), counts.get("challenger", (0, 0))


def experiment(folder: Path, accounts: int) -> tuple[tuple[int, int], tuple[int, int]]:
    generate_bank(
        folder,
        accounts=accounts,
        months=12,
        seed=7,
        start=date(2024, 11, 1),
        challenger=Challenger(
            START, lambda a: arm_of(SEED, a, SHARE) == "challenger", firmer_for_medium_risk()
        ),
    )
    return cure_rates(folder)


def arms_apart(champion: tuple[int, int], challenger: tuple[int, int]) -> bool:
    """The two arms' 95% Wilson intervals of the cure rate do not overlap."""
    (n1, c1), (n2, c2) = champion, challenger
    if not n1 or not n2:
        return False
    low1, high1 = wilson(c1, n1)
    low2, high2 = wilson(c2, n2)
    return high1 < low2 or high2 < low1


def test_a_firmer_treatment_shows_with_enough_accounts(tmp_path: Path) -> None:
    champion, challenger = experiment(tmp_path / "bank", 5000)
    (n1, c1), (n2, c2) = champion, challenger
    d, low, _ = difference(c1 / n1, n1, c2 / n2, n2)
    # About 10 points more cures a month (0.44 -> 0.54 at seed 7).
    assert 0.05 < d < 0.15 and low > 0
    assert arms_apart(champion, challenger)


def test_too_few_accounts_cannot_tell_the_arms_apart(tmp_path: Path) -> None:
    champion, challenger = experiment(tmp_path / "bank", 50)
    assert champion[0] + challenger[0] < 20  # a handful of account-months
    assert not arms_apart(champion, challenger)


def test_no_experiment_no_difference(tmp_path: Path) -> None:
    # The control: the same bank without a challenger treats both arms alike (351 of 758 and
    # 363 of 849 account-months cure at seed 7): nothing to tell apart at 5,000 accounts either.
    generate_bank(tmp_path / "bank", accounts=5000, months=12, seed=7, start=date(2024, 11, 1))
    champion, challenger = cure_rates(tmp_path / "bank")
    (n1, c1), (n2, c2) = champion, challenger
    _, low, high = difference(c1 / n1, n1, c2 / n2, n2)
    assert low <= 0 <= high
    assert not arms_apart(champion, challenger)
