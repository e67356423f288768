-- One row per academic year x area (England, and each of its nine regions) x grade x group set
-- x group: teachers' headcount in the group and its share of the grade, state-funded schools.
-- Grades: head, deputy head, assistant head, classroom teacher, leadership (the first three
-- together) and all teachers. Group sets: ethnicity_major (six groups, Unknown its own),
-- ethnicity_white_british (White British, Other White, Ethnic minority, Unknown; national only,
-- where the file has White minor groups), ethnicity_minority_ethnic (the DfE / GSS convention:
-- White British, 'Minority ethnic (all except White British)' with White minorities included,
-- Unknown; where the White British split exists), ethnicity_white_vs_minority (White, Ethnic
-- minority = every known group outside White, White minorities excluded, Unknown), ethnicity_unknown_detail (Refused, Information not yet obtained; national only) and
-- sex (national only). Two shares, two stated denominators: share_of_all_pct divides by every
-- teacher in the grade (unknown and refused included); share_of_known_pct by teachers whose
-- ethnicity (or sex) is known, the basis of DfE's headline teacher figures, NULL for unknown
-- groups. The School Workforce Census is a census of the whole population, not a sample: no
-- sampling interval applies; low_count marks shares resting on fewer than 10 people (parameter
-- low_count_threshold). Workforce rows are SYNTHETIC in the embedded default (provenance says so).
WITH

workforce AS (
    SELECT *
    FROM staging.workforce_teacher_characteristics
    WHERE geographic_level IN ('National', 'Regional')
      AND school_type = 'Total state-funded schools'
      AND age_group = 'Total'
      AND working_pattern = 'Total'
      AND qts_status = 'Total'
      AND on_route = 'Total'
),

ethnicity_labels AS (
    SELECT *
    FROM marts.rep_dim_ethnicity
    WHERE source = 'school_workforce'
),

cells AS (
    SELECT
        academic_year,
        time_period,
        year_start,
        geographic_level,
        coalesce(region_code, country_code) AS area_code,
        coalesce(region_name, country_name) AS area_name,
        CASE grade WHEN 'Total' THEN 'All teachers' ELSE grade END AS grade,
        sex,
        ethnicity_major AS source_major,
        CASE
            WHEN ethnicity_minor = 'Total' THEN ethnicity_major ELSE ethnicity_minor
        END AS source_label,
        headcount,
        headcount_status = 'value' AS has_value,
        provenance,
        source_data_set,
        source_release
    FROM workforce
),

-- Leadership = head + deputy head + assistant head teachers, summed label by label.
with_leadership AS (
    SELECT *
    FROM cells
    UNION ALL
    SELECT
        academic_year,
        time_period,
        year_start,
        geographic_level,
        area_code,
        area_name,
        'Leadership' AS grade,
        sex,
        source_major,
        source_label,
        sum(headcount) AS headcount,
        bool_and(has_value) AS has_value,
        CASE WHEN bool_or(provenance = 'synthetic') THEN 'synthetic' ELSE 'published' END
            AS provenance,
        string_agg(DISTINCT source_data_set, '; ') AS source_data_set,
        string_agg(DISTINCT source_release, '; ') AS source_release
    FROM cells
    WHERE grade IN ('Head teacher', 'Deputy head teacher', 'Assistant head teacher')
    GROUP BY ALL
),

labelled AS (
    SELECT
        w.*,
        d.label_level,
        d.ethnicity_major,
        d.white_british_group,
        d.white_or_minority,
        d.unknown_detail,
        d.is_known
    FROM with_leadership AS w
    LEFT JOIN ethnicity_labels AS d USING (source_label)
),

-- The finest rows of each cell: minor rows where the file has them, otherwise the major row.
-- An unmapped label stays in (as a NULL group) so the expectation suite stops it.
ethnicity_base AS (
    SELECT *
    FROM labelled
    WHERE sex = 'Total'
    QUALIFY
        label_level IS NULL
        OR label_level = 'minor'
        OR (
            label_level = 'major'
            AND count(*) OVER (
                PARTITION BY time_period, area_code, grade, sex, source_major
            ) = 1
        )
),

grouped AS (
    SELECT
        *,
        'ethnicity_major' AS group_set,
        ethnicity_major AS group_name,
        is_known AS group_is_known
    FROM ethnicity_base
    UNION ALL
    SELECT
        *,
        'ethnicity_white_british',
        white_british_group,
        is_known
    FROM ethnicity_base
    UNION ALL
    SELECT
        *,
        'ethnicity_minority_ethnic',
        CASE
            WHEN white_british_group IN ('Other White', 'Ethnic minority')
            THEN 'Minority ethnic (all except White British)'
            ELSE white_british_group
        END,
        is_known
    FROM ethnicity_base
    UNION ALL
    SELECT
        *,
        'ethnicity_white_vs_minority',
        white_or_minority,
        is_known
    FROM ethnicity_base
    UNION ALL
    SELECT
        *,
        'ethnicity_unknown_detail',
        unknown_detail,
        is_known
    FROM ethnicity_base
    WHERE NOT is_known
    UNION ALL
    SELECT
        *,
        'sex',
        sex,
        sex <> 'Unknown'
    FROM labelled
    WHERE label_level = 'total' AND sex <> 'Total'
),

