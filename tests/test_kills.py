"""Loads killed at random moments (issue 13 §3): the published warehouse is always exactly the old
state or the new one, and once the killed loads are re-run it equals a clean run.

A bank with a month end and then several days, each day an inbox of several files (snapshots,
payments, contacts; some days a corrected accounts file). A clean run loads the days in turn and
keeps what each publication holds. The killed run loads the same days in the same folders; each
day's load is started and SIGKILLed at a random moment, up to 3 times, before it is let finish
(3 days: up to 9 kills; the test asks for 6 or more; tests/test_publication.py kills loads at
each named step too). After every kill the published
contents equal the state before that day or after it; at the end they equal the clean run's,
relation by relation.

Contents are compared through SQL on a read-only connection (`connect_reader`), never as file
bytes or file lists: every table and view of the raw, core, mart, ops and dq schemas, all rows in
order. Only what a run cannot repeat is left out: the ops and dq columns that hold clock times
or durations.
"""

# ruff: noqa: E501  (CSV rows are kept whole, as a reader sees them)

from __future__ import annotations

import calendar
import os
import random
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest

from warehouse.config import PROJECT_ROOT
from warehouse.storage import connect_reader

pytestmark = pytest.mark.slow

ACCOUNTS = 600
DAYS = 3  # days after the month end, one inbox each
KILLS_PER_DAY = 3  # kill attempts per day before the load is let finish
KILLS_WANTED = 6  # of DAYS x KILLS_PER_DAY attempts (an attempt may finish before its moment)
SCHEMAS = ("raw", "core", "mart", "ops", "dq", "settings")
# Columns of the bookkeeping schemas that a repeated run cannot reproduce: clocks and durations.
UNREPEATABLE_TYPES = ("TIMESTAMP WITH TIME ZONE", "TIMESTAMP", "DOUBLE", "FLOAT")


def write_bank(root: Path) -> list[Path]:
    """The month end's inbox, then one inbox per day: [month end, day 1, ..., day DAYS]."""
    month_end = date(2025, 1, 31)
    first = root / f"{month_end:%Y%m%d}"
    first.mkdir(parents=True)
    accounts = [
        "account_id,national_id,customer_name,card_no,mobile,product,branch,open_date,credit_limit"
    ]
    accounts += [
        f"K{i},1101051990{i:08d},王{i % 10},62258802{i:08d},138{i:08d},Gold,Shanghai,2020-01-15,{1000 + i}"
        for i in range(ACCOUNTS)
    ]
    (first / f"accounts_{month_end:%Y%m%d}.csv").write_text("\n".join(accounts) + "\n")
    snapshots = ["as_of_date,account_id,balance,days_past_due,status"]
    snapshots += [f"{month_end},K{i},{i % 900}.25,{i % 120},open" for i in range(ACCOUNTS)]
    (first / f"snapshots_{month_end:%Y%m%d}.csv").write_text("\n".join(snapshots) + "\n")
    inboxes = [first]
    for d in range(1, DAYS + 1):
        day = month_end + timedelta(days=d)
        folder = root / f"{day:%Y%m%d}"
        folder.mkdir()
        delinquent = [i for i in range(ACCOUNTS) if (i + d) % 3 == 0]
        rows = ["as_of_date,account_id,balance,days_past_due,status"]
        rows += [f"{day},K{i},{i % 900}.25,{i % 120 + d},open" for i in delinquent]
        (folder / f"snapshots_{day:%Y%m%d}.csv").write_text("\n".join(rows) + "\n")
        rows = ["payment_id,account_id,paid_at,amount,channel"]
        rows += [f"P{d}-{i},K{i},{day} 11:00:00,{10 + i % 50}.00,app" for i in delinquent[::4]]
        (folder / f"payments_{day:%Y%m%d}.csv").write_text("\n".join(rows) + "\n")
        rows = ["attempt_id,account_id,channel,started_at,contact_number,outcome,notes"]
        rows += [
            f"C{d}-{i},K{i},call,{day} 10:{i % 60:02d}:00,138{i:08d},no_answer,call back {d}"
            for i in delinquent
        ]
        (folder / f"contacts_{day:%Y%m%d}.csv").write_text("\n".join(rows) + "\n")
        if d % 2 == 0:  # a corrected accounts snapshot: new limits for some accounts
            rows = [accounts[0]] + [
                line.replace(",2020-01-15,", ",2020-01-16,") for line in accounts[1 : 1 + 50 * d]
            ]
            (folder / f"accounts_{day:%Y%m%d}.csv").write_text("\n".join(rows) + "\n")
    assert calendar.monthrange(2025, 1)[1] == 31
    return inboxes + sorted(p for p in root.iterdir() if p not in inboxes)


