"""Glossary: every measure the pages show, in the bank's words (from `docs/metrics.md`), and every
compliance rule in plain language, in both languages.

Every metric's help on the other pages links here (`?term=rpc_rate` opens that entry first). The
definitions are docs/metrics.md's own text; the compliance rules are described from the rules in
force in this warehouse (settings.compliance_rules), each with its rule set.
"""

from __future__ import annotations

import streamlit as st

from dashboard import format as fmt
from dashboard import glossary
from dashboard.app_pages import current_version, provenance_caption
from dashboard.i18n import escape, language, t
from dashboard.reads import compliance as compliance_reads

version = current_version()
st.title(t("glossary.title"))
provenance_caption(version)
st.caption(t("glossary.help"))

wanted = glossary.LINKED_TERMS.get(st.query_params.get("term", ""), "")
search = st.text_input(t("glossary.search"), key="glossary_search", value=wanted)
needle = (search or "").strip().lower()
chinese = language() == "zh"


def matches(*texts: str) -> bool:
    return not needle or any(needle in part.lower() for part in texts)


st.header(t("glossary.rules"))
rules = compliance_reads.rule_choices(version)
for row in rules.iter_rows(named=True):
    name = fmt.code("rule", row["rule"])
    rule_set = fmt.code("rule_set", row["rule_set"])
    explain = glossary.rule_help(row["rule_set"], row["rule"])
    if not matches(name, rule_set, explain, row["rule"]):
        continue
    st.markdown(
        f"**{escape(name)}** · {escape(rule_set)}  \n{escape(explain)}"
        f"  \n{escape(row['rule_set'] + '.' + row['rule'])}"
    )

entries = [e for e in glossary.entries() if matches(e.term, e.chinese, e.definition, e.section)]
st.header(t("glossary.measures"))
if not entries:
    st.caption(t("glossary.none", text=search))
section = None
for entry in entries:
    if entry.section != section:
        section = entry.section
        st.subheader(section, anchor=False)
    # docs/metrics.md is the project's own text (trusted Markdown); its terms lead in the
    # page's language.
    first, second = (entry.chinese, entry.term) if chinese else (entry.term, entry.chinese)
    st.markdown(f"**{first}** ({second})  \n{entry.definition}")
