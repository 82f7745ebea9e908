"""Soak (not a test; tests/test_soak.py runs it small): loads back to back, some of them killed,
while a second process asks for every dashboard page over HTTP on loopback.

    .venv/bin/python bench/soak.py [--accounts 1000] [--days 4] [--kills 2] [--out DIR]

1. Generates a demo bank (`collections generate`: 2 months, then --days days, one inbox each)
   and loads its months.
2. Serves the dashboard (`streamlit run dashboard/app.py`, headless, on 127.0.0.1) over it.
3. Starts the page requester, a process of its own: headless Chromium (Debian's `chromium`,
   driven by Playwright) opens every page in a fresh tab, round after round, until the loads
   are done and one more round has run. A page answers when its script finishes without an
   exception and shows its title and the caption of the publication it read. It is *stale*
   when that publication is older than the one published before the request began.
4. Meanwhile loads each day's inbox; the first --kills loads of each day are SIGKILLed at a
   random moment first (a kill survived: the warehouse still answers, with the old version
   or the new one), then the day is loaded to the end (a load survived).

Prints loads survived, kills survived, pages served, failures (failed or stale answers, each
named); exits 1 when there is any failure.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
sys.path.insert(0, str(ROOT))
from warehouse.config import lake_path  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
PAGES = {  # page: (path, its title in English)
    "today": ("/", "Since the last load"),
    "portfolio": ("/portfolio", "Portfolio health"),
    "migration": ("/migration", "Bucket migration"),
    "contacts": ("/contacts", "Contact effectiveness"),
    "promises": ("/promises", "Promises and plans"),
    "compliance": ("/compliance", "Compliance breaches"),
    "accounts": ("/accounts", "Account story"),
    "loads": ("/loads", "Loads"),
    "data-quality": ("/data-quality", "Data quality"),
}
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
EXCEPTION = '[data-testid="stException"]'
PROVENANCE = re.compile(r"\(version (\d+), load \d+\)")  # common.provenance


def published_version(db: Path) -> int:
    """The publication the warehouse holds now, read as the dashboard reads it."""
    sys.path.insert(0, str(ROOT))
    from warehouse.storage import connect_reader

    con = connect_reader(db)
    try:
        return int(con.execute("SELECT max(version) FROM ops.publications").fetchall()[0][0])
    finally:
        con.close()


# --- the page requester (its own process: `soak.py --pages URL --db DB --stop F --report R`) ---


def request_pages(url: str, db: Path, stop: Path, report: Path, *, max_seconds: float) -> None:
    from playwright.sync_api import sync_playwright

    served, failures = 0, []
    rounds, last_round = 0, False
    deadline = time.monotonic() + max_seconds
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            while time.monotonic() < deadline and not last_round:
                last_round = stop.exists()  # one whole round after the last publication
                rounds += 1
                for name, (path, title) in PAGES.items():
                    before = published_version(db)
                    page = browser.new_page(viewport={"width": 1440, "height": 1000})
                    try:
                        page.goto(url + path, wait_until="domcontentloaded", timeout=60_000)
                        page.wait_for_selector(IDLE, timeout=60_000)
                        if page.locator(EXCEPTION).count():
                            failures.append(f"{name}: {page.locator(EXCEPTION).first.inner_text()}")
                            continue
                        main = page.locator('[data-testid="stMain"]')
                        heading = main.locator("h1").first.inner_text(timeout=30_000)
                        shown = PROVENANCE.findall(main.inner_text(timeout=30_000))
                        if title not in heading or not shown:
                            failures.append(f"{name}: no title or provenance ({heading!r})")
                        elif int(shown[0]) < before:
                            failures.append(f"{name}: stale, version {shown[0]} < {before}")
                        else:
                            served += 1
                    except Exception as exc:  # a failed answer, counted and named
                        failures.append(f"{name}: {type(exc).__name__}: {str(exc)[:200]}")
                    finally:
                        page.close()
        finally:
            browser.close()
    report.write_text(json.dumps({"served": served, "failures": failures, "rounds": rounds}))


# --- the orchestrator ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def served(db: Path, log: Path) -> Iterator[str]:
    port = free_port()
    command = [
        PYTHON, "-m", "streamlit", "run", str(ROOT / "dashboard" / "app.py"),
        "--server.headless", "true", "--server.port", str(port),
        "--server.address", "127.0.0.1", "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    # A read-only kiosk: the soak asks for reading pages, as an anonymous viewer may (a served
    # warehouse without users admits nobody else).
    env = {**os.environ, "COLLECTIONS_DB": str(db), "COLLECTIONS_KIOSK": "1"}
    with open(log, "wb") as sink:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"the dashboard did not start:\n{log.read_text()}") from None
                time.sleep(0.3)
        yield url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)  # the group started for this server only
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=15)


def collections(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", "warehouse.cli", *args], cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, "COLUMNS": "200"}, timeout=1800,
    )  # fmt: skip


def soak(out: Path, *, accounts: int, days: int, kills: int, seed: int) -> dict[str, object]:
    out.mkdir(parents=True, exist_ok=True)
    months, day_inboxes = out / "months", out / "days"
    if not (out / ".generated").exists():
        done = collections(
            "generate", "--out", str(months), "--accounts", str(accounts), "--months", "2",
            "--then-days", str(days), "--days-out", str(day_inboxes),
        )  # fmt: skip
        if done.returncode:
            raise SystemExit(done.stdout + done.stderr)
        (out / ".generated").write_text("ok")
    db = out / "warehouse.duckdb"
    for leftover in out.glob("warehouse.duckdb*"):
        leftover.unlink()
    shutil.rmtree(lake_path(db), ignore_errors=True)  # the catalog's Parquet files
    started = time.monotonic()
    first = collections("load", str(months), "--db", str(db), "--no-checks")
    if not db.exists():
        raise SystemExit(first.stdout + first.stderr)
    print(f"months loaded in {time.monotonic() - started:.1f} s", flush=True)
    chance = random.Random(seed)
    loads = killed = 0
    problems: list[str] = []
    stop, report = out / "stop", out / "pages.json"
    stop.unlink(missing_ok=True)
    report.unlink(missing_ok=True)
    with served(db, out / "streamlit.log") as url:
        requester = subprocess.Popen(
            [PYTHON, __file__, "--pages", url, "--db", str(db), "--stop", str(stop),
             "--report", str(report)],
            cwd=ROOT,
        )  # fmt: skip
        try:
            for inbox in sorted(p for p in day_inboxes.iterdir() if p.is_dir()):
                for _ in range(kills):
                    before = published_version(db)
                    load = subprocess.Popen(
                        [PYTHON, "-m", "warehouse.cli", "load", str(inbox), "--db", str(db)],
                        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                    )  # fmt: skip
                    try:
                        load.wait(timeout=chance.uniform(1.0, 8.0))
                        loads += 1  # it finished before its moment: the day is landed
                        break
                    except subprocess.TimeoutExpired:
                        os.kill(load.pid, signal.SIGKILL)  # this load only, by its id
                        load.wait(timeout=30)
                    after = published_version(db)
                    if after not in (before, before + 1):
                        problems.append(f"{inbox.name}: after a kill version {after}, was {before}")
                    killed += 1
                done = collections("load", str(inbox), "--db", str(db))
                if done.returncode not in (0, 1):
                    problems.append(f"{inbox.name}: load ended {done.returncode}: {done.stderr}")
                loads += 1
                print(f"{inbox.name}: published version {published_version(db)}", flush=True)
        finally:
            stop.touch()
            try:
                requester.wait(timeout=900)
            except subprocess.TimeoutExpired:
                requester.kill()  # this requester only
                requester.wait()
    pages = (
        json.loads(report.read_text())
        if report.exists()
        else {"served": 0, "failures": ["the page requester reported nothing"], "rounds": 0}
    )  # noqa: E501
    failures = problems + list(pages["failures"])
    return {
        "loads survived": loads,
        "kills survived": killed,
        "pages served": pages["served"],
        "rounds": pages["rounds"],
        "failures": failures,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--days", type=int, default=4)
    parser.add_argument("--kills", type=int, default=2, help="kills per day before it lands")
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "soak")
    parser.add_argument("--pages", help=argparse.SUPPRESS)  # the page requester's own run
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--stop", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--report", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--max-seconds", type=float, default=1200, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pages:
        request_pages(args.pages, args.db, args.stop, args.report, max_seconds=args.max_seconds)
        return
    if not CHROMIUM.exists():
        raise SystemExit(f"no Chromium at {CHROMIUM}: `make browser-deps` installs it")
    result = soak(
        args.out, accounts=args.accounts, days=args.days, kills=args.kills, seed=args.seed
    )
    failures = result["failures"]
    assert isinstance(failures, list)
    print(f"loads survived: {result['loads survived']}")
    print(f"kills survived: {result['kills survived']}")
    print(f"pages served: {result['pages served']} (in {result['rounds']} rounds)")
    print(f"failures: {len(failures)}")
    for failure in failures:
        print(f"  {failure}")
    if failures:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
