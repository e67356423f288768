"""Staging asset for the NPQ funding eligibility lists: one school-level frame."""

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.defs.resources import ProjectPaths
from pipelines.eligibility import load_la_regions, stage_eligibility
from pipelines.quality.checks import check_table
from pipelines.warehouse import table_metadata, write_frame


@dg.asset(
    key=["staging", "npq_eligibility"],
    deps=[dg.AssetKey(["raw", "npq_eligibility"])],
    group_name="staging",
    kinds={"duckdb", "polars"},
    description=(
        "One row per eligibility list x cohort x school (URN): the school's LA, region, phase "
        "and type where its list gives them (a URN-only list leaves them null; only RISE gives "
        "phase). Region is the list's own or its LA's (`region_from`). Rows repeating an "
        "earlier row exactly are dropped; a URN listed twice with other details stops the run. "
        "Transform: pipelines/eligibility.py."
    ),
)
def npq_eligibility_staging(duckdb: DuckDBResource, paths: ProjectPaths) -> dg.MaterializeResult:
    regions = load_la_regions(Path(paths.raw_dir))
    with duckdb.get_connection() as con:
        raw = con.sql("SELECT * FROM raw.npq_eligibility").pl()
        write_frame(con, "staging", "npq_eligibility", stage_eligibility(raw, regions))
        return dg.MaterializeResult(metadata=table_metadata(con, "staging", "npq_eligibility"))


@dg.asset_check(
    asset=dg.AssetKey(["staging", "npq_eligibility"]),
    name="expectation_suite",
    blocking=True,
    description="Expectation suite expectations/staging.npq_eligibility.json (blocking).",
)
def npq_eligibility_suite(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    return check_table(duckdb, "staging", "npq_eligibility")


defs = dg.Definitions(assets=[npq_eligibility_staging], asset_checks=[npq_eligibility_suite])
