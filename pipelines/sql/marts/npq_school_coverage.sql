-- One row per academic year x breakdown x group (England): cumulative share of publicly funded
-- schools and 16-19 organisations with any NPQ start since 2021, funded and non-funded.
SELECT
    academic_year,
    time_period,
    year_start,
    breakdown,
    group_name,
    cum_disc AS cumulative_or_in_year,
    CAST(total_schools AS BIGINT) AS total_schools,
    CAST(npq_schools AS BIGINT) AS npq_schools,
    CAST(funded_npq_schools AS BIGINT) AS funded_npq_schools,
    CAST(non_funded_npq_schools AS BIGINT) AS non_funded_npq_schools,
    perc_npq_schools,
    perc_npq_schools_status,
    perc_funded_npq_schools,
    perc_non_funded_npq_schools,
    provenance,
    source_data_set,
    source_release
FROM staging.npq_school_coverage
ORDER BY breakdown, group_name, year_start
