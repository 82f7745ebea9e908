"""`snapshots`: the card system's end-of-day delinquency state, one row per account per date."""

from __future__ import annotations

from warehouse.contract.schema import Column, Extract, Kind

STATUSES = ("open", "frozen", "closed", "charged_off")

SCHEMA = Extract(
    name="snapshots",
    grain="one row per account per business date",
    dated_by="as_of_date",
    load_order=40,
    date_key="as_of_date",
    columns=(
        Column("as_of_date", Kind.DATE, "business date of the state", key=True),
        Column("account_id", Kind.TEXT, "the card account", key=True),
        Column("statement_day", Kind.INTEGER, "day of month statements cut", minimum=1, maximum=28),
        Column("due_date", Kind.DATE, "payment due date of the current statement"),
        Column("balance", Kind.MONEY, "total balance (negative = credit balance)", required=True),
        Column("min_due", Kind.MONEY, "minimum payment due", minimum=0),
        Column("overdue_principal", Kind.MONEY, "overdue principal", minimum=0),
        Column("overdue_interest", Kind.MONEY, "overdue interest", minimum=0),
        Column("overdue_fees", Kind.MONEY, "overdue fees and penalties", minimum=0),
        Column("days_past_due", Kind.INTEGER, "days past due", required=True, minimum=0),
        Column("cycles_delinquent", Kind.INTEGER, "statement cycles delinquent", minimum=0),
        Column("status", Kind.CODE, "account status", required=True, codes=STATUSES),
    ),
)
