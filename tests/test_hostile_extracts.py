"""Generated hostile extracts (issue 13 §2): valid files mutated into the faults real drops contain.

Every example lands an inbox of mutated files with the real load (`load_inbox`) and holds the
contract's invariants. The landing is what is under attack, so the examples run without the
data-quality checks and without rebuilding the marts (seconds each, the same for every
example); `test_every_fault_at_once_through_the_command` runs the command itself, checks and
marts included, on every fault at once. The invariants:

- the load ends without a traceback;
- each file is landed with rows_read = rows_landed + rows_quarantined (and as many rows in
  ops.quarantine), or refused with a message naming the file, a line and a column;
- no full national ID, card or mobile number reaches the database, a log line or a message;
- loading the same inbox again changes nothing.

Profiles (hypothesis settings): `ci`, the default, runs 10 examples (about 20 s on two
shared cores); `long` runs 400, for benchmark runs and before a release:

    COLLECTIONS_HYPOTHESIS_PROFILE=long .venv/bin/python -m pytest tests/test_hostile_extracts.py
"""

# ruff: noqa: E501  (CSV rows are kept whole, as a reader sees them)

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import query, write_inbox
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warehouse import marts
from warehouse.config import PROJECT_ROOT
from warehouse.jobs.load import load_inbox
from warehouse.storage import connect_reader

settings.register_profile(
    "ci",
    max_examples=10,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=list(HealthCheck),
)
settings.register_profile(
    "long",
    max_examples=400,
    deadline=None,
    database=None,  # a failure prints its @reproduce_failure blob instead
    print_blob=True,
    suppress_health_check=list(HealthCheck),
)
PROFILE = settings.get_profile(os.environ.get("COLLECTIONS_HYPOTHESIS_PROFILE", "ci"))

pytestmark = pytest.mark.slow

# --- personal numbers, real-shaped (valid check digits) ---------------------------------------


def check_digit(body: str) -> str:
    """GB 11643: the 18th character of a national ID whose first 17 digits are `body`."""
    weights = [2 ** (17 - i) % 11 for i in range(17)]
    return "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


def luhn_complete(body: str) -> str:
    for last in "0123456789":
        digits = [int(d) for d in reversed(body + last)]
        total = sum(
            d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2) for i, d in enumerate(digits)
        )
        if total % 10 == 0:
            return body + last
    raise AssertionError("unreachable")


national_ids = st.builds(
    lambda region, year, month, day, sequence: (
        (body := f"{region}{year:04d}{month:02d}{day:02d}{sequence:03d}") + check_digit(body)
    ),
    st.sampled_from(["110101", "310104", "440305", "510107"]),
    st.integers(1950, 2005),
    st.integers(1, 12),
    st.integers(1, 28),
    st.integers(0, 999),
)
cards = st.builds(
    lambda prefix, rest: luhn_complete(prefix + rest),
    st.sampled_from(["622202", "622588", "436742", "524094"]),
    st.text("0123456789", min_size=9, max_size=9),
)
mobiles = st.builds(
    lambda second, rest: "1" + second + rest,
    st.sampled_from("3456789"),
    st.text("0123456789", min_size=9, max_size=9),
)
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def written(number: str, style: str) -> str:
    """How a person types a number into free text or the wrong column."""
    if style == "full-width":
        return number.translate(FULL_WIDTH)
    if style == "plain":
        return number
    groups = [number[i : i + 4] for i in range(0, len(number), 4)]
    separator = {"spaces": " ", "double spaces": "  ", "dash": "-", "slash": "/", "dot": "."}
    return {"underscore": "_", **separator}.get(style, " ").join(groups)


STYLES = ("plain", "full-width", "spaces", "double spaces", "dash", "slash", "underscore", "dot")


# --- valid extract files -----------------------------------------------------------------------


@dataclass
class Bank:
    """A few valid extract files and every full number written into them."""

    files: dict[str, str]
    secrets: set[str] = field(default_factory=set)


