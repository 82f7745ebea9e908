"""The extract loaders against CONTRACT.md: formats, quarantine, refusals and exactly-once landing.

Every test lands real files through `load_inbox` into a real DuckDB file and reads the result back
through the published (read-only) warehouse, the way an analyst would.
"""

# ruff: noqa: E501  (expected messages, SQL and CSV rows are kept whole, as a reader sees them)

from __future__ import annotations

import gzip
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from conftest import TINY_FILES, query, write_inbox

from warehouse.jobs.load import LoadSummary, load_inbox
from warehouse.storage import connect_reader

# The smallest accounts file the contract accepts: the key plus every required column.
ACCOUNTS_HEADER = "account_id,national_id,card_no,open_date,credit_limit"


def account(i: int, **overrides: str) -> str:
    """One valid accounts row (all required columns), with some values replaced."""
    values = {
        "account_id": f"A{i}",
        "national_id": "110105199001011234",
        "card_no": "6225880212345678",
        "open_date": "2020-01-15",
        "credit_limit": "1000",
    }
    values.update(overrides)
    return ",".join(values[name] for name in ACCOUNTS_HEADER.split(","))


def land(
    tmp_path: Path,
    files: dict[str, str | bytes],
    *,
    encoding: str = "utf-8",
    db: Path | None = None,
    folder: str = "inbox",
) -> tuple[LoadSummary, Path]:
    inbox = write_inbox(tmp_path / folder, files)
    db = db or tmp_path / "warehouse.duckdb"
    return load(inbox, db=db, encoding=encoding), db


def load(inbox: Path, *, db: Path, **options: object) -> LoadSummary:
    """`load_inbox` without the data-quality checks: what is tested here (formats, quarantine,
    refusals, exactly-once landing) is the loader's own, decided before any check runs; the
    checks' part of a load is tests/test_checks.py's, and one test below keeps them on."""
    return load_inbox(inbox, db=db, run_checks=False, **options)  # type: ignore[arg-type]


def result(summary: LoadSummary, file_name: str):
    (found,) = [f for f in summary.files if f.file_name == file_name]
    return found


def assert_rows_balance(db: Path) -> None:
    """CONTRACT.md: rows in = rows landed + rows quarantined, per file, always."""
    unbalanced = query(
        db,
        "SELECT file_name, rows_read, rows_landed, rows_quarantined FROM ops.loaded_files "
        "WHERE status IN ('landed', 'replaced') AND rows_read <> rows_landed + rows_quarantined",
    )
    assert unbalanced == []
    # ...and what ops.loaded_files says was quarantined is what ops.quarantine holds.
    mismatched = query(
        db,
        """
        SELECT f.file_name, f.rows_quarantined, count(q.file_name)
        FROM ops.loaded_files AS f
        LEFT JOIN ops.quarantine AS q ON q.file_name = f.file_name AND q.load_id = f.load_id
        WHERE f.status IN ('landed', 'replaced')
        GROUP BY ALL HAVING f.rows_quarantined <> count(q.file_name)
        """,
    )
    assert mismatched == []


# --- 1. formats ------------------------------------------------------------------------------


def test_utf8_with_and_without_bom(tmp_path: Path) -> None:
    header = ACCOUNTS_HEADER + ",customer_name"
    files = {
        # A BOM before an unquoted header, and before a quoted one (the BOM must not stick to the
        # first column name, or `account_id` would be "missing").
        "accounts_20240131.csv": "\ufeff" + header + "\n" + account(1) + ",张伟\n",
        "accounts_20240201.csv": '\ufeff"account_id","national_id","card_no","open_date",'
        '"credit_limit","customer_name"\n' + account(2) + ",李娜\n",
        "accounts_20240202.csv": header + "\n" + account(3) + ",王强\n",
    }
    summary, db = land(tmp_path, files)
    # All three files land one row each, no refusal.
    assert [(f.file_name, f.status, f.rows_landed) for f in summary.files] == [
        ("accounts_20240131.csv", "landed", 1),
        ("accounts_20240201.csv", "landed", 1),
        ("accounts_20240202.csv", "landed", 1),
    ]
    # The Chinese names decoded correctly: surname + "*".
    assert query(db, "SELECT account_id, customer_name_masked FROM raw.accounts ORDER BY 1") == [
        ("A1", "张*"),
        ("A2", "李*"),
        ("A3", "王*"),
    ]
    assert_rows_balance(db)


def test_crlf_line_ends(tmp_path: Path) -> None:
    text = (
        "as_of_date,account_id,balance,days_past_due,status\r\n"
        "2024-01-31,A1,100.50,0,open\r\n"
        "2024-01-31,A2,200.00,5,bogus\r\n"  # line 3: bad status
        "2024-01-31,A3,300.00,10,OPEN\r\n"
    )
    summary, db = land(tmp_path, {"snapshots_20240131.csv": text})
    # The last column must not keep a stray "\r": "open" and "OPEN" are valid statuses (codes are
    # matched in any case and stored lower-case).
    assert query(
        db, "SELECT account_id, balance, status, _line_number FROM raw.snapshots ORDER BY 1"
    ) == [
        ("A1", Decimal("100.50"), "open", 2),
        ("A3", Decimal("300.00"), "open", 4),
    ]
    assert query(db, "SELECT line_number, column_name FROM ops.quarantine") == [(3, "status")]
    assert_rows_balance(db)


