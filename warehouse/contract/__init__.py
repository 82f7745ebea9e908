"""The data contract: every extract the warehouse accepts, one module each, declared once.

Each module declares its extract as an `Extract` (`schema`): columns, kinds, keys, code sets and
ranges. That declaration drives parsing, validation, quarantine messages, the raw tables' DDL and
comments, the data-quality suites and the demo generator's columns. `files` names the files an
inbox may hold; `sql` writes the contract's names and values into SQL text.

This registry lists the extracts in the order a load lands them.
"""

from __future__ import annotations

from warehouse.contract import (
    accounts,
    agents,
    contacts,
    holidays,
    payments,
    plans,
    promises,
    snapshots,
)
from warehouse.contract.schema import Extract

EXTRACTS: dict[str, Extract] = {
    module.SCHEMA.name: module.SCHEMA
    for module in sorted(
        (accounts, agents, contacts, holidays, payments, plans, promises, snapshots),
        key=lambda m: m.SCHEMA.load_order,
    )
}

__all__ = ["EXTRACTS", "Extract"]
