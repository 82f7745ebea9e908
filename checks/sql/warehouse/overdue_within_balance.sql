-- checks: raw.snapshots overdue_within_balance
-- Purpose: what is overdue (principal + interest + fees, a missing part counted as 0) is not
--          more than the balance, give or take the tolerance, when the balance is positive.
-- Grain:   one row per landed file of raw.snapshots with offending rows, among the rows the
--          run looks at.
-- Parameters:
--   $load_id    this load's rows; NULL during `collections check` (every row).
--   $tolerance  threshold of settings.dq_rules (raw.snapshots, overdue_within_balance), in the
--               card's currency, checked to be a number.
-- Spliced: row_names, the text naming a row by the extract's key (from the contract) and the
--          balance and overdue columns.
-- Columns:
--   file_name, load_id  the landed file.
--   offending           its rows that break the rule.
--   lines               the first 20 of their line numbers (1 = the header).
--   sample              the first 5 of them as `line N: <row_names>`, masked values only.
SELECT
    r._file_name AS file_name,
    r._load_id AS load_id,
    count(*) AS offending,
    list(r._line_number ORDER BY r._line_number)[1:20] AS lines,
    list('line ' || r._line_number || ': ' || {{ row_names }} ORDER BY r._line_number)[1:5]
        AS sample
FROM raw.snapshots AS r
WHERE
    ($load_id IS NULL OR r._load_id = $load_id)
    AND r.balance > 0
    AND coalesce(r.overdue_principal, 0) + coalesce(r.overdue_interest, 0)
    + coalesce(r.overdue_fees, 0) > r.balance + $tolerance
GROUP BY ALL
