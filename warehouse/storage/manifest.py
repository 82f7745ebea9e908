"""A lake that stands alone: its catalog's small tables as Parquet and a list of what is current.

A Spark cluster, or a dashboard on another machine, may see the lake folder and not the DuckDB
catalog beside it. `write_manifest` (run by `collections build` before it publishes) exports
every table of the catalog's `settings`, `ops` and `dq` schemas into the lake as Parquet
(`Lake.export`) and writes `<lake>/_catalog.json`: each relation's columns and current files,
and the SQL of each model view. `open_lake` builds a read-only DuckDB catalog from that file
alone: views over the listed Parquet files, the small tables loaded from theirs, the model views
recreated; `collections serve --lake DIR` serves the dashboard from it. `restore_catalog` makes
the full, writable catalog of the warehouse again from the same file (`collections build --lake
DIR` on a machine that sees the lake and not its catalog), which every job can then publish.

The manifest describes the lake as the build that wrote it left it: a later load (which does
not rewrite the manifest) retires files, so serve a lake after a build, or from its catalog.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from warehouse.config import lake_path, owner_only_umask
from warehouse.contract.sql import quote_identifier, quote_literal
from warehouse.storage.connect import connect_writer
from warehouse.storage.lake import BY_BUSINESS_MONTH, BY_MONTH_COLUMN, Lake
from warehouse.storage.schema import MART_BUILDS_DDL, SETTINGS_VERSION_DDL, ensure_schema

if TYPE_CHECKING:
    from warehouse.storage.publication import Staging

MANIFEST = "_catalog.json"
MANIFEST_VERSION = 1
EXPORTED_SCHEMAS = ("settings", "ops", "dq")
# The lake's own bookkeeping is what the manifest itself says.
NOT_EXPORTED = ("ops.lake_files", "ops.lake_retired", "ops.lake_location", "ops.lake_relations")
# The ops tables a restored catalog creates with their own DDL when the manifest lists them (the
# others come from `ensure_schema`, or from the `prepare` of `restore_catalog`).
OPS_TABLES_DDL = {"ops.mart_builds": MART_BUILDS_DDL, "ops.settings_version": SETTINGS_VERSION_DDL}


class ManifestError(ValueError):
    """A lake's manifest that cannot be used as asked (a version this code does not read, a
    catalog that is not the lake's, a restore onto a catalog already there)."""


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
    declared = {
        relation: (partition_by, comment, column_comments)
        for relation, partition_by, comment, column_comments in con.execute(
            "SELECT relation, partition_by, comment, column_comments FROM ops.lake_relations"
        ).fetchall()
    }
    relations: dict[str, Any] = {}
    for relation in lake_relations:
        partition_by, comment, column_comments = declared[relation]
        relations[relation] = {
            "kind": "files",
            "columns": _columns(con, relation),
            "files": [f.path for f in lake.files(relation)],
            # How the relation is declared (`Lake.declare`), for `restore_catalog`.
            "partition_by": partition_by,
            "comment": comment,
            "column_comments": json.loads(column_comments or "{}"),
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
        raise ManifestError(f"{path}: manifest version {manifest.get('version')} is not supported")
    return manifest


def served_catalog(lake_dir: Path) -> Path:
    """Where `collections serve --lake` makes its catalog by default: beside the lake folder,
    `<name>.served.duckdb` for `<name>.lake`."""
    lake_dir = Path(lake_dir).resolve()
    return lake_dir.with_name(lake_dir.name.removesuffix(".lake") + ".served.duckdb")


def catalog_beside(lake_dir: Path) -> Path:
    """The catalog whose lake `lake_dir` is: `<name>.duckdb` beside `<name>.lake` (the other way
    round from `warehouse.config.lake_path`)."""
    lake_dir = Path(lake_dir)
    name = lake_dir.name.removesuffix(".lake")
    if name in ("", lake_dir.name):
        raise ManifestError(
            f"{lake_dir} is not named like a warehouse's lake folder (<name>.lake, beside the "
            "catalog <name>.duckdb)"
        )
    return lake_dir.with_name(name + ".duckdb")


def catalog_of_lake(lake_dir: Path, db: Path | None = None) -> Path:
    """The catalog of the warehouse whose lake is `lake_dir`: `db` when given (it must keep its
    lake there), else the one beside it (`catalog_beside`)."""
    if db is None:
        return catalog_beside(lake_dir)
    if lake_path(db).resolve() != Path(lake_dir).resolve():
        raise ManifestError(
            f"the catalog {db} keeps its lake at {lake_path(db)}, not at {lake_dir}: name the "
            "lake folder alone, or the catalog whose lake it is"
        )
    return Path(db)


def restore_catalog(
    lake_dir: Path,
    target: Path,
    *,
    prepare: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
) -> Path:
    """The warehouse's catalog made again at `target` (`<name>.duckdb` beside the lake folder
    `<name>.lake`) from the lake's manifest alone: the catalog the build that wrote the manifest
    published, writable, for every job to publish from. Returns `target`.

    The project's schema first (`ensure_schema`, then `prepare`, which the jobs layer gives the
    settings and dq tables' DDL, since storage may not import them); every exported table's rows
    from its Parquet file (inserted by name, after the defaults a settings table was created
    with are deleted); each lake relation declared as the manifest says (a raw relation as the
    contract says) and its listed files made current again (`Lake.relist`), its view refreshed;
    the model views recreated. A Parquet file of the lake that the manifest does not list is
    recorded as retired now, so the first job keeps it for `RETIRED_GRACE` (a reader of the
    lake's previous catalog may be reading it) before it deletes it.

    Written to `<target>.partial` and renamed into place once complete: a failure leaves no
    catalog. A listed file that is missing fails the restore before anything is written, naming
    the relation and the file. The caller holds the warehouse's lock (`exclusive_lock`); a
    catalog already at `target` is never replaced (`ManifestError`).
    """
    lake_dir = Path(lake_dir).resolve()
    manifest = read_manifest(lake_dir)
    target = Path(target)
    if target.exists():
        raise ManifestError(f"{target} exists already: only a missing catalog is restored")
    if lake_path(target).resolve() != lake_dir:
        raise ManifestError(
            f"a catalog at {target} would read the lake {lake_path(target)}, not {lake_dir}"
        )
    relations: dict[str, Any] = manifest["relations"]
    for relation, spec in relations.items():
        for listed in spec["files"]:
            if not (lake_dir / listed).is_file():
                raise FileNotFoundError(
                    f"{lake_dir}: {MANIFEST} lists {listed} for {relation}, and it is missing: "
                    "the lake is incomplete (a copy that left files out, or files a later job "
                    "retired); copy the whole folder, or run `collections build` on the "
                    "warehouse's own catalog again"
                )
    pending = target.with_name(target.name + ".partial")
    leftovers = (pending, pending.with_name(pending.name + ".wal"))
    with owner_only_umask():
        for leftover in leftovers:
            leftover.unlink(missing_ok=True)
        con = connect_writer(pending)
        try:
            lake = Lake(con, lake_dir)
            ensure_schema(con, lake)
            if prepare is not None:
                prepare(con)
            for relation, spec in relations.items():
                if spec["kind"] == "table":
                    _restore_table(lake, relation, spec)
            for relation, spec in relations.items():
                if spec["kind"] == "files":
                    _restore_relation(lake, relation, spec)
            for view in manifest["views"]:
                con.execute(f"CREATE SCHEMA IF NOT EXISTS {view['name'].split('.', 1)[0]}")
                con.execute(view["sql"])
            listed = {path for spec in relations.values() for path in spec["files"]}
            _retire_unlisted(lake, listed)
            con.execute("CHECKPOINT")
        except BaseException:
            con.close()
            for leftover in leftovers:
                leftover.unlink(missing_ok=True)
            raise
        con.close()
        with open(pending, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(pending, target)
        fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    return target


def _restore_table(lake: Lake, relation: str, spec: dict[str, Any]) -> None:
    """A catalog table of the manifest: created by its own DDL (or as the manifest describes
    it), holding exactly the rows of its exported file, which stays its current export."""
    con = lake.con
    schema = relation.split(".", 1)[0]
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name || '.' || table_name = ?",
        [relation],
    ).fetchall()[0][0]
    if not exists and relation in OPS_TABLES_DDL:
        con.execute(OPS_TABLES_DDL[relation])
    elif not exists:
        columns = ", ".join(f"{quote_identifier(name)} {kind}" for name, kind in spec["columns"])
        con.execute(f"CREATE TABLE {relation} ({columns})")
    con.execute(f"DELETE FROM {relation}")  # a settings table's defaults
    if spec["files"]:
        rows = lake.scan(spec["files"])
        try:
            con.execute(f"INSERT INTO {relation} BY NAME SELECT * FROM {rows}")
        except duckdb.Error as exc:
            raise ManifestError(f"{relation}: its rows in the lake do not fit it: {exc}") from exc
    lake.relist(relation, spec["files"])


def _partition_of(spec: dict[str, Any]) -> str | None:
    """How a relation splits into month folders: as the manifest says, else (a manifest written
    before it said) from its files and columns."""
    if "partition_by" in spec:
        partition_by: str | None = spec["partition_by"]
        return partition_by
    if not any("/month=" in path for path in spec["files"]):
        return None
    names = {name for name, _ in spec["columns"]}
    if BY_MONTH_COLUMN in names:
        return BY_MONTH_COLUMN
    return BY_BUSINESS_MONTH if "_business_date" in names else None


def _restore_relation(lake: Lake, relation: str, spec: dict[str, Any]) -> None:
    """A lake relation of the manifest: declared as it was (a raw relation keeps the contract's
    declaration, `ensure_schema`), its listed files current, its view over them."""
    declared = lake.con.execute(
        "SELECT count(*) FROM ops.lake_relations WHERE relation = ?", [relation]
    ).fetchall()[0][0]
    if not declared:
        lake.declare(
            relation,
            [(name, kind) for name, kind in spec["columns"]],
            comment=spec.get("comment"),
            column_comments=spec.get("column_comments") or {},
            partition_by=_partition_of(spec),
        )
    lake.relist(relation, spec["files"])
    lake.refresh_view(relation)


def _retire_unlisted(lake: Lake, listed: set[str]) -> None:
    """Every Parquet file of the lake the manifest does not list, recorded as retired now."""
    unlisted = sorted(
        relative
        for path in lake.root.rglob("*.parquet")
        if (relative := path.relative_to(lake.root).as_posix()) not in listed
    )
    now = datetime.now(UTC)
    if unlisted:
        lake.con.executemany(
            "INSERT INTO ops.lake_retired VALUES (?, ?)", [[path, now] for path in unlisted]
        )


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
