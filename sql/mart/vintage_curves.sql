-- mart.vintage_curves
-- Purpose: vintage (账龄) curves: for each cohort of accounts opened in the same month, the share
--          that is 30+ / 60+ / 90+ days past due at each month on book, so cohorts of different
--          ages can be compared at the same age.
-- Grain:   one row per vintage (open month, first day) x month (a complete month end at or after
--          the open month) x measure of settings.delinquency_thresholds.
-- Source:  mart.vintage_curves_by_segment summed over products and branches (one computation,
--          two grains: the whole book here, the sidebar's slice on the Portfolio page).
-- Measures:
--   months_on_book      whole months from the open month to the month.
--   cohort_accounts     accounts opened in the vintage month (by the accounts record in force at
--                       the month end, core.account_versions): the denominator
--                       throughout, so paid-off and written-off accounts stay in it.
--   delinquent_accounts live accounts of the cohort at the measure's days past due or more at that
--                       month end, plus every account of the cohort written off at or before it
--                       (a write-off stays bad: the curve does not dip when balances are charged
--                       off). written_off_accounts is that second part.
--   delinquent_ratio    delinquent_accounts / cohort_accounts (summed first, then divided).
CREATE OR REPLACE VIEW mart.vintage_curves AS
SELECT
    vintage,
    month,
    months_on_book,
    measure,
    CAST(sum(cohort_accounts) AS BIGINT) AS cohort_accounts,
    CAST(sum(delinquent_accounts) AS BIGINT) AS delinquent_accounts,
    CAST(sum(written_off_accounts) AS BIGINT) AS written_off_accounts,
    CAST(sum(delinquent_accounts) AS DOUBLE) / nullif(sum(cohort_accounts), 0) AS delinquent_ratio
FROM mart.vintage_curves_by_segment
GROUP BY vintage, month, months_on_book, measure;
