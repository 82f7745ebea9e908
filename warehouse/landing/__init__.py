"""Landing: from an inbox's files to rows in the raw tables, checked, masked and exactly once.

- `files`       the inbox's files in landing order, and what became of each (`FileResult`);
- `reading`     a CSV or Parquet file as text columns, every record with its true line;
- `validation`  parse and check every value against the contract; bad rows to quarantine;
- `masking`     personal data masked and hashed before anything is stored;
- `writing`     batches into the raw tables: corrections, history, latest wins;
- `loader`      one file at a time, through all of the above.
"""

from __future__ import annotations

from warehouse.landing.files import FileResult, plan_inbox
from warehouse.landing.loader import Loader

__all__ = ["FileResult", "Loader", "plan_inbox"]
