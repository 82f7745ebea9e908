"""Data-quality checks (checks/): every expectation caught with its severity, and what it does.

Each expectation has a fixture that breaks it. Expectations on a landed batch that the loader
already enforces row by row (the contract's required values, codes, ranges, one key per file)
cannot be broken through a file, so their batches are handed to the suite directly; every other
expectation is broken by files landed through `load_inbox`, as a bank would send them.

An `error` on a landed batch refuses the file (its rows stay out of the published warehouse,
other files land); an `error` on the warehouse as a whole publishes nothing; a `warn` lands and
is flagged in dq.results. Severities and thresholds come from settings.dq_rules.
"""

# ruff: noqa: E501  (expected messages, SQL and CSV rows are kept whole, as a reader sees them)

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest
from conftest import TINY_FILES, TINY_SECRETS, query, write_inbox
from dq_fixtures import file_name, landed_batch, valid_rows
from typer.testing import CliRunner

from checks import ChecksFailed, docs, frames, queries, rules, settings
from checks.session import CheckSession
from checks.store import Finding
from warehouse.cli import app
from warehouse.contract import EXTRACTS
from warehouse.jobs.check import check_warehouse
from warehouse.jobs.load import LoadSummary, load_inbox
from warehouse.storage import connect_reader, copy_warehouse, in_place

JAN31 = date(2024, 1, 31)


def land(
    tmp_path: Path,
    files: dict[str, str],
    *,
    db: Path | None = None,
    folder: str = "inbox",
    **options,
) -> tuple[LoadSummary, Path]:
    inbox = write_inbox(tmp_path / folder, files)
    db = db or tmp_path / "warehouse.duckdb"
    return load_inbox(inbox, db=db, **options), db


def findings(db: Path, suite: str, expectation: str, *, run_id: int | None = None) -> list[dict]:
    """dq.results rows of one expectation in one run (the latest by default)."""
    con = connect_reader(db)
    try:
        run = run_id or con.execute("SELECT max(run_id) FROM dq.runs").fetchall()[0][0]
        cursor = con.execute(
            "SELECT * FROM dq.results WHERE run_id = ? AND suite = ? AND expectation = ? ORDER BY file_name NULLS FIRST",
            [run, suite, expectation],
        )
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


def edit(db: Path, *statements: str | tuple[str, str]) -> None:
    """Change the published warehouse in place, as a user editing settings would (no load
    running). A statement runs on the catalog; a (relation, SELECT) pair rewrites a relation of
    the lake with the rows of the SELECT (landed rows and marts are files, not tables)."""
    with in_place(db) as lake:
        for statement in statements:
            if isinstance(statement, tuple):
                lake.rewrite(*statement)
            else:
                lake.con.execute(statement)


def file_result(summary: LoadSummary, name: str):
    return next(f for f in summary.files if f.file_name == name)


# --- The catalogue ------------------------------------------------------------------------------


def test_every_policy_expectation_has_its_settings_row_and_every_row_an_expectation() -> None:
    defaults = settings.defaults()
    declared = {rule.key for rule in rules.warehouse_rules()}
    missing = [key for key in declared if defaults.get(*key) is None]
    assert missing == [], f"add rows to sql/settings/dq_rules.sql for {missing}"
    templated = set()
    for extract in EXTRACTS.values():
        policy, misconfigured = rules.policy_batch_rules(extract, defaults)
        assert misconfigured == []
        templated |= {rule.key for rule in policy}
    assert set(defaults.rows) == declared | templated
    # Contract expectations come from the schemas, one per rule the loader enforces.
    snapshots = {rule.name for rule in rules.contract_rules(EXTRACTS["snapshots"])}
    assert {
        "days_past_due_in_range",
        "statement_day_in_range",
        "status_in_set",
        "balance_not_null",
        "key_unique_in_file",
    } <= snapshots
    assert "credit_score_in_range" in {
        rule.name for rule in rules.contract_rules(EXTRACTS["accounts"])
    }


def test_every_query_has_its_file_with_a_header_and_every_file_a_use() -> None:
    frames_queries = {
        "warehouse/files_in_scope",
        "warehouse/volume_within_band",
        "warehouse/dates_present",
        "warehouse/invalid_contact_points",
    }
    used = frames_queries | {m.query for m in rules.FILE_MEASURES}
    used |= {m.query for m in rules.MART_SUITES}
    files = {
        path.relative_to(queries.SQL_FOLDER).with_suffix("").as_posix()
        for path in queries.SQL_FOLDER.rglob("*.sql")
    }
    assert files == used
    for name in sorted(files):
        header = queries.text(name).splitlines()[:3]
        assert header[0].startswith("-- checks: ") and header[1].startswith("-- Purpose: "), name


