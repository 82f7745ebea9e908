"""Promises to pay: taken in right-party calls, kept, partly kept or broken.

A promise names a date 1-7 days ahead (1-10 from M2) and an amount. Whether it will be kept is
drawn when it is made, by the customer's cause (a forgetful customer keeps most promises, a
wilful one fewer than half): a kept promise pays in full by its date (sometimes the same day,
within hours of the call), a partly kept one pays less or up to three days late, a broken one
pays nothing. While a promise runs the account is called less and pays nothing of its own accord;
an account already holding a promise keeps the first promise's schedule.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from warehouse.demo.book import Book
from warehouse.demo.codes import PTP
from warehouse.demo.days import DAY
from warehouse.demo.draws import choice, uniform_int
from warehouse.demo.rates import Rates


class Promises:
    """Takes the promises made in the day's calls; promises are numbered in order (promise_id)."""

    def __init__(self, book: Book, rates: Rates, rng: np.random.Generator) -> None:
        self.book = book
        self.R = rates
        self.rng = rng  # the contacts' stream: a promise is drawn right after its call
        self.serial = 1  # the next promise_id

    def take(
        self, t: int, cols: dict[str, np.ndarray], serial: np.ndarray, outcome: np.ndarray
    ) -> pl.DataFrame:
        """The promises of today's promise-to-pay attempts (`cols` are the attempts in time order,
        `serial` their attempt numbers), and what each promise will bring: the amount (everything
        overdue, one cycle, or a round sum), and whether it will be kept, partly kept or broken."""
        book = self.book
        R, rng = self.R, self.rng
        rows = np.flatnonzero(outcome == PTP)
        acct = cols["acct"][rows]
        k = len(rows)
        created = cols["secs"][rows] + np.maximum(cols["dur"][rows], 0)
        dpd = book.dpd[acct]
        bucket = (dpd + 29) // 30
        days = np.where(bucket == 1, rng.integers(1, 8, k), rng.integers(1, 11, k))
        promised = t + days
        total = book.ov_p[acct] + book.ov_i[acct] + book.ov_f[acct]
        per_cycle = np.ceil(total / np.maximum(bucket, 1)).astype(np.int64)
        u = rng.random(k)
        amount = np.where(
            (bucket == 1) | (u < 0.5),
            total,
            np.where(
                u < 0.9,
                per_cycle,
                np.maximum(10_000, (total * rng.uniform(0.3, 0.9, k)) // 10_000 * 10_000),
            ),
        ).astype(np.int64)
        amount = np.maximum(amount, 100)
        # Draw what will happen; an account already holding a promise keeps its first schedule.
        fresh = book.prom_until[acct] < t
        cause = book.cause[acct]
        fate = choice(rng, np.array(R.promise_outcome)[cause], k)  # 0 kept, 1 partial, 2 broken
        same_day = rng.random(k) < 0.2
        pay_day = np.where(same_day, t, uniform_int(rng, np.full(k, t + 1), promised))
        pay_day = np.where(fate == 1, uniform_int(rng, np.full(k, t + 1), promised + 3), pay_day)
        sec_of_day = created - t * DAY
        pay_sec = np.where(
            (fate == 0) & (pay_day == t),
            np.minimum(sec_of_day + rng.integers(300, 7200, k), DAY - 1),
            0,
        )
        pay_amt = np.where(
            fate == 0,
            np.where(rng.random(k) < 0.05, amount + 10_000, amount),
            np.maximum((amount * rng.uniform(0.3, 0.8, k)).astype(np.int64), 100),
        )
        sched = fresh & (fate < 2)
        a = acct[fresh]
        book.prom_until[a] = promised[fresh] + 3
        a = acct[sched]
        book.sched_day[a] = pay_day[sched]
        book.sched_amt[a] = pay_amt[sched]
        book.sched_sec[a] = pay_sec[sched]
        pserial = self.serial + np.arange(k, dtype=np.int64)
        self.serial += k
        raw = pl.DataFrame(
            {
                "serial": pserial,
                "acct": acct + 1,
                "attempt": serial[rows],
                "agent": np.where(cols["agent"][rows] < 0, -1, cols["agent"][rows] + 1),
                "created": created,
                "promised": promised,
                "amount": amount,
            }
        )
        return raw