-- A set is kept for a cell only when every row of the cell belongs to one of its groups (no
-- White British split from a 'White' row). The major set is always kept: an unmapped label
-- shows there as a NULL group instead of vanishing.
complete AS (
    SELECT *
    FROM grouped
    QUALIFY
        group_set = 'ethnicity_major'
        OR bool_and(group_name IS NOT NULL) OVER (
            PARTITION BY time_period, area_code, grade, group_set
        )
),

summed AS (
    SELECT
        academic_year,
        time_period,
        year_start,
        geographic_level,
        area_code,
        area_name,
        grade,
        group_set,
        group_name,
        bool_and(group_is_known) AS group_is_known,
        CASE WHEN bool_and(has_value) THEN sum(headcount) END AS headcount,
        CASE WHEN bool_or(provenance = 'synthetic') THEN 'synthetic' ELSE 'published' END
            AS provenance,
        string_agg(DISTINCT source_data_set, '; ') AS source_data_set,
        string_agg(DISTINCT source_release, '; ') AS source_release
    FROM complete
    GROUP BY ALL
),

-- Denominators: every teacher in the grade (ethnicity sets share one, taken from the major set,
-- so unknown-detail shares are shares of the whole grade too) and those of known ethnicity/sex.
with_denominators AS (
    SELECT
        *,
        CASE
            WHEN group_set = 'sex' THEN sum(headcount) OVER one_set
            ELSE sum(headcount) FILTER (WHERE group_set = 'ethnicity_major') OVER one_grade
        END AS denominator_all_headcount,
        CASE
            WHEN group_set = 'sex' THEN sum(headcount) FILTER (WHERE group_is_known) OVER one_set
            ELSE sum(headcount) FILTER (
                WHERE group_set = 'ethnicity_major' AND group_is_known
            ) OVER one_grade
        END AS denominator_known_headcount,
        -- A group with a symbol instead of a count leaves the denominators unknown too.
        CASE
            WHEN group_set = 'sex' THEN bool_and(headcount IS NOT NULL) OVER one_set
            ELSE bool_and(headcount IS NOT NULL) FILTER (
                WHERE group_set = 'ethnicity_major'
            ) OVER one_grade
        END AS cell_complete
    FROM summed
    WINDOW
        one_set AS (PARTITION BY time_period, area_code, grade, group_set),
        one_grade AS (PARTITION BY time_period, area_code, grade)
),

shares AS (
    SELECT
        *,
        -- NULLIF: an empty grade (or one with no known ethnicity) has no share, not NaN.
        CASE WHEN cell_complete THEN 100.0 * headcount / nullif(denominator_all_headcount, 0) END
            AS share_of_all_pct,
        CASE
            WHEN cell_complete AND group_is_known
            THEN 100.0 * headcount / nullif(denominator_known_headcount, 0)
        END AS share_of_known_pct
    FROM with_denominators
)

SELECT
    academic_year,
    time_period,
    year_start,
    geographic_level,
    area_code,
    area_name,
    grade,
    CASE grade
        WHEN 'Classroom teacher' THEN 1
        WHEN 'Assistant head teacher' THEN 2
        WHEN 'Deputy head teacher' THEN 3
        WHEN 'Head teacher' THEN 4
        WHEN 'Leadership' THEN 5
        WHEN 'All teachers' THEN 6
    END AS grade_order,
    grade IN ('Head teacher', 'Deputy head teacher', 'Assistant head teacher', 'Leadership')
        AS is_leadership_grade,
    group_set,
    group_name,
    group_is_known,
    CAST(headcount AS DOUBLE) AS headcount,
    CAST(CASE WHEN cell_complete THEN denominator_all_headcount END AS DOUBLE)
        AS denominator_all_headcount,
    CAST(CASE WHEN cell_complete THEN denominator_known_headcount END AS DOUBLE)
        AS denominator_known_headcount,
    share_of_all_pct,
    share_of_known_pct,
    CASE
        WHEN group_set = 'sex'
        THEN 'share_of_all_pct: all teachers in the grade; share_of_known_pct: teachers of known sex'
        ELSE 'share_of_all_pct: all teachers in the grade, unknown and refused included; '
            || 'share_of_known_pct: teachers of known ethnicity (DfE headline basis)'
    END AS share_denominators,
    coalesce(
        headcount < $low_count_threshold OR denominator_all_headcount < $low_count_threshold,
        true
    ) AS low_count,
    'School Workforce Census: a census of all teachers in state-funded schools, not a sample; '
    || 'no sampling interval applies. Changes between years are changes in the population or '
    || 'in recording (unknown ethnicity), not sampling noise.' AS statistical_basis,
    provenance,
    source_data_set,
    source_release
FROM shares
ORDER BY year_start, geographic_level, area_code, grade_order, group_set, group_name
