"""The red team's figures: every attack of tests/redteam_attacks.py, then a few through the
dashboard's own pages (Streamlit's AppTest, in this process), counted.

    .venv/bin/python bench/redteam.py [--no-pages] [--keep DIR]

Prints, per class and in total, the attacks tried, refused (or handled), stopped by a limit,
and succeeded (must be 0; the exit status is 1 otherwise), and the peak memory of this process,
which plays the dashboard's (it runs the app's pages and starts every workbench worker), beside
the largest worker's. Not a test: tests/test_redteam_*.py assert the same attacks one by one.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from redteam_attacks import ATTACKS, KINDS, Breach, build_env, run_attack  # noqa: E402


def peak_rss_mib(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux: KiB


def status_mib(field: str) -> float:
    """VmRSS or VmHWM (the peak) of this process, from /proc (Linux)."""
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak() -> bool:
    """Start the peak (VmHWM) again from the current size, so that what the set-up (a load of
    the tiny bank) used is not counted as the attacks' (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")
    except OSError:
        return False
    return True


def page_attacks(folder: Path) -> list[tuple[str, Callable[[], str]]]:
    """Attacks through the pages, on the tiny bank (conftest.py) loaded into `folder`."""
    from conftest import TINY_FILES, write_inbox
    from streamlit.testing.v1 import AppTest

    from warehouse.app.access import User
    from warehouse.app.store import AppStore
    from warehouse.app.users import UsersFile
    from warehouse.jobs.load import load_inbox

    db = folder / "warehouse.duckdb"
    os.environ.setdefault("COLLECTIONS_MASK_KEY_FILE", str(folder / "mask.key"))
    load_inbox(write_inbox(folder / "inbox", TINY_FILES), db=db)
    UsersFile(folder / "users.json").add("eve", "a long enough passphrase", "analyst")
    os.environ["COLLECTIONS_DB"] = str(db)
    os.environ.pop("COLLECTIONS_KIOSK", None)
    os.environ.pop("COLLECTIONS_DEMO_USER", None)
    app = str(ROOT / "dashboard" / "app.py")
    analyst = User("eve", "analyst")

    def workbench(sql: str, *, lang: str = "en") -> AppTest:
        at = AppTest.from_file(app, default_timeout=120)
        at.session_state["user"] = analyst
        at.query_params["lang"] = lang
        at.run()
        at.switch_page("app_pages/sql_workbench.py").run()
        at.number_input(key="wb_seconds").set_value(3)
        at.text_area(key="wb_sql").set_value(sql)
        next(b for b in at.button if b.key == "wb_run").click().run()
        if at.exception:
            raise Breach(f"the page raised: {[e.value for e in at.exception]}")
        return at

    def stopped(sql: str, lang: str) -> Callable[[], str]:
        def run() -> str:
            at = workbench(sql, lang=lang)
            if not at.warning:
                raise Breach(f"the page did not say which limit stopped {sql[:40]}")
            return "limited"

        return run

    def refused(sql: str) -> Callable[[], str]:
        def run() -> str:
            at = workbench(sql)
            if not at.error or not at.error[0].value.startswith("Refused"):
                raise Breach(f"the page did not refuse {sql[:40]}")
            return "refused"

        return run

    def brute_force() -> str:
        at = AppTest.from_file(app, default_timeout=120).run()
        for attempt in range(7):
            at.text_input(key="login_username").set_value("eve")
            at.text_input(key="login_password").set_value(f"guess number {attempt}")
            at.button[0].click().run()
        at.text_input(key="login_password").set_value("a long enough passphrase")
        at.button[0].click().run()
        if at.title[0].value != "Sign in":
            raise Breach("signed in after seven wrong passwords")
        return "limited"

    def nobody_without_users() -> str:
        (folder / "users.json").rename(folder / "users.json.away")
        try:
            at = AppTest.from_file(app, default_timeout=120).run()
            if at.title[0].value != "Sign in" or at.text_input:
                raise Breach("without users, someone got in")
        finally:
            (folder / "users.json.away").rename(folder / "users.json")
        return "refused"

    def audited() -> str:
        rows = AppStore.beside(db).audit_trail(limit=1000)
        queries = [r for r in rows if r["action"] == "workbench.query"]
        if len(queries) < 6:
            raise Breach(f"page queries not audited: {len(queries)} rows")
        return "refused"

    return [
        ("page: 150-million-element list (en)", stopped("SELECT len(range(0, 150000000))", "en")),
        ("page: gigabyte string (zh)", stopped("SELECT repeat('x', 1000000000)", "zh")),
        (
            "page: cross join of minutes",
            stopped(
                "SELECT count(*) FROM range(100000000) a, range(100000) b "
                "WHERE a.range + b.range = -1",
                "en",
            ),
        ),  # fmt: skip
        ("page: a 40 MB value", stopped("SELECT repeat('x', 40000000)", "en")),
        ("page: read_blob of the warehouse", refused(f"SELECT * FROM read_blob('{db}')")),
        (
            "page: json_execute_serialized_sql",
            refused(
                "SELECT * FROM json_execute_serialized_sql(json_serialize_sql("
                f"'SELECT * FROM read_blob(''{db}'')'))"
            ),
        ),  # fmt: skip
        ("page: brute-force sign-in", brute_force),
        ("page: no users file", nobody_without_users),
        ("page: every page query audited", audited),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-pages", action="store_true", help="skip the AppTest attacks")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="redteam-"))
    started = time.perf_counter()
    results: list[tuple[str, str, str]] = []  # (class, name, verdict)
    try:
        env = build_env(folder / "attacks")
        pages = [] if args.no_pages else page_attacks(folder / "pages")
        resetted = reset_peak()
        before = status_mib("VmRSS")
        for found in ATTACKS:
            try:
                verdict = run_attack(found, env)
            except Breach as breach:
                verdict = "succeeded"
                print(f"SUCCEEDED  {found.kind}: {found.name}: {breach}", file=sys.stderr)
            results.append((found.kind, found.name, verdict))
        if pages:
            for name, run in pages:
                try:
                    verdict = run()
                except Breach as breach:
                    verdict = "succeeded"
                    print(f"SUCCEEDED  {name}: {breach}", file=sys.stderr)
                results.append(("pages", name, verdict))
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    seconds = time.perf_counter() - started
    by_class: dict[str, Counter[str]] = {}
    for kind, _, verdict in results:
        by_class.setdefault(kind, Counter())[verdict] += 1
    print(f"{'class':<12} {'tried':>6} {'refused':>8} {'limited':>8} {'succeeded':>10}")
    for kind in (*KINDS, "pages"):
        counts = by_class.get(kind)
        if counts:
            print(f"{kind:<12} {sum(counts.values()):>6} {counts['refused']:>8} "
                  f"{counts['limited']:>8} {counts['succeeded']:>10}")  # fmt: skip
    total = Counter(verdict for _, _, verdict in results)
    print(f"{'total':<12} {len(results):>6} {total['refused']:>8} {total['limited']:>8} "
          f"{total['succeeded']:>10}")  # fmt: skip
    print(f"attacks tried: {len(results)}, refused: {total['refused']}, stopped by a limit: "
          f"{total['limited']}, succeeded: {total['succeeded']} (must be 0)")  # fmt: skip
    during = status_mib("VmHWM") if resetted else peak_rss_mib(resource.RUSAGE_SELF)
    print(f"dashboard process: {before:.0f} MiB before the attacks, peak {during:.0f} MiB "
          f"during them (RSS); largest workbench worker: "
          f"{peak_rss_mib(resource.RUSAGE_CHILDREN):.0f} MiB; {seconds:.0f} s")  # fmt: skip
    return 1 if total["succeeded"] else 0


if __name__ == "__main__":
    sys.exit(main())
