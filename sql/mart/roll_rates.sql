-- mart.roll_rates
-- Purpose: where each delinquency bucket goes from one month end to the next (滚动率 roll rates):
--          how much rolls forward, cures, stays; the balance flow rates (迁徙流量) behind the
--          expected loss; and the net flow. Read from mart.bucket_migration.
-- Grain:   one row per month (the *from* month, first day) x bucket (the day buckets of
--          settings.buckets: Current, M1 ... M7+).
-- Measures (accounts in the bucket at the from month = 100%; the shares add up to 1):
--   roll_forward_rate  accounts that moved to a worse bucket next month, `Written off` included.
--   cure_rate          accounts back to Current (the day bucket with the lowest sort order);
--                      empty for Current itself.
--   stay_rate          accounts in the same bucket.
--   partial_cure_rate  accounts in a better bucket that is not Current.
--   written_off_rate   accounts written off (also counted in roll_forward_rate).
--   closed_rate        accounts closed; gone_rate  accounts missing from the next month end.
--   *_balance_rate     the same shares by the from month's balance.
--   flow_rate          balance in the next worse day bucket at the next month divided by the
--                      balance in this bucket at this month (DOMAIN.md: bucket i+1 at t+1 over
--                      bucket i at t, all accounts, not only those that moved); empty for the
--                      worst day bucket. next_bucket / next_bucket_balance are its numerator.
--   write_off_flow_rate  balance written off next month (its written-off balance) by accounts of
--                      this bucket, over this bucket's balance: the exit of the chain in
--                      mart.expected_loss.
--   net_flow_balance   净流量: balance that rolled forward minus balance that cured or partly
--                      cured (from month balances); net_flow_rate = that over the bucket's
--                      balance. Positive: the bucket's book is deteriorating.
CREATE OR REPLACE VIEW mart.roll_rates AS
WITH day_buckets AS (
    SELECT
        bucket,
        sort_order,
        lead(bucket) OVER (ORDER BY sort_order) AS next_bucket,
        sort_order = min(sort_order) OVER () AS is_current
    FROM settings.buckets
    WHERE status IS NULL
),

states AS (
    SELECT bucket, status FROM settings.buckets WHERE status IS NOT NULL
),

matrix AS (
    SELECT
        m.month,
        m.from_bucket,
        f.sort_order AS from_order,
        f.is_current AS from_current,
        f.next_bucket,
        m.accounts,
        m.balance,
        m.to_balance,
        CASE
            WHEN s.status = 'charged_off' THEN 'written_off'
            WHEN s.status IS NOT NULL THEN 'closed'
            WHEN t.bucket IS NULL THEN 'gone'
            WHEN t.sort_order > f.sort_order THEN 'rolled_forward'
            WHEN t.sort_order = f.sort_order THEN 'stayed'
            WHEN t.is_current THEN 'cured'
            ELSE 'partly_cured'
        END AS movement
    FROM mart.bucket_migration AS m
    INNER JOIN day_buckets AS f ON m.from_bucket = f.bucket
    LEFT JOIN day_buckets AS t ON m.to_bucket = t.bucket
    LEFT JOIN states AS s ON m.to_bucket = s.bucket
),

per_bucket AS (
    SELECT
        month,
        from_bucket AS bucket,
        from_order AS bucket_order,
        from_current AS is_current,
        next_bucket,
        sum(accounts) AS accounts,
        sum(balance) AS balance,
        coalesce(sum(accounts) FILTER (WHERE movement IN ('rolled_forward', 'written_off')), 0)
            AS rolled_forward_accounts,
        coalesce(sum(accounts) FILTER (WHERE movement = 'cured'), 0) AS cured_accounts,
        coalesce(sum(accounts) FILTER (WHERE movement = 'stayed'), 0) AS stayed_accounts,
        coalesce(sum(accounts) FILTER (WHERE movement = 'partly_cured'), 0)
            AS partly_cured_accounts,
        coalesce(sum(accounts) FILTER (WHERE movement = 'written_off'), 0)
            AS written_off_accounts,
        coalesce(sum(accounts) FILTER (WHERE movement = 'closed'), 0) AS closed_accounts,
        coalesce(sum(accounts) FILTER (WHERE movement = 'gone'), 0) AS gone_accounts,
        coalesce(sum(balance) FILTER (WHERE movement IN ('rolled_forward', 'written_off')), 0)
            AS rolled_forward_balance,
        coalesce(sum(balance) FILTER (WHERE movement = 'cured'), 0) AS cured_balance,
        coalesce(sum(balance) FILTER (WHERE movement = 'stayed'), 0) AS stayed_balance,
        coalesce(sum(balance) FILTER (WHERE movement = 'partly_cured'), 0)
            AS partly_cured_balance,
        coalesce(sum(to_balance) FILTER (WHERE movement = 'written_off'), 0)
            AS written_off_balance
    FROM matrix
    GROUP BY month, from_bucket, from_order, from_current, next_bucket
),

next_month AS (
    SELECT
        month,
        to_bucket,
        sum(to_balance) AS to_balance
    FROM mart.bucket_migration
    GROUP BY month, to_bucket
)

SELECT
    p.month,
    p.bucket,
    p.bucket_order,
    CAST(p.accounts AS BIGINT) AS accounts,
    p.balance,
    CAST(p.rolled_forward_accounts AS DOUBLE) / p.accounts AS roll_forward_rate,
    CASE WHEN NOT p.is_current THEN CAST(p.cured_accounts AS DOUBLE) / p.accounts END
        AS cure_rate,
    CAST(p.stayed_accounts AS DOUBLE) / p.accounts AS stay_rate,
    CAST(p.partly_cured_accounts AS DOUBLE) / p.accounts AS partial_cure_rate,
    CAST(p.written_off_accounts AS DOUBLE) / p.accounts AS written_off_rate,
    CAST(p.closed_accounts AS DOUBLE) / p.accounts AS closed_rate,
    CAST(p.gone_accounts AS DOUBLE) / p.accounts AS gone_rate,
    CAST(p.rolled_forward_balance AS DOUBLE) / nullif(p.balance, 0) AS roll_forward_balance_rate,
    CASE WHEN NOT p.is_current THEN CAST(p.cured_balance AS DOUBLE) / nullif(p.balance, 0) END
        AS cure_balance_rate,
    CAST(p.stayed_balance AS DOUBLE) / nullif(p.balance, 0) AS stay_balance_rate,
    p.next_bucket,
    CASE WHEN p.next_bucket IS NOT NULL THEN coalesce(n.to_balance, 0) END AS next_bucket_balance,
    CASE WHEN p.next_bucket IS NOT NULL THEN CAST(coalesce(n.to_balance, 0) AS DOUBLE) END
    / nullif(p.balance, 0) AS flow_rate,
    p.written_off_balance,
    CAST(p.written_off_balance AS DOUBLE) / nullif(p.balance, 0) AS write_off_flow_rate,
    p.rolled_forward_balance - p.cured_balance - p.partly_cured_balance AS net_flow_balance,
    CAST(p.rolled_forward_balance - p.cured_balance - p.partly_cured_balance AS DOUBLE)
    / nullif(p.balance, 0) AS net_flow_rate
FROM per_bucket AS p
LEFT JOIN next_month AS n ON p.month = n.month AND p.next_bucket = n.to_bucket;
