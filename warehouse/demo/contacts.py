"""The collections procedure's contacts: who is texted, called, written to or visited each day.

Every delinquent account is worked every day, in this order (the order of the random draws):

- an SMS on the first day overdue, then reminders on working days;
- calls on working days, the more often the later the bucket (M4+ mostly by outside agencies);
  a session of one to four redials to the debtor's mobile or, from M2, an emergency contact; the
  last attempt of a session may connect, at a rate that depends on the hour; a right-party
  contact may end in a promise to pay (`promises.py`), a refusal, a dispute or a call-back;
- IVR reminders for early accounts not called that day;
- a formal letter in M2 and at the start of each late cycle;
- now and then a field visit to a late account.

How hard an account is worked follows the treatment in force (`treatments.py`): the call
chance is scaled by its contacts per week against the default's, and SMS reminders, letters and
visits follow the channels it adds or drops.

A small share of contacts breaks a rule (a bank's dialer mostly keeps to them; `bank.py` gives
the rates): calls outside the bank's hours, a few before 08:00 and after 22:00, calls on holidays
and ordinary weekends, sessions of seven or eight attempts to one number, emergency contacts
called without the customer's authorisation, do-not-contact accounts still worked. Debtors
abroad are called in their own local hours (`TZ_SHIFT`). Agents' notes are short texts by outcome; a
few carry a phone number typed into them, which the loader must scrub.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from warehouse.demo.book import HIGH, Book
from warehouse.demo.codes import (
    BUSY,
    CALL,
    CALLBACK,
    DEBTOR,
    DISPUTE,
    FROZEN,
    IVR,
    LETTER,
    LETTER_SENT,
    NO_ANSWER,
    NONE,
    OUTCOMES,
    PTP,
    REFUSED,
    RIGHT_PARTY,
    SMS,
    SMS_DELIVERED,
    SMS_FAILED,
    THIRD,
    THIRD_PARTY,
    UNKNOWN,
    VISIT,
    VISIT_DONE,
    VOICEMAIL,
    WRONG_NUMBER,
)
from warehouse.demo.days import DAY
from warehouse.demo.draws import choice
from warehouse.demo.promises import Promises
from warehouse.demo.rates import Rates
from warehouse.demo.staff import LATE, MID, Staff
from warehouse.demo.treatments import TreatmentsInForce

NOTES: dict[int, list[str]] = {
    PTP: [
        "will pay by the promised date",
        "forgot the due date, paying this week",
        "salary comes on the 15th, will pay then",
        "will transfer from another bank account",
    ],
    RIGHT_PARTY: [
        "verified identity, explained the arrears",
        "income reduced, asked about instalments",
        "lost job, looking for work",
        "medical bills this month, will call back with a date",
    ],
    REFUSED: [
        "refuses to pay",
        "says the fees are unfair and refuses",
        "hung up after verification",
    ],
    DISPUTE: [
        "disputes a transaction",
        "disputes the late fee",
        "says the payment was already made",
    ],
    CALLBACK: ["asked to call back later", "in a meeting, call back after 3pm"],
    THIRD_PARTY: ["left a message with the contact", "contact will pass on the message"],
    WRONG_NUMBER: ["number no longer belongs to the customer"],
    VISIT_DONE: ["visited billing address", "visited, left a notice at the door"],
}
NOTE_WITH_NUMBER = "customer gave a new number 139"


def _index_notes() -> tuple[list[str], np.ndarray, np.ndarray]:
    """All note texts in one list, and per outcome code where its texts start and how many."""
    texts: list[str] = []
    offset = np.full(len(OUTCOMES), -1, dtype=np.int64)
    count = np.zeros(len(OUTCOMES), dtype=np.int64)
    for code in sorted(NOTES):
        offset[code] = len(texts)
        count[code] = len(NOTES[code])
        texts.extend(NOTES[code])
    return texts, offset, count


NOTE_TEXTS, NOTE_OFFSET, NOTE_COUNT = _index_notes()

# Call-session start slots: (start, end) seconds of day, weight for in-house and agency staff.
# Nearly every session starts inside the bank's calling hours (09-12, 14-18); about 1% of
# in-house and 2% of agency sessions start outside them (mostly the early evening), and about
# one in a thousand before 08:00 or after 22:00, which also breaks the China rule.
CALL_SLOTS = np.array(
    [
        [7 * 3600, 8 * 3600, 0.04, 0.06],  # before 08:00: breaks the China rule
        [8 * 3600, 9 * 3600, 0.15, 0.3],
        [9 * 3600, 12 * 3600, 45.0, 38.0],
        [12 * 3600, 14 * 3600, 0.25, 0.5],
        [14 * 3600, 18 * 3600, 50.0, 41.5],
        [18 * 3600, 21 * 3600, 0.45, 0.7],
        [21 * 3600, 22 * 3600, 0.05, 0.1],
        [22 * 3600, 23 * 3600 + 1800, 0.04, 0.06],  # after 22:00: breaks the China rule
    ]
)
# Chance that someone answers, by hour of day (better 09-11 and 19-20, worse at midday).
# fmt: off
CONNECT_BY_HOUR = np.array(
    [
        0.15, 0.1, 0.1, 0.1, 0.1, 0.1, 0.15, 0.22, 0.3, 0.42, 0.43, 0.38,
        0.24, 0.25, 0.31, 0.31, 0.32, 0.33, 0.37, 0.46, 0.45, 0.33, 0.26, 0.2,
    ]
)
# fmt: on
# An unanswered call: no answer, busy, voicemail (wrong numbers need someone to answer).
UNANSWERED = np.array([NO_ANSWER, BUSY, WRONG_NUMBER, VOICEMAIL])
UNANSWERED_P = np.array([0.65, 0.15, 0.0, 0.20])

# The dialer works a debtor abroad in their own hours: seconds added to a contact's bank time,
# by book.tz ("", America/Los_Angeles, Europe/London; standard time, so summer hours shift by
# an hour, still inside the windows). Los Angeles's morning is the small hours in Shanghai.
TZ_SHIFT = np.array([0, -8 * 3600, 8 * 3600])

_COLUMNS = ("acct", "secs", "chan", "agent", "dur", "number", "party", "rel", "outcome", "j")


class _Attempts:
    """The day's attempts, channel by channel, as parallel arrays (-1 = none)."""

    def __init__(self) -> None:
        self.parts: list[dict[str, np.ndarray]] = []

    def add(
        self,
        acct: np.ndarray,
        secs: np.ndarray,
        chan: int,
        agent: np.ndarray,
        dur: np.ndarray,
        number: np.ndarray,
        party: np.ndarray,
        rel: np.ndarray,
        outcome: np.ndarray,
        j: np.ndarray | None = None,
    ) -> None:
        """`j` numbers a call session's redials (0 for every other attempt)."""
        k = len(acct)
        self.parts.append(
            {
                "acct": acct,
                "secs": secs.astype(np.int64),
                "chan": np.full(k, chan),
                "agent": agent,
                "dur": dur,
                "number": number,
                "party": party,
                "rel": rel,
                "outcome": outcome,
                "j": np.zeros(k, np.int64) if j is None else j,
            }
        )

    def in_time_order(self) -> dict[str, np.ndarray]:
        """All attempts, sorted by time, account and redial."""
        if self.parts:
            cols = {
                key: np.concatenate([np.asarray(p[key]) for p in self.parts]) for key in _COLUMNS
            }
        else:
            cols = {key: np.zeros(0, dtype=np.int64) for key in _COLUMNS}
        order = np.lexsort((cols["j"], cols["acct"], cols["secs"]))
        return {key: v[order] for key, v in cols.items()}


