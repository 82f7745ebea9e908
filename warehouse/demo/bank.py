"""A synthetic card bank: a day-by-day simulation that drops the extracts CONTRACT.md describes.

The bank is a set of numpy state arrays, one slot per account (`book.py`; accounts that open later
have their slot from the start and are switched on on their open date). Each calendar day runs the
same steps, all vectorised over accounts, and writes that day's files before the next day starts,
so memory stays flat however long the run:

1. accounts opened today go live (`book.py`);
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


class _Bank:
    """The parts of the bank, wired together, and the day loop that runs them in order."""

    def __init__(self, n0: int, months: int, seed: int, start: date, writer: ExtractWriter) -> None:
        rates = Rates()
        self.writer = writer
        self.first = start
        self.last = month_end(add_months(date(start.year, start.month, 1), months - 1))
        self.t0, self.t_end = day_number(self.first), day_number(self.last)
        self.months = months
        self.notes: list[str] = []
        self._check_calendar()
        rng = Streams.from_seed(seed)
        self.book = Book(n0, months, start, rates, rng.opening)
        open_positions(self.book, rates, rng.opening)
        self.staff = Staff(self.book, rng.opening, rng.month)
        self.rng_month = rng.month
        self.ledger = PaymentLedger(self.book)
        self.plans = Plans(self.book, rates, self.ledger, self.staff, rng.plan)
        self.statements = Statements(self.book, rates, self.plans, rng.day)
        self.payments = Payments(
            self.book, rates, self.ledger, self.plans, pay=rng.pay, day=rng.day
        )
        self.procedure = Procedure(
            self.book, rates, self.staff, Promises(self.book, rates, rng.contact), rng.contact
        )
        self.exprs = select_exprs(writer.file_format)

    def _check_calendar(self) -> None:
        """Warn when the run reaches years the holiday calendar does not cover."""
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

    def run(self, progress: Callable[[str, int, int], None] | None) -> list[str]:
        w, first = self.writer, self.first
        w.write("holidays", first, holidays_frame())
        w.write("agents", first, agents_frame(self.staff, list(range(len(self.staff.team)))))
        w.write("accounts", first, accounts_frame(self.book, np.arange(self.book.n0)))
        if progress:
            progress("opening book", 0, self.months)
        batch = Batches(w, self.exprs)
        month_index = 0
        month_first = self.t0
        for t in range(self.t0, self.t_end + 1):
            day = day_date(t)
            if day.day == 1:
                month_first = t
            self._simulate(t, bool(self.working[t - self.t0]), batch)
            if day == month_end(day):
                self._close_month(t, month_first, month_index, batch)
                month_index += 1
                batch.flush()
                if progress:
                    progress(f"{day:%Y-%m}", month_index, self.months)
            else:
                batch.add(
                    "snapshots",
                    day,
                    snapshot_rows(self.book, t, daily_snapshot_accounts(self.book, t)),
                )
        batch.flush()
        return self.notes

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

    def _close_month(self, t: int, month_first: int, month_index: int, batch: Batches) -> None:
        """A month end's files: changed and new accounts, the full snapshot, changed plans, and
        the agents file when staff changed."""
        w, book, day = self.writer, self.book, day_date(t)
        changed = book.month_end_changes(self.rng_month)
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
        staff_changed = self.staff.month_end(month_index)
        if staff_changed:
            w.write("agents", day, agents_frame(self.staff, staff_changed))
