"""`promises`: one row per promise to pay."""

from __future__ import annotations

from warehouse.contract.schema import Column, Extract, Kind

SCHEMA = Extract(
    name="promises",
    grain="one row per promise to pay",
    dated_by="created_at",
    load_order=70,
    columns=(
        Column("promise_id", Kind.TEXT, "the promise", key=True),
        Column("account_id", Kind.TEXT, "the card account", required=True, reference=True),
        Column("attempt_id", Kind.TEXT, "the contact attempt it was made in", reference=True),
        Column("agent_id", Kind.TEXT, "the collector who took it", reference=True),
        Column("created_at", Kind.TIMESTAMP, "when it was made", required=True),
        Column(
            "promised_date", Kind.DATE, "the date the customer promised to pay by", required=True
        ),
        Column(
            "promised_amount",
            Kind.MONEY,
            "amount promised in yuan",
            required=True,
            minimum=0,
            exclusive_minimum=True,
        ),
    ),
)
