"""The data dictionary: what each published column means, its unit and its decimal places.

Written once, beside each mart, as a YAML file like a dbt model's properties:
`pipelines/sql/marts/<mart>.yml` (and `pipelines/sql/records/<mart>.yml` for the record-level
marts); a mart built in Python rather than SQL has its YAML in the same folder under its name.

    name: npq_takeup_by_year
    columns:
      - name: npq_starts
        label: NPQ starts              # optional; defaults to the name in words
        description: Courses started in the year (one person may start two).
        unit: count
        dp: 0
      - name: provenance               # no description: the shared one in
                                       # pipelines/sql/columns.yml is used

A column must be listed in its mart's YAML to count as described, even when it takes the
shared description. The dictionary is carried into the DuckDB column comments of the
published database and the EES-style `<mart>.meta.csv` beside each CSV export (both written by
pipelines/publish.py), and into each mart asset's Dagster column schema. Exports are rounded to
the stated decimal places; the database keeps full precision.
"""

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import yaml

from pipelines.paths import PROJECT_ROOT, SQL_DIR
from pipelines.warehouse import sql_description

SHARED_FILE = SQL_DIR / "columns.yml"
FOLDERS = (SQL_DIR / "marts", SQL_DIR / "records")

# unit -> (EES col_type, EES indicator_unit). Indicators need decimal places; filters take none.
UNITS: dict[str, tuple[str, str]] = {
    "count": ("Indicator", ""),  # people, courses, schools, rows
    "%": ("Indicator", "%"),  # a percentage, 0 to 100
    "pp": ("Indicator", "pp"),  # percentage points: a difference of two percentages
    "£": ("Indicator", "£"),
    "ratio": ("Indicator", ""),  # one quantity over another of the same kind
    "SD": ("Indicator", ""),  # standard deviations (standardised effect sizes, SMDs)
    "months": ("Indicator", ""),
    "years": ("Indicator", ""),
    "probability": ("Indicator", ""),  # p-values, 0 to 1
    "number": ("Indicator", ""),  # any other quantity; the description says what
    "category": ("Filter", ""),
    "code": ("Filter", ""),
    "flag": ("Filter", ""),  # true / false
    "year": ("Filter", ""),  # a calendar year, or the first calendar year of an academic year
    "academic year": ("Filter", ""),
    "date": ("Filter", ""),
    "text": ("Filter", ""),  # free text: a note, a source, a rule
    "list": ("Filter", ""),  # a list of names
}
# Time and geography columns are EES observational units: described here, but a .meta.csv has
# no row for them (the file standard forbids one).
OBSERVATIONAL = {
    "time_period",
    "time_identifier",
    "geographic_level",
    "country_code",
    "country_name",
    "region_code",
    "region_name",
    "new_la_code",
    "old_la_code",
    "la_name",
}
META_COLUMNS = [
    "col_name",
    "col_type",
    "label",
    "indicator_grouping",
    "indicator_unit",
    "indicator_dp",
    "filter_hint",
    "filter_grouping_column",
]
_KEYS = {"name", "label", "description", "unit", "dp"}


class DictionaryError(ValueError):
    """A dictionary file breaks the format above; the message names the file and column."""


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    description: str
    unit: str
    dp: int | None

    @property
    def col_type(self) -> str:
        return UNITS[self.unit][0]

    @property
    def comment(self) -> str:
        """The DuckDB column comment: description, then unit and decimal places."""
        places = "" if self.dp is None else f", {self.dp} dp in exports"
        return f"{self.description} [{self.label}; unit: {self.unit}{places}]"


@dataclass(frozen=True)
class Table:
    name: str
    file: Path
    description: str
    columns: dict[str, Column]


