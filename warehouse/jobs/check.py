"""`collections check`: every data-quality suite on the published warehouse, results published.

The same path as a load (`warehouse.storage.publication`): lock, staging copy, dq.* rows written
there, atomic swap, Data Docs beside the warehouse. The landed-file suites read the raw tables
in chunks; then the warehouse-wide and mart suites run.
"""

from __future__ import annotations

from pathlib import Path

from checks import docs
from checks.session import CheckSession, RunSummary
from warehouse.contract import EXTRACTS
from warehouse.storage.publication import publishing


def check_warehouse(db: Path) -> RunSummary:
    """Run every suite on the warehouse at `db` and publish the results (dq.runs, dq.results)."""
    db = Path(db)
    with publishing(db, must_exist=True) as staging:
        con = staging.con
        session = CheckSession(con, kind="check", load_id=None)
        for extract in EXTRACTS.values():
            session.check_table(con, extract)
        session.check_whole_warehouse(con)
        summary = session.write(con)
        staging.after_publish(
            lambda: session.build_docs(docs.docs_folder(db), summary, published=True)
        )
    return summary
