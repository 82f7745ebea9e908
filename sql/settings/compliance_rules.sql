-- settings.compliance_rules
-- Purpose: the rules of each rule set and the check each one runs. `check_kind` is one of the
--          checks mart.compliance_breaches knows; its parameters live in their own tables:
--   window                permitted local hours per day type      settings.contact_windows
--   non_working_day       no contact on a non-working day         (the holiday calendar)
--   number_cap            attempts to one unanswered number       settings.frequency_caps
--   rolling_cap           calls to a debtor in consecutive days   settings.frequency_caps
--   after_conversation    calls soon after a conversation         settings.frequency_caps
--   do_not_contact        any contact with a do-not-contact account
--   third_party           a third party reached without the customer's authorisation
--          Which channels a rule judges is settings.compliance_rule_channels.
-- Grain:   one row per rule of a rule set.
CREATE TABLE IF NOT EXISTS settings.compliance_rules (
    rule_set VARCHAR NOT NULL,
    rule VARCHAR NOT NULL,
    check_kind VARCHAR NOT NULL,
    in_force BOOLEAN NOT NULL,
    description VARCHAR NOT NULL,
    PRIMARY KEY (rule_set, rule)
);

INSERT INTO settings.compliance_rules
SELECT * FROM (
    VALUES
        (
            'bank', 'calling_hours', 'window', true,
            'calls on working days only 09:00-12:00 and 14:00-18:00, debtor''s local time'
        ),
        (
            'bank', 'non_working_day', 'non_working_day', true,
            'no calls on public holidays or weekends (make-up working days are working days)'
        ),
        (
            'bank', 'do_not_contact', 'do_not_contact', true,
            'no contact at all with a do-not-contact account'
        ),
        (
            'bank', 'unauthorised_third_party', 'third_party', true,
            'third parties (emergency contacts) only where the customer authorised it'
        ),
        (
            'china', 'quiet_hours', 'window', true,
            'no collection contact 22:00-08:00 without the debtor''s consent'
        ),
        (
            'china', 'attempts_per_number_per_day', 'number_cap', true,
            'at most 6 attempts a day to the same unanswered number'
        ),
        (
            'china', 'unrelated_third_party', 'third_party', true,
            'never contact third parties unrelated to the debt (not authorised by the customer)'
        ),
        (
            'reg_f', 'inconvenient_time', 'window', true,
            'nothing before 08:00 or after 21:00 in the debtor''s local time'
        ),
        (
            'reg_f', 'calls_in_7_days', 'rolling_cap', true,
            'more than 7 calls within 7 consecutive days (per debtor per debt)'
        ),
        (
            'reg_f', 'call_after_conversation', 'after_conversation', true,
            'a call within 7 days after a telephone conversation (the conversation day is day 1)'
        )
) AS defaults (rule_set, rule, check_kind, in_force, description)
WHERE NOT EXISTS (SELECT 1 FROM settings.compliance_rules);