def _column(entry, file: Path, row: int, shared: dict[str, dict]) -> Column:
    where = f"{_shown(file)}, column entry {row}"
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        raise DictionaryError(f"{where}: each column needs a `name`")
    name = entry["name"]
    where += f" ({name})"
    unknown = set(entry) - _KEYS
    if unknown:
        raise DictionaryError(f"{where}: unknown keys {sorted(unknown)}; allowed {sorted(_KEYS)}")
    if "description" not in entry and name not in shared:
        raise DictionaryError(f"{where}: no description, and none shared in {SHARED_FILE.name}")
    entry = {**shared.get(name, {}), **entry}  # the mart's own keys win over the shared ones
    description, unit, dp = entry.get("description"), entry.get("unit"), entry.get("dp")
    if not isinstance(description, str) or not description.strip():
        raise DictionaryError(f"{where}: the description is empty")
    if unit not in UNITS:
        raise DictionaryError(f"{where}: unit {unit!r} is not one of {sorted(UNITS)}")
    if UNITS[unit][0] == "Indicator" and not (isinstance(dp, int) and dp >= 0):
        raise DictionaryError(f"{where}: unit {unit} needs `dp`, a whole number of places >= 0")
    if UNITS[unit][0] == "Filter" and dp is not None:
        raise DictionaryError(f"{where}: unit {unit} takes no `dp`")
    label = entry.get("label") or name.replace("_", " ").capitalize()
    return Column(name, label, " ".join(description.split()), unit, dp)


def _read(file: Path) -> dict:
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise DictionaryError(f"{_shown(file)}: not valid YAML ({err})") from err
    if not isinstance(data, dict) or not isinstance(data.get("columns"), list):
        raise DictionaryError(f"{_shown(file)}: needs a `columns:` list")
    return data


def _shared() -> dict[str, dict]:
    entries = _read(SHARED_FILE)["columns"]
    return {e["name"]: e for e in entries if isinstance(e, dict) and "name" in e}


@cache
def load(folders: tuple[Path, ...] = FOLDERS) -> dict[str, Table]:
    """Every mart's described columns, by mart name; checked as it is read. A table's own
    description is its YAML's `description`, else the leading comment of its SQL file."""
    shared = _shared()
    tables: dict[str, Table] = {}
    for folder in folders:
        for file in sorted(folder.glob("*.yml")):
            data = _read(file)
            name = data.get("name", file.stem)
            if name != file.stem:
                raise DictionaryError(f"{_shown(file)}: `name: {name}` differs from the file name")
            if name in tables:
                raise DictionaryError(
                    f"{_shown(file)}: {name} is also described in {_shown(tables[name].file)}"
                )
            columns: dict[str, Column] = {}
            labels: set[str] = set()
            for row, entry in enumerate(data["columns"], start=1):
                column = _column(entry, file, row, shared)
                where = f"{_shown(file)}, column entry {row} ({column.name})"
                if column.name in columns:
                    raise DictionaryError(f"{where}: listed twice")
                if column.label in labels:
                    raise DictionaryError(f"{where}: label {column.label!r} is not unique")
                columns[column.name] = column
                labels.add(column.label)
            description = data.get("description") or _leading_comment(file.with_suffix(".sql"))
            tables[name] = Table(name, file, " ".join(str(description).split()), columns)
    return tables