def test_spliced_sql_is_only_what_the_contract_declares() -> None:
    assert queries.raw_table("payments") == "raw.payments"
    assert queries.row_names("payments", "account_id") == (
        "'payment_id=' || coalesce(CAST(r.payment_id AS VARCHAR), 'NULL') || ', ' || "
        "'account_id=' || coalesce(CAST(r.account_id AS VARCHAR), 'NULL')"
    )
    with pytest.raises(ValueError, match="no extract"):
        queries.raw_table("payments; DROP TABLE raw.accounts")
    with pytest.raises(ValueError, match="no stored column"):
        queries.row_names("payments", "amount) || (SELECT 1")
    with pytest.raises(KeyError, match="row_names"):
        queries.render("warehouse/account_known", {"raw_table": "raw.payments"})
    # A threshold reaches SQL as a parameter, and only once it is a number.
    measure = next(m for m in rules.FILE_MEASURES if m.name == "overdue_within_balance")
    assert measure.parameters({"tolerance": 0.01}) == {"tolerance": 0.01}
    with pytest.raises(ValueError, match="must be a number"):
        measure.parameters({"tolerance": "0; DROP TABLE raw.accounts"})


# --- Landed batches: every contract and policy expectation, broken one file at a time -------------


def _break(frame: pl.DataFrame, rule: rules.Rule, thresholds: dict) -> pl.DataFrame:
    """One row (two for a duplicate key) that breaks `rule` and nothing it is not about."""
    row = frame.head(1)
    extract = EXTRACTS[rule.suite.removeprefix("raw.")]
    if rule.name == "key_unique_in_file":
        return pl.concat([row, row.with_columns(pl.col("_line_number") + 1)])
    column = extract.column(rule.column)
    stored = rules.stored_name(column)
    dtype = frame.schema[stored]
    if rule.name.endswith("_not_null"):
        bad = None
    elif rule.name.endswith("_in_set"):
        bad = "bogus"
    elif rule.name.endswith("_in_range"):
        if column.minimum is not None:
            bad = column.minimum if column.exclusive_minimum else column.minimum - 1
        else:
            bad = column.maximum + 1
    elif rule.name.endswith("_plausible"):
        bad = (
            thresholds["max_value"] + 1
            if "max_value" in thresholds
            else thresholds["min_value"] - 1
        )
    elif rule.name.endswith("_not_in_future"):
        bad = datetime.now(UTC) + timedelta(days=2)
    else:
        raise AssertionError(f"no way to break {rule.key}")
    if isinstance(dtype, pl.Decimal) and bad is not None:
        bad = Decimal(str(bad))
    return row.with_columns(pl.lit(bad).cast(dtype).alias(stored))


@pytest.fixture
def session() -> CheckSession:
    return CheckSession(duckdb.connect(":memory:"), kind="load", load_id=1)


@pytest.mark.parametrize("extract", list(EXTRACTS))
def test_every_landed_batch_expectation_catches_its_break_with_its_severity(
    extract: str, session: CheckSession, tmp_path: Path
) -> None:
    defaults = settings.defaults()
    schema = EXTRACTS[extract]
    clean = landed_batch(
        extract, valid_rows(extract, JAN31, 3), file_name(extract, JAN31), tmp_path
    )
    policy, _ = rules.policy_batch_rules(schema, defaults)
    expectations = [*rules.contract_rules(schema), *policy]
    broken = [
        _break(clean, rule, dict(getattr(defaults.get(*rule.key), "thresholds", {}))).with_columns(
            pl.lit(f"{rule.name}.csv").alias("_file_name")
        )
        for rule in expectations
    ]
    refused = session.check_batch(schema, pl.concat([clean, *broken]))

    found = {(f.expectation, f.file_name): f for f in session.all_findings()}
    for rule in expectations:
        severity = defaults.get(*rule.key).severity if defaults.get(*rule.key) else "error"
        finding = found.get((rule.name, f"{rule.name}.csv"))
        assert finding is not None, f"{rule.key} did not catch its break"
        assert (finding.success, finding.severity, finding.stage) == (
            False,
            severity,
            rules.BATCH,
        ), rule.key
        assert finding.unexpected_count >= 1 and finding.sample_lines
        if severity == "error":
            assert finding.action == "file refused"
            assert f"{rule.suite}/{rule.name}" in refused[f"{rule.name}.csv"]
        else:
            assert finding.action == "flagged"
            assert f"{rule.name}.csv" not in refused
    assert file_name(extract, JAN31) not in refused
    assert not any(f.file_name == file_name(extract, JAN31) for f in session.all_findings())


def test_a_batch_failure_names_the_rows_by_line_and_key(
    session: CheckSession, tmp_path: Path
) -> None:
    csv = (
        "as_of_date,account_id,balance,days_past_due,status\n"
        "2024-01-31,A1,100,0,open\n"
        "2024-01-31,A2,200,5,open\n"
    )
    batch = landed_batch("snapshots", csv, "snapshots_20240131.csv", tmp_path)
    batch = batch.with_columns(
        pl.when(pl.col("account_id") == "A2")
        .then(-5)
        .otherwise(pl.col("days_past_due"))
        .alias("days_past_due")
    )
    refused = session.check_batch(EXTRACTS["snapshots"], batch)
    assert refused == {
        "snapshots_20240131.csv": (
            "refused by data-quality check(s): raw.snapshots/days_past_due_in_range (error): 1 of 2 "
            'row(s) break "days_past_due >= 0 (the contract\'s range)" (line(s) 3); nothing of this file landed'
        )
    }
    finding = next(f for f in session.all_findings() if f.expectation == "days_past_due_in_range")
    assert finding.sample == "line 3: as_of_date=2024-01-31, account_id=A2, days_past_due=-5"
    assert finding.sample_lines == [3]
    assert finding.observed_value == "1 of 2 rows"


