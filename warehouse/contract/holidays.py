"""`holidays`: calendar exceptions — public holidays and make-up working days (weekends worked)."""

from __future__ import annotations

from warehouse.contract.schema import Column, Extract, Kind

KINDS = ("holiday", "makeup_workday")

SCHEMA = Extract(
    name="holidays",
    grain="one row per calendar exception",
    dated_by="date",
    load_order=10,
    columns=(
        Column("date", Kind.DATE, "the day", key=True),
        Column("kind", Kind.CODE, "holiday or make-up working day", required=True, codes=KINDS),
        Column("name", Kind.TEXT, "which holiday"),
    ),
)
