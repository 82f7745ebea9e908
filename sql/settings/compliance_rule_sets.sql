-- settings.compliance_rule_sets
-- Purpose: the rule sets a bank runs at once (its own procedure, its regulator's, another
--          country's for a foreign portfolio or agency). Every contact attempt is judged against
--          every rule set in force whose scope covers the debtor; a breach names the rule set.
-- Grain:   one row per rule set.
-- Columns: in_force               false switches the whole rule set off
--          applies_to_timezones   a LIKE pattern over the debtor's time zone (the account's
--                                 zone, else the bank's); empty = every debtor
-- Defaults: the bank's procedure and China's rules for every debtor; US Regulation F for
--          debtors in an American zone (America/...), i.e. the US part of the book.
CREATE TABLE IF NOT EXISTS settings.compliance_rule_sets (
    rule_set VARCHAR PRIMARY KEY,
    rule_set_name VARCHAR NOT NULL,
    in_force BOOLEAN NOT NULL,
    applies_to_timezones VARCHAR,
    source VARCHAR
);

INSERT INTO settings.compliance_rule_sets
SELECT * FROM (
    VALUES
        (
            'bank', 'Bank collection procedure', true, NULL,
            'the bank''s standard operating procedure for overdue credit-card debt'
        ),
        (
            'china', 'China collection rules', true, NULL,
            'China Banking Association collection guideline (January 2026); credit-card rules '
            || '(2011) art. 68'
        ),
        (
            'reg_f', 'US Regulation F', true, 'America/%',
            '12 CFR 1006.14 (harassment) and 1006.6(b)(1)(i) (inconvenient times)'
        )
) AS defaults (rule_set, rule_set_name, in_force, applies_to_timezones, source)
WHERE NOT EXISTS (SELECT 1 FROM settings.compliance_rule_sets);
