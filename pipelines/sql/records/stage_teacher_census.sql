-- One row per census year x grade x sex x ethnicity x region: teachers' headcount. The cube of
-- one census file (parameter $file), which every record-level workforce figure is summed from.
SELECT
    time_period::INTEGER AS time_period,
    grade,
    sex,
    ethnicity_major,
    ethnicity_minor,
    region_code,
    count(*) AS headcount
FROM read_parquet($file)
GROUP BY ALL
