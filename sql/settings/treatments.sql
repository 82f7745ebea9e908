-- settings.treatments
-- Purpose: the collection strategy matched to each risk grade and delinquency cause (procedure
--          step 1: "match a strategy to each grade and cause"): which channels to use, how often
--          to make contact, what the script stresses, and the next step if it fails. A forgetful
--          low-risk customer gets reminders; a high-risk wilful one gets firmer treatment.
--          Contact frequency is a plan: the compliance caps (other settings) still apply.
-- Grain:   one row per risk grade x delinquency cause.
CREATE TABLE IF NOT EXISTS settings.treatments (
    risk_grade VARCHAR NOT NULL,
    delinquency_cause VARCHAR NOT NULL,
    treatment VARCHAR NOT NULL,
    channels VARCHAR NOT NULL,
    contacts_per_week INTEGER NOT NULL,
    script_focus VARCHAR NOT NULL,
    next_step VARCHAR NOT NULL,
    PRIMARY KEY (risk_grade, delinquency_cause)
);

INSERT INTO settings.treatments (
    risk_grade,
    delinquency_cause,
    treatment,
    channels,
    contacts_per_week,
    script_focus,
    next_step
)
SELECT * FROM (
    VALUES
        (
            'low', 'forgetful', 'reminder', 'sms', 1,
            'polite reminder: amount, deadline and how to pay; offer autopay',
            'call if still unpaid after 7 days'
        ),
        (
            'medium', 'forgetful', 'reminder_and_call', 'sms, call', 2,
            'reminder, ask why, steer to payment today; offer autopay',
            'negotiate if still unpaid at the next statement'
        ),
        (
            'high', 'forgetful', 'firm_reminder', 'sms, call', 3,
            'state the arrears and the consequences: interest, fees, credit-bureau record',
            'mid-stage investigation and negotiation'
        ),
        (
            'low', 'unable', 'listen_and_extend', 'call', 1,
            'ask why; assess income and spending; offer an extension of the due date',
            'propose an extension'
        ),
        (
            'medium', 'unable', 'negotiate_plan', 'call, sms', 2,
            'assess income and spending; negotiate instalments within policy',
            'instalment plan; confirm and record it'
        ),
        (
            'high', 'unable', 'restructure', 'call, letter', 2,
            'instalments or a temporary minimum-payment reduction (needs approval)',
            'hardship review; outside agency if the plan breaks'
        ),
        (
            'low', 'wilful', 'firm_call', 'call', 2,
            'restate the cardholder agreement and the consequences of not paying',
            'formal letter'
        ),
        (
            'medium', 'wilful', 'escalate', 'call, letter', 3,
            'consequences: interest, fees, credit-bureau record; ask for a payment date',
            'formal demand letter; field visit'
        ),
        (
            'high', 'wilful', 'legal_track', 'call, letter, visit', 3,
            'final demand; notice of legal action',
            'outside agency placement or legal action'
        )
) AS defaults (
    risk_grade,
    delinquency_cause,
    treatment,
    channels,
    contacts_per_week,
    script_focus,
    next_step
)
WHERE NOT EXISTS (SELECT 1 FROM settings.treatments);
