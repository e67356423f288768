"""Staging assets: one typed table per registered source, each behind a blocking suite."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.quality.checks import check_table
from pipelines.sources import SOURCES, Source
from pipelines.transforms.schools import KEYS, stage_school_level
from pipelines.transforms.staging import stage
from pipelines.warehouse import qualified, table_metadata, write_frame


def staging_asset(source: Source) -> dg.AssetsDefinition:
    @dg.asset(
        key=["staging", source.name],
        deps=[dg.AssetKey(["raw", source.name])],
        group_name="staging",
        kinds={"duckdb", "polars"},
        description=(
            f"One row per {' x '.join(_grain(source))}: {source.title}, typed.\n\n"
            f"Source: raw.{source.name} ({source.publication}, data set {source.data_set_id}). "
            "Every indicator is split into a numeric value and `<indicator>_status`; a symbol "
            "is never 0. Published rows win over synthetic rows with the same key; "
            "`provenance` says which is which. Transform: "
            + (
                "pipelines/transforms/staging.py."
                if source.layout == "ees"
                else "pipelines/transforms/schools.py (published column names mapped to ours)."
            )
        ),
    )
    def _staging(duckdb: DuckDBResource) -> dg.MaterializeResult:
        stager = stage if source.layout == "ees" else stage_school_level
        with duckdb.get_connection() as con:
            raw = con.sql(f"SELECT * FROM {qualified('raw', source.name)}").pl()
            write_frame(con, "staging", source.name, stager(raw, source))
            return dg.MaterializeResult(metadata=table_metadata(con, "staging", source.name))

    return _staging


def _grain(source: Source) -> list[str]:
    if source.layout == "ees":
        return ["time_period", *source.filters, "geography"]
    return list(KEYS[source.name])


def staging_suite(source: Source) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(["staging", source.name]),
        name="expectation_suite",
        blocking=True,
        description=f"Expectation suite expectations/staging.{source.name}.json (blocking).",
    )
    def _suite(duckdb: DuckDBResource) -> dg.AssetCheckResult:
        return check_table(duckdb, "staging", source.name)

    return _suite


_sources = [s for s in SOURCES.values() if s.in_pipeline]
defs = dg.Definitions(
    assets=[staging_asset(s) for s in _sources],
    asset_checks=[staging_suite(s) for s in _sources],
)