@dataclass(frozen=True)
class _Worklist:
    """The delinquent accounts of one day and what the procedure needs to know about them."""

    t: int
    working: bool
    act: np.ndarray  # the accounts
    dpd: np.ndarray
    bucket: np.ndarray
    dnc_ok: np.ndarray  # may be contacted (do-not-contact accounts leak through now and then)


class Procedure:
    """Works the delinquent book each day; attempts are numbered in time order (attempt_id)."""

    def __init__(
        self,
        book: Book,
        rates: Rates,
        staff: Staff,
        promises: Promises,
        rng: np.random.Generator,
        treatments: TreatmentsInForce,
    ) -> None:
        self.book = book
        self.treatments = treatments
        self.R = rates
        self.staff = staff
        self.promises = promises
        self.rng = rng
        self.serial = 1  # the next attempt_id

    def work(self, t: int, working: bool) -> tuple[pl.DataFrame, pl.DataFrame]:
        """The day's contacts and the promises taken in them (raw rows of both files)."""
        book, rng = self.book, self.rng
        act = np.flatnonzero((book.dpd > 0) & (book.status <= FROZEN))
        dpd = book.dpd[act]
        dnc_ok = ~book.dnc[act] | (rng.random(len(act)) < self.R.dnc_leak)
        day = _Worklist(t, working, act, dpd, (dpd + 29) // 30, dnc_ok)
        attempts = _Attempts()
        self._texts(day, attempts)
        called = self._calls(day, attempts)
        self._ivr(day, attempts, called)
        self._letters(day, attempts)
        self._visits(day, attempts)

        cols = attempts.in_time_order()
        local = cols["secs"] - t * DAY + TZ_SHIFT[book.tz[cols["acct"]]]
        cols["secs"] = t * DAY + np.clip(local, 0, DAY - 1)
        order = np.lexsort((cols["j"], cols["acct"], cols["secs"]))
        cols = {key: v[order] for key, v in cols.items()}
        m = len(cols["acct"])
        serial = self.serial + np.arange(m, dtype=np.int64)
        self.serial += m
        outcome = cols["outcome"].astype(np.int64)
        note, note_number = self._notes(outcome)
        contacts = pl.DataFrame(
            {
                "serial": serial,
                "acct": cols["acct"] + 1,
                "agent": np.where(cols["agent"] < 0, -1, cols["agent"] + 1),
                "chan": cols["chan"].astype(np.int64),
                "secs": cols["secs"],
                "iso": rng.random(m) < 0.02,
                "dur": cols["dur"].astype(np.int64),
                "number": cols["number"].astype(np.int64),
                "party": cols["party"].astype(np.int64),
                "rel": cols["rel"].astype(np.int64),
                "outcome": outcome,
                "note": note,
                "note_number": note_number,
            }
        )
        promises = self.promises.take(t, cols, serial, outcome)
        return contacts, promises

    def _texts(self, day: _Worklist, attempts: _Attempts) -> None:
        """SMS: the first day overdue always, then reminders on working days."""
        rng, t, dpd, bucket = self.rng, day.t, day.dpd, day.bucket
        reminder = ((bucket == 1) & np.isin(dpd, (7, 15, 25))) | ((bucket >= 2) & (dpd % 10 == 5))
        # The treatment in force: an SMS it adds reminds every 7th day; one it drops, never.
        added, dropped = self.treatments.channel(day.act, t, "sms")
        reminder = (reminder | (added & (dpd % 7 == 0))) & ~dropped
        sms = ((dpd == 1) | (day.working & reminder)) & day.dnc_ok
        s_idx = day.act[sms]
        k = len(s_idx)
        if k:
            failed = rng.random(k) < 0.04
            attempts.add(
                s_idx,
                t * DAY + rng.integers(9 * 3600, 10 * 3600 + 1800, k),
                SMS,
                np.full(k, -1),
                np.full(k, -1),
                self.book.mobile[s_idx],
                np.full(k, NONE),
                np.full(k, -1),
                np.where(failed, SMS_FAILED, SMS_DELIVERED),
            )

    def _calls(self, day: _Worklist, attempts: _Attempts) -> np.ndarray:
        """Call sessions; returns which accounts were called today."""
        R, rng, book, t, act, bucket = self.R, self.rng, self.book, day.t, day.act, day.bucket
        p = np.array(R.call_p)[bucket]
        p = np.where(day.dpd <= 3, R.call_p_first_days, p)
        p = np.where(book.risk[act] == HIGH, np.minimum(p * 1.15, 0.95), p)
        p = np.where(book.prom_until[act] >= t, p * 0.15, p)
        p = np.minimum(p * self.treatments.intensity(act, t), 0.95)  # the treatment's intensity
        if not day.working:
            p = p * R.off_day_calls
        called = (rng.random(len(act)) < p) & day.dnc_ok
        c_idx, c_b = act[called], bucket[called]
        ns = len(c_idx)
        if not ns:
            return called
        sessions = rng.choice(4, ns, p=[0.62, 0.24, 0.10, 0.04]) + 1
        over = rng.random(ns) < R.over_cap
        sessions = np.where(over, rng.integers(7, 9, ns), sessions)
        agent = self.staff.collector_for(c_idx, c_b)
        is_agency = self.staff.is_agency(agent)
        weights = np.where(is_agency[:, None], CALL_SLOTS[None, :, 3], CALL_SLOTS[None, :, 2])
        slot = choice(rng, weights, ns)
        lo, hi = CALL_SLOTS[slot, 0], CALL_SLOTS[slot, 1]
        gap = rng.integers(900, 2700, ns)
        # A session's redials stay inside the slot it started in.
        room = np.maximum(hi - lo - (np.minimum(sessions, 4) - 1) * gap, 60)
        start = (lo + rng.random(ns) * room).astype(np.int64)
        tpa = book.tpa[c_idx]
        to_tp = (c_b >= 2) & np.where(
            tpa, rng.random(ns) < 0.15, rng.random(ns) < R.tp_unauthorised
        )
        which = rng.integers(0, 2, ns)
        number = np.where(to_tp, book.ec_num[c_idx, which], book.mobile[c_idx])
        rel = np.where(to_tp, book.ec_rel[c_idx, which], -1)
        rep = np.repeat(np.arange(ns), sessions)
        j = np.arange(len(rep)) - np.repeat(np.cumsum(sessions) - sessions, sessions)
        last = j == sessions[rep] - 1
        secs = np.minimum(start[rep] + j * gap[rep], DAY - 1)
        m = len(rep)
        outcome = UNANSWERED[choice(rng, UNANSWERED_P, m)]
        party = np.full(m, NONE)
        a_rel = np.full(m, -1)
        hour = secs // 3600
        cause = book.cause[c_idx][rep]
        pc = CONNECT_BY_HOUR[hour] * np.array([0, 1.0, 0.85, 0.85, 0.7, 0.7, 0.7])[c_b[rep]]
        pc = pc * np.array([1.0, 0.95, 0.75])[cause]
        connect = last & ~over[rep] & (rng.random(m) < pc)
        tp = to_tp[rep]
        u = rng.random(m)
        # Emergency contact reached.
        tpc = connect & tp
        outcome = np.where(
            tpc, np.where(u < 0.85, THIRD_PARTY, np.where(u < 0.95, CALLBACK, REFUSED)), outcome
        )
        party = np.where(tpc, THIRD, party)
        a_rel = np.where(tpc, rel[rep], a_rel)
        # Debtor's own number answered: mostly the debtor, sometimes someone else.
        own = connect & ~tp
        unknown = own & (rng.random(m) < 0.1)
        outcome = np.where(unknown, np.where(u < 0.5, WRONG_NUMBER, CALLBACK), outcome)
        party = np.where(unknown, UNKNOWN, party)
        rpc = own & ~unknown
        b_factor = np.array([0, 1.0, 0.85, 0.85, 0.6, 0.6, 0.6])[c_b[rep]]
        p_ptp = np.array(R.promise_given)[cause] * b_factor
        p_ref = np.array([0.05, 0.10, 0.35])[cause]
        v = rng.random(m)
        rpc_out = np.where(
            v < p_ptp,
            PTP,
            np.where(
                v < p_ptp + p_ref,
                REFUSED,
                np.where(
                    v < p_ptp + p_ref + 0.03,
                    DISPUTE,
                    np.where(v < p_ptp + p_ref + 0.15, CALLBACK, RIGHT_PARTY),
                ),
            ),
        )
        outcome = np.where(rpc, rpc_out, outcome)
        party = np.where(rpc, DEBTOR, party)
        dur = np.zeros(m, dtype=np.int64)
        ln = rng.lognormal(0, 0.45, m)
        dur = np.where(outcome == VOICEMAIL, rng.integers(15, 45, m), dur)
        dur = np.where(outcome == WRONG_NUMBER, rng.integers(8, 40, m), dur)
        dur = np.where(outcome == CALLBACK, (40 * ln).astype(np.int64) + 10, dur)
        dur = np.where(outcome == THIRD_PARTY, (80 * ln).astype(np.int64) + 20, dur)
        dur = np.where(
            np.isin(outcome, (RIGHT_PARTY, REFUSED, DISPUTE)),
            (170 * ln).astype(np.int64) + 30,
            dur,
        )
        dur = np.where(outcome == PTP, (260 * ln).astype(np.int64) + 90, dur)
        attempts.add(
            c_idx[rep], t * DAY + secs, CALL, agent[rep], dur, number[rep], party, a_rel, outcome, j
        )
        return called

    def _ivr(self, day: _Worklist, attempts: _Attempts, called: np.ndarray) -> None:
        """IVR reminders for early accounts not called today."""
        rng, t = self.rng, day.t
        chance = rng.random(len(day.act)) < self.R.ivr_p
        ivr = day.working & (day.bucket == 1) & ~called & day.dnc_ok & chance & (day.dpd > 3)
        i_idx = day.act[ivr]
        k = len(i_idx)
        if k:
            conn = rng.random(k) < 0.35
            out = np.where(conn, np.where(rng.random(k) < 0.7, RIGHT_PARTY, CALLBACK), NO_ANSWER)
            attempts.add(
                i_idx,
                t * DAY + rng.integers(10 * 3600, 11 * 3600 + 1800, k),
                IVR,
                np.full(k, -1),
                np.where(conn, rng.integers(25, 90, k), 0),
                self.book.mobile[i_idx],
                np.where(conn, DEBTOR, NONE),
                np.full(k, -1),
                out,
            )

    def _letters(self, day: _Worklist, attempts: _Attempts) -> None:
        """A formal notice in M2, and at the start of each late cycle (at most one in 20 days)."""
        rng, book, t, dpd, bucket = self.rng, self.book, day.t, day.dpd, day.bucket
        letter_due = ((bucket == 2) & (dpd >= 35) & (dpd <= 41)) | (
            (dpd >= 95) & ((dpd - 95) % 30 <= 6)
        )
        added, dropped = self.treatments.channel(day.act, t, "letter")
        letter_due = (letter_due | (added & (dpd >= 20))) & ~dropped
        letter = day.working & letter_due & day.dnc_ok & (book.last_letter[day.act] < t - 20)
        l_idx = day.act[letter]
        k = len(l_idx)
        if k:
            book.last_letter[l_idx] = t
            lb = bucket[letter]
            team = np.where(lb >= 4, LATE, MID)  # (an early letter the treatment adds: Mid)
            pool_late, pool_mid = self.staff.pool[LATE], self.staff.pool[MID]
            h = book.hash[l_idx]
            agent = np.where(
                team == LATE, pool_late[h % len(pool_late)], pool_mid[h % len(pool_mid)]
            )
            attempts.add(
                l_idx,
                t * DAY + rng.integers(10 * 3600, 16 * 3600, k),
                LETTER,
                agent,
                np.full(k, -1),
                np.full(k, -1),
                np.full(k, NONE),
                np.full(k, -1),
                np.full(k, LETTER_SENT),
            )

    def _visits(self, day: _Worklist, attempts: _Attempts) -> None:
        """Field visits for late accounts: the debtor met, or an authorised contact, or nobody."""
        rng, book, t = self.rng, self.book, day.t
        added, dropped = self.treatments.channel(day.act, t, "visit")
        visit = (
            day.working
            & (((day.bucket >= 4) & ~dropped) | (added & (day.bucket >= 2)))
            & day.dnc_ok
            & (rng.random(len(day.act)) < np.where(added, 3 * self.R.visit_p, self.R.visit_p))
        )
        v_idx = day.act[visit]
        k = len(v_idx)
        if k:
            agent = self.staff.collector_for(v_idx, day.bucket[visit])
            u = rng.random(k)
            tpa = book.tpa[v_idx]
            vparty = np.where(u < 0.5, DEBTOR, np.where((u < 0.7) & tpa, THIRD, NONE))
            vrel = np.where(vparty == THIRD, book.ec_rel[v_idx, 0], -1)
            attempts.add(
                v_idx,
                t * DAY + rng.integers(10 * 3600, 17 * 3600, k),
                VISIT,
                agent,
                rng.integers(600, 2400, k),
                np.full(k, -1),
                vparty,
                vrel,
                np.full(k, VISIT_DONE),
            )

    def _notes(self, outcome: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Index into `NOTE_TEXTS` per attempt (-1 none), and now and then a phone number an agent
        typed into the notes (the loader must scrub it)."""
        rng = self.rng
        m = len(outcome)
        has = (NOTE_OFFSET[outcome] >= 0) & (rng.random(m) < 0.5)
        count = np.maximum(NOTE_COUNT[outcome], 1)
        pick = NOTE_OFFSET[outcome] + (rng.random(m) * count).astype(np.int64)
        number = np.where(has & (rng.random(m) < 0.005), rng.integers(0, 10**8, m), -1)
        return np.where(has, pick, -1), number
