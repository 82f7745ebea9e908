"""Contact effectiveness (mart.contact_effectiveness and its rollups) on a tiny hand-made bank.

March 2024; the bank's zone is Asia/Shanghai (UTC+8), A3's debtor lives in Los Angeles (UTC-8
until 10 March). 4 and 11 March are Mondays.

    account  bucket on the day                        attempts
    A1       M1 (10 dpd at Feb-29)                    c1-c3 10:05-10:40 Mon 4th (AG1): no answer,
                                                      right party, promise (pr1); c4 19:10 (AG2)
                                                      someone else answers; c5 SMS Tue 5th 09:30
    A2       M3 on the 11th (a daily snapshot of the  c6-c8 14:10-14:50 Mon 11th (AG3): the spouse,
             10th, 65 dpd; it was M2 at Feb-29)       the debtor, a refusal with no party recorded
    A3       M1 (5 dpd at Feb-29)                     c9 09:00 Los Angeles time, Tue 5th (AG2):
                                                      the debtor (01:00 on the 6th in Shanghai)

Payments (bank time): A1 300 on the 4th 15:00 (after c3), 500 on the 6th 12:00 (after the SMS
c5), 100 on the 6th 12:30 reversed on the 7th, 200 on the 20th (15 days after c5); A2 100 on the
18th 14:50:00 (exactly 7 x 24 h after c8) and 50 a second later.
"""

# ruff: noqa: E501  (CSV rows and expected rows are kept whole, as a reader sees them)

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import query, rebuild_copy, write_inbox

from warehouse.jobs.load import load_inbox

MARCH = date(2024, 3, 1)

BANK_FILES: dict[str, str] = {
    "agents_20240301.csv": (
        "agent_id,agent_name,team,agency\n"
        "AG1,Li,Early,in_house\n"
        "AG2,Zhao,Early,in_house\n"
        "AG3,Wang,Late,Huaxin Recovery\n"
    ),
    "accounts_20240229.csv": (
        "account_id,national_id,card_no,open_date,credit_limit,timezone\n"
        "A1,110105199001010001,6225880200000001,2020-01-01,10000,\n"
        "A2,110105199001010002,6225880200000002,2020-01-01,10000,\n"
        "A3,110105199001010003,6225880200000003,2020-01-01,10000,America/Los_Angeles\n"
    ),
    "snapshots_20240229.csv": (
        "as_of_date,account_id,balance,days_past_due,status\n"
        "2024-02-29,A1,1000.00,10,open\n"
        "2024-02-29,A2,2000.00,55,open\n"
        "2024-02-29,A3,3000.00,5,open\n"
    ),
    "snapshots_20240310.csv": (
        "as_of_date,account_id,balance,days_past_due,status\n2024-03-10,A2,2000.00,65,open\n"
    ),
    "contacts_20240311.csv": (
        "attempt_id,account_id,agent_id,channel,started_at,contact_number,party,third_party_relation,outcome\n"
        "c1,A1,AG1,call,2024-03-04 10:05:00,13800000001,none,,no_answer\n"
        "c2,A1,AG1,call,2024-03-04 10:20:00,13800000001,debtor,,right_party\n"
        "c3,A1,AG1,call,2024-03-04 10:40:00,13800000001,debtor,,promise_to_pay\n"
        "c4,A1,AG2,call,2024-03-04 19:10:00,13800000001,unknown,,callback\n"
        "c5,A1,,sms,2024-03-05 09:30:00,13800000001,none,,sms_delivered\n"
        "c6,A2,AG3,call,2024-03-11 14:10:00,13900000002,third_party,spouse,third_party\n"
        "c7,A2,AG3,call,2024-03-11 14:30:00,13800000002,debtor,,right_party\n"
        "c8,A2,AG3,call,2024-03-11 14:50:00,13800000002,,,refused\n"
        "c9,A3,AG2,call,2024-03-05T09:00:00-08:00,12135550003,debtor,,right_party\n"
    ),
    "promises_20240304.csv": (
        "promise_id,account_id,attempt_id,agent_id,created_at,promised_date,promised_amount\n"
        "pr1,A1,c3,AG1,2024-03-04 10:40:00,2024-03-08,500.00\n"
    ),
    "payments_20240320.csv": (
        "payment_id,account_id,paid_at,amount,is_reversal,reverses_payment_id\n"
        "Y1,A1,2024-03-04 15:00:00,300.00,false,\n"
        "Y2,A1,2024-03-06 12:00:00,500.00,false,\n"
        "Y3,A1,2024-03-06 12:30:00,100.00,false,\n"
        "Y4,A1,2024-03-07 09:00:00,100.00,true,Y3\n"
        "Y5,A1,2024-03-20 10:00:00,200.00,false,\n"
        "Y6,A2,2024-03-18 14:50:00,100.00,false,\n"
        "Y7,A2,2024-03-18 14:50:01,50.00,false,\n"
    ),
}


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("contacts")
    inbox = write_inbox(folder / "inbox", BANK_FILES)
    db = folder / "warehouse.duckdb"
    summary = load_inbox(inbox, db=db, run_checks=False)
    assert summary.refused == 0 and summary.rows_quarantined == 0
    return db


