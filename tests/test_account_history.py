"""The accounts history (raw.account_history): compliance judges a contact by the flags in force on
its date, not by today's.

raw.accounts keeps the latest record per account; the loader also appends every accounts record
to raw.account_history, and core.account_versions reads it. Two accounts, two accounts files:

    account  2024-09-01                    2024-09-20
    C4       may be contacted              do not contact
    C6       third parties not authorised  third parties authorised

Contacts (calls on Wednesday 18th and Monday 23rd, 10:00 Shanghai time, inside every window):
X1 on C4 before the flag (fine), X2 on C4 after it (a breach); T1 reaches C6's friend before the
authorisation (a breach of the bank's rule and China's), T2 after it (fine).
"""

# ruff: noqa: E501  (CSV rows are kept whole, as a reader sees them)

from __future__ import annotations

from pathlib import Path

from conftest import query, write_inbox

from warehouse import marts
from warehouse.jobs.load import load_inbox
from warehouse.storage import copy_warehouse, in_place

HEADER = (
    "account_id,national_id,card_no,open_date,credit_limit,do_not_contact,third_party_authorized"
)


def accounts_csv(c4_do_not_contact: str, c6_authorized: str) -> str:
    return (
        f"{HEADER}\n"
        f"C4,110105199001010004,6225880200000004,2020-01-01,10000,{c4_do_not_contact},false\n"
        f"C6,110105199001010006,6225880200000006,2020-01-01,10000,false,{c6_authorized}\n"
    )


CONTACTS = """attempt_id,account_id,agent_id,channel,started_at,contact_number,party,third_party_relation,outcome
X1,C4,AG1,call,2024-09-18 10:00:00,13800000004,none,,no_answer
X2,C4,AG1,call,2024-09-23 10:00:00,13800000004,none,,no_answer
T1,C6,AG1,call,2024-09-18 10:00:00,13900000006,third_party,friend,third_party
T2,C6,AG1,call,2024-09-23 10:00:00,13900000006,third_party,friend,third_party
"""

FILES: dict[str, str] = {
    "agents_20240901.csv": "agent_id,agent_name,team,agency\nAG1,Li,Early,in_house\n",
    "accounts_20240901.csv": accounts_csv("false", "false"),
    "accounts_20240920.csv": accounts_csv("true", "true"),
    "contacts_20240930.csv": CONTACTS,
}

EXPECTED = {
    ("X2", "bank", "do_not_contact"),
    ("T1", "bank", "unauthorised_third_party"),
    ("T1", "china", "unrelated_third_party"),
}


def breaches(db: Path) -> set[tuple[str, str, str]]:
    return set(query(db, "SELECT attempt_id, rule_set, rule FROM mart.compliance_breaches"))


def history(db: Path) -> list[tuple]:
    return query(
        db,
        "SELECT account_id, _business_date, do_not_contact, third_party_authorized, _file_name "
        "FROM raw.account_history ORDER BY account_id, _business_date",
    )


def load(folder: Path, files: dict[str, str], db: Path) -> None:
    summary = load_inbox(write_inbox(folder, files), db=db, run_checks=False)
    assert summary.refused == 0 and summary.rows_quarantined == 0


def test_a_contact_is_judged_by_the_flags_in_force_on_its_date(tmp_path: Path) -> None:
    db = tmp_path / "warehouse.duckdb"
    load(tmp_path / "inbox", FILES, db)
    # raw.accounts holds the latest record only; the history holds both.
    assert query(db, "SELECT account_id, do_not_contact FROM raw.accounts ORDER BY 1") == [
        ("C4", True),
        ("C6", False),
    ]
    sep1, sep20 = "2024-09-01", "2024-09-20"
    assert [(a, str(d), dnc, tpa) for a, d, dnc, tpa, _ in history(db)] == [
        ("C4", sep1, False, False),
        ("C4", sep20, True, False),
        ("C6", sep1, False, False),
        ("C6", sep20, False, True),
    ]
    assert breaches(db) == EXPECTED


def test_files_in_any_order_give_the_same_history(tmp_path: Path) -> None:
    """The later file first, then the earlier one (whose record does not replace raw.accounts')."""
    db = tmp_path / "warehouse.duckdb"
    later = {k: v for k, v in FILES.items() if k != "accounts_20240901.csv"}
    load(tmp_path / "first", later, db)
    load(tmp_path / "second", {"accounts_20240901.csv": FILES["accounts_20240901.csv"]}, db)
    assert query(db, "SELECT account_id, do_not_contact FROM raw.accounts ORDER BY 1") == [
        ("C4", True),
        ("C6", False),
    ]
    assert len(history(db)) == 4
    assert breaches(db) == EXPECTED


def test_a_corrected_file_replaces_its_dates_history_and_a_reload_changes_nothing(
    tmp_path: Path,
) -> None:
    db = tmp_path / "warehouse.duckdb"
    load(tmp_path / "inbox", FILES, db)
    before = history(db)
    # The same files again: every one unchanged, the history identical row for row.
    load(tmp_path / "inbox", FILES, db)
    assert history(db) == before
    assert breaches(db) == EXPECTED
    # A corrected file for 2024-09-20: C4 is not do-not-contact after all, and C6's row is gone.
    corrected = f"{HEADER}\nC4,110105199001010004,6225880200000004,2020-01-01,10000,false,false\n"
    summary = load_inbox(
        write_inbox(tmp_path / "correction", {"accounts_20240920.csv": corrected}),
        db=db,
        run_checks=False,
    )
    assert [f.status for f in summary.files] == ["replaced"]
    got = [(a, str(d), dnc, tpa) for a, d, dnc, tpa, _ in history(db)]
    assert got == [
        ("C4", "2024-09-01", False, False),
        ("C4", "2024-09-20", False, False),
        ("C6", "2024-09-01", False, False),
    ]
    # C6's latest record is now the one of 2024-09-01 (not authorised): T1 and T2 breach.
    assert breaches(db) == {
        ("T1", "bank", "unauthorised_third_party"),
        ("T1", "china", "unrelated_third_party"),
        ("T2", "bank", "unauthorised_third_party"),
        ("T2", "china", "unrelated_third_party"),
    }


