-- One row per academic year x funding x NPQ course (or all courses) x feeder grade x group set x
-- group (England): a group's share among NPQ participants against its share at the grade the
-- course draws from, as a percentage-point gap (NPQ minus feeder) and a representation ratio
-- (NPQ / feeder; above 1 = the group is better represented among participants than at the
-- grade they come from, so the pipeline is more diverse than its feeder). Feeders: NPQH draws
-- from deputy and assistant heads, NPQEL from head teachers, NPQSL and the specialist NPQs from
-- classroom teachers (the School Workforce Census has no middle-leader grade; middle leaders
-- are classroom teachers there). All courses together are compared with every grade. The NPQ
-- participants file breaks participants down by course and by ethnicity or sex separately,
-- never both, so a course's own share is not available (npq_share_status 'not_available'):
-- course rows state the feeder's share, the benchmark a course figure would be read against.
-- Participants are unique people; shares of known groups exclude the Unknown group on both
-- sides, the Unknown group is a share of everyone; bounds put every unknown outside or inside
-- the group. NPQ participants include people outside state-funded schools (the census
-- population). Counts are populations, not samples: no sampling interval applies; low_count
-- marks a side resting on fewer than 10 people (parameter low_count_threshold). NPQ
-- breakdowns and workforce are both SYNTHETIC in the embedded default (provenance says so).
WITH

feeders AS (
    SELECT *
    FROM (
        VALUES
            ('Classroom teacher', 'Classroom teacher', 1),
            ('Assistant head teacher', 'Assistant head teacher', 2),
            ('Deputy and assistant heads', 'Assistant head teacher', 3),
            ('Deputy and assistant heads', 'Deputy head teacher', 3),
            ('Deputy head teacher', 'Deputy head teacher', 4),
            ('Head teacher', 'Head teacher', 5),
            ('All teachers', 'All teachers', 6)
    ) AS t(feeder, grade, feeder_order)
),

course_feeders AS (
    SELECT *
    FROM (
        VALUES
            ('NPQH', 'Deputy and assistant heads'),
            ('NPQEL', 'Head teacher'),
            ('NPQSL', 'Classroom teacher'),
            ('NPQEYL', 'Classroom teacher'),
            ('NPQSENCO', 'Classroom teacher'),
            ('NPQLT', 'Classroom teacher'),
            ('NPQLTD', 'Classroom teacher'),
            ('NPQLBC', 'Classroom teacher'),
            ('NPQLL', 'Classroom teacher'),
            ('NPQLPM', 'Classroom teacher')
    ) AS t(course_code, feeder)
),

npq_rows AS (
    SELECT
        p.*,
        d.ethnicity_major,
        d.white_or_minority,
        d.is_known
    FROM staging.npq_participants AS p
    LEFT JOIN marts.rep_dim_ethnicity AS d
        ON d.source = 'npq_participants' AND d.source_label = p.group_name
    WHERE p.geographic_level = 'National' AND p.breakdown IN ('Ethnicity', 'Gender')
),

-- An unmapped ethnicity label stays in as a NULL group so the expectation suite stops it.
npq_grouped AS (
    SELECT
        *,
        'ethnicity_major' AS group_set,
        ethnicity_major AS set_group,
        is_known AS set_group_is_known
    FROM npq_rows
    WHERE breakdown = 'Ethnicity'
    UNION ALL
    SELECT
        *,
        'ethnicity_white_vs_minority',
        white_or_minority,
        is_known
    FROM npq_rows
    WHERE breakdown = 'Ethnicity'
    UNION ALL
    SELECT
        *,
        'sex',
        group_name,
        group_name <> 'Unknown'
    FROM npq_rows
    WHERE breakdown = 'Gender'
),

