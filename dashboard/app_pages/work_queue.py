"""Work queue: today's delinquent accounts ranked by expected recovery (balance x probability
of curing, from the warehouse's own roll rates by segment), with the treatment each should get
and the contact windows left today; one export per team (managers, compliance, admins).

The ranking and windows are computed by `warehouse.work_queue`; a running champion/challenger
experiment puts its challenger arm on the challenger version's treatments.
"""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import streamlit as st

from dashboard import format as fmt
from dashboard import session, tables
from dashboard.app_pages import current_version, open_account, pick_from_table, provenance_caption
from dashboard.i18n import t
from dashboard.reads import acting
from warehouse.app import work_queue
from warehouse.app.access import Forbidden

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


def export(frame: pl.DataFrame, team: str) -> bytes:
    """The team's CSV, for a role that may export (checked here, not only by hiding the button)."""
    user = session.store().authorise(session.current_user(), "queue.export", team)
    session.store().audit(user, "queue.export", allowed=True, detail=team)
    return work_queue.team_export(frame, team)


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
        try:
            payload = export(frame, team)
        except Forbidden as exc:
            st.error(str(exc))
        else:
            st.download_button(
                t("queue.export", team=team), payload, file_name=f"work_queue_{team}.csv",
                mime="text/csv", key="wq_export",
            )  # fmt: skip
    else:
        st.info(t("queue.export_forbidden"), icon=":material/lock:")
else:
    st.caption(t("queue.pick_team"))
