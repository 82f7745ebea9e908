"""Atomic publication: a load builds a private copy and swaps it in whole, or not at all.

DuckDB lets one process write a file or many read it, never both. So a load never opens the
published warehouse for writing: it copies it to `<name>.staging`, lands everything there,
closes it (DuckDB checkpoints on close) and `os.replace`s it over the published file. The swap is
atomic; readers holding the old file keep reading the old version and see the new one on their
next connection. A load killed at any moment leaves only a stale staging file, which the next
load throws away before starting again from the published version.

An exclusive `flock` on `<name>.lock` keeps two loads from racing; the kernel drops it when a
load dies, however it dies.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from collections.abc import Iterator
from pathlib import Path


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
def exclusive_lock(published: Path) -> Iterator[None]:
    published.parent.mkdir(parents=True, exist_ok=True)
    handle = open(lock_path(published), "a+")  # noqa: SIM115
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LoadInProgress(
                f"another load is writing {published} (lock {lock_path(published)} is held)"
            ) from None
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
