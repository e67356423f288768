-- One row per start year x funding x course: NPQ starts and their share of the year's starts.
WITH starts AS (
    SELECT c.time_period, f.funding, c.course_code, sum(c.npq_starts)::BIGINT AS npq_starts
    FROM staging.rec_npq_cube AS c
    JOIN rec_fundings() AS f ON f.funding = 'Overall' OR c.funded
    GROUP BY ALL
)
SELECT
    time_period,
    rec_academic_year(time_period) AS academic_year,
    funding,
    course_code,
    npq_starts,
    npq_starts * 100.0 / sum(npq_starts) OVER (PARTITION BY time_period, funding)
        AS percent_of_year_starts
FROM starts
ORDER BY time_period, funding, course_code
