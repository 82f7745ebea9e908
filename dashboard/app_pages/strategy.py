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
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
import plotly.express as px
import polars as pl
import streamlit as st

from dashboard import format as fmt
from dashboard import session, tables
from dashboard.app_pages import current_version, provenance_caption
from dashboard.i18n import escape, t, text
from dashboard.reads import acting
from dashboard.reads.connection import bank_timezone
from warehouse.app import settings_versions, strategy_preview
from warehouse.app.access import Forbidden
from warehouse.app.store import Settings

PAGE = "strategy"
THRESHOLDS = ("min_days_past_due", "below_credit_score", "min_overdue_amount",
              "min_past_delinquencies")  # fmt: skip
PREVIEW_KEY = "sg_preview"
REPLAY_KEY = "sg_replay"
# The settings rows' columns as the editors show them (values stay the saved codes).
SETTINGS_COLUMNS = {
    "day_type": tables.Column("strategy.day_type"),
    "starts_at": tables.Column("strategy.starts_at"),
    "ends_at": tables.Column("strategy.ends_at"),
    "ends_inclusive": tables.Column("strategy.ends_inclusive"),
    "max_attempts": tables.count("strategy.max_attempts"),
    "period_days": tables.count("strategy.period_days"),
    "rule_set": tables.Column("compliance.rule_set"),
    "rule": tables.Column("compliance.rule"),
    "risk_grade": tables.Column("col.risk_grade"),
    "delinquency_cause": tables.Column("col.delinquency_cause"),
    "treatment": tables.Column("col.treatment"),
}
# The preview's tables: yuan collected and attempts a week under each version.
DIFF_COLUMNS = {
    "table": tables.Column("strategy.table"),
    "row": tables.Column("strategy.row"),
    "column": tables.Column("strategy.column"),
    "change": tables.code("strategy.change", "diff_change"),
    "before": tables.Column("strategy.before"),
    "after": tables.Column("strategy.after"),
}
MONEY_BY_VERSION = {
    "saved": tables.money("code.version.saved"),
    "candidate": tables.money("code.version.candidate"),
    "change": tables.money("strategy.change_amount"),
}
ATTEMPTS_BY_VERSION = {
    "saved": tables.Column("strategy.attempts_saved", "number"),
    "candidate": tables.Column("strategy.attempts_candidate", "number"),
    "change": tables.Column("strategy.change_attempts", "number"),
}
BREACHES_BY_VERSION = {
    "saved": tables.count("code.version.saved"),
    "candidate": tables.count("code.version.candidate"),
    "change": tables.count("strategy.change_breaches"),
}


def _instant(iso: str | None) -> datetime | None:
    """A time the app store wrote (ISO 8601, UTC) as an instant."""
    return None if not iso else datetime.fromisoformat(iso)


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
        columns[0].markdown(escape(fmt.code("risk_grade", row["risk_grade"])))
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
        saved = pd.DataFrame(current["settings.treatments"])
        # The grade and the cause are the rows' keys (not editable): shown by their labels, put
        # back as codes by position.
        shown = saved.assign(
            risk_grade=[fmt.code("risk_grade", v) for v in saved["risk_grade"]],
            delinquency_cause=[fmt.code("cause", v) for v in saved["delinquency_cause"]],
        )
        edited = st.data_editor(
            shown,
            key="sg_treatments",
            disabled=["risk_grade", "delinquency_cause"],
            hide_index=True,
            width="stretch",
            column_config=tables.editor_config(shown, columns=SETTINGS_COLUMNS),
        )
        edited = edited.assign(
            risk_grade=saved["risk_grade"].to_list(),
            delinquency_cause=saved["delinquency_cause"].to_list(),
        )
        candidate["settings.treatments"] = _records(edited)
    with st.expander(t("strategy.section_windows")):
        windows = pd.DataFrame(current["settings.contact_windows"])
        edited = st.data_editor(
            windows,
            key="sg_windows",
            num_rows="dynamic",
            hide_index=True,
            width="stretch",
            column_config=tables.editor_config(windows, columns=SETTINGS_COLUMNS),
        )
        candidate["settings.contact_windows"] = _records(edited)
        caps = pd.DataFrame(current["settings.frequency_caps"])
        edited = st.data_editor(
            caps,
            key="sg_caps",
            disabled=["rule_set", "rule"],
            hide_index=True,
            width="stretch",
            column_config=tables.editor_config(caps, columns=SETTINGS_COLUMNS),
        )
        candidate["settings.frequency_caps"] = _records(edited)
        st.caption(t("strategy.codes_note"))
    return candidate


