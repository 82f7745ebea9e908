"""Load benchmark (not a test): how fast `collections load` lands a bank, against DuckDB's floor.

    .venv/bin/python bench/load.py [--accounts 1000000] [--months 24] [--out bench/out]

Generates the bank once (kept under --out and reused when its parameters match), then in one
run, each in a fresh process so peak memory is its own:
  1. the floor: DuckDB's own `read_csv` of the same files into one table per extract;
  2. `collections load` end to end (read, check, mask, land, rebuild marts, publish);
  3. the same load again (every file unchanged: the exactly-once path);
  4. the same first load with `--no-checks`, into a fresh warehouse: the data-quality checks'
     share of the load's wall time.
Prints rows/s, seconds, peak RSS, and the load's throughput as a share of the floor's.
Targets (issue 2): load >= 60% of the floor's rows/s, peak memory <= 4 GB.
Target (issue 3): the checks add at most 30% to the load's wall time.

    .venv/bin/python bench/load.py --accounts 200000 --months 3 --scrubber-cost

measures the personal-number scrubber (issue 13) instead: the same first load with
`--no-checks`, into fresh warehouses, with the scrubber and with it replaced by a no-op (in
this benchmark's process only: the product has no switch to turn it off), alternating, twice
each; prints each run's seconds, the seconds spent inside the scrubber, and the ratio.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from measure import PYTHON, ROOT, floor, run_step


def step(name: str, command: list[str], *, published: Path | None = None) -> tuple[float, int, str]:
    """Run one measured step in a fresh process (bench/measure.py); (seconds, peak RSS, stdout).
    A step that published nothing measured a failure, not a load."""
    measured = run_step(name, command, ok=(0, 1))
    if published is not None and not published.exists():
        raise SystemExit(
            f"{name} published nothing ({measured.returncode}):\n{measured.out[-3000:]}\n"
            f"{measured.err}"
        )
    return measured.seconds, measured.rss, measured.out


# Runs `collections load` with the scrubber timed (argv[1] = "on") or replaced by a no-op ("off").
SCRUBBER_SCRIPT = r"""
import atexit, sys, time
import warehouse.landing.validation as validation
real, spent = validation._scrub_frame, [0.0]
def timed(frame, extract):
    started = time.perf_counter()
    try:
        return real(frame, extract)
    finally:
        spent[0] += time.perf_counter() - started
