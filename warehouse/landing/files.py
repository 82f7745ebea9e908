"""An inbox and its files: which files a load will land, in which order, and what became of each.

`plan_inbox` names every file of an inbox with the contract's file names (`warehouse.contract
.files`), in landing order (extract load order, then business date); a name that breaks the
contract is refused whole. `FileResult` is what the load records for each file in
`ops.loaded_files`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from warehouse.contract import EXTRACTS
from warehouse.contract.files import FileName, FileRefused, parse_file_name


@dataclass
class FileResult:
    file_name: str
    extract: str | None
    business_date: date | None
    status: str  # landed | replaced | unchanged | refused
    message: str = ""
    sha256: str | None = None
    size_bytes: int = 0
    modified_ns: int | None = None
    rows_read: int = 0
    rows_landed: int = 0
    rows_quarantined: int = 0
    rows_replaced: int = 0


@dataclass(frozen=True)
class InForce:
    """The file whose rows are in force for an extract and business date."""

    sha256: str
    load_id: int
    size_bytes: int | None
    modified_ns: int | None


def in_force(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, date], InForce]:
    """The file in force for each extract and business date (ops.loaded_files), read once."""
    return {
        (extract, business_date): InForce(sha, load_id, size, modified)
        for extract, business_date, sha, load_id, size, modified in con.execute(
            """
            SELECT extract, business_date, arg_max(sha256, load_id), max(load_id),
                   arg_max(size_bytes, load_id), arg_max(modified_ns, load_id)
            FROM ops.loaded_files
            WHERE status IN ('landed', 'replaced')
            GROUP BY extract, business_date
            """
        ).fetchall()
    }


def same_file(path: Path, previous: InForce | None) -> bool:
    """Whether `path` is, without reading it, the file already landed: same size and same
    modification time (a re-sent or corrected file has a new one; `--verify` hashes anyway)."""
    if previous is None or previous.modified_ns is None:
        return False
    stat = path.stat()
    return stat.st_size == previous.size_bytes and stat.st_mtime_ns == previous.modified_ns


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def plan_inbox(inbox: Path) -> list[tuple[Path, FileName | None, str | None]]:
    """Every file of the inbox in landing order: extract load order, then business date."""
    planned: list[tuple[Path, FileName | None, str | None]] = []
    for path in sorted(inbox.iterdir()):
        if path.name.startswith("."):
            continue  # hidden files (editor and OS leftovers) are not extracts
        if path.is_dir():
            planned.append(
                (path, None, f"{path.name}: is a folder; an inbox holds extract files only")
            )
            continue
        try:
            name = parse_file_name(path)
        except FileRefused as exc:
            planned.append((path, None, str(exc)))
            continue
        if name.extract not in EXTRACTS:
            planned.append(
                (
                    path,
                    None,
                    f"{path.name}: unknown extract {name.extract!r}; known: {', '.join(EXTRACTS)}",
                )
            )
            continue
        planned.append((path, name, None))

    def order(item: tuple[Path, FileName | None, str | None]) -> tuple[int, date, str]:
        _, name, _ = item
        if name is None:
            return (-1, date.min, item[0].name)
        return (EXTRACTS[name.extract].load_order, name.business_date, item[0].name)

    return sorted(planned, key=order)