def contents(db: Path) -> dict[str, list[tuple]]:
    """Every table and view of the published warehouse, rows in order, clocks left out."""
    con = connect_reader(db)
    try:
        relations = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            f"WHERE table_catalog = 'wh' AND table_schema IN {SCHEMAS!r} ORDER BY 1, 2"
        ).fetchall()
        out: dict[str, list[tuple]] = {}
        for schema, table in relations:
            if schema == "ops" and table.startswith("lake_"):
                continue  # the lake's bookkeeping: file names are new in every run
            columns = [
                name
                for name, kind in con.execute(
                    "SELECT column_name, data_type FROM information_schema.columns "
                    "WHERE table_catalog = 'wh' AND table_schema = ? AND table_name = ? "
                    "ORDER BY ordinal_position",
                    [schema, table],
                ).fetchall()
                if not (schema in ("ops", "dq") and kind in UNREPEATABLE_TYPES)
            ]
            select = ", ".join(f'"{c}"' for c in columns)
            out[f"{schema}.{table}"] = con.execute(
                f'SELECT {select} FROM "{schema}"."{table}" ORDER BY ALL'
            ).fetchall()
        return out
    finally:
        con.close()


def load_command(inbox: Path, db: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "warehouse.cli",
        "load",
        str(inbox),
        "--db",
        str(db),
        "--no-checks",
    ]


def run_load(inbox: Path, db: Path) -> float:
    started = time.monotonic()
    done = subprocess.run(
        load_command(inbox, db),
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return time.monotonic() - started


def differences(found: dict[str, list[tuple]], expected: dict[str, list[tuple]]) -> list[str]:
    names = sorted(set(found) | set(expected))
    return [n for n in names if found.get(n) != expected.get(n)]


@pytest.mark.timeout(1800)
def test_loads_killed_at_random_moments_publish_the_old_or_the_new_state(tmp_path: Path) -> None:
    inboxes = write_bank(tmp_path / "bank")
    # The clean run: each day loaded once, what each publication holds, and how long it took.
    clean = tmp_path / "clean" / "warehouse.duckdb"
    clean.parent.mkdir()
    states, seconds = [], []
    for inbox in inboxes:
        seconds.append(run_load(inbox, clean))
        states.append(contents(clean))
    assert all(states[i] != states[i + 1] for i in range(len(states) - 1))  # each day changes it

    killed = tmp_path / "killed" / "warehouse.duckdb"
    killed.parent.mkdir()
    run_load(inboxes[0], killed)
    assert contents(killed) == states[0]
    chance = random.Random(os.environ.get("COLLECTIONS_KILL_SEED") or time.time_ns())
    kills, landed_anyway, moments = 0, 0, []
    # Moments are drawn within the clean run's duration of the day, scaled down when this run
    # proves faster (a shared machine's speed changes from minute to minute).
    scale = 1.0
    for day in range(1, len(inboxes)):
        old, new = states[day - 1], states[day]
        finished = False
        for _ in range(KILLS_PER_DAY):
            moment = chance.uniform(0.02, 0.7) * seconds[day] * scale
            began = time.monotonic()
            proc = subprocess.Popen(
                load_command(inboxes[day], killed),
                cwd=PROJECT_ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env={**os.environ, "COLUMNS": "200"},
            )
            try:
                proc.wait(timeout=moment)
                assert proc.returncode == 0, f"day {day}: the load failed by itself"
                landed_anyway += 1  # it finished before its moment came
                scale = min(scale, (time.monotonic() - began) / seconds[day])
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)  # this load only, by its id
                proc.wait(timeout=30)
                if proc.returncode == -signal.SIGKILL:
                    kills += 1
                    moments.append(round(moment, 2))
            now = contents(killed)
            if now == new:
                finished = True
                break  # published: the next attempt would be a new load of the next day
            assert now == old, (
                f"day {day}, killed at {moment:.2f} s: neither the old nor the new state; "
                f"differs in {differences(now, old)[:5]} from the old, "
                f"{differences(now, new)[:5]} from the new"
            )
        if not finished:
            scale = min(scale, run_load(inboxes[day], killed) / seconds[day])
        assert contents(killed) == new, f"day {day}: {differences(contents(killed), new)}"
    print(f"{kills} loads killed at {moments} s; {landed_anyway} finished before their moment")
    # Every relation equals the clean run's, after KILLS_WANTED kills or more at random moments.
    assert differences(contents(killed), states[-1]) == []
    assert kills >= KILLS_WANTED, (
        f"only {kills} loads were killed (moments {moments}); {landed_anyway} finished first"
    )
