-- settings.risk_grades
-- Purpose: risk grading (procedure step 1). Every account-month gets one of the procedure's three
--          grades from five factors: days past due, amount overdue, credit score, past
--          delinquencies and employment stability. An account is `high` when ANY threshold of
--          the `high` row is met, else `medium` when any threshold of the `medium` row is met,
--          else `low` (the `low` row has no thresholds). An empty threshold is not used.
--          Employment stability: settings.employment_risk names the least grade each employment
--          type gets. Past delinquencies: in how many earlier months within `history_months`
--          (settings.analytics_parameters) the account was `past_delinquency_min_days_past_due`
--          or more days past due.
-- Grain:   one row per grade.
-- Defaults: high = 61+ days past due, or 10,000 yuan overdue, or score below 550, or 3 past
--          delinquencies; medium = 1+ days past due, or score below 650, or 1 past delinquency.
CREATE TABLE IF NOT EXISTS settings.risk_grades (
    risk_grade VARCHAR PRIMARY KEY,
    severity INTEGER NOT NULL,
    min_days_past_due INTEGER,
    below_credit_score INTEGER,
    min_overdue_amount DECIMAL(18, 2),
    min_past_delinquencies INTEGER
);

-- A warehouse graded before the last two factors existed gets their columns, empty (unused)
-- until a user sets them.
ALTER TABLE settings.risk_grades ADD COLUMN IF NOT EXISTS min_overdue_amount DECIMAL(18, 2);

ALTER TABLE settings.risk_grades ADD COLUMN IF NOT EXISTS min_past_delinquencies INTEGER;

INSERT INTO settings.risk_grades (
    risk_grade,
    severity,
    min_days_past_due,
    below_credit_score,
    min_overdue_amount,
    min_past_delinquencies
)
SELECT * FROM (
    VALUES
        ('high', 3, 61, 550, 10000.00, 3),
        ('medium', 2, 1, 650, NULL, 1),
        ('low', 1, NULL, NULL, NULL, NULL)
) AS defaults (
    risk_grade,
    severity,
    min_days_past_due,
    below_credit_score,
    min_overdue_amount,
    min_past_delinquencies
)
WHERE NOT EXISTS (SELECT 1 FROM settings.risk_grades);
