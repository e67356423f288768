import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.policy import takeup_params
from pipelines.warehouse import build_from_sql, table_metadata


@dg.asset(
    key=["marts", "npq_takeup_by_year"],
    deps=[dg.AssetKey(["staging", "npq_participants"])],
    group_name="marts",
    kinds={"duckdb", "sql"},
)
def npq_takeup_by_year(duckdb: DuckDBResource) -> dg.MaterializeResult:
    """One row per academic year x funding (England): NPQ starts against the 150,000 target.

    Source: staging.npq_participants (DfE NPQ participants 2024-25, national Overall rows);
    SQL in pipelines/sql/marts/npq_takeup_by_year.sql; target and window in pipelines/policy.py.
    The target counts courses started; unique participants are shown beside it.
    """
    with duckdb.get_connection() as con:
        build_from_sql(con, "marts", "npq_takeup_by_year", takeup_params())
        return dg.MaterializeResult(metadata=table_metadata(con, "marts", "npq_takeup_by_year"))
