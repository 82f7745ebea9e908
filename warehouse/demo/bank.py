"""A synthetic card bank: a day-by-day simulation that drops the extracts CONTRACT.md describes.

The bank is a set of numpy state arrays, one slot per account (`book.py`; each month's new accounts
get their slots when the month starts and are switched on on their open date). Each calendar day
runs the same steps, all vectorised over accounts, and writes that day's files before the next day
starts, so memory stays flat however long the run:

1. accounts opened today go live (on a month's first day, that month's openings are drawn)
   (`book.py`);
2. delinquent accounts age one day (a new cycle's interest and late fee every 30 days; the card is
   frozen at 61 days; charge-off at 180) (`statements.py`);
3. accounts whose statement fell due yesterday unpaid become 1 day past due (`statements.py`);
4. repayment plans are proposed, approved, re-age the account on their first payment, collect
   instalments, complete or break (`plans.py`);
5. statements cut for accounts whose statement day it is (spend, interest, minimum due, due date
   20 days later) and each account's response is drawn: pay in full, revolve, pay the minimum,
   underpay or miss; a few payments are later reversed (`statements.py`);
6. the collections procedure works the delinquent book: an SMS on the first day overdue, calls
   on working days (more often the later the bucket, M4+ by outside agencies), IVR, letters and
   visits; calls reach the debtor or an emergency contact at hour-dependent rates; right-party
   contacts yield promises to pay that are later kept, partly kept or broken (`contacts.py`,
   `promises.py`, `staff.py`);
7. money arrives: scheduled statement payments, promised payments, spontaneous cures and partial
   cures (days past due fall by 30 per cycle paid), payoffs of closing accounts, recoveries on
   charged-off accounts (`payments.py`, numbered by `ledger.py`);
8. the day's files are written; at a month end also the full snapshot, new and changed accounts,
   changed plans and (when staff changed) agents (`frames.py`, `files.py`).

The procedure follows the treatment in force for each account (`treatments.py`: the default
rows of `settings.treatments` for its risk grade and cause, or, in a champion / challenger
experiment, the challenger's rows for the accounts of its arm): a treatment with more contacts a
week calls more often and its customers pay of their own accord a little more often, a channel it
adds brings its own contacts. Without an experiment every account gets the default, and the bank
behaves as its calibration says.

Like a bank, it keeps to the rules nearly always, and every kind of breach still happens, at a
small share of attempts, so the compliance views have something to find: about 1% of in-house
and 2% of agency call sessions start outside the bank's calling hours (mostly the early evening;
one in a thousand before 08:00 or after 22:00), 1.2% of sessions on a day off, 0.15% of sessions
run to seven or eight attempts on one number, 1.2% of M2+ sessions to an emergency contact go to
one the customer did not authorise, a do-not-contact account is still worked on 3% of its days;
debtors abroad are called in their own hours. On the default demo (5,000 accounts x 24 months,
seed 7) that is 4,014 breaches of 179,998 attempts (2.2%; 3,515 attempts, 1,066 accounts), every
rule of the three rule sets among them; 2,096 calls outside the bank's own hours.

Nothing is drawn ahead of the day it belongs to, so a bank's first months are the same whatever
its horizon. That is what lets a run continue day by day after its months (`then_days`): each
following day's files land in a folder of their own, as a bank would send them, and together with
the months' inbox they are exactly the files of one longer run.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from warehouse.demo.book import Book
from warehouse.demo.contacts import Procedure
from warehouse.demo.days import add_months, day_date, day_number, month_end
from warehouse.demo.draws import Streams
from warehouse.demo.files import ExtractWriter
from warehouse.demo.frames import (
    Batches,
    accounts_frame,
    agents_frame,
    daily_snapshot_accounts,
    holidays_frame,
    month_end_accounts,
    month_end_snapshot_accounts,
    plans_frame,
    select_exprs,
    snapshot_rows,
)
from warehouse.demo.holidays_cn import covered_years, is_working_day
from warehouse.demo.ledger import PaymentLedger
from warehouse.demo.payments import Payments
from warehouse.demo.plans import Plans
from warehouse.demo.promises import Promises
from warehouse.demo.rates import Rates
from warehouse.demo.staff import Staff
from warehouse.demo.statements import Statements, open_positions
from warehouse.demo.treatments import Challenger, TreatmentsInForce


@dataclass
class DaySummary:
    """What one following day's inbox holds (`generate_bank(..., then_days=...)`)."""

    business_date: date
    out_dir: Path
    files: int
    rows_by_extract: dict[str, int]


