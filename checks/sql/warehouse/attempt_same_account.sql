-- checks: raw.promises attempt_same_account
-- Purpose: the contact attempt a promise was made in is on the promise's account.
-- Grain:   one row per landed file of raw.promises with offending rows, among the rows the run
--          looks at.
-- Parameters:
--   $load_id  this load's rows; NULL during `collections check` (every row).
-- Spliced: row_names, the text naming a row by the extract's key (from the contract), its
--          account_id and attempt_id.
-- Columns:
--   file_name, load_id  the landed file.
--   offending           its promises whose attempt is on another account.
--   lines               the first 20 of their line numbers (1 = the header).
--   sample              the first 5 of them as `line N: <row_names>`, masked values only.
SELECT
    r._file_name AS file_name,
    r._load_id AS load_id,
    count(*) AS offending,
    list(r._line_number ORDER BY r._line_number)[1:20] AS lines,
    list('line ' || r._line_number || ': ' || {{ row_names }} ORDER BY r._line_number)[1:5]
        AS sample
FROM raw.promises AS r
WHERE
    ($load_id IS NULL OR r._load_id = $load_id)
    AND EXISTS (
        SELECT 1 FROM raw.contacts AS c
        WHERE c.attempt_id = r.attempt_id AND c.account_id <> r.account_id
    )
GROUP BY ALL
