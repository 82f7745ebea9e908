"""Strategy: edit the risk-grading thresholds, treatments and contact rules; preview what the
change would do; save it as a new settings version; history, diff and rollback.

Everyone may preview; only a manager or an admin may save or roll back (warehouse.access,
checked again by the app store). A saved version reaches the marts through
`collections rebuild`, started in the background; the sidebar says which version the published
numbers reflect.
"""

from __future__ import annotations

import copy
import math
from datetime import date, timedelta
from typing import Any

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboard import format as fmt
from dashboard import session
from dashboard.app_pages import current_version, provenance_caption
from dashboard.i18n import t
from dashboard.reads import acting
from warehouse.app import settings_versions, strategy_preview
from warehouse.app.access import Forbidden
from warehouse.app.store import Settings

PAGE = "strategy"
THRESHOLDS = ("min_days_past_due", "below_credit_score", "min_overdue_amount",
              "min_past_delinquencies")  # fmt: skip
PREVIEW_KEY = "sg_preview"
REPLAY_KEY = "sg_replay"


def _plain(value: Any) -> Any:
    """A value from a data editor as JSON wants it (no NaN, no numpy scalars)."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def edit_risk_grades(settings: Settings) -> list[dict[str, Any]]:
    rows = copy.deepcopy(settings["settings.risk_grades"])
    rows.sort(key=lambda r: -int(r["severity"]))
    st.markdown(t("strategy.grades_help"))
    columns = st.columns(len(THRESHOLDS) + 1)
    columns[0].markdown(f"**{t('col.risk_grade')}**")
    for column, name in zip(columns[1:], THRESHOLDS, strict=True):
        column.markdown(f"**{t(f'strategy.{name}')}**")
    for row in rows:
        columns = st.columns(len(THRESHOLDS) + 1)
        columns[0].markdown(row["risk_grade"])
        for column, name in zip(columns[1:], THRESHOLDS, strict=True):
            value = column.number_input(
                t(f"strategy.{name}"),
                value=_number(row.get(name)),
                min_value=0.0,
                step=1.0,
                key=f"sg_{row['risk_grade']}_{name}",
                label_visibility="collapsed",
                placeholder=t("strategy.not_used"),
            )
            row[name] = _plain(value)
    return rows


def candidate_settings(current: Settings) -> Settings:
    candidate = copy.deepcopy(current)
    with st.expander(t("strategy.section_grades"), expanded=True):
        candidate["settings.risk_grades"] = edit_risk_grades(current)
    with st.expander(t("strategy.section_treatments")):
        edited = st.data_editor(
            pd.DataFrame(current["settings.treatments"]),
            key="sg_treatments",
            disabled=["risk_grade", "delinquency_cause"],
            hide_index=True,
            width="stretch",
        )
        candidate["settings.treatments"] = _records(edited)
    with st.expander(t("strategy.section_windows")):
        edited = st.data_editor(
            pd.DataFrame(current["settings.contact_windows"]),
            key="sg_windows",
            num_rows="dynamic",
            hide_index=True,
            width="stretch",
        )
        candidate["settings.contact_windows"] = _records(edited)
        edited = st.data_editor(
            pd.DataFrame(current["settings.frequency_caps"]),
            key="sg_caps",
            disabled=["rule_set", "rule"],
            hide_index=True,
            width="stretch",
        )
        candidate["settings.frequency_caps"] = _records(edited)
    return candidate


def show_preview(result: strategy_preview.Preview, grade_order: list[str]) -> None:
    st.subheader(t("strategy.preview_title", month=fmt.month(result.month)))
    cards = st.columns(4)
    cards[0].metric(t("strategy.accounts_graded"), fmt.count(result.accounts))
    cards[1].metric(t("strategy.grade_changes"), fmt.count(result.grade_changes))
    cards[2].metric(t("strategy.treatment_changes"), fmt.count(result.treatment_changes))
    cards[3].metric(t("strategy.seconds"), f"{result.seconds:.2f} s")
    left, right = st.columns(2)
    with left:
        st.markdown(f"**{t('strategy.matrix_title')}**")
        st.caption(t("strategy.matrix_help"))
        st.dataframe(
            strategy_preview.grade_matrix_wide(result.matrix, grade_order), hide_index=True
        )
    with right:
        st.markdown(f"**{t('strategy.collections_title')}**")
        st.caption(t("strategy.collections_help"))
        st.dataframe(result.collections, hide_index=True)
        total = result.collections["change"].sum()
        st.metric(t("strategy.collections_change"), fmt.money(total, signed=True))
    st.markdown(f"**{t('strategy.workload_title')}**")
    st.caption(t("strategy.workload_help"))
    if result.workload.height:
        long = result.workload.unpivot(
            index=["team", "channel"], on=["saved", "candidate"], variable_name="version",
            value_name="attempts",
        ).to_pandas()  # fmt: skip
        figure = px.bar(long, x="team", y="attempts", color="channel", barmode="group",
                        facet_col="version", height=320)  # fmt: skip
        figure.update_layout(margin={"l": 8, "r": 8, "t": 30, "b": 8})
        st.plotly_chart(figure, width="stretch")
    st.dataframe(result.workload, hide_index=True)


def edit_and_preview(current: Settings, months: list[date], base_version: int) -> None:
    version = current_version()
    candidate = candidate_settings(current)
    month = st.selectbox(
        t("strategy.month"), months, index=len(months) - 1, format_func=fmt.month, key="sg_month"
    )
    changes = settings_versions.diff_settings(current, candidate)
    st.caption(t("strategy.changes_count", count=changes.height))
    if changes.height:
        st.dataframe(changes, hide_index=True)
    if st.button(t("strategy.preview"), type="primary", key="sg_run_preview"):
        with st.spinner(t("strategy.previewing")):
            st.session_state[PREVIEW_KEY] = acting.preview(version, month, current, candidate)
    grade_order = [
        r["risk_grade"]
        for r in sorted(current["settings.risk_grades"], key=lambda r: r["severity"])
    ]
    if PREVIEW_KEY in st.session_state:
        show_preview(st.session_state[PREVIEW_KEY], grade_order)

    st.subheader(t("strategy.replay_title"))
    st.caption(t("strategy.replay_help"))
    since = st.date_input(
        t("strategy.replay_since"), value=months[-1] - timedelta(days=30), key="sg_since"
    )
    if st.button(t("strategy.replay"), key="sg_run_replay"):
        with st.spinner(t("strategy.replaying")):
            st.session_state[REPLAY_KEY] = acting.replay(version, current, candidate, since)
    if REPLAY_KEY in st.session_state:
        st.dataframe(st.session_state[REPLAY_KEY], hide_index=True)

    st.subheader(t("strategy.save_title"))
    allowed = session.can("strategy.save")
    if not allowed:
        st.info(t("strategy.save_forbidden"), icon=":material/lock:")
    reason = st.text_input(t("strategy.reason"), key="sg_reason", disabled=not allowed)
    if st.button(t("strategy.save"), key="sg_save", disabled=not allowed or not changes.height):
        save(candidate, reason, base_version)


def save(candidate: Settings, reason: str, base_version: int) -> None:
    try:
        saved = session.store().save_settings(
            session.current_user(), candidate, reason=reason, based_on=base_version
        )
    except Forbidden as exc:
        st.error(str(exc))
        return
    except ValueError as exc:
        st.warning(str(exc))
        return
    settings_versions.start_background_rebuild(session.db_path())
    st.session_state.pop(PREVIEW_KEY, None)
    st.success(t("strategy.saved", version=saved.version))


def history(current_in_force: int) -> None:
    store = session.store()
    versions = store.settings_versions()
    st.dataframe(
        pd.DataFrame(
            [{"version": v.version, "created_at": v.created_at, "author": v.author,
              "kind": v.kind, "based_on": v.based_on, "reason": v.reason} for v in versions]
        ),
        hide_index=True,
    )  # fmt: skip
    numbers = [v.version for v in versions]
    st.subheader(t("strategy.diff_title"))
    left, right = st.columns(2)
    older = left.selectbox(t("strategy.diff_from"), numbers, index=min(1, len(numbers) - 1),
                           key="sg_diff_from")  # fmt: skip
    newer = right.selectbox(t("strategy.diff_to"), numbers, index=0, key="sg_diff_to")
    diff = settings_versions.diff_settings(
        store.settings_version(older).settings, store.settings_version(newer).settings
    )
    if diff.is_empty():
        st.caption(t("strategy.no_difference"))
    else:
        st.dataframe(diff, hide_index=True)
    st.subheader(t("strategy.rollback_title"))
    allowed = session.can("strategy.rollback")
    others = [n for n in numbers if n != current_in_force]
    if not others:
        st.caption(t("strategy.nothing_to_roll_back"))
        return
    target = st.selectbox(t("strategy.rollback_to"), others, key="sg_rollback_to",
                          disabled=not allowed)  # fmt: skip
    reason = st.text_input(t("strategy.reason"), key="sg_rollback_reason", disabled=not allowed)
    if st.button(t("strategy.rollback"), key="sg_rollback", disabled=not allowed):
        try:
            saved = store.rollback(session.current_user(), int(target), reason=reason)
        except Forbidden as exc:
            st.error(str(exc))
            return
        settings_versions.start_background_rebuild(session.db_path())
        st.success(t("strategy.rolled_back", version=saved.version, target=target))


session.require_page(PAGE)
version = current_version()
st.title(t("page.strategy"))
provenance_caption(version)
months = acting.graded_months(version)
if not months:
    st.info(t("common.no_data"))
    st.stop()
store = session.store()
in_force = store.ensure_baseline(acting.warehouse_settings(version))
published = acting.published_settings_version(version)
st.caption(t("strategy.in_force", version=in_force.version, author=in_force.author,
             at=in_force.created_at, reason=in_force.reason))  # fmt: skip
if published is not None and published != in_force.version:
    st.warning(t("strategy.rebuild_pending", saved=in_force.version, published=published))
edit_tab, history_tab = st.tabs([t("strategy.tab_edit"), t("strategy.tab_history")])
with edit_tab:
    edit_and_preview(acting.warehouse_settings(version), months, in_force.version)
with history_tab:
    history(in_force.version)
