"""`agents`: one row per collector; the latest business date wins."""

from __future__ import annotations

from warehouse.contract.schema import Column, Extract, Kind

ROLES = ("collector", "supervisor")

SCHEMA = Extract(
    name="agents",
    grain="one row per collector; the latest business date wins",
    load_order=20,
    columns=(
        Column("agent_id", Kind.TEXT, "the collector", key=True),
        Column("agent_name", Kind.TEXT, "collector's working name"),
        Column("team", Kind.TEXT, "team", required=True),
        Column("agency", Kind.TEXT, "in_house, or the outside agency's name"),
        Column("role", Kind.CODE, "role", codes=ROLES),
        Column("active", Kind.BOOLEAN, "still working", default=True),
    ),
)
