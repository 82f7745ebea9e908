-- mart.account_month
-- Purpose: the month-end picture of every account (its latest snapshot within each calendar
--          month) with its delinquency bucket, the segments managers slice by, and procedure
--          step 1 for it: a risk grade, a likely delinquency cause and the treatment that goes
--          with them. warehouse/strategy.py runs this same query for one month under candidate
--          settings, so a manager can preview a change before saving it.
-- Grain:   one row per account per calendar month in which it has a snapshot; its segments,
--          score and employment are those of the accounts record in force on the picture's date
--          (core.account_versions). Normally the
--          picture is the month-end file (every account not yet closed is in it); an account
--          missing from the month's last snapshot date keeps its latest earlier snapshot of the
--          month; the unfinished current month holds the latest snapshots so far (mart.months
--          says which months are complete).
-- Refresh: incremental by month (warehouse/marts/): the months $first_month to $last_month.
-- Sorted by: account_id
-- Joins: the smaller side of each join is on the right (DuckDB builds its hash tables there).
-- Measures:
--   bucket         from days_past_due and settings.buckets; a charged-off snapshot is
--                  `Written off`, a closed one `Closed`, whatever its days past due.
--   months_on_book whole months from the open month to this month.
--   partial_payments  for an account past due at its picture, its payments of the month net
--                  of reversals (core.account_payments): money that did not cure it; 0 for the
--                  others (mart.portfolio_health has every payment as `collected`).
--   right_party_contacts / refusals  contacts of the month (settings.bank_timezone) that
--                  reached the debtor, and those in which the debtor refused to pay.
--   past_delinquencies  earlier months, within `history_months` before this month, in which
--                  the account was `past_delinquency_min_days_past_due` or more days past due
--                  in a snapshot (settings.analytics_parameters).
--   risk_grade     `high` when any threshold of the `high` row of settings.risk_grades is met
--                  (days past due, amount overdue, credit score below, past delinquencies) or
--                  the employment type is graded high (settings.employment_risk); else `medium`
--                  on the `medium` row; else `low`. risk_factors names the factors that decided.
--   delinquency_cause  for live accounts at least one day past due, the first rule that holds:
--                  1. wilful: the debtor refused to pay in a contact this month; or, at
--                     `wilful_min_days_past_due` or more, the debtor was reached this month, paid
--                     nothing and shows no sign of inability;
--                  2. forgetful: no sign of inability, at most `forgetful_max_days_past_due` days
--                     past due and at most `forgetful_max_past_delinquencies` past delinquencies;
--                  3. unable: everything else.
--                  Signs of inability: an employment type without regular income, a balance at
--                  `unable_min_utilisation` of the credit limit or more, or a payment this month
--                  that left the account still past due. Empty for every other account.
--   treatment      settings.treatments for the grade and cause (mart.account_strategy has the
--                  channels, frequency, script focus and next step).
CREATE OR REPLACE TABLE mart.account_month AS
WITH parameters AS (
    SELECT
        CAST(max(value) FILTER (WHERE parameter = 'history_months') AS INTEGER) AS history_months,
        CAST(
            max(value) FILTER (WHERE parameter = 'past_delinquency_min_days_past_due') AS INTEGER
        ) AS past_delinquency_min_days_past_due,
        CAST(
            max(value) FILTER (WHERE parameter = 'forgetful_max_days_past_due') AS INTEGER
        ) AS forgetful_max_days_past_due,
        CAST(
            max(value) FILTER (WHERE parameter = 'forgetful_max_past_delinquencies') AS INTEGER
        ) AS forgetful_max_past_delinquencies,
        max(value) FILTER (WHERE parameter = 'unable_min_utilisation') AS unable_min_utilisation,
        CAST(
            max(value) FILTER (WHERE parameter = 'wilful_min_days_past_due') AS INTEGER
        ) AS wilful_min_days_past_due
    FROM settings.analytics_parameters
),

