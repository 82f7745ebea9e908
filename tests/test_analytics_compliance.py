"""Compliance breaches (mart.compliance_breaches and its summaries) on a tiny hand-made bank.

Every attempt below is judged against the three default rule sets: the bank's procedure (calls on
working days 09:00-12:00 and 14:00-18:00; none on holidays or weekends; do-not-contact;
third parties only when authorised), China's rules (no contact 22:00-08:00; at most 6 attempts a
day to one unanswered number; no unrelated third parties) and, for debtors in an American zone,
US Regulation F (nothing before 08:00 or after 21:00; more than 7 calls in 7 days; a call within
7 days after a conversation). Windows are judged in the debtor's local time.

The bank's zone is Asia/Shanghai (UTC+8); Los Angeles is UTC-7 and London UTC+1 in September
2024. September 2024: the 1st is a Sunday; Mid-Autumn Festival is Sun 15 - Tue 17 (holidays), and
Saturday 14 is a make-up working day.

    account  zone                 flags                     what it is for
    C1       bank (Shanghai)      -                         calendar: make-up Saturday, holiday Monday
    C2       bank                 -                         the clock: 07:59:59, 08:00, 21:59, 22:00 ...
    C3       bank                 -                         6 attempts a day per unanswered number
    C4       bank                 do not contact            any contact breaches
    C5       bank                 third party not authorised
    C6       bank                 third party authorised
    C7       bank                 -                         timestamps with an offset
    L1       Europe/London        -                         the same instant, another local time
    U1       America/Los_Angeles  -                         the 7th and 8th call in 7 days
    U2       America/Los_Angeles  -                         calls 0, 6 and 7 days after a conversation
    U3       America/Los_Angeles  -                         Regulation F's 21:00 edge
"""

# ruff: noqa: E501  (CSV rows and expected rows are kept whole, as a reader sees them)

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from conftest import query, rebuild_copy, write_inbox

from warehouse.jobs.load import load_inbox

ACCOUNTS = {
    # account: (do_not_contact, third_party_authorized, timezone)
    "C1": ("false", "false", ""),
    "C2": ("false", "false", ""),
    "C3": ("false", "false", ""),
    "C4": ("true", "false", ""),
    "C5": ("false", "false", ""),
    "C6": ("false", "true", ""),
    "C7": ("false", "false", ""),
    "L1": ("false", "false", "Europe/London"),
    "U1": ("false", "false", "America/Los_Angeles"),
    "U2": ("false", "false", "America/Los_Angeles"),
    "U3": ("false", "false", "America/Los_Angeles"),
}


def accounts_csv(accounts: dict[str, tuple[str, str, str]]) -> str:
    rows = [
        f"{account},1101051990010{n:05d},62258802{n:08d},2020-01-01,10000,{dnc},{tpa},{zone}"
        for n, (account, (dnc, tpa, zone)) in enumerate(accounts.items(), start=1)
    ]
    header = "account_id,national_id,card_no,open_date,credit_limit,do_not_contact,third_party_authorized,timezone"
    return "\n".join([header, *rows]) + "\n"


