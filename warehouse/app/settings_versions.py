"""Versioned strategy settings: read them from the warehouse, compare, apply.

A settings version (`warehouse.app.store`) is the complete rows of the settings tables a
manager edits on the Strategy page. The job `collections rebuild` (`warehouse.jobs.rebuild`)
brings the version in force into the published warehouse; `start_background_rebuild` starts it
from the app, in a process of its own. Every page can say which version its numbers reflect
(`published_settings_version`), and a later load keeps the version.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from warehouse.app.store import Settings

# The settings a strategy version holds, and the columns that name a row (for the diff).
VERSIONED_TABLES: dict[str, tuple[str, ...]] = {
    "settings.risk_grades": ("risk_grade",),
    "settings.employment_risk": ("employment_type",),
    "settings.analytics_parameters": ("parameter",),
    "settings.treatments": ("risk_grade", "delinquency_cause"),
    "settings.contact_windows": ("rule_set", "rule", "day_type", "starts_at"),
    "settings.frequency_caps": ("rule_set", "rule"),
}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value.normalize()) if value == value.to_integral() else str(value)
    return value


def read_settings(con: duckdb.DuckDBPyConnection) -> Settings:
    """The versioned settings tables as they are in the warehouse `con` reads."""
    settings: Settings = {}
    for table in VERSIONED_TABLES:
        relation = con.sql(f"SELECT * FROM {table} ORDER BY ALL")
        columns = relation.columns
        settings[table] = [
            {name: _plain(value) for name, value in zip(columns, row, strict=True)}
            for row in relation.fetchall()
        ]
    return settings


def apply_settings(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Replace the rows of each versioned table named in `settings` (writer connection)."""
    for table, rows in settings.items():
        if table not in VERSIONED_TABLES:
            raise ValueError(
                f"{table} is not a versioned setting; expected one of {list(VERSIONED_TABLES)}"
            )
        columns = con.execute(f"DESCRIBE {table}").fetchall()
        con.execute(f"DELETE FROM {table}")
        if not rows:
            continue
        frame = pl.DataFrame(
            {
                name: [None if row.get(name) is None else str(row[name]) for row in rows]
                for name, *_ in columns
            },
            schema={name: pl.String for name, *_ in columns},
        )
        alias = f"__settings_{uuid.uuid4().hex[:8]}"
        con.register(alias, frame)
        try:
            typed = ", ".join(f'CAST("{name}" AS {kind})' for name, kind, *_ in columns)
            con.execute(f"INSERT INTO {table} SELECT {typed} FROM {alias}")
        finally:
            con.unregister(alias)


def _key(table: str, row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row.get(column) for column in VERSIONED_TABLES.get(table, tuple(sorted(row))))


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    try:
        return Decimal(str(a)) == Decimal(str(b))
    except ArithmeticError:
        return str(a) == str(b)


def diff_settings(old: Settings, new: Settings) -> pl.DataFrame:
    """Every difference between two versions: one row per changed value, added or removed row."""
    changes: list[dict[str, str | None]] = []
    for table in sorted(set(old) | set(new)):
        before = {_key(table, r): r for r in old.get(table, [])}
        after = {_key(table, r): r for r in new.get(table, [])}
        for key in sorted(set(before) | set(after), key=str):
            label = " / ".join("" if part is None else str(part) for part in key)
            if key not in after:
                changes.append({"table": table, "row": label, "column": None, "change": "removed",
                                "before": str(before[key]), "after": None})  # fmt: skip
            elif key not in before:
                changes.append({"table": table, "row": label, "column": None, "change": "added",
                                "before": None, "after": str(after[key])})  # fmt: skip
            else:
                for column in after[key]:
                    a, b = before[key].get(column), after[key].get(column)
                    if not _same(a, b):
                        changes.append({
                            "table": table, "row": label, "column": column, "change": "changed",
                            "before": None if a is None else str(a),
                            "after": None if b is None else str(b),
                        })  # fmt: skip
    schema = {name: pl.String for name in ("table", "row", "column", "change", "before", "after")}
    return pl.DataFrame(changes, schema=schema)


def published_settings_version(con: duckdb.DuckDBPyConnection) -> int | None:
    """The settings version the published marts were built with (None: as first loaded)."""
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'ops' "
        "AND table_name = 'settings_version' AND database_name = current_database()"
    ).fetchall()
    if not exists[0][0]:
        return None
    rows = con.execute(
        "SELECT version FROM ops.settings_version ORDER BY applied_at DESC LIMIT 1"
    ).fetchall()
    return int(rows[0][0]) if rows else None


def rebuild_log(db: Path) -> Path:
    return Path(db).resolve().parent / "rebuild.log"


def start_background_rebuild(db: Path) -> subprocess.Popen[bytes]:
    """Start `collections rebuild --db DB` in a process of its own; its output goes to
    `rebuild.log` beside the warehouse. The app does not wait: the next publication shows."""
    target = Path(db).resolve()
    with open(rebuild_log(target), "ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "warehouse.cli", "rebuild", "--db", str(target)],
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