-- The last snapshot date of each month: normally its month-end file, which holds every account.
last_dates AS (
    SELECT
        CAST(date_trunc('month', as_of_date) AS DATE) AS month,
        max(as_of_date) AS last_date
    FROM raw.snapshots
    WHERE as_of_date BETWEEN $first_month AND last_day($last_month)
    GROUP BY CAST(date_trunc('month', as_of_date) AS DATE)
),

on_last_date AS (
    SELECT
        s.*,
        l.month
    FROM raw.snapshots AS s
    INNER JOIN last_dates AS l ON s.as_of_date = l.last_date
    WHERE s.as_of_date BETWEEN $first_month AND last_day($last_month)
),

-- Accounts missing from their month's last snapshot date keep their latest earlier snapshot.
earlier_in_month AS (
    SELECT
        s.account_id,
        l.month,
        max(s.as_of_date) AS as_of_date
    FROM raw.snapshots AS s
    INNER JOIN last_dates AS l ON CAST(date_trunc('month', s.as_of_date) AS DATE) = l.month
    WHERE
        s.as_of_date < l.last_date
        AND s.as_of_date BETWEEN $first_month AND last_day($last_month)
    GROUP BY s.account_id, l.month
),

last_date_accounts AS (
    SELECT
        s.account_id,
        l.month
    FROM raw.snapshots AS s
    INNER JOIN last_dates AS l ON s.as_of_date = l.last_date
    WHERE s.as_of_date BETWEEN $first_month AND last_day($last_month)
),

missing_from_last_date AS (
    SELECT
        e.account_id,
        e.month,
        e.as_of_date
    FROM last_date_accounts AS a
    RIGHT JOIN earlier_in_month AS e ON a.account_id = e.account_id AND a.month = e.month
    WHERE a.account_id IS NULL
),

snapshots AS (
    SELECT * FROM on_last_date
    UNION ALL
    SELECT
        s.*,
        m.month
    FROM raw.snapshots AS s
    INNER JOIN missing_from_last_date AS m
        ON s.account_id = m.account_id AND s.as_of_date = m.as_of_date
    WHERE s.as_of_date BETWEEN $first_month AND last_day($last_month)
),

state_buckets AS (
    SELECT bucket, sort_order, status FROM settings.buckets WHERE status IS NOT NULL
),

day_buckets AS (
    SELECT
        bucket,
        sort_order,
        min_days_past_due,
        coalesce(max_days_past_due, 2147483647) AS max_days_past_due
    FROM settings.buckets
    WHERE status IS NULL
),

bucketed AS (
    SELECT
        s.*,
        coalesce(st.bucket, d.bucket) AS bucket,
        coalesce(st.sort_order, d.sort_order) AS bucket_order,
        st.bucket IS NULL AS is_live
    FROM snapshots AS s
    LEFT JOIN state_buckets AS st ON s.status = st.status
    LEFT JOIN day_buckets AS d
        ON st.bucket IS NULL
        AND s.days_past_due BETWEEN d.min_days_past_due AND d.max_days_past_due
),

-- Months in which the account was delinquent enough to count as a past delinquency, as month
-- numbers (year x 12 + month), for the join below.
delinquent_history AS (
    SELECT DISTINCT
        h.account_id,
        year(h.as_of_date) * 12 + month(h.as_of_date) AS month_index
    FROM raw.snapshots AS h
    CROSS JOIN parameters AS p
    WHERE
        h.days_past_due >= p.past_delinquency_min_days_past_due
        AND h.as_of_date < $last_month
        AND year(h.as_of_date) * 12 + month(h.as_of_date)
        >= year($first_month) * 12 + month($first_month) - p.history_months
),

-- For each month of this build, how many of the account's earlier months within the window
-- were past delinquencies (only accounts with such months have a row).
past AS (
    SELECT
        h.account_id,
        l.month,
        count(*) AS past_delinquencies
    FROM delinquent_history AS h
    CROSS JOIN parameters AS p
    INNER JOIN last_dates AS l
        ON
            h.month_index >= year(l.month) * 12 + month(l.month) - p.history_months
            AND h.month_index <= year(l.month) * 12 + month(l.month) - 1
    GROUP BY h.account_id, l.month
),

