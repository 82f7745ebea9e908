"""A lake that stands alone: its catalog's small tables as Parquet and a list of what is current.

A Spark cluster, or a dashboard on another machine, may see the lake folder and not the DuckDB
catalog beside it. `write_manifest` (run by `collections build` before it publishes) exports
every table of the catalog's `settings`, `ops` and `dq` schemas into the lake as Parquet
(`Lake.export`) and writes `<lake>/_catalog.json`: each relation's columns and current files,
and the SQL of each model view. `open_lake` builds a read-only DuckDB catalog from that file
alone: views over the listed Parquet files, the small tables loaded from theirs, the model views
recreated; `collections serve --lake DIR` serves the dashboard from it.

The manifest describes the lake as the build that wrote it left it: a later load (which does
not rewrite the manifest) retires files, so serve a lake after a build, or from its catalog.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from warehouse.contract.sql import quote_identifier, quote_literal

if TYPE_CHECKING:
    from warehouse.storage.publication import Staging

MANIFEST = "_catalog.json"
MANIFEST_VERSION = 1
EXPORTED_SCHEMAS = ("settings", "ops", "dq")
# The lake's own bookkeeping is what the manifest itself says.
NOT_EXPORTED = ("ops.lake_files", "ops.lake_retired", "ops.lake_location", "ops.lake_relations")


def _tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "SELECT schema_name || '.' || table_name FROM duckdb_tables() "
        "WHERE database_name = current_database() AND list_contains(?, schema_name) ORDER BY 1",
        [list(EXPORTED_SCHEMAS)],
    ).fetchall()
    return [name for (name,) in rows if name not in NOT_EXPORTED]


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[list[str]]:
    described = con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    return [[name, kind] for name, kind, *_ in described]


def write_manifest(staging: Staging, views: list[tuple[str, str]] | None = None) -> Path:
    """Export the catalog's small tables into the lake and write the manifest, which becomes
    `<lake>/_catalog.json` once the staging catalog is published. `views` are the model views
    (name, CREATE VIEW statement) in the order they must be created; by default every view of
    the catalog that is not a lake relation, in the order the catalog lists its dependencies."""
    lake, con = staging.lake, staging.con
    tables = _tables(con)
    for table in tables:
        lake.export(table)
    lake_relations = [
        r for (r,) in con.execute("SELECT relation FROM ops.lake_relations ORDER BY 1").fetchall()
    ]
    if views is None:
        views = _model_views(con, set(lake_relations))
    relations: dict[str, Any] = {}
    for relation in lake_relations:
        relations[relation] = {
            "kind": "files",
            "columns": _columns(con, relation),
            "files": [f.path for f in lake.files(relation)],
        }
    for table in tables:
        relations[table] = {
            "kind": "table",
            "columns": _columns(con, table),
            "files": [f.path for f in lake.files(table)],
        }
    manifest = {
        "version": MANIFEST_VERSION,
        "relations": relations,
        "views": [{"name": name, "sql": sql} for name, sql in views],
    }
    lake.root.mkdir(parents=True, exist_ok=True)
    pending = lake.root / f"{MANIFEST}.{uuid.uuid4().hex[:12]}.partial"
    pending.write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
    staging.after_publish(lambda: os.replace(pending, lake.root / MANIFEST))
    return pending


def _model_views(con: duckdb.DuckDBPyConnection, lake_relations: set[str]) -> list[tuple[str, str]]:
    """The catalog's views that are not a lake relation's, each after the views it reads."""
    rows = con.execute(
        "SELECT schema_name || '.' || view_name, sql FROM duckdb_views() "
        "WHERE database_name = current_database() AND NOT internal ORDER BY 1"
    ).fetchall()
    found = {name: sql for name, sql in rows if name not in lake_relations}
    ordered: list[tuple[str, str]] = []
    placed: set[str] = set()

    def place(name: str, trail: tuple[str, ...] = ()) -> None:
        if name in placed or name in trail:
            return
        for other in found:
            if other != name and other in found[name].lower():
                place(other, (*trail, name))
        placed.add(name)
        ordered.append((name, found[name]))

    for name in sorted(found):
        place(name)
    return ordered


def read_manifest(lake_dir: Path) -> dict[str, Any]:
    path = Path(lake_dir) / MANIFEST
    if not path.exists():
        raise FileNotFoundError(
            f"{lake_dir} has no {MANIFEST}: it is written by `collections build`; run that on "
            "the warehouse whose lake this is"
        )
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("version") != MANIFEST_VERSION:
        raise ValueError(f"{path}: manifest version {manifest.get('version')} is not supported")
    return manifest


def served_catalog(lake_dir: Path) -> Path:
    """Where `collections serve --lake` makes its catalog by default: beside the lake folder,
    `<name>.served.duckdb` for `<name>.lake`."""
    lake_dir = Path(lake_dir).resolve()
    return lake_dir.with_name(lake_dir.name.removesuffix(".lake") + ".served.duckdb")


def open_lake(lake_dir: Path, target: Path) -> Path:
    """A DuckDB catalog at `target` over the lake at `lake_dir` as its manifest describes it
    (replaced atomically when one is there); returns `target`."""
    lake_dir = Path(lake_dir).resolve()
    manifest = read_manifest(lake_dir)
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    pending = target.with_name(target.name + ".partial")
    pending.unlink(missing_ok=True)
    con = duckdb.connect(str(pending))
    try:
        con.execute("SET TimeZone = 'UTC'")
        for relation in manifest["relations"]:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {relation.split('.', 1)[0]}")
        for view in manifest["views"]:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {view['name'].split('.', 1)[0]}")
        for relation, spec in manifest["relations"].items():
            shape = ", ".join(
                f"CAST(NULL AS {kind}) AS {quote_identifier(name)}"
                for name, kind in spec["columns"]
            )
            body = f"SELECT {shape} WHERE false"
            if spec["files"]:
                missing = [p for p in spec["files"] if not (lake_dir / p).exists()]
                if missing:
                    raise FileNotFoundError(
                        f"{lake_dir}: {relation} lists {missing[0]}, which is gone (a later job "
                        "retired it): run `collections build` again"
                    )
                listed = ", ".join(quote_literal(str(lake_dir / p)) for p in spec["files"])
                body += (
                    f" UNION ALL BY NAME SELECT * FROM read_parquet([{listed}], "
                    "union_by_name = true, hive_partitioning = false)"
                )
            kind = "TABLE" if spec["kind"] == "table" else "VIEW"
            con.execute(f"CREATE {kind} {relation} AS {body}")
        for view in manifest["views"]:
            con.execute(view["sql"])
        con.execute("CHECKPOINT")
    except BaseException:
        con.close()
        pending.unlink(missing_ok=True)
        raise
    con.close()
    os.replace(pending, target)
    return target
