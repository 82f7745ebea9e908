"""`agents`: one row per collector; the latest business date wins."""

from __future__ import annotations

from warehouse.contract.schema import Column, Extract, History, Kind

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
    # A contact or a promise counts for the team (and agency) its agent was in on its date.
    history=History(
        table="raw.agent_history",
        grain=(
            "one row per agent per agents file (business date): name, team, agency, role and "
            "whether active, as that record stated them; a corrected file replaces its date's rows"
        ),
        columns=("agent_name", "team", "agency", "role", "active"),
    ),
)