# Timestamps without an offset are bank time (Shanghai); the US ones carry their offset.
CONTACTS = """attempt_id,account_id,agent_id,channel,started_at,contact_number,party,third_party_relation,outcome
K1,C1,AG1,call,2024-09-14 10:00:00,13800000001,none,,no_answer
K2,C1,AG1,call,2024-09-16 10:00:00,13800000001,none,,no_answer
K3,C1,AG1,call,2024-09-21 10:00:00,13800000001,none,,no_answer
K4,C1,AG1,call,2024-09-18 10:00:00,13800000001,none,,no_answer
K5,C1,AG1,call,2024-09-14 19:00:00,13800000001,none,,no_answer
W1,C2,AG1,call,2024-09-18 21:59:00,13800000002,none,,no_answer
W2,C2,AG1,call,2024-09-18 22:00:00,13800000002,none,,no_answer
W3,C2,AG1,call,2024-09-18 07:59:59,13800000002,none,,no_answer
W4,C2,AG1,call,2024-09-18 08:00:00,13800000002,none,,no_answer
W5,C2,AG1,call,2024-09-18 12:00:00,13800000002,none,,no_answer
W6,C2,AG1,call,2024-09-18 11:59:59,13800000002,none,,no_answer
W7,C2,,sms,2024-09-18 22:30:00,13800000002,none,,sms_delivered
N1,C3,AG1,call,2024-09-19 09:00:00,13800000003,none,,no_answer
N2,C3,AG1,call,2024-09-19 09:15:00,13800000003,none,,busy
N3,C3,AG1,call,2024-09-19 09:30:00,13800000003,none,,no_answer
N4,C3,AG1,call,2024-09-19 09:45:00,13800000003,none,,voicemail
N5,C3,AG1,call,2024-09-19 10:00:00,13800000003,none,,no_answer
N6,C3,AG1,call,2024-09-19 10:15:00,13800000003,none,,no_answer
N7,C3,AG1,call,2024-09-19 10:30:00,13800000003,none,,no_answer
N8,C3,AG1,call,2024-09-19 10:45:00,13800000003,debtor,,right_party
N9,C3,AG1,call,2024-09-19 11:00:00,13800000003,none,,no_answer
M1,C3,AG1,call,2024-09-19 14:00:00,13800000033,none,,no_answer
M2,C3,AG1,call,2024-09-19 14:15:00,13800000033,none,,no_answer
M3,C3,AG1,call,2024-09-19 14:30:00,13800000033,none,,no_answer
M4,C3,AG1,call,2024-09-19 14:45:00,13800000033,none,,no_answer
M5,C3,AG1,call,2024-09-19 15:00:00,13800000033,none,,no_answer
M6,C3,AG1,call,2024-09-19 15:15:00,13800000033,none,,no_answer
D1,C3,AG1,call,2024-09-20 09:00:00,13800000003,none,,no_answer
X1,C4,,sms,2024-09-18 10:00:00,13800000004,none,,sms_delivered
X2,C4,AG2,letter,2024-09-18 10:00:00,,none,,letter_sent
T1,C5,AG2,call,2024-09-18 10:00:00,13900000005,third_party,friend,third_party
T2,C6,AG2,call,2024-09-18 10:00:00,13900000006,third_party,friend,third_party
Z3,C6,AG2,call,2024-09-18 15:30:00,13800000006,none,,no_answer
O1,C7,AG1,call,2024-09-18T14:00:00Z,13800000007,none,,no_answer
O2,C7,AG1,call,2024-09-18T21:59:00+09:00,13800000007,none,,no_answer
O3,C7,AG1,call,2024-09-18T10:00:00+08:00,13800000007,none,,no_answer
Z1,L1,AG2,call,2024-09-18 15:30:00,447700900001,none,,no_answer
Z2,L1,AG2,call,2024-09-18 14:30:00,447700900001,none,,no_answer
R1,U1,AG2,call,2024-09-03T10:00:00-07:00,12135550001,none,,no_answer
R2,U1,AG2,call,2024-09-03T11:00:00-07:00,12135550001,none,,no_answer
R3,U1,AG2,call,2024-09-04T10:00:00-07:00,12135550001,none,,no_answer
R4,U1,AG2,call,2024-09-05T10:00:00-07:00,12135550001,none,,no_answer
R5,U1,AG2,call,2024-09-06T10:00:00-07:00,12135550001,none,,no_answer
R6,U1,AG2,call,2024-09-09T10:00:00-07:00,12135550001,none,,no_answer
R7,U1,AG2,call,2024-09-09T11:00:00-07:00,12135550001,none,,no_answer
R8,U1,AG2,call,2024-09-09T11:30:00-07:00,12135550001,none,,no_answer
R9,U1,AG2,call,2024-09-10T10:00:00-07:00,12135550001,none,,no_answer
V1,U2,AG2,call,2024-09-04T10:00:00-07:00,12135550002,debtor,,right_party
V2,U2,AG2,call,2024-09-04T11:00:00-07:00,12135550002,none,,no_answer
V3,U2,AG2,call,2024-09-10T10:00:00-07:00,12135550002,none,,no_answer
V4,U2,AG2,call,2024-09-11T10:00:00-07:00,12135550002,none,,no_answer
E1,U3,AG2,call,2024-09-04T21:00:00-07:00,12135550003,none,,no_answer
E2,U3,AG2,call,2024-09-04T21:00:01-07:00,12135550003,none,,no_answer
E3,U3,AG2,call,2024-09-05T07:59:59-07:00,12135550003,none,,no_answer
"""

BANK_FILES: dict[str, str] = {
    "holidays_20240101.csv": (
        "date,kind,name\n"
        "2024-09-14,makeup_workday,Mid-Autumn make-up day\n"
        "2024-09-15,holiday,Mid-Autumn Festival\n"
        "2024-09-16,holiday,Mid-Autumn Festival\n"
        "2024-09-17,holiday,Mid-Autumn Festival\n"
    ),
    "agents_20240901.csv": (
        "agent_id,agent_name,team,agency\nAG1,Li,Early,in_house\nAG2,Wang,Late,Huaxin Recovery\n"
    ),
    "accounts_20240901.csv": accounts_csv(ACCOUNTS),
    "contacts_20240930.csv": CONTACTS,
}

