"""The payment system's record of a day: every payment and reversal, numbered in time order.

The parts of the bank that move money (statement payments, promises kept, plans, payoffs,
recoveries) queue their payments here during the day; at the day's end the ledger numbers them
(payment_id) and hands back the raw rows of the day's payments file.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from warehouse.demo.book import Book
from warehouse.demo.codes import PAY_CHANNELS
from warehouse.demo.days import DAY

# Hours (start, end seconds) within which each channel's payments arrive.
_HOURS = {
    "app": (7 * 3600, 86_399),
    "bank_transfer": (9 * 3600, 18 * 3600),
    "branch": (9 * 3600 + 1800, 17 * 3600),
    "autopay": (2 * 3600, 6 * 3600),
    "agency": (9 * 3600, 18 * 3600),
    "other": (8 * 3600, 20 * 3600),
}
PAY_WINDOW = np.array([_HOURS[channel] for channel in PAY_CHANNELS])


def arrival_times(rng: np.random.Generator, t: int, chan: np.ndarray) -> np.ndarray:
    """When on day t each payment arrives, inside its channel's hours."""
    lo, hi = PAY_WINDOW[chan, 0], PAY_WINDOW[chan, 1]
    return t * DAY + lo + (rng.random(len(chan)) * (hi - lo)).astype(np.int64)


class PaymentLedger:
    """The day's payments, queued by whoever moved the money."""

    def __init__(self, book: Book) -> None:
        self.book = book
        self.serial = 1  # the next payment_id
        self._parts: list[dict[str, np.ndarray]] = []

    def add(
        self,
        acct: np.ndarray,
        secs: np.ndarray,
        amount: np.ndarray,
        chan: np.ndarray,
        *,
        reverses: np.ndarray | None = None,
        will_reverse: np.ndarray | None = None,
    ) -> None:
        """Queue payments (or reversals, naming the payment they reverse) for today's file."""
        k = len(acct)
        if k == 0:
            return
        self._parts.append(
            {
                "acct": acct.astype(np.int64),
                "secs": secs.astype(np.int64),
                "amount": amount.astype(np.int64),
                "chan": np.asarray(chan, dtype=np.int64),
                "reverses": (reverses if reverses is not None else np.full(k, -1)).astype(np.int64),
                "will": (will_reverse if will_reverse is not None else np.zeros(k, bool)),
            }
        )

    def close_day(self, t: int) -> pl.DataFrame:
        """Today's payments in time order with their serial numbers; a payment that will be
        reversed is remembered by the account so the reversal can name it."""
        book = self.book
        parts = self._parts
        self._parts = []
        if parts:
            cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
        else:
            cols = {
                k: np.zeros(0, dtype=np.int64)
                for k in ("acct", "secs", "amount", "chan", "reverses")
            }
            cols["will"] = np.zeros(0, dtype=bool)
        order = np.lexsort((cols["acct"], cols["secs"]))
        cols = {k: v[order] for k, v in cols.items()}
        serial = self.serial + np.arange(len(order), dtype=np.int64)
        self.serial += len(order)
        will = cols["will"]
        book.rev_pid[cols["acct"][will]] = serial[will]
        raw = pl.DataFrame(
            {
                "serial": serial,
                "acct": cols["acct"] + 1,
                "secs": cols["secs"],
                "amount": cols["amount"],
                "chan": cols["chan"],
                "reverses": cols["reverses"],
            }
        )
        return raw