@dataclass
class GenerateSummary:
    """What `generate_bank` wrote: the months' inbox, then each following day's."""

    files: int
    rows_by_extract: dict[str, int]
    first_date: date
    last_date: date
    out_dir: Path
    warnings: list[str] = field(default_factory=list)
    following_days: list[DaySummary] = field(default_factory=list)


def generate_bank(
    out_dir: Path,
    *,
    accounts: int = 5000,
    months: int = 24,
    seed: int = 7,
    start: date = date(2024, 11, 1),
    file_format: str = "csv",
    progress: Callable[[str, int, int], None] | None = None,
    then_days: int = 0,
    days_out: Path | None = None,
    challenger: Challenger | None = None,
) -> GenerateSummary:
    """Simulate a card bank for `months` calendar months from `start` and write its extracts.

    `accounts` is the opening book; about 1.1% of that opens again every month. Files are
    `<extract>_<YYYYMMDD>.<file_format>` in `out_dir`; the same arguments give identical bytes.
    `progress(stage, done, total)` is called once before the first month and after each month.

    `then_days` simulates that many calendar days after the months and writes each day's files
    into `days_out/<YYYYMMDD>/` (only that day's files: a month end also brings the full
    snapshot, new and changed accounts, plans and agents); `out_dir` is the same with or without
    them. `progress` is then called after each following day, counting days.

    `challenger` runs a champion / challenger experiment: from its start the accounts of its
    arm are treated by its treatments (`warehouse.demo.treatments` says how contact intensity,
    channels and cure odds respond); without one every account gets the default treatment.
    """
    if accounts < 1:
        raise ValueError("accounts must be at least 1")
    if months < 1:
        raise ValueError("months must be at least 1")
    if then_days < 0:
        raise ValueError(f"then_days must be 0 or more, not {then_days}")
    if then_days and days_out is None:
        raise ValueError("then_days needs days_out: the folder for the following days' inboxes")
    writer = ExtractWriter(Path(out_dir), file_format)
    bank = _Bank(accounts, months, then_days, seed, start, writer, challenger)
    following = bank.run(progress, Path(days_out) if days_out is not None else None)
    return GenerateSummary(
        files=writer.files,
        rows_by_extract=dict(writer.rows),
        first_date=bank.first,
        last_date=bank.last,
        out_dir=Path(out_dir),
        warnings=bank.notes,
        following_days=following,
    )


