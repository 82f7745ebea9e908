"""The mart runner: discover the models of `sql/`, build them in dependency order, refresh only
the months a load changed.

- `models`   discovery (`sql/<schema>/<object>.sql`), run order, each model's header;
- `changes`  what a load changed, per raw table, from the contract's dating columns;
- `build`    the build itself, full or incremental, recorded in `ops.mart_builds`.
"""

from __future__ import annotations

from warehouse.marts.build import bank_timezone, build, ensure_settings, planned
from warehouse.marts.changes import LandedFile, changes_from_load
from warehouse.marts.models import (
    FIRST_MONTH,
    LAST_MONTH,
    SqlModel,
    model,
    models,
    month_range,
    parameters_for,
)

__all__ = [
    "FIRST_MONTH",
    "LAST_MONTH",
    "LandedFile",
    "SqlModel",
    "bank_timezone",
    "build",
    "changes_from_load",
    "ensure_settings",
    "model",
    "models",
    "month_range",
    "parameters_for",
    "planned",
]
