-- mart.portfolio_health
-- Purpose: portfolio health at a glance, by month and segment: the book by bucket, the 30+ / 60+ /
--          90+ delinquency ratios (逾期率), the amount collected (催回金额) and the write-offs (核销).
--          The one place that defines the live book and the delinquent (M1+) book.
-- Grain:   one row per complete month (mart.months) x product x branch x risk_grade x
--          vintage_year (year of the open date) with at least one account or payment.
-- Refresh: incremental by month, reaching back 1 month (a new month-end file completes the month
--          before it).
-- Joins: the smaller side of each join is on the right (DuckDB builds its hash tables there).
-- Measures (counts are accounts, amounts yuan; to combine rows add them, never the ratios):
--   accounts / balance            every account with a month-end picture, whatever its bucket.
--   live_accounts / live_balance  the live book: buckets with a day range (not `Written off`,
--                                 not `Closed`): the denominator of the ratios.
--   delinquent_accounts / _balance  live accounts of a bucket starting at 1+ days past due (M1+).
--   accounts_<bucket> / balance_<bucket>  by bucket, one pair per default bucket of
--                                 settings.buckets (current, m1 ... m6, m7_plus, written_off,
--                                 closed); mart.bucket_month has any bucket a bank adds.
--   dpd30/60/90_accounts, _balance  live accounts at the '30+' / '60+' / '90+' days past due of
--                                 settings.delinquency_thresholds or more.
--   dpd30/60/90_ratio             their balance over live_balance.
--   collected                     payments of the month net of reversals (core.account_payments);
--                                 money from an account without a picture that month (a recovery
--                                 after write-off) is filed under the account's product, branch
--                                 and vintage, with no risk grade (it was not graded that month).
--                                 paying_accounts = accounts that paid.
--   recovered                     the part of collected paid by accounts written off in an
--                                 earlier month.
--   newly_written_off_accounts / written_off  accounts written off for the first time in the
--                                 month and their balance at write-off.
CREATE OR REPLACE TABLE mart.portfolio_health AS
WITH months AS (
    SELECT month
    FROM mart.months
    WHERE is_complete AND month BETWEEN $first_month AND $last_month
),

thresholds AS (
    SELECT
        max(min_days_past_due) FILTER (WHERE measure = '30+') AS dpd30,
        max(min_days_past_due) FILTER (WHERE measure = '60+') AS dpd60,
        max(min_days_past_due) FILTER (WHERE measure = '90+') AS dpd90
    FROM settings.delinquency_thresholds
),

buckets AS (
    SELECT
        bucket,
        status IS NULL AS is_live,
        status IS NULL AND coalesce(min_days_past_due, 0) >= 1 AS is_delinquent
    FROM settings.buckets
),

-- The month each account was first written off, over its whole history.
write_offs AS (
    SELECT
        account_id,
        min(month) AS written_off_month
    FROM mart.account_month
    WHERE status = 'charged_off'
    GROUP BY account_id
),

pictures AS (
    SELECT
        a.month,
        a.account_id,
        a.product,
        a.branch,
        a.risk_grade,
        year(a.vintage) AS vintage_year,
        a.bucket,
        a.balance,
        a.days_past_due
    FROM mart.account_month AS a
    INNER JOIN months AS m ON a.month = m.month
),

payments AS (
    SELECT
        p.month,
        p.account_id,
        p.collected
    FROM core.account_payments AS p
    INNER JOIN months AS m ON p.month = m.month
    WHERE p.payments > 0
),

-- Every picture with its month's payments, and the payments of accounts without a picture.
joined AS (
    SELECT
        coalesce(a.month, p.month) AS month,
        coalesce(a.account_id, p.account_id) AS account_id,
        a.account_id IS NOT NULL AS has_picture,
        a.product,
        a.branch,
        a.risk_grade,
        a.vintage_year,
        a.bucket,
        a.balance,
        a.days_past_due,
        p.collected
    FROM pictures AS a
    FULL OUTER JOIN payments AS p ON a.account_id = p.account_id AND a.month = p.month
),

