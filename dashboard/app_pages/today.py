"""Since the last load: the first thing a manager opens in the morning.

What the latest load changed (the business dates of the files it landed or replaced): accounts
that became delinquent, cured, rolled forward or back; promises due today (the day after the
data's latest business date) and promises broken on those dates; new compliance breaches. Every
row opens its account. The figures are `warehouse.app.briefing`'s, the same as the morning
briefing (`collections report`).
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import format as fmt
from dashboard import glossary, tables
from dashboard.app_pages import (
    current_version,
    needs_load,
    open_account,
    pick_from_table,
    provenance_caption,
)
from dashboard.i18n import t
from dashboard.reads import today as reads
from dashboard.reads.connection import bank_timezone
from warehouse.app import briefing

version = current_version()
zone = bank_timezone(version)
st.title(t("today.title"))
provenance_caption(version)
if needs_load(version, "mart.account_day_changes"):
    st.stop()

window = reads.load_window(version)
if window.first is None:
    st.info(t("today.nothing"))
    st.stop()
if window.first == window.last:
    st.caption(t("today.window_one", day=fmt.long_day(window.last), load=window.load_id or "–"))
else:
    st.caption(
        t(
            "today.window",
            first=fmt.long_day(window.first),
            last=fmt.long_day(window.last),
            load=window.load_id or "–",
        )
    )

changes = reads.day_changes(version, window)
counted = reads.change_totals(version, window)
due = reads.promises_due(version, window.today)
broken = reads.promises_broken(version, window)
breaches = reads.new_breaches(version, window)
breach_total = reads.breach_count(version, window)


def listed_note(shown: pl.DataFrame, total: int) -> None:
    """Say so when a list shows only its first rows."""
    if total > shown.height:
        st.caption(t("today.listed", shown=fmt.count(shown.height), total=fmt.count(total)))


cards = [*st.columns(3), *st.columns(3)]
for column, change in zip(cards[:4], briefing.CHANGES, strict=True):
    accounts, balance = counted[change]
    column.metric(
        t(f"today.card.{change}"),
        fmt.count(accounts),
        delta=fmt.money(balance) if accounts else None,
        delta_color="off",
        delta_arrow="off",
        border=True,
    )
cards[4].metric(
    t("today.card.due", day=fmt.day(window.today)),
    fmt.count(due.height),
    delta=fmt.money(sum(due["promised_amount"].to_list())) if due.height else None,
    delta_color="off",
    delta_arrow="off",
    border=True,
)
cards[5].metric(t("today.card.breaches"), fmt.count(breach_total), border=True)


def account_list(frame: pl.DataFrame, *, key: str, zone: str | None = None) -> None:
    """A table whose selected row opens its account (the Accounts page)."""
    picked = tables.show(frame, key=key, zone=zone, on_select="rerun", selection_mode="single-row")
    ids = frame["account_id"].to_list()
    pick_from_table(picked, ids, key=f"{key}_account")
    chosen = st.session_state.get(f"{key}_account")
    if (
        isinstance(chosen, str)
        and chosen in ids
        and st.button(
            t("today.open", account=chosen), key=f"{key}_open", icon=":material/timeline:"
        )
    ):
        open_account(chosen)


st.subheader(t("today.changes"))
if changes.is_empty():
    st.caption(t("today.no_changes"))
else:
    account_list(changes, key="today_changes")
    listed_note(changes, sum(accounts for accounts, _ in counted.values()))
    st.caption(t("today.changes_note"))

st.subheader(t("today.promises"))
if due.is_empty() and broken.is_empty():
    st.caption(t("today.no_promises", day=fmt.day(window.today)))
if not due.is_empty():
    st.markdown(t("today.due", day=fmt.long_day(window.today)))
    account_list(due, key="today_due")
if not broken.is_empty():
    st.markdown(t("today.broken"))
    account_list(broken, key="today_broken")
    listed_note(broken, reads.broken_count(version, window))

st.subheader(t("today.breaches"))
if breaches.is_empty():
    st.success(t("today.no_breaches"), icon=":material/verified:")
else:
    account_list(glossary.localised_details(breaches), key="today_breaches", zone=zone)
    listed_note(breaches, breach_total)
