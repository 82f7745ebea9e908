"""Data-quality checks: Great Expectations suites over every landed file and every published mart.

The procedure's first step is "make sure the data is accurate and complete: a wrong record
means chasing the wrong person". These modules make every load prove it:

- `rules`     what is expected, per extract and per mart, declared once (derived from the extract
              schemas in `warehouse.contract` where the contract already says it): a package,
              `expectation` (Check, Rule), `contract`, `policy`, `measures` (warehouse-wide),
              `marts`;
- `settings`  severity (`error` / `warn` / `off`) and thresholds per expectation, from the
              warehouse table `settings.dq_rules`;
- `sql/`      the SQL of the warehouse-wide measures (`sql/warehouse/`) and of the mart suites'
              frames (`sql/mart/`), one query per file; `queries` reads and runs them, the run's
              scope and the thresholds as named parameters;
- `frames`    the data each suite looks at: a landed batch (Polars -> Arrow -> pandas), or small
              frames of SQL aggregates over the staging warehouse;
- `run`       Great Expectations itself, imported lazily (it costs seconds) and only here;
- `session`   one run of the checks (`CheckSession`), for a load or for `collections check` (its
              job is `warehouse.jobs.check`), made of three passes: `batch_pass` (the loader's
              hook, each landed batch), `warehouse_pass` (consistency, completeness, volume,
              screening) and `mart_pass` (the marts); `results` keeps their findings and writes
              the run;
- `store`     the `dq.runs` and `dq.results` tables;
- `docs`      Great Expectations Data Docs (HTML) beside the warehouse.

From `warehouse` this package reads only the contract and the config; nothing here imports
Streamlit.
"""

from __future__ import annotations

from checks.results import ChecksFailed, RunSummary
from checks.session import CheckSession

__all__ = ["CheckSession", "ChecksFailed", "RunSummary"]
