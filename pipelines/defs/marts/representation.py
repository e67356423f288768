"""Representation marts (question 2): one asset per SQL file in pipelines/sql/marts/rep_*.sql.

Each mart's description is the leading comment of its SQL file, whose first line states the
grain. Parameters (the low-count threshold, the trend window) come from
pipelines/representation.py. Every mart is behind a blocking expectation suite.
"""

import dagster as dg

from pipelines.defs.marts.takeup import mart_suite, sql_mart
from pipelines.representation import representation_params

# mart -> the tables it reads (layer/name)
REPRESENTATION_MARTS: dict[str, list[str]] = {
    "rep_dim_ethnicity": [],
    "rep_workforce_by_grade": [
        "staging/workforce_teacher_characteristics",
        "marts/rep_dim_ethnicity",
    ],
    "rep_pupils_by_ethnicity": [
        "staging/spc_pupils_ethnicity_and_language",
        "marts/rep_dim_ethnicity",
    ],
    "rep_representation_gaps": ["marts/rep_workforce_by_grade", "marts/rep_pupils_by_ethnicity"],
    "rep_leaky_pipeline": [
        "marts/rep_workforce_by_grade",
        "marts/rep_pupils_by_ethnicity",
        "marts/ecf_participants_by_characteristic",
        "marts/rep_dim_ethnicity",
    ],
    "rep_gap_trends": ["marts/rep_representation_gaps"],
    "rep_npq_pipeline": [
        "staging/npq_participants",
        "marts/rep_dim_ethnicity",
        "marts/dim_npq_course",
        "marts/rep_workforce_by_grade",
    ],
    "rep_published_checks": [
        "staging/spc_white_british_share",
        "staging/swf_leadership_diversity",
        "marts/rep_pupils_by_ethnicity",
        "marts/rep_workforce_by_grade",
    ],
}

defs = dg.Definitions(
    assets=[
        sql_mart(name, reads, representation_params) for name, reads in REPRESENTATION_MARTS.items()
    ],
    asset_checks=[mart_suite(name) for name in REPRESENTATION_MARTS],
)
