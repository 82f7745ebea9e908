"""A synthetic card bank: a day-by-day simulation that drops the extracts CONTRACT.md describes.

The bank is a set of numpy state arrays, one slot per account (accounts that open later have their
slot from the start and are switched on on their open date). Each calendar day runs the same steps,
all vectorised over accounts, and writes that day's files before the next day starts, so memory
stays flat however long the run:

1. accounts opened today go live;
2. delinquent accounts age one day (a new cycle's interest and late fee every 30 days; the card is
   frozen at 61 days; charge-off at 180);
3. accounts whose statement fell due yesterday unpaid become 1 day past due;
4. repayment plans are proposed, approved, re-age the account on their first payment, collect
   instalments, complete or break;
5. statements cut for accounts whose statement day it is (spend, interest, minimum due, due date
   20 days later) and each account's response is drawn: pay in full, revolve, pay the minimum,
   underpay or miss; a few payments are later reversed;
6. the collections procedure works the delinquent book: an SMS on the first day overdue, calls
   on working days (more often the later the bucket, M4+ by outside agencies), IVR, letters and
   visits; calls reach the debtor or an emergency contact at hour-dependent rates; right-party
   contacts yield promises to pay that are later kept, partly kept or broken;
7. money arrives: scheduled statement payments, promised payments, spontaneous cures and partial
   cures (days past due fall by 30 per cycle paid), payoffs of closing accounts, recoveries on
   charged-off accounts;
8. the day's files are written; at a month end also the full snapshot, new and changed accounts,
   changed plans and (when staff changed) agents.

A small share of contacts breaks a rule on purpose (late-night or early calls, calls on holidays and
weekends, more than six attempts a day to one number, unauthorised third parties, do-not-contact
accounts), so the compliance views have something to find.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from warehouse.demo.book import HIGH, TIMEZONES, Book
from warehouse.demo.codes import (
    CALL,
    CALLBACK,
    CHARGED_OFF,
    CLOSED,
    CONTACT_CHANNELS,
    DEBTOR,
    DISPUTE,
    EMPLOYMENT,
    FROZEN,
    IVR,
    LETTER,
    LETTER_SENT,
    NO_ANSWER,
    NONE,
    NOT_OPEN,
    OUTCOMES,
    PARTIES,
    PAY_CHANNELS,
    PLAN_STATUS,
    PLAN_TYPES,
    PTP,
    REFUSED,
    RELATIONS,
    RIGHT_PARTY,
    ROLES,
    SMS,
    SMS_DELIVERED,
    SMS_FAILED,
    STATUS,
    THIRD,
    THIRD_PARTY,
    UNKNOWN,
    VISIT,
    VISIT_DONE,
    VOICEMAIL,
    WRONG_NUMBER,
)
from warehouse.demo.columns import (
    epoch_date,
    identifier,
    label,
    labels_of,
    number_text,
    unless_negative,
    wall_time,
    yuan,
)
from warehouse.demo.days import DAY, add_months, day_date, day_number, month_end
from warehouse.demo.draws import choice, uniform_int
from warehouse.demo.files import ISO_OFFSET_FORMAT, TIMESTAMP_FORMAT, ExtractWriter
from warehouse.demo.holidays_cn import CHINA_CALENDAR, covered_years, is_working_day
from warehouse.demo.ledger import PaymentLedger
from warehouse.demo.payments import Payments
from warehouse.demo.plans import Plans
from warehouse.demo.rates import Rates
from warehouse.demo.staff import AGENCY_NAMES, IN_HOUSE, LATE, MID, SUPERVISORS, TEAMS, Staff
from warehouse.demo.statements import Statements, open_positions

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


# Call-session start slots: (start, end) seconds of day, weight for in-house and agency staff.
CALL_SLOTS = np.array(
    [
        [7 * 3600, 8 * 3600, 0.35, 0.5],  # before 08:00: breaks the China rule
        [8 * 3600, 9 * 3600, 0.6, 1.0],
        [9 * 3600, 12 * 3600, 45.0, 38.0],
        [12 * 3600, 14 * 3600, 0.9, 2.5],
        [14 * 3600, 18 * 3600, 50.0, 41.5],
        [18 * 3600, 21 * 3600, 2.2, 14.0],
        [21 * 3600, 22 * 3600, 0.3, 1.0],
        [22 * 3600, 23 * 3600 + 1800, 0.35, 0.5],  # after 22:00: breaks the China rule
    ]
)
# Chance that someone answers, by hour of day (better 09-11 and 19-20, worse at midday).
CONNECT_BY_HOUR = np.array(
    [
        0.15,
        0.1,
        0.1,
        0.1,
        0.1,
        0.1,
        0.15,
        0.22,
        0.3,
        0.42,
        0.43,
        0.38,
        0.24,
        0.25,
        0.31,
        0.31,
        0.32,
        0.33,
        0.37,
        0.46,
        0.45,
        0.33,
        0.26,
        0.2,
    ]
)


@dataclass
class GenerateSummary:
    """What `generate_bank` wrote."""

    files: int
    rows_by_extract: dict[str, int]
    first_date: date
    last_date: date
    out_dir: Path
    warnings: list[str] = field(default_factory=list)


def generate_bank(
    out_dir: Path,
    *,
    accounts: int = 5000,
    months: int = 24,
    seed: int = 7,
    start: date = date(2024, 11, 1),
    file_format: str = "csv",
    progress: Callable[[str, int, int], None] | None = None,
) -> GenerateSummary:
    """Simulate a card bank for `months` calendar months from `start` and write its extracts.

    `accounts` is the opening book; about 1.1% of that opens again every month. Files are
    `<extract>_<YYYYMMDD>.<file_format>` in `out_dir`; the same arguments give identical bytes.
    `progress(stage, done, total)` is called once before the first month and after each month.
    """
    if accounts < 1:
        raise ValueError("accounts must be at least 1")
    if months < 1:
        raise ValueError("months must be at least 1")
    writer = ExtractWriter(Path(out_dir), file_format)
    bank = _Bank(accounts, months, seed, start, writer)
    notes = bank.run(progress)
    return GenerateSummary(
        files=writer.files,
        rows_by_extract=dict(writer.rows),
        first_date=bank.first,
        last_date=bank.last,
        out_dir=Path(out_dir),
        warnings=notes,
    )


def _select_exprs(file_format: str, note_texts: list[str]) -> dict[str, list[pl.Expr]]:
    """The one query per extract that turns a day's raw columns into contract columns (built once,
    reused every day)."""
    started = pl.from_epoch(pl.col("secs"), time_unit="s")
    if file_format != "parquet":
        # Real dialers mix formats: a few rows carry an explicit offset.
        started = (
            pl.when(pl.col("iso"))
            .then(started.dt.strftime(ISO_OFFSET_FORMAT))
            .otherwise(started.dt.strftime(TIMESTAMP_FORMAT))
        )
    return {
        "payments": [
            identifier("serial", "PY", 12).alias("payment_id"),
            identifier("acct", "A", 9).alias("account_id"),
            wall_time("secs").alias("paid_at"),
            yuan("amount").alias("amount"),
            label("chan", PAY_CHANNELS).alias("channel"),
            (pl.col("reverses") >= 0).alias("is_reversal"),
            identifier("reverses", "PY", 12).alias("reverses_payment_id"),
        ],
        "contacts": [
            identifier("serial", "CT", 12).alias("attempt_id"),
            identifier("acct", "A", 9).alias("account_id"),
            identifier("agent", "AG", 5).alias("agent_id"),
            label("chan", CONTACT_CHANNELS).alias("channel"),
            started.alias("started_at"),
            unless_negative("dur").alias("duration_s"),
            number_text("number").alias("contact_number"),
            label("party", PARTIES).alias("party"),
            label("rel", RELATIONS).alias("third_party_relation"),
            label("outcome", OUTCOMES).alias("outcome"),
            pl.when(pl.col("note_number") >= 0)
            .then(pl.lit(NOTE_WITH_NUMBER) + pl.col("note_number").cast(pl.Utf8).str.zfill(8))
            .otherwise(label("note", note_texts))
            .alias("notes"),
        ],
        "promises": [
            identifier("serial", "PR", 10).alias("promise_id"),
            identifier("acct", "A", 9).alias("account_id"),
            identifier("attempt", "CT", 12).alias("attempt_id"),
            identifier("agent", "AG", 5).alias("agent_id"),
            wall_time("created").alias("created_at"),
            epoch_date("promised").alias("promised_date"),
            yuan("amount").alias("promised_amount"),
        ],
        "plans": [
            identifier("serial", "PL", 8).alias("plan_id"),
            identifier("acct", "A", 9).alias("account_id"),
            label("type", PLAN_TYPES).alias("plan_type"),
            wall_time("req").alias("requested_at"),
            identifier("approver", "AG", 5).alias("approved_by"),
            wall_time("appr").alias("approved_at"),
            epoch_date("start").alias("start_date"),
            unless_negative("n").alias("instalments"),
            pl.when(pl.col("amt") >= 0).then(yuan("amt")).alias("instalment_amount"),
            pl.when(pl.col("fee") >= 0).then(yuan("fee")).alias("fee"),
            label("status", PLAN_STATUS).alias("status"),
        ],
        "snapshots": [
            epoch_date("as_of").alias("as_of_date"),
            identifier("acct", "A", 9).alias("account_id"),
            pl.col("stmt").alias("statement_day"),
            epoch_date("due").alias("due_date"),
            yuan("balance").alias("balance"),
            yuan("min_due").alias("min_due"),
            yuan("ov_p").alias("overdue_principal"),
            yuan("ov_i").alias("overdue_interest"),
            yuan("ov_f").alias("overdue_fees"),
            pl.col("dpd").alias("days_past_due"),
            ((pl.col("dpd") + 29) // 30).alias("cycles_delinquent"),
            label("status", STATUS).alias("status"),
        ],
    }


class _Batches:
    """Daily raw rows queued per extract and formatted in one polars query per batch (a month, or
    fewer days when the rows pile up), then written one file per day. Small banks write about
    three thousand files: one query per file instead of two halves the fixed cost per file."""

    def __init__(
        self, writer: ExtractWriter, exprs: dict[str, list[pl.Expr]], max_rows: int = 300_000
    ) -> None:
        self.writer = writer
        self.exprs = exprs
        self.max_rows = max_rows
        self.queues: dict[str, list[tuple[date, pl.DataFrame]]] = {}
        self.rows = 0

    def add(self, extract: str, day: date, raw: pl.DataFrame) -> None:
        queue = self.queues.setdefault(extract, [])
        raw = raw.hstack([pl.Series("_k", np.full(raw.height, len(queue), dtype=np.int64))])
        queue.append((day, raw))
        self.rows += raw.height
        if self.rows >= self.max_rows:
            self.flush()

    def flush(self) -> None:
        for extract in sorted(self.queues):
            queue = self.queues[extract]
            if not queue:
                continue
            batch = pl.concat([raw for _, raw in queue], how="vertical_relaxed", rechunk=False)
            out = batch.select([*self.exprs[extract], pl.col("_k")])
            parts = out.partition_by("_k", maintain_order=True, include_key=False, as_dict=True)
            empty = out.drop("_k").clear()
            for k, (day, _) in enumerate(queue):
                self.writer.write(extract, day, parts.get((k,), empty))
        self.queues = {}
        self.rows = 0


class _Bank:
    def __init__(self, n0: int, months: int, seed: int, start: date, writer: ExtractWriter) -> None:
        self.R = Rates()
        self.writer = writer
        self.first = start
        self.last = month_end(add_months(date(start.year, start.month, 1), months - 1))
        self.t0, self.t_end = day_number(self.first), day_number(self.last)
        streams = np.random.SeedSequence(seed).spawn(6)
        (
            self.rng_init,
            self.rng_day,
            self.rng_contact,
            self.rng_pay,
            self.rng_month,
            self.rng_plan,
        ) = (np.random.default_rng(s) for s in streams)
        self.n0 = n0
        self.months = months
        self.attempt_serial = 1
        self.promise_serial = 1
        self.notes: list[str] = []
        self._check_calendar()
        self.book = Book(n0, months, start, self.R, self.rng_init)
        open_positions(self.book, self.R, self.rng_init)
        self.staff = Staff(self.book, self.rng_init, self.rng_month)
        self.ledger = PaymentLedger(self.book)
        self.plans = Plans(self.book, self.R, self.ledger, self.staff, self.rng_plan)
        self.statements = Statements(self.book, self.R, self.plans, self.rng_day)
        self.payments = Payments(
            self.book, self.R, self.ledger, self.plans, pay=self.rng_pay, day=self.rng_day
        )
        self.note_texts: list[str] = []
        self.note_offset = np.full(len(OUTCOMES), -1, dtype=np.int64)
        self.note_count = np.zeros(len(OUTCOMES), dtype=np.int64)
        for code in sorted(NOTES):
            self.note_offset[code] = len(self.note_texts)
            self.note_count[code] = len(NOTES[code])
            self.note_texts.extend(NOTES[code])
        self.exprs = _select_exprs(writer.file_format, self.note_texts)

    # ------------------------------------------------------------------ calendar
    def _check_calendar(self) -> None:
        years = sorted(set(range(self.first.year, self.last.year + 1)) - set(covered_years()))
        if years:
            message = (
                "China holiday calendar does not cover "
                + ", ".join(str(y) for y in years)
                + ": weekends only are treated as days off there"
            )
            warnings.warn(message, stacklevel=3)
            self.notes.append(message)
        n = self.t_end - self.t0 + 1
        days = [day_date(self.t0 + i) for i in range(n)]
        self.working = np.array([is_working_day(d) for d in days])

    # ------------------------------------------------------------------ accounts
    # ------------------------------------------------------------------ state
    # ------------------------------------------------------------------ agents
    def _agents_frame(self, rows: list[int]) -> pl.DataFrame:
        rows = sorted(set(rows))
        team = np.array(self.staff.team)[rows] if rows else np.zeros(0, dtype=np.int64)
        agency = np.array(self.staff.agency)[rows] if rows else np.zeros(0, dtype=np.int64)
        return pl.DataFrame(
            {
                "agent_id": pl.Series([f"AG{r + 1:05d}" for r in rows], dtype=pl.Utf8),
                "agent_name": pl.Series([self.staff.names[r] for r in rows], dtype=pl.Utf8),
                "team": labels_of(TEAMS, team),
                "agency": labels_of((IN_HOUSE, *AGENCY_NAMES), agency),
                "role": labels_of(ROLES, (team == SUPERVISORS).astype(np.int64)),
                "active": pl.Series([self.staff.active[r] for r in rows], dtype=pl.Boolean),
            }
        )

    # ------------------------------------------------------------------ statements
    # ------------------------------------------------------------------ delinquency
    # ------------------------------------------------------------------ payments
    # ------------------------------------------------------------------ contacts
    def _contacts(self, t: int) -> tuple[pl.DataFrame, pl.DataFrame]:
        R, rng = self.R, self.rng_contact
        working = bool(self.working[t - self.t0])
        act = np.flatnonzero((self.book.dpd > 0) & (self.book.status <= FROZEN))
        n = len(act)
        dpd = self.book.dpd[act]
        bucket = (dpd + 29) // 30
        dnc_ok = ~self.book.dnc[act] | (rng.random(n) < R.dnc_leak)
        parts: list[dict[str, np.ndarray]] = []

        def part(acct, secs, chan, agent, dur, number, party, rel, outcome, j=None):
            k = len(acct)
            parts.append(
                {
                    "acct": acct,
                    "secs": secs.astype(np.int64),
                    "chan": np.full(k, chan) if np.isscalar(chan) else chan,
                    "agent": agent,
                    "dur": dur,
                    "number": number,
                    "party": party,
                    "rel": rel,
                    "outcome": outcome,
                    "j": np.zeros(k, np.int64) if j is None else j,
                }
            )

        # SMS: the first day overdue always, then reminders on working days.
        reminder = ((bucket == 1) & np.isin(dpd, (7, 15, 25))) | ((bucket >= 2) & (dpd % 10 == 5))
        sms = ((dpd == 1) | (working & reminder)) & dnc_ok
        s_idx = act[sms]
        k = len(s_idx)
        if k:
            failed = rng.random(k) < 0.04
            part(
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

        # Calls.
        p = np.array(R.call_p)[bucket]
        p = np.where(dpd <= 3, R.call_p_first_days, p)
        p = np.where(self.book.risk[act] == HIGH, np.minimum(p * 1.15, 0.95), p)
        p = np.where(self.book.prom_until[act] >= t, p * 0.15, p)
        if not working:
            p = p * R.off_day_calls
        called = (rng.random(n) < p) & dnc_ok
        c_idx, c_b = act[called], bucket[called]
        ns = len(c_idx)
        if ns:
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
            tpa = self.book.tpa[c_idx]
            to_tp = (c_b >= 2) & np.where(
                tpa, rng.random(ns) < 0.15, rng.random(ns) < R.tp_unauthorised
            )
            which = rng.integers(0, 2, ns)
            number = np.where(to_tp, self.book.ec_num[c_idx, which], self.book.mobile[c_idx])
            rel = np.where(to_tp, self.book.ec_rel[c_idx, which], -1)
            rep = np.repeat(np.arange(ns), sessions)
            j = np.arange(len(rep)) - np.repeat(np.cumsum(sessions) - sessions, sessions)
            last = j == sessions[rep] - 1
            secs = np.minimum(start[rep] + j * gap[rep], DAY - 1)
            m = len(rep)
            outcome = choice(rng, np.array([0.65, 0.15, 0.0, 0.20]), m)  # no answer/busy/voicemail
            party = np.full(m, NONE)
            a_rel = np.full(m, -1)
            hour = secs // 3600
            cause = self.book.cause[c_idx][rep]
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
            part(
                c_idx[rep],
                t * DAY + secs,
                CALL,
                agent[rep],
                dur,
                number[rep],
                party,
                a_rel,
                outcome,
                j,
            )

        # IVR reminders for early accounts not called today.
        ivr = working & (bucket == 1) & ~called & dnc_ok & (rng.random(n) < R.ivr_p) & (dpd > 3)
        i_idx = act[ivr]
        k = len(i_idx)
        if k:
            conn = rng.random(k) < 0.35
            out = np.where(conn, np.where(rng.random(k) < 0.7, RIGHT_PARTY, CALLBACK), NO_ANSWER)
            part(
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

        # Letters: a formal notice in M2, and at the start of each late cycle.
        letter_due = ((bucket == 2) & (dpd >= 35) & (dpd <= 41)) | (
            (dpd >= 95) & ((dpd - 95) % 30 <= 6)
        )
        letter = working & letter_due & dnc_ok & (self.book.last_letter[act] < t - 20)
        l_idx = act[letter]
        k = len(l_idx)
        if k:
            self.book.last_letter[l_idx] = t
            lb = bucket[letter]
            team = np.where(lb >= 4, LATE, MID)
            pool_late, pool_mid = self.staff.pool[LATE], self.staff.pool[MID]
            h = self.book.hash[l_idx]
            agent = np.where(
                team == LATE, pool_late[h % len(pool_late)], pool_mid[h % len(pool_mid)]
            )
            part(
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

        # Field visits for late accounts.
        visit = working & (bucket >= 4) & dnc_ok & (rng.random(n) < R.visit_p)
        v_idx = act[visit]
        k = len(v_idx)
        if k:
            agent = self.staff.collector_for(v_idx, bucket[visit])
            u = rng.random(k)
            tpa = self.book.tpa[v_idx]
            vparty = np.where(u < 0.5, DEBTOR, np.where((u < 0.7) & tpa, THIRD, NONE))
            vrel = np.where(vparty == THIRD, self.book.ec_rel[v_idx, 0], -1)
            part(
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

        if parts:
            cols = {key: np.concatenate([np.asarray(p[key]) for p in parts]) for key in parts[0]}
        else:
            cols = {
                key: np.zeros(0, dtype=np.int64)
                for key in (
                    "acct",
                    "secs",
                    "chan",
                    "agent",
                    "dur",
                    "number",
                    "party",
                    "rel",
                    "outcome",
                    "j",
                )
            }
        order = np.lexsort((cols["j"], cols["acct"], cols["secs"]))
        cols = {key: v[order] for key, v in cols.items()}
        m = len(order)
        serial = self.attempt_serial + np.arange(m, dtype=np.int64)
        self.attempt_serial += m
        outcome = cols["outcome"].astype(np.int64)
        note, note_number = self._notes(outcome)
        raw = pl.DataFrame(
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
        contacts = raw
        promises = self._promises(t, cols, serial, outcome)
        return contacts, promises

    def _notes(self, outcome: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Index into `note_texts` per attempt (-1 none), and now and then a phone number an agent
        typed into the notes (the loader must scrub it)."""
        rng = self.rng_contact
        m = len(outcome)
        has = (self.note_offset[outcome] >= 0) & (rng.random(m) < 0.5)
        count = np.maximum(self.note_count[outcome], 1)
        pick = self.note_offset[outcome] + (rng.random(m) * count).astype(np.int64)
        number = np.where(has & (rng.random(m) < 0.005), rng.integers(0, 10**8, m), -1)
        return np.where(has, pick, -1), number

    def _promises(
        self, t: int, cols: dict[str, np.ndarray], serial: np.ndarray, outcome: np.ndarray
    ) -> pl.DataFrame:
        R, rng = self.R, self.rng_contact
        rows = np.flatnonzero(outcome == PTP)
        acct = cols["acct"][rows]
        k = len(rows)
        created = cols["secs"][rows] + np.maximum(cols["dur"][rows], 0)
        dpd = self.book.dpd[acct]
        bucket = (dpd + 29) // 30
        days = np.where(bucket == 1, rng.integers(1, 8, k), rng.integers(1, 11, k))
        promised = t + days
        total = self.book.ov_p[acct] + self.book.ov_i[acct] + self.book.ov_f[acct]
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
        fresh = self.book.prom_until[acct] < t
        cause = self.book.cause[acct]
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
        self.book.prom_until[a] = promised[fresh] + 3
        a = acct[sched]
        self.book.sched_day[a] = pay_day[sched]
        self.book.sched_amt[a] = pay_amt[sched]
        self.book.sched_sec[a] = pay_sec[sched]
        pserial = self.promise_serial + np.arange(k, dtype=np.int64)
        self.promise_serial += k
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

    # ------------------------------------------------------------------ plans
    def _plans_frame(self, since: int) -> pl.DataFrame:
        P = self.plans.table
        rows = np.flatnonzero(P["changed"][: P.n] >= since)
        approved = P["approver"][rows] >= 0
        raw = pl.DataFrame(
            {
                "serial": P["serial"][rows],
                "acct": P["acct"][rows] + 1,
                "type": P["type"][rows].astype(np.int64),
                "req": P["req"][rows],
                "approver": np.where(approved, P["approver"][rows] + 1, -1),
                "appr": P["appr"][rows],
                "start": np.where(approved, P["start"][rows], -1),
                "n": np.where(approved, P["n"][rows], -1),
                "amt": np.where(approved, P["amt"][rows], -1),
                "fee": np.where(approved, P["fee"][rows], -1),
                "status": P["status"][rows].astype(np.int64),
            }
        )
        return raw.select(self.exprs["plans"])

    # ------------------------------------------------------------------ month end
    def _accounts_frame(self, idx: np.ndarray) -> pl.DataFrame:
        base = self.book.people[idx]
        return pl.DataFrame(
            {
                "account_id": base["account_id"],
                "customer_id": base["customer_id"],
                "national_id": base["national_id"],
                "customer_name": base["customer_name"],
                "card_no": base["card_no"],
                "mobile": pl.Series(self.book.mobile[idx]).cast(pl.Utf8),
                "email": base["email"],
                "city": base["city"],
                "province": base["province"],
                "product": base["product"],
                "branch": base["branch"],
                "open_date": pl.Series(self.book.open_day[idx].astype(np.int32)).cast(pl.Date),
                "credit_limit": pl.Series(self.book.limit[idx] / 100, dtype=pl.Float64),
                "credit_score": pl.Series(self.book.score[idx], dtype=pl.Int64),
                "employment_type": labels_of(EMPLOYMENT, self.book.emp[idx]),
                "do_not_contact": pl.Series(self.book.dnc[idx], dtype=pl.Boolean),
                "third_party_authorized": pl.Series(self.book.tpa[idx], dtype=pl.Boolean),
                "timezone": labels_of(
                    TIMEZONES, np.where(self.book.tz[idx] == 0, -1, self.book.tz[idx])
                ),
            }
        )

    def _snapshot_frame(self, t: int, idx: np.ndarray) -> pl.DataFrame:
        dpd = self.book.dpd[idx]
        ov_p, ov_i, ov_f = self.book.ov_p[idx], self.book.ov_i[idx], self.book.ov_f[idx]
        total = ov_p + ov_i + ov_f
        min_due = np.where(dpd > 0, total, self.book.min_due[idx])
        status = self.book.status[idx]
        closed = status == CLOSED
        min_due = np.where(closed, 0, min_due)
        raw = pl.DataFrame(
            {
                "as_of": np.full(len(idx), t, dtype=np.int64),
                "acct": idx + 1,
                "stmt": self.book.stmt_day[idx],
                "due": np.where(closed, -1, self.book.due_day[idx]),
                "balance": self.book.balance[idx],
                "min_due": np.maximum(min_due, 0),
                "ov_p": ov_p,
                "ov_i": ov_i,
                "ov_f": ov_f,
                "dpd": dpd,
                "status": status.astype(np.int64),
            }
        )
        return raw

    # ------------------------------------------------------------------ the run
    def run(self, progress: Callable[[str, int, int], None] | None) -> list[str]:
        w, first = self.writer, self.first
        holidays = sorted(CHINA_CALENDAR.items())
        w.write(
            "holidays",
            first,
            pl.DataFrame(
                {
                    "date": pl.Series([d for d, _ in holidays], dtype=pl.Date),
                    "kind": pl.Series([k for _, (k, _) in holidays], dtype=pl.Utf8),
                    "name": pl.Series([nm for _, (_, nm) in holidays], dtype=pl.Utf8),
                }
            ),
        )
        w.write("agents", first, self._agents_frame(list(range(len(self.staff.team)))))
        w.write("accounts", first, self._accounts_frame(np.arange(self.n0)))
        if progress:
            progress("opening book", 0, self.months)
        batch = _Batches(w, self.exprs)
        month_index = 0
        month_first = self.t0
        for t in range(self.t0, self.t_end + 1):
            day = day_date(t)
            if day.day == 1:
                month_first = t
            self.book.activate(t)
            working = bool(self.working[t - self.t0])
            self.statements.age(t)
            self.statements.enter(t)
            self.plans.step(t, working)
            self.statements.cut_due(t)
            contacts, promises = self._contacts(t)
            self.payments.statement_payments(t)
            self.payments.promised_payments(t)
            self.payments.self_cures(t)
            self.payments.closures(t)
            self.payments.recoveries(t)
            payments = self.ledger.close_day(t)
            is_month_end = day == month_end(day)
            batch.add("payments", day, payments)
            batch.add("contacts", day, contacts)
            batch.add("promises", day, promises)
            if is_month_end:
                changed = self.book.month_end_changes(self.rng_month)
                opened = (
                    (self.book.open_day >= month_first)
                    & (self.book.open_day <= t)
                    & (self.book.open_day > self.t0)
                )
                rows = np.flatnonzero((changed | opened) & (self.book.status != NOT_OPEN))
                if t != self.t0:
                    w.write("accounts", day, self._accounts_frame(rows))
                snap = np.flatnonzero(
                    (self.book.status <= FROZEN)
                    | (
                        ((self.book.status == CLOSED) | (self.book.status == CHARGED_OFF))
                        & (self.book.end_day >= month_first)
                    )
                )
                batch.add("snapshots", day, self._snapshot_frame(t, snap))
                w.write("plans", day, self._plans_frame(month_first))
                staff_changed = self.staff.month_end(month_index)
                if staff_changed:
                    w.write("agents", day, self._agents_frame(staff_changed))
                month_index += 1
                batch.flush()
                if progress:
                    progress(f"{day:%Y-%m}", month_index, self.months)
            else:
                snap = np.flatnonzero(
                    ((self.book.dpd > 0) & (self.book.status <= FROZEN))
                    | ((self.book.status == CHARGED_OFF) & (self.book.end_day == t))
                )
                batch.add("snapshots", day, self._snapshot_frame(t, snap))
        batch.flush()
        return self.notes
