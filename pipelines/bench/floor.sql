-- The floor: the six record-level marts of pipelines/records/MARTS.md in one DuckDB script,
-- straight from the Parquet files. It is what the pipeline's results cost at the least: no
-- contract checks, partitions, orchestration, disclosure control or publication. The runner
-- (pipelines/bench/run.py) replaces ${records} with the records folder (quotes doubled) and
-- runs the script in a fresh database file, where the marts are left as tables.
--
-- N (every npq_participants row, ~144k a scale unit) is read once and kept in memory. C (every
-- teacher_census row, ~470k a census year a scale unit) is scanned twice, for two different
-- things:
--   cube    C aggregated to year x grade x sex x ethnicity x region (a few thousand rows a
--           year), from which every census figure is summed; it reads no identifiers;
--   linked  N JOINed to C on (time_period, teacher_ref), aggregated to year x course x the
--           linked teacher's sex and ethnicity, from which every linked-start figure is summed.
--           N is the build side, and DuckDB filters the C scan by its join keys.
-- One scan doing both (C LEFT JOIN the courses of each linked teacher, then one GROUP BY) was
-- measured: about 1.6x slower than the two, as the LEFT JOIN cannot skip the unlinked rows.
-- The census years are the distinct time_period values of C (a year "has a file" when it has
-- rows).

SET preserve_insertion_order = false;
SET enable_progress_bar = false;

CREATE TEMP TABLE n AS
SELECT
    participant_ref,
    teacher_ref,
    time_period::INTEGER AS time_period,
    course_code,
    funded::BOOLEAN AS funded,
    region_code
FROM read_parquet('${records}/npq_participants/*.parquet');

CREATE TEMP TABLE cube AS
SELECT
    time_period::INTEGER AS time_period,
    grade,
    sex,
    ethnicity_major,
    ethnicity_minor,
    region_code,
    count(*) AS headcount
FROM read_parquet('${records}/teacher_census/*.parquet')
GROUP BY ALL;

CREATE TEMP TABLE census_years AS SELECT DISTINCT time_period FROM cube;

-- Linked starts by course and the linked teacher's characteristics.
CREATE TEMP TABLE linked AS
SELECT
    n.time_period,
    n.course_code,
    c.sex,
    c.ethnicity_major,
    c.ethnicity_minor,
    count(*) AS npq_starts
FROM n
JOIN read_parquet('${records}/teacher_census/*.parquet') AS c
    ON c.time_period::INTEGER = n.time_period AND c.teacher_ref = n.teacher_ref
GROUP BY ALL;

-- The three group sets of MARTS.md, for any (sex, major, minor): one row per set.
CREATE TEMP MACRO floor_groups(sex, major, minor) AS TABLE
SELECT * FROM (VALUES
    ('sex', sex, sex <> 'Unknown'),
    ('ethnicity_major',
     CASE WHEN major = 'Unknown / refused / information not yet obtained'
          THEN 'Unknown / refused / not obtained' ELSE major END,
     major <> 'Unknown / refused / information not yet obtained'),
    ('ethnicity_white_british',
     CASE WHEN minor = 'White - White British' THEN 'White British'
          WHEN major = 'White' THEN 'Other White'
          WHEN major = 'Unknown / refused / information not yet obtained' THEN 'Unknown'
          ELSE 'Ethnic minority' END,
     major <> 'Unknown / refused / information not yet obtained')
) AS g (group_set, group_name, group_is_known);

