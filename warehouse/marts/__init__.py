"""The mart runner: discover the models of `sql/`, build them in dependency order, refresh only
the months a load changed.

- `models`   discovery (`sql/<schema>/<object>.sql`), run order, each model's header;
- `build`    the build itself, full or incremental, recorded in `ops.mart_builds`.
"""

from __future__ import annotations

from warehouse.marts.build import (
    LOADED_FILES,
    bank_timezone,
    build,
    ensure_settings,
    month_chunks,
    planned,
)
from warehouse.marts.models import (
    SqlModel,
    model,
    models,
    month_range,
    parameters_for,
)
from warehouse.months import FIRST_MONTH, LAST_MONTH

__all__ = [
    "FIRST_MONTH",
    "LAST_MONTH",
    "LOADED_FILES",
    "SqlModel",
    "bank_timezone",
    "build",
    "ensure_settings",
    "model",
    "models",
    "month_chunks",
    "month_range",
    "parameters_for",
    "planned",
]
