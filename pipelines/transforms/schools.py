"""Pure Polars: a raw school-level table (GIAS list, KS4 performance tables) -> staging.

These files are not EES open data: one row per school, published column names such as
`URN` or `PTL2BASICS_95`, percentages written "24%", dates written DD-MM-YYYY and the
performance tables' own symbols (SUPP, NE, NA, NP...). Staging renames the columns through the
source's `columns` mapping, types identifiers, dates and ages, and splits each measure into a
value and a `_status` column exactly as EES indicators are split: a symbol is never a number.
"""

import polars as pl

from pipelines.errors import InputError
from pipelines.sources import Source
from pipelines.transforms.ees import (
    check_non_negative,
    conform_period,
    split_indicators,
    status_column,
)
from pipelines.transforms.staging import LOAD_COLUMNS, ROW, prefer_published

# Symbols of the school performance tables and GIAS, and the status each becomes.
SCHOOL_SYMBOLS: dict[str, str] = {
    "supp": "confidential",  # suppressed: a cohort too small to publish
    "ne": "no_entries",  # no pupils entered
    "na": "not_applicable",
    "np": "not_available",  # not published (e.g. Progress 8 for 2024/25)
    "lowcov": "low_reliability",  # low coverage of prior attainment
    "new": "not_available",  # a new school with no results yet
    "x": "not_available",
    "z": "not_applicable",
    "c": "confidential",
}

# Columns typed beyond text, by staging name.
INTEGERS = ("urn", "statutory_low_age", "statutory_high_age", "record_type")
DATES = ("open_date", "ofsted_last_inspection")
DATE_FORMAT = "%d-%m-%Y"

# The grain of each school-level table.
KEYS = {
    "gias_establishments": ("urn",),
    "ks4_school_performance": ("time_period", "urn"),
}


def school_staging_columns(source: Source) -> list[str]:
    indicators = {source.columns[name] for name in source.indicators}
    columns = []
    for name in source.columns.values():
        columns.append(name)
        if name == "time_period":
            columns += ["time_identifier", "academic_year", "year_start"]
        if name in indicators:
            columns.append(status_column(name))
    return [*columns, *LOAD_COLUMNS]


def stage_school_level(raw: pl.DataFrame, source: Source) -> pl.DataFrame:
    """Type a raw school-level table of `source`. Raises InputError naming file, row, column."""
    parts = []
    for file in sorted(raw["source_file"].unique().to_list()):
        part = raw.filter(pl.col("source_file") == file)
        for published in source.columns:
            if published not in part.columns:
                raise InputError(
                    file,
                    "is missing a column its source layout requires",
                    row=1,
                    column=published,
                    rule="required_columns",
                )
        try:
            parts.append(_type_file(part, source, file))
        except InputError as err:
            # Name the column as the file spells it, not as staging renames it.
            raise InputError(
                err.file,
                err.detail,
                row=err.row,
                column=_published_name(source, err.column),
                rule=err.rule,
            ) from None
    typed = pl.concat(parts, how="vertical")
    keys = list(KEYS[source.name])
    staged = prefer_published(typed, keys)
    _unique(staged, keys, source)
    return staged


def _type_file(part: pl.DataFrame, source: Source, file: str) -> pl.DataFrame:
    part = part.select(*source.columns, *LOAD_COLUMNS).rename(source.columns)
    indicators = [source.columns[name] for name in source.indicators]
    # "24%" is a percentage written with its sign; the number is what is published.
    part = part.with_columns(pl.col(indicators).str.strip_chars().str.strip_suffix("%"))
    part = split_indicators(part, indicators, file, row_column=ROW, symbols=SCHOOL_SYMBOLS)
    unsigned = [source.columns[i] for i in source.indicators if i not in source.signed]
    part = check_non_negative(part, unsigned, file, row_column=ROW)
    for column in (c for c in INTEGERS if c in part.columns):
        part = _typed(part, column, pl.col(column).cast(pl.Int64, strict=False), file)
    for column in (c for c in DATES if c in part.columns):
        parsed = pl.col(column).str.strptime(pl.Date, DATE_FORMAT, strict=False)
        part = _typed(part, column, parsed, file, expected=f"a date {DATE_FORMAT}")
    if "time_period" in part.columns:
        # Performance tables are by academic year; conform it as an EES period.
        part = conform_period(
            part.with_columns(time_identifier=pl.lit("Academic year")), file, row_column=ROW
        )
    return part.select(school_staging_columns(source))


def _typed(
    frame: pl.DataFrame, column: str, expr: pl.Expr, file: str, expected: str = "an integer"
) -> pl.DataFrame:
    """Cast one column; the first cell that does not cast is an InputError naming its row."""
    out = frame.with_columns(expr.alias(column))
    bad = frame.filter(out[column].is_null() & frame[column].is_not_null())
    if bad.height:
        raise InputError(
            file,
            f"holds {bad[column][0]!r}, which is not {expected}",
            row=bad[ROW][0],
            column=column,
            rule="column_type",
        )
    return out


def _published_name(source: Source, column: str | None) -> str | None:
    """A staging column as the file spells it (errors name what the user can see)."""
    return next((theirs for theirs, ours in source.columns.items() if ours == column), column)


def _unique(frame: pl.DataFrame, keys: list[str], source: Source) -> None:
    dup = frame.filter(pl.struct(keys).is_duplicated())
    if dup.height:
        first = dup.row(0, named=True)
        raise InputError(
            first["source_file"],
            f"repeats the key {', '.join(f'{k}={first[k]}' for k in keys)}",
            row=first[ROW],
            column=_published_name(source, keys[-1]),
            rule="duplicate_rows",
        )
