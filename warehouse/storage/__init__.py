"""Storage: opening the warehouse, its raw and ops tables, and atomic publication.

`connect` opens a writer on a staging file or a reader on the published version; `schema` holds
every raw and `ops.*` table's DDL; `publication` is the one sequence every job that publishes
goes through.
"""

from __future__ import annotations

from warehouse.storage.connect import CATALOG, connect_reader, connect_writer
from warehouse.storage.publication import LoadInProgress, Staging, publishing
from warehouse.storage.schema import ensure_history, ensure_schema, raw_tables

__all__ = [
    "CATALOG",
    "LoadInProgress",
    "Staging",
    "connect_reader",
    "connect_writer",
    "ensure_history",
    "ensure_schema",
    "publishing",
    "raw_tables",
]
