"""CSV that is safe to open in a spreadsheet: no cell can be read as a formula.

A text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with a
single quote (the OWASP advice for CSV injection), so a spreadsheet shows it as text instead of
running it. Spreadsheets skip leading spaces before a formula and some read the full-width
signs an East Asian input method types (`＝`, `＋`, `－`, `＠`, and the small `﹦`, `﹢`, `﹣`)
as formula starters: those are quoted too. Text, categorical and enum columns are all checked;
numeric columns are untouched, so a negative number stays a number. The Parquet exports and
the database keep the values exactly as published.
"""

import duckdb
import polars as pl

# Characters a spreadsheet treats as the start of a formula, possibly after leading spaces
# (ASCII whitespace, no-break space, ideographic space).
_SPACES = " \t\r\n\u00a0\u3000"
_STARTERS = "=+\\-@\uff1d\uff0b\uff0d\uff20\ufe66\ufe62\ufe63"
FORMULA_START = f"^([\t\r]|[{_SPACES}]*[{_STARTERS}])"


def _is_text(dtype: pl.DataType) -> bool:
    return dtype == pl.String or isinstance(dtype, (pl.Categorical, pl.Enum))


def safe_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with every text cell that could start a formula prefixed with a quote.

    Categorical and enum columns are checked as text and come back in the same type (an enum
    gains the quoted items among its categories)."""
    out = []
    for name, dtype in frame.schema.items():
        if not _is_text(dtype):
            continue
        cell = pl.col(name).cast(pl.String)
        quoted = pl.when(cell.str.contains(FORMULA_START)).then("'" + cell).otherwise(cell)
        if isinstance(dtype, pl.Enum):
            items = frame.select(quoted.unique(maintain_order=True)).to_series().drop_nulls()
            categories = list(dict.fromkeys([*dtype.categories.to_list(), *items.to_list()]))
            quoted = quoted.cast(pl.Enum(categories))
        elif dtype != pl.String:
            quoted = quoted.cast(dtype)
        out.append(quoted.alias(name))
    return frame.with_columns(out)


def write_safe_csv(frame: pl.DataFrame, path) -> None:
    safe_frame(frame).write_csv(path)


def safe_select(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """A SELECT over `table` that quotes formula-like text cells (VARCHAR and ENUM columns),
    for DuckDB's COPY ... TO."""
    columns = con.sql(f"DESCRIBE {table}").fetchall()
    exprs = []
    for name, dtype, *_ in columns:
        quoted = '"' + name.replace('"', '""') + '"'
        if dtype == "VARCHAR" or dtype.startswith("ENUM("):
            text = f"CAST({quoted} AS VARCHAR)"
            exprs.append(
                f"CASE WHEN regexp_matches({text}, '{FORMULA_START}') "
                f"THEN '''' || {text} ELSE {text} END AS {quoted}"
            )
        else:
            exprs.append(quoted)
    return f"SELECT {', '.join(exprs)} FROM {table}"
