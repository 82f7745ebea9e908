"""`plans`: one row per negotiated repayment plan, latest state."""

from __future__ import annotations

from warehouse.contract.schema import Column, Extract, Kind

PLAN_TYPES = ("extension", "instalment", "min_payment_reduction")
STATUSES = ("proposed", "active", "completed", "broken", "cancelled")

SCHEMA = Extract(
    name="plans",
    grain="one row per repayment plan; the latest business date wins",
    load_order=80,
    columns=(
        Column("plan_id", Kind.TEXT, "the plan", key=True),
        Column("account_id", Kind.TEXT, "the card account", required=True, reference=True),
        Column("plan_type", Kind.CODE, "kind of plan", required=True, codes=PLAN_TYPES),
        Column("requested_at", Kind.TIMESTAMP, "when the customer asked"),
        Column("approved_by", Kind.TEXT, "who approved it"),
        Column("approved_at", Kind.TIMESTAMP, "when it was approved"),
        Column("start_date", Kind.DATE, "first day of the plan"),
        Column("instalments", Kind.INTEGER, "number of instalments", minimum=1),
        Column("instalment_amount", Kind.MONEY, "amount per instalment", minimum=0),
        Column("fee", Kind.MONEY, "plan fee", minimum=0),
        Column("status", Kind.CODE, "plan state", required=True, codes=STATUSES),
    ),
)
