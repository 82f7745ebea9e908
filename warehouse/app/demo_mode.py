"""Demo mode only on a warehouse created as a demo, marked so inside it.

`collections demo` creates its warehouse with a marker table (`demo.marker`) before it loads
the synthetic bank, and refuses a warehouse without one: the synthetic bank never lands in a
real bank's warehouse, demo users never reach its users file, and automatic sign-in
(`COLLECTIONS_DEMO_USER`) works only on a warehouse that holds the marker. The marker travels
with the file (every load and rebuild copies the published warehouse), so a real warehouse can
only become a demo by someone writing the marker into it on purpose.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from warehouse.config import owner_only
from warehouse.contract.sql import quote_identifier
from warehouse.storage import CATALOG, connect_reader
from warehouse.storage.publication import publishing

MARKER_SCHEMA, MARKER_TABLE = "demo", "marker"
MARKER = f"{MARKER_SCHEMA}.{MARKER_TABLE}"


class NotADemo(RuntimeError):
    """The warehouse was not created as a demo: demo data, users and sign-in stay out."""


def is_demo(db: Path) -> bool:
    """True when the published warehouse at `db` holds the demo marker."""
    if not Path(db).exists():
        return False
    con = connect_reader(Path(db))
    try:
        found = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = ? AND schema_name = ? "
            "AND table_name = ?",
            [CATALOG, MARKER_SCHEMA, MARKER_TABLE],
        ).fetchall()[0][0]
    finally:
        con.close()
    return bool(found)


def require_demo(db: Path) -> None:
    if not is_demo(db):
        raise NotADemo(
            f"{db} was not created as a demo warehouse (by `collections demo`): demo data, demo "
            "users and automatic sign-in are only for a demo's own warehouse"
        )


def create_demo_warehouse(db: Path) -> bool:
    """Publish an empty warehouse marked as a demo at `db`; True when it was created, False
    when `db` is a demo already. NotADemo when `db` is any other warehouse."""
    target = Path(db)
    if target.exists():
        require_demo(target)
        return False
    with publishing(target) as staging:
        con = staging.con
        # Fully qualified: a file named demo.duckdb is a catalog named demo too.
        catalog = quote_identifier(str(con.execute("SELECT current_database()").fetchall()[0][0]))
        schema = f"{catalog}.{quote_identifier(MARKER_SCHEMA)}"
        table = f"{schema}.{quote_identifier(MARKER_TABLE)}"
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        con.execute(
            f"CREATE TABLE {table} AS SELECT ?::TIMESTAMPTZ AS created_at, ? AS note",
            [datetime.now(UTC), "created by `collections demo`: a synthetic bank, not a real one"],
        )
        con.execute(
            f"COMMENT ON TABLE {table} IS 'this warehouse is a demo (collections demo): "
            "synthetic data, demo users, automatic sign-in allowed'"
        )
    owner_only(target)
    return True
