"""The dashboard's two languages: every label, title and help text goes through `t()`.

Catalogues are JSON files `dashboard/locales/<area>.<lang>.json` (`core.en.json`,
`migration.zh.json`, ...). All files of one language are merged, so a contributor adds an area
file of their own without touching anybody else's; a key defined twice is an error, not a silent
override. Chinese terms follow the glossary in `docs/metrics.md`.

The language comes from the sidebar switch (session state `lang`), else from the link's `lang`
parameter, else English. Outside a Streamlit run (unit tests, scripts) it is English.

**Values are text, never Markdown.** Almost everything Streamlit draws (titles, captions, alerts,
metric labels and values, widget labels, pills) renders Markdown, and the values put into a
text come from the bank's files, the link or the user (an account id, a holiday name, a file
name, a search). `t()` therefore escapes every value it substitutes (`escape`): a value can
never become a link, an image, emphasis or a directive, whatever it holds. The catalogue's own
text is trusted Markdown. `text()` is the same lookup for places that do not render Markdown
(selectbox options, table headers, chart labels), where an escape would show as a backslash.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import streamlit as st

LOCALES = Path(__file__).resolve().parent / "locales"
LANGUAGES: dict[str, str] = {"zh": "中文", "en": "English"}
DEFAULT_LANGUAGE = "en"
LANG_KEY = "lang"

# Every ASCII punctuation character may be backslash-escaped in CommonMark and then renders as
# itself; escaping them all leaves no construct a value could open (links, images, emphasis,
# code, HTML, autolinks such as https:// or www., Streamlit's :directives: and $math$).
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029]+")
# GitHub-flavoured Markdown also links bare addresses (https://…, www.…, a@b.c) *after* escapes
# are resolved, so an escape cannot stop it: an invisible word joiner inside each such prefix
# does (the text reads the same, it is just never a link).
_AUTOLINK = re.compile(r"(?i)(https?|ftp|mailto|www)(?=[:.])|(@)")
WORD_JOINER = "\u2060"


def escape(value: object) -> str:
    """`value` as literal text inside Markdown: one line, every punctuation mark escaped, and no
    bare address that GitHub-flavoured Markdown would turn into a link."""
    one_line = _LINE_BREAKS.sub(" ", str(value))
    unlinked = _AUTOLINK.sub(lambda m: m.group(0) + WORD_JOINER, one_line)
    return _PUNCTUATION.sub(r"\\\1", unlinked)


def _in_code(value: object) -> str:
    """`value` inside a code span of the catalogue's text: nothing is interpreted there but a
    backtick, which would close the span."""
    return _LINE_BREAKS.sub(" ", str(value)).replace("`", "'")


@functools.cache
def catalogue(lang: str) -> dict[str, str]:
    """Every key of one language, merged over its area files (sorted, so errors are stable)."""
    if lang not in LANGUAGES:
        raise ValueError(f"language must be one of {sorted(LANGUAGES)}; found {lang!r}")
    merged: dict[str, str] = {}
    for path in sorted(LOCALES.glob(f"*.{lang}.json")):
        entries = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(entries, dict):
            raise ValueError(f"{path.name}: expected a JSON object of key -> text")
        for key, text in entries.items():
            if key in merged:
                raise ValueError(f"{path.name}: key {key!r} is already defined in another file")
            if not isinstance(text, str):
                raise ValueError(f"{path.name}: {key!r} must be a string; found {text!r}")
            merged[key] = text
    return merged


def language() -> str:
    """ "zh" or "en": the switch's choice, else the link's, else the default."""
    try:
        chosen = st.session_state.get(LANG_KEY)
        if chosen in LANGUAGES:
            return str(chosen)
        raw = st.query_params.get(LANG_KEY)
    except Exception:  # no Streamlit run (bare import in a script or a unit test)
        return DEFAULT_LANGUAGE
    return raw if raw in LANGUAGES else DEFAULT_LANGUAGE


def _template(key: str) -> str:
    found = catalogue(language()).get(key)
    return found if found is not None else catalogue(DEFAULT_LANGUAGE).get(key, key)


def t(key: str, **fmt: object) -> str:
    """The text of `key` in the current language as Markdown, with `{name}` fields filled from
    `fmt`, each value escaped (it shows as the text it is, never as Markdown).

    A key missing from one language falls back to English, then to the key itself, so a page
    never fails for a missing word; `tests/test_i18n.py` makes sure none is missing.
    """
    template = _template(key)
    if not fmt:
        return template
    return template.format(
        **{
            name: _in_code(value) if f"`{{{name}}}`" in template else escape(value)
            for name, value in fmt.items()
        }
    )


def text(key: str, **fmt: object) -> str:
    """The text of `key` for a place that shows plain text (a selectbox option, a table header,
    a chart's axis or legend): the same words as `t()`, values as they are."""
    template = _template(key)
    return template.format(**fmt) if fmt else template


def has(key: str) -> bool:
    """Whether the catalogues define `key` (code values without a label show as themselves)."""
    return key in catalogue(DEFAULT_LANGUAGE)


def language_switch() -> str:
    """The 中文 / English switch in the sidebar; its choice is part of the link (`?lang=zh`)."""
    seeded = f"_seeded_{LANG_KEY}"
    if not st.session_state.get(seeded):
        st.session_state[seeded] = True
        raw = st.query_params.get(LANG_KEY)
        if raw in LANGUAGES:
            st.session_state[LANG_KEY] = raw
    chosen = st.sidebar.segmented_control(
        "Language / 语言",
        list(LANGUAGES),
        default=DEFAULT_LANGUAGE,
        format_func=LANGUAGES.__getitem__,
        key=LANG_KEY,
        required=True,
        persist_state="session",
        label_visibility="collapsed",
    )
    lang = chosen or DEFAULT_LANGUAGE
    if lang == DEFAULT_LANGUAGE:
        if LANG_KEY in st.query_params:
            del st.query_params[LANG_KEY]
    elif st.query_params.get(LANG_KEY) != lang:
        st.query_params[LANG_KEY] = lang
    return lang