# (attempt, rule set, rule) of every breach, worked out by hand.
EXPECTED = {
    # C1, calendar. K1 Saturday 14th 10:00 is a make-up working day: fine. K4 Wednesday: fine.
    ("K2", "bank", "non_working_day"),  # Monday 16th, Mid-Autumn holiday
    ("K3", "bank", "non_working_day"),  # Saturday 21st, an ordinary weekend
    ("K5", "bank", "calling_hours"),  # the make-up Saturday is a working day: 19:00 is after 18:00
    # C2, the clock on Wednesday 18th. W6 11:59:59 is fine.
    ("W1", "bank", "calling_hours"),  # 21:59: after 18:00, but China allows it
    ("W2", "bank", "calling_hours"),  # 22:00: after 18:00 ...
    ("W2", "china", "quiet_hours"),  # ... and China's quiet hours start at 22:00 sharp
    ("W3", "bank", "calling_hours"),  # 07:59:59 ...
    ("W3", "china", "quiet_hours"),  # ... is still quiet hours
    ("W4", "bank", "calling_hours"),  # 08:00 is allowed in China, but before the bank's 09:00
    ("W5", "bank", "calling_hours"),  # 12:00 is the lunch break (windows end exclusive)
    ("W7", "china", "quiet_hours"),  # an SMS at 22:30; the bank's hours bind calls only
    # (W1-W6 are 6 calls to one number in a day: the cap is 6, so no cap breach.)
    # C3, number 13800000003 on Thursday 19th: N1-N6 unanswered, then
    ("N7", "china", "attempts_per_number_per_day"),  # the 7th attempt to an unanswered number
    ("N8", "china", "attempts_per_number_per_day"),  # the 8th (answered, but dialled unanswered)
    # N9 follows an answer: the count starts again. M1-M6: 6 to another number. D1: next day.
    # C4, do not contact: every channel, letters included.
    ("X1", "bank", "do_not_contact"),
    ("X2", "bank", "do_not_contact"),
    # C5, a friend reached without authorisation: the bank's rule and China's.
    ("T1", "bank", "unauthorised_third_party"),
    ("T1", "china", "unrelated_third_party"),
    # C6 authorised its emergency contacts: T2 is fine; Z3 at 15:30 Shanghai time is fine.
    # C7, offsets: O1 14:00Z = 22:00 Shanghai; O2 21:59+09:00 = 20:59 Shanghai; O3 10:00+08:00 fine.
    ("O1", "bank", "calling_hours"),
    ("O1", "china", "quiet_hours"),
    ("O2", "bank", "calling_hours"),
    # L1, London: Z1 at the same instant as Z3 (15:30 Shanghai) is 08:30 in London; Z2 07:30.
    ("Z1", "bank", "calling_hours"),
    ("Z2", "bank", "calling_hours"),
    ("Z2", "china", "quiet_hours"),
    # U1: calls (all unanswered, 10:00-11:30 Los Angeles time, on weekdays) on Tue 3rd (2),
    # Wed 4th, Thu 5th, Fri 6th and Mon 9th (3): R7 is the 7th in the 7 days 3rd-9th, R8 the 8th.
    # R9 on the 10th is the 7th in the 7 days 4th-10th: fine.
    ("R8", "reg_f", "calls_in_7_days"),
    # U2: a conversation (V1) on Wed 4th; the 4th is day 1 of the 7 days after it.
    ("V2", "reg_f", "call_after_conversation"),  # the same day, an hour later
    ("V3", "reg_f", "call_after_conversation"),  # Tue 10th, 6 days later (day 7)
    # V4 on Wed 11th is 7 days later: fine.
    # U3: Regulation F allows 21:00:00 itself ("after 9 p.m." breaches); the bank's hours end at 18:00.
    ("E1", "bank", "calling_hours"),
    ("E2", "bank", "calling_hours"),
    ("E2", "reg_f", "inconvenient_time"),
    ("E3", "bank", "calling_hours"),
    ("E3", "china", "quiet_hours"),
    ("E3", "reg_f", "inconvenient_time"),
}


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("compliance")
    inbox = write_inbox(folder / "inbox", BANK_FILES)
    db = folder / "warehouse.duckdb"
    summary = load_inbox(inbox, db=db, run_checks=False)
    assert summary.refused == 0 and summary.rows_quarantined == 0
    return db


