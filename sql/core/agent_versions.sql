-- core.agent_versions
-- Purpose: every agents record as a version of the collector, in force from its business date to
--          the next one's: a contact or a promise counts for the team and agency its agent was in
--          on its date, not for today's.
-- Grain:   one row per agent per business date of an agents record the warehouse holds.
-- Columns: in_force_from / in_force_until  as in core.account_versions (the first record also
--          stands for the time before it)
-- Sources: raw.agent_history (every agents record the loader landed) together with raw.agents
--          (the latest record per agent), as core.account_versions; a warehouse loaded before the
--          history existed is judged by its latest records.
CREATE OR REPLACE VIEW core.agent_versions AS
WITH records AS (
    SELECT
        agent_id,
        _business_date AS business_date,
        agent_name,
        team,
        agency,
        role,
        active,
        1 AS source_rank,
        _load_id,
        _line_number
    FROM raw.agent_history
    UNION ALL
    SELECT
        agent_id,
        _business_date AS business_date,
        agent_name,
        team,
        agency,
        role,
        active,
        0 AS source_rank,
        _load_id,
        _line_number
    FROM raw.agents
),

ranked AS (
    SELECT
        *,
        row_number() OVER (
            PARTITION BY agent_id, business_date
            ORDER BY source_rank, _load_id DESC, _line_number DESC
        ) AS record_rank
    FROM records
),

versions AS (
    SELECT
        *,
        row_number() OVER (PARTITION BY agent_id ORDER BY business_date) AS version_number,
        lead(business_date) OVER (PARTITION BY agent_id ORDER BY business_date) AS in_force_until
    FROM ranked
    WHERE record_rank = 1
)

SELECT
    agent_id,
    version_number,
    business_date,
    CASE WHEN version_number > 1 THEN business_date END AS in_force_from,
    in_force_until,
    agent_name,
    team,
    agency,
    role,
    active
FROM versions;