-- Payments matter to the cause only for accounts past due at their picture: the payments of
-- the month that left the account still past due (partial payments).
past_due_accounts AS (
    SELECT
        s.account_id,
        l.month
    FROM raw.snapshots AS s
    INNER JOIN last_dates AS l ON s.as_of_date = l.last_date
    WHERE s.days_past_due > 0 AND s.as_of_date BETWEEN $first_month AND last_day($last_month)
    UNION ALL
    SELECT
        s.account_id,
        m.month
    FROM raw.snapshots AS s
    INNER JOIN missing_from_last_date AS m
        ON s.account_id = m.account_id AND s.as_of_date = m.as_of_date
    WHERE s.days_past_due > 0 AND s.as_of_date BETWEEN $first_month AND last_day($last_month)
),

partial_payments AS (
    SELECT
        p.month,
        p.account_id,
        p.collected
    FROM core.account_payments AS p
    INNER JOIN past_due_accounts AS a ON p.account_id = a.account_id AND p.month = a.month
    WHERE p.month BETWEEN $first_month AND $last_month
),

debtor_contacts AS (
    SELECT
        c.account_id,
        c.outcome,
        CAST(date_trunc('month', c.started_at AT TIME ZONE bank.timezone) AS DATE) AS month
    FROM raw.contacts AS c
    CROSS JOIN settings.bank_timezone AS bank
    WHERE
        c.party = 'debtor'
        -- a day either side of the months: the exact month is taken in the bank's zone
        AND c.started_at >= $first_month - INTERVAL 1 DAY
        AND c.started_at < last_day($last_month) + INTERVAL 2 DAY
),

contacts AS (
    SELECT
        account_id,
        month,
        count(*) AS right_party_contacts,
        count(*) FILTER (WHERE outcome = 'refused') AS refusals
    FROM debtor_contacts
    WHERE month BETWEEN $first_month AND $last_month
    GROUP BY account_id, month
),

with_account AS (
    SELECT
        s.month,
        s.account_id,
        s.as_of_date,
        s.bucket,
        s.bucket_order,
        s.is_live,
        s.status,
        s.balance,
        s.min_due,
        coalesce(s.overdue_principal, 0) + coalesce(s.overdue_interest, 0)
        + coalesce(s.overdue_fees, 0) AS overdue_amount,
        s.days_past_due,
        s.cycles_delinquent,
        a.product,
        a.branch,
        a.province,
        a.city,
        a.employment_type,
        a.credit_score,
        a.credit_limit,
        CAST(date_trunc('month', a.open_date) AS DATE) AS vintage,
        (year(s.month) - year(a.open_date)) * 12 + month(s.month) - month(a.open_date)
            AS months_on_book,
        coalesce(pay.collected, 0) AS partial_payments,
        coalesce(c.right_party_contacts, 0) AS right_party_contacts,
        coalesce(c.refusals, 0) AS refusals,
        coalesce(h.past_delinquencies, 0) AS past_delinquencies,
        e.risk_grade AS employment_risk_grade,
        coalesce(e.no_regular_income, FALSE) AS no_regular_income
    FROM bucketed AS s
    -- The accounts record in force on the picture's date (core.account_versions).
    LEFT JOIN core.account_versions AS a
        ON s.account_id = a.account_id
        AND (a.in_force_from IS NULL OR s.as_of_date >= a.in_force_from)
        AND (a.in_force_until IS NULL OR s.as_of_date < a.in_force_until)
    LEFT JOIN partial_payments AS pay ON s.account_id = pay.account_id AND s.month = pay.month
    LEFT JOIN contacts AS c ON s.account_id = c.account_id AND s.month = c.month
    LEFT JOIN past AS h ON s.account_id = h.account_id AND s.month = h.month
    LEFT JOIN settings.employment_risk AS e ON a.employment_type = e.employment_type
),

