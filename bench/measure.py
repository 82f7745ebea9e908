"""What the benchmarks share: a step measured in a process of its own, and DuckDB's floor.

A step runs as a child of a small wrapper process that reports its children's peak RSS
(ru_maxrss), so each step's peak is its own, not the largest of all steps so far.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
# A fixed key: the benchmark's masked hashes need not be secret, only stable.
ENV = {**os.environ, "COLLECTIONS_MASK_KEY": "benchmark-key-not-a-secret-0123456789abcdef"}

FLOOR_SCRIPT = r"""
import duckdb, sys, json, time, glob, os
inbox, db = sys.argv[1], sys.argv[2]
con = duckdb.connect(db)
con.execute('SET enable_progress_bar = false')
rows = 0
started = time.perf_counter()
files = glob.glob(os.path.join(inbox, '*.csv'))
extracts = sorted({os.path.basename(p).rsplit('_', 1)[0] for p in files})
for extract in extracts:
    pattern = os.path.join(inbox, f'{extract}_*.csv')
    con.execute(
        f"CREATE TABLE {extract} AS SELECT * "
        f"FROM read_csv('{pattern}', union_by_name = true, header = true)"
    )
    rows += con.execute(f'SELECT count(*) FROM {extract}').fetchone()[0]
con.execute('CHECKPOINT')
con.close()
print(json.dumps({'rows': rows, 'seconds': time.perf_counter() - started}))
"""

WRAPPER = (
    "import resource, subprocess, sys, time, json;"
    "t = time.perf_counter(); p = subprocess.run(sys.argv[1:], capture_output=True, text=True);"
    "print(json.dumps({'seconds': time.perf_counter() - t,"
    " 'rss': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024,"
    " 'out': p.stdout, 'err': p.stderr[-3000:], 'rc': p.returncode}))"
)


@dataclass
class Measured:
    seconds: float
    rss: int  # bytes
    out: str
    err: str
    returncode: int

    def last_json(self) -> dict:
        """The last line of the step's standard output, as JSON (the step's own report)."""
        return json.loads(self.out.strip().splitlines()[-1])


def run_step(
    name: str, command: list[str], *, ok: tuple[int, ...] = (0,), quiet: bool = False
) -> Measured:
    """Run `command` in a fresh process; its wall seconds and peak RSS. An exit status outside
    `ok` ends the benchmark with the step's error output: a failure measured is no measure."""
    done = subprocess.run(
        [PYTHON, "-c", WRAPPER, *command], capture_output=True, text=True, env=ENV, check=True
    )
    result = json.loads(done.stdout)
    measured = Measured(
        result["seconds"], result["rss"], result["out"], result["err"], result["rc"]
    )
    if measured.returncode not in ok:
        raise SystemExit(
            f"{name} failed ({measured.returncode}):\n{measured.out[-3000:]}\n{measured.err}"
        )
    if not quiet:
        print(
            f"{name}: {measured.seconds:,.1f} s, peak RSS {measured.rss / 2**30:.2f} GiB",
            flush=True,
        )
    return measured


def floor(inbox: Path, db: Path) -> tuple[Measured, int]:
    """DuckDB's own read_csv of the inbox into one table per extract: (the step, rows)."""
    db.unlink(missing_ok=True)
    measured = run_step("floor", [PYTHON, "-c", FLOOR_SCRIPT, str(inbox), str(db)])
    rows = int(measured.last_json()["rows"])
    db.unlink(missing_ok=True)
    return measured, rows


def folder_bytes(folder: Path) -> dict[str, int]:
    """Every file below `folder` with its size (to tell what a step wrote)."""
    if not folder.exists():
        return {}
    return {str(p): p.stat().st_size for p in folder.rglob("*") if p.is_file()}
