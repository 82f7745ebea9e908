"""The `collections` command line: help, exit status (0 landed / 1 refused / 2 usage) and the
load summary (warehouse/cli.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import TINY_FILES, write_inbox
from typer.testing import CliRunner

from warehouse.cli import app
from warehouse.config import PROJECT_ROOT

runner = CliRunner()

# (subcommand, options its help must mention)
HELP = {
    None: ["generate", "load", "serve", "demo"],
    "generate": ["--out", "--accounts", "--months", "--seed", "--start", "--format"]
    + ["--then-days", "--days-out"],
    "load": ["INBOX", "--db", "--encoding"],
    "serve": ["--db", "--port", "--headless"],
    "build": ["--db", "--engine", "--master", "--lake"],
    "demo": ["--db", "--accounts", "--months", "--port", "--headless"],
}


@pytest.mark.parametrize("command", list(HELP), ids=[c or "collections" for c in HELP])
def test_help(command: str | None) -> None:
    args = [command, "--help"] if command else ["--help"]
    done = runner.invoke(app, args, env={"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"})
    assert done.exit_code == 0, done.output
    text = re.sub(r"\x1b\[[0-9;]*m", "", done.output)
    for option in HELP[command]:
        assert option in text, (option, text)


def test_installed_entry_point_help() -> None:
    # The `collections` script the package installs runs the same app.
    script = Path(sys.executable).parent / "collections"
    done = subprocess.run(
        [str(script), "--help"],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert done.returncode == 0
    assert "load" in done.stdout and "Credit-card collections warehouse" in done.stdout


def run_load(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "250", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "warehouse.cli", "load", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )


def summary_table(output: str) -> dict[str, str]:
    """The `Load N into DB` table as {column: value}."""
    lines = output.splitlines()
    start = next(
        i for i, line in enumerate(lines) if re.search(r"Load \d+ into|Nothing new for", line)
    )
    header = next(line for line in lines[start:] if line.startswith("┃"))
    values = next(line for line in lines[start:] if line.startswith("│"))
    names = [cell.strip() for cell in header.strip("┃").split("┃")]
    cells = [cell.strip() for cell in values.strip("│").split("│")]
    return dict(zip(names, cells, strict=True))


QUARANTINING_PAYMENTS = (
    "payment_id,account_id,paid_at,amount\n"
    "P1,A1,2024-01-31 10:00:00,5\n"
    "P2,A1,2024-01-31 10:00:00,-5\n"  # amount must be > 0: quarantined
)


def test_exit_0_when_every_file_landed_even_with_quarantined_rows(tmp_path: Path) -> None:
    inbox = write_inbox(
        tmp_path / "inbox", {**TINY_FILES, "payments_20240131.csv": QUARANTINING_PAYMENTS}
    )
    done = run_load(str(inbox), "--db", str(tmp_path / "w.duckdb"))
    assert done.returncode == 0, done.stderr
    # 5 files: tiny bank 3 + 3 + 2 + 3 = 11 rows, payments 2: 13 read, 12 landed, 1 quarantined.
    table = summary_table(done.stderr)
    assert {
        k: table[k]
        for k in ("files", "landed", "refused", "rows read", "rows landed", "rows quarantined")
    } == {
        "files": "5",
        "landed": "5",
        "refused": "0",
        "rows read": "13",
        "rows landed": "12",
        "rows quarantined": "1",
    }
    # The file with quarantined rows is listed for a look.
    assert "Files that need a look" in done.stderr
    assert "payments_20240131.csv" in done.stderr
    # Loading again: everything unchanged, still exit 0.
    again = run_load(str(inbox), "--db", str(tmp_path / "w.duckdb"))
    assert again.returncode == 0
    table = summary_table(again.stderr)
    assert (table["unchanged"], table["rows read"], table["refused"]) == ("5", "0", "0")


def test_exit_1_when_a_file_is_refused(tmp_path: Path) -> None:
    inbox = write_inbox(tmp_path / "inbox", {**TINY_FILES, "contacts_20240131.csv": b""})
    # A refusal for what the contract says (an empty file), so without the checks; a file the
    # checks refuse exits 1 too: tests/test_checks.py.
    done = run_load(str(inbox), "--db", str(tmp_path / "w.duckdb"), "--no-checks")
    assert done.returncode == 1
    table = summary_table(done.stderr)
    # 5 files, 4 landed (11 rows), 1 refused (the 0-byte one).
    assert (table["files"], table["landed"], table["refused"], table["rows landed"]) == (
        "5",
        "4",
        "1",
        "11",
    )
    message = " ".join(done.stderr.split())
    assert "contacts_20240131.csv: line 1, column 1: the file is empty (0 bytes)" in message
    # The rest was published all the same.
    assert (tmp_path / "w.duckdb").exists()


def test_exit_1_for_a_gbk_file_without_encoding_and_0_with_it(tmp_path: Path) -> None:
    gbk = (
        "account_id,national_id,card_no,open_date,credit_limit,customer_name\n"
        "A1,110105199001011234,6225880212345678,2020-01-15,1000,张伟\n"
    ).encode("gbk")
    inbox = write_inbox(tmp_path / "inbox", {"accounts_20240131.csv": gbk})
    # The encoding is the loader's (no check runs before it decides): without the checks.
    refused = run_load(str(inbox), "--db", str(tmp_path / "w.duckdb"), "--no-checks")
    assert refused.returncode == 1
    assert "--encoding gbk" in " ".join(refused.stderr.split())
    landed = run_load(
        str(inbox), "--db", str(tmp_path / "w.duckdb"), "--encoding", "gbk", "--no-checks"
    )
    assert landed.returncode == 0, landed.stderr
    assert summary_table(landed.stderr)["rows landed"] == "1"


def invoke_load(*args: str):
    """The load command in this process (usage errors need no subprocess)."""
    done = runner.invoke(app, ["load", *args], env={"COLUMNS": "250", "NO_COLOR": "1"})
    return done.exit_code, " ".join(done.output.split()).lower()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ([], "missing argument 'inbox'"),
        (["/nonexistent/inbox"], "is not a folder"),
        (["--no-such-option", "x"], "no such option"),
    ],
    ids=["missing INBOX", "nonexistent folder", "unknown option"],
)
def test_exit_2_for_usage_errors(tmp_path: Path, args: list[str], says: str) -> None:
    code, output = invoke_load(*args, "--db", str(tmp_path / "w.duckdb"))
    assert code == 2
    assert says in output
    assert not (tmp_path / "w.duckdb").exists()  # nothing was written


def test_exit_2_when_inbox_is_a_file(tmp_path: Path) -> None:
    a_file = tmp_path / "accounts_20240131.csv"
    a_file.write_text(TINY_FILES["accounts_20240131.csv"])
    code, output = invoke_load(str(a_file), "--db", str(tmp_path / "w.duckdb"))
    assert code == 2
    assert "is not a folder" in output


def test_exit_2_for_an_unknown_encoding(tmp_path: Path) -> None:
    inbox = write_inbox(tmp_path / "inbox", TINY_FILES)
    code, output = invoke_load(
        str(inbox), "--db", str(tmp_path / "w.duckdb"), "--encoding", "no-such-codec"
    )
    assert code == 2
    assert "no-such-codec" in output
    # Nothing published and no staging copy left.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inbox", "w.duckdb.lock"]


def test_db_from_the_environment(tmp_path: Path) -> None:
    inbox = write_inbox(tmp_path / "inbox", TINY_FILES)
    env = {**os.environ, "COLUMNS": "250", "COLLECTIONS_DB": str(tmp_path / "env.duckdb")}
    done = subprocess.run(
        # (The checks play no part in where the warehouse goes: skipped, for time.)
        [sys.executable, "-m", "warehouse.cli", "load", str(inbox), "--no-checks"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "env.duckdb").exists()


def test_an_unexpected_error_has_its_own_exit_status_and_publishes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A first load publishes the tiny bank; a second, with a new file, meets a mart that fails in
    # a way nobody planned for (not a refused file, not a failed check).
    db = tmp_path / "w.duckdb"
    inbox = write_inbox(tmp_path / "inbox", TINY_FILES)
    assert runner.invoke(app, ["load", str(inbox), "--db", str(db)]).exit_code == 0
    published = db.read_bytes()
    import warehouse.marts

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("a mart divided by zero for card 6225880212345678")

    monkeypatch.setattr(warehouse.marts, "build", broken)
    more = write_inbox(
        tmp_path / "more",
        {
            "snapshots_20240331.csv": "as_of_date,account_id,balance,days_past_due,status\n"
            "2024-03-31,A1,5,0,open\n"
        },
    )
    done = runner.invoke(
        app, ["load", str(more), "--db", str(db)], env={"COLUMNS": "200", "NO_COLOR": "1"}
    )
    assert done.exit_code == 3, done.output
    text = " ".join(done.output.split())
    # What failed, and where (the innermost frame of the project's code).
    assert "the load failed: ZeroDivisionError: a mart divided by zero" in text
    assert "warehouse/jobs/load.py" in text
    assert "Nothing was published" in text
    # The number in the message is masked; the published catalog is the first load's.
    assert "6225880212345678" not in done.output
    assert db.read_bytes() == published