# --- Shared warehouses -------------------------------------------------------------------------------


def copy_of(db: Path, folder: Path) -> Path:
    """A private copy of a published warehouse (its Data Docs stay behind)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "warehouse.duckdb"
    copy_warehouse(db, target)
    return target


@pytest.fixture
def tiny(tiny_published: Path, tmp_path: Path) -> Path:
    """A copy of the tiny bank as published, its checks passed (conftest.py)."""
    return copy_of(tiny_published, tmp_path / "tiny")


CONTACTS_HEADER = "attempt_id,account_id,agent_id,channel,started_at,contact_number,outcome"
SNAPSHOTS_HEADER = (
    "as_of_date,account_id,balance,overdue_principal,overdue_interest,overdue_fees,"
    "days_past_due,cycles_delinquent,status"
)
FUTURE = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%d %H:%M:%S")

# The tiny bank with one break (or a few) of every warehouse-wide expectation and of the
# policy expectations on files, landed in one load:
BROKEN_BANK = {
    # A1's credit limit is implausible (warn: lands, flagged).
    "accounts_20240131.csv": TINY_FILES["accounts_20240131.csv"].replace(
        ",50000,720,", ",5000000,720,"
    ),
    "agents_20240131.csv": "agent_id,team\nG1,M1 Early\n",
    "snapshots_20240131.csv": TINY_FILES["snapshots_20240131.csv"],
    "snapshots_20240215.csv": TINY_FILES["snapshots_20240215.csv"],
    # A3, open at the end of January, is missing at the end of February.
    "snapshots_20240229.csv": "\n".join(TINY_FILES["snapshots_20240229.csv"].splitlines()[:-1])
    + "\n",
    # No March month end. In April: 95 days = 4 cycles, not 2 (A1); 45 days and no cycle (A2);
    # 200 overdue on a balance of 100 (A3); an account nobody sent (A9); a credit balance with
    # fees overdue (A4: not judged).
    "snapshots_20240430.csv": (
        f"{SNAPSHOTS_HEADER}\n"
        "2024-04-30,A1,100,0,0,0,95,2,open\n"
        "2024-04-30,A2,100,0,0,0,45,0,open\n"
        "2024-04-30,A3,100,150,30,20,75,3,open\n"
        "2024-04-30,A9,10,0,0,0,0,0,open\n"
        "2024-04-30,A4,-50,0,0,10,0,0,open\n"
    ),
    # Payments, contacts and promises on 1 and 3 April: 2 April is missing.
    "payments_20240401.csv": (
        "payment_id,account_id,paid_at,amount\n"
        "P1,A9,2024-04-01 10:00:00,10\n"  # unknown account
        "P2,A1,2024-04-01 11:00:00,5000000\n"  # implausible amount
    ),
    "payments_20240403.csv": "payment_id,account_id,paid_at,amount\nP3,A1,2024-04-03 10:00:00,20\n",
    "contacts_20240401.csv": (
        f"{CONTACTS_HEADER}\n"
        "T1,A9,G9,call,2024-04-01 09:00:00,13700001111,no_answer\n"  # unknown account and agent
        "T2,A1,G1,call,2024-04-01 10:00:00,13812345678,wrong_number\n"
        "T3,A1,G1,call,2024-04-01 11:00:00,138-1234-5678,wrong_number\n"  # the same number again
        "T4,A2,G1,call,2024-04-01 12:00:00,13987654321,promise_to_pay\n"
        "T5,A1,G1,call,2024-04-01 15:00:00,13812345678,no_answer\n"  # dialled after it was flagged
    ),
    "contacts_20240403.csv": f"{CONTACTS_HEADER}\nT6,A1,G1,sms,2024-04-03 10:00:00,13812345678,sms_delivered\n",
    # A call dated in the future (error: the file is refused), and a row the contract quarantines.
    "contacts_20240404.csv": (
        f"{CONTACTS_HEADER}\n"
        "T7,A2,G1,call,2024-04-04 10:00:00,13987654321,no_answer\n"
        f"T8,A3,G1,call,{FUTURE},13700001111,no_answer\n"
        "T9,A3,G1,pigeon,2024-04-04 10:00:00,13700001111,no_answer\n"
    ),
    "promises_20240401.csv": (
        "promise_id,account_id,attempt_id,agent_id,created_at,promised_date,promised_amount\n"
        "R1,A9,,G9,2024-04-01 09:05:00,2024-04-08,10\n"  # unknown account and agent
        "R2,A1,T99,G1,2024-04-01 10:05:00,2024-04-08,10\n"  # no such attempt
        "R3,A1,T4,G1,2024-04-01 12:05:00,2024-04-08,10\n"  # T4 was a call to A2
        "R4,A2,T4,G1,2024-04-01 12:06:00,2024-04-08,10\n"  # fine
    ),
    "promises_20240403.csv": (
        "promise_id,account_id,agent_id,created_at,promised_date,promised_amount\n"
        "R5,A2,G1,2024-04-03 10:00:00,2024-04-10,10\n"
    ),
    "plans_20240401.csv": "plan_id,account_id,plan_type,status\nL1,A9,extension,proposed\n",
}


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> tuple[LoadSummary, Path]:
    folder = tmp_path_factory.mktemp("broken")
    db = folder / "warehouse.duckdb"
    return load_inbox(write_inbox(folder / "inbox", BROKEN_BANK), db=db), db


@pytest.fixture
def broken_copy(broken: tuple[LoadSummary, Path], tmp_path: Path) -> Path:
    return copy_of(broken[1], tmp_path / "copy")


def failed(db: Path, suite: str, expectation: str) -> list[dict]:
    return [f for f in findings(db, suite, expectation) if not f["success"]]


def only(db: Path, suite: str, expectation: str) -> dict:
    (finding,) = failed(db, suite, expectation)
    return finding


# --- An error on a file refuses it; a warning lands -------------------------------------------------


def test_an_error_keeps_the_file_out_and_the_other_files_land(
    broken: tuple[LoadSummary, Path],
) -> None:
    summary, db = broken
    refused = file_result(summary, "contacts_20240404.csv")
    assert refused.status == "refused"
    assert (refused.rows_read, refused.rows_landed, refused.rows_quarantined) == (3, 0, 1)
    assert refused.message.startswith(
        "refused by data-quality check(s): raw.contacts/started_at_not_in_future (error): 1 of 2 "
        'row(s) break "contact time not later than now" (line(s) 3); nothing of this file landed; '
        "its 1 quarantined row(s) stay in ops.quarantine for reference"
    )
    assert summary.refused == 1 and summary.dq.status == "failed"
    # Nothing of that file is published; every other file landed.
    assert query(
        db, "SELECT count(*) FROM raw.contacts WHERE _file_name = 'contacts_20240404.csv'"
    ) == [(0,)]
    assert query(db, "SELECT count(*) FROM raw.contacts") == [(6,)]
    assert [f.file_name for f in summary.files if f.status != "landed"] == ["contacts_20240404.csv"]
    assert query(
        db,
        "SELECT status, rows_read, rows_landed, rows_quarantined FROM ops.loaded_files WHERE file_name = 'contacts_20240404.csv'",
    ) == [("refused", 3, 0, 1)]
    finding = only(db, "raw.contacts", "started_at_not_in_future")
    assert (
        finding["file_name"],
        finding["severity"],
        finding["action"],
        finding["unexpected_count"],
    ) == ("contacts_20240404.csv", "error", "file refused", 1)
    assert finding["sample_lines"] == [3]
    assert finding["sample"].startswith("line 3: attempt_id=T8, started_at=")


def test_a_warning_lands_and_is_flagged(broken: tuple[LoadSummary, Path]) -> None:
    _, db = broken
    assert query(db, "SELECT payment_id FROM raw.payments ORDER BY 1") == [
        ("P1",),
        ("P2",),
        ("P3",),
    ]
    finding = only(db, "raw.payments", "amount_plausible")
    assert (finding["file_name"], finding["severity"], finding["action"]) == (
        "payments_20240401.csv",
        "warn",
        "flagged",
    )
    assert finding["sample"] == "line 3: payment_id=P2, amount=5000000.00"
    assert finding["observed_value"] == "1 of 2 rows"


def test_a_refused_correction_keeps_the_rows_it_would_have_replaced(
    tiny: Path, tmp_path: Path
) -> None:
    first = f"{CONTACTS_HEADER}\nT1,A1,,call,2024-01-31 10:00:00,13812345678,no_answer\n"
    land(tmp_path, {"contacts_20240131.csv": first}, db=tiny, folder="day1")
    correction = f"{CONTACTS_HEADER}\nT9,A1,,call,{FUTURE},13812345678,no_answer\n"
    summary, _ = land(tmp_path, {"contacts_20240131.csv": correction}, db=tiny, folder="day2")

    result = file_result(summary, "contacts_20240131.csv")
    assert result.status == "refused"
    assert "the contacts rows for 2024-01-31 landed by load 2 stay" in result.message
    assert query(tiny, "SELECT attempt_id, _load_id FROM raw.contacts") == [("T1", 2)]


# --- Consistency across extracts (warn by default: extracts arrive in any order) -------------------


def test_references_to_unknown_accounts_and_agents(broken: tuple[LoadSummary, Path]) -> None:
    _, db = broken
    expected = {
        "snapshots": ("snapshots_20240430.csv", [5, 6]),  # A9, and A4 with its credit balance
        "payments": ("payments_20240401.csv", [2]),
        "contacts": ("contacts_20240401.csv", [2]),
        "promises": ("promises_20240401.csv", [2]),
        "plans": ("plans_20240401.csv", [2]),
    }
    for extract, (name, lines) in expected.items():
        finding = only(db, f"raw.{extract}", "account_known")
        assert (
            finding["file_name"],
            finding["severity"],
            finding["unexpected_count"],
            finding["sample_lines"],
        ) == (name, "warn", len(lines), lines), extract
        assert "account_id=A9" in finding["sample"]
    for extract in ("contacts", "promises"):
        finding = only(db, f"raw.{extract}", "agent_known")
        assert (finding["file_name"], finding["severity"]) == (f"{extract}_20240401.csv", "warn")
        assert "agent_id=G9" in finding["sample"]
    # The other files know their accounts.
    assert all(f["success"] for f in findings(db, "raw.accounts", "volume_within_band"))


def test_a_promise_needs_its_attempt_on_the_same_account(broken: tuple[LoadSummary, Path]) -> None:
    _, db = broken
    unknown = only(db, "raw.promises", "attempt_known")
    assert (unknown["severity"], unknown["unexpected_count"], unknown["sample_lines"]) == (
        "warn",
        1,
        [3],
    )
    assert unknown["sample"] == "line 3: promise_id=R2, attempt_id=T99"
    other = only(db, "raw.promises", "attempt_same_account")
    assert (other["severity"], other["unexpected_count"], other["sample_lines"]) == ("warn", 1, [4])
    assert other["sample"] == "line 4: promise_id=R3, account_id=A1, attempt_id=T4"


def test_cycles_and_overdue_amounts_agree_with_the_snapshot(
    broken: tuple[LoadSummary, Path],
) -> None:
    _, db = broken
    cycles = only(db, "raw.snapshots", "cycles_agree_with_days_past_due")
    assert (cycles["file_name"], cycles["severity"], cycles["sample_lines"]) == (
        "snapshots_20240430.csv",
        "warn",
        [2, 3],
    )
    assert cycles["sample"] == (
        "line 2: as_of_date=2024-04-30, account_id=A1, days_past_due=95, cycles_delinquent=2; "
        "line 3: as_of_date=2024-04-30, account_id=A2, days_past_due=45, cycles_delinquent=0"
    )
    overdue = only(db, "raw.snapshots", "overdue_within_balance")
    assert (overdue["severity"], overdue["sample_lines"], overdue["observed_value"]) == (
        "warn",
        [4],
        "1 of 5 rows",
    )


def test_thresholds_are_settings(broken_copy: Path) -> None:
    edit(
        broken_copy,
        """UPDATE settings.dq_rules SET thresholds = '{"days_per_cycle": 30, "tolerance_cycles": 2}'
                         WHERE suite = 'raw.snapshots' AND expectation = 'cycles_agree_with_days_past_due'""",
    )
    check_warehouse(broken_copy)
    # 95 days with 2 cycles is now within tolerance; 45 days with none is still wrong.
    assert only(broken_copy, "raw.snapshots", "cycles_agree_with_days_past_due")[
        "sample_lines"
    ] == [3]


# --- Completeness --------------------------------------------------------------------------------


def test_every_open_account_appears_at_the_next_month_end(broken: tuple[LoadSummary, Path]) -> None:
    _, db = broken
    finding = only(db, "raw.snapshots", "month_end_complete")
    assert (finding["file_name"], finding["severity"], finding["unexpected_count"]) == (
        "snapshots_20240229.csv",
        "warn",
        1,
    )
    assert finding["sample"] == "missing account_id=A3"


def test_month_ends_and_business_dates_present(broken: tuple[LoadSummary, Path]) -> None:
    _, db = broken
    month_ends = only(db, "raw.snapshots", "month_ends_present")
    assert (month_ends["severity"], month_ends["unexpected_count"], month_ends["sample"]) == (
        "warn",
        1,
        "business_date=2024-03-31",
    )
    for extract in ("payments", "contacts", "promises"):
        days = only(db, f"raw.{extract}", "business_dates_present")
        assert (
            days["severity"],
            days["unexpected_count"],
            days["observed_value"],
            days["sample"],
        ) == ("warn", 1, "1 of 3 rows", "business_date=2024-04-02"), extract


# --- Volume -------------------------------------------------------------------------------------

WORKING_DAYS = [date(2024, 1, 8), date(2024, 1, 9), date(2024, 1, 10), date(2024, 1, 11)]
SHORT_DAY = date(2024, 1, 12)


@pytest.fixture(scope="module")
def volumes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every extract: 60 rows on four days, then 10 on the fifth."""
    files = {}
    for extract in EXTRACTS:
        for day in WORKING_DAYS:
            files[file_name(extract, day)] = valid_rows(extract, day, 60)
        files[file_name(extract, SHORT_DAY)] = valid_rows(extract, SHORT_DAY, 10)
    folder = tmp_path_factory.mktemp("volumes")
    summary = load_inbox(write_inbox(folder / "inbox", files), db=folder / "warehouse.duckdb")
    assert summary.refused == 0
    return folder / "warehouse.duckdb"


