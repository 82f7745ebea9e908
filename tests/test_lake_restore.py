"""`collections build --lake DIR`: a warehouse built from its lake folder alone.

The tiny bank is loaded and built (which writes `<lake>/_catalog.json`); only its lake folder is
copied elsewhere, with no catalog beside it. The catalog restored from the manifest is the one
the build published (every model, every settings, ops and dq table, the lake's listing), the
build on it publishes the next version with the same marts, and a later day loads into it as
into the original (change detection held: the same inbox again is nothing new). A lake without
a manifest, a catalog that is not the lake's, a listed file missing, a restore that fails half
way: each a clear refusal, and no catalog left behind. DuckDB engine only.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import TINY_FILES, query, write_inbox
from typer.testing import CliRunner

from warehouse import marts
from warehouse.app.store import AppStore
from warehouse.cli import app
from warehouse.config import lake_path
from warehouse.jobs.build import build_lake, build_marts, ensure_catalog_tables
from warehouse.jobs.load import load_inbox
from warehouse.storage import copy_warehouse
from warehouse.storage.lake import Lake
from warehouse.storage.manifest import MANIFEST, ManifestError, restore_catalog

MODELS = [m.name for m in marts.models() if not m.is_settings]
SNAPSHOTS_HEADER = "as_of_date,account_id,balance,days_past_due,status\n"


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The tiny bank loaded and built, and a copy of its lake folder taken right after (the
    tests copy that again: a build on a restored catalog writes into its own lake)."""
    folder = tmp_path_factory.mktemp("restore")
    original = folder / "bank" / "warehouse.duckdb"
    inbox = write_inbox(folder / "inbox", TINY_FILES)
    assert load_inbox(inbox, db=original).refused == 0
    build_marts(original)
    pristine = folder / "pristine" / "bank.lake"
    shutil.copytree(lake_path(original), pristine)
    return {"original": original, "inbox": inbox, "pristine": pristine}


