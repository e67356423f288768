-- One row per academic year x funding x region (England's nine regions): courses started,
-- participants matched to the School Workforce Census, the teaching workforce, the published
-- participation rate, and how far it sits from the national rate. Where take-up lags, the
-- `lags_national` flag says so. Regional rows are synthetic in the embedded default.
WITH

regions AS (
    SELECT *
    FROM staging.npq_participants
    WHERE geographic_level = 'Regional' AND breakdown = 'Overall'
),

national AS (
    SELECT
        time_period,
        funding,
        100.0 * sum(npq_unique_participants_swc_eligible)
            / sum(teaching_workforce_headcount_swc) AS national_rate
    FROM regions
    GROUP BY ALL
)

SELECT
    r.academic_year,
    r.time_period,
    r.year_start,
    r.funding,
    r.region_code,
    r.region_name,
    CAST(r.npq_starts AS BIGINT) AS npq_starts,
    CAST(r.npq_unique_participants_swc_eligible AS BIGINT) AS npq_unique_participants_swc_eligible,
    CAST(r.teaching_workforce_headcount_swc AS BIGINT) AS teaching_workforce_headcount_swc,
    r.percent_workforce_npq_participation,
    r.percent_workforce_npq_participation_status,
    n.national_rate AS national_percent_workforce_npq_participation,
    r.percent_workforce_npq_participation - n.national_rate AS gap_to_national_pp,
    r.percent_workforce_npq_participation < n.national_rate AS lags_national,
    rank() OVER (
        PARTITION BY r.time_period, r.funding ORDER BY r.percent_workforce_npq_participation DESC
    ) AS rank_in_year,
    r.provenance,
    r.source_data_set,
    r.source_release
FROM regions AS r
JOIN national AS n USING (time_period, funding)
ORDER BY r.funding, r.year_start, r.region_code
