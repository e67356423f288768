"""Marts over the embedded real sources: early career teachers (ECF participants
and retention), KS4 attainment gaps, and the schools on DfE's NPQ funding eligibility lists.
One asset per SQL file in pipelines/sql/marts/, each behind a blocking expectation suite; built
in the working database.
"""

import dagster as dg

from pipelines.defs.marts.takeup import mart_suite, sql_mart

# mart -> the tables it reads (layer/name)
REAL_SOURCE_MARTS: dict[str, list[str]] = {
    "ecf_participants_by_characteristic": ["staging/ecf_participants"],
    "ecf_retention_by_characteristic": ["staging/ecf_retention"],
    "ks4_attainment_gaps": ["staging/ks4_national_char"],
    "npq_eligible_schools": ["staging/npq_eligibility"],
    "npq_eligibility_changes": ["staging/npq_eligibility"],
    "npq_eligibility_gias_match": ["staging/npq_eligibility", "staging/gias_establishments"],
    "npq_eligibility_beside_coverage": ["staging/npq_eligibility", "staging/npq_school_coverage"],
}

defs = dg.Definitions(
    assets=[sql_mart(name, reads) for name, reads in REAL_SOURCE_MARTS.items()],
    asset_checks=[mart_suite(name) for name in REAL_SOURCE_MARTS],
)