@pytest.fixture(scope="module")
def restored(bank: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`build_lake` on a copy of the lake alone: the catalog restored, then built."""
    lake = lake_copy(bank, tmp_path_factory.mktemp("cluster"))
    result = build_lake(lake)
    assert result.restored
    return lake.with_name("bank.duckdb")


def lake_copy(bank: dict[str, Path], folder: Path) -> Path:
    lake = folder / "bank.lake"
    shutil.copytree(bank["pristine"], lake)
    assert not lake.with_name("bank.duckdb").exists()
    return lake


def rows(db: Path, relation: str, *, without: tuple[str, ...] = ()) -> list[tuple]:
    exclude = f" EXCLUDE ({', '.join(without)})" if without else ""
    return query(db, f"SELECT *{exclude} FROM {relation} ORDER BY ALL")


def differing(a: Path, b: Path, relations: list[str], **kwargs: tuple[str, ...]) -> list[str]:
    return [r for r in relations if rows(a, r, **kwargs) != rows(b, r, **kwargs)]


def catalog_tables(db: Path) -> list[str]:
    return [
        name
        for (name,) in query(
            db,
            "SELECT schema_name || '.' || table_name FROM duckdb_tables() "
            "WHERE database_name = 'wh' AND schema_name IN ('settings', 'ops', 'dq') ORDER BY 1",
        )
    ]


def exported_tables(lake: Path) -> list[str]:
    manifest = json.loads((lake / MANIFEST).read_text(encoding="utf-8"))
    return sorted(r for r, spec in manifest["relations"].items() if spec["kind"] == "table")


def on_disk(lake: Path) -> set[str]:
    return {p.relative_to(lake).as_posix() for p in lake.rglob("*.parquet")}


def flat(text: str) -> str:
    """CLI output without colours or the console's line breaks."""
    return " ".join(re.sub(r"\x1b\[[0-9;]*m", "", text).split())


def squeezed(text: str) -> str:
    """CLI output without colours or any white space (a path broken across lines included)."""
    return "".join(flat(text).split())


def test_the_restored_catalog_is_the_one_the_build_published(
    bank: dict[str, Path], tmp_path: Path
) -> None:
    lake = lake_copy(bank, tmp_path)
    target = restore_catalog(lake, lake.with_name("bank.duckdb"), prepare=ensure_catalog_tables)
    original = bank["original"]
    # Every model reads the same rows, before any build on the restored catalog.
    assert differing(original, target, MODELS) == []
    # The same catalog tables, with the same columns, keys and rows (settings, ops, dq).
    assert catalog_tables(target) == catalog_tables(original)
    tables = exported_tables(lake)
    assert {"settings.buckets", "ops.loaded_files", "ops.mart_builds", "dq.runs"} <= set(tables)
    assert differing(original, target, tables) == []
    shape = (
        "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns "
        "WHERE table_catalog = 'wh' AND table_schema IN ('settings', 'ops', 'dq') ORDER BY ALL"
    )
    assert query(target, shape) == query(original, shape)
    keys = (
        "SELECT table_name, constraint_type, constraint_text FROM duckdb_constraints() "
        "WHERE database_name = 'wh' AND schema_name IN ('settings', 'ops', 'dq') ORDER BY ALL"
    )
    assert query(target, keys) == query(original, keys)
    # The lake's listing and declarations as the original's: the same files current, by month.
    listing = "SELECT relation, month, path, rows, bytes FROM ops.lake_files ORDER BY ALL"
    assert query(target, listing) == query(original, listing)
    declared = "SELECT * FROM ops.lake_relations ORDER BY ALL"
    assert query(target, declared) == query(original, declared)
    views = (
        "SELECT schema_name || '.' || view_name FROM duckdb_views() "
        "WHERE database_name = 'wh' AND NOT internal ORDER BY 1"
    )
    assert query(target, views) == query(original, views)
    # A file on disk the manifest does not list (retired by the build) waits out the grace.
    current = {path for (path,) in query(target, "SELECT path FROM ops.lake_files")}
    retired = {path for (path,) in query(target, "SELECT path FROM ops.lake_retired")}
    assert retired and on_disk(lake) == current | retired
    assert not current & retired


def test_a_build_on_the_lake_alone_publishes_the_same_warehouse(
    bank: dict[str, Path], restored: Path
) -> None:
    original = bank["original"]
    versions = "SELECT max(version) FROM ops.publications"
    assert query(restored, versions) == [(query(original, versions)[0][0] + 1,)]
    assert differing(original, restored, MODELS) == []
    settings = [t for t in catalog_tables(original) if t.startswith("settings.")]
    assert settings and differing(original, restored, settings) == []
    assert differing(original, restored, ["ops.loaded_files", "ops.load_runs", "dq.runs"]) == []
    # Every file of the restored lake is listed by its catalog or waits out its grace.
    listed = {path for (path,) in query(restored, "SELECT path FROM ops.lake_files")}
    retired = {path for (path,) in query(restored, "SELECT path FROM ops.lake_retired")}
    assert on_disk(lake_path(restored)) == listed | retired


def test_the_restore_is_in_the_audit_trail_once(bank: dict[str, Path], restored: Path) -> None:
    # One `restore` event, appended through the store (its chain intact); a build of the lake
    # whose catalog is now there builds it as --db would, without restoring or auditing again.
    store = AppStore.beside(restored)
    trail = store.audit_trail()
    assert [event["action"] for event in trail] == ["restore"]
    assert str(restored) in trail[0]["target"]
    check = store.verify_audit()
    assert check.intact and check.events == check.chained == 1
    again = build_lake(lake_path(restored))
    assert not again.restored
    assert [event["action"] for event in store.audit_trail()] == ["restore"]
    assert store.verify_audit().intact


def test_a_later_day_loads_into_the_restored_warehouse_as_into_the_original(
    bank: dict[str, Path], restored: Path, tmp_path: Path
) -> None:
    original = copy_warehouse(bank["original"], tmp_path / "original" / "warehouse.duckdb")
    copy = copy_warehouse(restored, tmp_path / "restored" / "warehouse.duckdb")
    # The inbox already landed is nothing new to the restored warehouse either.
    again = load_inbox(bank["inbox"], db=copy)
    assert not again.published and {f.status for f in again.files} == {"unchanged"}
    # A correction and a new day: the same files replaced and landed, the same marts.
    day = {
        "snapshots_20240229.csv": TINY_FILES["snapshots_20240229.csv"].replace(
            "2024-02-29,A2,10,2100.00", "2024-02-29,A2,10,2150.00"
        ),
        "snapshots_20240331.csv": f"{SNAPSHOTS_HEADER}2024-03-31,A1,1200.00,0,open\n"
        "2024-03-31,A3,3200.00,105,open\n",
    }
    inbox = write_inbox(tmp_path / "day", day)
    on_original, on_copy = load_inbox(inbox, db=original), load_inbox(inbox, db=copy)
    assert [(f.file_name, f.status) for f in on_copy.files] == [
        (f.file_name, f.status) for f in on_original.files
    ]
    assert {f.status for f in on_copy.files} == {"replaced", "landed"}
    assert on_copy.load_id == on_original.load_id
    assert differing(original, copy, MODELS) == []
    assert differing(original, copy, ["ops.loaded_files"], without=("loaded_at",)) == []
    modes = "SELECT model, mode FROM ops.mart_builds ORDER BY 1"
    assert query(copy, modes) == query(original, modes)


def test_collections_build_lake(bank: dict[str, Path], tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"}
    lake = lake_copy(bank, tmp_path / "cluster")
    done = runner.invoke(app, ["build", "--lake", str(lake)], env=env)
    assert done.exit_code == 0, done.output
    # (The console may break a long path anywhere, COLUMNS or not: compared without spaces.)
    text = squeezed(done.output)
    assert squeezed(f"Restored the catalog {lake.with_name('bank.duckdb')}") in text
    published = query(bank["original"], "SELECT max(version) FROM ops.publications")[0][0] + 1
    assert squeezed(f"Published version {published} of {lake.with_name('bank.duckdb')}") in text
    # A folder without a manifest: the message that says where one comes from, exit 1.
    (tmp_path / "bare.lake").mkdir()
    done = runner.invoke(app, ["build", "--lake", str(tmp_path / "bare.lake")], env=env)
    assert done.exit_code == 1
    assert "_catalog.json" in flat(done.output) and "collections build" in flat(done.output)
    assert list(tmp_path.glob("bare.duckdb*")) == []  # not even a lock file
    # --db and --lake naming two different warehouses: refused, exit 1, nothing built.
    other = tmp_path / "other.duckdb"
    done = runner.invoke(app, ["build", "--lake", str(lake), "--db", str(other)], env=env)
    assert done.exit_code == 1
    assert "keeps its lake at" in flat(done.output)
    assert not other.exists()
    # --db naming the lake's own catalog agrees.
    done = runner.invoke(
        app, ["build", "--lake", str(lake), "--db", str(lake.with_name("bank.duckdb"))], env=env
    )
    assert done.exit_code == 0, done.output
    assert "Restored" not in done.output
    assert f"Published version {published + 1}" in flat(done.output)


def test_a_missing_listed_file_is_named_and_leaves_no_catalog(
    bank: dict[str, Path], tmp_path: Path
) -> None:
    lake = lake_copy(bank, tmp_path)
    manifest = json.loads((lake / MANIFEST).read_text(encoding="utf-8"))
    gone = manifest["relations"]["mart.account_month"]["files"][0]
    (lake / gone).unlink()
    before = on_disk(lake)
    with pytest.raises(FileNotFoundError) as refused:
        build_lake(lake)
    assert "mart.account_month" in str(refused.value) and gone in str(refused.value)
    catalog = lake.with_name("bank.duckdb")
    assert not catalog.exists()
    assert not catalog.with_name(catalog.name + ".partial").exists()
    assert on_disk(lake) == before  # nothing of the lake was touched


def test_a_restore_that_fails_half_way_leaves_no_catalog(
    bank: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake = lake_copy(bank, tmp_path)
    before = on_disk(lake)
    refreshed: list[str] = []

    def crash(self: Lake, relation: str) -> None:
        refreshed.append(relation)
        if len(refreshed) > 20:
            raise KeyboardInterrupt

    monkeypatch.setattr(Lake, "refresh_view", crash)
    catalog = lake.with_name("bank.duckdb")
    with pytest.raises(KeyboardInterrupt):
        restore_catalog(lake, catalog, prepare=ensure_catalog_tables)
    assert not catalog.exists()
    assert not catalog.with_name(catalog.name + ".partial").exists()
    assert on_disk(lake) == before  # the lake's files are never a restore's to delete


def test_a_restore_never_replaces_a_catalog(bank: dict[str, Path], tmp_path: Path) -> None:
    lake = lake_copy(bank, tmp_path)
    catalog = lake.with_name("bank.duckdb")
    catalog.write_bytes(b"someone's catalog")
    with pytest.raises(ManifestError, match="exists already"):
        restore_catalog(lake, catalog)
    assert catalog.read_bytes() == b"someone's catalog"
    with pytest.raises(ManifestError, match="would read the lake"):
        restore_catalog(lake, tmp_path / "elsewhere" / "bank.duckdb")
