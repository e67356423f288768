"""Small helpers for the DuckDB working database: write frames, run SQL files, describe tables."""

import re

import dagster as dg
import duckdb
import polars as pl

from pipelines.paths import SQL_DIR

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


def qualified(schema: str, table: str) -> str:
    """`schema.table`, refusing anything that is not a plain identifier (names are not values,
    so they cannot be bound as parameters; they come from asset keys, never from input)."""
    for part in (schema, table):
        if not _IDENTIFIER.match(part):
            raise ValueError(f"not a plain SQL identifier: {part!r}")
    return f"{schema}.{table}"


def write_frame(
    con: duckdb.DuckDBPyConnection, schema: str, table: str, frame: pl.DataFrame
) -> None:
    """Replace `schema.table` with the contents of a Polars frame."""
    name = qualified(schema, table)
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    con.register("_frame", frame)
    try:
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _frame")
    finally:
        con.unregister("_frame")


def read_sql(layer: str, table: str) -> str:
    """The SELECT in `pipelines/sql/<layer>/<table>.sql`."""
    return (SQL_DIR / layer / f"{table}.sql").read_text(encoding="utf-8")


def build_from_sql(
    con: duckdb.DuckDBPyConnection, layer: str, table: str, params: dict | None = None
) -> None:
    """Replace `layer.table` with the result of its SQL file, parameters bound."""
    name = qualified(layer, table)
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {layer}")
    con.execute(f"CREATE OR REPLACE TABLE {name} AS {read_sql(layer, table)}", params or {})


def table_metadata(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> dict:
    """Row count, column schema and a markdown preview for the Dagster UI."""
    name = qualified(schema, table)
    frame = con.sql(f"SELECT * FROM {name}").pl()
    columns = con.sql(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = $schema AND table_name = $table ORDER BY ordinal_position",
        params={"schema": schema, "table": table},
    ).fetchall()
    return {
        "dagster/row_count": frame.height,
        "dagster/column_schema": dg.TableSchema(
            columns=[dg.TableColumn(name=c, type=t) for c, t in columns]
        ),
        "table": name,
        "preview": dg.MetadataValue.md(_markdown(frame.head(10))),
    }


def _markdown(frame: pl.DataFrame) -> str:
    header = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "---|" * frame.width
    rows = [
        "| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in frame.rows()
    ]
    return "\n".join([header, rule, *rows])


def sql_description(layer: str, table: str) -> str:
    """The leading `--` comment of a SQL file, as text: its first line states the grain."""
    lines = []
    for line in read_sql(layer, table).splitlines():
        if not line.startswith("--"):
            break
        lines.append(line.removeprefix("--").strip())
    return " ".join(lines)
