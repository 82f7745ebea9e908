"""Severity and thresholds of every expectation: the warehouse table `settings.dq_rules`.

The table is created, with the bank's policy defaults, by `sql/settings/dq_rules.sql` (run
by every load's mart rebuild, and by `ensure` before checks run). Expectations derived from the
extract schemas get their row from `sync`, with their default severity, the first time they
run; after that the row is the user's to edit.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb
import polars as pl

from warehouse.config import SQL_DIR

SEVERITIES = ("error", "warn", "off")
TABLE = "settings.dq_rules"


@dataclass(frozen=True)
class RuleSetting:
    severity: str
    thresholds: Mapping[str, Any] = field(default_factory=dict)
    description: str | None = None


@dataclass(frozen=True)
class Settings:
    """The rows of settings.dq_rules, by (suite, expectation)."""

    rows: Mapping[tuple[str, str], RuleSetting]

    def get(self, suite: str, name: str) -> RuleSetting | None:
        return self.rows.get((suite, name))

    def names(self, suite: str) -> list[str]:
        return sorted(name for (s, name) in self.rows if s == suite)


def _settings_model_sql() -> str:
    schema, name = TABLE.split(".")
    path = SQL_DIR / schema / f"{name}.sql"
    if not path.exists():
        raise FileNotFoundError(f"no model {path} for {TABLE}")
    return path.read_text(encoding="utf-8")


def ensure(con: duckdb.DuckDBPyConnection) -> None:
    """Create settings.dq_rules with its defaults if missing (a warehouse older than the checks)."""
    con.execute("CREATE SCHEMA IF NOT EXISTS settings")
    con.execute(_settings_model_sql())


def sync(con: duckdb.DuckDBPyConnection, defaults: Iterable[tuple[str, str, str, str]]) -> None:
    """Add a row for each (suite, expectation, severity, description) that has none yet."""
    rows = list(defaults)
    if not rows:
        return
    frame = pl.DataFrame(
        rows, schema=["suite", "expectation", "severity", "description"], orient="row"
    )
    con.register("__dq_defaults", frame.to_arrow())
    try:
        con.execute(
            f"""
            INSERT INTO {TABLE} (suite, expectation, severity, thresholds, description)
            SELECT d.suite, d.expectation, d.severity, NULL, d.description
            FROM __dq_defaults AS d
            WHERE NOT EXISTS (
                SELECT 1 FROM {TABLE} AS r WHERE r.suite = d.suite AND r.expectation = d.expectation
            )
            """
        )
    finally:
        con.unregister("__dq_defaults")


def read(con: duckdb.DuckDBPyConnection) -> Settings:
    found = con.execute(
        "SELECT suite, expectation, severity, CAST(thresholds AS VARCHAR), description "
        f"FROM {TABLE}"
    ).fetchall()
    rows: dict[tuple[str, str], RuleSetting] = {}
    for suite, name, severity, thresholds, description in found:
        if severity not in SEVERITIES:  # the table's CHECK keeps this out; belt and braces
            raise ValueError(
                f"{TABLE} ({suite}, {name}): severity {severity!r} is not one of {SEVERITIES}"
            )
        try:
            parsed = json.loads(thresholds) if thresholds else {}
        except json.JSONDecodeError as exc:
            raise ValueError(
                f"{TABLE} ({suite}, {name}): thresholds are not JSON ({exc})"
            ) from None
        if not isinstance(parsed, dict):
            raise ValueError(
                f"{TABLE} ({suite}, {name}): thresholds must be a JSON object, found {thresholds}"
            )
        rows[(suite, name)] = RuleSetting(severity, parsed, description)
    return Settings(rows)


def defaults() -> Settings:
    """The settings a new warehouse starts with (for tests and for checking a frame by hand)."""
    con = duckdb.connect(":memory:")
    try:
        ensure(con)
        return read(con)
    finally:
        con.close()
