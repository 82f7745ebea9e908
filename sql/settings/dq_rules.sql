-- settings.dq_rules
-- Purpose: how strict each data-quality expectation is (the checks in `checks/`; README "For the
--          data owner: data quality"). `severity`: `error` = the file is refused (checks of a
--          landed file) or the whole load is not published (warehouse-wide checks and the marts);
--          `warn` = published and flagged in dq.results; `off` = not run. `thresholds` holds the
--          expectation's tunable numbers as JSON.
-- Grain:   one row per suite x expectation.
-- Defaults: the rows below are the bank's policy (DOMAIN.md, CONTRACT.md). Expectations that the
--          extract schemas imply (a required value present, a code in its set, a value inside its
--          contract range, a key once per file) are added by the checks, as `error`, the first
--          time they run, so their column lists live only in `warehouse/contract`. Rows a user
--          edited are kept; a deleted default row comes back on the next load.
-- Templates: a `raw.<extract>` row named `<column>_plausible` checks that column against
--          thresholds {"min_value", "max_value"}; one named `<column>_not_in_future` checks a
--          timestamp against the clock plus {"tolerance_minutes"}. Add rows to check more columns.
CREATE TABLE IF NOT EXISTS settings.dq_rules (
    suite VARCHAR NOT NULL,
    expectation VARCHAR NOT NULL,
    severity VARCHAR NOT NULL CHECK (severity IN ('error', 'warn', 'off')),
    thresholds JSON,
    description VARCHAR,
    PRIMARY KEY (suite, expectation)
);

