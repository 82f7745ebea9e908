"""Time the Strategy page's preview (and the work queue, the workbench's timer) on a warehouse.

    .venv/bin/python bench/strategy.py [--db /tmp/marts1m/warehouse.duckdb] [--repeat 3]

Opens the warehouse read-only (an in-memory DuckDB with the file attached READ_ONLY), never
writes to it. Prints seconds per step; the target for the preview is <= 2 s at 1,000,000 accounts.
"""

from __future__ import annotations

import argparse
import copy
import time
from datetime import date
from pathlib import Path

from warehouse.app import workbench
from warehouse.app.settings_versions import read_settings
from warehouse.app.strategy_preview import preview, replay_breaches
from warehouse.app.work_queue import build_queue
from warehouse.storage import connect_reader


def timed(label: str, action, repeat: int):  # type: ignore[no-untyped-def]
    best = float("inf")
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        best = min(best, time.perf_counter() - started)
    print(f"{label:<60} {best:8.2f} s (best of {repeat})", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=Path("/tmp/marts1m/warehouse.duckdb"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="DuckDB threads (0: default)")
    args = parser.parse_args()
    con = connect_reader(args.db)
    con.execute("SET memory_limit = '6GB'")
    if args.threads:
        con.execute(f"SET threads = {args.threads}")
    month = con.execute("SELECT max(month) FROM mart.account_month").fetchall()[0][0]
    accounts = con.execute(
        "SELECT count(*) FROM mart.account_month WHERE month = ?", [month]
    ).fetchall()[0][0]
    print(f"{args.db}: {accounts:,} accounts in {month:%Y-%m}")
    current = read_settings(con)
    regrade = copy.deepcopy(current)
    for row in regrade["settings.risk_grades"]:
        if row["risk_grade"] == "high":
            row["min_days_past_due"] = 31
    retreat = copy.deepcopy(current)
    for row in retreat["settings.treatments"]:
        row["contacts_per_week"] = int(row["contacts_per_week"]) + 1
    windows = copy.deepcopy(current)
    for row in windows["settings.contact_windows"]:
        if row["rule"] == "calling_hours" and row["starts_at"] == "14:00:00":
            row["ends_at"] = "17:00:00"
    result = timed("preview: risk thresholds changed (regrade every account)",
                   lambda: preview(con, month, current, regrade), args.repeat)  # fmt: skip
    print(f"    {result.grade_changes:,} grade changes of {result.accounts:,} delinquent accounts")
    timed("preview: treatments changed (no regrade)",
          lambda: preview(con, month, current, retreat), args.repeat)  # fmt: skip
    first = date(month.year, month.month, 1)
    timed("replay: calling hours shortened, attempts of the month",
          lambda: replay_breaches(con, current, windows, since=first), 1)  # fmt: skip
    queue = timed("work queue", lambda: build_queue(con, month=month), 1)
    print(f"    {queue.frame.height:,} accounts in the queue")
    con.close()
    started = time.perf_counter()
    try:
        workbench.run_query(
            args.db,
            "SELECT count(*) FROM mart.account_month a, mart.account_month b "
            "WHERE a.balance + b.balance < 0",
            limits=workbench.Limits(seconds=5),
        )
        print("workbench: the long query finished?!")
    except workbench.QueryTimedOut:
        print(f"{'workbench: query of minutes stopped by the 5 s timer after':<60} "
              f"{time.perf_counter() - started:8.2f} s")  # fmt: skip
    result = workbench.run_query(
        args.db, "SELECT * FROM mart.account_month", limits=workbench.Limits(max_rows=10_000)
    )
    print(f"{'workbench: 24M-row SELECT * cut at 10,000 rows in':<60} {result.seconds:8.2f} s"
          f" (truncated={result.truncated})")  # fmt: skip


if __name__ == "__main__":
    main()
