"""Atomic publication, proved with real processes: readers never see a half-loaded warehouse, a
load killed at any moment leaves the published file exactly as it was, two loads cannot race, and
what a killed load left behind is thrown away by the next one (see warehouse/publish.py)."""

# ruff: noqa: E501  (expected messages, SQL and CSV rows are kept whole, as a reader sees them)

from __future__ import annotations

import calendar
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from conftest import query, write_inbox

from warehouse.config import PROJECT_ROOT, lake_path
from warehouse.jobs.load import load_inbox
from warehouse.storage import connect_reader, copy_warehouse
from warehouse.storage.publication import lock_path, staging_path

pytestmark = pytest.mark.slow

# The bigger bank: ACCOUNTS accounts with a month-end snapshot and one contact attempt per account
# per month for MONTHS months. Big enough that a load takes a second or two after start-up.
ACCOUNTS, MONTHS = 3_000, 6
BIG_ROWS = {"accounts": ACCOUNTS, "snapshots": ACCOUNTS * MONTHS, "contacts": ACCOUNTS * MONTHS}
BIG_FILES = 1 + 2 * MONTHS

# Runs the real CLI, but says on stdout when it reaches the marts and the publication, and can
# linger there (argv[1], argv[2] seconds) so a test can act at exactly that moment.
INSTRUMENTED_CLI = """
import sys, time
import warehouse.storage.publication as publication
import warehouse.marts as marts
real_build, real_publish = marts.build, publication.publish
marts_pause, publish_pause = float(sys.argv[1]), float(sys.argv[2])
def build(con, *args, **kwargs):
    print("MARTS", flush=True)
    time.sleep(marts_pause)
    return real_build(con, *args, **kwargs)
def publish(db):
    print("PUBLISH", flush=True)
    time.sleep(publish_pause)
    return real_publish(db)
marts.build, publication.publish = build, publish
sys.argv = ["collections"] + sys.argv[3:]
from warehouse.cli import main
main()
"""

# Opens the published warehouse again and again (as the dashboard does) until told to stop, and
# also keeps one connection open throughout. Prints READY once it has read, then a JSON report.
READER = """
import json, sys, time
from pathlib import Path
from warehouse.storage import connect_reader
db, stop, limit = Path(sys.argv[1]), Path(sys.argv[2]), time.time() + float(sys.argv[3])
held = connect_reader(db)
fresh, kept, errors, times = [], [], [], []
while time.time() < limit and not stop.exists():
    try:
        con = connect_reader(db)
        fresh.append(con.execute("SELECT count(*) FROM raw.snapshots").fetchall()[0][0])
        times.append(time.time())
        con.close()
        kept.append(held.execute("SELECT count(*) FROM raw.snapshots").fetchall()[0][0])
    except Exception as exc:
        errors.append(repr(exc))
    if len(fresh) == 1:
        print("READY", flush=True)
    time.sleep(0.005)
print(json.dumps({"fresh": fresh, "kept": kept, "errors": errors, "times": times}), flush=True)
"""


def write_big_inbox(folder: Path) -> Path:
    folder.mkdir(parents=True)
    lines = [
        "account_id,national_id,customer_name,card_no,mobile,product,branch,open_date,credit_limit"
    ]
    lines += [
        f"B{i},1101051990{i:08d},王{i % 10},62258802{i:08d},138{i:08d},Gold,Shanghai,2020-01-15,{1000 + i}"
        for i in range(ACCOUNTS)
    ]
    (folder / "accounts_20250131.csv").write_text("\n".join(lines) + "\n")
    for m in range(1, MONTHS + 1):
        day = date(2025, m, calendar.monthrange(2025, m)[1])
        lines = ["as_of_date,account_id,balance,days_past_due,status"]
        lines += [f"{day},B{i},{i % 5000}.25,{(i + m * 13) % 200},open" for i in range(ACCOUNTS)]
        (folder / f"snapshots_{day:%Y%m%d}.csv").write_text("\n".join(lines) + "\n")
        lines = ["attempt_id,account_id,channel,started_at,contact_number,outcome"]
        lines += [
            f"C{m}-{i},B{i},call,{day} 10:{i % 60:02d}:00,138{i:08d},no_answer"
            for i in range(ACCOUNTS)
        ]
        (folder / f"contacts_{day:%Y%m%d}.csv").write_text("\n".join(lines) + "\n")
    return folder


@pytest.fixture(scope="module")
def big_inbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_big_inbox(tmp_path_factory.mktemp("big") / "inbox")


@pytest.fixture
def warehouse(tiny_published: Path, tmp_path: Path) -> Path:
    """The tiny bank as published (conftest.py), a copy of this test's own."""
    db = tmp_path / "warehouse.duckdb"
    copy_warehouse(tiny_published, db)
    return db


def lake_files_on_disk(db: Path) -> set[str]:
    root = lake_path(db)
    return {p.relative_to(root).as_posix() for p in root.rglob("*.parquet")}


def lake_files_listed(db: Path) -> set[str]:
    return {path for (path,) in query(db, "SELECT path FROM ops.lake_files")}