@pytest.mark.parametrize("extract", list(EXTRACTS))
def test_a_file_far_below_its_trailing_median_is_flagged(extract: str, volumes: Path) -> None:
    finding = only(volumes, f"raw.{extract}", "volume_within_band")
    assert (finding["file_name"], finding["severity"], finding["action"]) == (
        file_name(extract, SHORT_DAY),
        "warn",
        "flagged",
    )
    # The holidays files declare 9 January on as holidays: those are non-working days.
    assert (
        finding["observed_value"]
        == "10 rows = 0.17 x the trailing median (60) of non-working day files"
    )


# --- Contact validity screening ------------------------------------------------------------------


def test_repeated_wrong_numbers_are_invalid_contact_points(broken_copy: Path) -> None:
    assert query(
        broken_copy,
        "SELECT contact_number_masked, account_id, wrong_number_outcomes, attempts_after_flagged FROM mart.invalid_contact_points",
    ) == [("138****5678", "A1", 2, 2)]
    finding = only(broken_copy, "raw.contacts", "invalid_contact_points")
    assert (finding["severity"], finding["unexpected_count"], finding["target"]) == (
        "warn",
        1,
        "mart.invalid_contact_points",
    )
    assert (
        finding["sample"]
        == "contact_number_masked=138****5678, account_id=A1, wrong_number_outcomes=2"
    )
    edit(
        broken_copy,
        """UPDATE settings.dq_rules SET thresholds = '{"min_wrong_number_outcomes": 3}'
                         WHERE suite = 'raw.contacts' AND expectation = 'invalid_contact_points'""",
    )
    assert query(broken_copy, "SELECT count(*) FROM mart.invalid_contact_points") == [(0,)]


