-- settings.risk_grades
-- Purpose: first-cut risk grading (procedure step 1): an account-month takes the highest grade
--          whose conditions it meets: days past due at or above `min_days_past_due`, OR a credit
--          score below `below_credit_score`. The lowest grade has no conditions and catches the rest.
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
