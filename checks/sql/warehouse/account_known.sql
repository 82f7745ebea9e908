-- checks: raw.<extract> account_known (snapshots, payments, contacts, promises, plans)
-- Purpose: a row's account is in an accounts file (raw.accounts). A `warn` by default: the
--          contract lets extracts arrive in any order.
-- Grain:   one row per landed file of the extract with offending rows, among the rows the run
--          looks at.
-- Parameters:
--   $load_id  this load's rows; NULL during `collections check` (every row).
-- Spliced (from the contract, checked): raw_table, the extract's raw table; row_names, the
--          text naming a row by the extract's key and its account_id.
-- Columns:
--   file_name, load_id  the landed file.
--   offending           its rows whose account is in no accounts file.
--   lines               the first 20 of their line numbers (1 = the header).
--   sample              the first 5 of them as `line N: <row_names>`, masked values only.
SELECT
    r._file_name AS file_name,
    r._load_id AS load_id,
    count(*) AS offending,
    list(r._line_number ORDER BY r._line_number)[1:20] AS lines,
    list('line ' || r._line_number || ': ' || {{ row_names }} ORDER BY r._line_number)[1:5]
        AS sample
FROM {{ raw_table }} AS r
WHERE
    ($load_id IS NULL OR r._load_id = $load_id)
    AND r.account_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM raw.accounts AS a WHERE a.account_id = r.account_id)
GROUP BY ALL
