-- One row per academic year x funding x NPQ course (England): courses started, the course's
-- share of all starts that year, and whether it is a leadership or a specialist NPQ.
-- Course rows are synthetic in the embedded default (provenance says so) until the full
-- published file is fetched; totals equal the published national starts.
WITH

course_rows AS (
    SELECT *
    FROM staging.npq_participants
    WHERE geographic_level = 'National' AND breakdown = 'Course'
),

year_totals AS (
    SELECT time_period, funding, sum(npq_starts) AS all_course_starts
    FROM course_rows
    GROUP BY ALL
)

SELECT
    c.academic_year,
    c.time_period,
    c.year_start,
    c.funding,
    d.course_code,
    c.group_name AS course_name,
    d.course_type,
    d.funded_for_all_from_2024,
    CAST(c.npq_starts AS BIGINT) AS npq_starts,
    c.npq_starts_status,
    CAST(c.npq_unique_participants AS BIGINT) AS npq_unique_participants,
    c.npq_unique_participants_status,
    100.0 * c.npq_starts / t.all_course_starts AS percent_of_year_starts,
    c.provenance,
    c.source_data_set,
    c.source_release
FROM course_rows AS c
JOIN year_totals AS t USING (time_period, funding)
LEFT JOIN marts.dim_npq_course AS d ON d.course_name = c.group_name
ORDER BY c.funding, c.year_start, d.course_type, c.npq_starts DESC