def fingerprint(db: Path) -> dict[str, str]:
    """A checksum of every table's full content (all rows, sorted), per table."""
    con = connect_reader(db)
    try:
        # Tables, and the views over the lake's files (the landed rows and the marts).
        tables = con.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE table_catalog = 'wh' ORDER BY 1"
        ).fetchall()
        return {
            t: hashlib.sha256(
                repr(con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()).encode()
            ).hexdigest()
            for (t,) in tables
        }
    finally:
        con.close()


def counts(db: Path) -> dict[str, int]:
    con = connect_reader(db)
    try:
        return {
            t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
            for t in (
                "raw.accounts",
                "raw.snapshots",
                "raw.contacts",
                "ops.publications",
                "mart.account_month",
            )
        }
    finally:
        con.close()


# The tiny bank (3 accounts, 8 snapshots, 1 publication, 3 + 3 account-months)...
TINY_COUNTS = {
    "raw.accounts": 3,
    "raw.snapshots": 8,
    "raw.contacts": 0,
    "ops.publications": 1,
    "mart.account_month": 6,
}
# ...plus the big bank in a second publication (one account-month per snapshot: one per month).
AFTER_BIG = {
    "raw.accounts": 3 + ACCOUNTS,
    "raw.snapshots": 8 + ACCOUNTS * MONTHS,
    "raw.contacts": ACCOUNTS * MONTHS,
    "ops.publications": 2,
    "mart.account_month": 6 + ACCOUNTS * MONTHS,
}


# The loads here run without the data-quality checks (`--no-checks`, `run_checks=False`): the
# checks read the staging copy like the marts do and play no part in publishing it (what a failed
# check does to a load is tests/test_checks.py's). A load publishes either way.
def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "warehouse.cli", *args]


def instrumented(marts_pause: float, publish_pause: float, *args: str) -> list[str]:
    return [sys.executable, "-c", INSTRUMENTED_CLI, str(marts_pause), str(publish_pause), *args]


