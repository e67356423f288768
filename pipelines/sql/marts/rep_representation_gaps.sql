-- One row per academic year x area x grade x comparator x group set x group: a group's share
-- at a grade against its share among classroom teachers, all teachers, or pupils, as a
-- percentage-point gap (grade minus comparator) and a representation ratio (grade / comparator;
-- below 1 = under-represented). Leadership grades (head, deputy, assistant head, leadership)
-- are compared with classroom teachers, all teachers and pupils; classroom teachers and all
-- teachers with pupils. Shares of known groups use known ethnicity (or sex) on both sides;
-- the Unknown group uses all people. Bounds: gap_pp_lower_bound puts every unknown at the grade
-- outside the group and every unknown in the comparator inside it, gap_pp_upper_bound the
-- reverse; gap_sign_robust says whether the sign of the gap survives both. Regions: teachers
-- only (pupils are national in the embedded data). Both censuses count whole populations, not
-- samples: no sampling interval applies; low_count marks a side resting on fewer than 10
-- people (parameter low_count_threshold). provenance is synthetic when any input is synthetic
-- (the workforce in the embedded default), derived when two published sources are compared.
WITH

workforce AS (
    SELECT *
    FROM marts.rep_workforce_by_grade
),

pupils AS (
    SELECT *
    FROM marts.rep_pupils_by_ethnicity
    WHERE phase_type_grouping = 'Total'
),

populations AS (
    SELECT
        academic_year,
        time_period,
        year_start,
        geographic_level,
        area_code,
        area_name,
        grade AS population,
        grade_order,
        is_leadership_grade,
        'school_workforce' AS population_source,
        group_set,
        group_name,
        group_is_known,
        headcount,
        denominator_all_headcount,
        denominator_known_headcount,
        CASE WHEN group_is_known THEN share_of_known_pct ELSE share_of_all_pct END AS share_pct,
        low_count,
        provenance
    FROM workforce
    UNION ALL
    SELECT
        academic_year,
        time_period,
        year_start,
        geographic_level,
        area_code,
        area_name,
        'Pupils',
        0,
        false,
        'school_census_pupils',
        group_set,
        group_name,
        group_is_known,
        headcount,
        denominator_all_headcount,
        denominator_known_headcount,
        CASE WHEN group_is_known THEN share_of_known_pct ELSE share_of_all_pct END,
        low_count,
        provenance
    FROM pupils
),

-- The share a known group could reach if every unknown were outside it (low) or in it (high).
with_range AS (
    SELECT
        *,
        CASE
            WHEN group_is_known THEN 100.0 * headcount / denominator_all_headcount
        END AS share_low_pct,
        CASE
            WHEN group_is_known
            THEN 100.0 * (headcount + denominator_all_headcount - denominator_known_headcount)
                / denominator_all_headcount
        END AS share_high_pct
    FROM populations
),

-- Leadership grades against classroom teachers and all teachers (same area); every grade
-- against pupils (national only: pupils have no regional rows here).
pairs AS (
    SELECT
        s.academic_year,
        s.time_period,
        s.year_start,
        s.geographic_level,
        s.area_code,
        s.area_name,
        s.population AS grade,
        s.grade_order,
        c.population AS comparator,
        s.group_set,
        s.group_name,
        s.group_is_known,
        s.headcount AS grade_headcount,
        s.share_pct AS grade_share_pct,
        c.headcount AS comparator_headcount,
        c.share_pct AS comparator_share_pct,
        s.share_low_pct - c.share_high_pct AS gap_pp_lower_bound,
        s.share_high_pct - c.share_low_pct AS gap_pp_upper_bound,
        s.low_count OR c.low_count AS low_count,
        s.provenance AS grade_provenance,
        c.provenance AS comparator_provenance,
        c.population_source AS comparator_source
    FROM with_range AS s
    JOIN with_range AS c
        ON c.time_period = s.time_period
       AND c.area_code = s.area_code
       AND c.group_set = s.group_set
       AND c.group_name = s.group_name
       AND (
            (c.population IN ('Classroom teacher', 'All teachers') AND s.is_leadership_grade)
            OR c.population = 'Pupils'
       )
    WHERE s.population_source = 'school_workforce'
)

SELECT
    academic_year,
    time_period,
    year_start,
    geographic_level,
    area_code,
    area_name,
    grade,
    grade_order,
    comparator,
    group_set,
    group_name,
    group_is_known,
    CASE
        WHEN NOT group_is_known THEN 'all people (unknown group)'
        WHEN group_set = 'sex' THEN 'people of known sex'
        ELSE 'people of known ethnicity'
    END AS share_basis,
    grade_headcount,
    grade_share_pct,
    comparator_headcount,
    comparator_share_pct,
    grade_share_pct - comparator_share_pct AS gap_pp,
    CASE
        WHEN comparator_share_pct > 0 THEN grade_share_pct / comparator_share_pct
    END AS representation_ratio,
    CASE
        WHEN grade_share_pct < comparator_share_pct THEN 'under-represented'
        WHEN grade_share_pct > comparator_share_pct THEN 'over-represented'
        WHEN grade_share_pct = comparator_share_pct THEN 'parity'
    END AS representation,
    gap_pp_lower_bound,
    gap_pp_upper_bound,
    CASE
        WHEN group_is_known THEN sign(gap_pp_lower_bound) = sign(gap_pp_upper_bound)
            AND sign(gap_pp_lower_bound) <> 0
    END AS gap_sign_robust,
    coalesce(low_count, true) AS low_count,
    'Census populations (School Workforce Census; school census for pupils), not samples: no '
    || 'sampling interval applies. The bounds show how far unknown and refused ethnicity could '
    || 'move the gap.' AS statistical_basis,
    CASE
        WHEN grade_provenance = 'synthetic' OR comparator_provenance = 'synthetic'
        THEN 'synthetic'
        WHEN comparator_source <> 'school_workforce' THEN 'derived'
        ELSE grade_provenance
    END AS provenance,
    'school_workforce: ' || grade_provenance
    || CASE
        WHEN comparator_source <> 'school_workforce'
        THEN '; ' || comparator_source || ': ' || comparator_provenance
        ELSE ''
    END AS inputs_provenance
FROM pairs
ORDER BY year_start, geographic_level, area_code, grade_order, comparator, group_set, group_name
