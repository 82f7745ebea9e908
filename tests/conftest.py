"""Shared fixtures: a secret masking key per test session, and a tiny hand-made bank.

The tiny bank is three accounts over two month ends (plus one mid-month daily snapshot), small
enough that every number it produces can be worked out by hand in the tests:

    account  product  branch    Jan-31 dpd / balance    Feb-15 (daily)   Feb-29 dpd / balance
    A1       Gold     Shanghai   0 / 1000.00                               0 / 1100.00
    A2       Classic  Beijing   15 / 2000.00            30 / 2050.00     45 / 2100.00
    A3       Classic  Shanghai  45 / 3000.00            60 / 3050.00     75 / 3100.00
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

TINY_FILES: dict[str, str] = {
    "accounts_20240131.csv": (
        "account_id,customer_id,national_id,customer_name,card_no,mobile,product,branch,"
        "open_date,credit_limit,credit_score,employment_type\n"
        "A1,C1,110105199001011234,张伟,6225880212345678,13812345678,Gold,Shanghai,2020-01-15,50000,720,salaried\n"
        "A2,C2,310101198505052345,李娜,6225880298765432,13987654321,Classic,Beijing,2022-06-01,20000,610,self_employed\n"
        "A3,C3,440301197712123456,王强,6225880255554444,13700001111,Classic,Shanghai,2023-03-10,10000,540,unemployed\n"
    ),
    "snapshots_20240131.csv": (
        "as_of_date,account_id,statement_day,balance,min_due,days_past_due,cycles_delinquent,status\n"
        "2024-01-31,A1,5,1000.00,100.00,0,0,open\n"
        "2024-01-31,A2,10,2000.00,200.00,15,1,open\n"
        "2024-01-31,A3,20,3000.00,300.00,45,2,open\n"
    ),
    "snapshots_20240215.csv": (
        "as_of_date,account_id,statement_day,balance,min_due,days_past_due,cycles_delinquent,status\n"
        "2024-02-15,A2,10,2050.00,200.00,30,1,open\n"
        "2024-02-15,A3,20,3050.00,300.00,60,2,open\n"
    ),
    "snapshots_20240229.csv": (
        "as_of_date,account_id,statement_day,balance,min_due,days_past_due,cycles_delinquent,status\n"
        "2024-02-29,A1,5,1100.00,110.00,0,0,open\n"
        "2024-02-29,A2,10,2100.00,210.00,45,2,open\n"
        "2024-02-29,A3,20,3100.00,310.00,75,3,open\n"
    ),
}

# Full numbers in the tiny bank, which must never reach the warehouse file.
TINY_SECRETS = (
    "110105199001011234",
    "310101198505052345",
    "440301197712123456",
    "6225880212345678",
    "6225880298765432",
    "6225880255554444",
    "13812345678",
    "13987654321",
    "13700001111",
    "张伟",
    "李娜",
    "王强",
)


@pytest.fixture(autouse=True, scope="session")
def _mask_key(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never touch the developer's own key file."""
    os.environ["COLLECTIONS_MASK_KEY_FILE"] = str(tmp_path_factory.mktemp("key") / "mask.key")
    os.environ.pop("COLLECTIONS_MASK_KEY", None)
    os.environ.pop("COLLECTIONS_DB", None)


@pytest.fixture(autouse=True, scope="session")
def _reading_pages_open_as_a_kiosk() -> None:
    """The dashboard lets nobody in without users, OIDC or an explicit kiosk (docs/security.md).
    The reading pages' tests run as that kiosk's anonymous viewer; the tests of sign-in itself
    take the variable away (tests/test_act_pages.py, tests/test_redteam_signin.py)."""
    os.environ["COLLECTIONS_KIOSK"] = "1"


def write_inbox(folder: Path, files: dict[str, str | bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        (folder / name).write_bytes(data)
    return folder


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    """Rows of `sql` on the published warehouse at `db`, read as the dashboard reads it."""
    from warehouse.storage import connect_reader

    con = connect_reader(db)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def rebuild_copy(db: Path, target: Path, *statements: str | tuple[str, str]) -> Path:
    """A copy of the warehouse with settings edited and the marts rebuilt (the original stays).
    A statement runs on the catalog; a (relation, SELECT) pair rewrites a relation of the lake
    with the rows of the SELECT (landed rows and marts are files, not tables)."""
    from warehouse import marts
    from warehouse.storage import copy_warehouse, in_place

    copy_warehouse(db, target)
    with in_place(target) as lake:
        for statement in statements:
            if isinstance(statement, tuple):
                lake.rewrite(*statement)
            else:
                lake.con.execute(statement)
        marts.build(lake)
    return target


@pytest.fixture
def tiny_inbox(tmp_path: Path) -> Path:
    return write_inbox(tmp_path / "inbox", TINY_FILES)


@pytest.fixture(scope="session")
def tiny_published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny bank, loaded once per test process by the real loader (checks included) into a
    real DuckDB file. Never written to: `tiny_warehouse` hands each test a copy of it."""
    from warehouse.jobs.load import load_inbox

    folder = tmp_path_factory.mktemp("tiny-published")
    db = folder / "warehouse.duckdb"
    summary = load_inbox(write_inbox(folder / "inbox", TINY_FILES), db=db)
    assert summary.refused == 0 and summary.dq.status == "passed"
    return db


@pytest.fixture
def tiny_warehouse(tiny_published: Path, tmp_path: Path) -> Path:
    """The tiny bank as loaded by the real loader, in a DuckDB file of the test's own (a copy of
    `tiny_published`: its lake files are hard links, a load writes new ones beside them)."""
    from warehouse.storage import copy_warehouse

    return copy_warehouse(tiny_published, tmp_path / "warehouse.duckdb")


# The test files that take longest (about a minute or more of one worker each), longest first.
# `make test` hands whole files to its two workers in collection order (`--dist loadfile
# --no-loadscope-reorder`): these start first, and the many short files fill in at the end, so
# neither worker is left alone with a long file while the other has nothing to do. Any other
# file keeps its place after these; the tests of a file keep their order.
LONGEST_FIRST = (
    "test_spark.py",
    "test_publication.py",
    "test_analytics_migration.py",
    "test_soak.py",
    "test_browser.py",
    "test_cli.py",
    "test_page_classes.py",
    "test_hostile_extracts.py",
    "test_incremental.py",
    "test_kills.py",
    "test_lake.py",
    "test_masking.py",
    "test_loaders.py",
    "test_checks.py",
    "test_pages_browser.py",
    "test_dashboard.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: order kept
