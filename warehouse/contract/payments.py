"""`payments`: one row per payment or reversal (a reversal cancels the payment it names)."""

from __future__ import annotations

from warehouse.contract.schema import Cancels, Column, Extract, Kind, RowRule

CHANNELS = ("app", "bank_transfer", "branch", "autopay", "agency", "other")

SCHEMA = Extract(
    name="payments",
    grain="one row per payment or reversal",
    dated_by="paid_at",
    cancels=Cancels(column="reverses_payment_id", key="payment_id", when="is_reversal"),
    load_order=50,
    columns=(
        Column("payment_id", Kind.TEXT, "the payment", key=True),
        Column("account_id", Kind.TEXT, "the card account", required=True, reference=True),
        Column("paid_at", Kind.TIMESTAMP, "when the money arrived", required=True),
        Column(
            "amount", Kind.MONEY, "amount in yuan", required=True, minimum=0, exclusive_minimum=True
        ),
        Column("channel", Kind.CODE, "how it was paid", codes=CHANNELS),
        Column("is_reversal", Kind.BOOLEAN, "this row reverses an earlier payment", default=False),
        Column("reverses_payment_id", Kind.TEXT, "the payment a reversal cancels", reference=True),
    ),
    extra_rules=(
        RowRule(
            column="reverses_payment_id",
            message="a reversal must name the payment it reverses",
            check=lambda value: value("is_reversal") & value("reverses_payment_id").is_null(),
        ),
    ),
)
