"""The checks' results in the warehouse: `dq.runs` (one row per run) and `dq.results`.

Both are written in the staging copy of a load (or of `collections check`), so they publish
with it: the dashboard reads the results of exactly the data it shows. A load that an `error`
stops publishes nothing, these rows included; its Data Docs (`checks.docs`) and the command's
message say why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple, dataclass, fields
from datetime import datetime

import duckdb

from warehouse.contract.personal import scrub_text
from warehouse.contract.sql import quote_literal

DQ_DDL = """
CREATE SCHEMA IF NOT EXISTS dq;
CREATE TABLE IF NOT EXISTS dq.runs (
    run_id BIGINT PRIMARY KEY,
    load_id BIGINT,
    kind VARCHAR,
    started_at TIMESTAMPTZ,
    finished_at TIMESTAMPTZ,
    status VARCHAR,
    expectations BIGINT,
    failed_errors BIGINT,
    failed_warnings BIGINT,
    files_refused BIGINT,
    validations BIGINT,
    seconds DOUBLE,
    gx_version VARCHAR,
    message VARCHAR
);
CREATE TABLE IF NOT EXISTS dq.results (
    run_id BIGINT,
    suite VARCHAR,
    expectation VARCHAR,
    stage VARCHAR,
    target VARCHAR,
    file_name VARCHAR,
    column_name VARCHAR,
    expectation_type VARCHAR,
    severity VARCHAR,
    success BOOLEAN,
    observed_value VARCHAR,
    element_count BIGINT,
    unexpected_count BIGINT,
    unexpected_percent DOUBLE,
    sample VARCHAR,
    sample_lines BIGINT[],
    action VARCHAR,
    description VARCHAR
);
"""

COMMENTS = {
    "dq.runs": "one row per data-quality run: each load (kind load) and each `collections check`",
    "dq.results": (
        "one row per run x suite x expectation (x file, when a check about files fails): "
        "severity, success, what was observed, a masked sample of the offending rows"
    ),
}
COLUMN_COMMENTS = {
    "dq.runs.status": (
        "passed | warned (a warn expectation failed) | failed (an error one did) | "
        "skipped (--no-checks)"
    ),
    "dq.runs.load_id": "the load this run checked (NULL for `collections check`)",
    "dq.results.suite": "the relation the suite protects: raw.<extract> or mart.<view>",
    "dq.results.expectation": "the expectation's name, as in settings.dq_rules",
    "dq.results.stage": "landed batch (before insert) | warehouse (across files) | mart",
    "dq.results.target": "the relation that was checked",
    "dq.results.file_name": "the extract file the finding is about (NULL: the whole target)",
    "dq.results.severity": "error | warn, from settings.dq_rules at the time of the run",
    "dq.results.sample": "up to 5 offending rows, by line and key; personal values masked",
    "dq.results.sample_lines": "up to 20 line numbers of offending rows in file_name (1 = header)",
    "dq.results.action": "file refused | load refused | check failed | flagged (NULL: passed)",
}


@dataclass(kw_only=True)
class Finding:
    """One row of dq.results (fields in the table's column order)."""

    suite: str
    expectation: str
    stage: str
    target: str
    file_name: str | None = None
    column_name: str | None = None
    expectation_type: str | None = None
    severity: str
    success: bool
    observed_value: str | None = None
    element_count: int | None = None
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    sample: str | None = None
    sample_lines: list[int] | None = None
    action: str | None = None
    description: str

    def __post_init__(self) -> None:
        # What a finding says about the data (GX's observed value or exception, the sample of
        # offending rows) is stored, printed and shown: never with a personal number in it.
        # It is made of stored values, scrubbed at landing; this keeps it so whatever the
        # wording of an expectation or an exception.
        if self.observed_value:
            self.observed_value = scrub_text(self.observed_value)
        if self.sample:
            self.sample = scrub_text(self.sample)


@dataclass
class RunRow:
    """One row of dq.runs."""

    run_id: int
    load_id: int | None
    kind: str
    started_at: datetime
    finished_at: datetime
    status: str
    expectations: int
    failed_errors: int
    failed_warnings: int
    files_refused: int
    validations: int
    seconds: float
    gx_version: str | None
    message: str


def ensure(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(DQ_DDL)
    for table, comment in COMMENTS.items():
        con.execute(f"COMMENT ON TABLE {table} IS {quote_literal(comment)}")
    for column, comment in COLUMN_COMMENTS.items():
        con.execute(f"COMMENT ON COLUMN {column} IS {quote_literal(comment)}")


def next_run_id(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM dq.runs").fetchall()[0][0])


def write(con: duckdb.DuckDBPyConnection, run: RunRow, findings: Sequence[Finding]) -> None:
    con.execute(
        f"INSERT INTO dq.runs VALUES ({', '.join('?' for _ in fields(RunRow))})", list(astuple(run))
    )
    if findings:
        names = [f.name for f in fields(Finding)]
        con.executemany(
            f"INSERT INTO dq.results (run_id, {', '.join(names)}) "
            f"VALUES (?, {', '.join('?' for _ in names)})",
            [[run.run_id, *astuple(finding)] for finding in findings],
        )
