"""Accounts: find one account and read its whole story on one page.

Search by account id, masked national ID, or the last four digits of the card, phone or ID
(only masked values are compared and shown). The account's story is mart.account_timeline: its
snapshots (bucket, balance), payments, contacts with outcomes, promises and their fate, plans,
breaches and its risk grade and treatment at each month end. The chosen account is in the link
(`?account=A3`), so a breach or a matrix cell can send a colleague straight here.
"""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboard import format as fmt
from dashboard import glossary, tables
from dashboard.app_pages import (
    capped_note,
    current_version,
    needs_load,
    pick_from_table,
    provenance_caption,
    write_to_url,
)
from dashboard.i18n import escape, t, text
from dashboard.reads import accounts as reads
from dashboard.reads.connection import bank_timezone

KINDS = ["snapshot", "grade", "payment", "reversal", "contact", "promise", "plan", "breach"]
KIND_COLOURS = {
    "snapshot": "#1f4e79",
    "grade": "#6a1b9a",
    "payment": "#2e7d32",
    "reversal": "#ef6c00",
    "contact": "#0277bd",
    "promise": "#f9a825",
    "plan": "#00897b",
    "breach": "#c62828",
}


def story_figure(months: pl.DataFrame, timeline: pl.DataFrame) -> go.Figure:
    """Balance at each snapshot on top; every other event as a marker on its own row below."""
    fig = go.Figure()
    snapshots = timeline.filter(pl.col("kind") == "snapshot").with_columns(
        pl.col("event_date").dt.truncate("1mo").alias("_month")
    )
    # Once daily snapshots start, a label on every point would overprint: the bucket is written
    # at the month's last snapshot only (every point says it on hover).
    last_of_month = snapshots.group_by("_month").agg(pl.col("event_date").max())["event_date"]
    month_ends = set(last_of_month.to_list())
    buckets = [fmt.chart_text(fmt.code("bucket", b)) for b in snapshots["status"].to_list()]
    fig.add_scatter(
        x=snapshots["event_date"].to_list(),
        y=[float(v) if v is not None else None for v in snapshots["amount"].to_list()],
        text=[
            label if day in month_ends else ""
            for label, day in zip(buckets, snapshots["event_date"].to_list(), strict=True)
        ],
        customdata=buckets,
        mode="lines+markers+text",
        textposition="top center",
        name=text("accounts.kind.snapshot"),
        line={"color": KIND_COLOURS["snapshot"]},
        hovertemplate="%{x|%Y-%m-%d} · %{customdata} · ¥%{y:,.2f}<extra></extra>",
        yaxis="y",
    )
    events = glossary.localised_timeline(timeline.filter(pl.col("kind") != "snapshot"))
    for kind in KINDS[1:]:
        rows = events.filter(pl.col("kind") == kind)
        if rows.is_empty():
            continue
        fig.add_scatter(
            x=rows["event_date"].to_list(),
            y=[text(f"accounts.kind.{kind}")] * rows.height,
            text=[
                fmt.chart_text(f"{status} · {detail}")
                for status, detail in zip(rows["status"], rows["detail"], strict=True)
            ],
            mode="markers",
            marker={"size": 11, "color": KIND_COLOURS[kind], "symbol": "diamond"},
            name=text(f"accounts.kind.{kind}"),
            hovertemplate="%{x|%Y-%m-%d} · %{text}<extra></extra>",
            yaxis="y2",
        )
    fig.update_layout(
        height=520,
        margin={"l": 8, "r": 8, "t": 8, "b": 8},
        yaxis={"domain": [0.55, 1], "title": text("col.balance"), "tickprefix": "¥"},
        yaxis2={"domain": [0, 0.45], "type": "category"},
        legend={"orientation": "h", "y": -0.08},
        showlegend=False,
    )
    fig.update_xaxes(tickformat="%Y-%m-%d")
    return fig


version = current_version()
zone = bank_timezone(version)
st.title(t("accounts.title"))
provenance_caption(version)