EFFECTIVENESS = (
    "SELECT day, weekday, hour, channel, agent_id, team, agency, bucket, attempts, connects, "
    "right_party_contacts, promises, amount_paid_within_window FROM mart.contact_effectiveness "
    "ORDER BY day, channel, hour, agent_id"
)


def test_contact_effectiveness_rows(bank: Path) -> None:
    mon4, tue5, mon11 = date(2024, 3, 4), date(2024, 3, 5), date(2024, 3, 11)
    assert query(bank, EFFECTIVENESS) == [
        # c1-c3: two answered by the debtor, one promise; Y1 (300, at 15:00) is credited to c3,
        # the latest attempt before it.
        (mon4, 1, 10, "call", "AG1", "Early", "in_house", "M1", 3, 2, 2, 1, Decimal("300.00")),
        # c4: someone answered, not the debtor; no payment came before the next attempt (c5).
        (mon4, 1, 19, "call", "AG2", "Early", "in_house", "M1", 1, 1, 0, 0, Decimal("0.00")),
        # c9: 09:00 on Tuesday the 5th in Los Angeles (the hour and day are the debtor's).
        (tue5, 2, 9, "call", "AG2", "Early", "in_house", "M1", 1, 1, 1, 0, Decimal("0.00")),
        # c5: the SMS is the last touch before Y2 (500): credited. Y3 was reversed (never made);
        # Y5 came 15 days later (over 7 days): not credited.
        (tue5, 2, 9, "sms", None, None, None, "M1", 1, 0, 0, 0, Decimal("500.00")),
        # c6 spouse (connect), c7 debtor, c8 refusal without a party (by outcome: the debtor);
        # bucket M3 from the daily snapshot of the 10th. Y6 came exactly 7 x 24 h after c8:
        # credited; Y7 one second later: not.
        (
            mon11,
            1,
            14,
            "call",
            "AG3",
            "Late",
            "Huaxin Recovery",
            "M3",
            3,
            3,
            2,
            0,
            Decimal("100.00"),
        ),
    ]
    rates = query(
        bank,
        "SELECT agent_id, connect_rate, rpc_rate, promise_rate FROM mart.contact_effectiveness "
        "WHERE channel = 'call' AND day = DATE '2024-03-04' ORDER BY agent_id",
    )
    # AG1: 2 connects and 2 RPCs of 3 attempts, 1 promise per 2 RPCs; AG2: no RPC, no rate.
    assert rates == [("AG1", 2 / 3, 2 / 3, 0.5), ("AG2", 1.0, 0.0, None)]


def test_paid_within_days_is_a_setting(bank: Path, tmp_path: Path) -> None:
    edited = rebuild_copy(
        bank,
        tmp_path / "edited.duckdb",
        "UPDATE settings.measure_parameters SET value = 16 WHERE parameter = 'paid_within_days'",
    )
    # 16 days: Y5 (15 days and 30 minutes after c5) and Y7 now count.
    assert query(
        edited,
        "SELECT channel, agent_id, sum(amount_paid_within_window) FROM mart.contact_effectiveness "
        "GROUP BY ALL HAVING sum(amount_paid_within_window) > 0 ORDER BY 1, 2",
    ) == [
        ("call", "AG1", Decimal("300.00")),
        ("call", "AG3", Decimal("150.00")),
        ("sms", None, Decimal("700.00")),
    ]


def test_best_time_to_call(bank: Path, tmp_path: Path) -> None:
    # Default: a slot needs 30 attempts to be ranked; the tiny bank has none that big.
    assert query(bank, "SELECT count(*) FROM mart.best_time_to_call") == [(0,)]
    assert query(
        bank,
        "SELECT count(*) FROM mart.contact_effectiveness_by_hour_weekday WHERE rpc_rate_rank IS NOT NULL",
    ) == [(0,)]
    edited = rebuild_copy(
        bank,
        tmp_path / "edited.duckdb",
        "UPDATE settings.measure_parameters SET value = 1 WHERE parameter = 'best_time_min_attempts'",
        "UPDATE settings.measure_parameters SET value = 2 WHERE parameter = 'best_time_slots'",
    )
    # M1 calls: Tue 09:00 (c9, 1 of 1 reached the debtor), Mon 10:00 (2 of 3), Mon 19:00 (0 of 1).
    assert query(
        edited,
        "SELECT bucket, channel, weekday, hour, attempts, rpc_rate, rpc_rate_rank "
        "FROM mart.contact_effectiveness_by_hour_weekday WHERE channel = 'call' ORDER BY bucket, rpc_rate_rank",
    ) == [
        ("M1", "call", 2, 9, 1, 1.0, 1),
        ("M1", "call", 1, 10, 3, 2 / 3, 2),
        ("M1", "call", 1, 19, 1, 0.0, 3),
        ("M3", "call", 1, 14, 3, 2 / 3, 1),
    ]
    # The best 2 per bucket and channel (the M1 SMS slot ranks too, with no RPC).
    assert query(
        edited,
        "SELECT bucket, channel, rpc_rate_rank, weekday_name, hour FROM mart.best_time_to_call "
        "ORDER BY bucket, channel, rpc_rate_rank",
    ) == [
        ("M1", "call", 1, "Tue", 9),
        ("M1", "call", 2, "Mon", 10),
        ("M1", "sms", 1, "Tue", 9),
        ("M3", "call", 1, "Mon", 14),
    ]


