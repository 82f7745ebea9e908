"""Every table on every page is drawn by `show`: headers, numbers, dates and codes in the bank's
words, in the page's language.

A column is known by its name once, here (`COLUMNS`): the catalogue key of its header and its
kind. The kind decides the format (`dashboard.format.TABLE_FORMATS`: money ¥1,234.00, counts
1,234, rates 39.6%), instants are shown in the bank's zone with the zone in the header, text
cells without a value show a dash (never `None`), and a code column (a bucket, an outcome, a
rule) shows each value by its glossary label (`dashboard.format.code`). Numbers stay numbers,
so a table still sorts by them. A page passes `columns` for a header that differs on that page
(`Column("migration.balance_from", "money")`), and `hide` for helper columns.

`tests/test_table_headers.py` opens every page in both languages and fails on any header that is
a raw column name, so a new column needs its row here (or on its page) before it shows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import polars as pl
import streamlit as st

from dashboard import format as fmt
from dashboard.i18n import text


@dataclass(frozen=True)
class Column:
    """How one column is shown: its header's catalogue key, its kind and, for a code column, the
    glossary domain of its values (`code.<domain>.<value>`)."""

    label: str
    kind: str = "text"  # text | money | count | rate | number | seconds | integer | date |
    # datetime (an instant: shown in the bank's zone) | local_datetime (already local) | code
    domain: str | None = None
    width: str | None = None
    fields: tuple[tuple[str, str], ...] = ()  # values for the label's {fields}


def money(label: str) -> Column:
    return Column(label, "money")


def count(label: str) -> Column:
    return Column(label, "count")


def rate(label: str) -> Column:
    return Column(label, "rate")


def code(label: str, domain: str) -> Column:
    return Column(label, "code", domain)


COLUMNS: dict[str, Column] = {
    # --- who and what ---------------------------------------------------------------------------
    "account_id": Column("col.account_id"),
    "agent_id": Column("col.agent_id"),
    "agent_name": Column("col.agent"),
    "team": Column("col.team"),
    "agency": code("col.agency", "agency"),
    "product": Column("col.product"),
    "branch": Column("col.branch"),
    "segment": Column("col.segment"),
    "province": Column("col.province"),
    "city": Column("col.city"),
    "customer_name_masked": Column("accounts.name"),
    "national_id_masked": Column("accounts.national_id"),
    "card_no_masked": Column("accounts.card"),
    "mobile_masked": Column("accounts.mobile"),
    "contact_number_masked": Column("compliance.number"),
    "open_date": Column("accounts.open_date", "date"),
    "credit_limit": money("col.credit_limit"),
    "credit_score": Column("col.credit_score", "integer"),
    "employment_type": code("col.employment_type", "employment"),
    # --- the book -------------------------------------------------------------------------------
    "month": Column("col.month", "date"),
    "bucket": code("col.bucket", "bucket"),
    "from_bucket": code("migration.from", "bucket"),
    "to_bucket": code("migration.to", "bucket"),
    "bucket_order": Column("col.bucket_order", "integer"),
    "accounts": count("col.accounts"),
    "account_share": rate("col.account_share"),
    "balance": money("col.balance"),
    "to_balance": money("migration.balance_to"),
    "balance_share": rate("col.balance_share"),
    "live_accounts": count("portfolio.kpi.accounts"),
    "live_balance": money("portfolio.kpi.balance"),
    "delinquent_balance": money("portfolio.kpi.delinquent_balance"),
    "dpd30_ratio": rate("col.dpd30_ratio"),
    "dpd60_ratio": rate("col.dpd60_ratio"),
    "dpd90_ratio": rate("col.dpd90_ratio"),
    "collected": money("portfolio.collected"),
    "written_off": money("portfolio.written_off"),
    "days_past_due": count("col.days_past_due"),
    "overdue_amount": money("col.overdue_amount"),
    "min_due": money("col.min_due"),
    "risk_grade": code("col.risk_grade", "risk_grade"),
    "saved_grade": code("col.saved_grade", "risk_grade"),
    "delinquency_cause": code("col.delinquency_cause", "cause"),
    "treatment": code("col.treatment", "treatment"),
    "channels": Column("col.channels"),
    "contacts_per_week": count("col.contacts_per_week"),
    "script_focus": Column("col.script_focus", width="large"),
    "next_step": Column("col.next_step", width="large"),
    "vintage": Column("col.vintage", "date"),
    "months_on_book": count("col.months_on_book"),
    "measure": Column("col.measure"),
    "cohort_accounts": count("col.cohort_accounts"),
    "delinquent_accounts": count("col.delinquent_accounts"),
    "delinquent_ratio": rate("col.delinquent_ratio"),
    "change": code("col.change", "change"),
    "as_of_date": Column("col.as_of_date", "date"),
    "previous_date": Column("col.previous_date", "date"),
    # --- rates of a bucket ------------------------------------------------------------------------
    "roll_forward_rate": rate("migration.rate.roll_forward"),
    "cure_rate": rate("migration.rate.cure"),
    "stay_rate": rate("migration.rate.stay"),
    "flow_rate": rate("migration.rate.flow"),
    "net_flow_rate": rate("migration.rate.net_flow"),
    "roll_forward_balance_rate": rate("col.roll_forward_balance_rate"),
    "write_off_rate": rate("migration.rate.write_off"),
    "loss_rate": rate("migration.loss_rate"),
    "expected_loss": money("migration.expected_loss_amount"),
    "rolled_forward": count("col.rolled_forward"),
    # --- contacts -------------------------------------------------------------------------------
    "channel": code("col.channel", "channel"),
    "first_channel": code("col.first_channel", "channel"),
    "attempts": count("col.attempts"),
    "connects": count("col.connects"),
    "right_party_contacts": count("col.rpc"),
    "promises": count("col.promises"),
    "promises_kept": count("contacts.kept"),
    "promises_resolved": count("col.promises_resolved"),
    "amount_paid_within_window": money("col.amount_paid_within_window"),
    "amount_paid_7d": money("col.amount_paid_within_window"),  # the compatibility alias
    "connect_rate": rate("col.connect_rate"),
    "rpc_rate": rate("col.rpc_rate"),
    "promise_rate": rate("col.promise_rate"),
    "promise_kept_rate": rate("col.kept_rate"),
    "breaches": count("col.breaches"),
    "outcome": code("compliance.outcome", "outcome"),
    "party": code("compliance.party", "party"),
    "third_party_relation": code("compliance.relation", "relation"),
    "duration_s": Column("compliance.duration", "integer"),
    "weekday": Column("col.weekday", "integer"),
    "hour": Column("contacts.hour", "integer"),
    # --- promises and plans -----------------------------------------------------------------------
    "promise_id": Column("col.promise_id"),
    "promised_date": Column("col.promised_date", "date"),
    "promised_amount": money("col.promised_amount"),
    "paid_amount": money("col.paid_amount"),
    "paid_by": Column("col.paid_by", "date"),
    "status": Column("col.status"),
    "promise_status": code("col.status", "promise_status"),
    "kept": count("promises.kept"),
    "partial": count("promises.partial"),
    "broken": count("promises.broken"),
    "pending": count("promises.pending"),
    "resolved": count("col.resolved"),
    "kept_rate": rate("col.kept_rate"),
    "partial_rate": rate("promises.partial_rate"),
    "broken_rate": rate("promises.broken_rate"),
    "plan_type": code("promises.plan_type", "plan_type"),
    "plans": count("promises.plan_count"),
    "approved": count("promises.approved"),
    "active": count("promises.active"),
    "completed": count("promises.completed"),
    "matured": count("promises.matured"),
    "cured": count("promises.cured"),
    # --- compliance -------------------------------------------------------------------------------
    "started_at": Column("col.started_at", "datetime"),
    "local_time": Column("compliance.local_time", "local_datetime"),
    "local_date": Column("col.day", "date"),
    "timezone": Column("compliance.timezone"),
    "debtor_timezone": Column("compliance.timezone"),
    "rule_set": code("compliance.rule_set", "rule_set"),
    "rule": code("compliance.rule", "rule"),
    "attempt_id": Column("compliance.attempt"),
    "detail": Column("compliance.detail", width="large"),
    "day_type": code("compliance.day_type", "day_type"),
    "attempts_in_breach": count("compliance.attempts_in_breach"),
    # --- the account's story ----------------------------------------------------------------------
    "event_date": Column("accounts.date", "date"),
    "event_at": Column("accounts.event_at", "datetime"),
    "kind": Column("accounts.kind"),
    "run_kind": code("dq.kind", "dq_kind"),
    "reference": Column("accounts.reference"),
    "amount": money("accounts.amount"),
    # --- operations -------------------------------------------------------------------------------
    "load_id": Column("loads.load", "integer"),
    "run_id": Column("dq.run", "integer"),
    "finished_at": Column("col.finished_at", "datetime"),
    "seconds": Column("loads.seconds", "seconds"),
    "files": count("loads.files"),
    "files_refused": count("loads.refused"),
    "rows_read": count("loads.rows_read"),
    "rows_landed": count("loads.landed"),
    "rows_quarantined": count("loads.quarantined"),
    "rows_replaced": count("loads.replaced"),
    "inbox": Column("loads.inbox"),
    "file_name": Column("loads.file"),
    "extract": Column("loads.extract"),
    "business_date": Column("loads.business_date", "date"),
    "message": Column("loads.message", width="large"),
    "column_name": Column("loads.column"),
    "rows": count("loads.rows"),
    "first_line": Column("loads.first_line", "integer"),
    "line_number": Column("dq.line", "integer"),
    "reason": Column("loads.reason", width="large"),
    "example_reason": Column("loads.example_reason", width="large"),
    "file_status": code("dq.file_status", "file_status"),
    "raw_record": Column("dq.record_masked", width="large"),
    "severity": code("dq.severity", "severity"),
    "suite": Column("dq.suite"),
    "expectation": Column("dq.expectation"),
    "offending": count("dq.offending_rows"),
    "action": Column("dq.action"),
    "description": Column("dq.what_it_expects", width="large"),
    "expectations": count("dq.expectations"),
    "failed_errors": count("dq.error_findings"),
    "failed_warnings": count("dq.warn_findings"),
    "gx_version": Column("dq.gx_version"),
    # --- acting pages -----------------------------------------------------------------------------
    "cure_probability": rate("queue.cure_probability"),
    "expected_recovery": money("queue.expected_recovery"),
    "do_not_contact": Column("queue.do_not_contact"),
    "windows_left_today": Column("queue.windows_left_today", width="large"),
    "debtor_local_time": Column("queue.debtor_local_time"),
    "arm": code("cc.arm", "arm"),
    "version": Column("strategy.version", "integer"),
    "created_at": Column("strategy.created_at", "datetime"),
    "author": Column("strategy.author"),
    "based_on": Column("strategy.based_on", "integer"),
    "table": Column("strategy.table"),
    "key": Column("strategy.key"),
    "field": Column("strategy.field"),
    "before": Column("strategy.before"),
    "after": Column("strategy.after"),
    "saved": count("code.version.saved"),
    "candidate": count("code.version.candidate"),
}


def _unique(values: Sequence[object]) -> list[object]:
    return list(dict.fromkeys(values))


def _header(spec: Column, zone: str | None) -> str:
    header = text(spec.label, **dict(spec.fields))
    if spec.kind == "datetime" and zone:
        header = f"{header} ({zone})"
    return header


# A number column with gaps is shown as text written by the formatting layer, so an empty cell
# reads "–" and never "None" (Streamlit has no placeholder for an empty number).
_AS_TEXT = {
    "money": fmt.money,
    "count": lambda v: fmt.count(int(v)),
    "rate": fmt.percent,
    "number": lambda v: f"{float(v):,.1f}",
    "seconds": fmt.seconds,
    "integer": lambda v: str(int(v)),
}


def _config(spec: Column, header: str, *, as_text: bool = False) -> Any:
    kind = spec.kind
    if as_text:
        return st.column_config.TextColumn(header, width=spec.width)  # type: ignore[arg-type]
    if kind in fmt.TABLE_FORMATS:
        return st.column_config.NumberColumn(header, format=fmt.TABLE_FORMATS[kind])
    if kind == "date":
        return st.column_config.DateColumn(header, format=fmt.DATE_FORMAT)
    if kind in ("datetime", "local_datetime"):
        return st.column_config.DatetimeColumn(header, format=fmt.DATETIME_FORMAT)
    return st.column_config.TextColumn(header, width=spec.width)  # type: ignore[arg-type]


def prepared(
    frame: pl.DataFrame | pd.DataFrame,
    *,
    zone: str | None = None,
    columns: Mapping[str, Column] | None = None,
    hide: Sequence[str] = (),
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """The frame as a table shows it (codes as labels, instants local, text gaps as dashes) and
    its column configuration (headers and formats). Pure, so tests can read it directly."""
    shown = pl.from_pandas(frame) if isinstance(frame, pd.DataFrame) else frame
    known = {**COLUMNS, **(columns or {})}
    config: dict[str, Any] = {}
    changes: list[pl.Expr] = []
    for name, dtype in shown.schema.items():
        if name in hide:
            config[name] = None
            continue
        spec = known.get(name)
        if spec is None:
            config[name] = st.column_config.Column(name)  # a raw name: the header test fails
            continue
        if spec.kind == "code" and spec.domain:
            labels = {
                value: fmt.code(spec.domain, value)
                for value in _unique(shown[name].cast(pl.String).to_list())
                if value is not None
            }
            changes.append(
                pl.col(name)
                .cast(pl.String)
                .replace_strict(labels, default=pl.col(name).cast(pl.String))
                .fill_null(fmt.MISSING)
            )
        elif isinstance(dtype, pl.Datetime) and dtype.time_zone is not None and zone:
            changes.append(pl.col(name).dt.convert_time_zone(zone).dt.replace_time_zone(None))
        elif isinstance(dtype, pl.List):
            changes.append(
                pl.col(name).cast(pl.List(pl.String)).list.join(", ").fill_null(fmt.MISSING)
            )
        elif dtype == pl.String or dtype == pl.Categorical:
            changes.append(pl.col(name).cast(pl.String).fill_null(fmt.MISSING))
        elif isinstance(dtype, pl.Datetime) and spec.kind == "date":
            changes.append(pl.col(name).dt.date())
        as_text = False
        if spec.kind in _AS_TEXT and dtype.is_numeric():
            write = _AS_TEXT[spec.kind]
            if shown[name].null_count():
                as_text = True
                written = [fmt.MISSING if v is None else write(v) for v in shown[name].to_list()]
                changes.append(pl.lit(pl.Series(name, written, dtype=pl.String)).alias(name))
        config[name] = _config(spec, _header(spec, zone), as_text=as_text)
    return (shown.with_columns(changes) if changes else shown), config


def show(
    frame: pl.DataFrame | pd.DataFrame,
    *,
    zone: str | None = None,
    columns: Mapping[str, Column] | None = None,
    hide: Sequence[str] = (),
    **dataframe: Any,
) -> Any:
    """`st.dataframe` of `frame` with every header, number, date and code in the bank's words;
    other keyword arguments go to `st.dataframe` (key, on_select, selection_mode, width …)."""
    shown, config = prepared(frame, zone=zone, columns=columns, hide=hide)
    dataframe.setdefault("hide_index", True)
    return st.dataframe(shown, column_config=config, **dataframe)


def editor_config(
    frame: pd.DataFrame, *, columns: Mapping[str, Column] | None = None
) -> dict[str, Any]:
    """Headers for an `st.data_editor` of settings rows (values stay as they are: they are
    saved back)."""
    known = {**COLUMNS, **(columns or {})}
    config: dict[str, Any] = {}
    for name in frame.columns:
        spec = known.get(str(name))
        if spec is not None:
            header = text(spec.label)
            config[str(name)] = st.column_config.Column(header)
    return config
