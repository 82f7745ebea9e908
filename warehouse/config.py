"""Where things live and which zone the bank runs in.

Settings that analysts tune (bucket bounds, windows, caps) live in the warehouse's `settings`
tables; this module only holds the few things a process needs before it can open the warehouse.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SQL_DIR = PROJECT_ROOT / "sql"

DEFAULT_DB = Path("data") / "warehouse.duckdb"
DEFAULT_BANK_TIMEZONE = "Asia/Shanghai"


def warehouse_path(db: str | os.PathLike[str] | None = None) -> Path:
    """The published warehouse file: `--db`, else `COLLECTIONS_DB`, else `data/warehouse.duckdb`."""
    if db:
        return Path(db)
    env = os.environ.get("COLLECTIONS_DB")
    return Path(env) if env else DEFAULT_DB


def bank_timezone() -> str:
    """The zone of timestamps that arrive without an offset (CONTRACT.md)."""
    return os.environ.get("COLLECTIONS_TIMEZONE", DEFAULT_BANK_TIMEZONE)
