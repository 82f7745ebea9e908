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
from warehouse.storage import in_place

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
