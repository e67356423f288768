-- One row per academic year with both an eligibility list and published NPQ school coverage
-- (England): the schools on the year's funding eligibility list beside all schools and the
-- schools with an NPQ start (any, and funded): in the year where that is published, else since
-- 2021/22 (`coverage_basis`; the embedded 2024/25 coverage is cumulative only). 2021/22: the high pupil premium list
-- (targeted support funding; every state-funded school's NPQs were funded from October 2021);
-- 2024/25: the PP50 list behind the autumn 2024 change, when full funding narrowed to it for
-- most NPQs. The lists and the coverage counts are published; which listed schools had a start
-- is not (no school-level NPQ data), so the two sides are counts beside each other, not a join.
-- The share of schools eligible is ours: `derived`.
WITH

lists AS (
    SELECT
        CASE cohort WHEN '2021/22' THEN '2021/22' WHEN 'autumn 2024' THEN '2024/25' END
            AS academic_year,
        list,
        cohort,
        count(*) AS eligible_schools
    FROM staging.npq_eligibility
    WHERE (list, cohort) IN (('high_pupil_premium', '2021/22'), ('pp50', 'autumn 2024'))
    GROUP BY ALL
),

coverage AS (
    SELECT *
    FROM staging.npq_school_coverage
    WHERE geographic_level = 'National' AND breakdown = 'Overall'
    QUALIFY
        row_number() OVER (PARTITION BY academic_year ORDER BY cum_disc = 'Discrete' DESC) = 1
)

SELECT
    l.academic_year,
    c.time_period,
    c.year_start,
    l.list,
    l.cohort,
    l.eligible_schools,
    CAST(c.total_schools AS BIGINT) AS total_schools,
    100.0 * l.eligible_schools / c.total_schools AS percent_of_schools_eligible,
    CASE c.cum_disc WHEN 'Discrete' THEN 'in the year' ELSE 'since 2021/22' END
        AS coverage_basis,
    CAST(c.npq_schools AS BIGINT) AS schools_with_npq_start,
    CAST(c.funded_npq_schools AS BIGINT) AS schools_with_funded_npq_start,
    c.perc_funded_npq_schools AS percent_of_schools_with_funded_npq_start,
    CASE WHEN c.provenance = 'synthetic' THEN 'synthetic' ELSE 'derived' END AS provenance
FROM lists AS l
INNER JOIN coverage AS c ON c.academic_year = l.academic_year
ORDER BY c.year_start
