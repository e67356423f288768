-- One row per start year x funding (Overall, Funded): NPQ starts, distinct participants, and
-- the running total against the 150,000-place target over 2021/22 to 2023/24.
WITH

starts AS (
    SELECT c.time_period, f.funding, sum(c.npq_starts)::BIGINT AS npq_starts
    FROM staging.rec_npq_cube AS c
    JOIN rec_fundings() AS f ON f.funding = 'Overall' OR c.funded
    GROUP BY ALL
),

windowed AS (
    SELECT
        s.*,
        u.npq_unique_participants,
        CASE WHEN s.time_period BETWEEN 202122 AND 202324 THEN
            sum(CASE WHEN s.time_period BETWEEN 202122 AND 202324 THEN s.npq_starts END)
                OVER (PARTITION BY s.funding ORDER BY s.time_period)
        END::BIGINT AS cumulative_npq_starts_in_window
    FROM starts AS s
    JOIN staging.rec_npq_unique AS u USING (time_period, funding)
)

SELECT
    time_period,
    rec_academic_year(time_period) AS academic_year,
    funding,
    npq_starts,
    npq_unique_participants::BIGINT AS npq_unique_participants,
    cumulative_npq_starts_in_window,
    cumulative_npq_starts_in_window * 100.0 / 150000 AS percent_of_target
FROM windowed
ORDER BY time_period, funding