def test_agent_and_agency_league(bank: Path) -> None:
    agents = query(
        bank,
        "SELECT agent_id, team, agency, attempts, connects, right_party_contacts, promises, "
        "amount_paid_within_window, promises_due, promises_kept, breaches, attempts_in_breach, "
        "rank_amount_paid, rank_in_team FROM mart.agent_league WHERE month = DATE '2024-03-01' "
        "ORDER BY rank_amount_paid",
    )
    assert agents == [
        # pr1 (500 by the 8th) received Y1 300 + Y2 500: kept. No breaches (10:05-10:40 Monday).
        ("AG1", "Early", "in_house", 3, 2, 2, 1, Decimal("300.00"), 1, 1, 0, 0, 1, 1),
        # c6 reached A2's spouse without authorisation: the bank's rule and China's (2 rows, 1 attempt).
        ("AG3", "Late", "Huaxin Recovery", 3, 3, 2, 0, Decimal("100.00"), 0, 0, 2, 1, 2, 1),
        # c4 at 19:10 is after the bank's 18:00; c9 at 09:00 in Los Angeles is within every window.
        ("AG2", "Early", "in_house", 2, 2, 1, 0, Decimal("0.00"), 0, 0, 1, 1, 3, 2),
    ]
    agencies = query(
        bank,
        "SELECT agency, agents, attempts, right_party_contacts, amount_paid_within_window, breaches, "
        "rpc_rate, rank_amount_paid FROM mart.agency_league WHERE month = DATE '2024-03-01' "
        "ORDER BY rank_amount_paid",
    )
    assert agencies == [
        ("in_house", 2, 5, 3, Decimal("300.00"), 1, 3 / 5, 1),
        ("Huaxin Recovery", 1, 3, 2, Decimal("100.00"), 2, 2 / 3, 2),
    ]


def test_contract_columns(bank: Path) -> None:
    """mart.contact_effectiveness has the columns CONTRACT.md publishes."""
    columns = {
        name
        for (name,) in query(
            bank,
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = 'mart' AND table_name = 'contact_effectiveness'",
        )
    }
    assert {
        "day",
        "channel",
        "hour",
        "agent_id",
        "bucket",
        "attempts",
        "connects",
        "right_party_contacts",
        "promises",
        "rpc_rate",
        "promise_rate",
        "amount_paid_within_window",
        "team",
        "agency",
        "weekday",
    } <= columns
    assert query(bank, "SELECT DISTINCT month FROM mart.contact_effectiveness") == [(MARCH,)]


def test_strategy_is_the_one_assigned_at_the_last_month_end(bank: Path) -> None:
    # March attempts carry the treatment mart.account_month assigned at the Feb-29 month end
    # (March's own grade and cause depend on March's contacts: the outcome, not the strategy).
    feb = dict(
        query(
            bank,
            "SELECT account_id, treatment FROM mart.account_month WHERE month = DATE '2024-02-01'",
        )
    )
    assert set(feb) == {"A1", "A2", "A3"} and None not in feb.values()
    assert set(query(bank, "SELECT DISTINCT account_id, treatment FROM core.contact_attempts")) == {
        (account, treatment) for account, treatment in feb.items()
    }
    by_treatment = dict(
        query(bank, "SELECT treatment, sum(attempts) FROM mart.contact_effectiveness GROUP BY 1")
    )
    expected: dict[str, int] = {}
    for account, attempts in (("A1", 5), ("A2", 3), ("A3", 1)):
        expected[feb[account]] = expected.get(feb[account], 0) + attempts
    assert by_treatment == expected


def test_amount_paid_7d_is_a_compatibility_alias(bank: Path, tmp_path: Path) -> None:
    # The column is named for what it is (paid within `paid_within_days`, whatever that is);
    # contract v1's name stays in every published view that had it, holding the same yuan, also
    # when the setting is not 7 (16 days: 300 + 150 + 700, as test_paid_within_days_is_a_setting).
    edited = rebuild_copy(
        bank,
        tmp_path / "edited.duckdb",
        "UPDATE settings.measure_parameters SET value = 16 WHERE parameter = 'paid_within_days'",
    )
    assert query(
        edited,
        "SELECT sum(amount_paid_within_window), sum(amount_paid_7d) "
        "FROM mart.contact_effectiveness",
    ) == [(Decimal("1150.00"), Decimal("1150.00"))]
    for view in (
        "mart.contact_effectiveness",
        "mart.contact_effectiveness_by_hour_weekday",
        "mart.best_time_to_call",
        "mart.contact_funnel",
        "mart.agent_league",
        "mart.agency_league",
    ):
        assert query(
            edited,
            "SELECT count(*) FILTER (WHERE amount_paid_7d IS DISTINCT FROM "
            f"amount_paid_within_window) FROM {view}",
        ) == [(0,)], view
