"""The dashboard's router: page setup, navigation, the published version and the shared filters.

`streamlit run dashboard/app.py` (or `collections serve`). Pages live in `app_pages/` and only
draw; what they read comes from `dashboard.reads`. On every rerun the router checks which version
of the warehouse is published, so a load that publishes while the app runs shows on the next
interaction. The sidebar filters live in the URL (`?from=2024-01&to=2024-06&product=Classic`),
so a view reproduces itself when the link is shared; without `from`/`to` the range runs from
the first month to the latest, and follows new months as they are published. The language
switch (中文 / English, `?lang=zh`) sits above the filters; every text goes through
`dashboard.i18n.t`.

Who is signed in (`dashboard.session`) decides which pages the navigation offers
(`warehouse.app.access`); nobody signed in sees only the sign-in page (unless the operator
started a read-only kiosk). The sidebar says who that is and which settings version the
published numbers reflect (ops.settings_version), on every page. A page that shows one
person's data (an account's timeline) is written to the audit trail after it ran.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `streamlit run` from a checkout that is not pip-installed
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from dashboard import format as fmt  # noqa: E402
from dashboard import session  # noqa: E402
from dashboard.app_pages import FILTERS_KEY, VERSION_KEY  # noqa: E402
from dashboard.i18n import language_switch, t, text  # noqa: E402
from dashboard.reads import acting, connection, filters  # noqa: E402
from warehouse.app import access  # noqa: E402
from warehouse.config import warehouse_path  # noqa: E402

MONTHS_KEY = "f_months"
SEGMENT_FILTERS = (  # widget key, URL parameter, label key, SegmentOptions field
    ("f_product", "product", "filters.product", "products"),
    ("f_branch", "branch", "filters.branch", "branches"),
    ("f_risk_grade", "risk_grade", "filters.risk_grade", "risk_grades"),
    ("f_team", "team", "filters.team", "teams"),
)
FILTER_PARAMS = ("from", "to", *(param for _, param, _, _ in SEGMENT_FILTERS))


URL_MONTHS_NOT_HELD = "_url_months_not_held"


def _parse_month(raw: str | None, months: list[date]) -> date | None:
    """The month a link names, if the warehouse holds it; a month it names but that is not held
    is remembered, so the sidebar says so instead of dropping it silently."""
    if not raw:
        return None
    try:
        year, month = (int(part) for part in raw.split("-"))
        wanted = date(year, month, 1)
    except ValueError:
        wanted = None
    if wanted in months:
        return wanted
    st.session_state.setdefault(URL_MONTHS_NOT_HELD, []).append(raw)
    return None


def _seed_filters_from_url(months: list[date], options: filters.SegmentOptions) -> None:
    """On the session's first render of the filters, start them where the link says."""
    if st.session_state.get("_filters_seeded"):
        return
    st.session_state["_filters_seeded"] = True
    st.session_state[URL_MONTHS_NOT_HELD] = []
    start = _parse_month(st.query_params.get("from"), months) or months[0]
    end = _parse_month(st.query_params.get("to"), months) or months[-1]
    if (start, end) != (months[0], months[-1]):
        st.session_state[MONTHS_KEY] = (min(start, end), max(start, end))
    for key, param, _, field in SEGMENT_FILTERS:
        allowed = getattr(options, field)
        chosen = [value for value in st.query_params.get_all(param) if value in allowed]
        if chosen:
            st.session_state[key] = list(dict.fromkeys(chosen))


def _follow_latest_month(months: list[date]) -> None:
    """A range that ended at the latest month keeps ending there when a new month is published."""
    previous_latest = st.session_state.get("_latest_month")
    st.session_state["_latest_month"] = months[-1]
    current = st.session_state.get(MONTHS_KEY)
    if current is None or previous_latest is None:
        return
    start, end = current
    if start not in months or end not in months:
        del st.session_state[MONTHS_KEY]  # months vanished (rebuilt warehouse): back to all
    elif end == previous_latest and end != months[-1]:
        st.session_state[MONTHS_KEY] = (start, months[-1])


def _write_filters_to_url(chosen: filters.Filters, months: list[date]) -> None:
    wanted: dict[str, list[str]] = {}
    if chosen.start != months[0]:
        wanted["from"] = [fmt.month_key(chosen.start)]
    if chosen.end != months[-1]:
        wanted["to"] = [fmt.month_key(chosen.end)]
    for (_, param, _, _), values in zip(
        SEGMENT_FILTERS,
        (chosen.products, chosen.branches, chosen.risk_grades, chosen.teams),
        strict=True,
    ):
        if values:
            wanted[param] = list(values)
    for param in FILTER_PARAMS:
        if param not in wanted:
            if param in st.query_params:
                del st.query_params[param]
        elif st.query_params.get_all(param) != wanted[param]:
            st.query_params[param] = wanted[param]


def _clear_filter_params() -> None:
    for param in FILTER_PARAMS:
        if param in st.query_params:
            del st.query_params[param]


