-- One row per start year x course x funded x region x linked x the linked teacher's grade, sex
-- and ethnicity: NPQ starts. A start is linked when its teacher_ref is in the census of the same
-- year (view _census: that year's census, empty without one); characteristics are NULL
-- otherwise. Parameter $file: the year's NPQ file.
SELECT
    n.time_period::INTEGER AS time_period,
    n.course_code,
    n.funded,
    n.region_code,
    c.teacher_ref IS NOT NULL AS linked,
    c.grade,
    c.sex,
    c.ethnicity_major,
    c.ethnicity_minor,
    count(*) AS npq_starts
FROM read_parquet($file) AS n
LEFT JOIN _census AS c ON c.teacher_ref = n.teacher_ref
GROUP BY ALL