def popen(command: list[str]) -> subprocess.Popen:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_line(proc: subprocess.Popen, wanted: str, timeout: float) -> None:
    """Read the process's stdout until a line equals `wanted` (bounded)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        line = proc.stdout.readline()
        if line.strip() == wanted:
            return
        if not line and proc.poll() is not None:
            raise AssertionError(f"process ended before {wanted!r}: {proc.stderr.read()}")
    raise AssertionError(f"no {wanted!r} within {timeout} s")


@pytest.mark.timeout(900)
def test_readers_keep_answering_during_a_load_and_then_see_the_new_data(
    warehouse: Path, big_inbox: Path, tmp_path: Path
) -> None:
    stop = tmp_path / "stop-reading"
    # Bounds, not speeds: the reader stops when told to (or after 600 s), the load gets 600 s.
    reader = popen([sys.executable, "-c", READER, str(warehouse), str(stop), "600"])
    try:
        wait_for_line(reader, "READY", timeout=300)
        started = time.time()
        load = subprocess.run(
            cli("load", str(big_inbox), "--db", str(warehouse), "--no-checks"),
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
        finished = time.time()
        time.sleep(0.5)  # let the reader open the new version a few times
        stop.touch()
        out, err = reader.communicate(timeout=300)
    finally:
        if reader.poll() is None:
            reader.kill()
    assert load.returncode == 0, load.stderr
    report = json.loads(out.strip().splitlines()[-1])
    old, new = TINY_COUNTS["raw.snapshots"], AFTER_BIG["raw.snapshots"]
    # Not one failed read, and reads kept answering while the load ran (behaviour, not a rate:
    # a loaded machine may answer few of them).
    assert report["errors"] == []
    assert any(started <= t <= finished for t in report["times"])
    # Each fresh connection saw either the whole old warehouse or the whole new one, in that
    # order: never a partial load.
    assert set(report["fresh"]) == {old, new}
    switch = report["fresh"].index(new)
    assert report["fresh"][:switch] == [old] * switch
    assert report["fresh"][switch:] == [new] * (len(report["fresh"]) - switch)
    # The connection held open across the publication kept reading the old version, unharmed.
    assert set(report["kept"]) == {old}
    assert counts(warehouse) == AFTER_BIG


# When to kill the load, one named step each: 0.4 s after its staging copy exists (reading and
# landing files), while it rebuilds the marts, and with the finished, closed staging file just
# before the swap. (The instrumented CLI lingers 5 s before publishing, so every kill lands before
# the swap, whatever the machine's speed.) Kills at random moments of whole days of loads are
# tests/test_kills.py's.
KILL_MOMENTS = ["staging+0.4s", "marts", "before-publish"]


@pytest.mark.parametrize("moment", KILL_MOMENTS)
def test_a_killed_load_leaves_the_published_warehouse_untouched(
    warehouse: Path, big_inbox: Path, moment: str
) -> None:
    before = fingerprint(warehouse)
    proc = popen(
        instrumented(0.0, 5.0, "load", str(big_inbox), "--db", str(warehouse), "--no-checks")
    )
    try:
        if moment.endswith("s") and moment[0].isdigit():
            time.sleep(float(moment[:-1]))
        elif moment.startswith("staging"):
            deadline = time.time() + 300
            while not staging_path(warehouse).exists() and time.time() < deadline:
                time.sleep(0.01)
            assert staging_path(warehouse).exists()
            time.sleep(float(moment.split("+")[1][:-1]))
        elif moment == "marts":
            wait_for_line(proc, "MARTS", timeout=300)
        else:
            wait_for_line(proc, "PUBLISH", timeout=300)
            # The staging copy is complete and closed: only the swap is left to do.
            assert staging_path(warehouse).stat().st_size > warehouse.stat().st_size
        assert proc.poll() is None, "the load finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    # The published file is exactly what it was: every table, row for row.
    assert fingerprint(warehouse) == before
    assert counts(warehouse) == TINY_COUNTS
    # Loading again completes (the kernel dropped the dead load's lock) with the whole big bank.
    staging_left = staging_path(warehouse).exists()
    summary = load_inbox(big_inbox, db=warehouse, run_checks=False)
    assert summary.interrupted_load_discarded == staging_left
    assert [f.status for f in summary.files] == ["landed"] * BIG_FILES
    assert summary.rows_landed == sum(BIG_ROWS.values())
    assert counts(warehouse) == AFTER_BIG
    assert not staging_path(warehouse).exists()


def test_two_loads_at_once_the_second_fails_fast(
    warehouse: Path, big_inbox: Path, tmp_path: Path
) -> None:
    # The second load has something new to land (an inbox already landed needs no lock at all).
    new_day = write_inbox(
        tmp_path / "new_day",
        {
            "snapshots_20240331.csv": "as_of_date,account_id,balance,days_past_due,status\n"
            "2024-03-31,A1,5,0,open\n"
        },
    )
    # The first load lingers 5 s at its marts, holding the lock.
    first = popen(
        instrumented(5.0, 0.0, "load", str(big_inbox), "--db", str(warehouse), "--no-checks")
    )
    try:
        wait_for_line(first, "MARTS", timeout=30)
        assert lock_path(warehouse).read_text() == str(first.pid)  # the lock holder wrote its pid
        second = subprocess.run(
            cli("load", str(new_day), "--db", str(warehouse)),
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=30,
            env={**os.environ, "COLUMNS": "200"},
        )
        assert first.poll() is None  # the first was still running throughout: no waiting
        out, err = first.communicate(timeout=60)
    finally:
        if first.poll() is None:
            first.kill()
    # The second gives up at once (while the first still runs: it did not wait) with exit 1...
    assert second.returncode == 1, second.stderr
    message = " ".join((second.stdout + second.stderr).split())
    assert "another load is writing" in message
    # ...and the first completes normally: one new publication, the big bank landed.
    assert first.returncode == 0, err
    assert counts(warehouse) == AFTER_BIG


def test_a_stale_staging_file_is_discarded(warehouse: Path, tmp_path: Path) -> None:
    # What a killed load leaves: a half-written staging copy and its write-ahead log.
    staging_path(warehouse).write_bytes(b"half a warehouse" * 1000)
    wal = staging_path(warehouse).with_name(staging_path(warehouse).name + ".wal")
    wal.write_bytes(b"half a log")
    inbox = write_inbox(
        tmp_path / "more",
        {
            "snapshots_20240331.csv": "as_of_date,account_id,balance,days_past_due,status\n2024-03-31,A1,5,0,open\n"
        },
    )
    done = subprocess.run(
        cli("load", str(inbox), "--db", str(warehouse), "--no-checks"),
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert done.returncode == 0, done.stderr
    # The warning says so; the leftovers are gone; the load started from the published version.
    assert "interrupted" in done.stderr
    assert not staging_path(warehouse).exists() and not wal.exists()
    assert counts(warehouse) == {
        **TINY_COUNTS,
        "raw.snapshots": 9,
        "ops.publications": 2,
        "mart.account_month": 7,
    }


def test_a_failing_load_publishes_nothing_and_cleans_up(
    warehouse: Path, tmp_path: Path, monkeypatch
) -> None:
    before = fingerprint(warehouse)
    inbox = write_inbox(
        tmp_path / "more",
        {
            "snapshots_20240331.csv": "as_of_date,account_id,balance,days_past_due,status\n2024-03-31,A1,5,0,open\n"
        },
    )
    import warehouse.marts as marts

    def broken_build(con, *args, **kwargs):
        raise RuntimeError("a mart failed")

    monkeypatch.setattr(marts, "build", broken_build)
    with pytest.raises(RuntimeError, match="a mart failed"):
        load_inbox(inbox, db=warehouse)
    # Nothing published, no staging copy or WAL left behind.
    assert fingerprint(warehouse) == before
    assert sorted(p.name for p in warehouse.parent.iterdir() if p.name.startswith("warehouse")) == [
        "warehouse.duckdb",
        "warehouse.duckdb.lock",
        "warehouse.lake",
    ]
    # and no file of the failed load in the lake: exactly the files the published catalog lists.
    assert lake_files_on_disk(warehouse) == lake_files_listed(warehouse)
