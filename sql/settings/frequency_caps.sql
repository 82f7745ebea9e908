-- settings.frequency_caps
-- Purpose: the parameters of the counting rules (settings.compliance_rules):
--   number_cap          at most `max_attempts` attempts to one number that has not answered,
--                       within `period_days` consecutive local days (1 = the same day); the next
--                       attempt breaches, until someone answers that number
--   rolling_cap         at most `max_attempts` calls to a debtor about one account within any
--                       `period_days` consecutive local days; the next call breaches
--   after_conversation  no call (max_attempts 0) to the debtor within `period_days` consecutive
--                       local days after a telephone conversation with them, the conversation's
--                       day counting as day 1
-- Grain:   one row per counting rule.
CREATE TABLE IF NOT EXISTS settings.frequency_caps (
    rule_set VARCHAR NOT NULL,
    rule VARCHAR NOT NULL,
    max_attempts INTEGER NOT NULL,
    period_days INTEGER NOT NULL,
    PRIMARY KEY (rule_set, rule)
);

INSERT INTO settings.frequency_caps
SELECT * FROM (
    VALUES
        ('china', 'attempts_per_number_per_day', 6, 1),
        ('reg_f', 'calls_in_7_days', 7, 7),
        ('reg_f', 'call_after_conversation', 0, 7)
) AS defaults (rule_set, rule, max_attempts, period_days)
WHERE NOT EXISTS (SELECT 1 FROM settings.frequency_caps);
