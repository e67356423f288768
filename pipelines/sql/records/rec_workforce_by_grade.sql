-- One row per census year x area (England, each region) x grade x group set x group: teachers'
-- headcount from the record-level census, with both denominators and both shares.
WITH

grouped AS (
    SELECT
        c.time_period,
        c.region_code,
        c.grade,
        s.group_set,
        rec_group_name(s.group_set, c.sex, c.ethnicity_major, c.ethnicity_minor) AS group_name,
        rec_group_is_known(s.group_set, c.sex, c.ethnicity_major) AS group_is_known,
        c.headcount
    FROM staging.rec_teacher_census_cube AS c
    CROSS JOIN rec_group_sets() AS s
),

graded AS (
    SELECT time_period, region_code, grade, group_set, group_name, group_is_known, headcount
    FROM grouped
    UNION ALL
    SELECT time_period, region_code, 'Leadership', group_set, group_name, group_is_known, headcount
    FROM grouped
    WHERE grade <> 'Classroom teacher'
    UNION ALL
    SELECT time_period, region_code, 'All teachers', group_set, group_name, group_is_known, headcount
    FROM grouped
),

areas AS (
    SELECT time_period, 'E92000001' AS area_code, grade, group_set, group_name, group_is_known,
           sum(headcount)::BIGINT AS headcount
    FROM graded
    GROUP BY ALL
    UNION ALL
    SELECT time_period, region_code, grade, group_set, group_name, group_is_known,
           sum(headcount)::BIGINT
    FROM graded
    GROUP BY ALL
),

denominators AS (
    SELECT
        *,
        sum(headcount) OVER line AS denominator_all_headcount,
        coalesce(sum(CASE WHEN group_is_known THEN headcount END) OVER line, 0)
            AS denominator_known_headcount
    FROM areas
    WINDOW line AS (PARTITION BY time_period, area_code, grade, group_set)
)

SELECT
    time_period,
    rec_academic_year(time_period) AS academic_year,
    area_code,
    grade,
    group_set,
    group_name,
    group_is_known,
    headcount,
    denominator_all_headcount::BIGINT AS denominator_all_headcount,
    denominator_known_headcount::BIGINT AS denominator_known_headcount,
    headcount * 100.0 / denominator_all_headcount AS share_of_all_pct,
    CASE WHEN group_is_known AND denominator_known_headcount > 0
         THEN headcount * 100.0 / denominator_known_headcount END AS share_of_known_pct
FROM denominators
ORDER BY time_period, area_code, grade, group_set, group_name