def test_quoted_commas_and_newlines_keep_true_line_numbers(tmp_path: Path) -> None:
    # Physical lines: 1 header; record T1 spans lines 2-3; T2 is line 4 (commas inside quotes);
    # T3 spans lines 5-6 and its value ENDS with a line break; line 7 is blank; T4 is line 8 and
    # has an unknown outcome (quarantined); T5 spans 9-10 with a CRLF inside; T6 is line 11.
    text = (
        "attempt_id,account_id,channel,started_at,outcome,notes\n"
        'T1,A1,call,2024-01-31 10:00:00,no_answer,"line one\nline two"\n'
        'T2,A1,call,2024-01-31 11:00:00,busy,"a, b, and c"\n'
        'T3,A1,call,2024-01-31 12:00:00,busy,"ends with a break\n"\n'
        "\n"
        "T4,A1,call,2024-01-31 13:00:00,bogus,plain\n"
        'T5,A1,sms,2024-01-31 14:00:00,sms_delivered,"x\r\ny"\n'
        "T6,A1,sms,2024-01-31 15:00:00,sms_failed,\n"
    )
    summary, db = land(tmp_path, {"contacts_20240131.csv": text})
    assert query(db, "SELECT attempt_id, _line_number FROM raw.contacts ORDER BY 1") == [
        ("T1", 2),
        ("T2", 4),
        ("T3", 5),
        ("T5", 9),
        ("T6", 11),
    ]
    # The comma-laden note arrives whole.
    assert query(db, "SELECT notes FROM raw.contacts WHERE attempt_id = 'T2'") == [("a, b, and c",)]
    assert query(db, "SELECT line_number, column_name FROM ops.quarantine") == [(8, "outcome")]
    f = result(summary, "contacts_20240131.csv")
    assert (f.rows_read, f.rows_landed, f.rows_quarantined) == (6, 5, 1)
    assert_rows_balance(db)


def test_line_numbers_with_a_malformed_record_after_a_multiline_value(tmp_path: Path) -> None:
    # The malformed record forces the careful path; its numbers must agree with the quick one.
    text = (
        "payment_id,account_id,paid_at,amount\n"
        'P1,A1,2024-01-31 10:00:00,"1\n"\n'  # lines 2-3 (the amount's break is trimmed away)
        "P2,A1,2024-01-31 10:00:00\n"  # line 4: too few fields
        "\n"  # line 5 blank
        "P3,A1,2024-01-31 10:00:00,3,extra\n"  # line 6: too many fields
        "P4,A1,2024-01-31 10:00:00,4\n"  # line 7
    )
    summary, db = land(tmp_path, {"payments_20240131.csv": text})
    assert query(db, "SELECT payment_id, amount, _line_number FROM raw.payments ORDER BY 1") == [
        ("P1", Decimal("1.00"), 2),
        ("P4", Decimal("4.00"), 7),
    ]
    assert query(db, "SELECT line_number, column_name, reason FROM ops.quarantine ORDER BY 1") == [
        (4, None, "too few fields: expected 4, found 3"),
        (6, None, "too many fields: expected 4, found 5"),
    ]
    assert_rows_balance(db)


def test_blank_line_and_no_final_line_break(tmp_path: Path) -> None:
    # Line 3 is blank and the last line (4) has no line break: the record is still on line 4.
    text = "as_of_date,account_id,balance,days_past_due,status\n2024-01-31,A1,1,0,open\n\n2024-01-31,A2,x,0,open"
    summary, db = land(tmp_path, {"snapshots_20240131.csv": text})
    assert query(db, "SELECT line_number, column_name FROM ops.quarantine") == [(4, "balance")]
    assert query(db, "SELECT account_id, _line_number FROM raw.snapshots") == [("A1", 2)]


GBK_ACCOUNTS = (ACCOUNTS_HEADER + ",customer_name,city\n" + account(1) + ",张伟,上海\n").encode(
    "gbk"
)


def test_gbk_file_with_encoding(tmp_path: Path) -> None:
    summary, db = land(tmp_path, {"accounts_20240131.csv": GBK_ACCOUNTS}, encoding="gbk")
    assert summary.refused == 0
    # Decoded as GBK: the surname and the city come back as the Chinese characters written.
    assert query(db, "SELECT customer_name_masked, city FROM raw.accounts") == [("张*", "上海")]


def test_gbk_file_without_encoding_is_refused_with_a_hint(tmp_path: Path) -> None:
    files = {
        "accounts_20240131.csv": GBK_ACCOUNTS,
        **{k: v for k, v in TINY_FILES.items() if "snap" in k},
    }
    summary, db = land(tmp_path, files)
    refused = result(summary, "accounts_20240131.csv")
    assert refused.status == "refused"
    assert refused.message.startswith("accounts_20240131.csv:")  # names the file
    assert "--encoding gbk" in refused.message  # tells the user what to do
    # The other files still land.
    assert query(db, "SELECT count(*) FROM raw.snapshots") == [(8,)]
    assert query(
        db, "SELECT status FROM ops.loaded_files WHERE file_name = 'accounts_20240131.csv'"
    ) == [("refused",)]


def test_csv_gz(tmp_path: Path) -> None:
    text = TINY_FILES["accounts_20240131.csv"].encode("utf-8")
    summary, db = land(tmp_path, {"accounts_20240131.csv.gz": gzip.compress(text)})
    f = result(summary, "accounts_20240131.csv.gz")
    # The three tiny accounts, decompressed and landed.
    assert (f.status, f.rows_read, f.rows_landed) == ("landed", 3, 3)
    assert query(db, "SELECT account_id, _line_number FROM raw.accounts ORDER BY 1") == [
        ("A1", 2),
        ("A2", 3),
        ("A3", 4),
    ]


