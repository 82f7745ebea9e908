"""One loader module per extract; this registry lists them in the order a load lands them."""

from __future__ import annotations

from warehouse.loaders import (
    accounts,
    agents,
    contacts,
    holidays,
    payments,
    plans,
    promises,
    snapshots,
)
from warehouse.loaders.schema import Extract

EXTRACTS: dict[str, Extract] = {
    module.SCHEMA.name: module.SCHEMA
    for module in sorted(
        (accounts, agents, contacts, holidays, payments, plans, promises, snapshots),
        key=lambda m: m.SCHEMA.load_order,
    )
}

__all__ = ["EXTRACTS", "Extract"]
