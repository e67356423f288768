-- One row per academic year x school type (phase_type_grouping, 'Total' = all pupils) x group
-- set x group: pupils' headcount in the ethnic group and its share, England. Group sets as in
-- rep_workforce_by_grade: ethnicity_major, ethnicity_white_british, ethnicity_minority_ethnic
-- (DfE / GSS: all except White British), ethnicity_white_vs_minority
-- and ethnicity_unknown_detail (Unclassified: refused or not obtained). share_of_all_pct divides
-- by all pupils, Unclassified included: DfE's published percent_of_pupils basis (White British
-- 69.3% of all pupils in 2015/16, 63.9% in 2021/22); share_of_known_pct by pupils whose
-- ethnicity is classified, the basis used when comparing with teachers. The school census
-- counts every pupil: a population, not a sample, so no sampling interval applies. The file
-- has no sex breakdown, so pupils are compared on ethnicity only. Published figures.
WITH

pupils AS (
    SELECT *
    FROM staging.spc_pupils_ethnicity_and_language
    WHERE geographic_level = 'National' AND language = 'Total'
),

ethnicity_labels AS (
    SELECT *
    FROM marts.rep_dim_ethnicity
    WHERE source = 'school_census_pupils'
),

labelled AS (
    SELECT
        p.academic_year,
        p.time_period,
        p.year_start,
        p.geographic_level,
        p.country_code AS area_code,
        p.country_name AS area_name,
        p.phase_type_grouping,
        p.ethnicity AS source_label,
        p.headcount,
        p.headcount_status = 'value' AS has_value,
        p.provenance,
        p.source_data_set,
        p.source_release,
        d.label_level,
        d.ethnicity_major,
        d.white_british_group,
        d.white_or_minority,
        d.unknown_detail,
        d.is_known
    FROM pupils AS p
    LEFT JOIN ethnicity_labels AS d ON d.source_label = p.ethnicity
),

-- Every pupil label is a minor group; an unmapped label stays in as a NULL group.
base AS (
    SELECT *
    FROM labelled
    WHERE label_level IS DISTINCT FROM 'total'
),

grouped AS (
    SELECT
        *,
        'ethnicity_major' AS group_set,
        ethnicity_major AS group_name
    FROM base
    UNION ALL
    SELECT
        *,
        'ethnicity_white_british',
        white_british_group
    FROM base
    UNION ALL
    SELECT
        *,
        'ethnicity_minority_ethnic',
        CASE
            WHEN white_british_group IN ('Other White', 'Ethnic minority')
            THEN 'Minority ethnic (all except White British)'
            ELSE white_british_group
        END
    FROM base
    UNION ALL
    SELECT
        *,
        'ethnicity_white_vs_minority',
        white_or_minority
    FROM base
    UNION ALL
    SELECT
        *,
        'ethnicity_unknown_detail',
        unknown_detail
    FROM base
    WHERE NOT is_known
),

summed AS (
    SELECT
        academic_year,
        time_period,
        year_start,
        geographic_level,
        area_code,
        area_name,
        phase_type_grouping,
        group_set,
        group_name,
        bool_and(is_known) AS group_is_known,
        CASE WHEN bool_and(has_value) THEN sum(headcount) END AS headcount,
        CASE WHEN bool_or(provenance = 'synthetic') THEN 'synthetic' ELSE 'published' END
            AS provenance,
        string_agg(DISTINCT source_data_set, '; ') AS source_data_set,
        string_agg(DISTINCT source_release, '; ') AS source_release
    FROM grouped
    GROUP BY ALL
),

-- Denominators come from the major set, so every set shares them.
with_denominators AS (
    SELECT
        *,
        sum(headcount) FILTER (WHERE group_set = 'ethnicity_major') OVER one_phase
            AS denominator_all_headcount,
        sum(headcount) FILTER (WHERE group_set = 'ethnicity_major' AND group_is_known)
            OVER one_phase AS denominator_known_headcount,
        bool_and(headcount IS NOT NULL) FILTER (WHERE group_set = 'ethnicity_major')
            OVER one_phase AS cell_complete
    FROM summed
    WINDOW one_phase AS (PARTITION BY time_period, area_code, phase_type_grouping)
)

SELECT
    academic_year,
    time_period,
    year_start,
    geographic_level,
    area_code,
    area_name,
    phase_type_grouping,
    group_set,
    group_name,
    group_is_known,
    CAST(headcount AS DOUBLE) AS headcount,
    CAST(CASE WHEN cell_complete THEN denominator_all_headcount END AS DOUBLE)
        AS denominator_all_headcount,
    CAST(CASE WHEN cell_complete THEN denominator_known_headcount END AS DOUBLE)
        AS denominator_known_headcount,
    -- NULLIF: a phase with no pupils (or none classified) has no share, not NaN.
    CASE WHEN cell_complete THEN 100.0 * headcount / nullif(denominator_all_headcount, 0) END
        AS share_of_all_pct,
    CASE
        WHEN cell_complete AND group_is_known
        THEN 100.0 * headcount / nullif(denominator_known_headcount, 0)
    END AS share_of_known_pct,
    'share_of_all_pct: all pupils, Unclassified included (DfE headline basis); '
    || 'share_of_known_pct: pupils of classified ethnicity' AS share_denominators,
    coalesce(
        headcount < $low_count_threshold OR denominator_all_headcount < $low_count_threshold,
        true
    ) AS low_count,
    'School census: a census of all pupils, not a sample; no sampling interval applies.'
        AS statistical_basis,
    provenance,
    source_data_set,
    source_release
FROM with_denominators
ORDER BY year_start, phase_type_grouping, group_set, group_name