def test_the_marts_pass_checks_the_numbers_the_screening_read(broken_copy: Path) -> None:
    """mart.invalid_contact_points scans every contact, so a run computes it once: the marts
    pass takes its suite's frame from the screening's (`frames.masked_numbers_frame`). It equals
    the suite's own query (`checks/sql/mart/invalid_contact_points.sql`) on the broken bank,
    and on a hand-made frame it drops a number without a masked form and sorts by number, then
    account."""
    con = connect_reader(broken_copy)
    try:
        screened = frames.invalid_contact_points_frame(con)
        own = queries.frame(con, "mart/invalid_contact_points")
    finally:
        con.close()
    assert frames.masked_numbers_frame(screened).rows() == own.rows() == [("138****5678", "A1")]
    hand = pl.DataFrame(
        {
            "contact_number_masked": ["139****0001", None, "138****5678", "138****5678"],
            "account_id": ["A2", "A3", "B1", "A1"],
            "wrong_number_outcomes": [2, 2, 3, 2],
        }
    )
    assert frames.masked_numbers_frame(hand).rows() == [
        ("138****5678", "A1"),
        ("138****5678", "B1"),
        ("139****0001", "A2"),
    ]
    # The load's marts pass recorded the suite on those rows: passed, nothing unexpected.
    (finding,) = findings(broken_copy, "mart.invalid_contact_points", "numbers_masked")
    assert (finding["success"], finding["unexpected_count"]) == (True, 0)


