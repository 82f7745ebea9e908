-- settings.employment_risk
-- Purpose: employment stability, one of the risk-grading factors (procedure step 1), and a sign of
--          inability to pay in the delinquency-cause heuristic (mart.account_month).
-- Grain:   one row per employment type of the accounts extract.
-- Columns: risk_grade         the least grade an account with this employment gets (empty: no
--                             effect on the grade);
--          no_regular_income  true when the type means no regular income: a delinquent account
--                             of this type is presumed unable (not forgetful, not wilful) to pay.
-- Defaults: unemployed at least high and without regular income; students at least medium and
--          without regular income; self-employed (irregular income) at least medium; salaried,
--          retired (a pension) and other: no effect.
CREATE TABLE IF NOT EXISTS settings.employment_risk (
    employment_type VARCHAR PRIMARY KEY,
    risk_grade VARCHAR,
    no_regular_income BOOLEAN NOT NULL
);

INSERT INTO settings.employment_risk (employment_type, risk_grade, no_regular_income)
SELECT * FROM (
    VALUES
        ('salaried', NULL, FALSE),
        ('self_employed', 'medium', FALSE),
        ('unemployed', 'high', TRUE),
        ('retired', NULL, FALSE),
        ('student', 'medium', TRUE),
        ('other', NULL, FALSE)
) AS defaults (employment_type, risk_grade, no_regular_income)
WHERE NOT EXISTS (SELECT 1 FROM settings.employment_risk);