CREATE TEMP MACRO floor_academic_year(time_period) AS
    (time_period // 100)::VARCHAR || '/' || lpad((time_period % 100)::VARCHAR, 2, '0');

-- NPQ starts by year, funding, course and region: every take-up mart is summed from this.
CREATE TEMP TABLE starts AS
SELECT n.time_period, f.funding, n.course_code, n.region_code, count(*) AS npq_starts
FROM n
JOIN (VALUES ('Overall'), ('Funded')) AS f (funding) ON f.funding = 'Overall' OR n.funded
GROUP BY ALL;

CREATE TABLE rec_npq_takeup_by_year AS
WITH

years AS (
    SELECT time_period, funding, sum(npq_starts)::BIGINT AS npq_starts
    FROM starts
    GROUP BY ALL
),

distinct_participants AS (
    SELECT
        time_period,
        count(DISTINCT participant_ref) AS overall,
        count(DISTINCT participant_ref) FILTER (WHERE funded) AS funded
    FROM n
    GROUP BY ALL
),

unique_participants AS (
    SELECT time_period, 'Overall' AS funding, overall AS npq_unique_participants
    FROM distinct_participants
    UNION ALL
    SELECT time_period, 'Funded', funded FROM distinct_participants
),

in_window AS (
    SELECT time_period, funding,
           sum(npq_starts) OVER (PARTITION BY funding ORDER BY time_period) AS cumulative
    FROM years
    WHERE time_period IN (202122, 202223, 202324)
)

SELECT
    y.time_period,
    floor_academic_year(y.time_period) AS academic_year,
    y.funding,
    y.npq_starts,
    u.npq_unique_participants::BIGINT AS npq_unique_participants,
    w.cumulative::BIGINT AS cumulative_npq_starts_in_window,
    w.cumulative * 100.0 / 150000 AS percent_of_target
FROM years AS y
JOIN unique_participants AS u USING (time_period, funding)
LEFT JOIN in_window AS w USING (time_period, funding)
ORDER BY y.time_period, y.funding;

CREATE TABLE rec_npq_takeup_by_course AS
WITH courses AS (
    SELECT time_period, funding, course_code, sum(npq_starts)::BIGINT AS npq_starts
    FROM starts
    GROUP BY ALL
)
SELECT
    time_period,
    floor_academic_year(time_period) AS academic_year,
    funding,
    course_code,
    npq_starts,
    npq_starts * 100.0 / sum(npq_starts) OVER (PARTITION BY time_period, funding)
        AS percent_of_year_starts
FROM courses
ORDER BY time_period, funding, course_code;

CREATE TABLE rec_npq_takeup_by_region AS
WITH

regions AS (
    SELECT time_period, funding, region_code, sum(npq_starts)::BIGINT AS npq_starts
    FROM starts
    GROUP BY ALL
),

teachers AS (
    SELECT time_period, region_code, sum(headcount) AS headcount
    FROM cube
    GROUP BY ALL
),

headcounts AS (
    -- NULL without a census for the year; 0 for a region with no teachers in one.
    SELECT
        r.*,
        CASE WHEN r.time_period IN (SELECT time_period FROM census_years)
             THEN coalesce(t.headcount, 0) END::BIGINT AS teachers_headcount
    FROM regions AS r
    LEFT JOIN teachers AS t USING (time_period, region_code)
)

SELECT
    time_period,
    floor_academic_year(time_period) AS academic_year,
    funding,
    region_code,
    npq_starts,
    teachers_headcount,
    npq_starts * 1000.0 / nullif(teachers_headcount, 0) AS starts_per_1000_teachers
FROM headcounts
ORDER BY time_period, funding, region_code;

CREATE TABLE rec_workforce_by_grade AS
WITH

expanded AS (
    -- Each cube cell counts in its region and England, its grade, Leadership (heads, deputies,
    -- assistants) and All teachers, and one group of each set.
    SELECT c.time_period, a.area_code, gr.grade, g.group_set, g.group_name, g.group_is_known,
           sum(c.headcount) AS headcount
    FROM cube AS c
    CROSS JOIN LATERAL (VALUES ('E92000001'), (c.region_code)) AS a (area_code)
    CROSS JOIN LATERAL (
        VALUES (c.grade), ('All teachers'),
               (CASE WHEN c.grade <> 'Classroom teacher' THEN 'Leadership' END)
    ) AS gr (grade)
    CROSS JOIN floor_groups(c.sex, c.ethnicity_major, c.ethnicity_minor) AS g
    WHERE gr.grade IS NOT NULL
    GROUP BY ALL
),

denominators AS (
    SELECT
        *,
        sum(headcount) OVER line AS denominator_all_headcount,
        coalesce(sum(headcount) FILTER (WHERE group_is_known) OVER line, 0)
            AS denominator_known_headcount
    FROM expanded
    WINDOW line AS (PARTITION BY time_period, area_code, grade, group_set)
)

SELECT
    time_period,
    floor_academic_year(time_period) AS academic_year,
    area_code,
    grade,
    group_set,
    group_name,
    group_is_known,
    headcount::BIGINT AS headcount,
    denominator_all_headcount::BIGINT AS denominator_all_headcount,
    denominator_known_headcount::BIGINT AS denominator_known_headcount,
    headcount * 100.0 / denominator_all_headcount AS share_of_all_pct,
    CASE WHEN group_is_known AND denominator_known_headcount > 0
         THEN headcount * 100.0 / denominator_known_headcount END AS share_of_known_pct
FROM denominators
ORDER BY time_period, area_code, grade, group_set, group_name;

CREATE TABLE rec_npq_pipeline AS
WITH

grouped AS (
    SELECT l.time_period, co.course_code, g.group_set, g.group_name, g.group_is_known,
           sum(l.npq_starts) AS npq_starts
    FROM linked AS l
    CROSS JOIN LATERAL (VALUES (l.course_code), ('All NPQs')) AS co (course_code)
    CROSS JOIN floor_groups(l.sex, l.ethnicity_major, l.ethnicity_minor) AS g
    GROUP BY ALL
),

shares AS (
    SELECT
        *,
        coalesce(sum(npq_starts) FILTER (WHERE group_is_known) OVER (
            PARTITION BY time_period, course_code, group_set
        ), 0) AS npq_known_starts
    FROM grouped
),

workforce AS (
    SELECT time_period, group_set, group_name,
           any_value(share_of_known_pct) FILTER (WHERE grade = 'Head teacher') AS heads,
           any_value(share_of_known_pct) FILTER (WHERE grade = 'All teachers') AS all_teachers
    FROM rec_workforce_by_grade
    WHERE area_code = 'E92000001' AND grade IN ('Head teacher', 'All teachers')
    GROUP BY ALL
),

pct AS (
    SELECT
        s.*,
        CASE WHEN s.group_is_known AND s.npq_known_starts > 0
             THEN s.npq_starts * 100.0 / s.npq_known_starts END AS npq_share_of_known_pct,
        w.heads,
        w.all_teachers
    FROM shares AS s
    LEFT JOIN workforce AS w USING (time_period, group_set, group_name)
)

SELECT
    time_period,
    floor_academic_year(time_period) AS academic_year,
    course_code,
    group_set,
    group_name,
    group_is_known,
    npq_starts::BIGINT AS npq_starts,
    npq_known_starts::BIGINT AS npq_known_starts,
    npq_share_of_known_pct,
    heads AS head_teacher_share_of_known_pct,
    all_teachers AS all_teachers_share_of_known_pct,
    npq_share_of_known_pct - heads AS gap_to_heads_pp
FROM pct
ORDER BY time_period, course_code, group_set, group_name;

CREATE TABLE rec_linkage AS
WITH

years AS (
    SELECT time_period, count(*)::BIGINT AS npq_starts FROM n GROUP BY ALL
),

linked_years AS (
    SELECT time_period, sum(npq_starts) AS linked_starts FROM linked GROUP BY ALL
)

SELECT
    y.time_period,
    floor_academic_year(y.time_period) AS academic_year,
    y.npq_starts,
    coalesce(l.linked_starts, 0)::BIGINT AS linked_starts,
    coalesce(l.linked_starts, 0) * 100.0 / y.npq_starts AS linked_pct,
    y.time_period IN (SELECT time_period FROM census_years) AS census_available
FROM years AS y
LEFT JOIN linked_years AS l USING (time_period)
ORDER BY y.time_period;