# --- Severity is a setting -------------------------------------------------------------------------


def test_raising_a_severity_to_error_stops_the_load(tiny: Path, tmp_path: Path) -> None:
    edit(
        tiny,
        "UPDATE settings.dq_rules SET severity = 'error' WHERE suite = 'raw.snapshots' AND expectation = 'account_known'",
    )
    unknown = {
        "snapshots_20240331.csv": "as_of_date,account_id,balance,days_past_due,status\n2024-03-31,A9,10,0,open\n"
    }
    with pytest.raises(
        ChecksFailed,
        match=r"load 2 not published: 1 data-quality expectation\(s\) of severity error",
    ) as raised:
        land(tmp_path, unknown, db=tiny, folder="march")
    assert "raw.snapshots/account_known (error) on snapshots_20240331.csv: 1 of 1 rows" in str(
        raised.value
    )
    # Nothing published: still the tiny bank of load 1.
    assert query(tiny, "SELECT count(*), max(_load_id) FROM raw.snapshots") == [(8, 1)]
    assert query(tiny, "SELECT count(*) FROM ops.load_runs") == [(1,)]
    about = docs.read_about(docs.docs_folder(tiny))
    assert about["load_id"] == 2 and about["published"] is False and about["status"] == "failed"


def test_lowering_a_severity_to_warn_lands_the_file_and_off_skips_it(
    tiny: Path, tmp_path: Path
) -> None:
    contacts = {
        "contacts_20240301.csv": f"{CONTACTS_HEADER}\nT1,A1,,call,{FUTURE},13812345678,no_answer\n"
    }
    edit(
        tiny,
        "UPDATE settings.dq_rules SET severity = 'warn' WHERE expectation = 'started_at_not_in_future'",
    )
    summary, _ = land(tmp_path, contacts, db=tiny)
    assert file_result(summary, "contacts_20240301.csv").status == "landed"
    finding = only(tiny, "raw.contacts", "started_at_not_in_future")
    assert (finding["severity"], finding["action"]) == ("warn", "flagged")

    edit(
        tiny,
        "UPDATE settings.dq_rules SET severity = 'off' WHERE expectation = 'started_at_not_in_future'",
    )
    check_warehouse(tiny)
    assert findings(tiny, "raw.contacts", "started_at_not_in_future") == []