query = st.text_input(
    t("accounts.search"),
    key="account_search",
    placeholder=t("accounts.search_placeholder"),
    help=t("accounts.search_help"),
)
found = reads.find_accounts(version, query or "")
# The link names the account shown; a search result picked (or the only one) replaces it.
wanted = st.query_params.get("account")
if query:
    if found.rows.is_empty():
        st.warning(t("accounts.not_found", text=query))
    else:
        capped_note(found.capped, found.rows.height)
        picked = tables.show(
            found.rows, key="account_results", on_select="rerun", selection_mode="single-row"
        )
        ids = found.rows["account_id"].to_list()
        pick_from_table(picked, ids, key="_account_picked")
        if len(ids) == 1:
            wanted = ids[0]
        elif st.session_state.get("_account_picked") in ids:
            wanted = st.session_state.pop("_account_picked")

header = reads.account_header(version, wanted) if wanted else pl.DataFrame()
if header.is_empty():
    write_to_url("account", None, None)
    if wanted:
        st.warning(t("accounts.not_found", text=wanted))
    st.caption(t("accounts.hint"))
    st.stop()

account = header.row(0, named=True)
write_to_url("account", account["account_id"], None)
st.subheader(t("accounts.story", account=account["account_id"]))
# Masked numbers are long: two to a row, so they are never cut short.
# Metric values render Markdown and these come from the bank's files: each is escaped.
who = st.columns(2)
who[0].metric(
    t("accounts.name"), escape(account["customer_name_masked"] or fmt.MISSING), border=True
)
who[1].metric(t("accounts.mobile"), escape(account["mobile_masked"] or fmt.MISSING), border=True)
numbers = st.columns(2)
numbers[0].metric(t("accounts.card"), escape(account["card_no_masked"] or fmt.MISSING), border=True)
numbers[1].metric(
    t("accounts.national_id"), escape(account["national_id_masked"] or fmt.MISSING), border=True
)
now = st.columns(3)
now[0].metric(
    t("accounts.latest", month=fmt.month(account["month"])),
    escape(fmt.code("bucket", account["bucket"])),
    border=True,
)
now[1].metric(t("col.balance"), fmt.money(account["balance"]), border=True)
now[2].metric(
    t("col.risk_grade"), escape(fmt.code("risk_grade", account["risk_grade"])), border=True
)
strategy = reads.account_strategy(version, account["account_id"])
if not strategy.is_empty() and strategy["treatment"][0] is not None:
    plan = strategy.row(0, named=True)
    st.info(
        t(
            "accounts.treatment_full",
            cause=fmt.code("cause", plan["delinquency_cause"]),
            treatment=fmt.code("treatment", plan["treatment"]),
            channels=", ".join(
                fmt.code("channel", c.strip()) for c in (plan["channels"] or "").split(",")
            ),
            per_week=plan["contacts_per_week"],
            script=plan["script_focus"] or fmt.MISSING,
            next_step=plan["next_step"] or fmt.MISSING,
        ),
        icon=":material/assignment:",
    )
st.caption(
    t(
        "accounts.about",
        product=account["product"] or fmt.MISSING,
        branch=account["branch"] or fmt.MISSING,
        opened=fmt.day(account["open_date"]),
        limit=fmt.money(account["credit_limit"]),
    )
)

if needs_load(version, "mart.account_timeline"):
    st.stop()
timeline = reads.account_timeline(version, account["account_id"])
months = reads.account_months(version, account["account_id"])
st.plotly_chart(
    story_figure(months, timeline.rows), config={"displaylogo": False}, key="account_story"
)
capped_note(timeline.capped, timeline.rows.height)
kinds = st.pills(
    t("accounts.kinds"),
    KINDS,
    selection_mode="multi",
    default=KINDS,
    format_func=lambda kind: t(f"accounts.kind.{kind}"),
    key="account_kinds",
)
shown = glossary.localised_timeline(
    timeline.rows.filter(pl.col("kind").is_in(kinds or KINDS))
).with_columns(
    pl.col("kind").replace_strict(
        {kind: text(f"accounts.kind.{kind}") for kind in KINDS}, default=pl.col("kind")
    ),
)
tables.show(shown, zone=zone, key="account_timeline")
st.caption(t("accounts.timeline_note"))