@st.composite
def banks(draw: st.DrawFn) -> Bank:
    size = draw(st.integers(2, 5))
    secrets: set[str] = set()

    def secret(strategy: st.SearchStrategy[str], *, style: str | None = None) -> str:
        number = draw(strategy)
        secrets.add(number)
        shown = written(number, style or "plain")
        secrets.add(shown)
        return shown

    def hidden_number() -> str:
        """A number typed where it does not belong, in any of the ways people write them."""
        style = draw(st.sampled_from(STYLES))
        return secret(draw(st.sampled_from([national_ids, cards, mobiles])), style=style)

    accounts = [
        "account_id,customer_id,national_id,customer_name,card_no,mobile,city,open_date,credit_limit,credit_score"
    ]
    for i in range(size):
        city = hidden_number() if draw(st.booleans()) else draw(st.sampled_from(["上海", "北京"]))
        accounts.append(
            f"A{i},C{i},{secret(national_ids)},{draw(st.sampled_from(['张伟', '李娜', '王强']))},"
            f"{secret(cards)},{secret(mobiles)},{city},2020-01-15,{1000 * (i + 1)}.50,{600 + i}"
        )
    snapshots = ["as_of_date,account_id,balance,days_past_due,status"]
    snapshots += [f"2024-01-31,A{i},{100 * i}.25,{15 * i},open" for i in range(size)]
    contacts = [
        "attempt_id,account_id,agent_id,channel,started_at,duration_s,contact_number,outcome,notes"
    ]
    for i in range(size):
        note = f"客户说 {hidden_number()}, 明天再打" if draw(st.booleans()) else "no answer"
        contacts.append(
            f'T{i},A{i},AG1,call,2024-01-31 10:{i:02d}:00,{30 * i},{secret(mobiles)},right_party,"{note}"'
        )
    payments = ["payment_id,account_id,paid_at,amount,channel"]
    payments += [f"P{i},A{i},2024-01-31 12:00:00,{50 + i}.00,app" for i in range(size)]
    return Bank(
        {
            "accounts_20240131.csv": "\n".join(accounts) + "\n",
            "snapshots_20240131.csv": "\n".join(snapshots) + "\n",
            "contacts_20240131.csv": "\n".join(contacts) + "\n",
            "payments_20240131.csv": "\n".join(payments) + "\n",
        },
        secrets,
    )


# --- the faults --------------------------------------------------------------------------------


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def _swap_field(line: bytes, position: int, value: bytes) -> bytes:
    fields = line.split(b",")
    fields[position % len(fields)] = value
    return b",".join(fields)