# --- The marts --------------------------------------------------------------------------------------


def test_a_mart_error_during_a_load_publishes_nothing(tiny: Path, tmp_path: Path) -> None:
    # A bucket table with a hole (no M2): accounts 31-60 days past due fall in no bucket.
    edit(tiny, "DELETE FROM settings.buckets WHERE bucket = 'M2'")
    march = {
        "snapshots_20240331.csv": "as_of_date,account_id,balance,days_past_due,status\n2024-03-31,A1,5,0,open\n"
    }
    with pytest.raises(ChecksFailed) as raised:
        land(tmp_path, march, db=tiny)
    failures = {(f.suite, f.expectation, f.severity, f.action) for f in raised.value.summary.errors}
    assert ("mart.account_month", "bucket_assigned", "error", "load refused") in failures
    assert query(tiny, "SELECT count(*) FROM raw.snapshots WHERE as_of_date = '2024-03-31'") == [
        (0,)
    ]
    assert query(tiny, "SELECT count(*) FROM mart.account_month WHERE bucket IS NULL") == [(0,)]


TAMPERING = (
    # one_row_per_account_month: A1's January twice
    (
        "mart.account_month",
        "SELECT * FROM mart.account_month UNION ALL SELECT * FROM mart.account_month "
        "WHERE account_id = 'A1' AND month = '2024-01-01'",
    ),
    # every_snapshot_account_present: A3's February gone
    (
        "mart.account_month",
        "SELECT * FROM mart.account_month WHERE NOT (account_id = 'A3' AND month = '2024-02-01')",
    ),
    # bucket_assigned and risk_grade_assigned: A2's February without a bucket, graded 'severe'
    (
        "mart.account_month",
        "SELECT * REPLACE ("
        "CASE WHEN account_id = 'A2' AND month = '2024-02-01' THEN NULL ELSE bucket END AS bucket, "
        "CASE WHEN account_id = 'A2' AND month = '2024-02-01' THEN 'severe' ELSE risk_grade END "
        "AS risk_grade) FROM mart.account_month",
    ),
    # reconciles_with_account_month: a yuan more in January's Current
    (
        "mart.bucket_month",
        "SELECT * REPLACE (CASE WHEN month = '2024-01-01' AND bucket = 'Current' "
        "THEN balance + 1 ELSE balance END AS balance) FROM mart.bucket_month",
    ),
    # ratios_between_0_and_1 and delinquent_within_live
    """CREATE OR REPLACE VIEW mart.delinquency_ratios AS SELECT DATE '2024-01-01' AS month, '30+' AS measure,
       'Gold' AS product, 'Shanghai' AS branch, 'low' AS risk_grade, 1 AS live_accounts, 2 AS delinquent_accounts,
       2.0 AS account_ratio""",
    # numbers_masked
    """CREATE OR REPLACE VIEW mart.invalid_contact_points AS SELECT 'h' AS contact_number_hash,
       '13812345678' AS contact_number_masked, 'A1' AS account_id, 2 AS wrong_number_outcomes,
       TIMESTAMPTZ '2024-02-01 10:00:00+00' AS flagged_at, 0 AS attempts_after_flagged""",
    # queryable: a published view that no longer answers
    "CREATE TABLE raw.scratch (x INTEGER)",
    "CREATE VIEW mart.broken AS SELECT x FROM raw.scratch",
    "DROP TABLE raw.scratch",
)
MART_EXPECTATIONS = {
    ("mart.account_month", "one_row_per_account_month"),
    ("mart.account_month", "every_snapshot_account_present"),
    ("mart.account_month", "bucket_assigned"),
    ("mart.account_month", "risk_grade_assigned"),
    ("mart.bucket_month", "reconciles_with_account_month"),
    ("mart.delinquency_ratios", "ratios_between_0_and_1"),
    ("mart.delinquency_ratios", "delinquent_within_live"),
    ("mart.invalid_contact_points", "numbers_masked"),
    ("mart.broken", "queryable"),
    # The invalid contact point above is also a finding of the contacts screening.
    ("raw.contacts", "invalid_contact_points"),
}


