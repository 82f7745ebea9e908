"""Build the settings tables and the published views from the files in `sql/`, in their order.

Each file's name is `<order>_<schema>.<object>.sql`: the number gives dependency order, the rest
is exactly the object it creates.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from warehouse.config import SQL_DIR

SQL_FILE = re.compile(r"^(?P<order>\d{3})_(?P<object>[a-z_]+\.[a-z_0-9]+)\.sql$")


@dataclass(frozen=True)
class SqlModel:
    order: int
    name: str  # schema.object
    path: Path

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")


def models(sql_dir: Path = SQL_DIR) -> list[SqlModel]:
    found = []
    for path in sorted(sql_dir.glob("*.sql")):
        match = SQL_FILE.match(path.name)
        if not match:
            raise ValueError(f"{path}: SQL files are named <order>_<schema>.<object>.sql")
        found.append(SqlModel(int(match["order"]), match["object"], path))
    return sorted(found, key=lambda m: (m.order, m.name))


def build(con: duckdb.DuckDBPyConnection, sql_dir: Path = SQL_DIR) -> dict[str, float]:
    """Run every model; returns seconds per model. Settings tables keep rows a user edited."""
    timings: dict[str, float] = {}
    for model in models(sql_dir):
        started = time.perf_counter()
        try:
            con.execute(model.sql)
        except duckdb.Error as exc:
            raise RuntimeError(f"{model.path.name}: {exc}") from exc
        timings[model.name] = time.perf_counter() - started
    return timings