def columns_of(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    """(name, DuckDB type) of each column of `table` (any qualified name), in order."""
    return [(name, dtype) for name, dtype, *_ in con.sql(f"DESCRIBE {table}").fetchall()]


def gaps(table: str, columns: list[str]) -> dict[str, list[str]]:
    """What the dictionary lacks for `table` with these columns: the undescribed columns, and
    the described ones the table does not have."""
    described = load().get(table)
    known = described.columns if described else {}
    return {
        "undescribed": [c for c in columns if c not in known],
        "not_in_table": [c for c in known if c not in columns],
    }


def comment(con: duckdb.DuckDBPyConnection, target: str, table: str) -> None:
    """COMMENT ON the table `target` (a qualified name) and each of its described columns."""
    described = load().get(table)
    if described is None:
        return
    statements = [
        f"COMMENT ON COLUMN {target}.{_ident(name)} IS {_literal(described.columns[name].comment)}"
        for name, _ in columns_of(con, target)
        if name in described.columns
    ]
    if described.description:
        statements.append(f"COMMENT ON TABLE {target} IS {_literal(described.description)}")
    if statements:
        con.execute(";\n".join(statements))  # one step of the publication


def rounded_select(con: duckdb.DuckDBPyConnection, source: str, table: str) -> str:
    """A SELECT over `source` with each numeric non-integer column rounded to its stated
    decimal places (for exports; the database keeps full precision)."""
    described = load().get(table)
    known = described.columns if described else {}
    exprs = []
    for name, dtype in columns_of(con, source):
        column = known.get(name)
        fractional = dtype in ("DOUBLE", "FLOAT", "REAL") or dtype.startswith("DECIMAL")
        if column is not None and column.dp is not None and fractional:
            exprs.append(f"round({_ident(name)}, {column.dp}) AS {_ident(name)}")
        else:
            exprs.append(_ident(name))
    return f"SELECT {', '.join(exprs)} FROM {source}"


def meta_frame(table: str, columns: list[tuple[str, str]]) -> pl.DataFrame:
    """The EES metadata file for an export of `table` with these (name, type) columns: one row
    per filter or indicator, none for time and geography columns. An undescribed column is
    listed by its name (the dictionary test fails on it before it can be published)."""
    described = load().get(table)
    known = described.columns if described else {}
    rows = []
    for name, dtype in columns:
        if name in OBSERVATIONAL:
            continue
        column = known.get(name)
        if column is None:
            numeric = dtype in ("DOUBLE", "FLOAT", "BIGINT", "INTEGER", "HUGEINT", "SMALLINT")
            rows.append(
                {"col_name": name, "col_type": "Indicator" if numeric else "Filter", "label": name}
            )
            continue
        col_type, unit = UNITS[column.unit]
        row = {"col_name": name, "col_type": col_type, "label": column.label}
        if col_type == "Indicator":
            row |= {"indicator_unit": unit or None, "indicator_dp": str(column.dp)}
        else:
            row |= {"filter_hint": column.description}
        rows.append(row)
    # Cells that do not apply stay empty (null), as blank fields rather than quoted "".
    return pl.DataFrame(rows, schema={c: pl.String for c in META_COLUMNS})


def column_schema(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> dg.TableSchema:
    """The Dagster column schema of `schema.table`: each column's type from DuckDB, its
    description, unit and decimal places from the dictionary."""
    described = load().get(table)
    known = described.columns if described else {}
    columns = []
    for name, dtype in columns_of(con, f"{_ident(schema)}.{_ident(table)}"):
        column = known.get(name)
        if column is None:
            columns.append(dg.TableColumn(name=name, type=dtype))
            continue
        columns.append(
            dg.TableColumn(
                name=name, type=dtype, description=column.description, tags=_tags(column)
            )
        )
    return dg.TableSchema(columns=columns)


def described(metadata: dict, con: duckdb.DuckDBPyConnection, schema: str, table: str) -> dict:
    """A mart asset's materialization metadata with the dictionary's column schema."""
    return {**metadata, "dagster/column_schema": column_schema(con, schema, table)}


def _leading_comment(sql: Path) -> str:
    """The leading `--` comment of a mart's SQL file, if it has one (its grain first)."""
    return sql_description(sql.parent.name, sql.stem) if sql.exists() else ""


def _shown(file: Path) -> str:
    """A dictionary file's path as a reader finds it: from the project root when inside it."""
    return str(file.relative_to(PROJECT_ROOT)) if file.is_relative_to(PROJECT_ROOT) else str(file)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def definition_metadata(table: str) -> dict:
    """A mart asset's definition metadata: its described columns as a Dagster column schema
    (the types come with each materialization, from `described`)."""
    found = load().get(table)
    if found is None:
        return {}
    columns = [
        dg.TableColumn(name=c.name, type="", description=c.description, tags=_tags(c))
        for c in found.columns.values()
    ]
    return {"dagster/column_schema": dg.TableSchema(columns=columns)}


def _tags(column: Column) -> dict[str, str]:
    tags = {"unit": column.unit, "label": column.label}
    if column.dp is not None:
        tags["dp"] = str(column.dp)
    return tags
