"""Atomic publication: a job builds a private copy and swaps it in whole, or not at all.

DuckDB lets one process write a file or many read it, never both. So a load never opens the
published warehouse for writing: it copies it to `<name>.staging`, lands everything there,
closes it (DuckDB checkpoints on close) and `os.replace`s it over the published file. The swap is
atomic; readers holding the old file keep reading the old version and see the new one on their
next connection. A load killed at any moment leaves only a stale staging file, which the next
load throws away before starting again from the published version.

An exclusive `flock` on `<name>.lock` keeps two loads from racing; the kernel drops it when a
load dies, however it dies.

Every job that publishes (a load, `collections check`, `collections rebuild`) goes through
`publishing()`, the one place this sequence is written: lock, discard a killed run's leftovers,
staging copy, writer, the job's work, checkpoint, swap; any error discards the staging copy and
publishes nothing.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from warehouse.config import lake_path, owner_only_umask
from warehouse.storage.connect import connect_writer
from warehouse.storage.lake import Lake
from warehouse.storage.schema import ensure_schema


class LoadInProgress(RuntimeError):
    pass


def staging_path(published: Path) -> Path:
    return published.with_name(published.name + ".staging")


def lock_path(published: Path) -> Path:
    return published.with_name(published.name + ".lock")


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def exclusive_lock(published: Path, *, wait_seconds: float = 0.0) -> Iterator[None]:
    """Hold `<name>.lock`; waits up to `wait_seconds` for a running job, then LoadInProgress."""
    published.parent.mkdir(parents=True, exist_ok=True)
    handle = open(lock_path(published), "a+")  # noqa: SIM115
    deadline = time.monotonic() + wait_seconds
    try:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise LoadInProgress(
                        f"another load is writing {published} (lock {lock_path(published)} is held)"
                    ) from None
                time.sleep(1.0)
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        handle.close()


def discard_stale_staging(published: Path) -> bool:
    """Remove what a killed load left behind. True when there was something."""
    found = False
    staging = staging_path(published)
    for leftover in (staging, staging.with_name(staging.name + ".wal")):
        if leftover.exists():
            leftover.unlink()
            found = True
    return found


def prepare_staging(published: Path) -> Path:
    """A private copy of the published warehouse to write into (empty when none is published)."""
    staging = staging_path(published)
    if published.exists():
        shutil.copyfile(published, staging)
    return staging


def publish(published: Path) -> None:
    """Swap the finished staging file in. The caller has closed every connection to it."""
    staging = staging_path(published)
    wal = staging.with_name(staging.name + ".wal")
    if wal.exists():
        raise RuntimeError(f"{staging} still has a write-ahead log; close its connection first")
    with open(staging, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(staging, published)
    _fsync_dir(published.parent)


@dataclass
class Staging:
    """The private copy a job writes into, open read-write, and what to do once it is published."""

    con: duckdb.DuckDBPyConnection
    path: Path
    lake: Lake
    interrupted: bool  # a killed job's leftovers were discarded first
    _after_publish: list[Callable[[], object]] = field(default_factory=list)

    def latest_load_id(self) -> int:
        """The newest load's id (0 before any): what a publication that lands nothing (a
        rebuild, a purge) records as the load it follows."""
        return int(
            self.con.execute("SELECT coalesce(max(load_id), 0) FROM ops.load_runs").fetchall()[0][0]
        )

    def record_publication(self, load_id: int, at: datetime) -> int:
        """Add this publication to ops.publications; returns its version number."""
        version = int(
            self.con.execute(
                "SELECT coalesce(max(version), 0) + 1 FROM ops.publications"
            ).fetchall()[0][0]
        )
        self.con.execute("INSERT INTO ops.publications VALUES (?, ?, ?)", [version, load_id, at])
        return version

    def after_publish(self, action: Callable[[], object]) -> None:
        """Run `action` once the copy is published, still under the lock (e.g. Data Docs)."""
        self._after_publish.append(action)


@contextlib.contextmanager
def publishing(
    published: Path, *, must_exist: bool = False, wait_seconds: float = 0.0
) -> Iterator[Staging]:
    """Publish whatever the body writes into the staging copy, atomically, or nothing.

    Takes the lock (waiting up to `wait_seconds` for a running job), discards what a killed job
    left (its staging catalog, and lake files no catalog lists), copies the published catalog
    (an empty warehouse when there is none, unless `must_exist`), opens a writer with every raw
    and ops relation in place and hands it to the body, which writes new lake files and records
    them in the copy (`Staging.lake`). When the body returns: checkpoint, close, fsync, swap.
    When it raises (anything, KeyboardInterrupt too): close, discard the copy and its log,
    re-raise; the published catalog and every file it lists are untouched.
    """
    published = Path(published)
    if must_exist and not published.exists():
        raise FileNotFoundError(f"no warehouse at {published}: run `collections load INBOX` first")
    # Whatever the job creates (the catalog, the lake's files, Data Docs) is its owner's only.
    with owner_only_umask(), exclusive_lock(published, wait_seconds=wait_seconds):
        interrupted = discard_stale_staging(published)
        path = prepare_staging(published)
        con = connect_writer(path)
        try:
            lake = Lake(con, lake_path(published))
            lake.collect_garbage()
            ensure_schema(con, lake)
            staging = Staging(con, path, lake, interrupted)
            yield staging
            lake.sync()
            con.execute("CHECKPOINT")
            con.close()
            publish(published)
        except BaseException:
            con.close()
            discard_stale_staging(published)  # the staging copy and its write-ahead log
            if "lake" in locals():
                lake.discard_written()
            raise
        for action in staging._after_publish:
            action()


@contextlib.contextmanager
def in_place(published: Path) -> Iterator[Lake]:
    """The warehouse at `published` opened read-write where it lies, without a publication: for
    a script or a test that has it to itself (nobody reading, no job running). Jobs publish
    instead (`publishing`). Checkpoints and closes on the way out."""
    con = connect_writer(Path(published))
    try:
        lake = Lake(con, lake_path(Path(published)))
        ensure_schema(con, lake)
        yield lake
        lake.sync()
        con.execute("CHECKPOINT")
    finally:
        con.close()


def copy_warehouse(source: Path, target: Path) -> Path:
    """A copy of the warehouse at `source` (its catalog and the lake files it lists) at `target`,
    for a trial on the side; the lake's files are hard-linked where the file system allows (they
    are never changed in place), so a copy costs little. A copy already at `target` is replaced.
    Returns `target`."""
    source, target = Path(source), Path(target)
    if not source.exists():
        raise FileNotFoundError(f"no warehouse at {source}")
    if target.resolve() == source.resolve():
        raise ValueError(f"cannot copy the warehouse {source} onto itself")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(lake_path(target), ignore_errors=True)
    shutil.copyfile(source, target)
    con = connect_writer(target)
    try:
        source_lake, target_lake = lake_path(source).resolve(), lake_path(target).resolve()
        paths = [p for (p,) in con.execute("SELECT path FROM ops.lake_files").fetchall()]
        for relative in paths:
            destination = target_lake / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(source_lake / relative, destination)
            except OSError:
                shutil.copyfile(source_lake / relative, destination)
        Lake(con, target_lake)  # points every view at the copy's own files
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return target
