-- One row per change of eligibility list x area (England, then each region): how each new list
-- moved schools in and out of NPQ funding eligibility. The autumn 2024 change replaced the
-- 2021/22 high pupil premium list with the top 50% by pupil premium (PP50); the PP50 list was
-- then refreshed for January 2025 and autumn 2025. `kept`: on both lists; `gained`: only on the
-- later one; `lost`: only on the earlier one. A school's region is that on the later list, else
-- on the earlier; schools lost from the 2021/22 list (URNs only) and on no later list have no
-- region here ('Not in either list'), and are counted in England. Counts of published lists:
-- `derived`.
WITH

changes (change_order, from_list, from_cohort, to_list, to_cohort) AS (
    VALUES
        (1, 'high_pupil_premium', '2021/22', 'pp50', 'autumn 2024'),
        (2, 'pp50', 'autumn 2024', 'pp50', 'January 2025'),
        (3, 'pp50', 'January 2025', 'pp50', 'autumn 2025')
),

before AS (
    SELECT c.change_order, s.urn, s.region_name
    FROM changes AS c
    INNER JOIN staging.npq_eligibility AS s
        ON s.list = c.from_list AND s.cohort = c.from_cohort
),

after AS (
    SELECT c.change_order, s.urn, s.region_name
    FROM changes AS c
    INNER JOIN staging.npq_eligibility AS s
        ON s.list = c.to_list AND s.cohort = c.to_cohort
),

moved AS (
    SELECT
        coalesce(a.change_order, b.change_order) AS change_order,
        coalesce(a.region_name, b.region_name, 'Not in either list') AS region_name,
        b.urn IS NOT NULL AS on_before,
        a.urn IS NOT NULL AS on_after
    FROM before AS b
    FULL OUTER JOIN after AS a
        ON b.change_order = a.change_order AND b.urn = a.urn
),

counted AS (
    SELECT
        change_order,
        CASE WHEN grouping(region_name) = 1 THEN 'England' ELSE region_name END AS area,
        CASE
            WHEN grouping(region_name) = 1 THEN 'National'
            WHEN region_name = 'Not in either list' THEN 'Region not known'
            ELSE 'Regional'
        END AS level,
        count(*) FILTER (WHERE on_before) AS schools_before,
        count(*) FILTER (WHERE on_after) AS schools_after,
        count(*) FILTER (WHERE on_before AND on_after) AS kept,
        count(*) FILTER (WHERE on_after AND NOT on_before) AS gained,
        count(*) FILTER (WHERE on_before AND NOT on_after) AS lost
    FROM moved
    GROUP BY GROUPING SETS ((change_order, region_name), (change_order))
)

SELECT
    c.change_order,
    c.from_list,
    c.from_cohort,
    c.to_list,
    c.to_cohort,
    n.level,
    n.area,
    n.schools_before,
    n.schools_after,
    n.kept,
    n.gained,
    n.lost,
    n.schools_after - n.schools_before AS net_change,
    'derived' AS provenance
FROM counted AS n
INNER JOIN changes AS c USING (change_order)
ORDER BY c.change_order, n.level, n.area
