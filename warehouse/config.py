"""Where things live, and the few limits a process needs before it can open the warehouse.

Settings that analysts tune (bucket bounds, windows, caps, the bank's time zone) live in the
warehouse's `settings` tables (`sql/settings/`), never here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
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


DEFAULT_MARTS_CHUNK_MONTHS = 6


def marts_chunk_months() -> int:
    """How many months of an incremental table a whole rebuild computes per query
    (`COLLECTIONS_MARTS_CHUNK_MONTHS`; 0: all at once). A first load or a rebuild after a settings
    change computes 24 months at a million accounts; in ranges, each query's working memory is
    a range's, not the whole history's (the same rows: a range is what a daily refresh computes).
    """
    value = os.environ.get("COLLECTIONS_MARTS_CHUNK_MONTHS", str(DEFAULT_MARTS_CHUNK_MONTHS))
    try:
        months = int(value)
    except ValueError:
        message = f"COLLECTIONS_MARTS_CHUNK_MONTHS must be a whole number, not {value!r}"
        raise ValueError(message) from None
    if months < 0:
        raise ValueError(f"COLLECTIONS_MARTS_CHUNK_MONTHS must be 0 or more, not {months}")
    return months


# --- Files only their owner may read --------------------------------------------------------------
# The warehouse, its lake, the app store (audit trail with SQL text), the users file and Data Docs
# hold the bank's data or its users' secrets: owner-only, whatever the process's umask.

OWNER_ONLY_UMASK = 0o077
OWNER_ONLY_FILE = 0o600
OWNER_ONLY_DIR = 0o700


def owner_only(path: str | os.PathLike[str], *, recursive: bool = False) -> Path:
    """Make `path` readable by its owner only (files 0600, folders 0700); with `recursive`, a
    folder's whole tree (the lake, Data Docs). A missing path is left alone. Returns the path.

    Code that creates one of the files above calls this on it, or runs under
    `owner_only_umask()` so that it is created that way.
    """
    target = Path(path)
    if not target.exists():
        return target
    if target.is_dir():
        target.chmod(OWNER_ONLY_DIR)
        if recursive:
            for child in target.rglob("*"):
                if child.is_symlink():
                    continue
                child.chmod(OWNER_ONLY_DIR if child.is_dir() else OWNER_ONLY_FILE)
    else:
        target.chmod(OWNER_ONLY_FILE)
    return target


@contextmanager
def owner_only_umask() -> Iterator[None]:
    """Everything created inside (files, folders, by this process or the ones it starts) is its
    owner's only; the previous umask comes back afterwards."""
    previous = os.umask(OWNER_ONLY_UMASK)
    try:
        yield
    finally:
        os.umask(previous)


def lake_path(db: str | os.PathLike[str]) -> Path:
    """The folder of Parquet files beside the warehouse's catalog (`<db stem>.lake/`): the only
    files the warehouse's own views read."""
    catalog = Path(db)
    return catalog.with_name(catalog.stem + ".lake")
