"""The Spark engine of the mart runner: the models of `sql/` computed by Apache Spark.

`collections build --engine spark` runs the same runner as DuckDB (`warehouse.marts.build`: the
same run order, the same full-or-incremental decisions, `ops.mart_builds`), with this engine
computing each table's rows: Spark reads the lake's current Parquet files (`ops.lake_files`),
runs the model's query and writes the rows back into the lake as Parquet, partitioned into
`month=YYYY-MM-DD/` folders like DuckDB's files. The catalog stays DuckDB's: it records the new
files, keeps the settings and points the views at the files, so the dashboard reads what Spark
wrote. Settings tables are exported into the lake as Parquet (`Lake.export`) as they are built,
so a cluster reads them from the lake too.

There is one copy of every model: its DuckDB SQL is transpiled to Spark SQL with sqlglot. Where
a construct does not mean the same on Spark as written, one rule here rewrites it, each with a
test (tests/test_spark.py):

* `relation_names`: `core.accounts` is the temporary view `core__accounts` (Spark's session
  views are unqualified; a relation's view lists exactly its current files);
* `parameters`: `$first_month` / `$last_month` become DATE literals;
* `sub_second_epoch`: DuckDB's `epoch(ts)` keeps microseconds; sqlglot writes
  `UNIX_TIMESTAMP(ts)`, whole seconds, which moves a 7-day window's edge. It becomes
  `UNIX_MICROS(CAST(ts AS TIMESTAMP)) / 1e6`;
* `timezone_function`: DuckDB's `timezone(zone, ts)` is written as `ts AT TIME ZONE zone`, which
  sqlglot transpiles (Spark has no `TIMEZONE` function);
* `group_by_all`: `GROUP BY ALL` in a SELECT that reads its own column aliases (a ratio of two
  aggregates by their names) names its keys: Spark refuses lateral aliases with GROUP BY ALL;
* `iterated_recursion`: a `WITH RECURSIVE` CTE that reads itself (core.promise_allocations'
  pour, whose recursive step shares each payment by a window over the round before) runs one
  round at a time, as DuckDB runs it: Spark refuses a recursive reference under a window or an
  aggregate. The CTEs up to it become session views computed once each (held by Spark,
  `localCheckpoint`), the rounds are unioned, and the rest of the query reads them;
* a model's `CREATE OR REPLACE TABLE|VIEW x AS q` is never transpiled: the runner writes a
  table's rows itself and registers a view as a session view, so only the query `q` runs.

The session runs in UTC like DuckDB's connections and without ANSI mode (DuckDB's division by
zero is NULL, not an error). pyspark is imported only here and only when the engine is used
(`pip install 'collections-warehouse[spark]'`, Java 17+).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlglot
from sqlglot import exp

from warehouse.marts.models import SCHEMAS, SqlModel
from warehouse.storage.lake import BY_MONTH_COLUMN, Lake, LakeFile

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

# The schemas of the warehouse whose relations a model may read.
RELATION_SCHEMAS = frozenset(("raw", "ops", "dq", *SCHEMAS))
DEFAULT_MASTER = "local[*]"
# Session settings (runtime SQL settings, so they apply on Spark Connect too).
SESSION_SQL_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.ansi.enabled": "false",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    "spark.sql.parquet.compression.codec": "zstd",
    "spark.sql.parquet.mergeSchema": "true",
    "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
}
PARTITION_COLUMN = "_lake_month"  # Spark drops its partition column from the files: a copy


# --- the SQL ----------------------------------------------------------------------------------


def view_name(relation: str) -> str:
    """The session view Spark reads `relation` from: `core.accounts` -> `core__accounts`."""
    schema, name = relation.split(".", 1)
    return f"{schema}__{name}"


def _literal(value: Any) -> exp.Expr:
    if isinstance(value, datetime):
        return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), "TIMESTAMP")
    if isinstance(value, date):
        return exp.cast(exp.Literal.string(value.isoformat()), "DATE")
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int | float):
        return exp.Literal.number(value)
    if value is None:
        return exp.Null()
    return exp.Literal.string(str(value))


def relation_names(tree: exp.Expr) -> exp.Expr:
    """Rule: a warehouse relation `schema.object` is read from its session view."""
    for table in list(tree.find_all(exp.Table)):
        if table.db and not table.catalog and table.db.lower() in RELATION_SCHEMAS:
            name = view_name(f"{table.db.lower()}.{table.name.lower()}")
            table.set("this", exp.to_identifier(name))
            table.set("db", None)
    return tree


def parameters(tree: exp.Expr, values: Mapping[str, Any]) -> exp.Expr:
    """Rule: the named parameters (`$first_month`) become typed literals."""

    def replace(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Placeholder) and node.name:
            if node.name not in values:
                raise ValueError(f"no value for parameter ${node.name}")
            return _literal(values[node.name])
        return node

    return tree.transform(replace)


def sub_second_epoch(tree: exp.Expr) -> exp.Expr:
    """Rule: `epoch(ts)` keeps its microseconds on Spark (not UNIX_TIMESTAMP's whole seconds)."""

    def replace(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.TimeToUnix):
            micros = exp.Anonymous(
                this="UNIX_MICROS", expressions=[exp.cast(node.this.copy(), "TIMESTAMP")]
            )
            return exp.Div(this=micros, expression=exp.Literal.number("1e6"))
        return node

    return tree.transform(replace)


def timezone_function(tree: exp.Expr) -> exp.Expr:
    """Rule: DuckDB's `timezone(zone, ts)` is its `ts AT TIME ZONE zone` (the same function),
    which sqlglot writes for Spark as `FROM_UTC_TIMESTAMP(ts, zone)`; the function form it
    passes through unchanged, and Spark has no `TIMEZONE`."""

    def replace(node: exp.Expr) -> exp.Expr:
        if (
            isinstance(node, exp.Anonymous)
            and str(node.this).lower() == "timezone"
            and len(node.expressions) == 2
        ):
            zone, value = node.expressions
            return exp.AtTimeZone(this=value.copy(), zone=zone.copy())
        return node

    return tree.transform(replace)


def group_by_all(tree: exp.Expr) -> exp.Expr:
    """Rule: `GROUP BY ALL` names its keys when the SELECT reads a column alias it defines
    (`a / b` of two aggregates' aliases): Spark refuses lateral aliases with GROUP BY ALL. The
    keys are the items with neither an aggregate nor such an alias."""
    for select in list(tree.find_all(exp.Select)):
        group = select.args.get("group")
        if not group or not group.args.get("all"):
            continue
        aliases: set[str] = set()
        keys: list[exp.Expr] = []
        lateral = False
        for item in select.expressions:
            inner = item.this if isinstance(item, exp.Alias) else item
            reads_alias = any(
                not column.table and column.name in aliases for column in inner.find_all(exp.Column)
            )
            lateral = lateral or reads_alias
            if (
                not reads_alias
                and not inner.find(exp.AggFunc)
                and not inner.is_star
                and not isinstance(inner, exp.Literal)
            ):
                keys.append(inner.copy())
            if item.alias_or_name:
                aliases.add(item.alias_or_name)
        if lateral:
            select.set("group", exp.Group(expressions=keys) if keys else None)
    return tree


def query_of(m: SqlModel) -> exp.Expr:
    """The query of a model's one `CREATE ... AS` statement (a table's or a view's)."""
    statements = [s for s in sqlglot.parse(m.sql, read="duckdb") if s is not None]
    if len(statements) != 1 or not isinstance(statements[0], exp.Create):
        raise ValueError(f"{m.file}: expected one `CREATE OR REPLACE ... {m.name} AS` statement")
    query = statements[0].expression
    if not isinstance(query, exp.Query):
        raise ValueError(f"{m.file}: the CREATE statement has no query")
    return query


def ruled(query: str | exp.Expr, values: Mapping[str, Any] | None = None) -> exp.Expr:
    """DuckDB SQL (a query) with the rules above applied, still a tree."""
    tree = sqlglot.parse_one(query, read="duckdb") if isinstance(query, str) else query.copy()
    tree = relation_names(tree)
    tree = parameters(tree, values or {})
    tree = sub_second_epoch(tree)
    tree = timezone_function(tree)
    return group_by_all(tree)


def _spark_sql(tree: exp.Expr, dialect: str = "spark") -> str:
    return tree.sql(dialect=dialect, unsupported_level=sqlglot.ErrorLevel.RAISE)


def to_spark(query: str | exp.Expr, values: Mapping[str, Any] | None = None) -> str:
    """DuckDB SQL (a query) as Spark SQL, with the rules above."""
    return _spark_sql(ruled(query, values))


# --- rule `iterated_recursion`: a recursive CTE evaluated step by step --------------------------


@dataclass(frozen=True)
class Step:
    """One relation the engine computes before a query with a recursive CTE: `sql` (Spark SQL)
    registered as the session view `view`. A recursive CTE's step also has `repeat`, the
    recursive part reading the rows of the step before from the view `previous`: it runs until
    it gives no rows, and `view` holds `sql`'s rows and every round's (UNION ALL). A round's
    columns take the names of the first rows' columns, or `columns` when the CTE names them."""

    view: str
    sql: str
    repeat: str | None = None
    previous: str | None = None
    columns: tuple[str, ...] = ()


def _reads(tree: exp.Expr, name: str) -> bool:
    return any(not t.db and t.name.lower() == name for t in tree.find_all(exp.Table))


def _renamed(tree: exp.Expr, names: Mapping[str, str]) -> exp.Expr:
    """`tree` reading the relation `names[x]` wherever it reads the CTE `x` (a reference keeps
    its old name as its alias, so qualified columns still resolve)."""
    for table in list(tree.find_all(exp.Table)):
        if table.db or table.name.lower() not in names:
            continue
        old = table.name
        table.set("this", exp.to_identifier(names[old.lower()]))
        if not table.alias:
            table.set("alias", exp.TableAlias(this=exp.to_identifier(old)))
    return tree


def iterated_recursion(
    tree: exp.Expr, tag: str, dialect: str = "spark"
) -> tuple[list[Step], exp.Expr]:
    """Rule: a `WITH RECURSIVE` whose CTE reads itself is evaluated by the engine, one round at
    a time, as DuckDB evaluates it (each round reads only the rows the round before added,
    until a round adds none). Spark refuses a recursive reference under a window function or
    an aggregate ([INVALID_RECURSIVE_REFERENCE.PLACE]), which core.promise_allocations' pour
    needs. The CTEs up to the last recursive one become Steps, computed once each as session
    views named `_<tag>_<cte>`; the query that remains reads them. A query without a recursive
    CTE comes back as it is, with no steps. The steps' SQL is written for `dialect` (the
    tests run the same steps on DuckDB too)."""
    with_ = tree.args.get("with_")
    if not isinstance(tree, exp.Query) or not isinstance(with_, exp.With):
        return [], tree
    ctes = list(with_.expressions)
    recursive = [i for i, cte in enumerate(ctes) if _reads(cte.this, cte.alias_or_name.lower())]
    if not with_.args.get("recursive") or not recursive:
        return [], tree
    last = max(recursive)
    views: dict[str, str] = {}
    steps: list[Step] = []
    for i, cte in enumerate(ctes[: last + 1]):
        name = cte.alias_or_name.lower()
        view = f"_{tag}_{name}"
        body = _renamed(cte.this.copy(), views)
        if i in recursive:
            if not isinstance(body, exp.Union) or body.args.get("distinct"):
                raise ValueError(f"the recursive CTE {name} is not `anchor UNION ALL step`")
            anchor, repeat = body.this, body.expression
            if _reads(anchor, name):
                raise ValueError(f"the anchor of the recursive CTE {name} reads {name}")
            previous = f"{view}_previous"
            repeat = _renamed(repeat, {name: previous})
            alias = cte.args.get("alias")
            named = tuple(c.name for c in alias.columns) if alias is not None else ()
            steps.append(
                Step(
                    view,
                    _spark_sql(anchor, dialect),
                    _spark_sql(repeat, dialect),
                    previous,
                    named,
                )
            )
        else:
            steps.append(Step(view, _spark_sql(body, dialect)))
        views[name] = view
    rest = tree.copy()
    remaining = [_renamed(cte.copy(), views) for cte in ctes[last + 1 :]]
    rest.set("with_", exp.With(expressions=remaining) if remaining else None)
    return steps, _renamed(rest, views)


# --- the types ----------------------------------------------------------------------------------

_SIMPLE_TYPES = {
    "VARCHAR": "STRING",
    "BIGINT": "BIGINT",
    "INTEGER": "INT",
    "SMALLINT": "SMALLINT",
    "TINYINT": "TINYINT",
    "DOUBLE": "DOUBLE",
    "FLOAT": "FLOAT",
    "BOOLEAN": "BOOLEAN",
    "DATE": "DATE",
    "TIMESTAMP WITH TIME ZONE": "TIMESTAMP",
    "TIMESTAMPTZ": "TIMESTAMP",
    "TIMESTAMP": "TIMESTAMP_NTZ",
    "BLOB": "BINARY",
    "UUID": "STRING",
    "JSON": "STRING",
}
_DECIMAL = re.compile(r"^DECIMAL\((\d+),\s*(\d+)\)$")


def spark_type(duckdb_type: str) -> str:
    """The Spark type of a DuckDB column type, as the lake's files hold it."""
    kind = duckdb_type.strip().upper()
    if kind in _SIMPLE_TYPES:
        return _SIMPLE_TYPES[kind]
    if match := _DECIMAL.match(kind):
        return f"DECIMAL({match[1]},{match[2]})"
    if kind.endswith("[]"):
        return f"ARRAY<{spark_type(kind[:-2])}>"
    raise ValueError(f"no Spark type for the DuckDB type {duckdb_type}")


# --- the session --------------------------------------------------------------------------------


def java_missing() -> str | None:
    """Why Spark cannot start here (no Java), or None."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return None
    if shutil.which("java"):
        return None
    return (
        "Spark needs Java 17 or later and none was found (no `java` on PATH, no JAVA_HOME): "
        "install one, e.g. `apt-get install openjdk-17-jre-headless`"
    )


def session(
    master: str | None = None,
    *,
    app_name: str = "collections-marts",
    shuffle_partitions: int | None = None,
) -> SparkSession:
    """A Spark session: `master` a master URL (`local[2]`, `spark://host:7077`, `yarn`), a Spark
    Connect URL (`sc://host:15002`), or None for the one spark-submit gave, else `local[*]`.
    `shuffle_partitions` sets `spark.sql.shuffle.partitions`; when None, one given with
    spark-submit stays, else 8 (Spark's own 200 is far too many for one machine)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise RuntimeError(
            "the Spark engine needs pyspark: pip install 'collections-warehouse[spark]'"
        ) from exc
    if master and master.startswith("sc://"):
        # (Without its client pyspark's Connect module exits the process, so ask first.)
        if importlib.util.find_spec("grpc") is None:
            raise RuntimeError(
                f"Spark Connect ({master}) needs pyspark's Connect client: "
                "pip install 'pyspark[connect]>=4'"
            )
        spark = SparkSession.builder.remote(master).appName(app_name).getOrCreate()
    else:
        problem = java_missing()
        if problem:
            raise RuntimeError(problem)
        builder = SparkSession.builder.appName(app_name)
        # Started by spark-submit (it hands its JVM over): its --master and --conf stand.
        submitted = "PYSPARK_GATEWAY_PORT" in os.environ
        if shuffle_partitions or not submitted:
            builder = builder.config("spark.sql.shuffle.partitions", str(shuffle_partitions or 8))
        if master:
            builder = builder.master(master)
        elif not submitted:
            builder = builder.master(DEFAULT_MASTER)
        builder = (
            builder.config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.hadoop.mapreduce.fileoutputcommitter.marksuccessfuljobs", "false")
            .config("spark.hadoop.parquet.enable.summary-metadata", "false")
            .config("spark.log.structuredLogging.enabled", "false")
        )
        spark = builder.getOrCreate()
        spark.sparkContext.setLogLevel(os.environ.get("SPARK_LOG_LEVEL", "FATAL"))
    for key, value in SESSION_SQL_CONF.items():
        spark.conf.set(key, value)
    return spark


# --- the engine ---------------------------------------------------------------------------------


class SparkEngine:
    """Computes the tables' rows on `spark` from the lake's files and writes them into the lake.

    The lake folder must be the same path for the driver and every executor (a local folder
    with `local[*]`, a shared mount on a cluster).
    """

    # A whole table in one job: Spark spreads the months over its executors itself.
    chunk_months = 0

    def __init__(self, lake: Lake, spark: SparkSession) -> None:
        self.lake = lake
        self.spark = spark
        self._exported: set[str] = set()  # catalog tables exported for this build
        # Every relation already in the lake (raw extracts, tables of a previous build, exported
        # settings) is readable from the start: a table the runner skips is still read.
        for relation in self._lake_relations():
            self.register(relation)

    def _lake_relations(self) -> list[str]:
        rows = self.lake.con.execute(
            "SELECT relation FROM ops.lake_relations UNION SELECT relation FROM ops.lake_files "
            "ORDER BY 1"
        ).fetchall()
        return [r for (r,) in rows]

    # the runner's hooks

    def settings_built(self, m: SqlModel) -> None:
        self.lake.export(m.name)
        self.register(m.name)

    def _catalog_inputs(self, m: SqlModel) -> None:
        """A model may read a table of the catalog (`core.as_of_date` reads ops.loaded_files):
        exported into the lake once per build, as it stands now, and registered."""
        for name in sorted(m.inputs):
            if name.split(".")[0] in ("ops", "dq") and name not in self._exported:
                self.lake.export(name)
                self.register(name)
                self._exported.add(name)

    def view_built(self, m: SqlModel) -> None:
        self._catalog_inputs(m)
        frame, _ = self._frame(m, ruled(query_of(m)))
        frame.createOrReplaceTempView(view_name(m.name))

    def write_table(
        self, m: SqlModel, select: str, values: Mapping[str, Any], columns: list[tuple[str, str]]
    ) -> list[LakeFile]:
        self._catalog_inputs(m)
        frame, steps = self._frame(m, ruled(select, values))
        try:
            frame = self._typed(m, frame, columns)
            partitioned = m.incremental is not None
            return self._write(m, frame, partitioned=partitioned, order_by=m.sorted_by)
        finally:
            for view in steps:
                self.spark.catalog.dropTempView(view)

    # Rounds of a recursive CTE before the engine gives up (DuckDB's would run on forever).
    MAX_ROUNDS = 100_000

    def _frame(self, m: SqlModel, tree: exp.Expr) -> tuple[DataFrame, list[str]]:
        """The rows of a ruled query, and the session views its steps left (rule
        `iterated_recursion`: each step is computed once and held by Spark)."""
        steps, rest = iterated_recursion(tree, f"r{uuid.uuid4().hex[:8]}")
        views: list[str] = []
        for step in steps:
            frame = self._run(m, step.sql)
            if step.columns:
                frame = frame.toDF(*step.columns)
            frame = frame.localCheckpoint()
            if step.repeat and step.previous:
                rounds = [frame]
                names = frame.columns
                views.append(step.previous)
                for _ in range(self.MAX_ROUNDS):
                    frame.createOrReplaceTempView(step.previous)
                    frame = self._run(m, step.repeat).toDF(*names).localCheckpoint()
                    if frame.isEmpty():
                        break
                    rounds.append(frame)
                else:
                    raise RuntimeError(
                        f"{m.file} on Spark: {step.view} ran {self.MAX_ROUNDS} rounds"
                    )
                frame = rounds[0]
                for more in rounds[1:]:
                    frame = frame.unionAll(more)
                frame = frame.localCheckpoint()
            frame.createOrReplaceTempView(step.view)
            views.append(step.view)
        return self._run(m, _spark_sql(rest)), views

    def table_built(self, m: SqlModel) -> None:
        self.register(m.name)

    # reading and writing

    def register(self, relation: str) -> None:
        """(Re)point the session view of `relation` at its current files, with its columns."""
        from pyspark.sql import functions as F

        columns = self.lake.columns_of(f"SELECT * FROM {relation}")
        schema = ", ".join(f"`{name}` {spark_type(kind)}" for name, kind in columns)
        paths = [self.lake.absolute(f.path) for f in self.lake.files(relation)]
        if not paths:
            frame = self.spark.createDataFrame([], schema)
        else:
            found = self.spark.read.option("recursiveFileLookup", "true").parquet(*paths)
            present = set(found.columns)
            frame = found.select(
                *[
                    (F.col(f"`{name}`") if name in present else F.lit(None))
                    .cast(spark_type(kind))
                    .alias(name)
                    for name, kind in columns
                ]
            )
        frame.createOrReplaceTempView(view_name(relation))

    def _run(self, m: SqlModel, sql: str) -> DataFrame:
        try:
            return self.spark.sql(sql)
        except Exception as exc:  # pyspark's errors have no common base outside pyspark
            raise RuntimeError(f"{m.file} on Spark: {exc}\n-- as Spark SQL:\n{sql}") from exc

    def _typed(self, m: SqlModel, frame: DataFrame, columns: list[tuple[str, str]]) -> DataFrame:
        """The rows with DuckDB's column names, order and types (the catalog declares those)."""
        from pyspark.sql import functions as F

        names = [name for name, _ in columns]
        if list(frame.columns) != names:
            raise RuntimeError(
                f"{m.file} on Spark gives the columns {frame.columns}, DuckDB's are {names}"
            )
        return frame.select(
            *[F.col(f"`{name}`").cast(spark_type(kind)).alias(name) for name, kind in columns]
        )

    def _write(
        self, m: SqlModel, frame: DataFrame, *, partitioned: bool, order_by: Sequence[str]
    ) -> list[LakeFile]:
        """Write `frame` into a scratch folder of the lake, then move its files into the
        relation's folders under the names DuckDB's files have (`month=.../part-<tag>-N`)."""
        from pyspark.sql import functions as F

        tag = f"{int(time.time())}-{uuid.uuid4().hex[:12]}"
        scratch = self.lake.root / "_spark" / tag
        schema, name = m.name.split(".", 1)
        folder = self.lake.root / schema / name
        try:
            if partitioned:
                frame = frame.withColumn(PARTITION_COLUMN, F.col(BY_MONTH_COLUMN)).repartition(
                    PARTITION_COLUMN
                )
                if order_by:
                    frame = frame.sortWithinPartitions(*order_by)
                frame.write.partitionBy(PARTITION_COLUMN).parquet(str(scratch))
            else:
                # (No coalesce: it would shrink the parallelism of the stages before it too.)
                frame = frame.orderBy(*order_by) if order_by else frame
                frame.write.parquet(str(scratch))
            moved = []
            for number, path in enumerate(sorted(scratch.rglob("*.parquet"))):
                if partitioned:
                    value = path.parent.name.split("=", 1)[1]
                    try:
                        month = date.fromisoformat(value)
                    except ValueError:
                        raise RuntimeError(
                            f"{m.file} on Spark: a row has no month ({path.parent.name})"
                        ) from None
                    target = folder / f"month={month.isoformat()}"
                else:
                    target = folder / "all"
                target.mkdir(parents=True, exist_ok=True)
                destination = target / f"part-{tag}-{number}.parquet"
                os.replace(path, destination)
                moved.append(destination)
            return self.lake.adopt(m.name, moved)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
            parent = scratch.parent
            if parent.exists() and not any(parent.iterdir()):
                parent.rmdir()
