"""Take-up marts (question 1): one asset per SQL file in pipelines/sql/marts/.

Each mart's description is the leading comment of its SQL file, whose first line states the
grain. Parameters (the target and its window) come from pipelines/policy.py.
"""

from collections.abc import Callable

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.dictionary import definition_metadata, described
from pipelines.policy import takeup_params
from pipelines.quality.checks import check_table
from pipelines.warehouse import build_from_sql, read_sql, sql_description, table_metadata

# mart -> the tables it reads (layer/name)
TAKEUP_MARTS: dict[str, list[str]] = {
    "dim_npq_course": [],
    "npq_policy_breaks": [],
    "npq_takeup_by_year": ["staging/npq_participants", "staging/npq_workforce"],
    "npq_takeup_by_course": ["staging/npq_participants", "marts/dim_npq_course"],
    "npq_takeup_by_region": ["staging/npq_participants"],
    "npq_takeup_by_la": ["staging/npq_participants"],
    "npq_takeup_by_characteristic": ["staging/npq_participants"],
    "npq_what_it_would_have_taken": ["staging/npq_participants"],
    "npq_school_coverage": ["staging/npq_school_coverage"],
    "npq_completions_by_cohort": ["staging/npq_completions"],
    "npq_claims_check": [
        "staging/npq_claims",
        "staging/npq_participants",
        "staging/npq_release_text_figures",
    ],
}


def sql_mart(
    name: str, reads: list[str], parameters: Callable[[], dict] = takeup_params
) -> dg.AssetsDefinition:
    """An asset that rebuilds marts.<name> from its SQL file, binding the `parameters()` it
    names (read at run time, so an environment override applies to the next run)."""

    @dg.asset(
        key=["marts", name],
        deps=[dg.AssetKey(dep.split("/")) for dep in reads],
        group_name="marts",
        kinds={"duckdb", "sql"},
        description=sql_description("marts", name)
        + f"\n\nSQL: pipelines/sql/marts/{name}.sql; columns: pipelines/sql/marts/{name}.yml",
        metadata=definition_metadata(name),
    )
    def _mart(duckdb: DuckDBResource) -> dg.MaterializeResult:
        params = {k: v for k, v in parameters().items() if f"${k}" in read_sql("marts", name)}
        with duckdb.get_connection() as con:
            build_from_sql(con, "marts", name, params)
            metadata = described(table_metadata(con, "marts", name), con, "marts", name)
            return dg.MaterializeResult(metadata=metadata)

    return _mart


def mart_suite(name: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(["marts", name]),
        name="expectation_suite",
        blocking=True,
        description=f"Expectation suite expectations/marts.{name}.json: grain, counts, "
        "shares, provenance. A failure stops publication.",
    )
    def _suite(duckdb: DuckDBResource) -> dg.AssetCheckResult:
        return check_table(duckdb, "marts", name)

    return _suite


defs = dg.Definitions(
    assets=[sql_mart(name, reads) for name, reads in TAKEUP_MARTS.items()],
    asset_checks=[mart_suite(name) for name in TAKEUP_MARTS],
)