def sidebar_filters(version: connection.WarehouseVersion) -> filters.Filters | None:
    """Draw the shared filters; None when the warehouse has no month yet."""
    facts = filters.month_facts(version)
    months = facts.months
    if not months:
        return None
    options = filters.segment_options(version)
    _seed_filters_from_url(months, options)
    _follow_latest_month(months)

    def month_label(month: date) -> str:
        shown = fmt.month(month)
        unfinished = month == facts.current and month not in facts.complete
        return text("filters.so_far", month=shown) if unfinished else shown

    with st.sidebar:
        st.header(t("filters.header"))
        if len(months) > 1:
            start, end = st.select_slider(
                t("filters.months"),
                options=months,
                value=(months[0], months[-1]),
                format_func=month_label,
                key=MONTHS_KEY,
                persist_state="session",
            )
        else:
            start = end = months[0]
            st.caption(t("filters.only_month", month=month_label(start)))
        for raw in st.session_state.get(URL_MONTHS_NOT_HELD, []):
            st.warning(
                t(
                    "filters.month_not_held",
                    month=raw,
                    first=fmt.month(months[0]),
                    last=fmt.month(months[-1]),
                ),
                icon=":material/event_busy:",
            )
        chosen = []
        for key, _, label, field in SEGMENT_FILTERS:
            chosen.append(
                tuple(
                    st.multiselect(
                        t(label),
                        getattr(options, field),
                        key=key,
                        placeholder=t("filters.all", count=len(getattr(options, field))),
                        persist_state="session",
                    )
                )
            )
    sliced = filters.Filters(start, end, *chosen)
    _write_filters_to_url(sliced, months)
    return sliced


def no_warehouse() -> None:
    target = warehouse_path().resolve()
    st.title(t("app.title"))
    st.info(t("app.no_warehouse", target=target), icon=":material/database:")
    st.code("collections load INBOX\n# or\nmake demo", language="bash")


st.set_page_config(
    page_title=t("app.page_title"),
    page_icon=":material/credit_card:",
    layout="wide",
    initial_sidebar_state="expanded",
)

# The language decides every title below, so the switch is read before the pages are declared.
language_switch()


def _page(source: str, key: str, icon: str, url_path: str | None = None) -> st.Page:
    return st.Page(
        source, title=t(f"page.{key}"), icon=icon, url_path=url_path, default=url_path is None
    )


# The morning's first page (the default): what the last load changed.
today = _page("app_pages/today.py", "today", ":material/today:")
portfolio = _page("app_pages/portfolio.py", "portfolio", ":material/monitoring:", "portfolio")
migration = _page("app_pages/migration.py", "migration", ":material/swap_vert:", "migration")
contacts = _page("app_pages/contacts.py", "contacts", ":material/call:", "contacts")
promises = _page("app_pages/promises.py", "promises", ":material/handshake:", "promises")
compliance = _page("app_pages/compliance.py", "compliance", ":material/gavel:", "compliance")
accounts = _page("app_pages/accounts.py", "accounts", ":material/person_search:", "accounts")
loads = _page("app_pages/loads.py", "loads", ":material/upload_file:", "loads")
data_quality = _page(
    "app_pages/data_quality.py", "data_quality", ":material/fact_check:", "data-quality"
)
strategy = _page("app_pages/strategy.py", "strategy", ":material/tune:", "strategy")
work_queue = _page("app_pages/work_queue.py", "work_queue", ":material/checklist:", "work-queue")
champion_challenger = _page(
    "app_pages/champion_challenger.py", "champion_challenger", ":material/science:", "experiments"
)
sql_workbench = _page("app_pages/sql_workbench.py", "sql_workbench", ":material/terminal:", "sql")
audit = _page("app_pages/audit.py", "audit", ":material/policy:", "audit")
glossary = _page("app_pages/glossary.py", "glossary", ":material/menu_book:", "glossary")
PAGES_WITH_FILTERS = (portfolio, migration, contacts, promises, compliance)
PAGE_KEYS = {  # page -> its name in warehouse.access (who may see it)
    id(page): key
    for page, key in (
        (today, "today"), (glossary, "glossary"),
        (portfolio, "portfolio"), (migration, "migration"), (contacts, "contacts"),
        (promises, "promises"), (compliance, "compliance"), (accounts, "accounts"),
        (loads, "loads"), (data_quality, "data_quality"), (strategy, "strategy"),
        (work_queue, "work_queue"), (champion_challenger, "champion_challenger"),
        (sql_workbench, "sql_workbench"), (audit, "audit"),
    )
}  # fmt: skip

user = session.sign_in()
if user is None:
    session.login_page()
    st.stop()
session.user_badge(user)


def _visible(pages: list[st.Page]) -> list[st.Page]:
    return [p for p in pages if access.can_see(user, PAGE_KEYS[id(p)])]


sections = {
    t("nav.collections"): _visible(
        [today, portfolio, migration, contacts, promises, compliance, accounts, glossary]
    ),
    t("nav.act"): _visible([strategy, work_queue, champion_challenger, sql_workbench]),
    t("nav.operations"): _visible([loads, data_quality, audit]),
}
# Every page listed (no "View more"): the operator's pages are as near as the manager's.
page = st.navigation({name: pages for name, pages in sections.items() if pages}, expanded=True)

version = connection.warehouse_version()
if version is None:
    no_warehouse()
    st.stop()

st.session_state[VERSION_KEY] = version
published_settings = acting.published_settings_version(version)
saved_settings = session.saved_version()
st.sidebar.caption(
    t("sv.caption_version", version=published_settings)
    if published_settings is not None
    else t("sv.caption_as_loaded")
)
if saved_settings is not None and saved_settings != (published_settings or 1):
    st.sidebar.caption(t("sv.caption_pending", version=saved_settings))
if any(page is filtered for filtered in PAGES_WITH_FILTERS):
    st.session_state[FILTERS_KEY] = sidebar_filters(version)
else:
    _clear_filter_params()
try:
    page.run()
finally:  # also when the page stops early: a personal-data view it showed is still audited
    session.audit_page_view(PAGE_KEYS.get(id(page), ""))
