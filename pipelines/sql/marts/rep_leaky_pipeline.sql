-- One row per academic year x group set x group x stage of the pipeline into headship
-- (England): pupils -> early career teachers -> classroom teachers -> assistant heads -> deputy
-- heads -> head teachers.
-- Each stage gives the group's share (known ethnicity or sex; the Unknown group as a share of
-- everyone), the step from the stage before in percentage points and as a ratio (below 1 = the
-- group thins out at that step), and its ratio to its share among pupils and among classroom
-- teachers. Pupils appear only in years with a pupil census file (2015/16-2021/22 in the
-- embedded data) and never for sex (the pupil file has no sex breakdown); classroom teachers
-- are then the first stage. Early career teachers are those starting ECF-based induction in the
-- year (published ECF participants 2024-25, 2021/22-2024/25: the real entry stage), by major
-- ethnic group, White / ethnic minority and sex; a 'White' ECT row spans White British and
-- Other White, so that set has no ECT stage. Census populations, not samples: no sampling
-- interval applies;
-- low_count marks a stage or step resting on fewer than 10 people (parameter
-- low_count_threshold). provenance is synthetic when any input is synthetic (the workforce in
-- the embedded default), derived when published workforce and pupil figures are combined; a
-- pupil row uses pupil figures only (its ratio to classroom teachers is left to the teacher
-- rows' ratio_to_pupils), so it keeps the pupil census's provenance; an ECT row likewise
-- rests on ECT and pupil figures only (published, or derived when it steps from pupils).
WITH

stages AS (
    SELECT *
    FROM (
        VALUES
            ('Pupils', 1),
            ('Early career teachers', 2),
            ('Classroom teacher', 3),
            ('Assistant head teacher', 4),
            ('Deputy head teacher', 5),
            ('Head teacher', 6)
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

-- ECTs by group: ethnicity labels mapped as the NPQ release's (same publication), sex from the
-- gender breakdown. Shares as for the workforce: of those known, or of everyone for Unknown.
ect_groups AS (
    SELECT
        e.academic_year,
        e.time_period,
        e.year_start,
        e.ects,
        e.provenance,
        'ethnicity_major' AS group_set,
        d.ethnicity_major AS group_name,
        d.is_known
    FROM marts.ecf_participants_by_characteristic AS e
    INNER JOIN marts.rep_dim_ethnicity AS d
        ON d.source = 'npq_participants' AND d.source_label = e.group_name
    WHERE e.geographic_level = 'National' AND e.breakdown = 'Ethnicity'
    UNION ALL
    SELECT
        e.academic_year,
        e.time_period,
        e.year_start,
        e.ects,
        e.provenance,
        'ethnicity_white_vs_minority',
        d.white_or_minority,
        d.is_known
    FROM marts.ecf_participants_by_characteristic AS e
    INNER JOIN marts.rep_dim_ethnicity AS d
        ON d.source = 'npq_participants' AND d.source_label = e.group_name
    WHERE e.geographic_level = 'National' AND e.breakdown = 'Ethnicity'
    UNION ALL
    SELECT
        e.academic_year,
        e.time_period,
        e.year_start,
        e.ects,
        e.provenance,
        'sex',
        e.group_name,
        e.group_name <> 'Unknown'
    FROM marts.ecf_participants_by_characteristic AS e
    WHERE e.geographic_level = 'National' AND e.breakdown = 'Gender'
),

ects AS (
    SELECT
        academic_year,
        time_period,
        year_start,
        group_set,
        group_name,
        bool_and(is_known) AS group_is_known,
        sum(ects) AS headcount,
        bool_or(provenance = 'synthetic') AS synthetic
    FROM ect_groups
    GROUP BY ALL
),

ect_shares AS (
    SELECT
        *,
        100.0 * headcount / CASE
            WHEN group_is_known
            THEN sum(headcount) FILTER (WHERE group_is_known) OVER one_set
            ELSE sum(headcount) OVER one_set
        END AS share_pct
    FROM ects
    WINDOW one_set AS (PARTITION BY time_period, group_set)
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
    UNION ALL
    SELECT
        academic_year,
        time_period,
        year_start,
        'Early career teachers',
        'ecf_participants',
        group_set,
        group_name,
        group_is_known,
        headcount,
        share_pct,
        headcount < $low_count_threshold,
        CASE WHEN synthetic THEN 'synthetic' ELSE 'published' END
    FROM ect_shares
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
        stage_source || ': ' || provenance AS own_input,
        lag(stage_source || ': ' || provenance) OVER chain AS previous_input,
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
        WHEN
            classroom_teachers_share_pct > 0
            AND stage NOT IN ('Pupils', 'Early career teachers')
        THEN share_pct / classroom_teachers_share_pct
    END AS ratio_to_classroom_teachers,
    coalesce(low_count OR coalesce(previous_low_count, false), true) AS low_count,
    'Census populations (school census, ECF induction, School Workforce Census), not samples: '
    || 'no sampling '
    || 'interval applies. A falling share from one stage to the next is a leak.'
        AS statistical_basis,
    CASE
        WHEN stage = 'Pupils' THEN provenance  -- its own figures only (no step before it)
        -- its own figures, and the pupils' when it steps from them (no workforce figure)
        WHEN stage = 'Early career teachers' AND provenance = 'synthetic' THEN 'synthetic'
        WHEN stage = 'Early career teachers' AND previous_stage = 'Pupils' THEN 'derived'
        WHEN stage = 'Early career teachers' THEN provenance
        WHEN any_synthetic THEN 'synthetic'
        WHEN has_pupils THEN 'derived'
        ELSE 'published'
    END AS provenance,
    -- what this row rests on, as its provenance: pupils their census, an ECT row its own file
    -- (and the pupils' when it steps from them), teachers the whole chain
    CASE
        WHEN stage = 'Pupils' THEN own_input
        WHEN stage = 'Early career teachers' AND previous_stage = 'Pupils'
            THEN greatest(own_input, previous_input) || '; ' || least(own_input, previous_input)
        WHEN stage = 'Early career teachers' THEN own_input
        ELSE inputs_provenance
    END AS inputs_provenance
FROM stepped
ORDER BY year_start, group_set, group_name, stage_order
