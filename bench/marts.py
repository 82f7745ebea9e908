"""Marts benchmark (not a test): the analytics marts on a large warehouse, against plain DuckDB.

    .venv/bin/python bench/marts.py [--db /tmp/benchout/work/warehouse.duckdb] [--keep]
        [--publish /tmp/marts1m/warehouse.duckdb] [--memory-limit 6GB] [--rebuild-only]

The warehouse given by --db (e.g. the 1,000,000 accounts x 24 months of `bench/load.py`) is
copied to a temporary file first; the original is never written. Then, in one run:

1. a full rebuild of every model of `sql/` (`marts.build` without changes): seconds per model,
   every model printed; with --publish the copy is made in PATH's folder and, rebuilt, moved
   over PATH atomically (`os.replace`, a rename: no second copy on a full disk), for
   benchmarking the dashboard on it; steps 2-3 then read it there and step 4 loads into a
   fresh copy of it;
2. the latest month's migration matrix read from `mart.bucket_migration`, and the same matrix
   computed by a plain DuckDB self-join of `mart.account_month` (the baseline), with the ratio;
   the same for the whole history (the marts' build time against the self-join over all months);
3. a read of the latest month from each published analytics view, and the candidate-settings
   preview (`warehouse.strategy.grade_accounts`) for the latest month;
4. a new day's load through the real loader: the day after the latest snapshot, with that day's
   snapshots (the last daily file's accounts one day older) and payments; prints the refresh's
   seconds per model and what each model did (`ops.mart_builds`: incremental, skipped, full).

Targets (issue 4): full rebuild of all marts <= 60 s; latest-month migration <= 0.2 s; a new
day's load refreshes only what changed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb

from warehouse import marts
from warehouse.storage import connect_reader, connect_writer

DEFAULT_DB = Path("/tmp/benchout/work/warehouse.duckdb")

# The same matrix as mart.bucket_migration for one pair of months, the plain way: a full outer
# self-join of the two month ends. (`New` here is any account absent from the first month.)
SELF_JOIN = """
WITH a AS (SELECT account_id, bucket, balance FROM mart.account_month WHERE month = $from_month),
b AS (SELECT account_id, bucket, balance FROM mart.account_month WHERE month = $to_month)
SELECT coalesce(a.bucket, 'New') AS from_bucket, coalesce(b.bucket, 'Gone') AS to_bucket,
       count(*) AS accounts, sum(a.balance) AS balance, sum(b.balance) AS to_balance
FROM a FULL OUTER JOIN b ON a.account_id = b.account_id
GROUP BY ALL
"""

SELF_JOIN_ALL = """
SELECT a.month, coalesce(a.bucket, 'New') AS from_bucket, coalesce(b.bucket, 'Gone') AS to_bucket,
       count(*) AS accounts, sum(a.balance) AS balance, sum(b.balance) AS to_balance
FROM mart.account_month AS a
FULL OUTER JOIN mart.account_month AS b
    ON a.account_id = b.account_id AND b.month = CAST(a.month + INTERVAL 1 MONTH AS DATE)
