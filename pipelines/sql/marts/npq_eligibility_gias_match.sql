-- One row per eligibility list x cohort: how many of the list's schools (URNs) are found in the
-- GIAS school frame the pipeline reads, joined by URN and nothing else (no match is guessed).
-- The embedded GIAS frame is synthetic (invented schools with URNs from 9000001): a real URN
-- matches only a real GIAS list. `gias_provenance` says which frame was read; a row's
-- provenance is the weaker of the list (published) and the frame.
WITH

gias AS (
    SELECT DISTINCT urn FROM staging.gias_establishments
),

frame AS (
    SELECT string_agg(DISTINCT provenance, ' + ' ORDER BY provenance) AS gias_provenance
    FROM staging.gias_establishments
)

SELECT
    s.list,
    s.cohort,
    s.cohort_start,
    count(*) AS schools,
    count(g.urn) AS urns_in_gias,
    count(*) - count(g.urn) AS urns_not_in_gias,
    100.0 * count(g.urn) / count(*) AS percent_in_gias,
    f.gias_provenance,
    CASE WHEN f.gias_provenance LIKE '%synthetic%' THEN 'synthetic' ELSE 'derived' END
        AS provenance
FROM staging.npq_eligibility AS s
LEFT JOIN gias AS g ON s.urn = g.urn
CROSS JOIN frame AS f
GROUP BY s.list, s.cohort, s.cohort_start, f.gias_provenance
ORDER BY s.cohort_start, s.list
