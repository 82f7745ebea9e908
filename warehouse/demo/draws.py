"""The random draws every part of the simulation shares, and the bank's independent streams.

Each part of the bank draws from a stream of its own, so that a change in how (say) contacts
are drawn leaves the payments of the same seed where they were. Every stream is consumed day by
day in calendar order, so what a bank does up to a day never depends on how long it runs after.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Streams:
    """The random streams of one bank, spawned from its seed."""

    start: np.random.Generator  # the opening book, its positions and the first staff
    day: np.random.Generator  # statements, closures, recoveries
    contact: np.random.Generator  # the procedure's contacts, their notes and promises
    pay: np.random.Generator  # money arriving on delinquent and scheduled accounts
    month: np.random.Generator  # month-end attribute changes, staff turnover
    plan: np.random.Generator  # repayment plans
    new_accounts: np.random.Generator  # each month's new accounts, drawn when the month starts

    @classmethod
    def from_seed(cls, seed: int) -> Streams:
        streams = np.random.SeedSequence(seed).spawn(7)
        return cls(*(np.random.default_rng(s) for s in streams))


def choice(rng: np.random.Generator, p: np.ndarray, n: int) -> np.ndarray:
    """n draws from the categorical distribution p (rows of p may differ when p is 2-D)."""
    u = rng.random(n)
    if p.ndim == 1:
        cum = np.cumsum(p / p.sum())
        return np.minimum(np.searchsorted(cum, u, side="right"), len(p) - 1)
    cum = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)
    return np.minimum((u[:, None] >= cum).sum(axis=1), p.shape[1] - 1)


def uniform_int(rng: np.random.Generator, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """One integer in [low, high] for each pair (inclusive)."""
    span = np.maximum(np.asarray(high) - np.asarray(low), 0) + 1
    return np.asarray(low) + (rng.random(len(span)) * span).astype(np.int64)
