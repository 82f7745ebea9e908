-- checks: raw.snapshots cycles_agree_with_days_past_due
-- Purpose: a snapshot's cycles delinquent agree with its days past due: 0 cycles exactly when
--          0 days past due, and otherwise cycles = ceil(days past due / days per cycle), give
--          or take the tolerance. Snapshots without cycles delinquent are not judged.
-- Grain:   one row per landed file of raw.snapshots with offending rows, among the rows the
--          run looks at.
-- Parameters:
--   $load_id           this load's rows; NULL during `collections check` (every row).
--   $days_per_cycle    thresholds of settings.dq_rules (raw.snapshots,
--   $tolerance_cycles  cycles_agree_with_days_past_due), checked to be numbers.
-- Spliced: row_names, the text naming a row by the extract's key (from the contract) and the
--          columns shown here: `as_of_date=..., account_id=..., days_past_due=...`.
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
    AND r.cycles_delinquent IS NOT NULL
    AND (
        (r.days_past_due = 0) <> (r.cycles_delinquent = 0)
        OR abs(r.cycles_delinquent - ceil(r.days_past_due / $days_per_cycle)) > $tolerance_cycles
    )
GROUP BY ALL
