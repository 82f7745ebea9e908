"""Audit trail (admins, under Operations): who did what, when, from where, and what came of it.

One append-only table in the app store (`warehouse.app.store`): sign-ins and their failures and
lock-outs, views of an account's timeline, strategy saves and rollbacks, exports (who, what
filter, rows), every workbench query (who, when, its text, rows, outcome), user management.
Filtered by time, user, action, outcome and a text; the filtered rows download as CSV and
Excel (the download is itself audited). The page checks the trail's hash chain and says whether
any row was changed outside the app.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
import streamlit as st

from dashboard import export, session
from dashboard import format as fmt
from dashboard.app_pages import current_version
from dashboard.i18n import t
from dashboard.reads.connection import MAX_ROWS, bank_timezone
from warehouse.app import access

PAGE = "audit"
SHOWN = 5_000


def day_bounds(chosen: object, zone: str) -> tuple[datetime | None, datetime | None]:
    """The instants a date range picked in the bank's zone covers (the end day included)."""
    if not isinstance(chosen, tuple | list) or not chosen:
        return None, None
    start: date = chosen[0]
    end: date = chosen[-1]
    local = ZoneInfo(zone)
    since = datetime.combine(start, time.min, tzinfo=local)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=local)
    return since, until


def trail_download(query: dict[str, Any], detail: str, kind: str, zone: str) -> Callable[[], bytes]:
    def write(frame: pl.DataFrame) -> bytes:
        if kind == "csv":
            return export.to_csv(frame, zone)
        return export.to_excel(frame, zone, sheet="audit trail")

    return export.audited(
        lambda: store.audit_events(**query, limit=MAX_ROWS), write, store=store,
        user=session.current_user(), action=access.AUDIT_EXPORT, what="audit_trail",
        detail=detail,
    )  # fmt: skip


session.require_page(PAGE)
version = current_version()
zone = bank_timezone(version)
store = session.store()
st.title(t("page.audit"))
st.caption(t("audit.help"))

check = store.verify_audit()
if check.intact:
    st.success(t("audit.intact", events=fmt.count(check.events), chained=fmt.count(check.chained)),
               icon=":material/verified_user:")  # fmt: skip
else:
    st.error(t("audit.broken", event=check.broken_at), icon=":material/gpp_bad:")

facets = store.audit_facets()
today = datetime.now(UTC).astimezone(ZoneInfo(zone)).date()
with st.container(horizontal=True, gap="medium"):
    days = st.date_input(
        t("audit.days", zone=zone), value=(today - timedelta(days=30), today), key="audit_days"
    )
    users = st.multiselect(t("audit.users"), facets["username"], key="audit_users",
                           placeholder=t("audit.all"))  # fmt: skip
    actions = st.multiselect(t("audit.actions"), facets["action"], key="audit_actions",
                             placeholder=t("audit.all"))  # fmt: skip
    outcomes = st.multiselect(t("audit.outcomes"), facets["outcome"], key="audit_outcomes",
                              format_func=lambda o: t(f"audit.outcome.{o}"),
                              placeholder=t("audit.all"))  # fmt: skip
text = st.text_input(t("audit.search"), key="audit_search", help=t("audit.search_help"),
                     max_chars=200)  # fmt: skip
since, until = day_bounds(days, zone)
query: dict[str, Any] = {"since": since, "until": until, "usernames": users, "actions": actions,
         "outcomes": outcomes, "text": text.strip() or None}  # fmt: skip
events = store.audit_events(**query, limit=SHOWN + 1)
capped = events.height > SHOWN
events = events.head(SHOWN)

cards = st.columns(4)
cards[0].metric(t("audit.events"), fmt.count(events.height), border=True)
for card, outcome in zip(cards[1:], ("refused", "failed", "locked"), strict=True):
    card.metric(t(f"audit.outcome.{outcome}"),
                fmt.count(int((events["outcome"] == outcome).sum())), border=True)  # fmt: skip
if capped:
    st.caption(t("audit.capped", shown=fmt.count(SHOWN)))
if events.is_empty():
    st.info(t("audit.none"))
else:
    st.dataframe(
        events.with_columns(pl.col("at").dt.convert_time_zone(zone).dt.replace_time_zone(None)),
        hide_index=True,
        key="audit_events",
        column_config={
            "event_id": st.column_config.NumberColumn(t("audit.col.event"), format="%d"),
            "at": st.column_config.DatetimeColumn(
                t("audit.col.at", zone=zone), format="YYYY-MM-DD HH:mm:ss"
            ),
            "username": st.column_config.TextColumn(t("audit.col.user")),
            "role": st.column_config.TextColumn(t("audit.col.role")),
            "action": st.column_config.TextColumn(t("audit.col.action")),
            "allowed": st.column_config.CheckboxColumn(t("audit.col.allowed")),
            "outcome": st.column_config.TextColumn(t("audit.col.outcome")),
            "target": st.column_config.TextColumn(t("audit.col.target")),
            "detail": st.column_config.TextColumn(t("audit.col.detail"), width="large"),
            "query": st.column_config.TextColumn(t("audit.col.query"), width="large"),
            "rows": st.column_config.NumberColumn(t("audit.col.rows"), format="%d"),
            "client": st.column_config.TextColumn(t("audit.col.client")),
        },
    )
if session.can(access.AUDIT_EXPORT):
    detail = export.describe_filter(
        {"from": since, "to": until, "user": users, "action": actions, "outcome": outcomes,
         "text": query["text"]}
    )  # fmt: skip
    with st.container(horizontal=True, gap="small"):
        st.download_button(
            t("common.download_csv"), trail_download(query, f"format=csv; {detail}", "csv", zone),
            file_name=f"audit_{today:%Y%m%d}.csv", mime=export.CSV_MIME, key="audit_csv",
            on_click="ignore", icon=":material/download:",
        )  # fmt: skip
        st.download_button(
            t("common.download_xlsx"),
            trail_download(query, f"format=xlsx; {detail}", "xlsx", zone),
            file_name=f"audit_{today:%Y%m%d}.xlsx", mime=export.XLSX_MIME, key="audit_xlsx",
            on_click="ignore", icon=":material/table_view:",
        )  # fmt: skip
st.caption(t("audit.export_note", zone=zone))
