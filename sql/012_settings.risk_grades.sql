-- settings.risk_grades
-- Purpose: first-cut risk grading (procedure step 1) of each account-month into the procedure's
--          three grades: `high` when days past due are at or above its `min_days_past_due` OR the
--          credit score is below its `below_credit_score`; else `medium` on its own thresholds;
--          else `low` (which has no thresholds).
-- Grain:   one row per grade.
CREATE TABLE IF NOT EXISTS settings.risk_grades (
    risk_grade VARCHAR PRIMARY KEY,
    severity INTEGER NOT NULL,
    min_days_past_due INTEGER,
    below_credit_score INTEGER
);

INSERT INTO settings.risk_grades
SELECT * FROM (
    VALUES ('high', 3, 61, 550), ('medium', 2, 1, 650), ('low', 1, NULL, NULL)
) AS defaults (risk_grade, severity, min_days_past_due, below_credit_score)
WHERE NOT EXISTS (SELECT 1 FROM settings.risk_grades);
