"""Statements, ageing and charge-off: how an account falls behind and how far.

A statement cuts on the account's statement day: interest and new spend, a minimum due and a due
date 20 days later, and the customer's response drawn at once (pay in full, revolve, pay the
minimum, underpay or miss; a few payments will be reversed). An account whose statement fell due
unpaid is 1 day past due the next day. Delinquent accounts age a day at a time: every 30 days a
new cycle's instalment, interest and late fee fall overdue; the card is frozen at 61 days and the
account charged off at 180.
"""

from __future__ import annotations

import numpy as np

from warehouse.demo.book import Book
from warehouse.demo.codes import (
    AUTOPAY,
    CHARGED_OFF,
    FROZEN,
    PAY_CHANNELS,
    UNEMPLOYED,
    weights,
)
from warehouse.demo.days import day_date
from warehouse.demo.draws import choice, uniform_int
from warehouse.demo.plans import Plans
from warehouse.demo.rates import Rates

# How customers without autopay pay their statement.
STATEMENT_CHANNELS = weights(PAY_CHANNELS, app=0.55, bank_transfer=0.25, branch=0.08, other=0.12)


def open_positions(book: Book, rates: Rates, rng: np.random.Generator) -> None:
    """The opening book on the first day: balances, the last statement before the start
    (settled if it fell due already), and some accounts already overdue, in every bucket."""
    n0, t0 = book.n0, book.t0
    idx = np.arange(n0)
    util = np.where(book.style[idx] == 0, rng.beta(1.5, 6, n0), rng.beta(2.5, 3, n0))
    book.balance[idx] = (util * book.limit[idx]).astype(np.int64)
    last_stmt = book.last_statement_before(idx, t0)
    book.first_stmt[idx] = last_stmt
    p_delq = np.array([0.024, 0.08, 0.22])[book.risk[idx]]
    delq = rng.random(n0) < p_delq
    current = idx[~delq]
    cut_statement(book, rates, current, last_stmt[~delq], rng, initial=True)
    # Statements that fell due before the start were settled before it.
    settled = current[book.due_day[current] < t0]
    book.due_paid[settled] = True
    book.pay_day[settled] = -1
    d_idx = idx[delq]
    bucket = choice(rng, np.array([0.52, 0.17, 0.10, 0.08, 0.07, 0.06]), len(d_idx)) + 1
    dpd = (bucket - 1) * 30 + rng.integers(1, 31, len(d_idx))
    dpd = np.minimum(dpd, 179)
    book.dpd[d_idx] = dpd
    cycles = (dpd + 29) // 30
    base = np.maximum((rng.beta(5, 2, len(d_idx)) * book.limit[d_idx]).astype(np.int64), 200_000)
    cyc_min = np.maximum(10_000, base // 10)
    ov_i = (cycles * base * 0.015).astype(np.int64)
    ov_f = (cycles * cyc_min * 0.05).astype(np.int64)
    book.balance[d_idx] = base + ov_i + ov_f
    book.ov_i[d_idx] = ov_i
    book.ov_f[d_idx] = ov_f
    book.ov_p[d_idx] = np.minimum(cycles * cyc_min, base)
    book.status[d_idx[dpd > 60]] = FROZEN
    book.due_day[d_idx] = last_stmt[delq] + 20
    book.min_due[d_idx] = cyc_min
    book.due_paid[d_idx] = True
    # A few current accounts are still frozen after an old delinquency.
    frozen = current[rng.random(len(current)) < 0.003]
    book.status[frozen] = FROZEN


def cut_statement(
    book: Book,
    rates: Rates,
    idx: np.ndarray,
    t_stmt: np.ndarray | int,
    rng: np.random.Generator,
    *,
    initial: bool = False,
) -> None:
    """Cut a statement for current accounts and draw how each will respond to it: pay in full,
    revolve, pay the minimum, underpay or miss (an initial statement is the one before the
    start: no new spend, paid from the first day at the earliest)."""
    if idx.size == 0:
        return
    R = rates
    k = len(idx)
    t_stmt = np.broadcast_to(np.asarray(t_stmt, dtype=np.int64), (k,))
    bal = book.balance[idx]
    if not initial:
        interest = (np.maximum(bal, 0) * 0.015).astype(np.int64)
        spend = (book.limit[idx] * book.spend[idx] * rng.lognormal(0, 0.5, k)).astype(np.int64)
        spend[book.status[idx] == FROZEN] = 0
        cap = np.maximum(bal + interest, (book.limit[idx] * 1.05).astype(np.int64))
        bal = np.minimum(bal + interest + spend, cap)
        book.balance[idx] = bal
    min_due = np.where(bal <= 0, 0, np.where(bal < 10_000, bal, np.maximum(10_000, bal // 10)))
    book.min_due[idx] = min_due
    due = t_stmt + 20
    book.due_day[idx] = due
    book.cycle_paid[idx] = 0
    book.due_paid[idx] = min_due < 1_000
    book.rev_day[idx] = -1
    # Response.
    p_miss = np.array(R.miss)[book.risk[idx]]
    p_miss = p_miss * np.where(book.emp[idx] == UNEMPLOYED, R.miss_unemployed, 1.0)
    recent = (t_stmt - book.cured_day[idx]) < 95
    p_miss = np.minimum(p_miss * np.where(recent, R.miss_recently_cured, 1.0), 0.6)
    owes = min_due >= 1_000
    miss = owes & (rng.random(k) < p_miss)
    under = miss & (rng.random(k) < R.underpay_share)
    pays = owes & ~miss
    style = book.style[idx]
    amount = np.where(
        style == 0,
        bal,
        np.where(style == 1, min_due + (rng.random(k) * (bal - min_due)), min_due),
    ).astype(np.int64)
    over = pays & (rng.random(k) < R.overpay)
    amount = np.where(over, bal + rng.integers(5_000, 200_000, k), amount)
    amount = np.where(under, (min_due * rng.uniform(0.2, 0.8, k)).astype(np.int64), amount)
    amount = np.maximum(amount, 1)
    auto = book.autopay[idx]
    day = np.where(auto | under, due, due - rng.integers(0, 13, k))
    first_ok = book.t0 if initial else t_stmt + 1
    day = np.maximum(day, first_ok)
    chan = np.where(auto, AUTOPAY, choice(rng, STATEMENT_CHANNELS, k))
    payer = pays | under
    book.pay_day[idx] = np.where(payer & (day <= due), day, -1)
    book.pay_amt[idx] = amount
    book.pay_chan[idx] = chan
    rev = payer & ~under & (day < due) & (rng.random(k) < R.reversal) & (not initial)
    book.rev_day[idx] = np.where(rev, uniform_int(rng, day + 1, due), -1)


class Statements:
    """The statement cycle and the ageing of arrears, day by day."""

    def __init__(self, book: Book, rates: Rates, plans: Plans, rng: np.random.Generator) -> None:
        self.book = book
        self.R = rates
        self.plans = plans
        self.rng = rng

    def cut_due(self, t: int) -> None:
        """Statements for the accounts whose statement day it is."""
        book = self.book
        dom = day_date(t).day
        if dom > 28:
            return
        idx = np.flatnonzero(
            (book.stmt_day == dom) & (book.status <= FROZEN) & (book.first_stmt <= t)
        )
        if idx.size == 0:
            return
        delq = book.dpd[idx] > 0
        planned = book.plan_active[idx]
        # Delinquent and planned accounts still get a statement: a new due date, no new spend.
        others = idx[delq | planned]
        book.due_day[others] = t + 20
        rows = book.plan_row[idx[planned]]
        book.min_due[idx[planned]] = self.plans.table["amt"][rows]
        cut_statement(self.book, self.R, idx[~delq & ~planned], t, self.rng)

    def age(self, t: int) -> None:
        """Delinquent accounts grow one day older; cycles, freezing, charge-off."""
        book = self.book
        idx = np.flatnonzero((book.dpd > 0) & (book.status <= FROZEN))
        if idx.size == 0:
            return
        dpd = book.dpd[idx] + 1
        book.dpd[idx] = dpd
        cycle = idx[(dpd % 30 == 1) & (dpd > 1)]
        if cycle.size:
            bal = book.balance[cycle]
            ov = book.ov_p[cycle] + book.ov_i[cycle] + book.ov_f[cycle]
            not_due = np.maximum(bal - ov, 0)
            cyc_min = np.minimum(not_due, np.maximum(10_000, not_due // 10))
            interest = (np.maximum(bal, 0) * 0.015).astype(np.int64)
            fee = (cyc_min * 0.05).astype(np.int64)
            book.ov_p[cycle] += cyc_min
            book.ov_i[cycle] += interest
            book.ov_f[cycle] += fee
            book.balance[cycle] = bal + interest + fee
        book.status[idx[dpd == 61]] = FROZEN
        gone = idx[dpd >= 180]
        if gone.size:
            book.status[gone] = CHARGED_OFF
            book.end_day[gone] = t
            book.prom_until[gone] = -1
            book.sched_day[gone] = -1
            self.plans.cancel_open(gone, t)

    def enter(self, t: int) -> None:
        """Accounts whose statement fell due yesterday, not paid, are 1 day past due today."""
        book = self.book
        idx = np.flatnonzero(
            (book.due_day == t - 1) & ~book.due_paid & (book.dpd == 0) & (book.status <= FROZEN)
        )
        if idx.size == 0:
            return
        unpaid = np.minimum(book.min_due[idx] - book.cycle_paid[idx], book.balance[idx])
        idx, unpaid = idx[unpaid >= 1_000], unpaid[unpaid >= 1_000]
        if idx.size == 0:
            return
        ov_i = (unpaid * 0.15).astype(np.int64)
        ov_f = (unpaid * 0.05).astype(np.int64)
        book.ov_i[idx] = ov_i
        book.ov_p[idx] = unpaid - ov_i
        book.ov_f[idx] = ov_f
        book.balance[idx] += ov_f
        book.dpd[idx] = 1
        book.pay_day[idx] = -1
        book.rev_day[idx] = -1
