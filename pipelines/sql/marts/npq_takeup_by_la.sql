-- One row per academic year x funding x local authority: courses started, census-matched
-- participants, teaching workforce and participation rate, against the LA's region and England.
-- LA rows are synthetic in the embedded default.
-- Every rate is annual (`participation_rate_kind`): that year's participants as a share of
-- that year's teaching workforce; the cumulative headline is in npq_takeup_by_year.
WITH

las AS (
    SELECT *
    FROM staging.npq_participants
    WHERE geographic_level = 'Local authority' AND breakdown = 'Overall'
),

regional AS (
    SELECT
        time_period,
        funding,
        region_code,
        100.0 * sum(npq_unique_participants_swc_eligible)
            / sum(teaching_workforce_headcount_swc) AS region_rate
    FROM las
    GROUP BY ALL
),

national AS (
    SELECT
        time_period,
        funding,
        100.0 * sum(npq_unique_participants_swc_eligible)
            / sum(teaching_workforce_headcount_swc) AS national_rate
    FROM las
    GROUP BY ALL
)

SELECT
    l.academic_year,
    l.time_period,
    l.year_start,
    l.funding,
    l.region_code,
    l.region_name,
    l.new_la_code,
    l.old_la_code,
    l.la_name,
    CAST(l.npq_starts AS BIGINT) AS npq_starts,
    CAST(l.npq_unique_participants_swc_eligible AS BIGINT) AS npq_unique_participants_swc_eligible,
    CAST(l.teaching_workforce_headcount_swc AS BIGINT) AS teaching_workforce_headcount_swc,
    l.percent_workforce_npq_participation,
    l.percent_workforce_npq_participation_status,
    'annual' AS participation_rate_kind,
    r.region_rate AS region_percent_workforce_npq_participation,
    n.national_rate AS national_percent_workforce_npq_participation,
    l.percent_workforce_npq_participation < n.national_rate AS lags_national,
    l.provenance,
    l.source_data_set,
    l.source_release
FROM las AS l
JOIN regional AS r USING (time_period, funding, region_code)
JOIN national AS n USING (time_period, funding)
ORDER BY l.funding, l.year_start, l.region_code, l.old_la_code