-- The grades are the procedure's three (low / medium / high); their thresholds are settings.
thresholds AS (
    SELECT
        max(min_days_past_due) FILTER (WHERE risk_grade = 'high') AS high_min_dpd,
        max(min_overdue_amount) FILTER (WHERE risk_grade = 'high') AS high_min_overdue,
        max(below_credit_score) FILTER (WHERE risk_grade = 'high') AS high_below_score,
        max(min_past_delinquencies) FILTER (WHERE risk_grade = 'high') AS high_min_past,
        max(min_days_past_due) FILTER (WHERE risk_grade = 'medium') AS medium_min_dpd,
        max(min_overdue_amount) FILTER (WHERE risk_grade = 'medium') AS medium_min_overdue,
        max(below_credit_score) FILTER (WHERE risk_grade = 'medium') AS medium_below_score,
        max(min_past_delinquencies) FILTER (WHERE risk_grade = 'medium') AS medium_min_past
    FROM settings.risk_grades
),

graded AS (
    SELECT
        w.*,
        CASE
            WHEN
                w.days_past_due >= t.high_min_dpd
                OR w.overdue_amount >= t.high_min_overdue
                OR w.credit_score < t.high_below_score
                OR w.past_delinquencies >= t.high_min_past
                OR w.employment_risk_grade = 'high'
                THEN 'high'
            WHEN
                w.days_past_due >= t.medium_min_dpd
                OR w.overdue_amount >= t.medium_min_overdue
                OR w.credit_score < t.medium_below_score
                OR w.past_delinquencies >= t.medium_min_past
                OR w.employment_risk_grade = 'medium'
                THEN 'medium'
            ELSE 'low'
        END AS risk_grade,
        coalesce(
            w.no_regular_income
            OR (w.credit_limit > 0 AND w.balance >= w.credit_limit * p.unable_min_utilisation)
            OR w.partial_payments > 0,
            FALSE
        ) AS shows_inability
    FROM with_account AS w
    CROSS JOIN thresholds AS t
    CROSS JOIN parameters AS p
),

-- Which factors put the account in its grade, checked against that grade's own thresholds.
explained AS (
    SELECT
        g.*,
        nullif(
            concat_ws(
                ', ',
                CASE WHEN g.days_past_due >= r.min_days_past_due THEN 'days past due' END,
                CASE WHEN g.overdue_amount >= r.min_overdue_amount THEN 'amount overdue' END,
                CASE WHEN g.credit_score < r.below_credit_score THEN 'credit score' END,
                CASE
                    WHEN g.past_delinquencies >= r.min_past_delinquencies
                        THEN 'past delinquencies'
                END,
                CASE WHEN g.employment_risk_grade = g.risk_grade THEN 'employment' END
            ),
            ''
        ) AS risk_factors,
        CASE
            WHEN NOT g.is_live OR g.days_past_due < 1 THEN NULL
            WHEN g.refusals > 0 THEN 'wilful'
            WHEN
                g.days_past_due >= p.wilful_min_days_past_due
                AND g.right_party_contacts > 0
                AND g.partial_payments = 0
                AND NOT g.shows_inability
                THEN 'wilful'
            WHEN
                NOT g.shows_inability
                AND g.days_past_due <= p.forgetful_max_days_past_due
                AND g.past_delinquencies <= p.forgetful_max_past_delinquencies
                THEN 'forgetful'
            ELSE 'unable'
        END AS delinquency_cause
    FROM graded AS g
    LEFT JOIN settings.risk_grades AS r ON g.risk_grade = r.risk_grade
    CROSS JOIN parameters AS p
)

SELECT
    x.month,
    x.account_id,
    x.as_of_date,
    x.bucket,
    x.bucket_order,
    x.status,
    x.balance,
    x.min_due,
    x.overdue_amount,
    x.days_past_due,
    x.cycles_delinquent,
    x.product,
    x.branch,
    x.province,
    x.city,
    x.employment_type,
    x.credit_score,
    x.credit_limit,
    x.vintage,
    x.months_on_book,
    x.partial_payments,
    x.right_party_contacts,
    x.refusals,
    x.past_delinquencies,
    x.risk_grade,
    x.risk_factors,
    x.delinquency_cause,
    t.treatment
FROM explained AS x
LEFT JOIN settings.treatments AS t
    ON x.risk_grade = t.risk_grade AND x.delinquency_cause = t.delinquency_cause;
