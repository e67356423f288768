-- One row per published headline figure on representation x the mart value it is checked
-- against: White British share and headcounts of pupils (staging.spc_white_british_share,
-- against marts.rep_pupils_by_ethnicity) and the teacher and head teacher figures of
-- staging.swf_leadership_diversity that name a grade, a group and a basis the workforce mart
-- has (against marts.rep_workforce_by_grade, England). The mart value is rounded as the figure
-- was published (a share to its decimal places; a count ending in three or more zeros to that
-- power of ten, otherwise exactly) and the verdict is 'matches', 'does not match' or 'cannot
-- check: no mart row'. A match against a SYNTHETIC mart row shows that the synthetic data were
-- calibrated to the figure, not that an official series confirms it (provenance says which).
WITH

checks AS (
    SELECT *
    FROM (
        VALUES
            (
                'All teachers', 'White British share (headcount, known ethnicity)',
                'All teachers', 'ethnicity_white_british', ['White British'],
                'share_of_known_pct'
            ),
            (
                'All teachers', 'Other White share', 'All teachers',
                'ethnicity_white_british', ['Other White'], 'share_of_known_pct'
            ),
            (
                'Head teacher', 'White British share', 'Head teacher',
                'ethnicity_white_british', ['White British'], 'share_of_known_pct'
            ),
            (
                'Classroom teacher', 'White British share', 'Classroom teacher',
                'ethnicity_white_british', ['White British'], 'share_of_known_pct'
            ),
            (
                'Head teacher',
                'Headcount not White British (ethnic minority incl. White minorities)',
                'Head teacher', 'ethnicity_white_british', ['Other White', 'Ethnic minority'],
                'headcount'
            ),
            (
                'All teachers', 'Female headcount', 'All teachers', 'sex', ['Female'],
                'headcount'
            )
    ) AS t(published_grade, published_measure, grade, group_set, group_names, mart_column)
),

teacher_figures AS (
    SELECT
        'staging.swf_leadership_diversity' AS published_table,
        l.time_period,
        c.grade AS population,
        l.measure,
        l.value AS published_text,
        CAST(l.value_number AS DOUBLE) AS published_value,
        l.confidence,
        l.source_url,
        l.provenance AS published_provenance,
        'marts.rep_workforce_by_grade' AS mart,
        c.mart_column,
        (
            SELECT
                CASE c.mart_column
                    WHEN 'headcount' THEN sum(w.headcount)
                    ELSE sum(w.share_of_known_pct)
                END
            FROM marts.rep_workforce_by_grade AS w
            WHERE w.time_period = l.time_period
              AND w.geographic_level = 'National'
              AND w.grade = c.grade
              AND w.group_set = c.group_set
              AND list_contains(c.group_names, w.group_name)
            HAVING count(*) = len(c.group_names)
        ) AS mart_value,
        (
            SELECT
                CASE WHEN bool_or(w.provenance = 'synthetic') THEN 'synthetic' ELSE 'published' END
            FROM marts.rep_workforce_by_grade AS w
            WHERE w.time_period = l.time_period
              AND w.geographic_level = 'National'
              AND w.grade = c.grade
              AND w.group_set = c.group_set
              AND list_contains(c.group_names, w.group_name)
        ) AS mart_provenance
    FROM staging.swf_leadership_diversity AS l
    JOIN checks AS c ON c.published_grade = l.grade AND c.published_measure = l.measure
    WHERE l.scope = 'England state-funded'
),

pupil_measures AS (
    SELECT *
    FROM (
        VALUES
            ('White British percent of pupils', 'share_of_all_pct'),
            ('White British headcount', 'headcount'),
            ('All pupils headcount', 'denominator_all_headcount')
    ) AS t(measure, mart_column)
),

pupil_figures AS (
    SELECT
        'staging.spc_white_british_share' AS published_table,
        s.time_period,
        'Pupils: ' || s.phase_type_grouping AS population,
        m.measure,
        CASE m.mart_column
            WHEN 'share_of_all_pct' THEN s.white_british_percent_of_pupils
            WHEN 'headcount' THEN s.white_british_headcount
            ELSE s.all_pupils_headcount
        END AS published_text,
        s.confidence,
        s.source_url,
        s.provenance AS published_provenance,
        'marts.rep_pupils_by_ethnicity' AS mart,
        m.mart_column,
        CASE m.mart_column
            WHEN 'share_of_all_pct' THEN p.share_of_all_pct
            WHEN 'headcount' THEN p.headcount
            ELSE p.denominator_all_headcount
        END AS mart_value,
        p.provenance AS mart_provenance
    FROM staging.spc_white_british_share AS s
    CROSS JOIN pupil_measures AS m
    LEFT JOIN marts.rep_pupils_by_ethnicity AS p
        ON p.time_period = s.time_period
       AND p.phase_type_grouping = s.phase_type_grouping
       AND p.group_set = 'ethnicity_white_british'
       AND p.group_name = 'White British'
),

figures AS (
    SELECT
        published_table,
        time_period,
        population,
        measure,
        published_text,
        published_value,
        confidence,
        source_url,
        published_provenance,
        mart,
        mart_column,
        mart_value,
        mart_provenance
    FROM teacher_figures
    UNION ALL
    SELECT
        published_table,
        time_period,
        population,
        measure,
        published_text,
        CAST(published_text AS DOUBLE),
        confidence,
        source_url,
        published_provenance,
        mart,
        mart_column,
        mart_value,
        mart_provenance
    FROM pupil_figures
    WHERE published_text IS NOT NULL
),

-- How precisely each figure was published: decimals of a share; a rounded count's power of ten.
precision AS (
    SELECT
        *,
        CASE
            WHEN mart_column LIKE '%pct'
            THEN length(coalesce(regexp_extract(published_text, '\.(\d+)$', 1), ''))
            ELSE -least(length(regexp_extract(published_text, '(0*)$', 1)), 6)
        END AS published_decimals_raw
    FROM figures
),

rounded AS (
    SELECT
        *,
        CAST(
            CASE
                WHEN mart_column LIKE '%pct' OR published_decimals_raw <= -3
                THEN published_decimals_raw
                ELSE 0
            END AS INTEGER
        ) AS published_decimals
    FROM precision
)

SELECT
    published_table,
    time_period,
    substr(time_period, 1, 4) || '/' || substr(time_period, 5, 2) AS academic_year,
    CAST(substr(time_period, 1, 4) AS INTEGER) AS year_start,
    population,
    measure,
    published_text,
    published_value,
    published_decimals,
    confidence,
    mart,
    mart_column,
    mart_value,
    round(mart_value, published_decimals) AS mart_value_rounded,
    CASE
        WHEN mart_value IS NULL THEN 'cannot check: no mart row'
        WHEN round(mart_value, published_decimals) = published_value THEN 'matches'
        ELSE 'does not match'
    END AS verdict,
    published_provenance,
    mart_provenance,
    CASE WHEN mart_provenance = 'synthetic' THEN 'synthetic' ELSE 'derived' END AS provenance,
    CASE
        WHEN mart_provenance = 'synthetic'
        THEN 'The mart row is synthetic: a match shows the calibration, not an official series.'
        ELSE ''
    END AS note,
    source_url
FROM rounded
ORDER BY published_table, population, measure, time_period
