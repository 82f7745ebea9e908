"""Repayment plans: proposed by customers who cannot pay, approved by a supervisor, re-ageing the
account on their first payment, then paid instalment by instalment until completed or broken.

Customers 31-90 days past due who are unable (not unwilling) to pay ask for a plan on working
days. A supervisor decides within 3-15 days. An extension re-ages the account on a good-faith
payment (interest, fees, the plan fee) and the principal falls due on its start date; an instalment
or reduced-minimum plan re-ages it on its first instalment. A missed instalment breaks the plan and
is a missed payment: the account is overdue from the next day. A plan row is re-sent in the
month-end plans file whenever it changes.
"""

from __future__ import annotations

import numpy as np

from warehouse.demo.book import UNABLE, Book
from warehouse.demo.codes import (
    APP,
    AUTOPAY,
    EXTENSION,
    FROZEN,
    INSTALMENT,
    P_ACTIVE,
    P_BROKEN,
    P_CANCELLED,
    P_COMPLETED,
    P_PROPOSED,
    PLAN_TYPES,
    REDUCTION,
    TRANSFER,
    weights,
)
from warehouse.demo.days import DAY
from warehouse.demo.draws import choice
from warehouse.demo.ledger import PaymentLedger, arrival_times
from warehouse.demo.rates import Rates
from warehouse.demo.staff import SUPERVISORS, Staff

PLAN_TYPE_P = weights(PLAN_TYPES, extension=0.3, instalment=0.5, min_payment_reduction=0.2)


class _Growing:
    """Columns of small tables (plans) that grow row by row in batches."""

    def __init__(self, spec: dict[str, tuple[type, object]]) -> None:
        self.spec = spec
        self.n = 0
        self.cap = 64
        self.cols: dict[str, np.ndarray] = {
            k: np.full(self.cap, fill, dtype=dt) for k, (dt, fill) in spec.items()
        }

    def append(self, k: int) -> np.ndarray:
        while self.n + k > self.cap:
            self.cap *= 2
            for name, (dt, fill) in self.spec.items():
                grown: np.ndarray = np.full(self.cap, fill, dtype=dt)
                grown[: self.n] = self.cols[name][: self.n]
                self.cols[name] = grown
        rows = np.arange(self.n, self.n + k)
        self.n += k
        return rows

    def __getitem__(self, name: str) -> np.ndarray:
        return self.cols[name]


