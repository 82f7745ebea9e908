"""Alerts on small hand-made frames, each with the firing it should (or should not) cause.

Thresholds as the defaults of sql/502_settings.alert_thresholds.sql: a rate needs 30 accounts;
roll and net flow diverge when they move apart by 2 pp or more each; a spike is 5+ breaches and
at least twice the average of the 3 months before.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from rendered import shown

from dashboard import alerts

DEFAULTS = alerts.Thresholds.from_settings(
    {
        "min_accounts_for_rate": 30,
        "divergence_min_change": 0.02,
        "breach_spike_factor": 2,
        "breach_spike_min_breaches": 5,
        "breach_spike_baseline_months": 3,
    }
)
JAN, FEB, MAR, APR = (date(2024, m, 1) for m in (1, 2, 3, 4))


def test_thresholds_must_all_be_set() -> None:
    with pytest.raises(KeyError, match="breach_spike_factor"):
        alerts.Thresholds.from_settings({"min_accounts_for_rate": 30})


def test_roll_and_net_flow_diverging() -> None:
    rates = pl.DataFrame(
        {
            "month": [JAN, FEB, JAN, FEB, JAN, FEB],
            "bucket": ["M1", "M1", "M2", "M2", "M3", "M3"],
            # M1: roll +5 pp, net flow -4 pp -> fires.
            # M2: roll +5 pp, net flow +6 pp (same way) -> quiet.
            # M3: roll +5 pp, net flow -1 pp (too small) -> quiet.
            "roll_forward_rate": [0.20, 0.25, 0.30, 0.35, 0.40, 0.45],
            "net_flow_rate": [0.10, 0.06, 0.10, 0.16, 0.10, 0.09],
        }
    )
    fired = alerts.roll_flow_divergence(rates, DEFAULTS)
    assert [a.subject for a in fired] == ["M1"]
    message = shown(fired[0].message())
    assert "+5.0 pp" in message and "-4.0 pp" in message and "Jan 2024" in message
    assert "Feb 2024" in message


def test_divergence_needs_two_months() -> None:
    one = pl.DataFrame(
        {"month": [JAN], "bucket": ["M1"], "roll_forward_rate": [0.2], "net_flow_rate": [0.1]}
    )
    assert alerts.roll_flow_divergence(one, DEFAULTS) == []


def test_rates_on_too_few_accounts() -> None:
    frame = pl.DataFrame({"bucket": ["M1", "M2", "M3", "M4"], "accounts": [29, 30, 0, 1]})
    fired = alerts.thin_rates(
        frame, subject="bucket", base="accounts", rate="col.rpc_rate", thresholds=DEFAULTS
    )
    # 29 and 1 are thin; 30 is enough; 0 shows no rate at all.
    assert [a.subject for a in fired] == ["M1, M4"]
    assert shown(fired[0].message()) == (
        "RPC rate rests on fewer than 30 for M1 (29), M4 (1): too few to trust on its own."
    )
    enough = frame.filter(frame["accounts"] >= 30)
    assert (
        alerts.thin_rates(
            enough, subject="bucket", base="accounts", rate="col.rpc_rate", thresholds=DEFAULTS
        )
        == []
    )


def test_breach_spike_for_one_agent() -> None:
    counts = pl.DataFrame(
        {
            "agent_id": ["AG1"] * 4 + ["AG2"] * 4 + ["AG3"],
            "month": [JAN, FEB, MAR, APR] * 2 + [APR],
            # AG1: 2, 2, 2 before, 6 in April: 6 >= 2 x 2.0 and >= 5 -> fires.
            # AG2: 4, 4, 4 before, 7 in April: 7 < 2 x 4.0 -> quiet.
            # AG3: nothing before, 4 in April: below 5 -> quiet.
            "breaches": [2, 2, 2, 6, 4, 4, 4, 7, 4],
        }
    )
    fired = alerts.breach_spikes(
        counts, subject="agent_id", thresholds=DEFAULTS, month=APR, held_months={JAN, FEB, MAR}
    )
    assert [a.subject for a in fired] == ["AG1"]
    assert shown(fired[0].message()) == (
        "AG1: 6 breaches in Apr 2024, at least 2× the average of 2.0 a month over the 3 months "
        "before."
    )


def test_a_new_team_with_many_breaches_spikes() -> None:
    # No breach in the three months before (held, so they count as 0): 5 in April is a spike,
    # worded as "none before", not as "2x an average of 0.0".
    counts = pl.DataFrame({"team": ["Late"], "month": [APR], "breaches": [5]})
    fired = alerts.breach_spikes(
        counts, subject="team", thresholds=DEFAULTS, month=APR, held_months={JAN, FEB, MAR}
    )
    assert [a.subject for a in fired] == ["Late"]
    assert shown(fired[0].message()) == (
        "Late: 5 breaches in Apr 2024, none in the 3 months before (baseline 0.0 a month)."
    )


def test_no_baseline_no_alert() -> None:
    # The warehouse holds no contacts for January: April has no full baseline, so the spike
    # (6 against 2, 2 and nothing) does not fire, whatever it would have been.
    counts = pl.DataFrame(
        {"agent_id": ["AG1"] * 3, "month": [FEB, MAR, APR], "breaches": [2, 2, 6]}
    )
    assert (
        alerts.breach_spikes(
            counts, subject="agent_id", thresholds=DEFAULTS, month=APR, held_months={FEB, MAR}
        )
        == []
    )


def test_the_baseline_is_the_months_before_the_one_judged() -> None:
    # One month chosen (April): its baseline is January to March, read whatever the filter,
    # never the chosen month itself (which would always make a 0.0 baseline).
    assert alerts.baseline_months(APR, DEFAULTS) == [MAR, FEB, JAN]
    counts = pl.DataFrame({"agent_id": ["AG1"] * 4, "month": [JAN, FEB, MAR, APR],
                           "breaches": [5, 5, 5, 6]})  # fmt: skip
    assert (
        alerts.breach_spikes(
            counts,
            subject="agent_id",
            thresholds=DEFAULTS,
            month=APR,
            held_months={JAN, FEB, MAR, APR},
        )
        == []
    )  # 6 < 2 x 5.0
