-- One row per eligibility list x cohort x grouping (region, local authority, phase, school type)
-- x group: schools on DfE's NPQ funding eligibility lists (high pupil premium 2021/22; top 50%
-- by pupil premium, PP50, for autumn 2024, January 2025 and autumn 2025; RISE schools autumn
-- 2025) and their share of the list. A list that does not give an attribute counts its schools
-- under 'Not in the list' (the 2021/22 list gives URNs only; only RISE gives phase). Region is
-- the list's own (RISE) or that of the school's LA. Counts are ours, of published lists:
-- `derived`.
WITH

schools AS (
    SELECT * FROM staging.npq_eligibility
),

attributes AS (
    SELECT list, cohort, cohort_start, 'region' AS grouping, region_name AS group_name
    FROM schools
    UNION ALL
    SELECT list, cohort, cohort_start, 'local_authority' AS grouping, la_name AS group_name
    FROM schools
    UNION ALL
    SELECT list, cohort, cohort_start, 'phase' AS grouping, phase AS group_name
    FROM schools
    UNION ALL
    SELECT list, cohort, cohort_start, 'school_type' AS grouping, school_type AS group_name
    FROM schools
)

SELECT
    list,
    cohort,
    cohort_start,
    grouping,
    coalesce(group_name, 'Not in the list') AS group_name,
    count(*) AS schools,
    100.0 * count(*) / sum(count(*)) OVER (PARTITION BY list, cohort, grouping)
        AS percent_of_list,
    'derived' AS provenance
FROM attributes
GROUP BY list, cohort, cohort_start, grouping, group_name
ORDER BY cohort_start, list, grouping, group_name