measured AS (
    SELECT
        j.month,
        CASE WHEN j.has_picture THEN j.product ELSE c.product END AS product,
        CASE WHEN j.has_picture THEN j.branch ELSE c.branch END AS branch,
        j.risk_grade,
        CASE WHEN j.has_picture THEN j.vintage_year ELSE year(c.open_date) END AS vintage_year,
        j.has_picture,
        j.bucket,
        j.balance,
        j.days_past_due,
        coalesce(b.is_live, FALSE) AS is_live,
        coalesce(b.is_delinquent, FALSE) AS is_delinquent,
        j.collected,
        coalesce(w.written_off_month = j.month, FALSE) AS is_newly_written_off,
        coalesce(w.written_off_month < j.month, FALSE) AS was_written_off
    FROM joined AS j
    LEFT JOIN buckets AS b ON j.bucket = b.bucket
    LEFT JOIN write_offs AS w ON j.account_id = w.account_id
    -- An account without a picture: the accounts record in force at the month end.
    LEFT JOIN core.account_versions AS c
        ON j.account_id = c.account_id
        AND NOT j.has_picture
        AND (c.in_force_from IS NULL OR last_day(j.month) >= c.in_force_from)
        AND (c.in_force_until IS NULL OR last_day(j.month) < c.in_force_until)
),

-- First by bucket (few sums over every row), then one row per segment (a pivot of few rows).
by_bucket AS (
    SELECT
        m.month,
        m.product,
        m.branch,
        m.risk_grade,
        m.vintage_year,
        m.bucket,
        m.is_live,
        m.is_delinquent,
        count(*) FILTER (WHERE m.has_picture) AS accounts,
        coalesce(sum(m.balance), 0) AS balance,
        count(*) FILTER (WHERE m.is_live AND m.days_past_due >= t.dpd30) AS dpd30_accounts,
        coalesce(sum(m.balance) FILTER (WHERE m.is_live AND m.days_past_due >= t.dpd30), 0)
            AS dpd30_balance,
        count(*) FILTER (WHERE m.is_live AND m.days_past_due >= t.dpd60) AS dpd60_accounts,
        coalesce(sum(m.balance) FILTER (WHERE m.is_live AND m.days_past_due >= t.dpd60), 0)
            AS dpd60_balance,
        count(*) FILTER (WHERE m.is_live AND m.days_past_due >= t.dpd90) AS dpd90_accounts,
        coalesce(sum(m.balance) FILTER (WHERE m.is_live AND m.days_past_due >= t.dpd90), 0)
            AS dpd90_balance,
        coalesce(sum(m.collected), 0) AS collected,
        count(m.collected) AS paying_accounts,
        coalesce(sum(m.collected) FILTER (WHERE m.was_written_off), 0) AS recovered,
        count(*) FILTER (WHERE m.is_newly_written_off) AS newly_written_off_accounts,
        coalesce(sum(m.balance) FILTER (WHERE m.is_newly_written_off), 0) AS written_off
    FROM measured AS m
    CROSS JOIN thresholds AS t
    GROUP BY
        m.month, m.product, m.branch, m.risk_grade, m.vintage_year, m.bucket, m.is_live,
        m.is_delinquent
),

