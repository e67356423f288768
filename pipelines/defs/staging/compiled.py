"""Staging assets for compiled published figures: typed, each row tagged with its confidence."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.quality.checks import check_table
from pipelines.sources import COMPILED, CompiledSource
from pipelines.transforms.compiled import stage_compiled
from pipelines.warehouse import qualified, table_metadata, write_frame


def compiled_staging_asset(source: CompiledSource) -> dg.AssetsDefinition:
    @dg.asset(
        key=["staging", source.name],
        deps=[dg.AssetKey(["raw", source.name])],
        group_name="staging",
        kinds={"duckdb", "polars"},
        description=(
            f"One row per published figure: {source.description}.\n\n"
            f"Source: raw.{source.name}. `confidence` (official / secondary / derived / "
            "unverified) comes from the row's own tags, so an uncertain figure stays marked. "
            "Transform: pipelines/transforms/compiled.py."
        ),
    )
    def _staging(duckdb: DuckDBResource) -> dg.MaterializeResult:
        with duckdb.get_connection() as con:
            raw = con.sql(f"SELECT * FROM {qualified('raw', source.name)}").pl()
            write_frame(con, "staging", source.name, stage_compiled(raw, source))
            return dg.MaterializeResult(metadata=table_metadata(con, "staging", source.name))

    return _staging


def compiled_suite(source: CompiledSource) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(["staging", source.name]),
        name="expectation_suite",
        blocking=True,
        description=f"Expectation suite expectations/staging.{source.name}.json (blocking).",
    )
    def _suite(duckdb: DuckDBResource) -> dg.AssetCheckResult:
        return check_table(duckdb, "staging", source.name)

    return _suite


defs = dg.Definitions(
    assets=[compiled_staging_asset(s) for s in COMPILED.values()],
    asset_checks=[compiled_suite(s) for s in COMPILED.values()],
)
