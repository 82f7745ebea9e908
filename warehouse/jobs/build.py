"""`collections build`: rebuild every model of `sql/` on DuckDB or on Spark, and publish.

The same path as a load (`warehouse.storage.publication`): lock, staging catalog, the runner
(`warehouse.marts.build`) with the engine asked for, atomic swap. A build here is full (every
table recomputed); the month-by-month refresh after a load is `collections load --engine
spark`, driven by what the load changed, as on DuckDB. Every build also leaves the lake able to
stand alone (`warehouse.storage.manifest`): the catalog's small tables as Parquet and a list of
each relation's current files, which `collections serve --lake` reads.

`collections build --lake DIR` (`build_lake`) builds the warehouse whose lake is `DIR` from a
machine that may see the lake and not its catalog (a Spark cluster's driver): the catalog
beside the lake is built as `--db` would build it, and when there is none it is first restored
from the lake's manifest (`warehouse.storage.manifest.restore_catalog`), under the warehouse's
lock, and the restore is written to the audit trail (`warehouse.app.store`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from checks import store as dq_store
from warehouse import marts
from warehouse.app.store import AppStore
from warehouse.config import owner_only_umask
from warehouse.marts.build import DuckDBEngine, Engine
from warehouse.storage.lake import Lake
from warehouse.storage.manifest import (
    MANIFEST,
    catalog_of_lake,
    read_manifest,
    restore_catalog,
    write_manifest,
)
from warehouse.storage.publication import exclusive_lock, publishing

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

ENGINES = ("duckdb", "spark")


@dataclass(frozen=True)
class BuildResult:
    engine: str
    seconds: float
    publication: int
    timings: dict[str, float]
    restored: bool = False  # the catalog was first restored from the lake (`build_lake`)


@contextmanager
def engine_for(
    lake: Lake, engine: str, *, master: str | None = None, spark: SparkSession | None = None
) -> Iterator[Engine]:
    """The engine named `engine` over `lake`; a Spark session started here stops on the way out
    (one handed in as `spark` is the caller's)."""
    if engine == "duckdb":
        yield DuckDBEngine(lake)
        return
    if engine != "spark":
        raise ValueError(f"unknown engine {engine!r}: one of {', '.join(ENGINES)}")
    from warehouse.marts.spark import SparkEngine, session

    own = spark is None
    active = session(master) if spark is None else spark
    try:
        yield SparkEngine(lake, active)
    finally:
        if own:
            active.stop()


@contextmanager
def engine_factory(
    engine: str, *, master: str | None = None
) -> Iterator[Callable[[Lake], Engine] | None]:
    """For a load: None on DuckDB (the default engine), else a maker of the Spark engine over a
    lake, on one session started here and stopped on the way out."""
    if engine == "duckdb":
        yield None
        return
    if engine != "spark":
        raise ValueError(f"unknown engine {engine!r}: one of {', '.join(ENGINES)}")
    from warehouse.marts.spark import SparkEngine, session

    active = session(master)
    try:
        yield lambda lake: SparkEngine(lake, active)
    finally:
        active.stop()


def build_marts(
    db: Path,
    *,
    engine: str = "duckdb",
    master: str | None = None,
    spark: SparkSession | None = None,
    wait_seconds: float = 0.0,
    on_model: Callable[[str, str, float], None] | None = None,
) -> BuildResult:
    """Rebuild every model of the warehouse at `db` on `engine` and publish the result."""
    db = Path(db)
    started = time.perf_counter()
    with publishing(db, must_exist=True, wait_seconds=wait_seconds) as staging:
        with engine_for(staging.lake, engine, master=master, spark=spark) as runner:
            timings = marts.build(staging.lake, on_model=on_model, engine=runner)
        con = staging.con
        load_id = int(
            con.execute("SELECT coalesce(max(load_id), 0) FROM ops.load_runs").fetchall()[0][0]
        )
        published = staging.record_publication(load_id, datetime.now(UTC))
        write_manifest(staging)
    return BuildResult(engine, time.perf_counter() - started, published, timings)


def ensure_catalog_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The tables a warehouse's catalog has beyond `ensure_schema`'s, by their own DDL: every
    settings table (`sql/settings/`) and the data-quality results (`checks.store`)."""
    marts.ensure_settings(con)
    dq_store.ensure(con)


def build_lake(
    lake_dir: Path,
    *,
    db: Path | None = None,
    engine: str = "duckdb",
    master: str | None = None,
    spark: SparkSession | None = None,
    wait_seconds: float = 0.0,
    on_model: Callable[[str, str, float], None] | None = None,
) -> BuildResult:
    """Rebuild every model of the warehouse whose lake is `lake_dir` and publish the result.

    Its catalog is `db` (which must keep its lake there), else `<name>.duckdb` beside the folder
    `<name>.lake`. When there is none, it is first restored from the lake's manifest, under the
    warehouse's lock (`restore_catalog`); then the build is `build_marts`'s, as on any warehouse.
    """
    lake_dir = Path(lake_dir)
    if not lake_dir.is_dir():
        raise FileNotFoundError(f"no lake folder at {lake_dir}")
    target = catalog_of_lake(lake_dir, db)
    if not target.exists():
        read_manifest(lake_dir)  # a lake without one is refused before anything is created
    restored = False
    with owner_only_umask(), exclusive_lock(target, wait_seconds=wait_seconds):
        if not target.exists():  # looked at under the lock: one restore, never over a catalog
            restore_catalog(lake_dir, target, prepare=ensure_catalog_tables)
            restored = True
    if restored:
        relations = read_manifest(lake_dir)["relations"]
        AppStore.beside(target).audit(
            None,
            "restore",
            allowed=True,
            target=str(target),
            detail=f"catalog restored from {Path(lake_dir).resolve() / MANIFEST}: "
            f"{sum(1 for r in relations.values() if r['kind'] == 'files')} lake relations, "
            f"{sum(1 for r in relations.values() if r['kind'] == 'table')} tables",
        )
    result = build_marts(
        target,
        engine=engine,
        master=master,
        spark=spark,
        wait_seconds=wait_seconds,
        on_model=on_model,
    )
    return replace(result, restored=restored)
