"""Great Expectations Data Docs: HTML pages of the latest run, beside the warehouse.

After every run (a load, refused or not, or `collections check`) the site is rebuilt in
`<warehouse folder>/dq_docs/` (so `data/dq_docs/` by default): an index and one page per
validation (each flushed batch, each warehouse-wide frame, each mart), listing the suite's
expectations with what was observed. It is built in a
fresh folder and swapped in, so a reader never sees half a site. `run.json` says which run the
pages describe. History lives in dq.runs / dq.results; the pages show the latest run only.

The pages load their styles from public CDNs; offline they still read, unstyled, except the
index, whose tables are drawn by CDN scripts (the dashboard lists the pages itself).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from pathlib import Path
from typing import Any

DOCS_FOLDER = "dq_docs"
SITE = "collections_dq"
ABOUT = "run.json"


def docs_folder(db: Path) -> Path:
    return Path(db).resolve().parent / DOCS_FOLDER


def build(context: Any, folder: Path, about: dict[str, Any]) -> Path:
    """Render the context's suites and validation results into `folder`; returns index.html."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    building = folder.with_name(f".{folder.name}.{uuid.uuid4().hex[:8]}")
    context.add_data_docs_site(
        SITE,
        {
            "class_name": "SiteBuilder",
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            # Validation pages only: each lists its suite's expectations with their results, so
            # separate suite pages would double the rendering time of every load.
            "site_section_builders": {"expectations": "0", "profiling": "0"},
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(building),
            },
        },
    )
    try:
        context.build_data_docs(site_names=[SITE])
        (building / ABOUT).write_text(json.dumps(about, default=str, indent=2), encoding="utf-8")
        old = folder.with_name(f".{folder.name}.old.{uuid.uuid4().hex[:8]}")
        if folder.exists():
            os.replace(folder, old)
        os.replace(building, folder)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(building, ignore_errors=True)
        context.delete_data_docs_site(SITE)
    return folder / "index.html"


def read_about(folder: Path) -> dict[str, Any] | None:
    try:
        return json.loads((Path(folder) / ABOUT).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def pages(folder: Path) -> list[Path]:
    """The site's HTML pages: the validations, then the index.

    The validation pages are plain HTML; the index builds its tables with scripts from public
    CDNs, so it stays empty without internet access.
    """
    folder = Path(folder)
    if not (folder / "index.html").exists():
        return []
    return [*sorted((folder / "validations").rglob("*.html")), folder / "index.html"]


_SCRIPT = re.compile(r"<script\b.*?</script\s*>", re.IGNORECASE | re.DOTALL)


def page_without_scripts(page: Path) -> str:
    """A page's HTML without its scripts, for embedding in the dashboard.

    The validation and suite pages are complete as HTML; their scripts (jQuery, Bootstrap,
    Vega, from CDNs) only add tooltips and filters. Without them a page shows the same thing,
    works offline, and runs no third-party code inside the dashboard's origin.
    """
    return _SCRIPT.sub("", Path(page).read_text(encoding="utf-8"))
