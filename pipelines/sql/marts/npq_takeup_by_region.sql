-- One row per academic year x funding x region (England's nine regions): courses started,
-- participants matched to the School Workforce Census, the teaching workforce, the published
-- participation rate, and how far it sits from the national rate. Where take-up lags, the
-- `lags_national` flag says so. Every rate is annual (`participation_rate_kind`): that year's
-- participants as a share of that year's teaching workforce. Published regional rows (the
-- 2022/23 release: East Midlands, East of England, London, 2021/22 and 2022/23) win over
-- synthetic ones; their Overall starts are derived (funded + non-funded) and their Overall
-- participant counts unavailable. The national rate is England's own row, never a sum of
-- regions; `provenance` is the weaker of the region's and England's (published > derived >
-- synthetic). `rank_in_year` ranks the regions with a rate against each other (blank for a
-- published row ranked among synthetic ones).
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
        100.0 * npq_unique_participants_swc_eligible / teaching_workforce_headcount_swc
            AS national_rate,
        provenance AS national_provenance
    FROM staging.npq_participants
    WHERE geographic_level = 'National' AND breakdown = 'Overall' AND group_name = 'Overall'
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
    'annual' AS participation_rate_kind,
    n.national_rate AS national_percent_workforce_npq_participation,
    r.percent_workforce_npq_participation - n.national_rate AS gap_to_national_pp,
    r.percent_workforce_npq_participation < n.national_rate AS lags_national,
    -- A rank among synthetic regions is synthetic: a real region's rank is given only
    -- when every region it is ranked against is real too.
    CASE
        WHEN r.percent_workforce_npq_participation IS NULL THEN NULL
        WHEN r.provenance = 'synthetic' OR bool_and(r.provenance <> 'synthetic') OVER peers
        THEN rank() OVER (peers ORDER BY r.percent_workforce_npq_participation DESC)
    END AS rank_in_year,
    CASE
        WHEN 'synthetic' IN (r.provenance, n.national_provenance) THEN 'synthetic'
        WHEN 'derived' IN (r.provenance, n.national_provenance) THEN 'derived'
        ELSE r.provenance
    END AS provenance,
    r.source_data_set,
    r.source_release
FROM regions AS r
LEFT JOIN national AS n USING (time_period, funding)
WINDOW peers AS (PARTITION BY r.time_period, r.funding)
ORDER BY r.funding, r.year_start, r.region_code
