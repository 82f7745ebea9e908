-- mart.invalid_contact_points
-- Purpose: contact validity screening (procedure step 1): a number that keeps reaching the wrong
--          person is not a valid contact point for that account and should not be dialled again.
-- Grain:   one row per number (by its keyed hash) per account, for numbers with at least N
--          `wrong_number` outcomes on that account. N is `min_wrong_number_outcomes` in the
--          thresholds of settings.dq_rules (raw.contacts, invalid_contact_points); default 2.
-- Measures:
--   wrong_number_outcomes   attempts to this number for this account that ended `wrong_number`.
--   flagged_at              when the N-th of them happened: from then on the number is invalid.
--   attempts_after_flagged  attempts to the number for this account after flagged_at (should be 0).
-- Numbers are shown masked (first 3 and last 4 digits), as everywhere in the warehouse.
CREATE OR REPLACE VIEW mart.invalid_contact_points AS
WITH setting AS (
    SELECT
        CAST(json_extract(thresholds, '$.min_wrong_number_outcomes') AS INTEGER)
            AS min_wrong_number_outcomes
    FROM settings.dq_rules
    WHERE suite = 'raw.contacts' AND expectation = 'invalid_contact_points'
),

wrong_numbers AS (
    SELECT
        contact_number_hash,
        account_id,
        contact_number_masked,
        started_at,
        row_number() OVER (
            PARTITION BY contact_number_hash, account_id ORDER BY started_at, attempt_id
        ) AS nth,
        count(*) OVER (PARTITION BY contact_number_hash, account_id) AS wrong_number_outcomes
    FROM raw.contacts
    WHERE outcome = 'wrong_number' AND contact_number_hash IS NOT NULL
),

flagged AS (
    SELECT
        w.contact_number_hash,
        w.account_id,
        w.contact_number_masked,
        w.wrong_number_outcomes,
        w.started_at AS flagged_at
    FROM wrong_numbers AS w
    CROSS JOIN setting AS s
    WHERE w.nth = s.min_wrong_number_outcomes
)

SELECT
    f.contact_number_hash,
    f.contact_number_masked,
    f.account_id,
    f.wrong_number_outcomes,
    f.flagged_at,
    count(c.attempt_id) AS attempts_after_flagged
FROM flagged AS f
LEFT JOIN raw.contacts AS c
    ON c.contact_number_hash = f.contact_number_hash
    AND c.account_id = f.account_id
    AND c.started_at > f.flagged_at
GROUP BY ALL;
