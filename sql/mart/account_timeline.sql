-- mart.account_timeline
-- Purpose: one account's whole story in one list (账户时间线), for the Accounts page: its
--          snapshots (bucket, balance), payments and reversals, contacts with their outcomes,
--          promises and their fate, repayment plans, compliance breaches, and its risk grade
--          and treatment at each month end. Filter it by account_id: a view, so only the rows
--          of the account asked for are read.
-- Grain:   one row per event of an account: per snapshot (daily files included), payment or
--          reversal, contact attempt, promise, plan, breach (rule x attempt) and month end
--          (grade and treatment).
-- Measures (every personal value is already masked in the sources; none is added here):
--   event_date  the event's date: as_of_date, the payment/contact/promise/plan date in the bank's
--               zone (the breach's and contact's in the debtor's local time), the month end.
--   event_at    the instant when the source has one (payments, contacts, promises, plans,
--               breaches), else empty.
--   kind        snapshot | payment | reversal | contact | promise | plan | breach | grade
--   reference   the source's key (payment_id, attempt_id, promise_id, plan_id), else empty.
--   status      snapshot: bucket; contact: outcome; promise: kept/partial/broken/pending;
--               plan: its status; breach: rule_set.rule; grade: risk grade.
--   amount      snapshot: balance; payment/reversal: amount; promise: promised amount;
--               plan: instalment amount.
--   detail      a short readable note (days past due, channel and party, paid amount, rule
--               detail, treatment ...).
--   agent_id    the collector involved, when there is one.
CREATE OR REPLACE VIEW mart.account_timeline AS
SELECT
    s.account_id,
    s.as_of_date AS event_date,
    CAST(NULL AS TIMESTAMPTZ) AS event_at,
    'snapshot' AS kind,
    CAST(NULL AS VARCHAR) AS reference,
    s.bucket AS status,
    CAST(s.balance AS DECIMAL(18, 2)) AS amount,
    concat(s.days_past_due, ' dpd · ', s.status) AS detail,
    CAST(NULL AS VARCHAR) AS agent_id
FROM core.snapshot_buckets AS s

UNION ALL

SELECT
    p.account_id,
    CAST(timezone(z.timezone, p.paid_at) AS DATE) AS event_date,
    p.paid_at AS event_at,
    CASE WHEN p.is_reversal THEN 'reversal' ELSE 'payment' END AS kind,
    p.payment_id AS reference,
    p.channel AS status,
    p.amount,
    CASE WHEN p.is_reversal THEN concat('reverses ', p.reverses_payment_id) END AS detail,
    CAST(NULL AS VARCHAR) AS agent_id
FROM raw.payments AS p
CROSS JOIN settings.bank_timezone AS z

UNION ALL

SELECT
    c.account_id,
    c.local_date AS event_date,
    c.started_at AS event_at,
    'contact' AS kind,
    c.attempt_id AS reference,
    c.outcome AS status,
    CAST(NULL AS DECIMAL(18, 2)) AS amount,
    concat(c.channel, ' · ', coalesce(c.party, '–'), ' · ', c.contact_number_masked) AS detail,
    c.agent_id
FROM core.contact_attempts AS c

UNION ALL

SELECT
    o.account_id,
    o.created_date AS event_date,
    o.created_at AS event_at,
    'promise' AS kind,
    o.promise_id AS reference,
    o.status,
    o.promised_amount AS amount,
    concat('due ', o.promised_date, ' · paid ', o.paid_amount) AS detail,
    o.agent_id
FROM core.promise_outcome_rows AS o  -- the view's rows (it adds the as-of date, not needed)

UNION ALL

SELECT
    pl.account_id,
    CAST(timezone(z.timezone, coalesce(pl.requested_at, pl.approved_at)) AS DATE) AS event_date,
    coalesce(pl.requested_at, pl.approved_at) AS event_at,
    'plan' AS kind,
    pl.plan_id AS reference,
    pl.status,
    pl.instalment_amount AS amount,
    concat(pl.plan_type, ' · ', coalesce(CAST(pl.instalments AS VARCHAR), '–'), ' instalments')
        AS detail,
    CAST(NULL AS VARCHAR) AS agent_id
FROM raw.plans AS pl
CROSS JOIN settings.bank_timezone AS z

UNION ALL

SELECT
    b.account_id,
    b.local_date AS event_date,
    b.started_at AS event_at,
    'breach' AS kind,
    b.attempt_id AS reference,
    concat(b.rule_set, '.', b.rule) AS status,
    CAST(NULL AS DECIMAL(18, 2)) AS amount,
    b.detail,
    b.agent_id
FROM mart.compliance_breaches AS b

UNION ALL

SELECT
    m.account_id,
    m.as_of_date AS event_date,
    CAST(NULL AS TIMESTAMPTZ) AS event_at,
    'grade' AS kind,
    CAST(NULL AS VARCHAR) AS reference,
    m.risk_grade AS status,
    CAST(NULL AS DECIMAL(18, 2)) AS amount,
    concat(coalesce(m.delinquency_cause, '–'), ' · ', coalesce(m.treatment, '–')) AS detail,
    CAST(NULL AS VARCHAR) AS agent_id
FROM mart.account_month AS m