class Plans:
    """The plans table (one row per plan, plan_id = serial) and each plan's progress."""

    def __init__(
        self,
        book: Book,
        rates: Rates,
        ledger: PaymentLedger,
        staff: Staff,
        rng: np.random.Generator,
    ) -> None:
        self.book = book
        self.R = rates
        self.ledger = ledger
        self.staff = staff
        self.rng = rng
        self.serial = 1  # the next plan_id
        self.table = _Growing(
            {
                "acct": (np.int64, -1),
                "type": (np.int8, 0),
                "status": (np.int8, 0),
                "req": (np.int64, -1),
                "decide": (np.int64, -1),
                "approver": (np.int64, -1),
                "appr": (np.int64, -1),
                "start": (np.int64, -1),
                "n": (np.int64, 0),
                "amt": (np.int64, 0),
                "fee": (np.int64, 0),
                "reage_day": (np.int64, -1),
                "reage_amt": (np.int64, 0),
                "reaged": (np.bool_, False),
                "next_day": (np.int64, -1),
                "left": (np.int64, 0),
                "changed": (np.int64, -1),
                "serial": (np.int64, 0),
            }
        )

    def cancel_open(self, idx: np.ndarray, t: int, only_unapproved: bool = False) -> None:
        """Cancel the open plan of each account (only those not yet re-aged, if asked)."""
        book = self.book
        rows = book.plan_row[idx]
        rows = rows[rows >= 0]
        if rows.size == 0:
            return
        P = self.table
        status = P["status"][rows]
        if only_unapproved:
            cancel = rows[(status == P_PROPOSED) | ((status == P_ACTIVE) & ~P["reaged"][rows])]
        else:
            cancel = rows[(status == P_PROPOSED) | (status == P_ACTIVE)]
        if cancel.size == 0:
            return
        P["status"][cancel] = P_CANCELLED
        P["changed"][cancel] = t
        accts = P["acct"][cancel]
        book.plan_row[accts] = -1
        book.plan_active[accts] = False

    def step(self, t: int, working: bool) -> None:
        """One day of plans: proposals, decisions, re-ageing payments, instalments."""
        book = self.book
        R, rng, P = self.R, self.rng, self.table
        # Proposals from customers who are willing but unable to pay.
        if working:
            cand = np.flatnonzero(
                (book.dpd > 30)
                & (book.dpd <= 90)
                & (book.status <= FROZEN)
                & (book.cause == UNABLE)
                & (book.plan_row < 0)
            )
            new = cand[rng.random(len(cand)) < R.plan_propose]
            k = len(new)
            if k:
                rows = P.append(k)
                P["acct"][rows] = new
                P["type"][rows] = choice(rng, PLAN_TYPE_P, k)
                P["status"][rows] = P_PROPOSED
                P["req"][rows] = t * DAY + rng.integers(9 * 3600, 18 * 3600, k)
                P["decide"][rows] = t + rng.integers(3, 16, k)
                P["changed"][rows] = t
                P["serial"][rows] = self.serial + np.arange(k)
                self.serial += k
                book.plan_row[new] = rows
        if P.n == 0:
            return
        live = np.arange(P.n)
        status = P["status"][: P.n]
        # Decisions.
        rows = live[(status == P_PROPOSED) & (P["decide"][: P.n] == t)]
        if rows.size:
            acct = P["acct"][rows]
            ok = (book.dpd[acct] > 0) & (book.status[acct] <= FROZEN)
            approve = ok & (rng.random(len(rows)) < R.plan_approve)
            cancel = rows[~approve]
            P["status"][cancel] = P_CANCELLED
            P["changed"][cancel] = t
            book.plan_row[P["acct"][cancel]] = -1
            rows, acct = rows[approve], acct[approve]
            k = len(rows)
            if k:
                sup = self.staff.pool[SUPERVISORS]
                P["status"][rows] = P_ACTIVE
                P["changed"][rows] = t
                P["approver"][rows] = sup[rng.integers(0, len(sup), k)]
                P["appr"][rows] = t * DAY + rng.integers(10 * 3600, 17 * 3600, k)
                total = book.ov_p[acct] + book.ov_i[acct] + book.ov_f[acct]
                cycles = (book.dpd[acct] + 29) // 30
                ptype = P["type"][rows]
                n_inst = np.where(
                    ptype == INSTALMENT,
                    rng.choice([3, 6, 12], k),
                    np.where(ptype == REDUCTION, rng.choice([3, 6], k), 1),
                )
                fee = np.where(
                    ptype == INSTALMENT,
                    (total * 0.006 * n_inst).astype(np.int64),
                    np.where(ptype == EXTENSION, (total * 0.01).astype(np.int64), 0),
                )
                inst = np.where(
                    ptype == INSTALMENT,
                    np.ceil((total + fee) / n_inst),
                    np.where(ptype == REDUCTION, np.ceil(total / cycles * 0.5), book.ov_p[acct]),
                ).astype(np.int64)
                inst = np.maximum(inst, 100)
                soon = t + rng.integers(1, 8, k)
                start = np.where(ptype == EXTENSION, t + 30, soon)
                P["n"][rows] = n_inst
                P["fee"][rows] = fee
                P["amt"][rows] = inst
                P["start"][rows] = start
                P["reage_day"][rows] = soon
                # Extension: a good-faith payment of interest, fees and the plan fee re-ages the
                # account and the principal falls due on the start date. Otherwise the first
                # instalment re-ages it.
                good_faith = np.maximum(book.ov_i[acct] + book.ov_f[acct] + fee, 100)
                P["reage_amt"][rows] = np.where(ptype == EXTENSION, good_faith, inst)
                P["left"][rows] = np.where(ptype == EXTENSION, 1, n_inst - 1)
                P["next_day"][rows] = np.where(ptype == EXTENSION, start, start + 30)
        # Re-ageing payments.
        status = P["status"][: P.n]
        rows = live[(status == P_ACTIVE) & ~P["reaged"][: P.n] & (P["reage_day"][: P.n] == t)]
        if rows.size:
            acct = P["acct"][rows]
            ok = (book.dpd[acct] > 0) & (book.status[acct] <= FROZEN)
            bad = rows[~ok]
            P["status"][bad] = P_CANCELLED
            P["changed"][bad] = t
            book.plan_row[P["acct"][bad]] = -1
            rows, acct = rows[ok], acct[ok]
            if rows.size:
                amt = P["reage_amt"][rows]
                chan = np.full(len(rows), TRANSFER)
                self.ledger.add(acct, arrival_times(rng, t, chan), amt, chan)
                book.balance[acct] -= amt
                book.dpd[acct] = 0
                book.ov_p[acct] = 0
                book.ov_i[acct] = 0
                book.ov_f[acct] = 0
                book.cured_day[acct] = t
                book.due_paid[acct] = True
                book.sched_day[acct] = -1
                book.prom_until[acct] = -1
                book.plan_active[acct] = True
                book.min_due[acct] = P["amt"][rows]
                P["reaged"][rows] = True
                # A plan whose re-ageing payment was its only instalment is done at once.
                done = rows[P["left"][rows] <= 0]
                self._finish(done, t, P_COMPLETED)
        # Instalments.
        status = P["status"][: P.n]
        rows = live[(status == P_ACTIVE) & P["reaged"][: P.n] & (P["next_day"][: P.n] == t)]
        if rows.size:
            acct = P["acct"][rows]
            ok = book.status[acct] <= FROZEN
            pays = ok & (rng.random(len(rows)) < np.array(R.plan_pay)[book.cause[acct]])
            paid, p_acct = rows[pays], acct[pays]
            if paid.size:
                amt = P["amt"][paid]
                chan = np.where(book.autopay[p_acct], AUTOPAY, APP)
                self.ledger.add(p_acct, arrival_times(rng, t, chan), amt, chan)
                book.balance[p_acct] -= amt
                P["left"][paid] -= 1
                P["next_day"][paid] += 30
                self._finish(paid[P["left"][paid] <= 0], t, P_COMPLETED)
            broke = rows[~pays & ok]
            if broke.size:
                b_acct = P["acct"][broke]
                self._finish(broke, t, P_BROKEN)
                # The missed instalment is a missed payment: overdue from tomorrow.
                book.due_day[b_acct] = t
                book.due_paid[b_acct] = False
                book.cycle_paid[b_acct] = 0
                book.min_due[b_acct] = np.maximum(P["amt"][broke], 1_000)

    def _finish(self, rows: np.ndarray, t: int, status: int) -> None:
        book = self.book
        if rows.size == 0:
            return
        P = self.table
        P["status"][rows] = status
        P["changed"][rows] = t
        acct = P["acct"][rows]
        book.plan_active[acct] = False
        book.plan_row[acct] = -1
