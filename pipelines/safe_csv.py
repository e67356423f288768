"""CSV that is safe to open in a spreadsheet: no cell can be read as a formula.

A text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with a
single quote (the OWASP advice for CSV injection), so a spreadsheet shows it as text instead of
running it. Numeric columns are untouched: a negative number stays a number. The Parquet
exports and the database keep the values exactly as published.
"""

import duckdb
import polars as pl

# Characters a spreadsheet treats as the start of a formula.
FORMULA_START = r"^[=+\-@\t\r]"


def safe_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with every text cell that could start a formula prefixed with a quote."""
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(FORMULA_START))
        .then("'" + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name in text
    )


def write_safe_csv(frame: pl.DataFrame, path) -> None:
    safe_frame(frame).write_csv(path)


def safe_select(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """A SELECT over `table` that quotes formula-like text cells, for DuckDB's COPY ... TO."""
    columns = con.sql(f"DESCRIBE {table}").fetchall()
    exprs = []
    for name, dtype, *_ in columns:
        quoted = '"' + name.replace('"', '""') + '"'
        if dtype == "VARCHAR":
            exprs.append(
                f"CASE WHEN regexp_matches({quoted}, '{FORMULA_START}') "
                f"THEN '''' || {quoted} ELSE {quoted} END AS {quoted}"
            )
        else:
            exprs.append(quoted)
    return f"SELECT {', '.join(exprs)} FROM {table}"