INSERT INTO settings.dq_rules
SELECT * FROM (
    VALUES
        -- Validity: amounts within a plausible range (beyond the contract's sign rules).
        ('raw.accounts', 'credit_limit_plausible', 'warn', '{"max_value": 1000000}',
            'credit limit within the plausible range for a card'),
        ('raw.snapshots', 'balance_plausible', 'warn', '{"min_value": -100000, "max_value": 1000000}',
            'balance within the plausible range for a card'),
        ('raw.payments', 'amount_plausible', 'warn', '{"max_value": 1000000}',
            'payment amount within the plausible range'),
        ('raw.promises', 'promised_amount_plausible', 'warn', '{"max_value": 1000000}',
            'promised amount within the plausible range'),
        ('raw.plans', 'instalment_amount_plausible', 'warn', '{"max_value": 1000000}',
            'instalment amount within the plausible range'),
        -- Validity: timestamps not in the future (a clock or time-zone fault upstream).
        ('raw.payments', 'paid_at_not_in_future', 'error', '{"tolerance_minutes": 60}',
            'payment time not later than now'),
        ('raw.contacts', 'started_at_not_in_future', 'error', '{"tolerance_minutes": 60}',
            'contact time not later than now'),
        ('raw.promises', 'created_at_not_in_future', 'error', '{"tolerance_minutes": 60}',
            'promise time not later than now'),
        ('raw.plans', 'requested_at_not_in_future', 'error', '{"tolerance_minutes": 60}',
            'plan request time not later than now'),
        ('raw.plans', 'approved_at_not_in_future', 'error', '{"tolerance_minutes": 60}',
            'plan approval time not later than now'),
        -- Consistency inside a snapshot row.
        ('raw.snapshots', 'cycles_agree_with_days_past_due', 'warn',
            '{"days_per_cycle": 30, "tolerance_cycles": 1}',
            'cycles delinquent = ceil(days past due / days per cycle), give or take the tolerance; 0 exactly when current'),
        ('raw.snapshots', 'overdue_within_balance', 'warn', '{"tolerance": 0.01}',
            'overdue principal + interest + fees <= balance, when the balance is positive'),
        -- Consistency across extracts (warn: the contract lets extracts arrive in any order).
        ('raw.snapshots', 'account_known', 'warn', NULL, 'the account is in an accounts file'),
        ('raw.payments', 'account_known', 'warn', NULL, 'the account is in an accounts file'),
        ('raw.contacts', 'account_known', 'warn', NULL, 'the account is in an accounts file'),
        ('raw.promises', 'account_known', 'warn', NULL, 'the account is in an accounts file'),
        ('raw.plans', 'account_known', 'warn', NULL, 'the account is in an accounts file'),
        ('raw.contacts', 'agent_known', 'warn', NULL, 'the agent is in an agents file'),
        ('raw.promises', 'agent_known', 'warn', NULL, 'the agent is in an agents file'),
        ('raw.promises', 'attempt_known', 'warn', NULL,
            'the contact attempt the promise was made in is in a contacts file'),
        ('raw.promises', 'attempt_same_account', 'warn', NULL,
            'the promise''s contact attempt belongs to the same account'),
        -- Completeness.
        ('raw.snapshots', 'month_end_complete', 'warn', NULL,
            'every account open at the previous month end appears in the month-end snapshot'),
        ('raw.snapshots', 'month_ends_present', 'warn', NULL,
            'a snapshots file for every month end between the first and the last'),
        ('raw.payments', 'business_dates_present', 'warn', NULL,
            'a payments file for every calendar day between the first and the last'),
        ('raw.contacts', 'business_dates_present', 'warn', NULL,
            'a contacts file for every calendar day between the first and the last'),
        ('raw.promises', 'business_dates_present', 'warn', NULL,
            'a promises file for every calendar day between the first and the last'),
        -- Volume: rows in a file / median rows of the trailing files of the same kind of day
        -- (working day, or weekend and holiday; month ends apart where `month_end_apart`),
        -- judged once there is enough history.
        ('raw.holidays', 'volume_within_band', 'warn',
            '{"low": 0.5, "high": 2.0, "trailing_files": 10, "min_history": 3, "min_trailing_median": 50}',
            'rows in the file within the band around the trailing median'),
        ('raw.agents', 'volume_within_band', 'warn',
            '{"low": 0.5, "high": 2.0, "trailing_files": 10, "min_history": 3, "min_trailing_median": 50}',
            'rows in the file within the band around the trailing median'),
        ('raw.accounts', 'volume_within_band', 'warn',
            '{"low": 0.5, "high": 2.0, "trailing_files": 10, "min_history": 3, "min_trailing_median": 50}',
            'rows in the file within the band around the trailing median'),
        ('raw.snapshots', 'volume_within_band', 'warn',
            '{"low": 0.5, "high": 2.0, "trailing_files": 10, "min_history": 3, "min_trailing_median": 50, "month_end_apart": true}',
            'rows in the file within the band around the trailing median'),
        ('raw.payments', 'volume_within_band', 'warn',
            '{"low": 0.5, "high": 2.0, "trailing_files": 10, "min_history": 3, "min_trailing_median": 50}',
            'rows in the file within the band around the trailing median'),
        ('raw.contacts', 'volume_within_band', 'warn',
            '{"low": 0.5, "high": 2.0, "trailing_files": 10, "min_history": 3, "min_trailing_median": 50}',
            'rows in the file within the band around the trailing median'),
        ('raw.promises', 'volume_within_band', 'warn',
            '{"low": 0.5, "high": 2.0, "trailing_files": 10, "min_history": 3, "min_trailing_median": 50}',
            'rows in the file within the band around the trailing median'),
        ('raw.plans', 'volume_within_band', 'warn',
            '{"low": 0.5, "high": 2.0, "trailing_files": 10, "min_history": 3, "min_trailing_median": 50}',
            'rows in the file within the band around the trailing median'),
        -- Contact validity screening (procedure step 1): mart.invalid_contact_points reads the
        -- threshold from this row.
        ('raw.contacts', 'invalid_contact_points', 'warn', '{"min_wrong_number_outcomes": 2}',
            'no number dialled for an account has repeated wrong_number outcomes'),
        -- The published marts (error: wrong numbers are not published).
        ('mart.account_month', 'one_row_per_account_month', 'error', NULL,
            'one row per account and month'),
        ('mart.account_month', 'bucket_assigned', 'error', NULL,
            'every account-month falls in a bucket of settings.buckets'),
        ('mart.account_month', 'risk_grade_assigned', 'error', NULL,
            'every account-month has a risk grade of settings.risk_grades'),
        ('mart.account_month', 'every_snapshot_account_present', 'error', NULL,
            'every account with a snapshot in a month has a row for that month'),
        ('mart.bucket_month', 'reconciles_with_account_month', 'error', NULL,
            'accounts and balance per month add up to mart.account_month'),
        ('mart.delinquency_ratios', 'ratios_between_0_and_1', 'error', NULL,
            'account ratios between 0 and 1'),
        ('mart.delinquency_ratios', 'delinquent_within_live', 'error', NULL,
            'delinquent accounts never exceed live accounts'),
        ('mart.invalid_contact_points', 'numbers_masked', 'error', NULL,
            'every number is masked (first 3 and last 4 digits shown at most)')
) AS defaults (suite, expectation, severity, thresholds, description)
WHERE NOT EXISTS (
    SELECT 1 FROM settings.dq_rules AS r
    WHERE r.suite = defaults.suite AND r.expectation = defaults.expectation
);