GROUP BY ALL
"""

ANALYTICS = (
    "mart.months",
    "core.account_payments",
    "mart.account_month",
    "mart.bucket_migration_by_segment",
    "mart.bucket_migration",
    "mart.roll_rates",
    "mart.expected_loss",
    "mart.vintage_curves",
    "mart.portfolio_health",
    "mart.account_strategy",
)


def _reading(sources: set[str]) -> tuple[str, ...]:
    """The models that read any of `sources`, directly or through other models, in run order."""
    found: list[str] = []
    reached = set(sources)
    for m in marts.models():
        if m.inputs & reached:
            found.append(m.name)
            reached.add(m.name)
    return tuple(found)


# Contacts, promises, plans and compliance: timed like the others, read by month too.
CONTACT_MODELS = _reading({"raw.contacts", "raw.promises", "raw.plans"})
READ_LATEST = (
    *(name for name in ANALYTICS if name.startswith("mart.")),
    "mart.contact_effectiveness",
    "mart.promise_outcomes",
    "mart.promise_kept_rates",
    "mart.compliance_breaches",
    "mart.compliance_breach_counts",
    "mart.agent_league",
)


def timed(con: duckdb.DuckDBPyConnection, sql: str, params: object = None) -> tuple[float, int]:
    """Seconds to run `sql` and fetch its rows as Arrow (as the dashboard's Polars frames do)."""
    started = time.perf_counter()
    rows = con.sql(sql, params=params).fetch_arrow_table().num_rows
    return time.perf_counter() - started, rows


def best_of(
    con: duckdb.DuckDBPyConnection, sql: str, params: object = None, runs: int = 3
) -> float:
    return min(timed(con, sql, params)[0] for _ in range(runs))


def write_next_day(con: duckdb.DuckDBPyConnection, inbox: Path) -> date:
    """A plausible next business day: the last daily file's accounts a day older, and payments."""
    latest = con.execute("SELECT max(as_of_date) FROM raw.snapshots").fetchall()[0][0]
    day = latest + timedelta(days=1)
    inbox.mkdir(parents=True, exist_ok=True)
    con.execute(
        f"""
        COPY (
            SELECT DATE '{day}' AS as_of_date, account_id, statement_day, due_date, balance,
                   min_due, overdue_principal, overdue_interest, overdue_fees,
                   days_past_due + 1 AS days_past_due, cycles_delinquent, status
            FROM raw.snapshots
            WHERE as_of_date = DATE '{latest}' AND days_past_due > 0
              AND status IN ('open', 'frozen')
        ) TO '{inbox / f"snapshots_{day:%Y%m%d}.csv"}' (HEADER)
        """
    )
    con.execute(
        f"""
        COPY (
            SELECT 'BENCH-' || payment_id AS payment_id, account_id,
                   strftime(paid_at + INTERVAL 1 DAY, '%Y-%m-%dT%H:%M:%S+00:00') AS paid_at,
                   amount, channel
            FROM raw.payments
            WHERE paid_at >= TIMESTAMPTZ '{latest}' AND NOT coalesce(is_reversal, false)
        ) TO '{inbox / f"payments_{day:%Y%m%d}.csv"}' (HEADER)
        """
    )
    return day


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--keep", action="store_true", help="keep the temporary copy")
    parser.add_argument(
        "--publish", type=Path, help="after the full rebuild, publish a copy of it at PATH"
    )
    parser.add_argument(
        "--memory-limit", default="6GB", help="DuckDB's memory_limit for the rebuild (6GB)"
    )
    parser.add_argument(
        "--rebuild-only", action="store_true", help="stop after the full rebuild (and --publish)"
    )
    parser.add_argument(
        "--reuse",
        type=Path,
        help="a copy kept by an earlier run (--keep): skip the copy and the full rebuild",
    )
    args = parser.parse_args()
    os.environ.setdefault("COLLECTIONS_MASK_KEY", "benchmark-key-not-a-secret-0123456789abcdef")
    if args.reuse:
        db = args.reuse
        work = db.parent
    else:
        if not args.db.exists():
            raise SystemExit(
                f"no warehouse at {args.db}: make one with `collections generate --out DIR "
                "--accounts 100000 --months 24` and `collections load DIR --db FILE`"
            )
        parent = args.publish.parent if args.publish else None
        work = Path(tempfile.mkdtemp(prefix="bench-marts-", dir=parent))
        db = work / "warehouse.duckdb"
        started = time.perf_counter()
        shutil.copy(args.db, db)
        size = args.db.stat().st_size / 1e9
        print(f"copied {args.db} ({size:.1f} GB) in {time.perf_counter() - started:.1f} s")
    try:
        run(
            db,
            work,
            rebuild=not args.reuse,
            publish=args.publish,
            memory_limit=args.memory_limit,
            rebuild_only=args.rebuild_only,
        )
    finally:
        if args.keep or args.reuse:
            print(f"\nkept {db}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def publish_rebuilt(db: Path, target: Path) -> None:
    """Move the rebuilt `db` over `target` atomically (both in one folder: a rename)."""
    started = time.perf_counter()
    os.replace(db, target)
    print(f"   published the rebuilt copy at {target} in {time.perf_counter() - started:.1f} s")


def run(
    db: Path,
    work: Path,
    *,
    rebuild: bool,
    publish: Path | None = None,
    memory_limit: str = "6GB",
    rebuild_only: bool = False,
) -> None:
    # 1. Full rebuild.
    con = connect_writer(db, memory_limit=memory_limit)
    if rebuild:
        print(
            "\n1. full rebuild of every model (* = portfolio analytics, c = contacts, promises "
            "and compliance), as each finishes:"
        )

        def report(name: str, mode: str, seconds: float) -> None:
            mine = "*" if name in ANALYTICS else "c" if name in CONTACT_MODELS else " "
            print(f"   {mine} {name:<45} {seconds:8.2f} s", flush=True)

        started = time.perf_counter()
        timings = marts.build(con, on_model=report)
        full = time.perf_counter() - started
        con.execute("CHECKPOINT")
    else:
        timings = dict(con.execute("SELECT model, seconds FROM ops.mart_builds").fetchall())
        full = sum(timings.values())
        print("\n1. full rebuild: reusing the copy rebuilt by an earlier run")
    mine = sum(timings.get(name, 0.0) for name in ANALYTICS)
    contacts = sum(timings.get(name, 0.0) for name in CONTACT_MODELS)
    accounts, months = con.execute(
        "SELECT count(DISTINCT account_id), count(DISTINCT month) FROM mart.account_month"
    ).fetchall()[0]
    print(f"   {accounts:,} accounts x {months} months")
    print(
        f"   every model: {full:.1f} s (target <= 60 s); portfolio analytics: {mine:.1f} s; "
        f"contacts, promises and compliance: {contacts:.1f} s"
    )
    if publish is not None:
        con.close()
        publish_rebuilt(db, publish)
        db = publish
        con = connect_reader(db)
    if rebuild_only:
        con.close()
        return

    # 2. Latest-month migration against the plain self-join.
    from_month, to_month = con.execute(
        "SELECT max(month), CAST(max(month) + INTERVAL 1 MONTH AS DATE) FROM mart.bucket_migration"
    ).fetchall()[0]
    con.close()
    reader = connect_reader(db)
    latest = "SELECT * FROM mart.bucket_migration WHERE month = $from_month"
    view_seconds = best_of(reader, latest, {"from_month": from_month})
    baseline = best_of(reader, SELF_JOIN, {"from_month": from_month, "to_month": to_month})
    print(f"\n2. migration {from_month:%Y-%m} -> {to_month:%Y-%m}")
    print(
        f"   mart.bucket_migration, latest month:   {view_seconds * 1000:8.1f} ms "
        "(target <= 200 ms)"
    )
    print(f"   plain self-join of mart.account_month: {baseline * 1000:8.1f} ms")
    print(f"   ratio mart / self-join: {view_seconds / baseline:.4f}")
    all_months = best_of(reader, SELF_JOIN_ALL, runs=1)
    built = timings.get("mart.bucket_migration_by_segment", 0.0) + timings.get(
        "mart.bucket_migration", 0.0
    )
    print(
        f"   whole history: building both migration tables {built:.2f} s; plain self-join "
        f"{all_months:.2f} s; ratio {built / all_months:.2f} (the tables also hold segments, "
        "New/Gone and the absorbing states)"
    )

    # 3. Reading the latest month of each published view, and the preview.
    print("\n3. reading the latest month")
    for name in READ_LATEST:
        month = reader.execute(f"SELECT max(month) FROM {name}").fetchall()[0][0]
        seconds, count = timed(reader, f"SELECT * FROM {name} WHERE month = $m", {"m": month})
        print(f"   {name:<40} {seconds * 1000:8.1f} ms {count:>10,} rows ({month:%Y-%m})")
    from warehouse.app.strategy import grade_accounts

    month = reader.execute("SELECT max(month) FROM mart.account_month").fetchall()[0][0]
    grades = reader.sql("SELECT * FROM settings.risk_grades").pl()
    started = time.perf_counter()
    preview = grade_accounts(reader, month, {"risk_grades": grades})
    print(
        f"   candidate-settings preview (grade_accounts) {time.perf_counter() - started:8.2f} s "
        f"{preview.height:>10,} accounts ({month:%Y-%m})"
    )

    # 4. A new day's load.
    inbox = work / "next_day"
    day = write_next_day(reader, inbox)
    reader.close()
    if publish is not None:  # load into a copy, never into the published file
        started = time.perf_counter()
        shutil.copy(publish, work / "warehouse.duckdb")
        db = work / "warehouse.duckdb"
        copied = time.perf_counter() - started
        print(f"\n   (copied the published warehouse for the load in {copied:.1f} s)")
    from warehouse.jobs.load import load_inbox

    started = time.perf_counter()
    summary = load_inbox(inbox, db=db, run_checks=False)
    total = time.perf_counter() - started
    refresh = sum(summary.mart_seconds.values())
    print(
        f"\n4. a new day's load ({day}): {summary.rows_landed:,} rows in {total:.1f} s, of which "
        f"the marts' refresh {refresh:.1f} s (full rebuild above: {full:.1f} s)"
    )
    check = connect_reader(db)
    for name, mode, first, seconds in check.execute(
        "SELECT model, mode, first_month, seconds FROM ops.mart_builds ORDER BY seconds DESC"
    ).fetchall():
        if not name.startswith("settings."):
            since = f"from {first:%Y-%m}" if first and mode == "incremental" else ""
            mine = "*" if name in ANALYTICS else "c" if name in CONTACT_MODELS else " "
            print(f"   {mine} {name:<45} {mode:<12} {since:<13} {seconds:7.2f} s")
    check.close()


if __name__ == "__main__":
    main()