npq_summed AS (
    SELECT
        academic_year,
        time_period,
        year_start,
        funding,
        group_set,
        set_group AS group_name,
        bool_and(set_group_is_known) AS group_is_known,
        CASE
            WHEN bool_and(npq_unique_participants_status = 'value')
            THEN sum(npq_unique_participants)
        END AS npq_participants,
        CASE WHEN bool_or(provenance = 'synthetic') THEN 'synthetic' ELSE 'published' END
            AS npq_provenance
    FROM npq_grouped
    GROUP BY ALL
),

npq_shares AS (
    SELECT
        *,
        sum(npq_participants) OVER one_set AS npq_all,
        sum(npq_participants) FILTER (WHERE group_is_known) OVER one_set AS npq_known
    FROM npq_summed
    WINDOW one_set AS (PARTITION BY time_period, funding, group_set)
),

workforce AS (
    SELECT *
    FROM marts.rep_workforce_by_grade
    WHERE geographic_level = 'National'
      AND group_set IN ('ethnicity_major', 'ethnicity_white_vs_minority', 'sex')
),

feeder_shares AS (
    SELECT
        w.time_period,
        f.feeder,
        w.group_set,
        w.group_name,
        sum(w.headcount) AS feeder_headcount,
        sum(w.denominator_all_headcount) AS feeder_all,
        sum(w.denominator_known_headcount) AS feeder_known,
        CASE WHEN bool_or(w.provenance = 'synthetic') THEN 'synthetic' ELSE 'published' END
            AS feeder_provenance
    FROM workforce AS w
    JOIN feeders AS f USING (grade)
    GROUP BY ALL
),

-- All courses against every grade; each course (in the years it ran) against its feeder.
scopes AS (
    SELECT DISTINCT
        n.time_period,
        n.funding,
        'All' AS course_code,
        'All NPQ courses' AS course_name,
        f.feeder,
        f.feeder_order
    FROM npq_shares AS n
    CROSS JOIN (SELECT DISTINCT feeder, feeder_order FROM feeders) AS f
    UNION ALL
    SELECT DISTINCT
        c.time_period,
        c.funding,
        d.course_code,
        d.course_name,
        cf.feeder,
        f.feeder_order
    FROM staging.npq_participants AS c
    JOIN marts.dim_npq_course AS d ON d.course_name = c.group_name
    JOIN course_feeders AS cf ON cf.course_code = d.course_code
    JOIN (SELECT DISTINCT feeder, feeder_order FROM feeders) AS f ON f.feeder = cf.feeder
    WHERE c.geographic_level = 'National' AND c.breakdown = 'Course'
),

paired AS (
    SELECT
        n.academic_year,
        n.time_period,
        n.year_start,
        n.funding,
        s.course_code,
        s.course_name,
        s.feeder,
        s.feeder_order,
        n.group_set,
        n.group_name,
        n.group_is_known,
        s.course_code = 'All' AS npq_share_available,
        n.npq_participants,
        n.npq_all,
        n.npq_known,
        n.npq_provenance,
        w.feeder_headcount,
        w.feeder_all,
        w.feeder_known,
        w.feeder_provenance
    FROM scopes AS s
    JOIN npq_shares AS n ON n.time_period = s.time_period AND n.funding = s.funding
    LEFT JOIN feeder_shares AS w
        ON w.time_period = s.time_period
       AND w.feeder = s.feeder
       AND w.group_set = n.group_set
       AND w.group_name = n.group_name
),

