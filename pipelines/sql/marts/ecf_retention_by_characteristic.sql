-- One row per induction cohort (academic year ECF induction started) x geography (England, then
-- each region) x programme x breakdown x group: early career teachers matched to the School
-- Workforce Census and the percentage still teaching in state-funded schools one, two and three
-- years later, as published (ECF retention 2024-25). Later years are `z` (not yet observed) for
-- recent cohorts: null here, with the status kept.
SELECT
    academic_year AS induction_cohort,
    time_period,
    year_start,
    geographic_level,
    coalesce(region_code, country_code) AS area_code,
    coalesce(region_name, country_name) AS area_name,
    programme,
    breakdown,
    group_name,
    CAST(count_swfc_ects AS BIGINT) AS ects_matched_to_census,
    percent_one_year_retention,
    percent_one_year_retention_status,
    percent_two_year_retention,
    percent_two_year_retention_status,
    percent_three_year_retention,
    percent_three_year_retention_status,
    provenance,
    source_data_set,
    source_release
FROM staging.ecf_retention
ORDER BY year_start, geographic_level, area_code, programme, breakdown, group_name
