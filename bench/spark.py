"""Spark benchmark (not a test): the same bank's marts built by DuckDB and by Spark.

    .venv/bin/python bench/spark.py [--accounts 5000] [--months 6] [--master local[2]]
        [--shuffle-partitions 2] [--keep DIR]

Generates a bank (`collections generate`), loads it once with DuckDB (no checks), then on two
copies of that warehouse rebuilds every model of `sql/` whole: once on DuckDB, once on a Spark
session (`collections build --engine spark`). Prints both builds' seconds, the ratio, and
verifies that every relation of `sql/` is equal row for row on both (money to the cent, rates
to 1e-9). The Spark time includes nothing of the session's start (printed apart).
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from warehouse import marts
from warehouse.demo import generate_bank
from warehouse.jobs.build import build_marts
from warehouse.jobs.load import load_inbox
from warehouse.marts.spark import session
from warehouse.storage import connect_reader, copy_warehouse


def differences(a: Path, b: Path) -> list[str]:
    found = []
    con_a, con_b = connect_reader(a), connect_reader(b)
    try:
        for m in marts.models():
            if m.is_settings:
                continue
            sql = f"SELECT * FROM {m.name} ORDER BY ALL"
            rows_a, rows_b = con_a.execute(sql).fetchall(), con_b.execute(sql).fetchall()
            if len(rows_a) != len(rows_b):
                found.append(f"{m.name}: {len(rows_a)} rows on DuckDB, {len(rows_b)} on Spark")
                continue
            for x, y in zip(rows_a, rows_b, strict=True):
                if any(
                    not (
                        u == v
                        or isinstance(u, float)
                        and isinstance(v, float)
                        and math.isclose(u, v, rel_tol=1e-9, abs_tol=1e-9)
                    )
                    for u, v in zip(x, y, strict=True)
                ):
                    found.append(f"{m.name}: {x} on DuckDB, {y} on Spark")
                    break
    finally:
        con_a.close()
        con_b.close()
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=5000)
    parser.add_argument("--months", type=int, default=6)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--shuffle-partitions", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="Work in this folder and keep it.")
    args = parser.parse_args()
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-spark-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        started = time.perf_counter()
        generate_bank(
            work / "inbox", accounts=args.accounts, months=args.months, start=date(2024, 11, 1)
        )
        print(f"generated {args.accounts:,} accounts x {args.months} months "
              f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
        loaded = work / "loaded" / "warehouse.duckdb"
        started = time.perf_counter()
        load_inbox(work / "inbox", db=loaded, run_checks=False)
        print(f"loaded once with DuckDB in {time.perf_counter() - started:.1f} s")
        on_duckdb = copy_warehouse(loaded, work / "duckdb" / "warehouse.duckdb")
        on_spark = copy_warehouse(loaded, work / "spark" / "warehouse.duckdb")

        duckdb_build = build_marts(on_duckdb, engine="duckdb")
        print(f"DuckDB: full build of {len(duckdb_build.timings)} models "
              f"in {duckdb_build.seconds:.1f} s")  # fmt: skip

        started = time.perf_counter()
        spark = session(args.master, shuffle_partitions=args.shuffle_partitions)
        print(f"Spark session {args.master} started in {time.perf_counter() - started:.1f} s")
        try:
            spark_build = build_marts(on_spark, engine="spark", spark=spark)
        finally:
            spark.stop()
        print(f"Spark {args.master}: full build of {len(spark_build.timings)} models "
              f"in {spark_build.seconds:.1f} s")  # fmt: skip
        print(f"ratio Spark / DuckDB: {spark_build.seconds / duckdb_build.seconds:.1f}x")
        slowest = sorted(spark_build.timings.items(), key=lambda kv: -kv[1])[:5]
        print("slowest on Spark: " + ", ".join(f"{n} {s:.1f} s" for n, s in slowest))

        found = differences(on_duckdb, on_spark)
        if found:
            print("NOT EQUAL:\n  " + "\n  ".join(found))
            return 1
        print("equal: every relation of sql/ row for row on both engines")
        return 0
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
