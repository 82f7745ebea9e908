"""Storage: the catalog and the lake, their raw and ops relations, and atomic publication.

`lake` keeps every large relation as immutable Parquet files and each relation's view over the
current ones; `connect` opens a writer on a staging catalog or a reader on the published one;
`schema` declares every raw relation and `ops.*` table; `publication` is the one sequence every
job that publishes goes through.
"""

from __future__ import annotations

from warehouse.storage.connect import CATALOG, connect_reader, connect_writer
from warehouse.storage.lake import Lake, LakeFile
from warehouse.storage.publication import (
    LoadInProgress,
    Staging,
    copy_warehouse,
    in_place,
    publishing,
)
from warehouse.storage.schema import ensure_schema, raw_relations, raw_tables

__all__ = [
    "CATALOG",
    "LoadInProgress",
    "Staging",
    "connect_reader",
    "Lake",
    "LakeFile",
    "connect_writer",
    "copy_warehouse",
    "in_place",
    "ensure_schema",
    "publishing",
    "raw_relations",
    "raw_tables",
]
