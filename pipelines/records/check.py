"""Check a record-level file against its contract before anything is read from it.

One DuckDB pass over the file counts, for every column, the values that break the contract
(missing, wrong type, not an allowed value, not a pseudonym, a year that is not the file's)
and keeps the first offending row; a second finds a repeated key. The first problem found is
raised as an InputError naming the file, the row (1 = the first record) and the column; the
offending value is quoted unless the column is an identifier (a person's pseudonym, or
whatever was sent in its place), whose value is never shown. The file is only read.
"""

from pathlib import Path

import duckdb

from pipelines.errors import InputError
from pipelines.records.contract import COLLECTIONS, Column


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _broken(column: Column, time_period: int) -> str:
    """A SQL condition true where a value of `column` breaks the contract."""
    name = f'"{column.name}"'
    tests = [] if column.nullable else [f"{name} IS NULL"]
    typed = f"TRY_CAST({name} AS {column.type})"
    tests.append(f"({name} IS NOT NULL AND {typed} IS NULL)")
    if column.allowed:
        allowed = ", ".join(_literal(v) for v in column.allowed)
        tests.append(f"({name} IS NOT NULL AND {typed} NOT IN ({allowed}))")
    if column.pattern:
        tests.append(
            f"({name} IS NOT NULL AND NOT regexp_full_match({typed}, {_literal(column.pattern)}))"
        )
    if column.name == "time_period":
        tests.append(f"({typed} <> {time_period})")
    return " OR ".join(tests)


def _explain(column: Column, time_period: int) -> str:
    rules = ["present" if not column.nullable else None, f"a {column.type}"]
    if column.allowed:
        rules.append("one of " + ", ".join(repr(v) for v in column.allowed))
    if column.pattern:
        rules.append(f"a pseudonym matching {column.pattern}")
    if column.name == "time_period":
        rules.append(f"{time_period} (the file's year)")
    return "must be " + "; ".join(r for r in rules if r)


def _shown(con: duckdb.DuckDBPyConnection, source: str, column: Column, row: int) -> str:
    """The offending cell as the error quotes it; an identifier's value is never read out."""
    if column.identifier:
        return "an identifier (value not shown)"
    value = con.sql(
        f'SELECT CAST("{column.name}" AS VARCHAR) FROM {source} WHERE file_row_number = {row}'
    ).fetchall()[0][0]
    return repr(value)


def check_records_file(con: duckdb.DuckDBPyConnection, collection: str, path: Path) -> int:
    """Raise InputError at the first contract breach in `path`; return its row count."""
    contract = COLLECTIONS[collection]
    columns: tuple[Column, ...] = contract["columns"]
    try:
        time_period = int(path.stem)
    except ValueError:
        raise InputError(
            path, "is not named <time_period>.parquet (e.g. 202425.parquet)", rule="file_name"
        ) from None
    source = f"read_parquet({_literal(str(path))}, file_row_number = true)"
    try:
        present = {r[0] for r in con.sql(f"DESCRIBE SELECT * FROM {source}").fetchall()}
    except duckdb.Error as err:
        raise InputError(path, f"is not a readable Parquet file ({err})", rule="readable") from None
    for column in columns:
        if column.name not in present:
            raise InputError(
                path,
                "is missing a column the contract requires",
                row=None,
                column=column.name,
                rule="required_columns",
            )
    probes = ", ".join(
        f'min(file_row_number) FILTER (WHERE {_broken(c, time_period)}) AS "{c.name}"'
        for c in columns
    )
    first_bad = con.sql(f"SELECT count(*) AS n, {probes} FROM {source}").fetchall()[0]
    rows, offenders = first_bad[0], first_bad[1:]
    if rows == 0:
        raise InputError(path, "has no records", rule="no_data")
    for column, row in zip(columns, offenders, strict=True):
        if row is not None:
            raise InputError(
                path,
                f"holds {_shown(con, source, column, row)}: {_explain(column, time_period)}",
                row=row + 1,
                column=column.name,
                rule="contract",
            )
    key = ", ".join(f'"{k}"' for k in contract["key"])
    repeated = con.sql(
        f"SELECT min(file_row_number), count(*) FROM {source} GROUP BY {key} "
        "HAVING count(*) > 1 ORDER BY 1 LIMIT 1"
    ).fetchall()
    if repeated:
        row, times = repeated[0]
        raise InputError(
            path,
            f"repeats the key ({', '.join(contract['key'])}) {times} times",
            row=row + 1,
            column=contract["key"][0],
            rule="duplicate_key",
        )
    return rows
