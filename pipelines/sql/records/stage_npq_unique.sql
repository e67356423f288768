-- One row per start year x funding ('Overall', 'Funded'): distinct participants, which cannot
-- be summed from the cube (one person can start two courses). Parameter $file.
SELECT time_period::INTEGER AS time_period, 'Overall' AS funding,
       count(DISTINCT participant_ref) AS npq_unique_participants
FROM read_parquet($file)
GROUP BY ALL
UNION ALL
SELECT time_period::INTEGER, 'Funded', count(DISTINCT participant_ref)
FROM read_parquet($file)
WHERE funded
GROUP BY ALL