class _Bank:
    """The parts of the bank, wired together, and the day loop that runs them in order."""

    def __init__(
        self,
        n0: int,
        months: int,
        then_days: int,
        seed: int,
        start: date,
        writer: ExtractWriter,
        challenger: Challenger | None = None,
    ) -> None:
        rates = Rates()
        self.writer = writer
        self.first = start
        self.last = month_end(add_months(date(start.year, start.month, 1), months - 1))
        self.t0, self.t_end = day_number(self.first), day_number(self.last)
        self.months = months
        self.then_days = then_days
        self.notes: list[str] = []
        self._check_calendar(day_date(self.t_end + then_days))
        self.rng = Streams.from_seed(seed)
        self.book = Book(n0, self.t0, rates, self.rng.start)
        open_positions(self.book, rates, self.rng.start)
        treatments = TreatmentsInForce(self.book, challenger)
        self.staff = Staff(self.book, self.rng.start, self.rng.month)
        self.ledger = PaymentLedger(self.book)
        self.plans = Plans(self.book, rates, self.ledger, self.staff, self.rng.plan)
        self.statements = Statements(self.book, rates, self.plans, self.rng.day)
        self.payments = Payments(
            self.book,
            rates,
            self.ledger,
            self.plans,
            pay=self.rng.pay,
            day=self.rng.day,
            treatments=treatments,
        )
        self.procedure = Procedure(
            self.book,
            rates,
            self.staff,
            Promises(self.book, rates, self.rng.contact),
            self.rng.contact,
            treatments,
        )
        self.exprs = select_exprs(writer.file_format)
        self._month_first = self.t0  # the first simulated day of the current month
        self._month_index = 0  # month ends passed

    def _check_calendar(self, last: date) -> None:
        """Warn when the run reaches years the holiday calendar does not cover."""
        years = sorted(set(range(self.first.year, last.year + 1)) - set(covered_years()))
        if years:
            message = (
                "China holiday calendar does not cover "
                + ", ".join(str(y) for y in years)
                + ": weekends only are treated as days off there"
            )
            warnings.warn(message, stacklevel=3)
            self.notes.append(message)

    def run(
        self, progress: Callable[[str, int, int], None] | None, days_out: Path | None
    ) -> list[DaySummary]:
        """The months into the inbox, then each following day into its own."""
        w, first = self.writer, self.first
        w.write("holidays", first, holidays_frame())
        w.write("agents", first, agents_frame(self.staff, list(range(len(self.staff.team)))))
        w.write("accounts", first, accounts_frame(self.book, np.arange(self.book.n0)))
        if progress:
            progress("opening book", 0, self.months)
        batch = Batches(w, self.exprs)
        for t in range(self.t0, self.t_end + 1):
            if self._day(t, w, batch):
                batch.flush()
                if progress:
                    progress(f"{day_date(t):%Y-%m}", self._month_index, self.months)
        batch.flush()
        following: list[DaySummary] = []
        if days_out is None:
            return following
        for i, t in enumerate(range(self.t_end + 1, self.t_end + self.then_days + 1)):
            day = day_date(t)
            day_writer = ExtractWriter(days_out / f"{day:%Y%m%d}", w.file_format)
            day_batch = Batches(day_writer, self.exprs)
            self._day(t, day_writer, day_batch)
            day_batch.flush()
            following.append(
                DaySummary(day, day_writer.out_dir, day_writer.files, dict(day_writer.rows))
            )
            if progress:
                progress(f"{day:%Y-%m-%d}", i + 1, self.then_days)
        return following

    def _day(self, t: int, w: ExtractWriter, batch: Batches) -> bool:
        """One calendar day, its files queued in `batch` or written by `w`; True at a month end."""
        day = day_date(t)
        if day.day == 1 or t == self.t0:
            self._month_first = t
            self.book.open_month(t, self.rng.new_accounts)
        self._simulate(t, is_working_day(day), batch)
        if day != month_end(day):
            delinquent = daily_snapshot_accounts(self.book, t)
            batch.add("snapshots", day, snapshot_rows(self.book, t, delinquent))
            return False
        self._close_month(t, w, batch)
        self._month_index += 1
        return True

    def _simulate(self, t: int, working: bool, batch: Batches) -> None:
        """Steps 1-7 of the day, and its payments, contacts and promises queued for writing."""
        day = day_date(t)
        self.book.activate(t)
        self.statements.age(t)
        self.statements.enter(t)
        self.plans.step(t, working)
        self.statements.cut_due(t)
        contacts, promises = self.procedure.work(t, working)
        self.payments.statement_payments(t)
        self.payments.promised_payments(t)
        self.payments.self_cures(t)
        self.payments.closures(t)
        self.payments.recoveries(t)
        batch.add("payments", day, self.ledger.close_day(t))
        batch.add("contacts", day, contacts)
        batch.add("promises", day, promises)

    def _close_month(self, t: int, w: ExtractWriter, batch: Batches) -> None:
        """A month end's files: changed and new accounts, the full snapshot, changed plans, and
        the agents file when staff changed."""
        book, day, month_first = self.book, day_date(t), self._month_first
        changed = book.month_end_changes(self.rng.month)
        if t != self.t0:  # the first day's accounts file already carries the opening book
            w.write(
                "accounts",
                day,
                accounts_frame(book, month_end_accounts(book, changed, month_first, t)),
            )
        batch.add(
            "snapshots", day, snapshot_rows(book, t, month_end_snapshot_accounts(book, month_first))
        )
        w.write("plans", day, plans_frame(self.plans, month_first, self.exprs))
        staff_changed = self.staff.month_end(self._month_index)
        if staff_changed:
            w.write("agents", day, agents_frame(self.staff, staff_changed))