summed AS (
    SELECT
        month,
        product,
        branch,
        risk_grade,
        vintage_year,
        CAST(sum(accounts) AS BIGINT) AS accounts,
        sum(balance) AS balance,
        CAST(coalesce(sum(accounts) FILTER (WHERE is_live), 0) AS BIGINT) AS live_accounts,
        coalesce(sum(balance) FILTER (WHERE is_live), 0) AS live_balance,
        CAST(coalesce(sum(accounts) FILTER (WHERE is_delinquent), 0) AS BIGINT)
            AS delinquent_accounts,
        coalesce(sum(balance) FILTER (WHERE is_delinquent), 0) AS delinquent_balance,
        CAST(coalesce(sum(accounts) FILTER (WHERE bucket = 'Current'), 0) AS BIGINT)
            AS accounts_current,
        coalesce(sum(balance) FILTER (WHERE bucket = 'Current'), 0) AS balance_current,
        CAST(coalesce(sum(accounts) FILTER (WHERE bucket = 'M1'), 0) AS BIGINT)
            AS accounts_m1,
        coalesce(sum(balance) FILTER (WHERE bucket = 'M1'), 0) AS balance_m1,
        CAST(coalesce(sum(accounts) FILTER (WHERE bucket = 'M2'), 0) AS BIGINT)
            AS accounts_m2,
        coalesce(sum(balance) FILTER (WHERE bucket = 'M2'), 0) AS balance_m2,
        CAST(coalesce(sum(accounts) FILTER (WHERE bucket = 'M3'), 0) AS BIGINT)
            AS accounts_m3,
        coalesce(sum(balance) FILTER (WHERE bucket = 'M3'), 0) AS balance_m3,
        CAST(coalesce(sum(accounts) FILTER (WHERE bucket = 'M4'), 0) AS BIGINT)
            AS accounts_m4,
        coalesce(sum(balance) FILTER (WHERE bucket = 'M4'), 0) AS balance_m4,
        CAST(coalesce(sum(accounts) FILTER (WHERE bucket = 'M5'), 0) AS BIGINT)
            AS accounts_m5,
        coalesce(sum(balance) FILTER (WHERE bucket = 'M5'), 0) AS balance_m5,
        CAST(coalesce(sum(accounts) FILTER (WHERE bucket = 'M6'), 0) AS BIGINT)
            AS accounts_m6,
        coalesce(sum(balance) FILTER (WHERE bucket = 'M6'), 0) AS balance_m6,
        CAST(coalesce(sum(accounts) FILTER (WHERE bucket = 'M7+'), 0) AS BIGINT)
            AS accounts_m7_plus,
        coalesce(sum(balance) FILTER (WHERE bucket = 'M7+'), 0) AS balance_m7_plus,
        CAST(coalesce(sum(accounts) FILTER (WHERE bucket = 'Written off'), 0) AS BIGINT)
            AS accounts_written_off,
        coalesce(sum(balance) FILTER (WHERE bucket = 'Written off'), 0) AS balance_written_off,
        CAST(coalesce(sum(accounts) FILTER (WHERE bucket = 'Closed'), 0) AS BIGINT)
            AS accounts_closed,
        coalesce(sum(balance) FILTER (WHERE bucket = 'Closed'), 0) AS balance_closed,
        CAST(sum(dpd30_accounts) AS BIGINT) AS dpd30_accounts,
        sum(dpd30_balance) AS dpd30_balance,
        CAST(sum(dpd60_accounts) AS BIGINT) AS dpd60_accounts,
        sum(dpd60_balance) AS dpd60_balance,
        CAST(sum(dpd90_accounts) AS BIGINT) AS dpd90_accounts,
        sum(dpd90_balance) AS dpd90_balance,
        sum(collected) AS collected,
        CAST(sum(paying_accounts) AS BIGINT) AS paying_accounts,
        sum(recovered) AS recovered,
        CAST(sum(newly_written_off_accounts) AS BIGINT) AS newly_written_off_accounts,
        sum(written_off) AS written_off
    FROM by_bucket
    GROUP BY month, product, branch, risk_grade, vintage_year
)

SELECT
    *,
    CAST(dpd30_balance AS DOUBLE) / nullif(live_balance, 0) AS dpd30_ratio,
    CAST(dpd60_balance AS DOUBLE) / nullif(live_balance, 0) AS dpd60_ratio,
    CAST(dpd90_balance AS DOUBLE) / nullif(live_balance, 0) AS dpd90_ratio
FROM summed;
