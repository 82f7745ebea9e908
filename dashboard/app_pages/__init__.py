"""The dashboard's pages, one module each, run by the router (`dashboard/app.py`).

The router resolves the published warehouse version and the shared sidebar filters once per
rerun and leaves them in session state; a page reads them with `current_version()` and
`current_filters()`, so every number on a page comes from one version even if a load publishes
mid-run. The helpers below keep a page's own choices (chart toggles, the selected load) in the
URL, so any view is a deep link.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import streamlit as st

from dashboard import alerts
from dashboard import format as fmt
from dashboard.i18n import t
from dashboard.reads import connection
from dashboard.reads.connection import WarehouseVersion
from dashboard.reads.filters import Filters

VERSION_KEY = "warehouse_version"
FILTERS_KEY = "filters"

T = TypeVar("T")


def current_version() -> WarehouseVersion:
    return st.session_state[VERSION_KEY]


def current_filters() -> Filters | None:
    return st.session_state.get(FILTERS_KEY)


def seed_from_url(key: str, options: Sequence[T]) -> None:
    """Once per session, start the widget `key` at the option its URL parameter names.

    Widgets use `persist_state="session"`, so after the first render their own state wins; the
    URL only matters when a link is opened.
    """
    seeded = f"_seeded_{key}"
    if st.session_state.get(seeded):
        return
    st.session_state[seeded] = True
    raw = st.query_params.get(key)
    for option in options:
        if str(option) == raw:
            st.session_state[key] = option
            return


def write_to_url(key: str, value: object, default: object) -> None:
    """Keep the URL in step with a choice; a default choice leaves the URL clean."""
    if value is None or value == default:
        if key in st.query_params:
            del st.query_params[key]
    elif st.query_params.get(key) != str(value):
        st.query_params[key] = str(value)


def url_segmented(label: str, choices: dict[str, str], *, key: str, default: str) -> str:
    """A segmented control whose choice is part of the link (`?key=choice`); `choices` maps
    each choice to the catalogue key of its label."""
    seed_from_url(key, list(choices))
    choice = st.segmented_control(
        label,
        list(choices),
        default=default,
        format_func=lambda chosen: t(choices[chosen]),
        key=key,
        required=True,
        persist_state="session",
        label_visibility="collapsed",
    )
    chosen = choice or default
    write_to_url(key, chosen, default)
    return chosen


def provenance_caption(version: WarehouseVersion, *, operator: bool = False) -> None:
    """How fresh the numbers on this page are: the business date the data runs through (what a
    manager asks first), and which publication they come from. The server's file path only on
    the operator's pages (`operator`)."""
    through = connection.as_of_date(version)
    fresh = (
        t("common.data_through", day=fmt.long_day(through))
        if through is not None
        else t("common.no_business_date")
    )
    published = connection.publication(version)
    if published is None:
        where = t("common.no_publication_path", path=version.path) if operator else ""
        st.caption(fresh + " · " + t("common.no_publication") + where)
        return
    where = t("common.published_path", path=version.path) if operator else ""
    st.caption(
        fresh
        + " · "
        + t(
            "common.provenance",
            version=published.version,
            load=published.load_id,
            at=fmt.timestamp(published.published_at, connection.bank_timezone(version)),
        )
        + where
    )


def glossary_help(explain: str, term: str) -> str:
    """A metric's help with a link to its entry on the Glossary page."""
    return f"{explain}\n\n[{t('glossary.see')}](glossary?term={term})"


def url_select(
    label: str,
    options: Sequence[T],
    *,
    key: str,
    default: T | None = None,
    format_func: Callable[[T], str] = str,
) -> T | None:
    """A selectbox whose choice is part of the link (`?key=choice`); `default` leaves it clean."""
    seed_from_url(key, options)
    if key in st.session_state and st.session_state[key] not in options:
        del st.session_state[key]  # a choice the new data no longer offers
    index = list(options).index(default) if default is not None and default in options else None
    chosen = st.selectbox(
        label,
        options,
        index=index,
        key=key,
        format_func=format_func,
        placeholder=t("common.choose"),
        persist_state="session",
    )
    write_to_url(key, chosen, default)
    return chosen


def ignored_filters_note(filters: Filters, columns: Sequence[str]) -> None:
    """Say which sidebar filters this view cannot apply, rather than ignore them silently."""
    ignored = filters.ignored_by(columns)
    if ignored:
        st.caption(t("filters.ignored", filters=", ".join(t(f"filters.{c}") for c in ignored)))


def capped_note(capped: bool, shown: int) -> None:
    if capped:
        st.warning(t("common.capped", shown=fmt.count(shown)), icon=":material/filter_alt:")


def show_alerts(found: Sequence[alerts.Alert]) -> None:
    """The page's alerts, each saying why it fired."""
    for alert in found:
        st.warning(alert.message(), icon=":material/notifications_active:")


def open_account(account_id: str) -> None:
    """Go to the Accounts page with this account's story (a deep link: `?account=`)."""
    st.session_state.pop("account_search", None)  # an old search must not override the link
    st.switch_page("app_pages/accounts.py", query_params={"account": account_id})


def pick_from_table(event: object, rows: Sequence[str], *, key: str) -> None:
    """A row selected in a table fills the picker `key` (once per selection, so the picker
    stays usable and the choice lands in the link like any other)."""
    selected = getattr(getattr(event, "selection", None), "rows", None) or []
    if not selected or selected[0] >= len(rows):
        return
    value = rows[selected[0]]
    marker = f"_picked_{key}"
    if st.session_state.get(marker) == value:
        return
    st.session_state[marker] = value
    st.session_state[key] = value


def alert_thresholds(version: WarehouseVersion) -> alerts.Thresholds:
    """The version's alert settings; alerts off (and said so) when it has none yet."""
    values = connection.alert_thresholds(version)
    if not values:
        st.caption(t("alerts.no_settings"))
        return alerts.Thresholds.off()
    return alerts.Thresholds.from_settings(values)


def needs_load(version: WarehouseVersion, *names: str) -> bool:
    """True, after saying so, when this version lacks any of the dashboard's views (or view
    columns) `names`."""
    missing = [name for name in names if name in connection.missing_objects(version)]
    if missing:
        st.info(t("common.needs_load", view=", ".join(missing)), icon=":material/update:")
        return True
    return False
