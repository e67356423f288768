"""Staging pilot assets: one typed table per evaluator file, each behind a blocking suite."""

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from pipelines.defs.raw.pilots import PILOT_TAGS
from pipelines.pilots.contract import FILES, FileContract, validate_frame
from pipelines.pilots.inputs import LOAD_COLUMNS
from pipelines.quality.checks import check_table
from pipelines.warehouse import qualified, table_metadata, write_frame


def pilot_staging_asset(contract: FileContract) -> dg.AssetsDefinition:
    name = f"pilot_{contract.name}"

    @dg.asset(
        key=["staging", name],
        deps=[dg.AssetKey(["raw", name])],
        group_name="staging",
        kinds={"duckdb", "polars"},
        tags=PILOT_TAGS,
        description=(
            f"One row per {' x '.join(contract.key)}: {contract.grain}, typed.\n\n"
            f"Source: raw.{name} (already checked against pipelines/pilots/contract.py and "
            "pseudonymised). Columns typed by the contract's parsers; file and row kept. "
            "`provenance` is synthetic for the generated default."
        ),
    )
    def _staging(duckdb: DuckDBResource) -> dg.MaterializeResult:
        with duckdb.get_connection() as con:
            raw = con.sql(f"SELECT * FROM {qualified('raw', name)}").pl()
            typed = validate_frame(raw.select(contract.column_names), contract, f"raw.{name}")
            write_frame(
                con, "staging", name, pl.concat([typed, raw.select(LOAD_COLUMNS)], how="horizontal")
            )
            return dg.MaterializeResult(metadata=table_metadata(con, "staging", name))

    return _staging


def pilot_staging_suite(contract: FileContract) -> dg.AssetChecksDefinition:
    name = f"pilot_{contract.name}"

    @dg.asset_check(
        asset=dg.AssetKey(["staging", name]),
        name="expectation_suite",
        blocking=True,
        description=f"Expectation suite expectations/staging.{name}.json (blocking), "
        "generated from the contract by pipelines/pilots/suites.py.",
    )
    def _suite(duckdb: DuckDBResource) -> dg.AssetCheckResult:
        return check_table(duckdb, "staging", name)

    return _suite


defs = dg.Definitions(
    assets=[pilot_staging_asset(c) for c in FILES.values()],
    asset_checks=[pilot_staging_suite(c) for c in FILES.values()],
)
