"""Data-quality checks: Great Expectations suites over every landed file and every published mart.

The procedure's first step is "make sure the data is accurate and complete: a wrong record
means chasing the wrong person". These modules make every load prove it:

- `rules`     what is expected, per extract and per mart, declared once (derived from the extract
              schemas in `warehouse.contract` where the contract already says it);
- `settings`  severity (`error` / `warn` / `off`) and thresholds per expectation, from the
              warehouse table `settings.dq_rules`;
- `frames`    the data each suite looks at: a landed batch (Polars -> Arrow -> pandas), or small
              frames of SQL aggregates over the staging warehouse;
- `run`       Great Expectations itself, imported lazily (it costs seconds) and only here;
- `session`   one run of the checks: the loader's hook, the warehouse-wide pass, the
              whole-table pass of `collections check` (its job is `warehouse.jobs.check`);
- `store`     the `dq.runs` and `dq.results` tables;
- `docs`      Great Expectations Data Docs (HTML) beside the warehouse.

From `warehouse` this package reads only the contract and the config; nothing here imports
Streamlit.
"""

from __future__ import annotations

from checks.session import CheckSession, ChecksFailed, RunSummary

__all__ = ["CheckSession", "ChecksFailed", "RunSummary"]
