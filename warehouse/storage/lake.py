"""The lake: every large relation kept as immutable Parquet files, listed in the small catalog.

The warehouse is two things beside each other (`data/warehouse.duckdb` and
`data/warehouse.lake/`):

* the **lake**: the landed rows of every extract (`raw.*`) and every table the mart runner
  materialises (`core.*`, `mart.*`), as Parquet files under `<schema>/<relation>/`; a
  relation keyed by month (the raw extracts by business month, the incremental models by
  `month`) is partitioned into `month=YYYY-MM-DD/` folders. A file is never changed once
  written: a load or a build that changes rows writes new files and retires the old ones;
* the **catalog**: a small DuckDB file with the settings, `ops.*` and `dq.*` tables, and one
  view per lake relation over exactly the files of its current version
  (`ops.lake_files`). The catalog is what a job publishes, by atomic rename
  (`warehouse.storage.publication`), so a publication costs the catalog's few megabytes plus
  the files the job wrote, never a copy of the data.

A reader holding an older catalog keeps reading that version's files: a retired file stays on
disk for `RETIRED_GRACE` after it left the current version (`ops.lake_retired`), then the next
job deletes it. A file that no catalog lists (written by a job that was killed before it
published) is deleted by the next job, which holds the lock, so nobody can be writing it.

Spark, Trino and DuckDB itself read the same layout; `ops.lake_files` says which files are
current.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from warehouse.contract.sql import quote_identifier, quote_literal

# A month folder holds at most this many files before a job merges them (a daily load adds one).
COMPACT_AT = 8
# How long a file stays on disk after it left the current version: readers holding an older
# catalog (a dashboard session mid-rerun, an analyst's notebook) keep reading it meanwhile.
RETIRED_GRACE = timedelta(hours=1)
# The rows per row group of a file sorted by its key (`order_by`): a reader of one key (an
# account's timeline) decodes one or two such groups where the default (122,880) is most of a
# month's file. Measured at 100,000 accounts: a `raw.snapshots` lookup 174 ms -> 39 ms.
SORTED_ROW_GROUP = 16_384

LAKE_DDL = """
CREATE SCHEMA IF NOT EXISTS ops;
CREATE TABLE IF NOT EXISTS ops.lake_files (
    relation VARCHAR NOT NULL,
    month DATE,
    path VARCHAR NOT NULL,
    rows BIGINT,
    bytes BIGINT,
    written_at TIMESTAMPTZ
);
CREATE TABLE IF NOT EXISTS ops.lake_retired (
    path VARCHAR NOT NULL,
    retired_at TIMESTAMPTZ
);
CREATE TABLE IF NOT EXISTS ops.lake_location (
    root VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS ops.lake_relations (
    relation VARCHAR PRIMARY KEY,
    shape VARCHAR NOT NULL,
    comment VARCHAR,
    column_comments VARCHAR
);
-- Added after the first lake: how a relation's rows are split into month folders.
ALTER TABLE ops.lake_relations ADD COLUMN IF NOT EXISTS partition_by VARCHAR;
-- Added later: each file's columns and types as DuckDB reads them (`Lake.columns_of_file`).
ALTER TABLE ops.lake_files ADD COLUMN IF NOT EXISTS columns VARCHAR;
COMMENT ON TABLE ops.lake_files IS
    'the Parquet files of each lake relation in this version (path relative to the lake folder)';
COMMENT ON TABLE ops.lake_retired IS
    'files that left the current version; deleted once older versions can no longer be read';
COMMENT ON TABLE ops.lake_relations IS
    'each lake relation: its columns and types (a SELECT of typed NULLs) and its descriptions';
"""

INSERT_FILE = (
    "INSERT INTO ops.lake_files (relation, month, path, rows, bytes, written_at, columns) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)


def _columns_text(described: Iterable[Sequence[Any]]) -> str:
    """DESCRIBE's rows as one `name type` a line: what a file holds, or a relation declares."""
    return "\n".join(f"{row[0]} {row[1]}" for row in described)


# Types DuckDB writes to Parquet lossily or not at all are narrowed first (sum(BIGINT) is a
# HUGEINT, which Parquet would store as a DOUBLE).
NARROWED = {"HUGEINT": "BIGINT", "UHUGEINT": "BIGINT"}


@dataclass(frozen=True)
class LakeFile:
    relation: str
    month: date | None
    path: str  # relative to the lake root, `/`-separated
    rows: int
    bytes: int
    columns: str | None = None  # its columns and types, one `name type` a line (DESCRIBE)


def _month_folder(month: date | None) -> str:
    return "all" if month is None else f"month={month.isoformat()}"


# How a relation's rows go into month folders: by its `month` column (a model keyed by month),
# by the business month of the file a row came from (a raw relation), or not at all.
BY_MONTH_COLUMN = "month"
BY_BUSINESS_MONTH = "CAST(date_trunc('month', _business_date) AS DATE)"


class Lake:
    """The lake as one job sees it: the files of the version in `con` (a staging catalog).

    Every change is recorded in the catalog of `con` and in the relation's view; nothing of the
    published version changes until the catalog is published.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, root: Path) -> None:
        self.con = con
        self.root = Path(root).resolve()  # made when the first file is written
        self.bytes_written = 0
        self._written: list[Path] = []
        con.execute(LAKE_DDL)
        self._follow_root()
        self._describe_older_files()

    def _describe_older_files(self) -> None:
        """Files listed before `ops.lake_files` had `columns` get theirs (read from each file's
        footer, once), and their relations' views are made again: a warehouse upgraded in place."""
        older = self.con.execute(
            "SELECT relation, path FROM ops.lake_files WHERE columns IS NULL ORDER BY 1, 2"
        ).fetchall()
        if not older:
            return
        for _, path in older:
            try:
                columns = self.columns_of_file(self.root / path)
            except duckdb.Error:  # unreadable or gone: its relation keeps the general form
                continue
            self.con.execute(
                "UPDATE ops.lake_files SET columns = ? WHERE path = ?", [columns, path]
            )
        declared = {
            r for (r,) in self.con.execute("SELECT relation FROM ops.lake_relations").fetchall()
        }
        for relation in sorted({relation for relation, _ in older} & declared):
            self.refresh_view(relation)

    def _follow_root(self) -> None:
        """The views name their files by absolute path: a warehouse copied or moved (catalog and
        lake folder together) gets its views pointed at the lake beside it."""
        stored = self.con.execute("SELECT max(root) FROM ops.lake_location").fetchall()[0][0]
        if stored == str(self.root):
            return
        self.con.execute("DELETE FROM ops.lake_location")
        self.con.execute("INSERT INTO ops.lake_location VALUES (?)", [str(self.root)])
        if stored is not None:
            for (relation,) in self.con.execute(
                "SELECT relation FROM ops.lake_relations ORDER BY 1"
            ).fetchall():
                self.refresh_view(relation)

    # --- reading ------------------------------------------------------------------------------

    def files(self, relation: str, months: tuple[date, date] | None = None) -> list[LakeFile]:
        """The current files of `relation` (those of months in `months`, when given)."""
        sql = (
            "SELECT relation, month, path, rows, bytes, columns FROM ops.lake_files "
            "WHERE relation = ?"
        )
        params: list[Any] = [relation]
        if months is not None:
            sql += " AND month BETWEEN ? AND ?"
            params += list(months)
        rows = self.con.execute(sql + " ORDER BY month NULLS FIRST, path", params).fetchall()
        return [LakeFile(*row) for row in rows]

    def absolute(self, path: str) -> str:
        return str(self.root / path)

    def scan(self, paths: Sequence[str], *, filename: bool = False) -> str:
        """A `read_parquet(...)` table expression over the given lake files."""
        listed = ", ".join(quote_literal(self.absolute(p)) for p in paths)
        extra = ", filename = true" if filename else ""
        return f"read_parquet([{listed}], union_by_name = true, hive_partitioning = false{extra})"

    def relations(self) -> list[str]:
        return [r for (r,) in self.con.execute(
            "SELECT DISTINCT relation FROM ops.lake_files ORDER BY 1"
        ).fetchall()]  # fmt: skip

    # --- writing ------------------------------------------------------------------------------

    def _folder(self, relation: str) -> Path:
        schema, name = relation.split(".", 1)
        return self.root / schema / name

    def _narrowed(self, select_sql: str, params: Mapping[str, Any] | Sequence[Any] | None) -> str:
        """`select_sql` with the columns Parquet cannot hold exactly cast to types it can."""
        described = self.con.execute(f"DESCRIBE {select_sql}", params or None).fetchall()
        casts = [
            f"CAST({quote_identifier(name)} AS {NARROWED[kind]}) AS {quote_identifier(name)}"
            for name, kind, *_ in described
            if kind in NARROWED
        ]
        if not casts:
            return select_sql
        return f"SELECT * REPLACE ({', '.join(casts)}) FROM ({select_sql})"

    def write(
        self,
        relation: str,
        select_sql: str,
        params: Mapping[str, Any] | Sequence[Any] | None = None,
        *,
        by_month: str | None = None,
        month: date | None = None,
        order_by: Sequence[str] = (),
        keep_partition_column: bool = True,
    ) -> list[LakeFile]:
        """Write the rows of `select_sql` as new files of `relation` (returned, not yet current).

        With `by_month`, the rows go into one folder per value of that column (a DATE, the
        month's first day); `keep_partition_column` keeps the column in the files (a model's
        `month`) or drops it (a computed business month). Without, they go into the folder of
        `month` (`all` when None). `order_by` sorts the rows inside each file, so readers that
        filter on those columns skip most of a file.
        """
        folder = self._folder(relation)
        folder.mkdir(parents=True, exist_ok=True)
        tag = f"{int(time.time())}-{uuid.uuid4().hex[:12]}"
        query = self._narrowed(select_sql, params)
        if by_month is None:
            target = folder / _month_folder(month) / f"part-{tag}.parquet"
            target.parent.mkdir(parents=True, exist_ok=True)
            if order_by:
                query = f"SELECT * FROM ({query}) ORDER BY {', '.join(order_by)}"
            sorted_groups = f", ROW_GROUP_SIZE {SORTED_ROW_GROUP}" if order_by else ""
            written = self._copy(query, params, target, "FORMAT parquet" + sorted_groups)
            files = self._describe(relation, written)
            # A month's write of no rows leaves no file, as the partitioned COPY writes none;
            # the `all` folder keeps its empty file (an exported table needs its columns).
            return files if month is None else self._without_empty(files)
        # A partitioned COPY does not keep an ORDER BY (each file holds several sorted runs, so
        # every row group spans most keys): the rows are split into month files first, and each
        # file is then sorted on its own.
        prefix = "unsorted" if order_by else "part"
        written = self._copy(
            query,
            params,
            folder,
            f"FORMAT parquet, PARTITION_BY ({quote_identifier(by_month)}), "
            f"WRITE_PARTITION_COLUMNS {'true' if keep_partition_column else 'false'}, "
            f"FILENAME_PATTERN '{prefix}-{tag}-{{uuid}}', APPEND",
        )
        if order_by:
            written = self._sorted(written, order_by, tag)
        return self._describe(relation, written)

    def _without_empty(self, files: list[LakeFile]) -> list[LakeFile]:
        """`files` less those without rows, deleted at once (a COPY of no rows still writes a
        file; no reader ever saw it, and the partitioned COPY writes none)."""
        kept = []
        for file in files:
            if file.rows > 0:
                kept.append(file)
                continue
            path = Path(self.absolute(file.path))
            path.unlink(missing_ok=True)
            self._written = [p for p in self._written if p.resolve() != path]
            self.bytes_written -= file.bytes
        return kept

    def _copy(
        self,
        query: str,
        params: Mapping[str, Any] | Sequence[Any] | None,
        target: Path,
        options: str,
    ) -> list[Path]:
        """COPY the rows of `query` to Parquet at `target` (zstd); returns the files written."""
        result = self.con.execute(
            f"COPY ({query}) TO {quote_literal(str(target))} "
            f"({options}, COMPRESSION zstd, RETURN_FILES true)",
            params or None,
        ).fetchall()
        return [Path(p) for p in (result[0][1] if result else [])]

    def _sorted(self, unsorted: Sequence[Path], order_by: Sequence[str], tag: str) -> list[Path]:
        """Each of the `unsorted` files rewritten beside itself sorted by `order_by`, in row
        groups of `SORTED_ROW_GROUP` rows (a reader looking for one key reads one or two); the
        unsorted files are deleted (after a kill, `collect_garbage` deletes what is left)."""
        done: list[Path] = []
        pending = [Path(p) if Path(p).is_absolute() else Path.cwd() / p for p in unsorted]
        try:
            while pending:
                source = pending[0]
                target = source.parent / f"part-{tag}-{uuid.uuid4().hex}.parquet"
                done += self._copy(
                    f"SELECT * FROM read_parquet({quote_literal(str(source))}, "
                    f"hive_partitioning = false) ORDER BY {', '.join(order_by)}",
                    None,
                    target,
                    f"FORMAT parquet, ROW_GROUP_SIZE {SORTED_ROW_GROUP}",
                )
                source.unlink()
                pending.pop(0)
        except BaseException:
            for path in done + pending:
                path.unlink(missing_ok=True)
            raise
        return done

    def _describe(
        self, relation: str, written: Sequence[Path], *, own: bool = True
    ) -> list[LakeFile]:
        """The files as `LakeFile`s (month from their `month=` folder, rows from their footer);
        `own` files are this job's, fsynced before it publishes and deleted if it fails."""
        if not written:
            return []
        listed = ", ".join(quote_literal(str(p)) for p in written)
        counts = dict(
            self.con.execute(
                f"SELECT file_name, num_rows FROM parquet_file_metadata([{listed}])"
            ).fetchall()
        )
        files = []
        for path in written:
            absolute = path if path.is_absolute() else Path.cwd() / path
            relative = absolute.resolve().relative_to(self.root).as_posix()
            folder = relative.split("/")[2]
            month = date.fromisoformat(folder.split("=", 1)[1]) if "=" in folder else None
            size = absolute.stat().st_size
            if own:
                self.bytes_written += size
                self._written.append(absolute)
            columns = self.columns_of_file(absolute)
            files.append(
                LakeFile(relation, month, relative, int(counts.get(str(path), 0)), size, columns)
            )
        return files

    def columns_of_file(self, path: Path) -> str:
        """The columns and types of one Parquet file as a view reads them (`_columns_text`)."""
        return _columns_text(
            self.con.execute(
                f"DESCRIBE SELECT * FROM read_parquet({quote_literal(str(path))}, "
                "hive_partitioning = false)"
            ).fetchall()
        )

    def adopt(self, relation: str, written: Sequence[Path]) -> list[LakeFile]:
        """Files another writer (Spark) put under `relation`'s folder, described as this job's
        own (returned, not yet current; deleted with the job's other files if it fails)."""
        self._check_in_folder(relation, written)
        return self._describe(relation, written)

    def relist(self, relation: str, paths: Sequence[str]) -> list[LakeFile]:
        """Make files already in the lake (`paths` relative to it, as `<lake>/_catalog.json`
        lists them) current files of `relation` again, unchanged: for a catalog restored from
        its lake (`warehouse.storage.manifest.restore_catalog`). They are not this job's own: a
        failure never deletes them. Records them in `ops.lake_files` (the caller refreshes the
        relation's view, if it has one) and returns them."""
        absolute = [self.root / path for path in paths]
        self._check_in_folder(relation, absolute)
        files = self._describe(relation, absolute, own=False)
        now = datetime.now(UTC)
        if files:
            self.con.executemany(
                INSERT_FILE,
                [[f.relation, f.month, f.path, f.rows, f.bytes, now, f.columns] for f in files],
            )
        return files

    def _check_in_folder(self, relation: str, paths: Sequence[Path]) -> None:
        folder = self._folder(relation).resolve()
        for path in paths:
            if not Path(path).resolve().is_relative_to(folder):
                raise ValueError(f"{path} is not in the folder of {relation} ({folder})")

    def export(self, relation: str) -> list[LakeFile]:
        """Make a catalog table (`settings.*`, `ops.*`, `dq.*`) a current lake file too, for a
        reader that sees only the lake (Spark on a cluster, `collections serve --lake`): listed
        in `ops.lake_files` like any relation's file, with no view (the table stays the truth).
        Its previous export is retired. Returns the files."""
        if self.con.execute(
            "SELECT count(*) FROM ops.lake_relations WHERE relation = ?", [relation]
        ).fetchall()[0][0]:
            raise ValueError(f"{relation} is a lake relation already; only tables are exported")
        written = self.write(relation, f"SELECT * FROM {relation}")
        old = [f.path for f in self.files(relation)]
        now = datetime.now(UTC)
        if old:
            self.con.execute(
                "DELETE FROM ops.lake_files WHERE relation = ? AND list_contains(?, path)",
                [relation, old],
            )
            self.con.executemany(
                "INSERT INTO ops.lake_retired VALUES (?, ?)", [[p, now] for p in old]
            )
        # An empty table is still exported (a reader needs its columns).
        self.con.executemany(
            INSERT_FILE,
            [[f.relation, f.month, f.path, f.rows, f.bytes, now, f.columns] for f in written],
        )
        return written

    def declare(
        self,
        relation: str,
        columns: Sequence[tuple[str, str]],
        *,
        comment: str | None = None,
        column_comments: Mapping[str, str] | None = None,
        partition_by: str | None = None,
    ) -> None:
        """Record the relation's columns and types (and descriptions); its view keeps them even
        where a file lacks a column (files written before the column existed) or there is none.
        `partition_by` is `BY_MONTH_COLUMN`, `BY_BUSINESS_MONTH` or None (one folder)."""
        shape = "SELECT " + ", ".join(
            f"CAST(NULL AS {kind}) AS {quote_identifier(name)}" for name, kind in columns
        )
        self.con.execute(
            "INSERT OR REPLACE INTO ops.lake_relations "
            "(relation, shape, comment, column_comments, partition_by) VALUES (?, ?, ?, ?, ?)",
            [
                relation,
                shape,
                comment,
                json.dumps(dict(column_comments or {}), ensure_ascii=False),
                partition_by,
            ],
        )

    def write_rows(
        self,
        relation: str,
        select_sql: str,
        params: Mapping[str, Any] | Sequence[Any] | None = None,
        *,
        order_by: Sequence[str] = (),
        month: date | None = None,
    ) -> list[LakeFile]:
        """Write the rows of `select_sql` as new files of `relation`, split into month folders the
        way the relation is declared (`declare`); returns them (not yet current). `month` says
        that every row is of that month (a relation partitioned by its own `month` column): the
        rows go into its folder as one file, sorted as they are written."""
        found = self.con.execute(
            "SELECT partition_by FROM ops.lake_relations WHERE relation = ?", [relation]
        ).fetchall()
        if not found:
            raise ValueError(f"{relation} is not declared in the lake (Lake.declare)")
        partition_by = found[0][0]
        if partition_by is None:
            return self.write(relation, select_sql, params, order_by=order_by)
        if partition_by == BY_MONTH_COLUMN:
            if month is not None:
                return self.write(relation, select_sql, params, month=month, order_by=order_by)
            return self.write(relation, select_sql, params, by_month="month", order_by=order_by)
        return self.write(
            relation,
            f"SELECT *, {partition_by} AS month FROM ({select_sql})",
            params,
            by_month="month",
            keep_partition_column=False,
            order_by=order_by,
        )

    def compact(
        self, relation: str, *, at_most: int = COMPACT_AT, order_by: Sequence[str] = ()
    ) -> int:
        """Rewrite each month folder of `relation` that holds more than `at_most` files as one
        file (the rows and their order by `order_by` unchanged); returns how many it merged."""
        by_month: dict[date | None, list[LakeFile]] = {}
        for file in self.files(relation):
            by_month.setdefault(file.month, []).append(file)
        merged = 0
        for month, files in by_month.items():
            if len(files) <= at_most:
                continue
            paths = [f.path for f in files]
            written = self.write(
                relation, f"SELECT * FROM {self.scan(paths)}", month=month, order_by=order_by
            )
            self.swap(relation, remove=paths, add=written)
            merged += 1
        return merged

    def rewrite(
        self,
        relation: str,
        select_sql: str,
        params: Mapping[str, Any] | Sequence[Any] | None = None,
    ) -> None:
        """Replace every row of `relation` by the rows of `select_sql` (which may read the
        relation itself): for repairs, retention and tests; a job's own writes are narrower."""
        old = [f.path for f in self.files(relation)]
        written = self.write_rows(relation, select_sql, params)
        self.swap(relation, remove=old, add=written)

    def columns_of(self, select_sql: str, params: Mapping[str, Any] | Sequence[Any] | None = None
                   ) -> list[tuple[str, str]]:  # fmt: skip
        """The columns and types a query gives, as the lake stores them."""
        described = self.con.execute(f"DESCRIBE {select_sql}", params or None).fetchall()
        return [(name, NARROWED.get(kind, kind)) for name, kind, *_ in described]

    def swap(self, relation: str, *, remove: Iterable[str] = (), add: Iterable[LakeFile] = ()
             ) -> None:  # fmt: skip
        """Make `relation` lose the files `remove` and gain `add`, and point its view at them."""
        removed = list(remove)
        now = datetime.now(UTC)
        if removed:
            self.con.execute(
                "DELETE FROM ops.lake_files WHERE relation = ? AND list_contains(?, path)",
                [relation, removed],
            )
            self.con.executemany(
                "INSERT INTO ops.lake_retired VALUES (?, ?)", [[p, now] for p in removed]
            )
        added = [f for f in add if f.rows > 0]
        for f in add:
            if f.rows == 0:  # an empty file says nothing a view needs
                self.con.execute("INSERT INTO ops.lake_retired VALUES (?, ?)", [f.path, now])
        if added:
            self.con.executemany(
                INSERT_FILE,
                [[f.relation, f.month, f.path, f.rows, f.bytes, now, f.columns] for f in added],
            )
        self.refresh_view(relation)

    def refresh_view(self, relation: str) -> None:
        """Point the view `relation` at its current files, with its declared columns."""
        declared = self.con.execute(
            "SELECT shape, comment, column_comments FROM ops.lake_relations WHERE relation = ?",
            [relation],
        ).fetchall()
        if not declared:
            raise ValueError(f"{relation} is not declared in the lake (Lake.declare)")
        shape, comment, column_comments = declared[0]
        files = self.files(relation)
        paths = [f.path for f in files]
        schema = relation.split(".", 1)[0]
        self.con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        declared_columns = _columns_text(self.con.execute(f"DESCRIBE {shape}").fetchall())
        if paths and all(f.columns == declared_columns for f in files):
            # Every file holds exactly the declared columns, in order: read them as they are.
            # The general form below costs a reader about twice the time on a lookup (it reads
            # every file's schema to match columns by name, and unions a typed empty row).
            listed = ", ".join(quote_literal(self.absolute(p)) for p in paths)
            body = f"SELECT * FROM read_parquet([{listed}], hive_partitioning = false)"
        else:
            body = f"{shape} WHERE false"
            if paths:
                body += f" UNION ALL BY NAME SELECT * FROM {self.scan(paths)}"
        self.con.execute(f"CREATE OR REPLACE VIEW {relation} AS {body}")
        if comment:
            self.con.execute(f"COMMENT ON VIEW {relation} IS {quote_literal(comment)}")
        for column, text in json.loads(column_comments or "{}").items():
            self.con.execute(
                f"COMMENT ON COLUMN {relation}.{quote_identifier(column)} IS {quote_literal(text)}"
            )

    # --- housekeeping -------------------------------------------------------------------------

    def discard_written(self) -> None:
        """Delete every file this job wrote: it failed, and no catalog will list them."""
        for path in self._written:
            path.unlink(missing_ok=True)
        self._written = []

    def sync(self) -> None:
        """Flush every file this job wrote (and their folders) to disk, before the catalog that
        lists them is published: a power cut must not leave a catalog naming a torn file."""
        folders = set()
        for path in self._written:
            if path.exists():
                with open(path, "rb") as handle:
                    os.fsync(handle.fileno())
                folders.add(path.parent)
        for folder in folders:
            fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        self._written = []

    def collect_garbage(self, *, now: datetime | None = None) -> int:
        """Delete files no version can still be reading; returns how many were deleted.

        Runs under the publication lock, before the job writes anything: a file no catalog lists
        was left by a killed job, and a retired file older than `RETIRED_GRACE` is no longer
        read. The catalog `con` is a copy of the published one.
        """
        now = now or datetime.now(UTC)
        current = {p for (p,) in self.con.execute("SELECT path FROM ops.lake_files").fetchall()}
        retired = dict(
            self.con.execute(
                "SELECT path, max(retired_at) FROM ops.lake_retired GROUP BY path"
            ).fetchall()
        )
        expired = [p for p, at in retired.items() if p not in current and at <= now - RETIRED_GRACE]
        deleted = 0
        for dirpath, _, filenames in os.walk(self.root):
            for filename in filenames:
                if not filename.endswith(".parquet"):
                    continue
                relative = (Path(dirpath) / filename).relative_to(self.root).as_posix()
                if relative in current:
                    continue
                if relative in retired and relative not in expired:
                    continue
                (Path(dirpath) / filename).unlink(missing_ok=True)
                deleted += 1
        if expired:
            self.con.execute("DELETE FROM ops.lake_retired WHERE list_contains(?, path)", [expired])
        for dirpath, dirnames, filenames in os.walk(self.root, topdown=False):
            if not dirnames and not filenames and Path(dirpath) != self.root:
                Path(dirpath).rmdir()
        return deleted


def month_folder(month: date | None) -> str:
    """The folder name of a month's partition (`month=2024-01-01`; `all` when unpartitioned)."""
    return _month_folder(month)
