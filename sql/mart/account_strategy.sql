-- mart.account_strategy
-- Purpose: procedure step 1 per account and month, ready for a collector or a manager: the risk
--          grade and the factors behind it, the likely delinquency cause, and the treatment that
--          goes with them (channels, contact frequency, script focus, next step if it fails).
--          Grades and causes are defined in mart.account_month; treatments in settings.treatments.
-- Grain:   one row per account per month (as mart.account_month); the treatment columns are
--          empty for accounts that are not delinquent (no cause).
CREATE OR REPLACE VIEW mart.account_strategy AS
SELECT
    a.month,
    a.account_id,
    a.bucket,
    a.days_past_due,
    a.overdue_amount,
    a.credit_score,
    a.past_delinquencies,
    a.employment_type,
    a.partial_payments,
    a.right_party_contacts,
    a.refusals,
    a.product,
    a.branch,
    a.risk_grade,
    a.risk_factors,
    a.delinquency_cause,
    a.treatment,
    t.channels,
    t.contacts_per_week,
    t.script_focus,
    t.next_step
FROM mart.account_month AS a
LEFT JOIN settings.treatments AS t
    ON a.risk_grade = t.risk_grade AND a.delinquency_cause = t.delinquency_cause;
