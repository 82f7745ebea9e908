"""Champion / challenger: put a random share of the delinquent accounts on a challenger settings
version, then compare the arms' cure, roll and collected rates with 95% confidence intervals
(`warehouse.experiments` documents the assignment and the statistics). Managers and admins start
and stop experiments; everyone reads the results.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import format as fmt
from dashboard import session, tables
from dashboard.app_pages import current_version, provenance_caption
from dashboard.i18n import escape, t, text
from dashboard.reads import acting
from warehouse.app import experiments
from warehouse.app.access import Forbidden
from warehouse.app.store import Experiment

PAGE = "champion_challenger"
STARTED_KEY = "cc_started"  # the experiment just started, said once after the page reloads
ARM_COLUMNS = {
    "cured": tables.count("cc.cured"),
    "rolled": tables.count("cc.rolled"),
    "cure_rate": tables.rate("cc.cure_rate"),
    "cure_low": tables.rate("cc.cure_low"),
    "cure_high": tables.rate("cc.cure_high"),
    "roll_rate": tables.rate("cc.roll_rate"),
    "roll_low": tables.rate("cc.roll_low"),
    "roll_high": tables.rate("cc.roll_high"),
    "collected_rate": tables.rate("cc.collected_rate"),
    "collected_low": tables.rate("cc.collected_low"),
    "collected_high": tables.rate("cc.collected_high"),
}
DIFFERENCE_COLUMNS = {
    "measure": tables.code("cc.measure", "measure"),
    "champion": tables.rate("code.arm.champion"),
    "challenger": tables.rate("code.arm.challenger"),
    "difference": tables.rate("cc.difference"),
    "low": tables.rate("cc.low"),
    "high": tables.rate("cc.high"),
}


def overlapping(month: object) -> list[Experiment]:
    """Running experiments a new one would share accounts with: each takes the delinquent
    accounts of its start month on, so any running experiment overlaps a new one."""
    return [e for e in session.store().experiments() if e.running]


def start_form(months: list, version_numbers: list[int], champion: int) -> None:
    st.subheader(t("cc.start_title"))
    allowed = session.can("experiment.start")
    if not allowed:
        st.info(t("cc.start_forbidden"), icon=":material/lock:")
        return
    challengers = [n for n in version_numbers if n != champion]
    if not challengers:
        st.info(t("cc.no_challenger"))
        return
    left, middle, right = st.columns(3)
    challenger = left.selectbox(t("cc.challenger"), challengers, key="cc_challenger")
    share = middle.slider(t("cc.share"), 0.05, 0.5, 0.2, 0.05, key="cc_share")
    seed = right.number_input(t("cc.seed"), value=2026, step=1, key="cc_seed")
    month = st.selectbox(t("cc.start_month"), months, index=len(months) - 1,
                         format_func=fmt.month, key="cc_month")  # fmt: skip
    name = st.text_input(t("cc.name"), key="cc_name")
    running = overlapping(month)
    confirmed = True
    if running:
        st.warning(
            t(
                "cc.overlap",
                experiments=", ".join(f"#{e.experiment_id} {e.name}" for e in running),
            ),
            icon=":material/warning:",
        )
        confirmed = st.checkbox(t("cc.overlap_confirm"), key="cc_overlap_ok")
    if st.button(t("cc.assign"), type="primary", key="cc_assign", disabled=not confirmed):
        ids = acting.population(current_version(), month)
        arms = experiments.assign(ids, seed=int(seed), share=float(share)) if ids else None
        on_challenger = 0 if arms is None else int((arms["arm"] == "challenger").sum())
        try:
            started = session.store().start_experiment(
                session.current_user(), name=name, champion_version=champion,
                challenger_version=int(challenger), challenger_share=float(share),
                seed=int(seed), start_month=month, accounts=len(ids),
                challenger_accounts=on_challenger,
            )  # fmt: skip
        except (Forbidden, ValueError) as exc:
            st.error(escape(str(exc)))
            return
        # Reload, so the experiment shows above at once (the list was read before the form).
        st.session_state[STARTED_KEY] = t(
            "cc.started", id=started.experiment_id, accounts=fmt.count(len(ids)),
            challenger=fmt.count(on_challenger),
        )  # fmt: skip
        st.rerun()


def interval_chart(arms: pd.DataFrame) -> go.Figure:
    figure = go.Figure()
    for measure in ("cure", "roll", "collected"):
        figure.add_trace(
            go.Bar(
                name=text(f"cc.{measure}_rate"),
                x=[fmt.code("arm", arm) for arm in arms["arm"]],
                y=arms[f"{measure}_rate"],
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": arms[f"{measure}_high"] - arms[f"{measure}_rate"],
                    "arrayminus": arms[f"{measure}_rate"] - arms[f"{measure}_low"],
                },  # fmt: skip
            )
        )
    figure.update_layout(barmode="group", height=320, yaxis_tickformat=".0%",
                         margin={"l": 8, "r": 8, "t": 8, "b": 8})  # fmt: skip
    return figure


session.require_page(PAGE)
version = current_version()
st.title(t("page.champion_challenger"))
provenance_caption(version)
st.caption(t("cc.help"))
if STARTED_KEY in st.session_state:
    started_message = st.session_state.pop(STARTED_KEY)  # worded by t(): values escaped
    st.success(started_message, icon=":material/science:")
store = session.store()
in_force = store.ensure_baseline(acting.warehouse_settings(version))
months = acting.graded_months(version)
numbers = [v.version for v in store.settings_versions()]
found = store.experiments()
if found:
    chosen = st.selectbox(
        t("cc.experiment"), found, format_func=lambda e: text(
            "cc.experiment_label", id=e.experiment_id, name=e.name,
            state=text("cc.running") if e.running else text("cc.stopped"),
        ), key="cc_experiment",
    )  # fmt: skip
    st.caption(t("cc.experiment_detail", champion=chosen.champion_version,
                 challenger=chosen.challenger_version, share=fmt.percent(chosen.challenger_share),
                 seed=chosen.seed, month=fmt.month(chosen.start_month),
                 accounts=fmt.count(chosen.accounts or 0),
                 on_challenger=fmt.count(chosen.challenger_accounts or 0)))  # fmt: skip
    result = acting.comparison(version, chosen.start_month, chosen.seed, chosen.challenger_share)
    if result.outcome_month is None:
        st.info(t("cc.no_outcome_yet"))
    else:
        st.caption(t("cc.outcome_month", month=fmt.month(result.outcome_month)))
    arms = result.arms.to_pandas()
    st.plotly_chart(interval_chart(arms), width="stretch")
    tables.show(result.arms, key="cc_arms", columns=ARM_COLUMNS)
    st.markdown(f"**{t('cc.differences')}**")
    tables.show(result.differences, key="cc_differences", columns=DIFFERENCE_COLUMNS)
    if chosen.running and session.can("experiment.stop") and st.button(t("cc.stop"), key="cc_stop"):
        try:
            store.stop_experiment(session.current_user(), chosen.experiment_id)
        except Forbidden as exc:
            st.error(escape(str(exc)))
        else:
            st.rerun()
else:
    st.info(t("cc.none_yet"))
start_form(months, numbers, in_force.version)
