"""Compliance: every contact that broke a rule, who made it, the trend, and the audit export.

Breaches by rule set and rule, agent, team and day (mart.compliance_breach_counts) for the
month range and teams of the sidebar, narrowed by a rule set, a rule or an agent (all in the
link); the breaches themselves (mart.compliance_breaches) listed newest first. Selecting a breach
shows the attempt and opens the account's timeline; the filtered breaches download as CSV and
Excel. Alerts flag an agent or team whose breaches spiked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import plotly.express as px
import polars as pl
import streamlit as st

from dashboard import alerts, export, session
from dashboard import format as fmt
from dashboard.app_pages import (
    alert_thresholds,
    current_filters,
    current_version,
    ignored_filters_note,
    needs_load,
    open_account,
    pick_from_table,
    provenance_caption,
    show_alerts,
    url_segmented,
    url_select,
)
from dashboard.i18n import t
from dashboard.reads import compliance as reads
from dashboard.reads.connection import MAX_ROWS, bank_timezone
from dashboard.reads.filters import TEAM, Filters
from warehouse.app import access

BY = {"rule": "compliance.rule", "agent": "col.agent", "team": "col.team"}
SHOWN_BREACHES = 1_000


def breaches_download(
    filters: Filters, chosen: reads.BreachFilter, kind: str
) -> Callable[[], bytes]:
    """Every breach of the slice (up to MAX_ROWS) as CSV or Excel, built when the user
    downloads it; the export (who, the filter, rows) goes to the audit trail."""

    def write(frame: pl.DataFrame) -> bytes:
        if kind == "csv":
            return export.to_csv(frame, zone)
        return export.to_excel(frame, zone, sheet="breaches")

    detail = export.describe_filter(
        {"format": kind, "from": filters.start, "to": filters.end, "team": filters.teams,
         "rule_set": chosen.rule_set, "rule": chosen.rule, "agent": chosen.agent_id}
    )  # fmt: skip
    return export.audited(
        lambda: reads.breaches(version, filters, chosen).rows, write, store=session.store(),
        user=session.current_user(), action=access.COMPLIANCE_EXPORT,
        what="compliance_breaches", detail=detail,
    )  # fmt: skip


def breach_config(zone: str) -> dict[str, Any]:
    return {
        "started_at": st.column_config.DatetimeColumn(
            t("compliance.started_at", zone=zone), format="YYYY-MM-DD HH:mm:ss"
        ),
        "local_time": st.column_config.DatetimeColumn(
            t("compliance.local_time"), format="YYYY-MM-DD HH:mm:ss"
        ),
        "local_date": st.column_config.DateColumn(t("col.day"), format="YYYY-MM-DD"),
        "timezone": st.column_config.TextColumn(t("compliance.timezone")),
        "rule_set": st.column_config.TextColumn(t("compliance.rule_set")),
        "rule": st.column_config.TextColumn(t("compliance.rule")),
        "attempt_id": st.column_config.TextColumn(t("compliance.attempt")),
        "account_id": st.column_config.TextColumn(t("col.account_id")),
        "agent_id": st.column_config.TextColumn(t("col.agent_id")),
        "agent_name": st.column_config.TextColumn(t("col.agent")),
        "team": st.column_config.TextColumn(t("col.team")),
        "agency": st.column_config.TextColumn(t("col.agency")),
        "channel": st.column_config.TextColumn(t("col.channel")),
        "outcome": st.column_config.TextColumn(t("compliance.outcome")),
        "detail": st.column_config.TextColumn(t("compliance.detail"), width="large"),
        "breaches": st.column_config.NumberColumn(t("col.breaches"), format="%,d"),
        "attempts": st.column_config.NumberColumn(t("compliance.attempts_in_breach"), format="%,d"),
        "accounts": st.column_config.NumberColumn(t("col.accounts"), format="%,d"),
    }


version = current_version()
filters = current_filters()
zone = bank_timezone(version)
st.title(t("compliance.title"))
provenance_caption(version)
if filters is None:
    st.info(t("portfolio.no_snapshot"))
    st.stop()
ignored_filters_note(filters, TEAM)
if needs_load(version, "mart.compliance_breach_counts"):
    st.stop()

rules = reads.rule_choices(version)
rule_sets = sorted(set(rules["rule_set"].to_list()))
with st.container(horizontal=True, gap="medium"):
    rule_set = url_select(t("compliance.rule_set"), rule_sets, key="rule_set")
    rule_names = sorted(
        set((rules.filter(pl.col("rule_set") == rule_set) if rule_set else rules)["rule"].to_list())
    )
    rule = url_select(t("compliance.rule"), rule_names, key="rule")
    agents = reads.breach_counts(version, filters, reads.BreachFilter(rule_set, rule), "agent")[
        "agent_id"
    ].to_list()
    agent = url_select(t("col.agent_id"), [a for a in agents if a is not None], key="breach_agent")
chosen = reads.BreachFilter(rule_set, rule, agent)

# The screen lists the newest breaches; the downloads hold every breach of the slice (up to
# MAX_ROWS), built only when a button is pressed.
listed = reads.breaches(version, filters, chosen, limit=SHOWN_BREACHES)
totals = reads.breach_totals(version, filters, chosen)
total = totals["breaches"]
cards = st.columns(3)
cards[0].metric(t("col.breaches"), fmt.count(total), border=True)
cards[1].metric(t("compliance.attempts_in_breach"), fmt.count(totals["attempts"]), border=True)
cards[2].metric(
    t("col.accounts"),
    fmt.count(totals["accounts"]),
    border=True,
    help=t("compliance.accounts_help"),
)
if total == 0:
    st.success(t("compliance.none"), icon=":material/verified:")
    st.stop()

thresholds = alert_thresholds(version)
show_alerts(
    alerts.breach_spikes(
        reads.breach_counts(version, filters, chosen, "agent_month").filter(
            pl.col("agent_id").is_not_null()
        ),
        subject="agent_id",
        thresholds=thresholds,
    )
    + alerts.breach_spikes(
        reads.breach_counts(version, filters, chosen, "team_month").filter(
            pl.col("team").is_not_null()
        ),
        subject="team",
        thresholds=thresholds,
    )
)

st.subheader(t("compliance.trend"))
daily = reads.breach_counts(version, filters, chosen, "day")
fig = px.bar(daily, x="local_date", y="breaches")
fig.update_traces(marker_color="#c62828", hovertemplate="%{x|%Y-%m-%d}: %{y:,d}<extra></extra>")
fig.update_layout(height=260, margin={"l": 8, "r": 8, "t": 8, "b": 8})
fig.update_xaxes(title=None, tickformat="%Y-%m-%d")
fig.update_yaxes(title=t("col.breaches"), tickformat=",d", rangemode="tozero")
most = daily["breaches"].max()
if isinstance(most, int) and most <= 10:  # whole breaches on a short axis
    fig.update_yaxes(dtick=1)
if daily.height <= 3:  # a bar or three: no half days on the axis
    fig.update_xaxes(type="category")
st.plotly_chart(fig, config={"displaylogo": False}, key="breach_trend")

st.subheader(t("compliance.breakdown"))
by = url_segmented(t("contacts.by"), BY, key="breach_by", default="rule")
st.dataframe(
    reads.breach_counts(version, filters, chosen, by),
    hide_index=True,
    width="content",
    column_config=breach_config(zone),
    key=f"breach_by_{by}",
)

st.subheader(t("compliance.list"))
if listed.capped:
    st.caption(t("compliance.newest", shown=fmt.count(listed.rows.height), total=fmt.count(total)))
if total > MAX_ROWS:
    st.warning(t("compliance.export_capped", limit=fmt.count(MAX_ROWS)))
shown = listed.rows.with_columns(
    pl.col("started_at").dt.convert_time_zone(zone).dt.replace_time_zone(None)
)
picked = st.dataframe(
    shown,
    hide_index=True,
    key="breach_list",
    on_select="rerun",
    selection_mode="single-row",
    column_config=breach_config(zone),
)
with st.container(horizontal=True, gap="small"):
    stamp = f"{fmt.month_key(filters.start)}_{fmt.month_key(filters.end)}"
    if session.can(access.COMPLIANCE_EXPORT):
        st.download_button(
            t("common.download_csv"),
            breaches_download(filters, chosen, "csv"),
            file_name=f"breaches_{stamp}.csv",
            mime=export.CSV_MIME,
            key="export_csv",
            on_click="ignore",
            icon=":material/download:",
        )
        st.download_button(
            t("common.download_xlsx"),
            breaches_download(filters, chosen, "xlsx"),
            file_name=f"breaches_{stamp}.xlsx",
            mime=export.XLSX_MIME,
            key="export_xlsx",
            on_click="ignore",
            icon=":material/table_view:",
        )
st.caption(t("compliance.export_note", zone=zone))

attempt_ids = list(dict.fromkeys(listed.rows["attempt_id"].to_list()))
pick_from_table(picked, listed.rows["attempt_id"].to_list(), key="breach")
st.subheader(t("compliance.drill_header"))
attempt_id = url_select(t("compliance.attempt"), attempt_ids, key="breach")
if attempt_id:
    breach = listed.rows.filter(pl.col("attempt_id") == attempt_id).row(0, named=True)
    for detail in listed.rows.filter(pl.col("attempt_id") == attempt_id)["detail"].to_list():
        st.write(f"- {detail}")
    tried = reads.attempt(version, attempt_id)
    st.dataframe(
        tried.with_columns(
            pl.col("started_at").dt.convert_time_zone(zone).dt.replace_time_zone(None)
        ),
        hide_index=True,
        key="breach_attempt",
        column_config={
            **breach_config(zone),
            "party": st.column_config.TextColumn(t("compliance.party")),
            "third_party_relation": st.column_config.TextColumn(t("compliance.relation")),
            "debtor_timezone": st.column_config.TextColumn(t("compliance.timezone")),
            "day_type": st.column_config.TextColumn(t("compliance.day_type")),
            "contact_number_masked": st.column_config.TextColumn(t("compliance.number")),
            "duration_s": st.column_config.NumberColumn(t("compliance.duration"), format="%d"),
            "bucket": st.column_config.TextColumn(t("col.bucket")),
        },
    )
    if st.button(
        t("compliance.open_timeline", account=breach["account_id"]),
        key="breach_open_account",
        icon=":material/timeline:",
    ):
        open_account(breach["account_id"])
else:
    st.caption(t("compliance.drill_hint"))