validation._scrub_frame = timed if sys.argv[1] == "on" else (lambda frame, extract: frame)
atexit.register(lambda: print(f"SCRUBBER_SECONDS {spent[0]:.3f}", flush=True))
sys.argv = ["collections"] + sys.argv[2:]
from warehouse.cli import main
main()
"""


def _rows_quarantined(db: Path) -> int:
    sys.path.insert(0, str(ROOT))
    from warehouse.storage import connect_reader

    con = connect_reader(db)
    try:
        return int(con.execute("SELECT count(*) FROM ops.quarantine").fetchall()[0][0])
    finally:
        con.close()


def scrubber_cost(inbox: Path, work: Path, rows: int) -> None:
    """Issue 13: the load with and without the scrubber, alternating, twice each."""
    runs: dict[str, list[tuple[float, float]]] = {"on": [], "off": []}
    quarantined: dict[str, int] = {}
    for attempt in range(2):
        for mode in ("on", "off"):
            db = work / f"scrubber-{mode}-{attempt}" / "warehouse.duckdb"
            db.parent.mkdir(parents=True)
            seconds, _, out = step(
                f"load --no-checks, scrubber {mode} ({attempt + 1})",
                [
                    PYTHON,
                    "-c",
                    SCRUBBER_SCRIPT,
                    mode,
                    "load",
                    str(inbox),
                    "--db",
                    str(db),
                    "--no-checks",
                ],
                published=db,
            )
            inside = [
                float(line.split()[1])
                for line in out.splitlines()
                if line.startswith("SCRUBBER_SECONDS")
            ]
            runs[mode].append((seconds, inside[0] if inside else 0.0))
            quarantined[mode] = _rows_quarantined(db)
            shutil.rmtree(db.parent)
    best_on = min(s for s, _ in runs["on"])
    best_off = min(s for s, _ in runs["off"])
    inside = min(i for _, i in runs["on"])
    print()
    print(f"rows read per load: {rows:,}")
    for mode in ("on", "off"):
        print(f"scrubber {mode}: " + ", ".join(f"{s:.1f} s" for s, _ in runs[mode]))
    print(f"inside the scrubber (best run): {inside:.2f} s")
    # The same rows quarantined either way: the scrubber found no number in the demo bank's ids.
    print(f"rows quarantined: {quarantined['on']:,} with, {quarantined['off']:,} without")
    print(
        f"scrubber cost: best {best_on:.1f} s with vs {best_off:.1f} s without = "
        f"{best_on / best_off:.3f}x wall time (+{best_on / best_off - 1:.1%})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument(
        "--scrubber-cost",
        action="store_true",
        help="time the load with and without the personal-number scrubber, nothing else",
    )
    args = parser.parse_args()

    inbox = args.out / f"bank_{args.accounts}x{args.months}_s{args.seed}"
    marker = inbox / ".complete"
    if not marker.exists():
        shutil.rmtree(inbox, ignore_errors=True)
        seconds, rss, _ = step(
            "generate",
            [
                PYTHON,
                "-m",
                "warehouse.cli",
                "generate",
                "--out",
                str(inbox),
                "--accounts",
                str(args.accounts),
                "--months",
                str(args.months),
                "--seed",
                str(args.seed),
            ],
        )
        marker.write_text("ok")
        print(f"generate: {seconds:,.1f} s, peak RSS {rss / 2**30:.2f} GiB")
    files = sorted(p for p in inbox.iterdir() if not p.name.startswith("."))
    size = sum(p.stat().st_size for p in files)
    print(
        f"bank: {args.accounts:,} accounts x {args.months} months, {len(files):,} files, "
        f"{size / 2**30:.2f} GiB"
    )

    work = args.out / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    if args.scrubber_cost:
        rows = sum(
            max(0, len(p.read_bytes().splitlines()) - 1) for p in files if p.suffix == ".csv"
        )
        scrubber_cost(inbox, work, rows)
        return

    floor_run, floor_rows = floor(inbox, work / "floor.duckdb")
    floor_seconds, floor_rss = floor_run.seconds, floor_run.rss

    db = work / "warehouse.duckdb"
    load_seconds, load_rss, _ = step(
        "load",
        [PYTHON, "-m", "warehouse.cli", "load", str(inbox), "--db", str(db)],
        published=db,
    )
    again_seconds, again_rss, _ = step(
        "load again",
        [PYTHON, "-m", "warehouse.cli", "load", str(inbox), "--db", str(db)],
        published=db,
    )
    unchecked_db = work / "unchecked" / "warehouse.duckdb"
    unchecked_db.parent.mkdir()
    unchecked_seconds, unchecked_rss, _ = step(
        "load --no-checks",
        [
            PYTHON,
            "-m",
            "warehouse.cli",
            "load",
            str(inbox),
            "--db",
            str(unchecked_db),
            "--no-checks",
        ],
        published=unchecked_db,
    )

    sys.path.insert(0, str(ROOT))
    from warehouse.storage import connect_reader

    con = connect_reader(db)
    rows_read, rows_landed, rows_quarantined = con.execute(
        "SELECT rows_read, rows_landed, rows_quarantined FROM ops.load_runs WHERE load_id = 1"
    ).fetchall()[0]
    statuses = dict(
        con.execute(
            "SELECT status, count(*) FROM ops.loaded_files WHERE load_id = 2 GROUP BY 1"
        ).fetchall()
    )
    account_months = con.execute("SELECT count(*) FROM mart.account_month").fetchall()[0][0]
    dq_status, dq_seconds, dq_validations, dq_warnings, dq_errors = con.execute(
        "SELECT status, seconds, validations, failed_warnings, failed_errors "
        "FROM dq.runs WHERE load_id = 1"
    ).fetchall()[0]
    con.close()

    floor_rate = floor_rows / floor_seconds
    load_rate = rows_read / load_seconds
    print()
    print(f"{'step':<34}{'rows':>14}{'seconds':>10}{'rows/s':>14}{'peak RSS GiB':>14}")
    print(
        f"{'floor: duckdb read_csv -> tables':<34}{floor_rows:>14,}{floor_seconds:>10.1f}"
        f"{floor_rate:>14,.0f}{floor_rss / 2**30:>14.2f}"
    )
    print(
        f"{'collections load (end to end)':<34}{rows_read:>14,}{load_seconds:>10.1f}"
        f"{load_rate:>14,.0f}{load_rss / 2**30:>14.2f}"
    )
    print(
        f"{'collections load again (unchanged)':<34}{rows_read:>14,}{again_seconds:>10.1f}"
        f"{'':>14}{again_rss / 2**30:>14.2f}"
    )
    unchecked_rate = rows_read / unchecked_seconds
    print(
        f"{'collections load --no-checks':<34}{rows_read:>14,}{unchecked_seconds:>10.1f}"
        f"{unchecked_rate:>14,.0f}{unchecked_rss / 2**30:>14.2f}"
    )
    print()
    print(
        f"landed {rows_landed:,}, quarantined {rows_quarantined:,}; "
        f"mart.account_month {account_months:,} rows"
    )
    print(f"second load: {statuses}")
    print(f"load throughput vs floor: {load_rate / floor_rate:.0%} (target >= 60%)")
    print(f"load peak memory: {load_rss / 2**30:.2f} GiB (target <= 4 GiB)")
    print(
        f"data-quality checks: run {dq_status} ({dq_validations} validations, {dq_errors} error "
        f"and {dq_warnings} warn findings), {dq_seconds:.1f} s inside the load"
    )
    print(
        f"checks overhead: {load_seconds:.1f} s with vs {unchecked_seconds:.1f} s without = "
        f"+{load_seconds / unchecked_seconds - 1:.0%} wall time (target <= 30%)"
    )


if __name__ == "__main__":
    main()
