"""The code sets the bank writes, as the small integers its state arrays hold.

A state array holds an index into its code set; `columns.label` turns the index back into the
contract's text when a file is written. The index constants below follow each set's order.
"""

from __future__ import annotations

from warehouse.contract import contacts

# accounts.employment_type
EMPLOYMENT = ("salaried", "self_employed", "unemployed", "retired", "student", "other")
UNEMPLOYED, RETIRED, STUDENT = 2, 3, 4

# snapshots.status; NOT_OPEN marks the slot of an account that has not opened yet (never written).
STATUS = ("open", "frozen", "closed", "charged_off")
OPEN, FROZEN, CLOSED, CHARGED_OFF, NOT_OPEN = 0, 1, 2, 3, 4

# payments.channel
PAY_CHANNELS = ("app", "bank_transfer", "branch", "autopay", "agency", "other")
APP, TRANSFER, BRANCH, AUTOPAY, AGENCY_CH, OTHER_CH = range(6)

# contacts.channel, .party, .third_party_relation, .outcome (the contract's sets; the constants
# follow their order).
CONTACT_CHANNELS = contacts.CHANNELS
PARTIES = contacts.PARTIES
RELATIONS = contacts.RELATIONS
OUTCOMES = contacts.OUTCOMES
CALL, SMS, EMAIL, LETTER, VISIT, IVR = range(len(CONTACT_CHANNELS))
DEBTOR, THIRD, UNKNOWN, NONE = range(len(PARTIES))
(
    NO_ANSWER,
    BUSY,
    WRONG_NUMBER,
    VOICEMAIL,
    RIGHT_PARTY,
    THIRD_PARTY,
    PTP,
    REFUSED,
    DISPUTE,
    CALLBACK,
    SMS_DELIVERED,
    SMS_FAILED,
    LETTER_SENT,
    VISIT_DONE,
) = range(len(OUTCOMES))

# agents.role
ROLES = ("collector", "supervisor")

# plans.plan_type, plans.status
PLAN_TYPES = ("extension", "instalment", "min_payment_reduction")
EXTENSION, INSTALMENT, REDUCTION = range(3)
PLAN_STATUS = ("proposed", "active", "completed", "broken", "cancelled")
P_PROPOSED, P_ACTIVE, P_COMPLETED, P_BROKEN, P_CANCELLED = range(5)
