"""The treatment in force for each account: the strategy its risk grade and cause prescribe.

A bank works a delinquent account as `settings.treatments` says for its grade and cause (channels,
contacts per week). The demo reads the default rows from the one place they are written
(`sql/settings/treatments.sql`) and, for a champion / challenger experiment (`Challenger`), the
challenger's rows for the accounts of its arm from its start date. The procedure and the
customers respond to the treatment in force, relative to the default treatment of the account's
cell (so a bank without an experiment behaves exactly as its calibration says):

- contact intensity: the chance of a call session on a day is multiplied by `intensity`, the
  contacts per week in force over the default's (at most 0.95 a day);
- channel mix: a channel the treatment adds to the default's brings its own contacts (SMS: a
  reminder every 7th day overdue; letter: a notice from the 20th day overdue, at most one in 20
  days; visit: field visits from M2 at three times the usual rate); a channel it drops stops them
  (SMS reminders; letters; visits) except the first day's SMS;
- cure odds: a customer's daily chance of paying of their own accord is multiplied by
  `intensity ** CURE_ELASTICITY` (0.5: twice the contacts, about 41% better daily odds; half,
  about 29% worse).

The demo's own grade and cause (`book.risk`, `book.cause`) stand in for the warehouse's, which
grades from the same attributes with the settings' thresholds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np

from warehouse.config import SQL_DIR
from warehouse.demo.book import Book
from warehouse.demo.days import day_number

GRADES = ("low", "medium", "high")  # book.LOW, MEDIUM, HIGH
CAUSES = ("forgetful", "unable", "wilful")  # book.FORGETFUL, UNABLE, WILFUL
CHANNELS = ("call", "sms", "letter", "visit")
CURE_ELASTICITY = 0.5


@dataclass(frozen=True)
class Challenger:
    """A champion / challenger experiment as the bank runs it.

    `in_arm(account_id)` says whether an account is in the challenger arm (pass
    `warehouse.app.experiments.arm_of` with the experiment's seed and share); from `start` on its
    accounts are treated by `treatments`: rows like `settings.treatments` (risk_grade,
    delinquency_cause, channels, contacts_per_week), replacing the default of their cell."""

    start: date
    in_arm: Callable[[str], bool]
    treatments: Sequence[Mapping[str, object]]


def default_rows() -> list[dict[str, object]]:
    """The default rows of settings.treatments, read from its SQL file (the one copy)."""
    con = duckdb.connect()
    try:
        con.execute("CREATE SCHEMA settings")
        con.execute((SQL_DIR / "settings" / "treatments.sql").read_text(encoding="utf-8"))
        cursor = con.execute(
            "SELECT risk_grade, delinquency_cause, channels, contacts_per_week "
            "FROM settings.treatments"
        )
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


def _cells(rows: Sequence[Mapping[str, object]], base: np.ndarray | None = None) -> np.ndarray:
    """(grade, cause, 1 + channel) -> contacts per week and whether each channel is used."""
    cells = np.zeros((3, 3, 1 + len(CHANNELS))) if base is None else base.copy()
    for row in rows:
        g = GRADES.index(str(row["risk_grade"]))
        c = CAUSES.index(str(row["delinquency_cause"]))
        used = {part.strip() for part in str(row["channels"]).split(",")}
        cells[g, c, 0] = float(str(row["contacts_per_week"]))
        cells[g, c, 1:] = [channel in used for channel in CHANNELS]
    return cells


class TreatmentsInForce:
    """Per account and day: the intensity and channels of the treatment in force, relative to
    the default treatment of the account's cell."""

    def __init__(self, book: Book, challenger: Challenger | None = None) -> None:
        self.book = book
        self.default = _cells(default_rows())
        self.challenger = challenger
        self.trial = (
            self.default if challenger is None else _cells(challenger.treatments, self.default)
        )
        self.start = day_number(challenger.start) if challenger is not None else None
        self._arm = np.zeros(0, dtype=bool)

    def _in_arm(self, idx: np.ndarray) -> np.ndarray:
        if self.challenger is None:
            return np.zeros(len(idx), dtype=bool)
        n = self.book.n
        if len(self._arm) < n:  # accounts opened since: their arms, once
            in_arm = self.challenger.in_arm
            more = [in_arm(f"A{i + 1:09d}") for i in range(len(self._arm), n)]
            self._arm = np.concatenate([self._arm, np.array(more, dtype=bool)])
        return self._arm[idx]

    def _cells(self, idx: np.ndarray, t: int) -> tuple[np.ndarray, np.ndarray]:
        grade, cause = self.book.risk[idx], self.book.cause[idx]
        default = self.default[grade, cause]
        if self.start is None or t < self.start:
            return default, default
        trial = np.where(self._in_arm(idx)[:, None], self.trial[grade, cause], default)
        return default, trial

    def intensity(self, idx: np.ndarray, t: int) -> np.ndarray:
        """Contacts per week in force over the default's (1 without an experiment)."""
        default, in_force = self._cells(idx, t)
        return in_force[:, 0] / np.maximum(default[:, 0], 1)

    def channel(self, idx: np.ndarray, t: int, channel: str) -> tuple[np.ndarray, np.ndarray]:
        """(added, dropped): the treatment in force uses the channel and the default does not,
        or the other way round."""
        default, in_force = self._cells(idx, t)
        k = 1 + CHANNELS.index(channel)
        return (in_force[:, k] > 0) & (default[:, k] == 0), (in_force[:, k] == 0) & (
            default[:, k] > 0
        )

    def cure_factor(self, idx: np.ndarray, t: int) -> np.ndarray:
        return self.intensity(idx, t) ** CURE_ELASTICITY
