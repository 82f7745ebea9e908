-- checks: raw.contacts invalid_contact_points
-- Purpose: contact screening: the numbers that mart.invalid_contact_points lists (dialled for
--          an account and answered `wrong_number` at least N times, N from settings.dq_rules).
--          The expectation is that there are none; the rows name them in the finding's sample.
-- Grain:   one row per number (masked) per account, as in mart.invalid_contact_points.
-- Columns:
--   contact_number_masked, account_id  the number and the account.
--   wrong_number_outcomes               attempts to it that ended `wrong_number`.
--   flagged_at                          when the N-th of them happened.
--   attempts_after_flagged              attempts to the number after that.
SELECT
    contact_number_masked,
    account_id,
    wrong_number_outcomes,
    flagged_at,
    attempts_after_flagged
FROM mart.invalid_contact_points
ORDER BY flagged_at DESC, account_id, contact_number_masked