def fault(draw: st.DrawFn, name: str, data: bytes) -> bytes:
    """`data` (a valid UTF-8 CSV file) with the fault called `name`."""
    if not data:
        return data  # nothing left to damage
    lines = _lines(data)
    if len(lines) < 2:
        lines.append(b"")
    body = range(1, max(2, len(lines) - 1))  # data lines (the last element is the final "")
    row = draw(st.sampled_from(body))
    column = draw(st.integers(0, 12))
    if name == "empty":
        return b""
    if name == "header only":
        return lines[0] + draw(st.sampled_from([b"\n", b"", b"\r\n"]))
    if name == "bom":
        return b"\xef\xbb\xbf" + data
    if name == "invalid utf-8":
        at = draw(st.integers(0, len(data) - 1))
        return data[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xe4\xb8"])) + data[at:]
    if name == "gbk unannounced":
        return data.decode("utf-8", errors="ignore").encode("gbk", errors="replace")
    if name == "nul bytes":
        at = draw(st.integers(0, len(data) - 1))
        return data[:at] + b"\x00" + data[at:]
    if name == "blank lines":
        lines.insert(row, draw(st.sampled_from([b"", b"   ", b"\r"])))
        return b"\n".join(lines)
    if name == "too many fields":
        lines[row] += b",extra"
        return b"\n".join(lines)
    if name == "too few fields":
        lines[row] = b",".join(lines[row].split(b",")[:-2])
        return b"\n".join(lines)
    if name == "unterminated quote":
        lines[row] = _swap_field(lines[row], column, b'"' + lines[row].split(b",")[0])
        return b"\n".join(lines)
    if name == "stray quote":
        fields = lines[row].split(b",")
        target = column % len(fields)
        fields[target] = fields[target][:1] + b'"' + fields[target][1:]
        return b"\n".join([*lines[:row], b",".join(fields), *lines[row + 1 :]])
    if name == "mixed crlf":
        ends = draw(
            st.lists(st.sampled_from([b"\n", b"\r\n"]), min_size=len(lines), max_size=len(lines))
        )
        return b"".join(line + end for line, end in zip(lines[:-1], ends, strict=False)) + lines[-1]
    if name == "truncated last line":
        last = data.rstrip(b"\n").rsplit(b"\n", 1)[-1]
        cut = draw(st.integers(1, max(1, len(last) - 1)))
        return data.rstrip(b"\n")[:-cut]
    if name == "duplicate header":
        names = lines[0].split(b",")
        names[column % len(names)] = names[(column + 1) % len(names)]
        return b"\n".join([b",".join(names), *lines[1:]])
    if name == "renamed header":
        names = lines[0].split(b",")
        names[column % len(names)] = draw(
            st.sampled_from([b"Acct No", b"ID", b"col_x", b"[/bold]"])
        )
        return b"\n".join([b",".join(names), *lines[1:]])
    value = {
        "thousands separators": draw(st.sampled_from([b'"1,234.50"', b"1,234.50", b"1 234,50"])),
        "n/a": draw(st.sampled_from([b"N/A", b"n/a", b"NULL", b"-", b"#N/A"])),
        "impossible date": draw(
            st.sampled_from([b"2024-02-30", b"2024-13-01", b"0000-00-00", b"31/01/2024"])
        ),
        "overflow": draw(
            st.sampled_from([b"99999999999999999999", b"1e400", b"-9223372036854775809"])
        ),
        "leading zeros": draw(st.sampled_from([b"000123", b"0013812345678", b"007"])),
        "spreadsheet number": draw(
            st.sampled_from([b"6.22848E+18", b"6.22588E+15", b"1.38123E+10"])
        ),
    }[name]
    lines[row] = _swap_field(lines[row], column, value)
    return b"\n".join(lines)


FAULTS = (
    "empty",
    "header only",
    "bom",
    "invalid utf-8",
    "gbk unannounced",
    "nul bytes",
    "blank lines",
    "too many fields",
    "too few fields",
    "unterminated quote",
    "stray quote",
    "mixed crlf",
    "truncated last line",
    "duplicate header",
    "renamed header",
    "thousands separators",
    "n/a",
    "impossible date",
    "overflow",
    "leading zeros",
    "spreadsheet number",
)


@st.composite
def hostile_inboxes(draw: st.DrawFn) -> tuple[dict[str, bytes], set[str], list[str]]:
    bank = draw(banks())
    files: dict[str, bytes] = {}
    applied: list[str] = []
    for name, text in bank.files.items():
        data = text.encode("utf-8")
        for fault_name in draw(st.lists(st.sampled_from(FAULTS), max_size=2)):
            data = fault(draw, fault_name, data)
            applied.append(f"{name}: {fault_name}")
        files[name] = data
    return files, bank.secrets, applied


# --- the invariants ----------------------------------------------------------------------------

WHERE = re.compile(r"line \d+, column \d+")


def everything_stored(db: Path) -> str:
    """Every value of every table and view of the published warehouse, as text."""
    con = connect_reader(db)
    try:
        relations = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_catalog = 'wh' ORDER BY 1, 2"
        ).fetchall()
        return "\n".join(
            "|".join(str(value) for value in row)
            for schema, table in relations
            for row in con.execute(f'SELECT * FROM "{schema}"."{table}"').fetchall()
        )
    finally:
        con.close()


