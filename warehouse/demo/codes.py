"""The contract's code sets, as the small integers the bank's state arrays hold.

Every set the generator writes is the contract's own tuple (`warehouse/contract/*.py`): a state
array holds an index into it and `columns.label` turns the index back into the contract's text
when a file is written. The generator names the members it gives a meaning to (the debtor, a
promise to pay, an autopay); each name is looked up in the contract's set, so a code the contract
does not know is an error at import, not a silently wrong file.
"""

from __future__ import annotations

import numpy as np

from warehouse.contract import accounts, agents, contacts, holidays, payments, plans, snapshots


def index_of(codes: tuple[str, ...], name: str) -> int:
    """Where `name` sits in a contract code set: the integer the state arrays hold for it."""
    if name not in codes:
        raise ValueError(f"the contract's code set {codes} has no {name!r}")
    return codes.index(name)


def member(codes: tuple[str, ...], name: str) -> str:
    """`name`, once checked to be in the contract code set."""
    return codes[index_of(codes, name)]


def weights(codes: tuple[str, ...], **by_code: float) -> np.ndarray:
    """Probabilities over a whole code set in the contract's order (codes not named get 0)."""
    unknown = sorted(set(by_code) - set(codes))
    if unknown:
        raise ValueError(f"the contract's code set {codes} has no {', '.join(unknown)}")
    return np.array([by_code.get(code, 0.0) for code in codes])


# accounts.employment_type
EMPLOYMENT = accounts.EMPLOYMENT_TYPES
UNEMPLOYED = index_of(EMPLOYMENT, "unemployed")
RETIRED = index_of(EMPLOYMENT, "retired")
STUDENT = index_of(EMPLOYMENT, "student")

# snapshots.status. NOT_OPEN marks the slot of an account that has not opened yet (never written).
STATUS = snapshots.STATUSES
OPEN = index_of(STATUS, "open")
FROZEN = index_of(STATUS, "frozen")
CLOSED = index_of(STATUS, "closed")
CHARGED_OFF = index_of(STATUS, "charged_off")
NOT_OPEN = len(STATUS)
# The simulation finds the live accounts (open or frozen) as `status <= FROZEN`.
if max(OPEN, FROZEN) >= min(CLOSED, CHARGED_OFF, NOT_OPEN):
    raise ValueError(
        f"the simulation needs open and frozen before closed and charged_off; found {STATUS}"
    )

# payments.channel
PAY_CHANNELS = payments.CHANNELS
APP = index_of(PAY_CHANNELS, "app")
TRANSFER = index_of(PAY_CHANNELS, "bank_transfer")
BRANCH = index_of(PAY_CHANNELS, "branch")
AUTOPAY = index_of(PAY_CHANNELS, "autopay")
AGENCY_CH = index_of(PAY_CHANNELS, "agency")
OTHER_CH = index_of(PAY_CHANNELS, "other")

# contacts.channel
CONTACT_CHANNELS = contacts.CHANNELS
CALL = index_of(CONTACT_CHANNELS, "call")
SMS = index_of(CONTACT_CHANNELS, "sms")
EMAIL = index_of(CONTACT_CHANNELS, "email")
LETTER = index_of(CONTACT_CHANNELS, "letter")
VISIT = index_of(CONTACT_CHANNELS, "visit")
IVR = index_of(CONTACT_CHANNELS, "ivr")

# contacts.party, contacts.third_party_relation
PARTIES = contacts.PARTIES
DEBTOR = index_of(PARTIES, "debtor")
THIRD = index_of(PARTIES, "third_party")
UNKNOWN = index_of(PARTIES, "unknown")
NONE = index_of(PARTIES, "none")
RELATIONS = contacts.RELATIONS

# contacts.outcome
OUTCOMES = contacts.OUTCOMES
NO_ANSWER = index_of(OUTCOMES, "no_answer")
BUSY = index_of(OUTCOMES, "busy")
WRONG_NUMBER = index_of(OUTCOMES, "wrong_number")
VOICEMAIL = index_of(OUTCOMES, "voicemail")
RIGHT_PARTY = index_of(OUTCOMES, "right_party")
THIRD_PARTY = index_of(OUTCOMES, "third_party")
PTP = index_of(OUTCOMES, "promise_to_pay")
REFUSED = index_of(OUTCOMES, "refused")
DISPUTE = index_of(OUTCOMES, "dispute")
CALLBACK = index_of(OUTCOMES, "callback")
SMS_DELIVERED = index_of(OUTCOMES, "sms_delivered")
SMS_FAILED = index_of(OUTCOMES, "sms_failed")
LETTER_SENT = index_of(OUTCOMES, "letter_sent")
VISIT_DONE = index_of(OUTCOMES, "visit_done")

# agents.role
ROLES = agents.ROLES
COLLECTOR = index_of(ROLES, "collector")
SUPERVISOR = index_of(ROLES, "supervisor")

# plans.plan_type, plans.status
PLAN_TYPES = plans.PLAN_TYPES
EXTENSION = index_of(PLAN_TYPES, "extension")
INSTALMENT = index_of(PLAN_TYPES, "instalment")
REDUCTION = index_of(PLAN_TYPES, "min_payment_reduction")
PLAN_STATUS = plans.STATUSES
P_PROPOSED = index_of(PLAN_STATUS, "proposed")
P_ACTIVE = index_of(PLAN_STATUS, "active")
P_COMPLETED = index_of(PLAN_STATUS, "completed")
P_BROKEN = index_of(PLAN_STATUS, "broken")
P_CANCELLED = index_of(PLAN_STATUS, "cancelled")

# holidays.kind (written as text: the calendar keeps the contract's words)
HOLIDAY = member(holidays.KINDS, "holiday")
MAKEUP_WORKDAY = member(holidays.KINDS, "makeup_workday")
