"""Where things live, and the few limits a process needs before it can open the warehouse.

Settings that analysts tune (bucket bounds, windows, caps, the bank's time zone) live in the
warehouse's `settings` tables (`sql/settings/`), never here.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SQL_DIR = PROJECT_ROOT / "sql"

DEFAULT_DB = Path("data") / "warehouse.duckdb"


def warehouse_path(db: str | os.PathLike[str] | None = None) -> Path:
    """The published warehouse file: `--db`, else `COLLECTIONS_DB`, else `data/warehouse.duckdb`."""
    if db:
        return Path(db)
    env = os.environ.get("COLLECTIONS_DB")
    return Path(env) if env else DEFAULT_DB


DEFAULT_MARTS_MEMORY_LIMIT = "8GB"


def marts_memory_limit() -> str:
    """DuckDB's memory_limit while the marts are rebuilt (`COLLECTIONS_MARTS_MEMORY_LIMIT`).

    Landing is capped at 2 GB (it streams), but at a million accounts the contact and compliance
    marts need more working memory than that even with spilling; a load that stopped there
    would publish nothing. Beyond the limit DuckDB spills to its temp directory.
    """
    return os.environ.get("COLLECTIONS_MARTS_MEMORY_LIMIT", DEFAULT_MARTS_MEMORY_LIMIT)