def test_check_catches_every_mart_expectation_and_publishes_its_results(tiny: Path) -> None:
    edit(tiny, *TAMPERING)
    summary = check_warehouse(tiny)
    caught = {(f.suite, f.expectation): f for f in summary.failed}
    assert set(caught) == MART_EXPECTATIONS
    for key, finding in caught.items():
        severity = "warn" if key == ("raw.contacts", "invalid_contact_points") else "error"
        assert finding.severity == severity, key
        assert finding.action == ("flagged" if severity == "warn" else "check failed"), key
    assert (
        caught[("mart.account_month", "one_row_per_account_month")].sample
        == "month=2024-01-01, duplicate_rows=1"
    )
    assert caught[("mart.broken", "queryable")].observed_value.startswith("does not answer: ")
    # The results are published with the check.
    assert query(tiny, "SELECT run_id, kind, load_id, status FROM dq.runs ORDER BY run_id") == [
        (1, "load", 1, "passed"),
        (2, "check", None, "failed"),
    ]


def test_collections_check_exit_codes(tiny: Path) -> None:
    done = CliRunner().invoke(
        app, ["check", "--db", str(tiny)], env={"COLUMNS": "200", "NO_COLOR": "1"}
    )
    assert done.exit_code == 0, done.output
    assert "Data quality run 2: passed" in done.output

    edit(
        tiny,
        "UPDATE settings.dq_rules SET severity = 'error' WHERE expectation = 'month_end_complete'",
        (
            "raw.snapshots",
            "SELECT * FROM raw.snapshots "
            "WHERE NOT (account_id = 'A3' AND as_of_date = '2024-02-29')",
        ),
    )
    done = CliRunner().invoke(
        app, ["check", "--db", str(tiny)], env={"COLUMNS": "200", "NO_COLOR": "1"}
    )
    assert done.exit_code == 1
    assert "Data quality run 3: failed" in done.output
    # The table of failures wraps with the terminal's width (and the test's tmp path): the
    # failing expectation and its file are checked where they are published.
    failed = query(
        tiny,
        "SELECT DISTINCT expectation, severity FROM dq.results "
        "WHERE run_id = 3 AND NOT success ORDER BY 1",
    )
    assert ("month_end_complete", "error") in failed


# --- Recording ------------------------------------------------------------------------------------


DQ_RESULTS_COLUMNS = [
    "run_id",
    "suite",
    "expectation",
    "stage",
    "target",
    "file_name",
    "column_name",
    "expectation_type",
    "severity",
    "success",
    "observed_value",
    "element_count",
    "unexpected_count",
    "unexpected_percent",
    "sample",
    "sample_lines",
    "action",
    "description",
]


def test_dq_results_columns_and_masked_samples(broken: tuple[LoadSummary, Path]) -> None:
    _, db = broken
    assert [f.name for f in fields(Finding)] == DQ_RESULTS_COLUMNS[1:]
    assert [
        c
        for (c,) in query(
            db,
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'dq' AND table_name = 'results' ORDER BY ordinal_position",
        )
    ] == DQ_RESULTS_COLUMNS
    finding = only(db, "raw.accounts", "credit_limit_plausible")
    assert finding["sample"] == "line 2: account_id=A1, credit_limit=5000000.00"
    everything = "\n".join(str(row) for row in query(db, "SELECT * FROM dq.results"))
    for secret in TINY_SECRETS:
        assert secret not in everything
    assert "13812345678" not in everything and "138****5678" in everything
    # Every expectation of the run has a row: the landed-batch suites and the rest.
    suites = {s for (s,) in query(db, "SELECT DISTINCT suite FROM dq.results")}
    assert {f"raw.{name}" for name in EXTRACTS if name != "holidays"} | {
        "mart.account_month",
        "mart.bucket_month",
        "mart.delinquency_ratios",
        "mart.invalid_contact_points",
    } <= suites
    assert query(db, "SELECT status, failed_errors, files_refused FROM dq.runs") == [
        ("failed", 1, 1)
    ]


def test_data_docs_are_built_beside_the_warehouse(broken: tuple[LoadSummary, Path]) -> None:
    _, db = broken
    folder = docs.docs_folder(db)
    assert folder == db.parent / "dq_docs"
    pages = docs.pages(folder)
    assert pages[-1] == folder / "index.html"
    page = next(p for p in pages if {"validations", "contacts", "batch"} <= set(p.parts))
    # Shown in the dashboard without their (CDN) scripts, the pages keep their content.
    html = docs.page_without_scripts(page)
    assert "<script" not in html and "raw.contacts.batch" in html and "started_at" in html
    assert "raw.contacts.batch" in (folder / "index.html").read_text(encoding="utf-8")
    assert docs.read_about(folder) == {
        "run_id": 1,
        "kind": "load",
        "load_id": 1,
        "status": "failed",
        "started_at": docs.read_about(folder)["started_at"],
        "published": True,
    }


def test_no_checks_is_recorded_as_skipped(tmp_path: Path) -> None:
    summary, db = land(tmp_path, TINY_FILES, run_checks=False)
    assert summary.dq is None and summary.refused == 0
    assert query(db, "SELECT kind, status, message FROM dq.runs") == [
        ("load", "skipped", "checks skipped (--no-checks)")
    ]
    assert query(db, "SELECT count(*) FROM dq.results") == [(0,)]
    assert not docs.docs_folder(db).exists()