def raw_contents(db: Path) -> dict[str, list[tuple]]:
    tables = [
        t
        for (t,) in query(
            db,
            "SELECT table_schema || '.' || table_name FROM information_schema.tables WHERE table_schema IN ('raw', 'ops') AND table_name NOT IN ('load_runs', 'loaded_files', 'publications', 'mart_builds') ORDER BY 1",
        )
    ]
    return {t: query(db, f"SELECT * FROM {t} ORDER BY ALL") for t in tables}


def assert_invariants(
    files: dict[str, bytes], secrets: set[str], applied: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    with tempfile.TemporaryDirectory(prefix="hostile-") as folder:
        inbox = write_inbox(Path(folder) / "inbox", files)
        db = Path(folder) / "warehouse.duckdb"
        caplog.clear()
        with caplog.at_level(logging.DEBUG), pytest.MonkeyPatch.context() as patch:
            patch.setattr(marts, "build", lambda *args, **kwargs: {})
            summary = load_inbox(inbox, db=db, run_checks=False)  # no traceback
        assert {f.file_name for f in summary.files} == set(files), applied
        quarantined = dict(query(db, "SELECT file_name, count(*) FROM ops.quarantine GROUP BY 1"))
        for f in summary.files:
            if f.status == "refused":
                assert f.message.startswith(f.file_name + ":"), (applied, f.message)
                # The loader's own refusal of a header without a required column names the
                # columns, not yet the line (issue 13: a hook for the loader's rewrite).
                assert WHERE.search(f.message) or "required column(s) missing" in f.message, (
                    applied,
                    f.message,
                )
            else:
                assert f.rows_read == f.rows_landed + f.rows_quarantined, (applied, f)
                assert quarantined.get(f.file_name, 0) == f.rows_quarantined, (applied, f)
        said = "\n".join([f.message for f in summary.files] + [caplog.text])
        stored = everything_stored(db)
        for number in secrets:
            assert number not in stored, (applied, number)
            assert number not in said, (applied, number)
        # The same inbox again: nothing changes.
        before = raw_contents(db)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(marts, "build", lambda *args, **kwargs: {})
            again = load_inbox(inbox, db=db, run_checks=False)
        assert {f.status for f in again.files} <= {"unchanged", "refused"}, applied
        assert raw_contents(db) == before, applied


@PROFILE
@given(inbox=hostile_inboxes())
def test_generated_hostile_inboxes_keep_the_contract(
    inbox: tuple[dict[str, bytes], set[str], list[str]], caplog: pytest.LogCaptureFixture
) -> None:
    files, secrets, applied = inbox
    assert_invariants(files, secrets, applied, caplog)


# --- single faults whose outcome is known exactly ---------------------------------------------


def land_one(tmp_path: Path, name: str, text: str) -> tuple[str, list[tuple]]:
    inbox = write_inbox(tmp_path / "inbox", {name: text})
    db = tmp_path / "w.duckdb"
    (f,) = load_inbox(inbox, db=db, run_checks=False).files
    return f.status, query(db, "SELECT line_number, column_name, reason FROM ops.quarantine")


ACCOUNTS = "account_id,national_id,card_no,mobile,open_date,credit_limit\n"
ID = "11010119900307123" + check_digit("11010119900307123")


def test_leading_zeros_in_ids_and_phones_are_kept_as_text(tmp_path: Path) -> None:
    status, quarantine = land_one(
        tmp_path,
        "accounts_20240131.csv",
        ACCOUNTS + f"000123,{ID},6225880212345674,02112345678,2020-01-15,1000\n",
    )
    assert (status, quarantine) == ("landed", [])
    db = tmp_path / "w.duckdb"
    # The account id keeps its zeros; the landline its leading 0 (masked: first 3, last 4).
    assert query(db, "SELECT account_id, mobile_masked FROM raw.accounts") == [
        ("000123", "021****5678")
    ]


def test_a_card_number_mangled_by_a_spreadsheet_is_quarantined_not_stored(tmp_path: Path) -> None:
    status, quarantine = land_one(
        tmp_path,
        "accounts_20240131.csv",
        ACCOUNTS + f"A1,{ID},6.22848E+18,13812345678,2020-01-15,1000\n",
    )
    assert status == "landed"
    assert [(line, column) for line, column, _ in quarantine] == [(2, "card_no")]
    db = tmp_path / "w.duckdb"
    assert query(db, "SELECT count(*) FROM raw.accounts") == [(0,)]
    assert "6228480000000000000" not in everything_stored(db)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (
            ACCOUNTS + f'A1,"{ID},6225880212345674,13812345678,2020-01-15,1000\n',
            "line 2, column 2 ('national_id')",
        ),
        (ACCOUNTS.replace("mobile", "card_no"), "line 1, column 4"),
        ((ACCOUNTS + "A1,\xff\n").encode("latin-1"), "line 2, column 4 (byte 0xff)"),
        (ACCOUNTS.replace("mobile", "mob\x00ile"), "line 1, column 4"),
        ("", "line 1, column 1"),
    ],
    ids=["unclosed quote", "duplicate header", "invalid utf-8", "nul in header", "0 bytes"],
)
def test_refusals_name_the_file_line_and_column(
    tmp_path: Path, text: str | bytes, where: str
) -> None:
    inbox = write_inbox(tmp_path / "inbox", {"accounts_20240131.csv": text})
    (f,) = load_inbox(inbox, db=tmp_path / "w.duckdb", run_checks=False).files
    assert f.status == "refused"
    assert f.message.startswith(f"accounts_20240131.csv: {where}:"), f.message


