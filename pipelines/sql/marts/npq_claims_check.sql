-- One row per published claim about NPQ take-up: what was claimed, what the published data
-- say for the same measure, the difference and a verdict (matches / close, within revision /
-- does not match / cannot check: no published figure). Only published figures are used, never
-- synthetic ones. Claims are data: staging.npq_claims (data/raw/compiled/npq_claims/).
WITH

claims AS (
    SELECT
        *,
        CAST(substr(first_year, 1, 4) AS INTEGER) AS first_year_start,
        CAST(substr(last_year, 1, 4) AS INTEGER) AS last_year_start,
        CAST(replace(claimed_value, ',', '') AS DOUBLE) AS claimed
    FROM staging.npq_claims
),

headline AS (
    SELECT year_start, funding, npq_starts, npq_unique_participants, source_data_set
    FROM staging.npq_participants
    WHERE geographic_level = 'National'
      AND breakdown = 'Overall'
      AND group_name = 'Overall'
      AND provenance = 'published'
),

headline_sums AS (
    SELECT
        c.claim_id,
        count(h.year_start) = c.last_year_start - c.first_year_start + 1 AS all_years_published,
        sum(h.npq_starts) AS starts,
        sum(h.npq_unique_participants) AS unique_participants,
        any_value(h.source_data_set) AS source_data_set
    FROM claims AS c
    LEFT JOIN headline AS h
        ON h.funding = c.funding AND h.year_start BETWEEN c.first_year_start AND c.last_year_start
    GROUP BY c.claim_id, c.first_year_start, c.last_year_start
),

-- Course starts quoted in release text; the latest release wins, and a corrected text beats
-- the original one.
release_text AS (
    SELECT
        group_name,
        CAST(substr(time_period, 1, 4) AS INTEGER) AS year_start,
        value_number,
        release,
        row_number() OVER (
            PARTITION BY group_name, time_period
            ORDER BY substr(release, 1, 7) DESC, release LIKE '%original%'
        ) AS newest
    FROM staging.npq_release_text_figures
    WHERE breakdown = 'Course'
      AND indicator IN ('npq_starts', 'npq_funded_starts')
      AND funding LIKE 'Funded%'
),

observed AS (
    SELECT
        c.*,
        CASE c.measure
            WHEN 'starts' THEN CASE WHEN s.all_years_published THEN s.starts END
            WHEN 'unique_participants' THEN CASE WHEN s.all_years_published THEN s.unique_participants END
            WHEN 'remaining_to_target' THEN
                CASE WHEN s.all_years_published THEN $target_places - s.starts END
            WHEN 'course_starts' THEN r.value_number
        END AS observed,
        CASE
            WHEN c.measure = 'course_starts' THEN 'DfE release text, ' || r.release
            ELSE s.source_data_set
        END AS observed_source
    FROM claims AS c
    JOIN headline_sums AS s USING (claim_id)
    LEFT JOIN release_text AS r
        ON c.measure = 'course_starts'
       AND r.group_name = c.course
       AND r.year_start = c.first_year_start
       AND c.first_year_start = c.last_year_start
       AND c.funding = 'Funded'
       AND r.newest = 1
)

SELECT
    claim_id,
    claim,
    made_by,
    published,
    source_url,
    measure,
    funding,
    course,
    first_year,
    last_year,
    claimed AS claimed_value,
    observed AS published_value,
    claimed - observed AS difference,
    100.0 * (claimed - observed) / observed AS difference_percent,
    CASE
        WHEN observed IS NULL THEN 'cannot check: no published figure'
        WHEN claimed = observed THEN 'matches'
        WHEN abs(claimed - observed) <= CAST(tolerance_percent AS DOUBLE) / 100 * observed
            THEN 'close, within revision'
        ELSE 'does not match'
    END AS verdict,
    observed_source,
    note,
    'derived' AS provenance
FROM observed
ORDER BY claim_id
