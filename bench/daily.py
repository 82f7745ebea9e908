"""The daily rhythm, as a benchmark (not a test): a bank landed once, then one day at a time.

    .venv/bin/python bench/daily.py [--accounts 1000000] [--months 24] [--days 32]
                                    [--out bench/out/daily] [--json PATH] [--no-pages]
                                    [--land-days N] [--keep]

It generates a bank of N accounts x M months and the D calendar days that follow it for the same
seed (`collections generate --then-days D --days-out ...`, once: reused when the parameters
match), then, each step in a fresh process (so its peak memory is its own):

  1. the floor: DuckDB's own `read_csv` of the M months into one table per extract;
  2. the first load of the M months, with the data-quality checks;
  3. the same inbox again: nothing new, so nothing may be published;
  4. each following day's folder alone, as a bank drops it (that day's files only), through at
     least one month end (the full snapshot and the accounts extract);
  5. a full rebuild of every mart (what a settings change can cost), on a copy.

After every publication it times each page's first visit server side (Streamlit's AppTest, in a
dashboard process that stays up, as the bank's does: the code imported, the new version's caches
cold; each page on its own, the session opened on the glossary first) and the two per-account
drill-downs (one account's timeline, the accounts behind the M1 -> M2 cell). Per step it prints
and writes to JSON: rows, wall seconds, peak RSS, bytes written (the catalog and the lake files
it wrote), and each table's refresh mode and seconds (ops.mart_builds).

Targets (issue 10, at 1,000,000 accounts x 24 months): first load >= 60% of the floor's rows/s
and <= 4 GB; a day <= 60 s; a month-end day <= 5 min; nothing new <= 10 s; a full rebuild <=
5 min; each page's first visit <= 1 s; a timeline or a matrix cell <= 300 ms.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from measure import ENV, PYTHON, ROOT, Measured, floor, folder_bytes, run_step

sys.path.insert(0, str(ROOT))

HERE = Path(__file__).resolve()


# --- The steps run in their own process (`--step ...`) -------------------------------------------


def step_load(inbox: Path, db: Path, checks: bool) -> None:
    from warehouse.jobs.load import load_inbox

    summary = load_inbox(inbox, db=db, run_checks=checks)
    statuses: dict[str, int] = {}
    for f in summary.files:
        statuses[f.status] = statuses.get(f.status, 0) + 1
    print(
        json.dumps(
            {
                "published": summary.published,
                "files": len(summary.files),
                "statuses": statuses,
                "rows_read": summary.rows_read,
                "rows_landed": summary.rows_landed,
                "rows_quarantined": summary.rows_quarantined,
                "dq": None if summary.dq is None else summary.dq.status,
                "dq_seconds": None if summary.dq is None else summary.dq.seconds,
            }
        )
    )


def step_rebuild(db: Path) -> None:
    from warehouse import marts
    from warehouse.storage import in_place

    started = time.perf_counter()
    with in_place(db) as lake:
        seconds = marts.build(lake)  # every model from scratch
    print(json.dumps({"seconds": time.perf_counter() - started, "models": seconds}))


PAGES = {  # page: (script, query parameters)
    "today": ("app_pages/today.py", {}),  # the router's default page ("Since the last load")
    "portfolio": ("app_pages/portfolio.py", {}),
    "migration": ("app_pages/migration.py", {"mig_from": "M1", "mig_to": "M2"}),
    "contacts": ("app_pages/contacts.py", {}),
    "promises": ("app_pages/promises.py", {}),
    "compliance": ("app_pages/compliance.py", {}),
    "accounts": ("app_pages/accounts.py", {"account": None}),
    "loads": ("app_pages/loads.py", {}),
    "data-quality": ("app_pages/data_quality.py", {}),
}


def pages_worker(db: Path) -> None:
    """A dashboard process that stays up across publications, as the bank's does: on each line
    `measure` it visits every page once (the caches of the new version are cold, the code is
    imported) and times the two drill-downs on rows no page read yet; `quit` ends it."""
    import os

    from streamlit.testing.v1 import AppTest

    from dashboard.reads import accounts, migration
    from dashboard.reads.connection import warehouse_version
    from dashboard.reads.filters import Filters
    from warehouse.storage import connect_reader

    os.environ["COLLECTIONS_DB"] = str(db)
    # A read-only kiosk session (a warehouse without users admits nobody: the pages would only
    # say how to set users up, and their times would be the sign-in gate's).
    os.environ["COLLECTIONS_KIOSK"] = "1"
    app = str(ROOT / "dashboard" / "app.py")
    for line in sys.stdin:
        if line.strip() != "measure":
            break
        con = connect_reader(db)
        try:
            # Accounts with a story: the most contact attempts in the latest month.
            busiest = [
                account
                for (account,) in con.execute(
                    "SELECT account_id FROM core.contact_attempts "
                    "WHERE month = (SELECT max(month) FROM core.contact_attempts) "
                    "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 2"
                ).fetchall()
            ]
            first_month, latest = con.execute(
                "SELECT min(month), max(month) FROM mart.bucket_migration"
            ).fetchall()[0]
        finally:
            con.close()
        pages: dict[str, float] = {}
        for name, (script, params) in PAGES.items():
            at = AppTest.from_file(app, default_timeout=900)
            for key, value in params.items():
                at.query_params[key] = value if value is not None else busiest[0]
            # The session opens on the glossary (it reads no warehouse data), untimed, so that
            # each figure is its own page's first visit and not the default page's as well.
            at.switch_page("app_pages/glossary.py").run()
            started = time.perf_counter()
            at.switch_page(script).run()
            pages[name] = time.perf_counter() - started
            if at.exception:
                raise SystemExit(f"{name}: {at.exception[0].value}")
            if not at.dataframe and not at.metric and not at.get("plotly_chart"):
                raise SystemExit(f"{name}: the page drew no table, figure or metric")
        version = warehouse_version(db)
        assert version is not None
        started = time.perf_counter()
        timeline = accounts.account_timeline(version, busiest[-1])  # not the page's account
        timeline_seconds = time.perf_counter() - started
        started = time.perf_counter()  # not the page's M1 -> M2 cell
        cell = migration.cell_accounts(version, Filters(first_month, latest), latest, "M2", "M3")
        cell_seconds = time.perf_counter() - started
        print(
            json.dumps(
                {
                    "pages": pages,
                    "timeline": {"seconds": timeline_seconds, "rows": timeline.rows.height},
                    "cell": {"seconds": cell_seconds, "rows": cell.rows.height},
                }
            ),
            flush=True,
        )


# --- The benchmark ------------------------------------------------------------------------------


def mart_builds(db: Path) -> dict[str, dict[str, object]]:
    from warehouse.storage import connect_reader

    con = connect_reader(db)
    try:
        rows = con.execute(
            "SELECT model, mode, first_month, seconds FROM ops.mart_builds ORDER BY model"
        ).fetchall()
    finally:
        con.close()
    return {
        model: {"mode": mode, "first_month": str(first) if first else None, "seconds": seconds}
        for model, mode, first, seconds in rows
    }


def written(before: dict[str, int], after: dict[str, int]) -> int:
    """Bytes of the files a step created or rewrote."""
    return sum(size for path, size in after.items() if before.get(path) != size)


def warehouse_files(db: Path) -> dict[str, int]:
    from warehouse.config import lake_path

    files = folder_bytes(lake_path(db))
    if db.exists():
        files[str(db)] = db.stat().st_size
    return files


def generate(args: argparse.Namespace, bank: Path) -> tuple[Path, Path]:
    inbox, days = bank / "inbox", bank / "days"
    marker = bank / ".complete"
    wanted = f"{args.accounts} {args.months} {args.days} {args.seed} {args.start}"
    if marker.exists() and marker.read_text() == wanted:
        return inbox, days
    shutil.rmtree(bank, ignore_errors=True)
    bank.mkdir(parents=True)
    run_step(
        "generate",
        [
            PYTHON, "-m", "warehouse.cli", "generate", "--out", str(inbox),
            "--accounts", str(args.accounts), "--months", str(args.months),
            "--seed", str(args.seed), "--start", args.start,
            "--then-days", str(args.days), "--days-out", str(days),
        ],
    )  # fmt: skip
    marker.write_text(wanted)
    return inbox, days


def load_step(
    label: str, inbox: Path, db: Path, *, checks: bool = True, dashboard: Dashboard | None = None
) -> dict[str, object]:
    before = warehouse_files(db)
    command = [PYTHON, str(HERE), "--step", "load", str(inbox), str(db)]
    if not checks:
        command.append("--no-checks")
    measured = run_step(label, command, quiet=True)
    report = measured.last_json()
    result: dict[str, object] = {
        "step": label,
        "rows": report["rows_read"],
        "rows_landed": report["rows_landed"],
        "files": report["files"],
        "statuses": report["statuses"],
        "published": report["published"],
        "seconds": measured.seconds,
        "peak_rss": measured.rss,
        "bytes_written": written(before, warehouse_files(db)),
        "dq": report["dq"],
        "dq_seconds": report["dq_seconds"],
    }
    if report["published"]:
        result["marts"] = mart_builds(db)
        if dashboard is not None:
            result.update(dashboard.measure())
    show(result)
    return result


class Dashboard:
    """The long-lived dashboard process (`pages_worker`), started with the first publication."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self.process: subprocess.Popen[str] | None = None

    def measure(self) -> dict[str, object]:
        if self.process is None:
            self.process = subprocess.Popen(
                [PYTHON, str(HERE), "--step", "pages", str(self.db)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                env=ENV,
            )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write("measure\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        if not answer:
            raise SystemExit("the dashboard process ended without an answer")
        return {"visits": json.loads(answer), "dashboard_rss": peak_rss(self.process.pid)}

    def close(self) -> None:
        if self.process is not None and self.process.stdin is not None:
            self.process.stdin.write("quit\n")
            self.process.stdin.close()
            self.process.wait(timeout=60)


def peak_rss(pid: int) -> int:
    """A live process's peak resident memory so far (VmHWM), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def show(result: dict[str, object]) -> None:
    marts = result.get("marts") or {}
    tables = {m: b for m, b in marts.items() if b["mode"] not in ("view", "unchanged")}  # type: ignore[union-attr, index]
    modes: dict[str, int] = {}
    for build in tables.values():
        modes[build["mode"]] = modes.get(build["mode"], 0) + 1  # type: ignore[index]
    slowest = sorted(tables.items(), key=lambda kv: -(kv[1]["seconds"] or 0))[:3]  # type: ignore[index]
    line = (
        f"{result['step']:<22} rows {result['rows']:>12,}  {result['seconds']:8.1f} s  "
        f"peak {result['peak_rss'] / 2**30:5.2f} GiB  "
        f"wrote {result['bytes_written'] / 2**20:9.1f} MiB"
    )
    if not result.get("published", True):
        line += "  (nothing new: nothing published)"
    print(line, flush=True)
    if tables:
        print(
            "    tables: "
            + ", ".join(f"{count} {mode}" for mode, count in sorted(modes.items()))
            + "; slowest "
            + ", ".join(f"{m} {b['seconds']:.1f} s ({b['mode']})" for m, b in slowest),  # type: ignore[index]
            flush=True,
        )
    visits = result.get("visits")
    if isinstance(visits, dict):
        pages = visits["pages"]
        print(
            "    first visits: "
            + ", ".join(f"{name} {seconds * 1000:.0f} ms" for name, seconds in pages.items())
            + f"; timeline {visits['timeline']['seconds'] * 1000:.0f} ms"
            + f" ({visits['timeline']['rows']} rows)"
            + f"; M2->M3 cell {visits['cell']['seconds'] * 1000:.0f} ms"
            + f" ({visits['cell']['rows']} rows)",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--days", type=int, default=32)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--start", default="2024-11")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "daily")
    parser.add_argument("--json", type=Path, help="where to write the figures (JSON)")
    parser.add_argument("--no-pages", action="store_true", help="skip the page visits")
    parser.add_argument(
        "--land-days", type=int, help="land only the first N of the generated days (default: all)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the warehouse afterwards")
    parser.add_argument("--step", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--no-checks", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        kind, *rest = args.step
        if kind == "load":
            step_load(Path(rest[0]), Path(rest[1]), checks=not args.no_checks)
        elif kind == "rebuild":
            step_rebuild(Path(rest[0]))
        elif kind == "pages":
            pages_worker(Path(rest[0]))
        return

    bank = args.out / f"bank_{args.accounts}x{args.months}+{args.days}_s{args.seed}"
    inbox, days = generate(args, bank)
    work = args.out / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    db = work / "warehouse.duckdb"
    dashboard = None if args.no_pages else Dashboard(db)
    figures: dict[str, object] = {
        "bank": {"accounts": args.accounts, "months": args.months, "days": args.days},
        "date": date.today().isoformat(),
    }

    floor_run, floor_rows = floor(inbox, work / "floor.duckdb")
    figures["floor"] = {"rows": floor_rows, "seconds": floor_run.seconds, "peak_rss": floor_run.rss}
    print(f"floor: {floor_rows:,} rows in {floor_run.seconds:.1f} s", flush=True)
    first = load_step("first load", inbox, db, dashboard=dashboard)
    first["rows_per_second"] = first["rows"] / first["seconds"]  # type: ignore[operator]
    first["of_floor"] = first["rows_per_second"] / (floor_rows / floor_run.seconds)  # type: ignore[operator]
    print(f"    first load: {first['of_floor']:.0%} of the floor's rows/s", flush=True)
    figures["first_load"] = first
    figures["nothing_new"] = load_step("nothing new", inbox, db)
    steps = []
    for folder in sorted(p for p in days.iterdir() if p.is_dir())[: args.land_days]:
        steps.append(load_step(f"day {folder.name}", folder, db, dashboard=dashboard))
    figures["days"] = steps
    if dashboard is not None:
        dashboard.close()

    copy = work / "rebuild" / "warehouse.duckdb"
    from warehouse.storage import copy_warehouse

    copy_warehouse(db, copy)
    rebuild: Measured = run_step(
        "full rebuild", [PYTHON, str(HERE), "--step", "rebuild", str(copy)], quiet=True
    )
    models = rebuild.last_json()["models"]
    figures["full_rebuild"] = {
        "seconds": rebuild.seconds,
        "peak_rss": rebuild.rss,
        "models": models,
    }
    slowest = sorted(models.items(), key=lambda kv: -kv[1])[:5]
    print(
        f"full rebuild: {rebuild.seconds:.1f} s, peak {rebuild.rss / 2**30:.2f} GiB; slowest "
        + ", ".join(f"{m} {s:.1f} s" for m, s in slowest),
        flush=True,
    )
    shutil.rmtree(copy.parent, ignore_errors=True)

    target = args.json or args.out / f"daily_{args.accounts}x{args.months}.json"
    target.write_text(json.dumps(figures, indent=2, default=str))
    print(f"figures in {target}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
