-- One row per pilot x evaluation year x unit level x arm (and Total) x stage (analysed, lost, Total = allocated): CONSORT-style flow on each pilot's first primary outcome.
-- Source: staging.pilot_outcomes (each unit's status on the primary outcome measured in the evaluation year), arms from staging.pilot_participants (participant outcomes) or staging.pilot_schools (school and pupil outcomes), primary outcome from marts.pilot_registry. For a cluster-randomised pilot its schools are counted too (analysed when any pupil is). These are counts BEFORE disclosure control: the asset passes them through pipelines/disclosure.protect and only the protected table is stored.
WITH registry AS (
    SELECT pilot_id, primary_outcomes[1] AS outcome_id, design
    FROM marts.pilot_registry
),

participant_arms AS (
    SELECT DISTINCT pilot_id, participant_id, arm
    FROM staging.pilot_participants
),

school_arms AS (
    SELECT DISTINCT pilot_id, school_id, arm
    FROM staging.pilot_schools
    WHERE arm <> 'not_allocated'
),

measured AS (
    SELECT
        o.pilot_id,
        o.evaluation_year,
        o.unit_level,
        o.outcome_id,
        o.unit_id,
        o.school_id,
        o.status,
        o.provenance,
        r.design,
        coalesce(p.arm, s.arm) AS arm
    FROM staging.pilot_outcomes AS o
    INNER JOIN registry AS r ON o.pilot_id = r.pilot_id AND o.outcome_id = r.outcome_id
    LEFT JOIN participant_arms AS p
        ON o.unit_level = 'participant' AND o.pilot_id = p.pilot_id AND o.unit_id = p.participant_id
    LEFT JOIN school_arms AS s
        ON o.unit_level <> 'participant' AND o.pilot_id = s.pilot_id AND o.school_id = s.school_id
    WHERE o.measured_year = o.evaluation_year
),

cluster_schools AS (
    SELECT
        pilot_id,
        evaluation_year,
        'school' AS unit_level,
        outcome_id,
        school_id AS unit_id,
        CASE WHEN bool_or(status = 'measured') THEN 'measured' ELSE 'lost' END AS status,
        min(provenance) AS provenance,
        min(arm) AS arm
    FROM measured
    WHERE unit_level = 'pupil' AND design = 'cluster_randomised'
    GROUP BY pilot_id, evaluation_year, outcome_id, school_id
),

units AS (
    SELECT
        pilot_id, evaluation_year, unit_level, outcome_id, arm, provenance,
        CASE WHEN status = 'measured' THEN 'analysed' ELSE 'lost' END AS stage
    FROM measured
    WHERE arm IS NOT NULL
    UNION ALL
    SELECT
        pilot_id, evaluation_year, unit_level, outcome_id, arm, provenance,
        CASE WHEN status = 'measured' THEN 'analysed' ELSE 'lost' END AS stage
    FROM cluster_schools
),

tables AS (
    SELECT DISTINCT pilot_id, evaluation_year, unit_level, outcome_id, provenance
    FROM units
),

arms AS (
    SELECT DISTINCT pilot_id, arm FROM units
    UNION ALL
    SELECT DISTINCT pilot_id, 'Total' AS arm FROM units
),

stages AS (
    SELECT unnest(['analysed', 'lost', 'Total']) AS stage
),

counts AS (
    SELECT
        pilot_id,
        evaluation_year,
        unit_level,
        coalesce(arm, 'Total') AS arm,
        coalesce(stage, 'Total') AS stage,
        count(*) AS units
    FROM units
    GROUP BY GROUPING SETS (
        (pilot_id, evaluation_year, unit_level, arm, stage),
        (pilot_id, evaluation_year, unit_level, arm),
        (pilot_id, evaluation_year, unit_level, stage),
        (pilot_id, evaluation_year, unit_level)
    )
),

grid AS (
    SELECT
        t.pilot_id,
        t.evaluation_year,
        t.unit_level,
        t.outcome_id,
        a.arm,
        s.stage,
        t.provenance,
        coalesce(c.units, 0) AS units
    FROM tables AS t
    INNER JOIN arms AS a ON t.pilot_id = a.pilot_id
    CROSS JOIN stages AS s
    LEFT JOIN counts AS c
        ON
            t.pilot_id = c.pilot_id
            AND t.evaluation_year = c.evaluation_year
            AND t.unit_level = c.unit_level
            AND a.arm = c.arm
            AND s.stage = c.stage
)

SELECT
    pilot_id,
    evaluation_year,
    unit_level,
    outcome_id,
    arm,
    stage,
    units,
    100.0 * units / max(units) FILTER (WHERE stage = 'Total') OVER (
        PARTITION BY pilot_id, evaluation_year, unit_level, arm
    ) AS percent_of_allocated,
    provenance
FROM grid
ORDER BY pilot_id, evaluation_year, unit_level, arm, stage