def test_parquet_typed_columns(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    pl.DataFrame(
        {
            "as_of_date": [date(2024, 1, 31), date(2024, 1, 31)],
            "account_id": ["A1", "A2"],
            "balance": pl.Series([Decimal("1234.56"), Decimal("-10.00")], dtype=pl.Decimal(18, 2)),
            "days_past_due": pl.Series([0, 45], dtype=pl.Int32),
            "status": ["open", "frozen"],
        }
    ).write_parquet(inbox / "snapshots_20240131.parquet")
    pl.DataFrame(
        {
            "payment_id": ["P1", "P2"],
            "account_id": ["A1", "A1"],
            # tz-aware: 10:00 in Tokyo (+09:00) is 01:00 UTC.
            "paid_at": pl.Series(
                [datetime(2024, 1, 31, 10), datetime(2024, 1, 31, 10)]
            ).dt.replace_time_zone("Asia/Tokyo"),
            "amount": pl.Series([Decimal("5.00"), Decimal("6.10")], dtype=pl.Decimal(18, 2)),
            "is_reversal": [False, True],
            "reverses_payment_id": [None, "P1"],
        }
    ).write_parquet(inbox / "payments_20240131.parquet")
    pl.DataFrame(
        {
            "payment_id": ["P3"],
            "account_id": ["A1"],
            # naive: 10:00 in the bank's zone, Asia/Shanghai (+08:00), is 02:00 UTC.
            "paid_at": [datetime(2024, 2, 1, 10, 0, 0, 500000)],
            "amount": [7.5],  # a float amount with no more than 2 decimals is accepted
        }
    ).write_parquet(inbox / "payments_20240201.parquet")
    summary = load(inbox, db=tmp_path / "w.duckdb")
    db = tmp_path / "w.duckdb"
    assert [(f.status, f.rows_landed, f.rows_quarantined) for f in summary.files] == [
        ("landed", 2, 0),
        ("landed", 2, 0),
        ("landed", 1, 0),
    ]
    assert query(
        db,
        "SELECT as_of_date, account_id, balance, days_past_due, status FROM raw.snapshots ORDER BY 2",
    ) == [
        (date(2024, 1, 31), "A1", Decimal("1234.56"), 0, "open"),
        (date(2024, 1, 31), "A2", Decimal("-10.00"), 45, "frozen"),
    ]
    rows = query(
        db,
        "SELECT payment_id, paid_at, amount, is_reversal, reverses_payment_id FROM raw.payments ORDER BY 1",
    )
    assert [(p, t.astimezone(UTC), a, r, rp) for p, t, a, r, rp in rows] == [
        ("P1", datetime(2024, 1, 31, 1, tzinfo=UTC), Decimal("5.00"), False, None),
        ("P2", datetime(2024, 1, 31, 1, tzinfo=UTC), Decimal("6.10"), True, "P1"),
        ("P3", datetime(2024, 2, 1, 2, 0, 0, 500000, tzinfo=UTC), Decimal("7.50"), False, None),
    ]


def test_columns_in_any_order_and_header_case_and_spaces(tmp_path: Path) -> None:
    text = (
        " Credit_Limit ,OPEN_DATE,  card_no,National_ID ,ACCOUNT_ID\n"
        "2500.5,2021-03-04,6225880212345678,110105199001011234,A7\n"
    )
    summary, db = land(tmp_path, {"accounts_20240131.csv": text})
    assert summary.refused == 0
    # Values land under their own names whatever the header's order, case or padding.
    assert query(
        db, "SELECT account_id, open_date, credit_limit, card_no_masked FROM raw.accounts"
    ) == [("A7", date(2021, 3, 4), Decimal("2500.50"), "622588******5678")]


def test_unknown_extra_columns_reported_and_not_stored(tmp_path: Path) -> None:
    text = (
        ACCOUNTS_HEADER
        + ",spouse_name,Spouse_Phone\n"
        + account(1)
        + ",刘备,13912345678\n"
        + account(2, credit_limit="lots")
        + ",关羽,13987654321\n"  # quarantined row
    )
    summary, db = land(tmp_path, {"accounts_20240131.csv": text})
    f = result(summary, "accounts_20240131.csv")
    assert f.status == "landed"
    # The message names the extra columns (normalised to lower case) and says they are not stored.
    assert "spouse_name, spouse_phone" in f.message
    assert "not stored" in f.message
    columns = [
        c
        for (c,) in query(
            db, "SELECT column_name FROM information_schema.columns WHERE table_name = 'accounts'"
        )
    ]
    assert not any("spouse" in c for c in columns)
    # Not even in the quarantined row's copy.
    (raw_record,) = query(db, "SELECT raw_record FROM ops.quarantine")[0]
    for secret in ("spouse", "关羽", "13987654321", "987654321"):
        assert secret not in raw_record


# --- 2. quarantine ---------------------------------------------------------------------------

PAYMENTS_HEADER = "payment_id,account_id,paid_at,amount,channel,is_reversal,reverses_payment_id"
SNAPSHOTS_HEADER = "as_of_date,account_id,statement_day,balance,days_past_due,status"
ACCOUNTS_WIDE = ACCOUNTS_HEADER + ",credit_score,timezone,do_not_contact"


def payment(pid: str, **overrides: str) -> str:
    values = {
        "payment_id": pid,
        "account_id": "A1",
        "paid_at": "2024-01-31 10:00:00",
        "amount": "100.00",
        "channel": "app",
        "is_reversal": "",
        "reverses_payment_id": "",
    }
    values.update(overrides)
    return ",".join(values[n] for n in PAYMENTS_HEADER.split(","))


def snapshot(aid: str, **overrides: str) -> str:
    values = {
        "as_of_date": "2024-01-31",
        "account_id": aid,
        "statement_day": "5",
        "balance": "10.00",
        "days_past_due": "0",
        "status": "open",
    }
    values.update(overrides)
    return ",".join(values[n] for n in SNAPSHOTS_HEADER.split(","))


def wide_account(i: int, **overrides: str) -> str:
    extra = {"credit_score": "700", "timezone": "Asia/Shanghai", "do_not_contact": "no"}
    extra.update({k: v for k, v in overrides.items() if k in extra})
    base = account(i, **{k: v for k, v in overrides.items() if k not in extra})
    return base + "," + ",".join(extra[n] for n in ("credit_score", "timezone", "do_not_contact"))


# (file, header, good row 1, bad row, good row 2, column at fault, reason)
# The bad row sits on line 3 between two good rows; the reason is the complete text the user reads.
QUARANTINE_CASES = {
    "bad integer": (
        "snapshots_20240131.csv",
        SNAPSHOTS_HEADER,
        snapshot("A1"),
        snapshot("A2", days_past_due="3x"),
        snapshot("A3"),
        "days_past_due",
        "days_past_due: '3x' is not a whole number",
    ),
    "bad amount": (
        "payments_20240131.csv",
        PAYMENTS_HEADER,
        payment("P1"),
        payment("P2", amount="12.5.0"),
        payment("P3"),
        "amount",
        "amount: '12.5.0' is not an amount (expected a number like 1234.50)",
    ),
    "amount with 3 decimals": (
        "payments_20240131.csv",
        PAYMENTS_HEADER,
        payment("P1"),
        payment("P2", amount="12.345"),
        payment("P3"),
        "amount",
        "amount: '12.345' has more than 2 decimal places",
    ),
    "decimal overflow": (
        "payments_20240131.csv",
        PAYMENTS_HEADER,
        payment("P1"),
        payment("P2", amount="1e+17"),
        payment("P3"),
        "amount",
        "amount: '1e+17' is too large for DECIMAL(18,2) (overflow)",
    ),
    "negative amount where > 0 is required": (
        "payments_20240131.csv",
        PAYMENTS_HEADER,
        payment("P1"),
        payment("P2", amount="-5"),
        payment("P3"),
        "amount",
        "amount: '-5' must be greater than 0",
    ),
    "zero amount where > 0 is required": (
        "payments_20240131.csv",
        PAYMENTS_HEADER,
        payment("P1"),
        payment("P2", amount="0.00"),
        payment("P3"),
        "amount",
        "amount: '0.00' must be greater than 0",
    ),
    "impossible date": (
        "accounts_20240131.csv",
        ACCOUNTS_HEADER,
        account(1),
        account(2, open_date="2024-02-30"),
        account(3),
        "open_date",
        "open_date: '2024-02-30' is not a real calendar date",
    ),
    "bad date format": (
        "accounts_20240131.csv",
        ACCOUNTS_HEADER,
        account(1),
        account(2, open_date="15/01/2020"),
        account(3),
        "open_date",
        "open_date: '15/01/2020' is not a date (expected YYYY-MM-DD)",
    ),
    "bad timestamp": (
        "payments_20240131.csv",
        PAYMENTS_HEADER,
        payment("P1"),
        payment("P2", paid_at="2024-01-31 25:00:00"),
        payment("P3"),
        "paid_at",
        "paid_at: '2024-01-31 25:00:00' is not a timestamp (expected YYYY-MM-DD HH:MM:SS, or ISO 8601 with an offset)",
    ),
    "unknown code": (
        "payments_20240131.csv",
        PAYMENTS_HEADER,
        payment("P1"),
        payment("P2", channel="cash"),
        payment("P3"),
        "channel",
        "channel: 'cash' is not one of: app, bank_transfer, branch, autopay, agency, other",
    ),
    "bad boolean": (
        "payments_20240131.csv",
        PAYMENTS_HEADER,
        payment("P1"),
        payment("P2", is_reversal="maybe"),
        payment("P3"),
        "is_reversal",
        "is_reversal: 'maybe' is not true/false (or 1/0, Y/N, yes/no)",
    ),
    "missing required value": (
        "payments_20240131.csv",
        PAYMENTS_HEADER,
        payment("P1"),
        payment("P2", account_id=""),
        payment("P3"),
        "account_id",
        "account_id: a required value is missing",
    ),
    "missing key": (
        "accounts_20240131.csv",
        ACCOUNTS_HEADER,
        account(1),
        account(2, account_id=""),
        account(3),
        "account_id",
        "account_id: a required value is missing",
    ),
    "duplicate key in one file": (
        "payments_20240131.csv",
        PAYMENTS_HEADER,
        payment("P1"),
        payment("P1", amount="7"),
        payment("P3"),
        "payment_id",
        "duplicate key (payment_id=P1) already on line 2",
    ),
    "duplicate compound key": (
        "snapshots_20240131.csv",
        SNAPSHOTS_HEADER,
        snapshot("A1"),
        snapshot("A1", balance="3"),
        snapshot("A3"),
        "as_of_date",
        "duplicate key (as_of_date=2024-01-31, account_id=A1) already on line 2",
    ),
    "too few fields": (
        "payments_20240131.csv",
        PAYMENTS_HEADER,
        payment("P1"),
        "P2,A1,2024-01-31 10:00:00,5",
        payment("P3"),
        None,
        "too few fields: expected 7, found 4",
    ),
    "too many fields": (
        "payments_20240131.csv",
        PAYMENTS_HEADER,
        payment("P1"),
        payment("P2") + ",surplus",
        payment("P3"),
        None,
        "too many fields: expected 7, found 8",
    ),
    "credit score out of range": (
        "accounts_20240131.csv",
        ACCOUNTS_WIDE,
        wide_account(1),
        wide_account(2, credit_score="900"),
        wide_account(3),
        "credit_score",
        "credit_score: '900' is above the maximum 850",
    ),
    "statement day out of range": (
        "snapshots_20240131.csv",
        SNAPSHOTS_HEADER,
        snapshot("A1"),
        snapshot("A2", statement_day="29"),
        snapshot("A3"),
        "statement_day",
        "statement_day: '29' is above the maximum 28",
    ),
    "negative days past due": (
        "snapshots_20240131.csv",
        SNAPSHOTS_HEADER,
        snapshot("A1"),
        snapshot("A2", days_past_due="-1"),
        snapshot("A3"),
        "days_past_due",
        "days_past_due: '-1' is below the minimum 0",
    ),
    "bad IANA timezone": (
        "accounts_20240131.csv",
        ACCOUNTS_WIDE,
        wide_account(1),
        wide_account(2, timezone="Mars/Olympus"),
        wide_account(3),
        "timezone",
        "timezone: 'Mars/Olympus' is not an IANA time zone (e.g. Asia/Shanghai)",
    ),
    "reversal without reverses_payment_id": (
        "payments_20240131.csv",
        PAYMENTS_HEADER,
        payment("P1"),
        payment("P2", is_reversal="Y"),
        payment("P3"),
        "reverses_payment_id",
        "reverses_payment_id: a reversal must name the payment it reverses",
    ),
    "bad national id (masked in the message)": (
        "accounts_20240131.csv",
        ACCOUNTS_HEADER,
        account(1),
        account(2, national_id="11010519900101123"),
        account(3),
        "national_id",
        "national_id: '110**********1123' is not a national ID number (18 characters, or 15 digits)",
    ),
}


@pytest.mark.parametrize("case", QUARANTINE_CASES, ids=list(QUARANTINE_CASES))
def test_one_bad_row_is_quarantined_and_the_rest_lands(tmp_path: Path, case: str) -> None:
    file_name, header, good1, bad, good2, column, reason = QUARANTINE_CASES[case]
    text = "\n".join([header, good1, bad, good2]) + "\n"
    summary, db = land(tmp_path, {file_name: text})
    f = result(summary, file_name)
    # Three rows read: the two good ones land, the bad one is quarantined; the file is not refused.
    assert (f.status, f.rows_read, f.rows_landed, f.rows_quarantined) == ("landed", 3, 2, 1)
    assert "1 row(s) quarantined" in f.message
    assert query(db, "SELECT file_name, line_number, column_name, reason FROM ops.quarantine") == [
        (file_name, 3, column, reason)
    ]
    assert_rows_balance(db)


def test_every_problem_of_a_row_is_named_in_column_order(tmp_path: Path) -> None:
    text = (
        PAYMENTS_HEADER + "\n" + payment("P1", paid_at="soon", amount="abc", channel="cash") + "\n"
    )
    summary, db = land(tmp_path, {"payments_20240131.csv": text})
    # column_name is the first column at fault; the reason lists all three problems in order.
    assert query(db, "SELECT column_name, reason FROM ops.quarantine") == [
        (
            "paid_at",
            "paid_at: 'soon' is not a timestamp (expected YYYY-MM-DD HH:MM:SS, or ISO 8601 with an offset); "
            "amount: 'abc' is not an amount (expected a number like 1234.50); "
            "channel: 'cash' is not one of: app, bank_transfer, branch, autopay, agency, other",
        )
    ]


def test_accepted_numbers(tmp_path: Path) -> None:
    rows = [
        payment("P1", amount="1e+05"),  # exponent notation: 100000.00
        payment("P2", amount="1.5E2"),  # 150.00
        payment("P3", amount="12.50"),
        payment("P4", amount=".5"),  # 0.50
        payment("P5", amount="7"),  # 7.00
        payment("P6", amount="12.300"),  # trailing zeros are not extra precision: 12.30
        payment("P7", amount="9999999999999999.99"),  # the largest DECIMAL(18,2)
    ]
    summary, db = land(
        tmp_path, {"payments_20240131.csv": PAYMENTS_HEADER + "\n" + "\n".join(rows) + "\n"}
    )
    assert query(db, "SELECT count(*) FROM ops.quarantine") == [(0,)]
    assert query(db, "SELECT payment_id, amount FROM raw.payments ORDER BY 1") == [
        ("P1", Decimal("100000.00")),
        ("P2", Decimal("150.00")),
        ("P3", Decimal("12.50")),
        ("P4", Decimal("0.50")),
        ("P5", Decimal("7.00")),
        ("P6", Decimal("12.30")),
        ("P7", Decimal("9999999999999999.99")),
    ]
    # Stored as DECIMAL, never float.
    assert query(
        db,
        "SELECT data_type FROM information_schema.columns WHERE table_name = 'payments' AND column_name = 'amount'",
    ) == [("DECIMAL(18,2)",)]


def test_whole_numbers_written_as_decimals_or_exponents(tmp_path: Path) -> None:
    # CONTRACT.md numbers may be plain decimals or exponent notation: for a whole-number column,
    # 30.0 is 30 and 1e+02 is 100; 30.5 is not whole and is quarantined (line 4).
    rows = [
        snapshot("A1", days_past_due="30.0"),
        snapshot("A2", days_past_due="1e+02"),
        snapshot("A3", days_past_due="30.5"),
    ]
    summary, db = land(
        tmp_path, {"snapshots_20240131.csv": SNAPSHOTS_HEADER + "\n" + "\n".join(rows) + "\n"}
    )
    assert query(db, "SELECT account_id, days_past_due FROM raw.snapshots ORDER BY 1") == [
        ("A1", 30),
        ("A2", 100),
    ]
    assert query(db, "SELECT line_number, reason FROM ops.quarantine") == [
        (4, "days_past_due: '30.5' is not a whole number")
    ]


def test_non_ascii_bytes_far_into_a_file_still_get_the_gbk_hint(tmp_path: Path) -> None:
    # The header and the first ~400 KB are ASCII; only the last row has GBK bytes.
    rows = [account(i, credit_limit="1") + ",Zhang" for i in range(5000)] + [
        account(9999) + ",张伟"
    ]
    data = (ACCOUNTS_HEADER + ",customer_name\n" + "\n".join(rows) + "\n").encode("gbk")
    summary, _ = land(tmp_path, {"accounts_20240131.csv": data})
    f = result(summary, "accounts_20240131.csv")
    assert f.status == "refused"
    assert "--encoding gbk" in f.message


def test_negative_balance_is_allowed(tmp_path: Path) -> None:
    # CONTRACT.md: balance may be negative (a credit balance after an overpayment).
    text = SNAPSHOTS_HEADER + "\n" + snapshot("A1", balance="-12.34") + "\n"
    summary, db = land(tmp_path, {"snapshots_20240131.csv": text})
    assert query(db, "SELECT balance FROM raw.snapshots") == [(Decimal("-12.34"),)]


def test_timestamps_stored_as_the_right_instant(tmp_path: Path) -> None:
    rows = [
        payment("P1", paid_at="2024-01-31 10:00:00"),  # naive: Asia/Shanghai (+08:00) -> 02:00 UTC
        payment("P2", paid_at="2024-01-31T10:00:00+09:00"),  # ISO with offset -> 01:00 UTC
        payment("P3", paid_at="2024-01-31T10:00:00Z"),  # Z = UTC -> 10:00 UTC
        payment("P4", paid_at="2024-01-31 10:00:00-0500"),  # offset without colon -> 15:00 UTC
        payment(
            "P5", paid_at="2024-01-31 00:30:00.250"
        ),  # naive with fraction -> previous day 16:30:00.25 UTC
    ]
    summary, db = land(
        tmp_path, {"payments_20240131.csv": PAYMENTS_HEADER + "\n" + "\n".join(rows) + "\n"}
    )
    stored = {
        p: t.astimezone(UTC) for p, t in query(db, "SELECT payment_id, paid_at FROM raw.payments")
    }
    assert stored == {
        "P1": datetime(2024, 1, 31, 2, tzinfo=UTC),
        "P2": datetime(2024, 1, 31, 1, tzinfo=UTC),
        "P3": datetime(2024, 1, 31, 10, tzinfo=UTC),
        "P4": datetime(2024, 1, 31, 15, tzinfo=UTC),
        "P5": datetime(2024, 1, 30, 16, 30, 0, 250000, tzinfo=UTC),
    }


def test_every_boolean_spelling(tmp_path: Path) -> None:
    spellings = {
        "true": True,
        "TRUE": True,
        "True": True,
        "1": True,
        "Y": True,
        "y": True,
        "yes": True,
        "YES": True,
        "false": False,
        "FALSE": False,
        "False": False,
        "0": False,
        "N": False,
        "n": False,
        "no": False,
        "No": False,
        "": False,  # empty: do_not_contact defaults to false
    }
    rows = [wide_account(i, do_not_contact=s) for i, s in enumerate(spellings)]
    summary, db = land(
        tmp_path, {"accounts_20240131.csv": ACCOUNTS_WIDE + "\n" + "\n".join(rows) + "\n"}
    )
    assert query(db, "SELECT count(*) FROM ops.quarantine") == [(0,)]
    stored = dict(query(db, "SELECT account_id, do_not_contact FROM raw.accounts"))
    assert stored == {f"A{i}": expected for i, expected in enumerate(spellings.values())}
    # agents.active defaults to TRUE when empty (CONTRACT.md).
    summary, db = land(
        tmp_path,
        {"agents_20240131.csv": "agent_id,team,active\nG1,East,\nG2,East,no\n"},
        folder="in2",
    )
    assert query(db, "SELECT agent_id, active FROM raw.agents ORDER BY 1") == [
        ("G1", True),
        ("G2", False),
    ]


def test_quarantine_heavy_file_balances(tmp_path: Path) -> None:
    # Every problem at once in one file: 1 good row then one bad row per case above.
    rows = [payment("P0")] + [
        bad for (f, _, _, bad, _, _, _) in QUARANTINE_CASES.values() if f.startswith("payments")
    ]
    summary, db = land(
        tmp_path, {"payments_20240131.csv": PAYMENTS_HEADER + "\n" + "\n".join(rows) + "\n"}
    )
    f = result(summary, "payments_20240131.csv")
    # The duplicate-key case repeats P1 which is not in this file: its row (P1, amount 7) lands,
    # so 2 rows land (P0 and that P1) and every other row is quarantined, one quarantine row each.
    assert f.rows_read == len(rows)
    assert f.rows_landed == 2
    assert f.rows_quarantined == len(rows) - 2
    assert query(db, "SELECT count(*), count(DISTINCT line_number) FROM ops.quarantine") == [
        (len(rows) - 2, len(rows) - 2)
    ]
    assert_rows_balance(db)


# --- 3. refusals -----------------------------------------------------------------------------


def test_refusals_leave_other_files_landing(tmp_path: Path) -> None:
    inbox = write_inbox(
        tmp_path / "inbox",
        {
            **TINY_FILES,
            # required national_id and card_no columns are missing
            "accounts_20240201.csv": "account_id,open_date,credit_limit\nA9,2020-01-01,5\n",
            "payments_20240131.csv": b"",  # 0 bytes
            "payments_20240201.csv": PAYMENTS_HEADER + "\n",  # header only: a normal empty day
            "payments_20240202.csv": PAYMENTS_HEADER,  # header only, no final line break
            "loans_20240131.csv": "loan_id\nL1\n",  # unknown extract
            "accounts-2024-01-31.csv": ACCOUNTS_HEADER + "\n",  # bad file name
            "accounts_20240230.csv": ACCOUNTS_HEADER + "\n",  # not a real date in the name
            "accounts_20240131.txt": "hello\n",  # wrong suffix
            ".DS_Store": "junk",  # hidden files are not extracts and are skipped
            "contacts_20240131.csv.gz": b"not gzip at all",  # damaged compression
            "agents_20240131.parquet": b"PAR1 and then garbage",  # damaged Parquet
        },
    )
    (inbox / "snapshots_20240301").mkdir()  # a folder in the inbox
    db = tmp_path / "w.duckdb"
    summary = load(inbox, db=db)
    status = {f.file_name: (f.status, f.message) for f in summary.files}
    assert ".DS_Store" not in status

    def refused(name: str, *fragments: str) -> None:
        state, message = status[name]
        assert state == "refused", (name, state, message)
        assert message.startswith(name + ":"), message  # names the file
        for fragment in fragments:
            assert fragment in message, message

    refused("accounts_20240201.csv", "required column(s) missing: national_id, card_no")
    refused("payments_20240131.csv", "empty (0 bytes)")
    refused("loans_20240131.csv", "unknown extract 'loans'")
    refused("accounts-2024-01-31.csv", "does not follow <extract>_<YYYYMMDD>.csv")
    refused("accounts_20240230.csv", "20240230 in the file name is not a real date")
    refused("accounts_20240131.txt", "does not follow")
    refused("snapshots_20240301", "is a folder")
    refused("contacts_20240131.csv.gz", "cannot read the header (Not a gzipped file")
    refused("agents_20240131.parquet", "cannot be read as Parquet")
    assert summary.refused == 9
    # Header-only files are landed with 0 rows.
    for name in ("payments_20240201.csv", "payments_20240202.csv"):
        assert status[name][0] == "landed"
        assert (result(summary, name).rows_read, result(summary, name).rows_landed) == (0, 0)
    # The tiny bank still landed whole: 3 accounts, 8 snapshots.
    assert query(db, "SELECT count(*) FROM raw.accounts") == [(3,)]
    assert query(db, "SELECT count(*) FROM raw.snapshots") == [(8,)]
    # ...and every refusal is recorded in ops.loaded_files with its message.
    assert query(
        db,
        "SELECT count(*) FROM ops.loaded_files WHERE status = 'refused' AND message LIKE file_name || ':%'",
    ) == [(9,)]
    assert_rows_balance(db)


def test_duplicate_header_column_is_refused(tmp_path: Path) -> None:
    summary, _ = land(
        tmp_path,
        {"accounts_20240131.csv": ACCOUNTS_HEADER + ",Account_ID\n" + account(1) + ",A1\n"},
    )
    f = result(summary, "accounts_20240131.csv")
    assert f.status == "refused"
    assert "'account_id' appears twice" in f.message


# --- 4. exactly once -------------------------------------------------------------------------


def dump_raw(db: Path) -> dict[str, list[tuple]]:
    con = connect_reader(db)
    try:
        tables = [
            t
            for (t,) in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw' ORDER BY 1"
            ).fetchall()
        ]
        return {t: con.execute(f"SELECT * FROM raw.{t} ORDER BY ALL").fetchall() for t in tables}
    finally:
        con.close()