shares AS (
    SELECT
        *,
        CASE
            WHEN NOT npq_share_available THEN NULL
            WHEN group_is_known THEN 100.0 * npq_participants / nullif(npq_known, 0)
            ELSE 100.0 * npq_participants / nullif(npq_all, 0)
        END AS npq_share_pct,
        CASE
            WHEN npq_share_available AND group_is_known
            THEN 100.0 * npq_participants / nullif(npq_all, 0)
        END AS npq_share_low_pct,
        CASE
            WHEN npq_share_available AND group_is_known
            THEN 100.0 * (npq_participants + npq_all - npq_known) / nullif(npq_all, 0)
        END AS npq_share_high_pct,
        CASE
            WHEN group_is_known THEN 100.0 * feeder_headcount / nullif(feeder_known, 0)
            ELSE 100.0 * feeder_headcount / nullif(feeder_all, 0)
        END AS feeder_share_pct,
        CASE
            WHEN group_is_known THEN 100.0 * feeder_headcount / nullif(feeder_all, 0)
        END AS feeder_share_low_pct,
        CASE
            WHEN group_is_known
            THEN 100.0 * (feeder_headcount + feeder_all - feeder_known) / nullif(feeder_all, 0)
        END AS feeder_share_high_pct
    FROM paired
    -- A course row with no feeder figure (the workforce has no unknown-sex row) says nothing.
    WHERE npq_share_available OR feeder_headcount IS NOT NULL
)

SELECT
    academic_year,
    time_period,
    year_start,
    funding,
    course_code,
    course_name,
    feeder AS feeder_grade,
    feeder_order,
    group_set,
    group_name,
    group_is_known,
    CASE
        WHEN NOT group_is_known THEN 'all people (unknown group)'
        WHEN group_set = 'sex' THEN 'people of known sex'
        ELSE 'people of known ethnicity'
    END AS share_basis,
    CASE WHEN npq_share_available THEN CAST(npq_participants AS DOUBLE) END AS npq_participants,
    npq_share_pct,
    CASE
        WHEN npq_share_available THEN 'value' ELSE 'not_available'
    END AS npq_share_status,
    CAST(feeder_headcount AS DOUBLE) AS feeder_headcount,
    feeder_share_pct,
    npq_share_pct - feeder_share_pct AS gap_pp,
    CASE WHEN feeder_share_pct > 0 THEN npq_share_pct / feeder_share_pct END
        AS representation_ratio,
    CASE
        WHEN npq_share_pct > feeder_share_pct THEN 'over-represented among participants'
        WHEN npq_share_pct < feeder_share_pct THEN 'under-represented among participants'
        WHEN npq_share_pct = feeder_share_pct THEN 'parity'
    END AS representation,
    npq_share_low_pct - feeder_share_high_pct AS gap_pp_lower_bound,
    npq_share_high_pct - feeder_share_low_pct AS gap_pp_upper_bound,
    CASE
        WHEN group_is_known AND npq_share_available
        THEN sign(npq_share_low_pct - feeder_share_high_pct)
            = sign(npq_share_high_pct - feeder_share_low_pct)
            AND sign(npq_share_low_pct - feeder_share_high_pct) <> 0
    END AS gap_sign_robust,
    coalesce(
        (npq_share_available AND npq_participants < $low_count_threshold)
        OR feeder_headcount < $low_count_threshold,
        true
    ) AS low_count,
    CASE
        WHEN npq_share_available
        THEN 'All NPQ participants (unique people, any course) against the grade; participants '
            || 'outside state-funded schools are in the NPQ count but not in the census.'
        ELSE 'The NPQ participants file gives course and ethnicity or sex as separate '
            || 'breakdowns, not crossed: this course''s own share is not published. The feeder '
            || 'share is the benchmark it would be read against.'
    END AS comparison_note,
    'Populations (NPQ administrative data; School Workforce Census), not samples: no sampling '
    || 'interval applies. The bounds show how far unknown ethnicity or sex could move the gap.'
        AS statistical_basis,
    CASE
        WHEN (npq_share_available AND npq_provenance = 'synthetic')
            OR feeder_provenance = 'synthetic'
        THEN 'synthetic'
        ELSE 'derived'
    END AS provenance,
    CASE
        WHEN npq_share_available THEN 'npq_participants: ' || npq_provenance || '; ' ELSE ''
    END || 'school_workforce: ' || coalesce(feeder_provenance, 'no rows') AS inputs_provenance
FROM shares
ORDER BY year_start, funding, course_code, feeder_order, group_set, group_name
