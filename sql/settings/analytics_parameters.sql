-- settings.analytics_parameters
-- Purpose: the single-valued settings of the collections analytics: the history window behind
--          "past delinquencies" (risk grading), the thresholds of the delinquency-cause heuristic
--          (mart.account_month) and the averaging window of the flow rates behind expected loss
--          (mart.expected_loss). docs/metrics.md explains each measure they feed.
-- Grain:   one row per parameter.
CREATE TABLE IF NOT EXISTS settings.analytics_parameters (
    parameter VARCHAR PRIMARY KEY,
    value DECIMAL(18, 4) NOT NULL,
    description VARCHAR
);

INSERT INTO settings.analytics_parameters (parameter, value, description)
SELECT * FROM (
    VALUES
        (
            'history_months', 12,
            'past delinquencies are counted over this many months before the graded month'
        ),
        (
            'past_delinquency_min_days_past_due', 31,
            'a month counts as a past delinquency when a snapshot reached this many days past due'
        ),
        (
            'forgetful_max_days_past_due', 30,
            'cause: forgetful only up to this many days past due (the first cycle overdue)'
        ),
        (
            'forgetful_max_past_delinquencies', 0,
            'cause: forgetful only with at most this many past delinquencies'
        ),
        (
            'unable_min_utilisation', 0.95,
            'cause: a balance at or above this share of the credit limit signals inability to pay'
        ),
        (
            'wilful_min_days_past_due', 61,
            'cause: from this many days past due, reached but paying nothing while able is wilful'
        ),
        (
            'flow_rate_months', 6,
            'expected loss: flow rates are averaged (balance weighted) over this many months'
        )
) AS defaults (parameter, value, description)
WHERE NOT EXISTS (SELECT 1 FROM settings.analytics_parameters);