def test_loading_the_same_inbox_twice_changes_nothing(tiny_inbox: Path, tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    first = load_inbox(tiny_inbox, db=db)  # with the checks: their records change nothing either
    before = dump_raw(db)
    second = load_inbox(tiny_inbox, db=db)
    assert {f.status for f in first.files} == {"landed"}
    # Second run: every file unchanged, nothing read or landed, raw tables identical (row for row,
    # load ids included: nothing was rewritten).
    assert [f.status for f in second.files] == ["unchanged"] * 4
    assert all("identical to the file landed by load 1" in f.message for f in second.files)
    assert second.rows_landed == 0
    assert dump_raw(db) == before
    # Nothing new: nothing is published, not even a record of the run (issue 10: an inbox with
    # nothing new costs a look at the files and publishes nothing).
    assert not second.published
    assert query(db, "SELECT load_id, count(*) FROM ops.loaded_files GROUP BY 1 ORDER BY 1") == [
        (1, 4),
    ]


def test_an_unchanged_file_is_known_without_reading_it_unless_asked_to_verify(
    tiny_inbox: Path, tmp_path: Path
) -> None:
    """Same size and modification time as the landed file: taken as unchanged unread. The same
    bytes with a new modification time are hashed, and still unchanged. Different bytes of the
    same size with the old time put back are taken for the old file, unless `verify` hashes."""
    import os

    db = tmp_path / "w.duckdb"
    load(tiny_inbox, db=db)
    path = tiny_inbox / "snapshots_20240215.csv"
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert not load(tiny_inbox, db=db).published  # hashed: the same bytes
    text = path.read_text()
    altered = text.replace("2050.00", "2060.00", 1)
    assert altered != text and len(altered) == len(text)
    path.write_text(altered)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert not load(tiny_inbox, db=db).published  # size and time as landed: not read
    verified = load(tiny_inbox, db=db, verify=True)
    assert verified.published
    assert [f.status for f in verified.files if f.file_name == path.name] == ["replaced"]


def test_changed_file_with_the_same_name_replaces_that_date(
    tiny_inbox: Path, tmp_path: Path
) -> None:
    db = tmp_path / "w.duckdb"
    load(tiny_inbox, db=db)
    # The corrected Feb-15 file: A2 only, new balance; A3's Feb-15 row is no longer sent.
    (tiny_inbox / "snapshots_20240215.csv").write_text(
        "as_of_date,account_id,balance,days_past_due,status\n2024-02-15,A2,2055.00,30,open\n"
    )
    summary = load(tiny_inbox, db=db)
    f = result(summary, "snapshots_20240215.csv")
    assert f.status == "replaced"
    # The message says what it replaced: 2 rows of that date (A2 and A3) removed.
    assert f.message == (
        "replaces the snapshots file for 2024-02-15 landed by load 1 (2 rows of that date removed)"
    )
    assert query(
        db, "SELECT account_id, balance FROM raw.snapshots WHERE as_of_date = '2024-02-15'"
    ) == [("A2", Decimal("2055.00"))]
    # Other dates untouched: 3 + 3 rows.
    assert query(db, "SELECT count(*) FROM raw.snapshots WHERE as_of_date <> '2024-02-15'") == [
        (6,)
    ]
    assert {x.status for x in summary.files if x.file_name != "snapshots_20240215.csv"} == {
        "unchanged"
    }


def test_replacing_a_file_also_replaces_its_quarantine(tmp_path: Path) -> None:
    bad = SNAPSHOTS_HEADER + "\n" + snapshot("A1", balance="oops") + "\n"
    corrected = (
        SNAPSHOTS_HEADER
        + "\n"
        + snapshot("A1", balance="5")
        + "\n"
        + snapshot("A2", status="?")
        + "\n"
    )
    _, db = land(tmp_path, {"snapshots_20240131.csv": bad})
    assert query(db, "SELECT line_number, column_name FROM ops.quarantine") == [(2, "balance")]
    summary, db = land(tmp_path, {"snapshots_20240131.csv": corrected})
    assert result(summary, "snapshots_20240131.csv").status == "replaced"
    # The first file's quarantined row is gone; only the corrected file's own bad row (line 3) is left.
    assert query(db, "SELECT load_id, line_number, column_name FROM ops.quarantine") == [
        (2, 3, "status")
    ]
    assert query(db, "SELECT balance FROM raw.snapshots") == [(Decimal("5.00"),)]


def test_a_key_arriving_again_in_a_later_file_replaces_the_row(tmp_path: Path) -> None:
    files = {
        "accounts_20240131.csv": ACCOUNTS_HEADER
        + "\n"
        + account(1, credit_limit="100")
        + "\n"
        + account(2)
        + "\n",
        "accounts_20240201.csv": ACCOUNTS_HEADER + "\n" + account(1, credit_limit="200") + "\n",
    }
    # In one run: the later file's A1 wins; one row replaced, counted on the later file.
    summary, db = land(tmp_path, files)
    assert result(summary, "accounts_20240201.csv").rows_replaced == 1
    assert result(summary, "accounts_20240131.csv").rows_replaced == 0
    assert query(
        db, "SELECT account_id, credit_limit, _file_name FROM raw.accounts ORDER BY 1"
    ) == [
        ("A1", Decimal("200.00"), "accounts_20240201.csv"),
        ("A2", Decimal("1000.00"), "accounts_20240131.csv"),
    ]
    # In a later run: a payment corrected by the next day's file (P1's amount) replaces the row.
    summary, db = land(
        tmp_path,
        {"payments_20240131.csv": PAYMENTS_HEADER + "\n" + payment("P1") + "\n"},
        db=db,
        folder="in2",
    )
    summary, db = land(
        tmp_path,
        {"payments_20240201.csv": PAYMENTS_HEADER + "\n" + payment("P1", amount="99") + "\n"},
        db=db,
        folder="in3",
    )
    f = result(summary, "payments_20240201.csv")
    assert (f.rows_landed, f.rows_replaced) == (1, 1)
    assert query(db, "SELECT payment_id, amount FROM raw.payments") == [("P1", Decimal("99.00"))]
    assert query(
        db, "SELECT rows_replaced FROM ops.loaded_files WHERE file_name = 'payments_20240201.csv'"
    ) == [(1,)]


def test_an_older_file_arriving_later_does_not_overwrite_newer_accounts(tmp_path: Path) -> None:
    newer = ACCOUNTS_HEADER + "\n" + account(1, credit_limit="200") + "\n"
    older = ACCOUNTS_HEADER + "\n" + account(1, credit_limit="100") + "\n" + account(2) + "\n"
    _, db = land(tmp_path, {"accounts_20240229.csv": newer})
    summary, db = land(tmp_path, {"accounts_20240131.csv": older}, db=db, folder="in2")
    # A1 keeps the Feb-29 record (limit 200); A2, only in the older file, lands.
    assert query(
        db, "SELECT account_id, credit_limit, _business_date FROM raw.accounts ORDER BY 1"
    ) == [
        ("A1", Decimal("200.00"), date(2024, 2, 29)),
        ("A2", Decimal("1000.00"), date(2024, 1, 31)),
    ]
    # Nothing counted as replaced: the older row replaced nothing.
    assert result(summary, "accounts_20240131.csv").rows_replaced == 0
    assert_rows_balance(db)


def test_two_files_for_one_date_in_one_inbox_the_second_replaces_the_first(tmp_path: Path) -> None:
    # The .csv.gz sorts after the .csv: it is the correction, and A2 is no longer in it.
    first = ACCOUNTS_HEADER + "\n" + account(1, credit_limit="100") + "\n" + account(2) + "\n"
    second = ACCOUNTS_HEADER + "\n" + account(1, credit_limit="200") + "\n"
    summary, db = land(
        tmp_path,
        {
            "accounts_20240131.csv": first,
            "accounts_20240131.csv.gz": gzip.compress(second.encode()),
        },
    )
    f = result(summary, "accounts_20240131.csv.gz")
    assert f.status == "replaced"
    assert "(2 rows of that date removed)" in f.message
    # That date's rows are the second file's only: the whole date was replaced, not key by key.
    assert query(db, "SELECT account_id, credit_limit, _file_name FROM raw.accounts") == [
        ("A1", Decimal("200.00"), "accounts_20240131.csv.gz")
    ]
    assert_rows_balance(db)


def test_a_file_whose_every_row_is_quarantined_lands_into_a_non_empty_warehouse(
    tiny_warehouse: Path, tmp_path: Path
) -> None:
    """Regression: an all-quarantined snapshots file used to build `BETWEEN DATE 'None' ...`."""
    from warehouse.storage import connect_reader

    inbox = write_inbox(
        tmp_path / "bad",
        {
            "snapshots_20240331.csv": (
                "as_of_date,account_id,balance,days_past_due,status\n"
                "2024-03-31,A1,not-money,0,open\n"
                "2024-03-31,A2,10.00,-1,open\n"
            )
        },
    )
    summary = load(inbox, db=tiny_warehouse)
    (result,) = summary.files
    # Both rows are bad (an amount that is no number; negative days past due): 2 read, 0 landed.
    assert (result.status, result.rows_read, result.rows_landed, result.rows_quarantined) == (
        "landed",
        2,
        0,
        2,
    )
    con = connect_reader(tiny_warehouse)
    # The tiny bank's 8 snapshot rows are untouched.
    assert con.execute("SELECT count(*) FROM raw.snapshots").fetchone() == (8,)
