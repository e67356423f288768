-- One row per academic year x funding x breakdown x group (England): take-up by participant
-- and school characteristics (phase, school type, age, gender, ethnicity, grade, working
-- pattern), each group's share of starts, and its participation rate where the census gives a
-- workforce to rate against. Breakdown rows are synthetic in the embedded default.
-- Every rate is annual (`participation_rate_kind`): that year's participants as a share of
-- that year's teaching workforce; the cumulative headline is in npq_takeup_by_year.
WITH

groups AS (
    SELECT *
    FROM staging.npq_participants
    WHERE geographic_level = 'National' AND breakdown NOT IN ('Overall', 'Course')
)

SELECT
    academic_year,
    time_period,
    year_start,
    funding,
    breakdown,
    group_name,
    CAST(npq_starts AS BIGINT) AS npq_starts,
    npq_starts_status,
    100.0 * npq_starts / sum(npq_starts) OVER (PARTITION BY time_period, funding, breakdown)
        AS percent_of_starts,
    CAST(npq_unique_participants AS BIGINT) AS npq_unique_participants,
    CAST(npq_unique_participants_swc_eligible AS BIGINT) AS npq_unique_participants_swc_eligible,
    CAST(teaching_workforce_headcount_swc AS BIGINT) AS teaching_workforce_headcount_swc,
    percent_workforce_npq_participation,
    percent_workforce_npq_participation_status,
    'annual' AS participation_rate_kind,
    provenance,
    source_data_set,
    source_release
FROM groups
ORDER BY funding, year_start, breakdown, group_name
