"""Collectors, their teams and the outside agencies: who works which account.

The staff is sized from the opening book's delinquent accounts (about one collector per 150).
M1 accounts are split between two early teams, M2-M3 go to the mid team, and M4+ accounts are
mostly placed with two or three outside agencies (one in five stays with the in-house late team).
An account keeps its collector while it stays in a bucket. Now and then a collector leaves and is
replaced; the change is sent in the month-end agents file.
"""

from __future__ import annotations

import numpy as np

from warehouse.demo import people
from warehouse.demo.book import Book

TEAMS = ("M1 Early A", "M1 Early B", "M2-M3 Mid", "M4+ Late", "Supervisors")
M1A, M1B, MID, LATE, SUPERVISORS = range(5)
IN_HOUSE = "in_house"
AGENCY_NAMES = ("Huaxin Recovery", "Jinan Credit Services", "Pearl River Collections")


class Staff:
    """The agents as parallel lists (agent_id = row + 1) and, per team, the active ones."""

    def __init__(self, book: Book, opening: np.random.Generator, month: np.random.Generator):
        self.book = book
        self.rng_month = month
        delinquent = int((book.dpd[: book.n0] > 0).sum())
        total = max(12, int(round(delinquent / 150)))
        n_agencies = 2 if total < 60 else 3
        sup = max(2, round(0.05 * total))
        late = max(1, round(0.07 * total))
        per_agency = max(2, round(0.18 * total / n_agencies))
        mid = max(2, round(0.20 * total))
        rest = max(4, total - sup - late - per_agency * n_agencies - mid)
        teams = (
            [M1A] * (rest - rest // 2)
            + [M1B] * (rest // 2)
            + [MID] * mid
            + [LATE] * late
            + [LATE] * (per_agency * n_agencies)
            + [SUPERVISORS] * sup
        )
        agency = (
            [0] * (rest + mid + late)
            + [a + 1 for a in range(n_agencies) for _ in range(per_agency)]
            + [0] * sup
        )
        self.n_agencies = n_agencies
        self.team = list(teams)
        self.agency = list(agency)  # 0 in house, else 1 + the index in AGENCY_NAMES
        self.active = [True] * len(teams)
        self.names = list(people.names(opening, len(teams))[0].to_list())
        self.changed: list[int] = []  # rows to send in the next agents file
        self.departures = 0
        self.refresh_pools()

    def _hire(self, team: int, agency: int) -> None:
        self.team.append(team)
        self.agency.append(agency)
        self.active.append(True)
        self.names.append(people.names(self.rng_month, 1)[0][0])
        self.changed.append(len(self.team) - 1)

    def refresh_pools(self) -> None:
        """Each team's active agents (a team with none left keeps its inactive ones)."""
        team = np.array(self.team)
        agency = np.array(self.agency)
        active = np.array(self.active)

        def pool(mask: np.ndarray) -> np.ndarray:
            found = np.flatnonzero(mask & active)
            return found if found.size else np.flatnonzero(mask)

        self.pool = {
            M1A: pool(team == M1A),
            M1B: pool(team == M1B),
            MID: pool(team == MID),
            LATE: pool((team == LATE) & (agency == 0)),
            SUPERVISORS: pool(team == SUPERVISORS),
        }
        self.agency_pool = [
            pool((team == LATE) & (agency == a + 1)) for a in range(self.n_agencies)
        ]

    def collector_for(self, idx: np.ndarray, bucket: np.ndarray) -> np.ndarray:
        """The collector who works each account at its bucket (stable within a bucket)."""
        h = self.book.hash[idx]
        out = np.full(len(idx), -1, dtype=np.int64)
        m1 = bucket == 1
        side = h % 2 == 0
        for team, mask in ((M1A, m1 & side), (M1B, m1 & ~side)):
            p = self.pool[team]
            out[mask] = p[(h[mask] // 2) % len(p)]
        mid = (bucket == 2) | (bucket == 3)
        p = self.pool[MID]
        out[mid] = p[(h[mid] // 7) % len(p)]
        late = bucket >= 4
        in_house = late & (h % 5 == 0)
        p = self.pool[LATE]
        out[in_house] = p[(h[in_house] // 11) % len(p)]
        placed = late & ~in_house
        which = (h // 5) % self.n_agencies
        for a in range(self.n_agencies):
            mask = placed & (which == a)
            p = self.agency_pool[a]
            out[mask] = p[(h[mask] // 11) % len(p)]
        return out

    def is_agency(self, agents: np.ndarray) -> np.ndarray:
        """Whether each agent works for an outside agency."""
        return np.array(self.agency)[agents] > 0

    def month_end(self, month_index: int) -> list[int]:
        """Turnover at a month end: about 2% of collectors leave and are replaced (one at the
        third month end at the latest, so every bank has a change to send). Returns the rows the
        agents file must carry (empty when nobody changed)."""
        rng = self.rng_month
        collectors = [
            i for i, team in enumerate(self.team) if team != SUPERVISORS and self.active[i]
        ]
        leave = [i for i in collectors if rng.random() < 0.02]
        if not leave and self.departures == 0 and month_index == 2 and collectors:
            leave = [collectors[int(rng.integers(0, len(collectors)))]]
        for i in leave:
            self.active[i] = False
            self.changed.append(i)
            self._hire(self.team[i], self.agency[i])
        self.departures += len(leave)
        rows, self.changed = self.changed, []
        if rows:
            self.refresh_pools()
        return rows
