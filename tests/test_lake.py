"""The lake under the catalog: files written once, listed per version, cleaned up when no version
can read them, merged when a month gathers too many; a warehouse of the earlier one-file layout
moves in on its next load; a copy of a warehouse reads its own files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from conftest import TINY_FILES, query, write_inbox

from warehouse import marts
from warehouse.config import lake_path
from warehouse.jobs.load import load_inbox
from warehouse.storage import connect_reader, connect_writer, copy_warehouse, in_place
from warehouse.storage.lake import COMPACT_AT, RETIRED_GRACE, SORTED_ROW_GROUP, Lake

SNAPSHOTS_HEADER = "as_of_date,account_id,balance,days_past_due,status\n"


def on_disk(db: Path) -> set[str]:
    root = lake_path(db)
    return {p.relative_to(root).as_posix() for p in root.rglob("*.parquet")}


def listed(db: Path) -> set[str]:
    return {path for (path,) in query(db, "SELECT path FROM ops.lake_files")}


def retired(db: Path) -> set[str]:
    return {path for (path,) in query(db, "SELECT path FROM ops.lake_retired")}


def day(
    db: Path, folder: Path, when: str, account: str = "A1", dpd: int = 0, checks: bool = True
) -> None:
    name = f"snapshots_{when.replace('-', '')}.csv"
    inbox = write_inbox(folder, {name: f"{SNAPSHOTS_HEADER}{when},{account},5,{dpd},open\n"})
    assert load_inbox(inbox, db=db, run_checks=checks).refused == 0


@pytest.fixture
def loaded(tmp_path: Path) -> Path:
    """The tiny bank as its first load left it (the files and modes that load wrote)."""
    db = tmp_path / "warehouse.duckdb"
    load_inbox(write_inbox(tmp_path / "inbox", TINY_FILES), db=db)
    return db


@pytest.fixture
def tiny(tiny_warehouse: Path) -> Path:
    """A copy of the tiny bank as published (conftest.py), for the loads and jobs after it."""
    return tiny_warehouse


# Run in a process of its own whose machine zone is Asia/Shanghai (UTC+8), as a bank's server in
# China would be: the zone a connection falls back to is the process's, read when it opens.
IN_ANOTHER_ZONE = """
import json, sys
from pathlib import Path
from dashboard.reads.connection import cursor, warehouse_version
from warehouse.storage import connect_reader, connect_writer
SQL = ("SELECT current_setting('TimeZone'), current_setting('parquet_metadata_cache'), "
       "CAST(CAST(TIMESTAMPTZ '2024-01-31 20:00:00+00' AS DATE) AS VARCHAR)")
db, scratch = Path(sys.argv[1]), Path(sys.argv[2])
seen = {}
reader = connect_reader(db)
seen["reader"] = reader.execute(SQL).fetchone()
seen["reader's cursor"] = reader.cursor().execute(SQL).fetchone()
with cursor(warehouse_version(db)) as con:
    seen["dashboard's cursor"] = con.execute(SQL).fetchone()
