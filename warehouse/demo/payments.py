"""Money arriving: statement payments and their reversals, promised payments, spontaneous cures
and partial cures, payoffs of closing accounts, recoveries on charged-off accounts.

Money on an overdue account pays overdue fees first, then interest, then principal; days past due
fall by 30 for each whole cycle paid and to 0 when everything overdue is paid.
"""

from __future__ import annotations

import numpy as np

from warehouse.demo.book import FORGETFUL, Book
from warehouse.demo.codes import (
    AGENCY_CH,
    APP,
    CHARGED_OFF,
    CLOSED,
    FROZEN,
    OPEN,
    PAY_CHANNELS,
    weights,
)
from warehouse.demo.days import DAY
from warehouse.demo.draws import choice
from warehouse.demo.ledger import PaymentLedger, arrival_times
from warehouse.demo.plans import Plans
from warehouse.demo.rates import Rates
from warehouse.demo.treatments import TreatmentsInForce

# How delinquent customers pay (late accounts often through the agency, drawn separately), and
# how a closing customer pays off the balance.
DELINQUENT_CHANNELS = weights(PAY_CHANNELS, app=0.55, bank_transfer=0.30, branch=0.05, other=0.10)
PAYOFF_CHANNELS = weights(PAY_CHANNELS, app=0.5, bank_transfer=0.4, branch=0.1)


