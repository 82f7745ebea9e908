"""Accounts page (being built for issue 5)."""

from __future__ import annotations

import streamlit as st

from dashboard.app_pages import current_version, provenance_caption
from dashboard.i18n import t

st.title(t("page.accounts"))
provenance_caption(current_version())
