-- One row per academic year x establishment type x gap (disadvantage, ethnicity) x pupil group:
-- KS4 Attainment 8, Progress 8 and English and maths grade 5+ of the group (all pupils, boys
-- and girls together) beside those of its comparison group, and the gap between them (group
-- minus comparison, in points or percentage points). Disadvantaged pupils are compared with all
-- other pupils; each major ethnic group with all pupils. Group and comparison figures are
-- published (KS4 national characteristics 2023/24 revised, 2018/19 to 2023/24); the gaps are
-- differences of published figures, so every row is `derived`. A gap is null where either
-- figure is not published (Progress 8 was not calculated for 2019/20 and 2020/21).
WITH

cells AS (
    SELECT
        academic_year,
        time_period,
        year_start,
        version,
        establishment_type_group,
        breakdown,
        disadvantage,
        ethnicity_major,
        CAST(t_pupils AS BIGINT) AS pupils,
        avg_att8 AS attainment8,
        avg_p8score AS progress8,
        pt_l2basics_95 AS engmath_95_percent
    FROM staging.ks4_national_char
    -- Some rows cross a pupil characteristic with a school one (admission type, religious
    -- character): only the rows for all pupils of the establishment type are read.
    WHERE sex = 'Total'
        AND ethnicity_minor = 'Total'
        AND free_school_meals = 'Total'
        AND sen_provision = 'Total'
        AND sen_status = 'Total'
        AND sen_primary_need = 'Total'
        AND first_language = 'Total'
        AND admission_type = 'Total'
        AND religious_denomination = 'Total'
),

groups AS (
    SELECT 'disadvantage' AS gap, disadvantage AS pupil_group, 'Disadvantaged all other'
        AS comparison_group, *
    FROM cells
    WHERE breakdown = 'Disadvantage' AND disadvantage = 'Disadvantaged' AND ethnicity_major = 'Total'
    UNION ALL
    SELECT 'ethnicity' AS gap, ethnicity_major AS pupil_group, 'All pupils' AS comparison_group,
        *
    FROM cells
    WHERE breakdown = 'Ethnicity major' AND ethnicity_major <> 'Total' AND disadvantage = 'Total'
),

comparisons AS (
    SELECT 'Disadvantaged all other' AS comparison_group, *
    FROM cells
    WHERE
        breakdown = 'Disadvantage'
        AND disadvantage = 'Disadvantaged all other'
        AND ethnicity_major = 'Total'
    UNION ALL
    SELECT 'All pupils' AS comparison_group, *
    FROM cells
    WHERE breakdown = 'Total' AND disadvantage = 'Total' AND ethnicity_major = 'Total'
)

SELECT
    g.academic_year,
    g.time_period,
    g.year_start,
    g.version,
    g.establishment_type_group,
    g.gap,
    g.pupil_group,
    g.comparison_group,
    g.pupils,
    c.pupils AS comparison_pupils,
    g.attainment8,
    c.attainment8 AS comparison_attainment8,
    round(g.attainment8 - c.attainment8, 1) AS attainment8_gap,
    g.progress8,
    c.progress8 AS comparison_progress8,
    round(g.progress8 - c.progress8, 2) AS progress8_gap,
    g.engmath_95_percent,
    c.engmath_95_percent AS comparison_engmath_95_percent,
    round(g.engmath_95_percent - c.engmath_95_percent, 1) AS engmath_95_gap_pp,
    'derived' AS provenance,
    'KS4 national characteristics 2023/24 revised (staging.ks4_national_char)' AS derived_from
FROM groups AS g
INNER JOIN comparisons AS c
    ON g.comparison_group = c.comparison_group
    AND g.time_period = c.time_period
    AND g.establishment_type_group = c.establishment_type_group
ORDER BY g.year_start, g.establishment_type_group, g.gap, g.pupil_group
