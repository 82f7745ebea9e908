-- checks: mart.invalid_contact_points
-- Purpose: the aggregate frame of mart.invalid_contact_points' suite: every number it shows,
--          which must be masked (first 3 and last 4 digits shown at most).
-- Grain:   one row per number (masked) per account of the view.
-- Columns:
--   contact_number_masked, account_id  the number as shown, and its account.
SELECT contact_number_masked, account_id
FROM mart.invalid_contact_points
WHERE contact_number_masked IS NOT NULL
ORDER BY ALL