writer = connect_writer(scratch)
seen["writer's cursor"] = writer.cursor().execute(SQL).fetchone()
print(json.dumps(seen))
"""


def test_every_cursor_computes_in_utc_and_keeps_footers_whatever_the_machines_zone(
    tiny: Path, tmp_path: Path
) -> None:
    # 20:00 UTC on 31 January is 04:00 on 1 February in Shanghai. A `SET` holds for one
    # connection only, so a cursor (the dashboard gives each read its own) fell back to the
    # machine's zone, dated that instant 2024-02-01, and reread every footer on every read.
    env = {**os.environ, "TZ": "Asia/Shanghai", "COLLECTIONS_KIOSK": "1"}
    ran = subprocess.run(
        [sys.executable, "-c", IN_ANOTHER_ZONE, str(tiny), str(tmp_path / "scratch.duckdb")],
        env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    seen = json.loads(ran.stdout.strip().splitlines()[-1])
    assert seen == {
        name: ["UTC", True, "2024-01-31"]
        for name in ("reader", "reader's cursor", "dashboard's cursor", "writer's cursor")
    }


def test_a_version_lists_exactly_the_files_its_views_read(loaded: Path) -> None:
    # Every file on disk is listed by the catalog, and every raw or mart relation reads its own.
    assert on_disk(loaded) == listed(loaded)
    views = dict(
        query(
            loaded,
            "SELECT schema_name || '.' || view_name, sql FROM duckdb_views() "
            "WHERE database_name = 'wh' AND schema_name IN ('raw', 'core', 'mart')",
        )
    )
    for relation, path in query(loaded, "SELECT relation, path FROM ops.lake_files"):
        assert path in views[relation], (relation, path)


def test_retired_files_stay_for_older_readers_then_go(tiny: Path, tmp_path: Path) -> None:
    # A correction rewrites the snapshots of 2024-02-15: the old file leaves the version, stays
    # on disk while a reader of the old catalog may still read it, and the next job after the
    # grace deletes it.
    before = listed(tiny)
    held = connect_reader(tiny)  # a reader of the version before the correction
    corrected = write_inbox(
        tmp_path / "fix",
        {
            "snapshots_20240215.csv": TINY_FILES["snapshots_20240215.csv"].replace(
                "2024-02-15,A2,10,2050.00", "2024-02-15,A2,10,2055.00"
            )
        },
    )
    assert [f.status for f in load_inbox(corrected, db=tiny).files] == ["replaced"]
    gone = before - listed(tiny)
    assert gone and gone <= retired(tiny) and gone <= on_disk(tiny)
    # The old reader still answers from its own files (A2 at 2,050.00 of 17,400.00 in all);
    # the published version has the correction (2,055.00).
    assert held.execute("SELECT sum(balance) FROM raw.snapshots").fetchall()[0][0] == 17_400
    held.close()
    assert query(tiny, "SELECT sum(balance) FROM raw.snapshots") == [(17_405,)]
    # After the grace, the next job deletes them (and only them).
    with in_place(tiny) as lake:
        lake.con.execute(
            "UPDATE ops.lake_retired SET retired_at = ?",
            [datetime.now(UTC) - RETIRED_GRACE - timedelta(minutes=1)],
        )
    day(tiny, tmp_path / "later", "2024-03-31")
    assert not gone & on_disk(tiny)
    assert on_disk(tiny) == listed(tiny) | retired(tiny)


def test_a_killed_jobs_files_are_deleted_by_the_next(tiny: Path, tmp_path: Path) -> None:
    # Files no catalog lists (written by a job killed before it published) go with the next job.
    orphan = lake_path(tiny) / "raw" / "snapshots" / "month=2024-03-01" / "part-orphan.parquet"
    orphan.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(lake_path(tiny) / sorted(listed(tiny))[0], orphan)
    day(tiny, tmp_path / "next", "2024-03-31")
    assert not orphan.exists()


def test_a_month_gathering_many_files_is_merged(
    tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A day adds a file to March's folder; past COMPACT_AT files the folder becomes one file,
    # with every row. (The landing merges it: the data-quality checks and the marts play no part
    # here, skipped for time.)
    monkeypatch.setattr(marts, "build", lambda *args, **kwargs: {})
    for number in range(1, COMPACT_AT + 3):
        day(tiny, tmp_path / f"d{number}", f"2024-03-{number:02d}", dpd=number, checks=False)
    march = [
        path
        for (path,) in query(
            tiny,
            "SELECT path FROM ops.lake_files WHERE relation = 'raw.snapshots' "
            "AND month = DATE '2024-03-01'",
        )
    ]
    assert 1 <= len(march) <= COMPACT_AT
    assert query(
        tiny,
        "SELECT count(*), sum(days_past_due) FROM raw.snapshots WHERE as_of_date >= '2024-03-01'",
    ) == [(COMPACT_AT + 2, sum(range(1, COMPACT_AT + 3)))]


def test_a_copy_reads_its_own_files(tiny: Path, tmp_path: Path) -> None:
    copy = copy_warehouse(tiny, tmp_path / "copy" / "warehouse.duckdb")
    shutil.rmtree(lake_path(tiny))  # the original's files are gone; the copy's stay
    assert query(copy, "SELECT count(*) FROM raw.snapshots") == [(8,)]
    assert query(copy, "SELECT count(*) FROM mart.account_month") == [(6,)]


def test_a_one_file_warehouse_moves_into_the_lake_on_its_next_load(
    tiny: Path, tmp_path: Path
) -> None:
    # The earlier layout: every relation a table of the one DuckDB file, no lake beside it.
    con = connect_writer(tiny)
    relations = [
        name
        for (name,) in con.execute(
            "SELECT relation FROM ops.lake_relations WHERE relation LIKE 'raw.%' ORDER BY 1"
        ).fetchall()
    ]
    for name in relations:
        con.execute(f"CREATE TABLE {name}__t AS SELECT * FROM {name}")
        con.execute(f"DROP VIEW {name}")
        con.execute(f"ALTER TABLE {name}__t RENAME TO {name.split('.')[1]}")
    con.execute("DROP VIEW mart.account_month")
    con.execute("CREATE TABLE mart.account_month AS SELECT 1 AS stale")
    for table in ("lake_files", "lake_retired", "lake_relations", "lake_location"):
        con.execute(f"DROP TABLE ops.{table}")
    con.execute("CHECKPOINT")
    con.close()
    shutil.rmtree(lake_path(tiny))
    landed = query(tiny, "SELECT count(*) FROM raw.snapshots")
    assert landed == [(8,)]

    day(tiny, tmp_path / "next", "2024-03-31")
    # No table left in raw, core or mart; the rows landed before are in the lake, with the new day.
    assert query(
        tiny,
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'wh' "
        "AND schema_name IN ('raw', 'core', 'mart')",
    ) == [(0,)]
    assert query(tiny, "SELECT count(*) FROM raw.snapshots") == [(9,)]
    assert query(tiny, "SELECT count(*) FROM mart.account_month") == [(7,)]
    assert on_disk(tiny) == listed(tiny)


def test_what_a_load_creates_is_its_owners_only(loaded: Path) -> None:
    # The catalog, every lake file and folder, and the Data Docs: no one else may read them.
    paths = [loaded, lake_path(loaded), *lake_path(loaded).rglob("*")]
    docs = loaded.parent / "dq_docs"
    paths += [docs, *docs.rglob("*")]
    for path in paths:
        mode = path.stat().st_mode & 0o777
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))


def test_a_sorted_write_keeps_each_row_group_to_a_narrow_range_of_keys(tmp_path: Path) -> None:
    """A file written `order_by` an account is sorted as one run in small row groups, so a reader
    of one account reads one or two groups. DuckDB's partitioned COPY does not keep an ORDER BY
    (each month file would hold several sorted runs, every row group spanning most accounts):
    the lake sorts each month file on its own. Fixture: 80,000 rows, 20,000 accounts written in
    a scattered order (i * 7,919 mod 20,000), the first 40,000 rows in January and the rest in
    February: 40,000 rows per month file, each account twice in it; row groups of
    SORTED_ROW_GROUP (16,384) rows make 3 per file (16,384 + 16,384 + 7,232)."""
    con = duckdb.connect(str(tmp_path / "catalog.duckdb"))
    lake = Lake(con, tmp_path / "lake")
    select = (
        "SELECT 'A' || lpad(CAST(i * 7919 % 20000 AS VARCHAR), 5, '0') AS account_id, "
        "CAST(DATE '2024-01-01' + to_months(CAST(i // 40000 AS INTEGER)) AS DATE) AS month, i "
        "FROM range(80000) AS t(i)"
    )
    written = lake.write("raw.sorted", select, by_month="month", order_by=("account_id",))
    assert sorted((str(f.month), f.rows) for f in written) == [
        ("2024-01-01", 40_000),
        ("2024-02-01", 40_000),
    ]
    # Only the sorted files are left (the unsorted split is deleted).
    assert sorted(p.name.split("-")[0] for p in (tmp_path / "lake").rglob("*.parquet")) == [
        "part",
        "part",
    ]
    for file in written:
        path = lake.absolute(file.path)
        groups = con.execute(
            "SELECT row_group_id, row_group_num_rows, stats_min_value, stats_max_value "
            "FROM parquet_metadata(?) WHERE path_in_schema = 'account_id' ORDER BY 1",
            [path],
        ).fetchall()
        assert len(groups) == 3 and sum(g[1] for g in groups) == 40_000
        assert max(g[1] for g in groups) <= SORTED_ROW_GROUP
        # Each group starts where the one before ended (an account may straddle two).
        for before, after in zip(groups, groups[1:], strict=False):
            assert before[2] <= before[3] <= after[2] <= after[3]
        assert groups[0][2] == "A00000" and groups[-1][3] == "A19999"
        keys = [k for (k,) in con.execute(
            "SELECT account_id FROM read_parquet(?)", [path]
        ).fetchall()]  # fmt: skip
        assert keys == sorted(keys)
    con.close()


def test_a_view_reads_its_files_plainly_only_when_every_file_holds_the_declared_columns(
    tmp_path: Path,
) -> None:
    """A relation whose files all hold its declared columns, in order and with their types, is a
    plain `read_parquet` (the general form matches every file's columns by name and unions a
    typed empty row, which doubles the cost of a lookup); one file of an older shape (written
    before a column existed) brings the general form back, and its rows read NULL there. An
    empty relation keeps its declared columns and types. A catalog of files listed before their
    columns were recorded gets them when a job opens it."""
    con = duckdb.connect(str(tmp_path / "catalog.duckdb"))
    lake = Lake(con, tmp_path / "lake")
    lake.declare("raw.t", [("a", "INTEGER"), ("b", "VARCHAR")])
    lake.refresh_view("raw.t")
    assert con.execute("DESCRIBE raw.t").fetchall()[0][:2] == ("a", "INTEGER")
    assert con.execute("SELECT count(*) FROM raw.t").fetchall() == [(0,)]

    def view_sql() -> str:
        return con.execute("SELECT sql FROM duckdb_views() WHERE view_name = 't'").fetchall()[0][0]

    same = lake.write("raw.t", "SELECT CAST(1 AS INTEGER) AS a, 'x' AS b")
    lake.swap("raw.t", add=same)
    assert same[0].columns == "a INTEGER\nb VARCHAR"
    assert "UNION ALL BY NAME" not in view_sql()
    assert con.execute("SELECT a, b FROM raw.t").fetchall() == [(1, "x")]

    older = lake.write("raw.t", "SELECT CAST(2 AS INTEGER) AS a")
    lake.swap("raw.t", add=older)
    assert "UNION ALL BY NAME" in view_sql()
    assert con.execute("SELECT a, b FROM raw.t ORDER BY a").fetchall() == [(1, "x"), (2, None)]

    # A file of other types (BIGINT where INTEGER is declared) takes the general form too.
    lake.swap("raw.t", remove=[f.path for f in older])
    wider = lake.write("raw.t", "SELECT CAST(3 AS BIGINT) AS a, 'z' AS b")
    lake.swap("raw.t", add=wider)
    assert "UNION ALL BY NAME" in view_sql()

    # An upgraded catalog: the files' columns are unknown until a job opens it.
    lake.swap("raw.t", remove=[f.path for f in wider])
    con.execute("UPDATE ops.lake_files SET columns = NULL")
    lake.refresh_view("raw.t")
    assert "UNION ALL BY NAME" in view_sql()
    Lake(con, tmp_path / "lake")
    assert con.execute("SELECT DISTINCT columns FROM ops.lake_files").fetchall() == [
        ("a INTEGER\nb VARCHAR",)
    ]
    assert "UNION ALL BY NAME" not in view_sql()
    assert con.execute("SELECT a, b FROM raw.t").fetchall() == [(1, "x")]
    con.close()