def breaches(db: Path) -> set[tuple[str, str, str]]:
    rows = query(db, "SELECT attempt_id, rule_set, rule FROM mart.compliance_breaches")
    assert len(rows) == len(set(rows)), "one row per breached rule per attempt"
    return set(rows)


def test_every_breach_and_nothing_else(bank: Path) -> None:
    assert breaches(bank) == EXPECTED


def test_breach_rows_name_the_local_time_zone_and_team(bank: Path) -> None:
    rows = query(
        bank,
        "SELECT attempt_id, account_id, agent_id, team, CAST(started_at AS VARCHAR), "
        "CAST(local_time AS VARCHAR), timezone, detail FROM mart.compliance_breaches "
        "WHERE attempt_id IN ('Z1', 'W2', 'K2', 'N7', 'R8', 'V3', 'T1', 'X2') "
        "AND rule_set <> 'china' ORDER BY attempt_id",
    )
    assert rows == [
        (
            "K2",
            "C1",
            "AG1",
            "Early",
            "2024-09-16 02:00:00+00",
            "2024-09-16 10:00:00",
            "Asia/Shanghai",
            "call on Mon 2024-09-16 at 10:00:00 local time (Asia/Shanghai), public holiday (Mid-Autumn Festival)",
        ),
        (
            "R8",
            "U1",
            "AG2",
            "Late",
            "2024-09-09 18:30:00+00",
            "2024-09-09 11:30:00",
            "America/Los_Angeles",
            "call on 2024-09-09 11:30:00 local time is one of more than 7 calls within 7 consecutive days (7 earlier since 2024-09-03 10:00:00)",
        ),
        (
            "T1",
            "C5",
            "AG2",
            "Late",
            "2024-09-18 02:00:00+00",
            "2024-09-18 10:00:00",
            "Asia/Shanghai",
            "call on 2024-09-18 10:00:00 local time reached a third party (friend) without the customer's authorisation",
        ),
        (
            "V3",
            "U2",
            "AG2",
            "Late",
            "2024-09-10 17:00:00+00",
            "2024-09-10 10:00:00",
            "America/Los_Angeles",
            "call on 2024-09-10 10:00:00 local time, 6 day(s) after a conversation with the debtor on 2024-09-04 (attempt V1); no calls for 7 days counting the conversation day",
        ),
        (
            "W2",
            "C2",
            "AG1",
            "Early",
            "2024-09-18 14:00:00+00",
            "2024-09-18 22:00:00",
            "Asia/Shanghai",
            "call at Wed 2024-09-18 22:00:00 local time (Asia/Shanghai), a working day; permitted 09:00:00-12:00:00, 14:00:00-18:00:00",
        ),
        (
            "X2",
            "C4",
            "AG2",
            "Late",
            "2024-09-18 02:00:00+00",
            "2024-09-18 10:00:00",
            "Asia/Shanghai",
            "letter on 2024-09-18 10:00:00 local time to a do-not-contact account (accounts record of 2024-09-01)",
        ),
        # The same instant as Z3 (15:30 in Shanghai, no breach) is 08:30 in London.
        (
            "Z1",
            "L1",
            "AG2",
            "Late",
            "2024-09-18 07:30:00+00",
            "2024-09-18 08:30:00",
            "Europe/London",
            "call at Wed 2024-09-18 08:30:00 local time (Europe/London), a working day; permitted 09:00:00-12:00:00, 14:00:00-18:00:00",
        ),
    ]
    [(detail,)] = query(bank, "SELECT detail FROM mart.compliance_breaches WHERE attempt_id = 'N7'")
    assert detail == (
        "attempt to 138****0003 on 2024-09-19 10:30:00 local time after 6 unanswered attempts "
        "since 2024-09-19 09:00:00 (at most 6 in 1 day(s) while the number does not answer)"
    )


