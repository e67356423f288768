-- One row per start year: NPQ starts, how many link to the same year's census, and whether
-- that census is present at all.
WITH years AS (
    SELECT
        time_period,
        sum(npq_starts)::BIGINT AS npq_starts,
        coalesce(sum(npq_starts) FILTER (WHERE linked), 0)::BIGINT AS linked_starts
    FROM staging.rec_npq_cube
    GROUP BY time_period
)
SELECT
    time_period,
    rec_academic_year(time_period) AS academic_year,
    npq_starts,
    linked_starts,
    linked_starts * 100.0 / npq_starts AS linked_pct,
    time_period IN (SELECT time_period FROM staging.rec_teacher_census_cube) AS census_available
FROM years
ORDER BY time_period
