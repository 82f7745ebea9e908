"""How the synthetic book behaves: the rates behind its roll, cure, promise and breach figures.

One place for every behavioural knob, so a calibration is one diff. The defaults give the roll
and cure rates of a typical card bank (tests/test_generate.py checks the ranges).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rates:
    """Behaviour of the synthetic book; defaults give the roll and cure rates of a typical bank."""

    new_accounts_per_month: float = 0.011  # of the opening book
    close_per_month: float = 0.005
    # Chance of missing a statement's minimum, by risk grade; multipliers for circumstances.
    miss: tuple[float, float, float] = (0.028, 0.08, 0.20)
    miss_unemployed: float = 1.6
    miss_recently_cured: float = 3.0
    underpay_share: float = 0.12
    overpay: float = 0.003
    reversal: float = 0.006
    # Daily chance of a payment of its own accord, by cause and bucket (index 1..6).
    self_cure: tuple[tuple[float, ...], ...] = (
        (0.0, 0.100, 0.045, 0.026, 0.008, 0.006, 0.005),
        (0.0, 0.050, 0.024, 0.012, 0.0035, 0.003, 0.0025),
        (0.0, 0.025, 0.011, 0.005, 0.002, 0.0015, 0.0012),
    )
    early_boost_forgetful: float = 0.20  # daily in the first week overdue
    early_boost_other: float = 1.5
    # How a self-payment of a 2+ cycle account splits: full cure, one cycle, less than a cycle.
    m2_payment_split: tuple[float, float, float] = (0.45, 0.40, 0.15)
    # Promises: (kept, partial, broken) by cause.
    promise_outcome: tuple[tuple[float, float, float], ...] = (
        (0.82, 0.05, 0.13),
        (0.60, 0.14, 0.26),
        (0.42, 0.08, 0.50),
    )
    # Chance a right-party contact ends in a promise, by cause.
    promise_given: tuple[float, float, float] = (0.50, 0.32, 0.15)
    call_p: tuple[float, ...] = (0.0, 0.40, 0.80, 0.80, 0.55, 0.55, 0.55)
    call_p_first_days: float = 0.10
    ivr_p: float = 0.08
    visit_p: float = 0.004
    # Rule breaches (shares of sessions / account-days).
    off_day_calls: float = 0.012  # calls on holidays and ordinary weekends
    over_cap: float = 0.0015  # sessions of 7-8 attempts to one number
    tp_unauthorised: float = 0.012  # M2+ sessions to an emergency contact without authorisation
    dnc_leak: float = 0.03  # account-days a do-not-contact account is still worked
    plan_propose: float = 0.008  # daily, M2-M3 accounts unable to pay, working days
    plan_approve: float = 0.75
    plan_pay: tuple[float, float, float] = (0.95, 0.90, 0.70)
    charge_off_recovery: float = 0.0015  # daily
