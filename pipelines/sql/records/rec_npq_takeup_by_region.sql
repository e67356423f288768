-- One row per start year x funding x region: NPQ starts, the region's teachers in that year's
-- census (NULL without one) and starts per 1,000 teachers.
WITH

starts AS (
    SELECT c.time_period, f.funding, c.region_code, sum(c.npq_starts)::BIGINT AS npq_starts
    FROM staging.rec_npq_cube AS c
    JOIN rec_fundings() AS f ON f.funding = 'Overall' OR c.funded
    GROUP BY ALL
),

teachers AS (
    SELECT time_period, region_code, sum(headcount)::BIGINT AS teachers_headcount
    FROM staging.rec_teacher_census_cube
    GROUP BY ALL
)

SELECT
    s.time_period,
    rec_academic_year(s.time_period) AS academic_year,
    s.funding,
    s.region_code,
    s.npq_starts,
    -- 0 when the year's census has nobody in the region; NULL when there is no census
    CASE WHEN c.time_period IS NOT NULL THEN coalesce(t.teachers_headcount, 0) END
        AS teachers_headcount,
    s.npq_starts * 1000.0 / nullif(teachers_headcount, 0) AS starts_per_1000_teachers
FROM starts AS s
LEFT JOIN teachers AS t USING (time_period, region_code)
LEFT JOIN (SELECT DISTINCT time_period FROM teachers) AS c USING (time_period)
ORDER BY s.time_period, s.funding, s.region_code