class Payments:
    """The day's money, booked to the accounts and queued in the ledger."""

    def __init__(
        self,
        book: Book,
        rates: Rates,
        ledger: PaymentLedger,
        plans: Plans,
        *,
        pay: np.random.Generator,
        day: np.random.Generator,
        treatments: TreatmentsInForce | None = None,
    ) -> None:
        self.book = book
        self.treatments = treatments
        self.R = rates
        self.ledger = ledger
        self.plans = plans
        self.rng_pay = pay
        self.rng_day = day

    def statement_payments(self, t: int) -> None:
        """Payments the statement response scheduled for today, and reversals of earlier ones
        (a returned autopay, a bounced transfer); half the reversed accounts pay again by the due
        date."""
        book = self.book
        rng = self.rng_pay
        # Reversals of earlier statement payments (returned autopay, bounced transfer).
        idx = np.flatnonzero(
            (book.rev_day == t) & (book.rev_pid >= 0) & (book.status <= FROZEN) & (book.dpd == 0)
        )
        if idx.size:
            amt = book.rev_amt[idx]
            secs = t * DAY + rng.integers(10 * 3600, 18 * 3600, len(idx))
            self.ledger.add(idx, secs, amt, book.rev_chan[idx], reverses=book.rev_pid[idx])
            book.balance[idx] += amt
            book.cycle_paid[idx] -= amt
            book.due_paid[idx] = book.cycle_paid[idx] >= book.min_due[idx]
            repay = idx[(book.due_day[idx] > t) & (rng.random(len(idx)) < 0.5)]
            book.pay_day[repay] = book.due_day[repay]
            book.pay_amt[repay] = book.rev_amt[repay]
            book.pay_chan[repay] = APP
            book.rev_day[idx] = -1
            book.rev_pid[idx] = -1
        idx = np.flatnonzero((book.pay_day == t) & (book.status <= FROZEN) & (book.dpd == 0))
        if idx.size:
            amt = book.pay_amt[idx]
            chan = book.pay_chan[idx].astype(np.int64)
            will = book.rev_day[idx] > t
            self.ledger.add(idx, arrival_times(rng, t, chan), amt, chan, will_reverse=will)
            book.balance[idx] -= amt
            book.cycle_paid[idx] += amt
            book.due_paid[idx] = book.cycle_paid[idx] >= book.min_due[idx]
            book.pay_day[idx] = -1
            w = idx[will]
            book.rev_amt[w] = amt[will]
            book.rev_chan[w] = chan[will]

    def promised_payments(self, t: int) -> None:
        """Money a kept or partly kept promise brings today."""
        book = self.book
        idx = np.flatnonzero((book.sched_day == t) & (book.dpd > 0) & (book.status <= FROZEN))
        if idx.size == 0:
            return
        rng = self.rng_pay
        amt = book.sched_amt[idx]
        chan = choice(rng, DELINQUENT_CHANNELS, len(idx))
        chan = np.where((book.dpd[idx] > 90) & (rng.random(len(idx)) < 0.4), AGENCY_CH, chan)
        secs = np.where(
            book.sched_sec[idx] > 0,
            t * DAY + book.sched_sec[idx],
            arrival_times(rng, t, chan),
        )
        self.ledger.add(idx, secs, amt, chan)
        book.sched_day[idx] = -1
        self.settle_arrears(idx, amt, t)

    def self_cures(self, t: int) -> None:
        """Delinquent customers without a running promise who pay of their own accord: a full
        cure, one cycle, or less than a cycle."""
        book = self.book
        R, rng = self.R, self.rng_pay
        idx = np.flatnonzero((book.dpd > 0) & (book.status <= FROZEN) & (book.prom_until < t))
        if idx.size == 0:
            return
        dpd = book.dpd[idx]
        bucket = (dpd + 29) // 30
        cause = book.cause[idx]
        h = np.array(R.self_cure)[cause, bucket]
        early = dpd <= 6
        h = np.where(
            early & (cause == FORGETFUL),
            R.early_boost_forgetful,
            np.where(early, h * R.early_boost_other, h),
        )
        if self.treatments is not None:  # the cure odds respond to the treatment in force
            h = h * self.treatments.cure_factor(idx, t)
        pay = rng.random(len(idx)) < h
        idx, bucket = idx[pay], bucket[pay]
        if idx.size == 0:
            return
        k = len(idx)
        total = book.ov_p[idx] + book.ov_i[idx] + book.ov_f[idx]
        per_cycle = total / bucket
        kind = np.where(
            bucket == 1,
            np.where(rng.random(k) < 0.9, 0, 2),
            choice(rng, np.array(R.m2_payment_split), k),
        )
        extra = np.where(
            rng.random(k) < 0.2,
            (rng.random(k) * np.maximum(book.balance[idx] - total, 0)).astype(np.int64),
            0,
        )
        amount = np.where(
            kind == 0,
            total + extra,
            np.where(kind == 1, np.ceil(per_cycle * 1.02), per_cycle * rng.uniform(0.2, 0.8, k)),
        ).astype(np.int64)
        amount = np.maximum(amount, 100)
        chan = choice(rng, DELINQUENT_CHANNELS, k)
        chan = np.where((bucket >= 4) & (rng.random(k) < 0.4), AGENCY_CH, chan)
        self.ledger.add(idx, arrival_times(rng, t, chan), amount, chan)
        self.settle_arrears(idx, amount, t)

    def closures(self, t: int) -> None:
        """Current accounts closed by their customers, paying off what they owe."""
        book = self.book
        rng = self.rng_day
        cand = np.flatnonzero(
            (book.status <= FROZEN) & (book.dpd == 0) & ~book.plan_active & (book.open_day < t - 60)
        )
        if cand.size == 0:
            return
        idx = cand[rng.random(len(cand)) < self.R.close_per_month / 30.4]
        if idx.size == 0:
            return
        owed = idx[book.balance[idx] > 0]
        chan = choice(rng, PAYOFF_CHANNELS, len(owed))
        self.ledger.add(owed, arrival_times(rng, t, chan), book.balance[owed], chan)
        book.balance[idx] = 0
        book.min_due[idx] = 0
        book.status[idx] = CLOSED
        book.end_day[idx] = t
        book.pay_day[idx] = -1
        book.rev_day[idx] = -1
        self.plans.cancel_open(idx, t)

    def recoveries(self, t: int) -> None:
        """Now and then an agency recovers part of a charged-off balance."""
        book = self.book
        rng = self.rng_day
        cand = np.flatnonzero(
            (book.status == CHARGED_OFF) & (book.end_day < t) & (book.balance > 10_000)
        )
        if cand.size == 0:
            return
        idx = cand[rng.random(len(cand)) < self.R.charge_off_recovery]
        if idx.size == 0:
            return
        amt = (book.balance[idx] * rng.uniform(0.05, 0.3, len(idx))).astype(np.int64)
        chan = np.full(len(idx), AGENCY_CH)
        self.ledger.add(idx, arrival_times(rng, t, chan), amt, chan)
        self.reduce_overdue(idx, amt)
        book.balance[idx] -= amt

    def settle_arrears(self, idx: np.ndarray, amount: np.ndarray, t: int) -> None:
        """Money on overdue accounts: fees, then interest, then principal; dpd falls by 30 for
        each whole cycle paid and to 0 when all that is overdue is paid."""
        book = self.book
        ov_p, ov_i, ov_f = book.ov_p[idx], book.ov_i[idx], book.ov_f[idx]
        total = ov_p + ov_i + ov_f
        dpd = book.dpd[idx]
        cycles = (dpd + 29) // 30
        per_cycle = total / np.maximum(cycles, 1)
        paid_cycles = np.floor(amount / np.maximum(per_cycle, 1)).astype(np.int64)
        full = amount >= total
        self.reduce_overdue(idx, amount)
        book.balance[idx] -= amount
        new_dpd = np.where(full, 0, np.where(paid_cycles >= 1, dpd - 30 * paid_cycles, dpd))
        book.dpd[idx] = new_dpd
        cured = idx[full]
        if cured.size:
            book.ov_p[cured] = 0
            book.ov_i[cured] = 0
            book.ov_f[cured] = 0
            book.cured_day[cured] = t
            book.due_paid[cured] = True
            book.sched_day[cured] = -1
            book.prom_until[cured] = -1
            unfreeze = cured[
                (book.status[cured] == FROZEN) & (self.rng_pay.random(len(cured)) < 0.4)
            ]
            book.status[unfreeze] = OPEN
            self.plans.cancel_open(cured, t, only_unapproved=True)

    def reduce_overdue(self, idx: np.ndarray, amount: np.ndarray) -> None:
        """Allocate money to overdue fees, then interest, then principal."""
        book = self.book
        rest = amount.astype(np.int64).copy()
        for arr in (book.ov_f, book.ov_i, book.ov_p):
            part = np.minimum(rest, arr[idx])
            arr[idx] -= part
            rest -= part
