-- One row per academic year x group set x group x stage of the pipeline into headship
-- (England): pupils -> classroom teachers -> assistant heads -> deputy heads -> head teachers.
-- Each stage gives the group's share (known ethnicity or sex; the Unknown group as a share of
-- everyone), the step from the stage before in percentage points and as a ratio (below 1 = the
-- group thins out at that step), and its ratio to its share among pupils and among classroom
-- teachers. Pupils appear only in years with a pupil census file (2015/16-2021/22 in the
-- embedded data) and never for sex (the pupil file has no sex breakdown); classroom teachers
-- are then the first stage. Census populations, not samples: no sampling interval applies;
-- low_count marks a stage or step resting on fewer than 10 people (parameter
-- low_count_threshold). provenance is synthetic when any input is synthetic (the workforce in
-- the embedded default), derived when published workforce and pupil figures are combined; a
-- pupil row uses pupil figures only (its ratio to classroom teachers is left to the teacher
-- rows' ratio_to_pupils), so it keeps the pupil census's provenance.
WITH

stages AS (
    SELECT *
    FROM (
        VALUES
            ('Pupils', 1),
            ('Classroom teacher', 2),
            ('Assistant head teacher', 3),
            ('Deputy head teacher', 4),
            ('Head teacher', 5)
    ) AS t(stage, stage_order)
),

workforce AS (
    SELECT *
    FROM marts.rep_workforce_by_grade
    WHERE geographic_level = 'National' AND group_set <> 'ethnicity_unknown_detail'
),

pupils AS (
    SELECT *
    FROM marts.rep_pupils_by_ethnicity
    WHERE phase_type_grouping = 'Total' AND group_set <> 'ethnicity_unknown_detail'
),

populations AS (
    SELECT
        academic_year,
        time_period,
        year_start,
        grade AS stage,
        'school_workforce' AS stage_source,
        group_set,
        group_name,
        group_is_known,
        headcount,
        CASE WHEN group_is_known THEN share_of_known_pct ELSE share_of_all_pct END AS share_pct,
        low_count,
        provenance
    FROM workforce
    UNION ALL
    SELECT
        academic_year,
        time_period,
        year_start,
        'Pupils',
        'school_census_pupils',
        group_set,
        group_name,
        group_is_known,
        headcount,
        CASE WHEN group_is_known THEN share_of_known_pct ELSE share_of_all_pct END,
        low_count,
        provenance
    FROM pupils
),

staged AS (
    SELECT p.*, s.stage_order
    FROM populations AS p
    JOIN stages AS s USING (stage)
),

stepped AS (
    SELECT
        *,
        lag(stage) OVER chain AS previous_stage,
        lag(share_pct) OVER chain AS previous_share_pct,
        lag(low_count) OVER chain AS previous_low_count,
        max(share_pct) FILTER (WHERE stage = 'Pupils') OVER one_chain AS pupils_share_pct,
        max(share_pct) FILTER (WHERE stage = 'Classroom teacher') OVER one_chain
            AS classroom_teachers_share_pct,
        bool_or(provenance = 'synthetic') OVER one_chain AS any_synthetic,
        bool_or(stage_source = 'school_census_pupils') OVER one_chain AS has_pupils,
        string_agg(
            DISTINCT stage_source || ': ' || provenance, '; '
            ORDER BY stage_source || ': ' || provenance DESC
        ) OVER one_chain
            AS inputs_provenance
    FROM staged
    WINDOW
        chain AS (PARTITION BY time_period, group_set, group_name ORDER BY stage_order),
        one_chain AS (PARTITION BY time_period, group_set, group_name)
)

SELECT
    academic_year,
    time_period,
    year_start,
    group_set,
    group_name,
    group_is_known,
    stage_order,
    stage,
    CASE
        WHEN NOT group_is_known THEN 'all people (unknown group)'
        WHEN group_set = 'sex' THEN 'people of known sex'
        ELSE 'people of known ethnicity'
    END AS share_basis,
    headcount,
    share_pct,
    previous_stage,
    previous_share_pct,
    share_pct - previous_share_pct AS step_change_pp,
    CASE WHEN previous_share_pct > 0 THEN share_pct / previous_share_pct END AS step_ratio,
    CASE WHEN pupils_share_pct > 0 THEN share_pct / pupils_share_pct END AS ratio_to_pupils,
    CASE
        WHEN classroom_teachers_share_pct > 0 AND stage <> 'Pupils'
        THEN share_pct / classroom_teachers_share_pct
    END AS ratio_to_classroom_teachers,
    coalesce(low_count OR coalesce(previous_low_count, false), true) AS low_count,
    'Census populations (school census, School Workforce Census), not samples: no sampling '
    || 'interval applies. A falling share from one stage to the next is a leak.'
        AS statistical_basis,
    CASE
        WHEN stage = 'Pupils' THEN provenance  -- its own figures only (no step before it)
        WHEN any_synthetic THEN 'synthetic'
        WHEN has_pupils THEN 'derived'
        ELSE 'published'
    END AS provenance,
    inputs_provenance
FROM stepped
ORDER BY year_start, group_set, group_name, stage_order