def test_every_fault_at_once_through_the_command(tmp_path: Path) -> None:
    """The command with its checks on: one inbox holding each fault once, in files of every
    extract; exit 0 or 1, never a traceback, and no full number in its output or the warehouse."""
    files: dict[str, bytes] = {}
    secrets = {ID, "6225880212345674", "13812345678"}
    base = (
        "account_id,customer_id,national_id,customer_name,card_no,mobile,city,open_date,credit_limit\n"
        f"A1,C1,{ID},张伟,6225880212345674,13812345678,上海,2020-01-15,1000\n"
        f"A2,C2,{ID},李娜,6225880212345674,13812345678,{written(ID, 'full-width')},2020-01-15,2000\n"
    ).encode()
    for i, name in enumerate(FAULTS):
        data = _fixed_fault(name, base)
        files[f"accounts_202401{i + 1:02d}.csv"] = data
    # A header that is Rich markup, in a file the command lists (it has a quarantined row): the
    # output must show it, not break on it.
    files["accounts_20240201.csv"] = (
        base.replace(b"credit_limit\n", b"credit_limit,[/bold]\n", 1) + b"A3\n"
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "warehouse.cli",
            "load",
            str(write_inbox(tmp_path / "inbox", files)),
            "--db",
            str(tmp_path / "w.duckdb"),
        ],
        cwd=PROJECT_ROOT,
        env={**os.environ, "COLUMNS": "250", "COLLECTIONS_LOG_LEVEL": "DEBUG"},
        capture_output=True,
        text=True,
        timeout=240,
    )
    output = done.stdout + done.stderr
    assert done.returncode in (0, 1), output
    assert "Traceback" not in output, output
    assert "[/bold]" in output  # the file's message, as written
    stored = everything_stored(tmp_path / "w.duckdb")
    for number in secrets | {written(ID, "full-width")}:
        assert number not in output, number
        assert number not in stored, number


def _fixed_fault(name: str, data: bytes) -> bytes:
    """`fault` with its choices fixed (the first of each), for the command-line test."""

    class First:
        def __call__(self, strategy: st.SearchStrategy) -> object:
            return _first(strategy)

    return fault(First(), name, data)  # type: ignore[arg-type]


def _first(strategy: st.SearchStrategy) -> object:
    """The simplest value of a strategy (what hypothesis shrinks towards)."""
    from hypothesis import find

    return find(strategy, lambda _: True, settings=settings(database=None, max_examples=1))
