"""Turn a table in the working database into a Dagster asset check result."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.quality.runner import validate


def check_table(duckdb: DuckDBResource, schema: str, table: str) -> dg.AssetCheckResult:
    """Validate `<schema>.<table>` against `expectations/<schema>.<table>.json`."""
    with duckdb.get_connection() as con:
        frame = con.sql(f"SELECT * FROM {schema}.{table}").df()  # identifiers, not values
    result = validate(frame, f"{schema}.{table}")
    return dg.AssetCheckResult(
        passed=result.success,
        description=result.summary(),
        metadata={
            "expectations_evaluated": result.evaluated,
            "expectations_failed": len(result.failures),
            "failures": dg.MetadataValue.md(
                "\n".join(f"- {f.describe()}" for f in result.failures) or "none"
            ),
            "rows_validated": len(frame),
        },
    )
