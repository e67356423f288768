-- One row per academic year x geography (England, then each region) x breakdown x group: early
-- career teachers starting ECF-based induction (all programmes), by age group, ethnicity,
-- gender, school phase, school type and working pattern, with the published share of the
-- year's ECTs in each group (on a region's Overall row: the region's share of England's ECTs;
-- regions are published Overall only) and the count matched to the School Workforce Census. The entry
-- stage of the teacher pipeline. Every figure is published (ECF participants 2024-25, Teacher
-- and leader development: ECF and NPQs); nothing is computed here.
SELECT
    academic_year,
    time_period,
    year_start,
    geographic_level,
    coalesce(region_code, country_code) AS area_code,
    coalesce(region_name, country_name) AS area_name,
    breakdown,
    group_name,
    CAST(total_ects_count AS BIGINT) AS ects,
    total_ects_count_status AS ects_status,
    breakdown_percent_ect AS percent_of_ects,
    breakdown_percent_ect_status AS percent_of_ects_status,
    CAST(count_swfc_ects AS BIGINT) AS ects_matched_to_census,
    count_swfc_ects_status AS ects_matched_to_census_status,
    provenance,
    source_data_set,
    source_release
FROM staging.ecf_participants
WHERE geographic_level IN ('National', 'Regional') AND programme = 'Overall'
ORDER BY year_start, geographic_level, area_code, breakdown, group_name
