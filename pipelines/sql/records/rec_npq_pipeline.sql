-- One row per start year x course (and 'All NPQs') x group set x group: NPQ starts linked to
-- the same year's census, their share of known, beside head teachers' and all teachers'.
WITH

linked AS (
    SELECT
        c.time_period,
        c.course_code,
        s.group_set,
        rec_group_name(s.group_set, c.sex, c.ethnicity_major, c.ethnicity_minor) AS group_name,
        rec_group_is_known(s.group_set, c.sex, c.ethnicity_major) AS group_is_known,
        c.npq_starts
    FROM staging.rec_npq_cube AS c
    CROSS JOIN rec_group_sets() AS s
    WHERE c.linked
),

courses AS (
    SELECT time_period, course_code, group_set, group_name, group_is_known,
           sum(npq_starts)::BIGINT AS npq_starts
    FROM linked
    GROUP BY ALL
    UNION ALL
    SELECT time_period, 'All NPQs', group_set, group_name, group_is_known,
           sum(npq_starts)::BIGINT
    FROM linked
    GROUP BY ALL
),

shares AS (
    SELECT
        *,
        coalesce(sum(CASE WHEN group_is_known THEN npq_starts END) OVER (
            PARTITION BY time_period, course_code, group_set
        ), 0)::BIGINT AS npq_known_starts
    FROM courses
),

workforce AS (
    SELECT time_period, group_set, group_name,
           max(CASE WHEN grade = 'Head teacher' THEN share_of_known_pct END) AS heads,
           max(CASE WHEN grade = 'All teachers' THEN share_of_known_pct END) AS all_teachers
    FROM marts.rec_workforce_by_grade
    WHERE area_code = 'E92000001'
    GROUP BY ALL
)

SELECT
    s.time_period,
    rec_academic_year(s.time_period) AS academic_year,
    s.course_code,
    s.group_set,
    s.group_name,
    s.group_is_known,
    s.npq_starts,
    s.npq_known_starts,
    CASE WHEN s.group_is_known AND s.npq_known_starts > 0
         THEN s.npq_starts * 100.0 / s.npq_known_starts END AS npq_share_of_known_pct,
    w.heads AS head_teacher_share_of_known_pct,
    w.all_teachers AS all_teachers_share_of_known_pct,
    npq_share_of_known_pct - w.heads AS gap_to_heads_pp
FROM shares AS s
LEFT JOIN workforce AS w USING (time_period, group_set, group_name)
ORDER BY s.time_period, s.course_code, s.group_set, s.group_name