def test_breaches_counted_by_day_team_and_agent(bank: Path) -> None:
    # mart.compliance_breach_counts (the Compliance page's counts) by the debtor's local day, team
    # and rule: Wednesday 18th, team Early (AG1) breached with W1-W5, O1 and O2, team Late (AG2)
    # with X2, T1, Z1, Z2; the automated SMS X1 and W7 have no team.
    daily = query(
        bank,
        "SELECT local_date, team, rule_set, rule, sum(breaches) FROM mart.compliance_breach_counts "
        "WHERE local_date = DATE '2024-09-18' GROUP BY ALL ORDER BY team, rule_set, rule",
    )
    sep18 = date(2024, 9, 18)
    assert daily == [
        (sep18, "Early", "bank", "calling_hours", 7),  # W1-W5, O1, O2
        (sep18, "Early", "china", "quiet_hours", 3),  # W2, W3, O1
        (sep18, "Late", "bank", "calling_hours", 2),  # Z1, Z2
        (sep18, "Late", "bank", "do_not_contact", 1),  # X2
        (sep18, "Late", "bank", "unauthorised_third_party", 1),  # T1
        (sep18, "Late", "china", "quiet_hours", 1),  # Z2
        (sep18, "Late", "china", "unrelated_third_party", 1),  # T1
        (sep18, None, "bank", "do_not_contact", 1),  # X1 (SMS)
        (sep18, None, "china", "quiet_hours", 1),  # W7 (SMS)
    ]
    by_agent = query(
        bank,
        "SELECT agent_id, rule_set, rule, sum(breaches) FROM mart.compliance_breach_counts "
        "WHERE month = DATE '2024-09-01' AND agent_id = 'AG2' GROUP BY ALL ORDER BY rule_set, rule",
    )
    # AG2 made X2, T1, T2, Z3, Z1, Z2 and the 16 US calls R1-R9, V1-V4, E1-E3.
    assert by_agent == [
        ("AG2", "bank", "calling_hours", 5),  # Z1, Z2, E1, E2, E3
        ("AG2", "bank", "do_not_contact", 1),  # X2
        ("AG2", "bank", "unauthorised_third_party", 1),  # T1
        ("AG2", "china", "quiet_hours", 2),  # Z2, E3
        ("AG2", "china", "unrelated_third_party", 1),  # T1
        ("AG2", "reg_f", "call_after_conversation", 2),  # V2, V3
        ("AG2", "reg_f", "calls_in_7_days", 1),  # R8
        ("AG2", "reg_f", "inconvenient_time", 2),  # E2, E3
    ]


def test_rule_sets_and_parameters_are_settings(bank: Path, tmp_path: Path) -> None:
    edited = rebuild_copy(
        bank,
        tmp_path / "edited.duckdb",
        # Regulation F off altogether; China allows 7 attempts a day; the bank's afternoon window
        # runs to 20:00 (K5 at 19:00 on the make-up Saturday becomes fine).
        "UPDATE settings.compliance_rule_sets SET in_force = false WHERE rule_set = 'reg_f'",
        "UPDATE settings.frequency_caps SET max_attempts = 7 WHERE rule = 'attempts_per_number_per_day'",
        "UPDATE settings.contact_windows SET ends_at = '20:00:00' WHERE rule_set = 'bank' AND starts_at = '14:00:00'",
    )
    got = breaches(edited)
    expected = {
        b
        for b in EXPECTED
        if b[1] != "reg_f" and b != ("N7", "china", "attempts_per_number_per_day") and b[0] != "K5"
    }
    assert got == expected


def test_flags_are_judged_as_of_the_contact_date(bank: Path, tmp_path: Path) -> None:
    """The loader keeps the latest accounts record per account; a warehouse that also keeps the
    earlier ones (simulated here by adding them to raw.accounts) judges each contact by the record
    in force on its date: C4 became do-not-contact only on 2024-09-20, C6 authorised third parties
    only on 2024-09-20, and both were otherwise recorded on 2024-09-01."""
    edited = rebuild_copy(
        bank,
        tmp_path / "history.duckdb",
        (
            "raw.accounts",
            "SELECT * REPLACE (CASE WHEN account_id IN ('C4', 'C6') THEN DATE '2024-09-20' "
            "ELSE _business_date END AS _business_date) FROM raw.accounts",
        ),
        (
            "raw.accounts",
            "SELECT * FROM raw.accounts UNION ALL BY NAME "
            "SELECT * REPLACE (DATE '2024-09-01' AS _business_date, "
            "false AS do_not_contact, false AS third_party_authorized) "
            "FROM raw.accounts WHERE account_id IN ('C4', 'C6')",
        ),
    )
    got = breaches(edited)
    # On the 18th C4 was not yet do-not-contact, and C6 had not authorised its friend (T2).
    expected = (EXPECTED - {("X1", "bank", "do_not_contact"), ("X2", "bank", "do_not_contact")}) | {
        ("T2", "bank", "unauthorised_third_party"),
        ("T2", "china", "unrelated_third_party"),
    }
    assert got == expected
