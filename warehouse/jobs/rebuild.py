"""`collections rebuild`: publish the marts rebuilt with the settings version in force.

A saved settings version (`warehouse.app.store`) reaches the marts by the loader's own path
(`warehouse.storage.publication`): lock (waiting for a running load), staging copy, the settings
tables rewritten there (`warehouse.app.settings_versions.apply_settings`), the marts rebuilt
(`warehouse.marts.build`; only what depends on a changed setting is recomputed in full),
`ops.settings_version` recorded, atomic swap. The Strategy page starts it in the background
after a save or a rollback.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from warehouse import marts
from warehouse.app.settings_versions import apply_settings
from warehouse.app.store import AppStore
from warehouse.storage.publication import publishing
from warehouse.storage.schema import SETTINGS_VERSION_DDL


@dataclass(frozen=True)
class RebuildResult:
    version: int | None
    seconds: float
    publication: int


def rebuild(
    db: Path,
    *,
    wait_seconds: float = 1800.0,
    on_model: Callable[[str, str, float], None] | None = None,
) -> RebuildResult:
    """Publish the marts rebuilt with the settings version in force (`collections rebuild`).

    Waits (up to `wait_seconds`) for a running load or check to finish rather than failing:
    the app starts this in the background right after a save.
    """
    db = Path(db)
    started = time.perf_counter()
    with publishing(db, must_exist=True, wait_seconds=wait_seconds) as staging:
        con = staging.con
        version = AppStore.beside(db).in_force()  # read under the lock: the latest save wins
        con.execute(SETTINGS_VERSION_DDL)
        if version is not None:
            apply_settings(con, version.settings)
        marts.build(staging.lake, changed={}, on_model=on_model)
        now = datetime.now(UTC)
        if version is not None:
            con.execute(
                "INSERT INTO ops.settings_version VALUES (?, ?, ?, ?, ?)",
                [version.version, version.author, version.reason, version.created_at, now],
            )
        published = staging.record_publication(staging.latest_load_id(), now)
    return RebuildResult(
        None if version is None else version.version, time.perf_counter() - started, published
    )
