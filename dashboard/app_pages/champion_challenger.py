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
from dashboard import session
from dashboard.app_pages import current_version, provenance_caption
from dashboard.i18n import t
from dashboard.reads import acting
from warehouse.app import experiments
from warehouse.app.access import Forbidden

PAGE = "champion_challenger"


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
    if st.button(t("cc.assign"), type="primary", key="cc_assign"):
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
            st.error(str(exc))
            return
        st.success(t("cc.started", id=started.experiment_id, accounts=fmt.count(len(ids)),
                     challenger=fmt.count(on_challenger)))  # fmt: skip


def interval_chart(arms: pd.DataFrame) -> go.Figure:
    figure = go.Figure()
    for measure in ("cure", "roll", "collected"):
        figure.add_trace(
            go.Bar(
                name=t(f"cc.{measure}_rate"),
                x=arms["arm"],
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
store = session.store()
in_force = store.ensure_baseline(acting.warehouse_settings(version))
months = acting.graded_months(version)
numbers = [v.version for v in store.settings_versions()]
found = store.experiments()
if found:
    chosen = st.selectbox(
        t("cc.experiment"), found, format_func=lambda e: t(
            "cc.experiment_label", id=e.experiment_id, name=e.name,
            state=t("cc.running") if e.running else t("cc.stopped"),
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
    st.dataframe(result.arms, hide_index=True)
    st.markdown(f"**{t('cc.differences')}**")
    st.dataframe(result.differences, hide_index=True)
    if chosen.running and session.can("experiment.stop") and st.button(t("cc.stop"), key="cc_stop"):
        try:
            store.stop_experiment(session.current_user(), chosen.experiment_id)
        except Forbidden as exc:
            st.error(str(exc))
        else:
            st.rerun()
else:
    st.info(t("cc.none_yet"))
start_form(months, numbers, in_force.version)
