"""Work queue: today's delinquent accounts ranked by expected recovery (balance x probability
of curing, from the warehouse's own roll rates by segment), with the treatment each should get
and the contact windows left today; one export per team, CSV or Excel (managers, compliance,
admins), audited when downloaded.

The ranking and windows are computed by `warehouse.work_queue`; a running champion/challenger
experiment puts its challenger arm on the challenger version's treatments.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import polars as pl
import streamlit as st

from dashboard import export, session, tables
from dashboard import format as fmt
from dashboard.app_pages import current_version, open_account, pick_from_table, provenance_caption
from dashboard.i18n import t
from dashboard.reads import acting
from warehouse.app import exports

PAGE = "work_queue"
SHOWN = 500


def running_experiment() -> tuple[int, int, float, dict] | None:
    store = session.store()
    for experiment in store.experiments():
        if experiment.running:
            challenger = store.settings_version(experiment.challenger_version).settings
            return (experiment.seed, experiment.start_month.toordinal(),
                    experiment.challenger_share, challenger)  # fmt: skip
    return None


def team_download(frame: pl.DataFrame, team: str, kind: str) -> Callable[[], bytes]:
    """The team's part of the queue (in queue order) as CSV or Excel, built when the user
    downloads it: the role is checked then (not only by hiding the button) and the export goes
    to the audit trail (who, which team, rows)."""

    def write(rows: pl.DataFrame) -> bytes:
        if kind == "csv":
            return exports.to_csv(rows)
        return exports.to_excel(rows, sheet=f"work queue {team}")

    return export.audited(
        lambda: frame.filter(pl.col("team") == team), write, store=session.store(),
        user=session.current_user(), action="queue.export", what="work_queue",
        detail=export.describe_filter({"format": kind, "team": team}),
    )  # fmt: skip


session.require_page(PAGE)
version = current_version()
st.title(t("page.work_queue"))
provenance_caption(version)
now = datetime.now(UTC).replace(second=0, microsecond=0)
with st.spinner(t("queue.building")):
    queue = acting.queue(version, now, running_experiment())
frame = queue.frame
if frame.is_empty():
    st.info(t("queue.empty"))
    st.stop()
st.caption(t("queue.help", month=fmt.month(queue.month)))
teams = sorted(frame["team"].unique().to_list())
team = st.selectbox(
    t("queue.team"), [None, *teams], format_func=lambda v: v or t("queue.all_teams"), key="wq_team"
)
shown = frame if team is None else frame.filter(pl.col("team") == team)
cards = st.columns(4)
cards[0].metric(t("queue.accounts"), fmt.count(shown.height))
cards[1].metric(t("queue.balance"), fmt.money(shown["balance"].sum()))
cards[2].metric(t("queue.expected_recovery"), fmt.money(shown["expected_recovery"].sum()))
cards[3].metric(t("queue.do_not_contact"), fmt.count(int(shown["do_not_contact"].sum())))
if shown.height > SHOWN:
    st.caption(t("common.capped", shown=fmt.count(SHOWN)))
listed = shown.head(SHOWN)
picked = tables.show(
    listed,
    key="wq_table",
    on_select="rerun",
    selection_mode="single-row",
    columns={"rank": tables.Column("queue.rank", "integer")},
)
# From a row of the queue to the account's story.
pick_from_table(picked, listed["account_id"].to_list(), key="wq_account")
chosen_account = st.session_state.get("wq_account")
if isinstance(chosen_account, str) and chosen_account in listed["account_id"].to_list():
    if st.button(
        t("queue.open_account", account=chosen_account),
        key="wq_open_account",
        icon=":material/timeline:",
    ):
        open_account(chosen_account)
else:
    st.caption(t("queue.pick_row"))
if team is not None:
    if session.can("queue.export"):
        with st.container(horizontal=True, gap="small"):
            st.download_button(
                t("queue.export", team=team), team_download(frame, team, "csv"),
                file_name=f"work_queue_{team}.csv", mime=export.CSV_MIME, key="wq_export",
                on_click="ignore", icon=":material/download:",
            )  # fmt: skip
            st.download_button(
                t("sec.queue_export_xlsx", team=team), team_download(frame, team, "xlsx"),
                file_name=f"work_queue_{team}.xlsx", mime=export.XLSX_MIME,
                key="wq_export_xlsx", on_click="ignore", icon=":material/table_view:",
            )  # fmt: skip
    else:
        st.info(t("queue.export_forbidden"), icon=":material/lock:")
else:
    st.caption(t("queue.pick_team"))
