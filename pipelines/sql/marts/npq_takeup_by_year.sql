-- One row per academic year x funding (England): NPQ courses started and unique participants,
-- and cumulative courses started within the target window against the 150,000-place target.
-- The target counts courses started (npq_starts), not people. A cumulative figure is given
-- only when every window year up to that row is present, so a missing year never reads as 0.
-- Two take-up rates, named by kind: `annual_percent_workforce_npq_participation` (that year's
-- SWC-matched participants as a share of that year's teaching workforce) and the published
-- cumulative headline `cumulative_percent_teachers_started_since_2021` (unique participants
-- who have started an NPQ since 2021/22, as a share of teachers; NPQ workforce data set).
-- `provenance` is the weaker of the two inputs (published > derived > synthetic).
WITH

national AS (
    SELECT *
    FROM staging.npq_participants
    WHERE geographic_level = 'National'
      AND breakdown = 'Overall'
      AND group_name = 'Overall'
),

windowed AS (
    SELECT
        *,
        year_start BETWEEN $window_first AND $window_last AS in_target_window
    FROM national
),

cumulative AS (
    SELECT
        *,
        CASE
            WHEN in_target_window
             AND count(npq_starts) OVER running = year_start - $window_first + 1
            THEN sum(npq_starts) OVER running
        END AS cumulative_npq_starts_in_window,
        CASE
            WHEN in_target_window
             AND count(npq_unique_participants) OVER running = year_start - $window_first + 1
            THEN sum(npq_unique_participants) OVER running
        END AS cumulative_npq_unique_participants_in_window
    FROM windowed
    WINDOW running AS (
        PARTITION BY funding, in_target_window
        ORDER BY year_start
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    )
),

paced AS (
    SELECT
        *,
        -- Pace achieved: average courses started per window year so far.
        cumulative_npq_starts_in_window / (year_start - $window_first + 1) AS pace_achieved_per_year,
        -- Pace required: what each remaining window year would have needed to reach the target.
        CASE
            WHEN $window_last - year_start > 0
            THEN ($target_places - cumulative_npq_starts_in_window) / ($window_last - year_start)
        END AS pace_required_per_remaining_year
    FROM cumulative
),

reach AS (
    SELECT
        *,
        CAST($window_first + ceil($target_places / pace_achieved_per_year) - 1 AS INTEGER)
            AS reach_year_start
    FROM paced
),

cumulative_headline AS (
    SELECT
        time_period,
        funding,
        npq_participants AS cumulative_unique_participants_since_2021,
        total_teachers AS cumulative_total_teachers,
        percentage AS cumulative_percent_teachers_started_since_2021,
        percentage_status AS cumulative_percent_teachers_started_since_2021_status,
        provenance AS cumulative_provenance
    FROM staging.npq_workforce
    WHERE geographic_level = 'National'
)

SELECT
    academic_year,
    time_period,
    year_start,
    funding,
    CAST(npq_starts AS BIGINT) AS npq_starts,
    npq_starts_status,
    CAST(npq_unique_participants AS BIGINT) AS npq_unique_participants,
    npq_unique_participants_status,
    in_target_window,
    CAST(cumulative_npq_starts_in_window AS BIGINT) AS cumulative_npq_starts_in_window,
    CAST(cumulative_npq_unique_participants_in_window AS BIGINT)
        AS cumulative_npq_unique_participants_in_window,
    CAST($target_places AS BIGINT) AS target_places,
    100.0 * cumulative_npq_starts_in_window / $target_places AS percent_of_target,
    CAST($target_places - cumulative_npq_starts_in_window AS BIGINT) AS gap_to_target,
    pace_achieved_per_year,
    pace_required_per_remaining_year,
    CASE
        WHEN pace_achieved_per_year > 0 THEN
            printf('%d/%02d', reach_year_start, (reach_year_start + 1) % 100)
    END AS year_target_reached_at_observed_pace,
    percent_workforce_npq_participation AS annual_percent_workforce_npq_participation,
    CAST(c.cumulative_unique_participants_since_2021 AS BIGINT)
        AS cumulative_unique_participants_since_2021,
    CAST(c.cumulative_total_teachers AS BIGINT) AS cumulative_total_teachers,
    c.cumulative_percent_teachers_started_since_2021,
    c.cumulative_percent_teachers_started_since_2021_status,
    CASE
        WHEN 'synthetic' IN (r.provenance, c.cumulative_provenance) THEN 'synthetic'
        WHEN 'derived' IN (r.provenance, c.cumulative_provenance) THEN 'derived'
        ELSE r.provenance
    END AS provenance,
    source_data_set,
    source_release
FROM reach AS r
LEFT JOIN cumulative_headline AS c USING (time_period, funding)
ORDER BY funding, year_start
