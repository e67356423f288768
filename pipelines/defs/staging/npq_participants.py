import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.quality.checks import check_table
from pipelines.sources import NPQ_PARTICIPANTS
from pipelines.transforms.ees import conform_period, split_indicators
from pipelines.warehouse import table_metadata, write_frame

SOURCE = NPQ_PARTICIPANTS

COLUMNS = [
    "time_period",
    "time_identifier",
    "academic_year",
    "year_start",
    "geographic_level",
    *SOURCE.geography,
    *SOURCE.filters,
]


@dg.asset(
    key=["staging", "npq_participants"],
    deps=[dg.AssetKey(["raw", "npq_participants"])],
    group_name="staging",
    kinds={"duckdb", "polars"},
)
def npq_participants(duckdb: DuckDBResource) -> dg.MaterializeResult:
    """One row per academic year x geography x funding x breakdown x group: NPQ participants.

    Source: raw.npq_participants (DfE NPQ participants, data set 79418e7a). Every indicator is
    split into a numeric value and `<indicator>_status` (value, missing, confidential,
    not_available, not_applicable, low_reliability, rounds_to_zero); a symbol is never 0.
    """
    with duckdb.get_connection() as con:
        raw = con.sql("SELECT * FROM raw.npq_participants").pl()
        file = raw["source_file"][0] if raw.height else "raw.npq_participants"
        typed = split_indicators(
            conform_period(raw, file, row_column="source_row"),
            list(SOURCE.indicators),
            file,
            row_column="source_row",
        )
        status = [f"{name}_status" for name in SOURCE.indicators]
        indicators = [c for pair in zip(SOURCE.indicators, status, strict=True) for c in pair]
        staged = typed.select(
            *COLUMNS,
            *indicators,
            "provenance",
            "source_data_set",
            "source_release",
            "source_file",
            "source_row",
        )
        write_frame(con, "staging", "npq_participants", staged)
        return dg.MaterializeResult(metadata=table_metadata(con, "staging", "npq_participants"))


@dg.asset_check(
    asset=dg.AssetKey(["staging", "npq_participants"]),
    blocking=True,
    description="Expectation suite expectations/staging.npq_participants.json (blocking).",
)
def staging_npq_participants_suite(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    return check_table(duckdb, "staging", "npq_participants")
