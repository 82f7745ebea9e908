"""The language catalogues: both languages hold the same keys, and every `t("...")` literal the
dashboard uses is in them (so neither language ever shows a raw key)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from dashboard import i18n

DASHBOARD = Path(i18n.__file__).resolve().parent
# A key used through a table of choices (e.g. BUCKET_VIEWS = {"balance": "portfolio.view...."})
KEY_SHAPE = re.compile(r"^[a-z_]+(\.[a-z0-9_]+)+$")


def literal_keys() -> set[str]:
    """Every string literal passed as the first argument of `t(...)` in the dashboard."""
    keys: set[str] = set()
    for source in DASHBOARD.rglob("*.py"):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "t"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                keys.add(node.args[0].value)
    return keys


def key_shaped_literals() -> set[str]:
    """String literals shaped like catalogue keys whose area has a catalogue (choice tables)."""
    areas = {key.split(".")[0] for key in i18n.catalogue("en")}
    found: set[str] = set()
    for source in DASHBOARD.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and KEY_SHAPE.match(node.value)
                and node.value.split(".")[0] in areas
                and not node.value.endswith((".py", ".json", ".sql", ".csv", ".xlsx"))
            ):
                found.add(node.value)
    return found


def test_both_languages_hold_the_same_keys() -> None:
    english, chinese = i18n.catalogue("en"), i18n.catalogue("zh")
    assert sorted(set(english) - set(chinese)) == [], "keys missing in Chinese"
    assert sorted(set(chinese) - set(english)) == [], "keys missing in English"


def test_every_text_has_the_same_fields_in_both_languages() -> None:
    fields = re.compile(r"\{(\w+)")
    english, chinese = i18n.catalogue("en"), i18n.catalogue("zh")
    differ = {
        key: (set(fields.findall(text)), set(fields.findall(chinese[key])))
        for key, text in english.items()
        if set(fields.findall(text)) != set(fields.findall(chinese[key]))
    }
    assert differ == {}


def test_every_key_the_dashboard_uses_exists() -> None:
    english = i18n.catalogue("en")
    used = literal_keys() | key_shaped_literals()
    assert len(used) > 50
    assert sorted(used - set(english)) == []


def test_chinese_is_chinese() -> None:
    chinese = i18n.catalogue("zh")
    assert chinese["filters.team"] == "催收团队"
    assert chinese["col.rpc_rate"] == "本人接通率"  # docs/metrics-contacts-compliance.md


def test_outside_a_run_the_language_is_english_and_fields_are_filled() -> None:
    assert i18n.language() == "en"
    assert i18n.t("portfolio.at_a_glance", month="Feb 2024") == "Feb 2024 at a glance"
    assert i18n.t("no.such.key") == "no.such.key"


def test_a_key_defined_twice_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.en.json").write_text('{"x.y": "one"}', encoding="utf-8")
    (tmp_path / "b.en.json").write_text('{"x.y": "two"}', encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALES", tmp_path)
    i18n.catalogue.cache_clear()
    try:
        with pytest.raises(ValueError, match="already defined"):
            i18n.catalogue("en")
    finally:
        monkeypatch.undo()
        i18n.catalogue.cache_clear()
