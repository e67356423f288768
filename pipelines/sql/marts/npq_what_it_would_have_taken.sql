-- One row per dimension (region, phase, course) x group (England, all funding): what the
-- 150,000-place target would have needed of the group per target-window year, against what it
-- achieved, and the shortfall it contributed. A group's need is the target's yearly pace
-- (target / window years) times its share of the basis over the window: its share of the
-- teaching workforce (School Workforce Census headcount) for regions and phases; for courses,
-- which have no eligible population of their own, its share of the starts achieved (so each
-- course falls short in proportion). Shortfall contributed = needed - achieved over the window
-- (negative: more than its share); the groups of a dimension add up to the national shortfall.
-- A group with a suppressed or missing window year gets no figure, never a zero (a course not
-- yet offered in a year simply started nothing then). A need rests on every group's
-- basis, so `provenance` is the weakest over the whole dimension: derived (computed from
-- published figures only) or synthetic.
WITH

window_rows AS (
    SELECT
        CASE
            WHEN geographic_level = 'Regional' THEN 'Region'
            WHEN breakdown = 'Phase' THEN 'Phase'
            ELSE 'Course'
        END AS dimension,
        CASE WHEN geographic_level = 'Regional' THEN region_name ELSE group_name END AS group_name,
        year_start,
        npq_starts,
        CASE
            WHEN breakdown = 'Course' THEN npq_starts ELSE teaching_workforce_headcount_swc
        END AS basis_value,
        provenance
    FROM staging.npq_participants
    WHERE funding = 'Overall'
      AND year_start BETWEEN $window_first AND $window_last
      AND (
          (geographic_level = 'Regional' AND breakdown = 'Overall')
          OR (geographic_level = 'National' AND breakdown IN ('Phase', 'Course'))
      )
),

groups AS (
    SELECT
        dimension,
        group_name,
        -- Every row with a value, and every window year present (a course counts only the
        -- years it was offered), or no figure at all: a suppressed year is never a zero.
        count(*) = $window_last - $window_first + 1 OR dimension = 'Course' AS years_complete,
        CASE
            WHEN count(npq_starts) = count(*) AND years_complete THEN sum(npq_starts)
        END AS achieved_starts,
        CASE
            WHEN count(basis_value) = count(*) AND years_complete THEN sum(basis_value)
        END AS basis_total,
        max(
            CASE provenance WHEN 'published' THEN 0 WHEN 'derived' THEN 1 ELSE 2 END
        ) AS weakness
    FROM window_rows
    GROUP BY dimension, group_name
),

shared AS (
    SELECT
        *,
        basis_total / sum(basis_total) OVER dim AS share_of_basis,
        -- A missing basis anywhere leaves the shares unknown.
        count(*) OVER dim = count(basis_total) OVER dim AS shares_known,
        max(weakness) OVER dim AS dimension_weakness,
        $target_places - sum(achieved_starts) OVER dim AS national_shortfall,
        count(*) OVER dim = count(achieved_starts) OVER dim AS achieved_known
    FROM groups
    WINDOW dim AS (PARTITION BY dimension)
),

needed AS (
    SELECT
        *,
        $window_last - $window_first + 1 AS window_years,
        CASE WHEN shares_known THEN share_of_basis END AS share,
        CASE
            WHEN shares_known
            THEN $target_places / ($window_last - $window_first + 1) * share_of_basis
        END AS needed_per_year
    FROM shared
)

SELECT
    dimension,
    group_name,
    CASE
        WHEN dimension = 'Course'
        THEN 'share of starts achieved in the window (no eligible population per course)'
        ELSE 'share of the teaching workforce (School Workforce Census headcount), window total'
    END AS basis,
    printf('%d/%02d', $window_first, ($window_first + 1) % 100) AS window_first_year,
    printf('%d/%02d', $window_last, ($window_last + 1) % 100) AS window_last_year,
    CAST(window_years AS INTEGER) AS window_years,
    CAST($target_places AS BIGINT) AS target_places,
    100.0 * share AS share_of_basis_pct,
    needed_per_year AS needed_starts_per_year,
    achieved_starts / window_years AS achieved_starts_per_year,
    needed_per_year - achieved_starts / window_years AS shortfall_per_year,
    needed_per_year * window_years - achieved_starts AS shortfall_contributed,
    CASE
        WHEN achieved_known AND national_shortfall <> 0
        THEN 100.0 * (needed_per_year * window_years - achieved_starts) / national_shortfall
    END AS percent_of_shortfall,
    -- Every figure here is computed: derived from published inputs, or synthetic.
    CASE WHEN dimension_weakness < 2 THEN 'derived' ELSE 'synthetic' END AS provenance
FROM needed
ORDER BY dimension, shortfall_contributed DESC NULLS LAST, group_name
