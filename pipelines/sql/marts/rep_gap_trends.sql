-- One row per area x grade x comparator x group set x group: the trend of a representation gap
-- (marts.rep_representation_gaps) over its latest years (parameter trend_window_years, default
-- 5): the least-squares change of the percentage-point gap per year, the latest gap as observed
-- and as fitted, and, where the gap is closing, the academic year in which the fitted line
-- reaches parity (year_of_parity); 'not closing' where the gap is flat or widening, 'too few
-- years' with fewer than three years. The projection assumes the recent linear trend simply
-- continues: a description of the trend, not a forecast. Both censuses count whole populations,
-- so the line describes year-to-year change, not sampling error, and no interval is attached.
-- A trend is clear (trend_clear) only when the 95% interval of its slope excludes 0: the
-- interval is t (years - 2 df) times the slope's standard error from the residuals about the
-- line, so it measures how far year-to-year movement blurs the straight line, not sampling
-- error. parity_within_horizon: the fitted line reaches parity no later than trend_horizon_years
-- (parameter) after the latest year; the line is never extended beyond that horizon.
-- low_count is true when any year of the series rests on fewer than 10 people (parameter
-- low_count_threshold, applied in the gaps mart). provenance is the gaps mart's: synthetic
-- when any year has a synthetic input (the workforce in the embedded default).
WITH

gaps AS (
    SELECT
        *,
        max(year_start) OVER series AS series_last_year
    FROM marts.rep_representation_gaps
    WHERE gap_pp IS NOT NULL
    WINDOW series AS (PARTITION BY area_code, grade, comparator, group_set, group_name)
),

windowed AS (
    SELECT *
    FROM gaps
    WHERE year_start > series_last_year - $trend_window_years
),

fitted AS (
    SELECT
        geographic_level,
        area_code,
        area_name,
        grade,
        grade_order,
        comparator,
        group_set,
        group_name,
        group_is_known,
        share_basis,
        min(year_start) AS first_year_start,
        max(year_start) AS last_year_start,
        arg_min(academic_year, year_start) AS first_academic_year,
        arg_max(academic_year, year_start) AS last_academic_year,
        count(*) AS years_in_trend,
        arg_min(gap_pp, year_start) AS first_gap_pp,
        arg_max(gap_pp, year_start) AS latest_gap_pp,
        arg_max(representation_ratio, year_start) AS latest_representation_ratio,
        arg_max(gap_pp_lower_bound, year_start) AS latest_gap_pp_lower_bound,
        arg_max(gap_pp_upper_bound, year_start) AS latest_gap_pp_upper_bound,
        arg_max(gap_sign_robust, year_start) AS latest_gap_sign_robust,
        regr_slope(gap_pp, year_start) AS gap_change_pp_per_year,
        regr_intercept(gap_pp, year_start) AS gap_intercept,
        CASE
            WHEN count(*) > 2 AND regr_sxx(gap_pp, year_start) > 0
            THEN sqrt(
                greatest(
                    regr_syy(gap_pp, year_start)
                    - regr_sxy(gap_pp, year_start) ^ 2 / regr_sxx(gap_pp, year_start),
                    0
                ) / (count(*) - 2) / regr_sxx(gap_pp, year_start)
            )
        END AS gap_change_se,
        regr_slope(representation_ratio, year_start) AS ratio_change_per_year,
        bool_or(low_count) AS low_count,
        CASE
            WHEN bool_or(provenance = 'synthetic') THEN 'synthetic'
            WHEN bool_or(provenance = 'derived') THEN 'derived'
            ELSE 'published'
        END AS provenance,
        string_agg(DISTINCT inputs_provenance, ' | ' ORDER BY inputs_provenance)
            AS inputs_provenance
    FROM windowed
    GROUP BY ALL
),

classified AS (
    SELECT
        *,
        gap_intercept + gap_change_pp_per_year * last_year_start AS fitted_latest_gap_pp,
        CASE
            WHEN years_in_trend < 3 THEN 'too few years'
            WHEN round(gap_intercept + gap_change_pp_per_year * last_year_start, 6) = 0
            THEN 'at parity'
            WHEN sign(gap_change_pp_per_year)
                = -sign(gap_intercept + gap_change_pp_per_year * last_year_start)
            THEN 'closing'
            WHEN gap_change_pp_per_year = 0 THEN 'flat'
            ELSE 'widening'
        END AS trend
    FROM fitted
),

projected AS (
    SELECT
        *,
        CASE
            -- The first academic year at or past the fitted line's zero.
            WHEN trend = 'closing'
            THEN CAST(ceil(-gap_intercept / gap_change_pp_per_year) AS INTEGER)
        END AS parity_year_start
    FROM classified
)

SELECT
    geographic_level,
    area_code,
    area_name,
    grade,
    grade_order,
    comparator,
    group_set,
    group_name,
    group_is_known,
    share_basis,
    first_academic_year,
    last_academic_year,
    first_year_start,
    last_year_start,
    CAST(years_in_trend AS INTEGER) AS years_in_trend,
    first_gap_pp,
    latest_gap_pp,
    fitted_latest_gap_pp,
    gap_change_pp_per_year,
    gap_change_pp_per_year - $t_critical_95[years_in_trend - 2] * gap_change_se
        AS gap_change_ci_lower_pp,
    gap_change_pp_per_year + $t_critical_95[years_in_trend - 2] * gap_change_se
        AS gap_change_ci_upper_pp,
    coalesce(
        sign(gap_change_pp_per_year - $t_critical_95[years_in_trend - 2] * gap_change_se)
        = sign(gap_change_pp_per_year + $t_critical_95[years_in_trend - 2] * gap_change_se)
        AND gap_change_pp_per_year <> 0,
        false
    ) AS trend_clear,
    CAST(last_year_start + $trend_horizon_years AS INTEGER) AS trend_horizon_year_start,
    coalesce(parity_year_start <= last_year_start + $trend_horizon_years, false)
        AS parity_within_horizon,
    ratio_change_per_year,
    latest_representation_ratio,
    latest_gap_pp_lower_bound,
    latest_gap_pp_upper_bound,
    latest_gap_sign_robust,
    trend,
    parity_year_start,
    CASE
        WHEN trend = 'closing' THEN parity_year_start - last_year_start
    END AS years_to_parity,
    CASE
        WHEN trend = 'closing'
        THEN CAST(parity_year_start AS VARCHAR) || '/'
            || lpad(CAST((parity_year_start + 1) % 100 AS VARCHAR), 2, '0')
        WHEN trend = 'at parity' THEN 'at parity'
        WHEN trend = 'too few years' THEN 'too few years'
        ELSE 'not closing'
    END AS year_of_parity,
    low_count,
    'Least-squares line through the latest ' || CAST(years_in_trend AS VARCHAR)
    || ' yearly gaps of census populations: it describes the recent trend, not a forecast, and '
    || 'no sampling interval applies. The parity year assumes the trend continues in a straight '
    || 'line; it is not extended beyond ' || CAST($trend_horizon_years AS VARCHAR)
    || ' years after the latest year. The trend is clear only when the 95% interval of the '
    || 'slope (t on years - 2 df, from the residuals about the line) excludes 0.'
        AS statistical_basis,
    provenance,
    inputs_provenance
FROM projected
ORDER BY geographic_level, area_code, grade_order, comparator, group_set, group_name
