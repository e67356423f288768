"""Marts over the real sources embedded for issue 16: early career teachers (ECF participants
and retention) and KS4 attainment gaps. One asset per SQL file in pipelines/sql/marts/, each
behind a blocking expectation suite; built in the working database.
"""

import dagster as dg

from pipelines.defs.marts.takeup import mart_suite, sql_mart

# mart -> the tables it reads (layer/name)
REAL_SOURCE_MARTS: dict[str, list[str]] = {
    "ecf_participants_by_characteristic": ["staging/ecf_participants"],
    "ecf_retention_by_characteristic": ["staging/ecf_retention"],
    "ks4_attainment_gaps": ["staging/ks4_national_char"],
}

defs = dg.Definitions(
    assets=[sql_mart(name, reads) for name, reads in REAL_SOURCE_MARTS.items()],
    asset_checks=[mart_suite(name) for name in REAL_SOURCE_MARTS],
)
