"""`accounts`: one row per account, a full record on each date; the latest business date wins."""

from __future__ import annotations

from warehouse.contract.schema import Column, Extract, History, Kind

EMPLOYMENT_TYPES = ("salaried", "self_employed", "unemployed", "retired", "student", "other")

SCHEMA = Extract(
    name="accounts",
    grain="one row per account per file; the latest business date wins",
    load_order=30,
    columns=(
        Column("account_id", Kind.TEXT, "the card account", key=True),
        Column("customer_id", Kind.TEXT, "the customer holding the account", reference=True),
        Column("national_id", Kind.NATIONAL_ID, "resident ID number", required=True),
        Column("customer_name", Kind.PERSON_NAME, "cardholder name"),
        Column("card_no", Kind.CARD_NO, "primary card number", required=True),
        Column("mobile", Kind.PHONE, "cardholder mobile"),
        Column("email", Kind.EMAIL, "cardholder e-mail"),
        Column("city", Kind.TEXT, "billing city"),
        Column("province", Kind.TEXT, "billing province"),
        Column("product", Kind.TEXT, "card product"),
        Column("branch", Kind.TEXT, "owning branch"),
        Column("open_date", Kind.DATE, "date the account was opened", required=True),
        Column("credit_limit", Kind.MONEY, "credit limit in yuan", required=True, minimum=0),
        Column("credit_score", Kind.INTEGER, "bureau-style score", minimum=300, maximum=850),
        Column("employment_type", Kind.CODE, "employment", codes=EMPLOYMENT_TYPES),
        Column("do_not_contact", Kind.BOOLEAN, "no collection contact at all", default=False),
        Column(
            "third_party_authorized",
            Kind.BOOLEAN,
            "customer authorised contact with emergency contacts",
            default=False,
        ),
        Column("timezone", Kind.TIMEZONE, "debtor's IANA time zone (empty = the bank's)"),
    ),
    # raw.accounts keeps the latest record; the marts judge a month, a contact or a promise by
    # the record in force on its date, so every record's attributes that they read are kept too
    # (the accounts extract has no status: an account's status is in its snapshots, which are
    # dated already).
    history=History(
        table="raw.account_history",
        grain=(
            "one row per account per accounts file (business date): the attributes the marts "
            "read, as that record stated them; a corrected file replaces its date's rows"
        ),
        columns=(
            "product",
            "branch",
            "city",
            "province",
            "open_date",
            "credit_limit",
            "credit_score",
            "employment_type",
            "do_not_contact",
            "third_party_authorized",
            "timezone",
        ),
    ),
)
