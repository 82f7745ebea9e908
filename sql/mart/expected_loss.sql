-- mart.expected_loss
-- Purpose: the expected loss of today's balances from chained flow rates (迁徙率链/预期损失): for each
--          month end and day bucket, the share of the bucket's balance expected to be written off
--          as it flows through the worse buckets, and that amount in yuan.
-- Grain:   one row per month (the month end whose balances are valued, first day) x day bucket
--          (Current, M1 ... M7+), for every month that follows a compared pair of months.
-- Measures:
--   balance          the bucket's balance at the month end.
--   flow_rate        mart.roll_rates' flow rate to the next worse bucket, averaged (balance
--                    weighted: sum of numerators over sum of balances) over the `flow_rate_months`
--                    (settings.analytics_parameters) from months before this month.
--   write_off_rate   mart.roll_rates' write_off_flow_rate, averaged the same way.
--   loss_rate        chained: a yuan in bucket i is written off from bucket i (write_off_rate of
--                    i) or flows to i+1 (flow_rate of i) and continues from there:
--                    loss_rate(i) = sum over j >= i of write_off_rate(j) x flow_rate(i) x ... x
--                    flow_rate(j-1). A bucket in between with no flow seen ends the chain.
--   expected_loss    balance x loss_rate (gross of recoveries after write-off).
--   months_averaged  how many months of flows the averages rest on.
CREATE OR REPLACE VIEW mart.expected_loss AS
WITH parameters AS (
    SELECT
        CAST(max(value) FILTER (WHERE parameter = 'flow_rate_months') AS INTEGER)
            AS flow_rate_months
    FROM settings.analytics_parameters
),

day_buckets AS (
    SELECT bucket, sort_order FROM settings.buckets WHERE status IS NULL
),

-- Each month end's balances: the `to` side of the migration into it holds every account.
balances AS (
    SELECT
        CAST(m.month + INTERVAL 1 MONTH AS DATE) AS month,
        d.bucket,
        d.sort_order,
        sum(m.to_balance) AS balance
    FROM mart.bucket_migration AS m
    INNER JOIN day_buckets AS d ON m.to_bucket = d.bucket
    GROUP BY m.month, d.bucket, d.sort_order
),

valued_months AS (
    SELECT DISTINCT
        month,
        year(month) * 12 + month(month) AS month_index
    FROM balances
),

averaged AS (
    SELECT
        v.month,
        r.bucket,
        r.bucket_order,
        CAST(sum(r.next_bucket_balance) AS DOUBLE) / nullif(sum(r.balance), 0) AS flow_rate,
        CAST(sum(r.written_off_balance) AS DOUBLE) / nullif(sum(r.balance), 0) AS write_off_rate,
        count(*) AS months_averaged
    FROM valued_months AS v
    CROSS JOIN parameters AS p
    INNER JOIN mart.roll_rates AS r
        ON year(r.month) * 12 + month(r.month)
        BETWEEN v.month_index - p.flow_rate_months AND v.month_index - 1
    GROUP BY v.month, r.bucket, r.bucket_order
),

-- Every day bucket of every valued month, with its averaged rates (empty where no flow was seen).
rates AS (
    SELECT
        v.month,
        d.bucket,
        d.sort_order,
        a.flow_rate,
        a.write_off_rate
    FROM valued_months AS v
    CROSS JOIN day_buckets AS d
    LEFT JOIN averaged AS a ON v.month = a.month AND d.bucket = a.bucket
),

-- Every pair of buckets i <= j of a month with the chance that a yuan of i reaches j: the
-- product of the flow rates of every bucket from i up to j (exclusive), 1 for j = i; a bucket
-- in between without a positive flow rate stops the chain.
reach AS (
    SELECT
        i.month,
        i.bucket,
        j.write_off_rate,
        CASE
            WHEN count(k.bucket) = 0 THEN 1.0
            WHEN min(coalesce(k.flow_rate, 0)) <= 0 THEN 0.0
            ELSE exp(sum(ln(CASE WHEN k.flow_rate > 0 THEN k.flow_rate END)))
        END AS reach_rate
    FROM rates AS i
    INNER JOIN rates AS j ON i.month = j.month AND j.sort_order >= i.sort_order
    LEFT JOIN rates AS k
        ON
            i.month = k.month
            AND k.sort_order >= i.sort_order
            AND k.sort_order < j.sort_order
    GROUP BY i.month, i.bucket, j.bucket, j.write_off_rate
),

chained AS (
    SELECT
        month,
        bucket,
        sum(reach_rate * coalesce(write_off_rate, 0)) AS loss_rate
    FROM reach
    GROUP BY month, bucket
)

SELECT
    b.month,
    b.bucket,
    b.sort_order AS bucket_order,
    b.balance,
    a.flow_rate,
    a.write_off_rate,
    c.loss_rate,
    b.balance * c.loss_rate AS expected_loss,
    coalesce(a.months_averaged, 0) AS months_averaged
FROM balances AS b
LEFT JOIN averaged AS a ON b.month = a.month AND b.bucket = a.bucket
LEFT JOIN chained AS c ON b.month = c.month AND b.bucket = c.bucket;
