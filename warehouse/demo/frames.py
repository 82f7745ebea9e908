"""The files the bank writes: daily (payments, contacts, promises, snapshots of the delinquent
book) and at a month end (the full snapshot, new and changed accounts, changed plans, agents).

Daily rows travel as raw integer columns and are formatted per extract in batches (`Batches`,
`select_exprs`); the month-end files are small and are built as finished frames. Which accounts a
snapshot file lists is the contract's rule: at a month end every account not yet closed (and
those that ended that month), on other days every delinquent account (and those charged off that
day).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TypeVar

import numpy as np
import polars as pl

from warehouse.demo.book import TIMEZONES, Book
from warehouse.demo.codes import (
    CHARGED_OFF,
    CLOSED,
    COLLECTOR,
    CONTACT_CHANNELS,
    EMPLOYMENT,
    FROZEN,
    NOT_OPEN,
    OUTCOMES,
    PARTIES,
    PAY_CHANNELS,
    PLAN_STATUS,
    PLAN_TYPES,
    RELATIONS,
    ROLES,
    STATUS,
    SUPERVISOR,
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
from warehouse.demo.contacts import NOTE_TEXTS, NOTE_WITH_NUMBER
from warehouse.demo.files import COLUMNS, ISO_OFFSET_FORMAT, TIMESTAMP_FORMAT, ExtractWriter
from warehouse.demo.holidays_cn import CHINA_CALENDAR
from warehouse.demo.plans import Plans
from warehouse.demo.staff import AGENCY_NAMES, IN_HOUSE, SUPERVISORS, TEAMS, Staff

V = TypeVar("V")


def in_contract_order(extract: str, values: Mapping[str, V]) -> dict[str, V]:
    """One extract's column values in the contract's order: every column it declares, no other."""
    expected = COLUMNS[extract]
    if set(values) != set(expected):
        missing = [c for c in expected if c not in values]
        unknown = [c for c in values if c not in expected]
        raise ValueError(
            f"{extract}: the generator's columns differ from the contract: "
            f"missing {missing}, not in the contract {unknown}"
        )
    return {column: values[column] for column in expected}


def select_exprs(file_format: str) -> dict[str, list[pl.Expr]]:
    """The one query per extract that turns a day's raw columns into contract columns (built once,
    reused every day), in the contract's column order."""
    started = pl.from_epoch(pl.col("secs"), time_unit="s")
    if file_format != "parquet":
        # Real dialers mix formats: a few rows carry an explicit offset.
        started = (
            pl.when(pl.col("iso"))
            .then(started.dt.strftime(ISO_OFFSET_FORMAT))
            .otherwise(started.dt.strftime(TIMESTAMP_FORMAT))
        )
    values: dict[str, dict[str, pl.Expr]] = {
        "payments": {
            "payment_id": identifier("serial", "PY", 12),
            "account_id": identifier("acct", "A", 9),
            "paid_at": wall_time("secs"),
            "amount": yuan("amount"),
            "channel": label("chan", PAY_CHANNELS),
            "is_reversal": (pl.col("reverses") >= 0),
            "reverses_payment_id": identifier("reverses", "PY", 12),
        },
        "contacts": {
            "attempt_id": identifier("serial", "CT", 12),
            "account_id": identifier("acct", "A", 9),
            "agent_id": identifier("agent", "AG", 5),
            "channel": label("chan", CONTACT_CHANNELS),
            "started_at": started,
            "duration_s": unless_negative("dur"),
            "contact_number": number_text("number"),
            "party": label("party", PARTIES),
            "third_party_relation": label("rel", RELATIONS),
            "outcome": label("outcome", OUTCOMES),
            "notes": (
                pl.when(pl.col("note_number") >= 0)
                .then(pl.lit(NOTE_WITH_NUMBER) + pl.col("note_number").cast(pl.Utf8).str.zfill(8))
                .otherwise(label("note", NOTE_TEXTS))
            ),
        },
        "promises": {
            "promise_id": identifier("serial", "PR", 10),
            "account_id": identifier("acct", "A", 9),
            "attempt_id": identifier("attempt", "CT", 12),
            "agent_id": identifier("agent", "AG", 5),
            "created_at": wall_time("created"),
            "promised_date": epoch_date("promised"),
            "promised_amount": yuan("amount"),
        },
        "plans": {
            "plan_id": identifier("serial", "PL", 8),
            "account_id": identifier("acct", "A", 9),
            "plan_type": label("type", PLAN_TYPES),
            "requested_at": wall_time("req"),
            "approved_by": identifier("approver", "AG", 5),
            "approved_at": wall_time("appr"),
            "start_date": epoch_date("start"),
            "instalments": unless_negative("n"),
            "instalment_amount": pl.when(pl.col("amt") >= 0).then(yuan("amt")),
            "fee": pl.when(pl.col("fee") >= 0).then(yuan("fee")),
            "status": label("status", PLAN_STATUS),
        },
        "snapshots": {
            "as_of_date": epoch_date("as_of"),
            "account_id": identifier("acct", "A", 9),
            "statement_day": pl.col("stmt"),
            "due_date": epoch_date("due"),
            "balance": yuan("balance"),
            "min_due": yuan("min_due"),
            "overdue_principal": yuan("ov_p"),
            "overdue_interest": yuan("ov_i"),
            "overdue_fees": yuan("ov_f"),
            "days_past_due": pl.col("dpd"),
            "cycles_delinquent": ((pl.col("dpd") + 29) // 30),
            "status": label("status", STATUS),
        },
    }
    return {
        extract: [value.alias(column) for column, value in in_contract_order(extract, by).items()]
        for extract, by in values.items()
    }


class Batches:
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


def holidays_frame() -> pl.DataFrame:
    """The holidays file: the whole calendar the bank knows, sent once on the first day."""
    holidays = sorted(CHINA_CALENDAR.items())
    values = {
        "date": pl.Series([d for d, _ in holidays], dtype=pl.Date),
        "kind": pl.Series([k for _, (k, _) in holidays], dtype=pl.Utf8),
        "name": pl.Series([nm for _, (_, nm) in holidays], dtype=pl.Utf8),
    }
    return pl.DataFrame(in_contract_order("holidays", values))


def agents_frame(staff: Staff, rows: list[int]) -> pl.DataFrame:
    """The agents file: the given agents' latest records."""
    rows = sorted(set(rows))
    team = np.array(staff.team)[rows] if rows else np.zeros(0, dtype=np.int64)
    agency = np.array(staff.agency)[rows] if rows else np.zeros(0, dtype=np.int64)
    values = {
        "agent_id": pl.Series([f"AG{r + 1:05d}" for r in rows], dtype=pl.Utf8),
        "agent_name": pl.Series([staff.names[r] for r in rows], dtype=pl.Utf8),
        "team": labels_of(TEAMS, team),
        "agency": labels_of((IN_HOUSE, *AGENCY_NAMES), agency),
        "role": labels_of(ROLES, np.where(team == SUPERVISORS, SUPERVISOR, COLLECTOR)),
        "active": pl.Series([staff.active[r] for r in rows], dtype=pl.Boolean),
    }
    return pl.DataFrame(in_contract_order("agents", values))


def accounts_frame(book: Book, idx: np.ndarray) -> pl.DataFrame:
    """The accounts file: the given accounts' current records."""
    base = book.people[idx]
    values = {
        "account_id": base["account_id"],
        "customer_id": base["customer_id"],
        "national_id": base["national_id"],
        "customer_name": base["customer_name"],
        "card_no": base["card_no"],
        "mobile": pl.Series(book.mobile[idx]).cast(pl.Utf8),
        "email": base["email"],
        "city": base["city"],
        "province": base["province"],
        "product": base["product"],
        "branch": base["branch"],
        "open_date": pl.Series(book.open_day[idx].astype(np.int32)).cast(pl.Date),
        "credit_limit": pl.Series(book.limit[idx] / 100, dtype=pl.Float64),
        "credit_score": pl.Series(book.score[idx], dtype=pl.Int64),
        "employment_type": labels_of(EMPLOYMENT, book.emp[idx]),
        "do_not_contact": pl.Series(book.dnc[idx], dtype=pl.Boolean),
        "third_party_authorized": pl.Series(book.tpa[idx], dtype=pl.Boolean),
        "timezone": labels_of(TIMEZONES, np.where(book.tz[idx] == 0, -1, book.tz[idx])),
    }
    return pl.DataFrame(in_contract_order("accounts", values))


def month_end_accounts(book: Book, changed: np.ndarray, month_first: int, t: int) -> np.ndarray:
    """The accounts a month-end accounts file carries: those opened this month (after the first
    day, whose file carries the opening book) and those whose attributes changed."""
    opened = (book.open_day >= month_first) & (book.open_day <= t) & (book.open_day > book.t0)
    return np.flatnonzero((changed | opened) & (book.status != NOT_OPEN))


def month_end_snapshot_accounts(book: Book, month_first: int) -> np.ndarray:
    """Every account not yet closed, and those closed or charged off this month."""
    return np.flatnonzero(
        (book.status <= FROZEN)
        | (((book.status == CLOSED) | (book.status == CHARGED_OFF)) & (book.end_day >= month_first))
    )


def daily_snapshot_accounts(book: Book, t: int) -> np.ndarray:
    """Every delinquent account, and those charged off today."""
    return np.flatnonzero(
        ((book.dpd > 0) & (book.status <= FROZEN))
        | ((book.status == CHARGED_OFF) & (book.end_day == t))
    )


def snapshot_rows(book: Book, t: int, idx: np.ndarray) -> pl.DataFrame:
    """The given accounts' end-of-day state on day t, as raw columns (formatted in batches)."""
    dpd = book.dpd[idx]
    ov_p, ov_i, ov_f = book.ov_p[idx], book.ov_i[idx], book.ov_f[idx]
    total = ov_p + ov_i + ov_f
    min_due = np.where(dpd > 0, total, book.min_due[idx])
    status = book.status[idx]
    closed = status == CLOSED
    min_due = np.where(closed, 0, min_due)
    raw = pl.DataFrame(
        {
            "as_of": np.full(len(idx), t, dtype=np.int64),
            "acct": idx + 1,
            "stmt": book.stmt_day[idx],
            "due": np.where(closed, -1, book.due_day[idx]),
            "balance": book.balance[idx],
            "min_due": np.maximum(min_due, 0),
            "ov_p": ov_p,
            "ov_i": ov_i,
            "ov_f": ov_f,
            "dpd": dpd,
            "status": status.astype(np.int64),
        }
    )
    return raw


def plans_frame(plans: Plans, since: int, exprs: dict[str, list[pl.Expr]]) -> pl.DataFrame:
    """The plans file: every plan that changed on or after day `since` (a plan's terms are sent
    once approved)."""
    P = plans.table
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
    return raw.select(exprs["plans"])