def show_preview(result: strategy_preview.Preview, grade_order: list[str]) -> None:
    st.subheader(t("strategy.preview_title", month=fmt.month(result.month)))
    cards = st.columns(4)
    cards[0].metric(t("strategy.accounts_graded"), fmt.count(result.accounts))
    cards[1].metric(t("strategy.grade_changes"), fmt.count(result.grade_changes))
    cards[2].metric(t("strategy.treatment_changes"), fmt.count(result.treatment_changes))
    cards[3].metric(t("strategy.seconds"), fmt.seconds(result.seconds))
    left, right = st.columns(2)
    with left:
        st.markdown(f"**{t('strategy.matrix_title')}**")
        st.caption(t("strategy.matrix_help"))
        wide = strategy_preview.grade_matrix_wide(result.matrix, grade_order)
        tables.show(
            wide,
            key="sg_matrix",
            columns={
                "risk_grade": tables.code("col.saved_grade", "risk_grade"),
                **{
                    grade: tables.count(f"code.risk_grade.{grade}")
                    for grade in wide.columns
                    if grade != "risk_grade"
                },
            },
        )
    with right:
        st.markdown(f"**{t('strategy.collections_title')}**")
        st.caption(t("strategy.collections_help"))
        tables.show(result.collections, key="sg_collections", columns=MONEY_BY_VERSION)
        total = result.collections["change"].sum()
        st.metric(t("strategy.collections_change"), fmt.money(total, signed=True))
    st.markdown(f"**{t('strategy.workload_title')}**")
    st.caption(t("strategy.workload_help"))
    if result.workload.height:
        long = result.workload.unpivot(
            index=["team", "channel"], on=["saved", "candidate"], variable_name="version",
            value_name="attempts",
        ).with_columns(
            pl.col("team").map_elements(fmt.chart_text, return_dtype=pl.String),
            pl.col("channel").map_elements(
                lambda c: fmt.chart_text(fmt.code("channel", c)), return_dtype=pl.String
            ),
            pl.col("version").map_elements(
                lambda v: fmt.code("version", v), return_dtype=pl.String
            ),
        ).to_pandas()  # fmt: skip
        figure = px.bar(long, x="team", y="attempts", color="channel", barmode="group",
                        facet_col="version", height=320,
                        labels={"team": text("col.team"), "channel": text("col.channel"),
                                "attempts": text("strategy.attempts_week"),
                                "version": ""})  # fmt: skip
        # Facet titles read "Saved" / "Candidate", not "version=saved".
        figure.for_each_annotation(lambda a: a.update(text=a.text.split("=")[-1]))
        figure.update_layout(margin={"l": 8, "r": 8, "t": 30, "b": 8})
        st.plotly_chart(figure, width="stretch")
    tables.show(result.workload, key="sg_workload", columns=ATTEMPTS_BY_VERSION)


def edit_and_preview(current: Settings, months: list[date], base_version: int) -> None:
    version = current_version()
    candidate = candidate_settings(current)
    month = st.selectbox(
        t("strategy.month"), months, index=len(months) - 1, format_func=fmt.month, key="sg_month"
    )
    changes = settings_versions.diff_settings(current, candidate)
    st.caption(t("strategy.changes_count", count=changes.height))
    if changes.height:
        tables.show(changes, key="sg_changes", columns=DIFF_COLUMNS)
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
        tables.show(st.session_state[REPLAY_KEY], key="sg_replay", columns=BREACHES_BY_VERSION)

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
        st.error(escape(str(exc)))
        return
    except ValueError as exc:
        st.warning(escape(str(exc)))
        return
    settings_versions.start_background_rebuild(session.db_path())
    st.session_state.pop(PREVIEW_KEY, None)
    st.success(t("strategy.saved", version=saved.version))


def history(current_in_force: int) -> None:
    store = session.store()
    versions = store.settings_versions()
    tables.show(
        pl.DataFrame(
            [{"version": v.version, "created_at": _instant(v.created_at), "author": v.author,
              "kind": v.kind, "based_on": v.based_on, "reason": v.reason} for v in versions],
            schema={"version": pl.Int64, "created_at": pl.Datetime("us", "UTC"),
                    "author": pl.String, "kind": pl.String, "based_on": pl.Int64,
                    "reason": pl.String},
        ),
        zone=bank_timezone(current_version()),
        key="sg_history",
        columns={"kind": tables.code("strategy.kind", "version_kind"),
                 "reason": tables.Column("strategy.reason_column", width="large")},
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
        tables.show(diff, key="sg_diff", columns=DIFF_COLUMNS)
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
            st.error(escape(str(exc)))
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
             at=fmt.timestamp(_instant(in_force.created_at), bank_timezone(version)),
             reason=in_force.reason))  # fmt: skip
if published is not None and published != in_force.version:
    st.warning(t("strategy.rebuild_pending", saved=in_force.version, published=published))
edit_tab, history_tab = st.tabs([t("strategy.tab_edit"), t("strategy.tab_history")])
with edit_tab:
    edit_and_preview(acting.warehouse_settings(version), months, in_force.version)
with history_tab:
    history(in_force.version)
