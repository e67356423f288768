-- One row per start cohort (academic year) x funding x breakdown x group: starts, completions,
-- passes and rates, with the two-year completion lag flagged. NPQs take up to 22 months, so a
-- cohort that started less than two years before the latest data cannot yet read as a low
-- completion rate: `cohort_complete` is false and `lag_note` says why.
WITH

completions AS (
    SELECT * FROM staging.npq_completions
),

latest AS (
    SELECT max(year_start) AS latest_year_start FROM completions
)

SELECT
    c.academic_year AS start_cohort,
    c.time_period,
    c.year_start,
    c.funding,
    c.breakdown,
    c.group_name,
    CAST(c.npq_starts AS BIGINT) AS npq_starts,
    CAST(c.npq_completed AS BIGINT) AS npq_completed,
    CAST(c.npq_passed AS BIGINT) AS npq_passed,
    c.percentage_completion_rate,
    c.percentage_completion_rate_status,
    c.percentage_pass_rate,
    c.percentage_pass_rate_status,
    l.latest_year_start - c.year_start AS years_since_cohort_start,
    l.latest_year_start - c.year_start >= 2 AS cohort_complete,
    CASE
        WHEN l.latest_year_start - c.year_start >= 2 THEN 'complete'
        ELSE 'incomplete: within the two-year completion lag (completion to date)'
    END AS lag_note,
    c.provenance,
    c.source_data_set,
    c.source_release
FROM completions AS c
CROSS JOIN latest AS l
ORDER BY c.funding, c.breakdown, c.group_name, c.year_start