def test_a_warehouse_loaded_before_the_history_falls_back_to_the_latest_records(
    tmp_path: Path,
) -> None:
    """Without history rows, every contact is judged by the latest record (as before)."""
    db = tmp_path / "warehouse.duckdb"
    load(tmp_path / "inbox", FILES, db)
    with in_place(db) as lake:
        con = lake.con
        # The history loses every file, as a warehouse that never had one.
        history = [f.path for f in lake.files("raw.account_history")]
        lake.swap("raw.account_history", remove=history)
        marts.build(lake)
        assert con.execute("SELECT count(*) FROM raw.account_history").fetchall() == [(0,)]
        got = set(
            con.execute(
                "SELECT attempt_id, rule_set, rule FROM mart.compliance_breaches"
            ).fetchall()
        )
    assert got == {
        ("X1", "bank", "do_not_contact"),
        ("X2", "bank", "do_not_contact"),
    }


SEGMENTS_HEADER = "account_id,national_id,card_no,product,branch,open_date,credit_limit"
SNAPSHOTS_HEADER = (
    "as_of_date,account_id,statement_day,balance,min_due,days_past_due,cycles_delinquent,status"
)


def segment_csv(*products: tuple[str, str]) -> str:
    rows = {
        "A": "A,110105199001010011,6225880200000011,{},Beijing,2020-01-01,10000",
        "B": "B,110105199001010012,6225880200000012,{},Beijing,2020-01-01,10000",
    }
    return SEGMENTS_HEADER + "\n" + "".join(rows[a].format(p) + "\n" for a, p in products)


def snapshot_csv(day: str, a_days_past_due: int) -> str:
    a_cycles = 1 if a_days_past_due else 0
    return (
        f"{SNAPSHOTS_HEADER}\n"
        f"{day},A,5,1000.00,100.00,{a_days_past_due},{a_cycles},open\n"
        f"{day},B,5,2000.00,200.00,0,0,open\n"
    )


def test_a_new_record_changes_the_months_from_its_date_and_todays_segments_everywhere(
    tmp_path: Path,
) -> None:
    """A's product: Classic (1 Sep), Gold (15 Oct), Platinum (20 Nov, landed last). A turns M1
    on 11 Sep, cures on 16 Oct and turns M1 again on 21 Nov.

    The 20 Nov record is in force from its date: the tables judged by the record in force
    (core.account_versions) recompute November only, though the record it supersedes in
    raw.accounts dates from October. mart.account_day_changes shows today's segments on every
    row (core.accounts, `Months: every`): all three of A's moves, September's too, now say
    Platinum, as a full rebuild does."""
    db = tmp_path / "warehouse.duckdb"
    first = {
        "agents_20240901.csv": FILES["agents_20240901.csv"],
        "accounts_20240901.csv": segment_csv(("A", "Classic"), ("B", "Classic")),
        "accounts_20241015.csv": segment_csv(("A", "Gold")),
        "snapshots_20240910.csv": snapshot_csv("2024-09-10", 0),
        "snapshots_20240911.csv": snapshot_csv("2024-09-11", 5),
        "snapshots_20241016.csv": snapshot_csv("2024-10-16", 0),
    }
    load(tmp_path / "first", first, db)
    changes_sql = (
        "SELECT CAST(as_of_date AS VARCHAR), account_id, change, product "
        "FROM mart.account_day_changes ORDER BY as_of_date"
    )
    assert query(db, changes_sql) == [
        ("2024-09-11", "A", "new_delinquent", "Gold"),
        ("2024-10-16", "A", "cure", "Gold"),
    ]
    later = {
        "accounts_20241120.csv": segment_csv(("A", "Platinum")),
        "snapshots_20241121.csv": snapshot_csv("2024-11-21", 3),
    }
    load(tmp_path / "later", later, db)
    assert query(db, changes_sql) == [
        ("2024-09-11", "A", "new_delinquent", "Platinum"),
        ("2024-10-16", "A", "cure", "Platinum"),
        ("2024-11-21", "A", "new_delinquent", "Platinum"),
    ]
    built = dict(query(db, "SELECT model, CAST(first_month AS VARCHAR) FROM ops.mart_builds"))
    assert built["core.account_versions"] == "2024-11-01"  # not October, the superseded record's
    assert built["core.accounts"] == "1900-01-01"  # every month
    # The months a record in force decides: the month-end picture recomputes November only.
    modes = dict(query(db, "SELECT model, mode FROM ops.mart_builds"))
    assert (modes["mart.account_month"], built["mart.account_month"]) == (
        "incremental",
        "2024-11-01",
    )

    full = copy_warehouse(db, tmp_path / "full.duckdb")
    with in_place(full) as lake:
        marts.build(lake)
    for name in ("mart.account_day_changes", "mart.account_month", "core.account_versions"):
        sql = f"SELECT * FROM {name} ORDER BY ALL"
        assert query(db, sql) == query(full, sql), f"{name} differs from a full rebuild"
