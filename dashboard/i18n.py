"""The dashboard's two languages: every label, title and help text goes through `t()`.

Catalogues are JSON files `dashboard/locales/<area>.<lang>.json` (`core.en.json`,
`migration.zh.json`, ...). All files of one language are merged, so a contributor adds an area
file of their own without touching anybody else's; a key defined twice is an error, not a silent
override. Chinese terms follow the glossary in `docs/metrics.md`.

The language comes from the sidebar switch (session state `lang`), else from the link's `lang`
parameter, else English. Outside a Streamlit run (unit tests, scripts) it is English.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import streamlit as st

LOCALES = Path(__file__).resolve().parent / "locales"
LANGUAGES: dict[str, str] = {"zh": "中文", "en": "English"}
DEFAULT_LANGUAGE = "en"
LANG_KEY = "lang"


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


def t(key: str, **fmt: object) -> str:
    """The text of `key` in the current language, with `{name}` fields filled from `fmt`.

    A key missing from one language falls back to English, then to the key itself, so a page
    never fails for a missing word; `tests/test_i18n.py` makes sure none is missing.
    """
    lang = language()
    text = catalogue(lang).get(key)
    if text is None:
        text = catalogue(DEFAULT_LANGUAGE).get(key, key)
    return text.format(**fmt) if fmt else text


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
