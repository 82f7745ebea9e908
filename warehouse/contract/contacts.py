"""`contacts`: one row per contact attempt, failed ones included (the procedure's record)."""

from __future__ import annotations

from warehouse.contract.schema import Column, Extract, Kind

CHANNELS = ("call", "sms", "email", "letter", "visit", "ivr")
PARTIES = ("debtor", "third_party", "unknown", "none")
RELATIONS = ("spouse", "parent", "sibling", "friend", "employer", "other")
OUTCOMES = (
    "no_answer",
    "busy",
    "wrong_number",
    "voicemail",
    "right_party",
    "third_party",
    "promise_to_pay",
    "refused",
    "dispute",
    "callback",
    "sms_delivered",
    "sms_failed",
    "letter_sent",
    "visit_done",
)

SCHEMA = Extract(
    name="contacts",
    grain="one row per contact attempt",
    dated_by="started_at",
    load_order=60,
    columns=(
        Column("attempt_id", Kind.TEXT, "the contact attempt", key=True),
        Column("account_id", Kind.TEXT, "the card account", required=True, reference=True),
        Column("agent_id", Kind.TEXT, "the collector who made it", reference=True),
        Column("channel", Kind.CODE, "how contact was tried", required=True, codes=CHANNELS),
        Column("started_at", Kind.TIMESTAMP, "when the attempt started", required=True),
        Column("duration_s", Kind.INTEGER, "length of the call in seconds", minimum=0),
        Column("contact_number", Kind.PHONE, "the number dialled or texted"),
        Column("party", Kind.CODE, "who was reached", codes=PARTIES),
        Column("third_party_relation", Kind.CODE, "relation of a third party", codes=RELATIONS),
        Column("outcome", Kind.CODE, "result of the attempt", required=True, codes=OUTCOMES),
        Column("notes", Kind.FREE_TEXT, "agent's notes (long numbers removed)"),
    ),
)
