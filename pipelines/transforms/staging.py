"""Pure Polars: a raw EES table (all text) -> its typed staging table.

Steps: bring each release to the current layout; check the columns the registry promises;
conform the period; split every indicator into value + status; let published rows win over
synthetic rows with the same key.
"""

import polars as pl

from pipelines.errors import InputError
from pipelines.sources import Source, to_current_layout
from pipelines.transforms.ees import (
    check_non_negative,
    conform_period,
    split_indicators,
    status_column,
)

LOAD_COLUMNS = ("provenance", "source_data_set", "source_release", "source_file", "source_row")
ROW = "source_row"


def staging_columns(source: Source) -> list[str]:
    indicators = [c for name in source.indicators for c in (name, status_column(name))]
    return [
        "time_period",
        "time_identifier",
        "academic_year",
        "year_start",
        *source.geography,
        *source.filters,
        *indicators,
        *LOAD_COLUMNS,
    ]


def stage(raw: pl.DataFrame, source: Source) -> pl.DataFrame:
    """Type a raw table of `source`. Raises InputError naming file, row and column."""
    parts = []
    for release in sorted(raw["source_release"].unique().to_list()):
        part = raw.filter(pl.col("source_release") == release)
        file = part["source_file"][0]
        shape = source.releases.get(release)
        if shape is not None and shape.to_current is not None:
            _require(part, shape.columns, file)
            part = part.select(*shape.columns, *LOAD_COLUMNS)
        part = to_current_layout(source, release, part)
        # Geography columns below a file's own level may be absent (a national-only file).
        part = part.with_columns(
            pl.lit(None, dtype=pl.String).alias(c)
            for c in source.geography
            if c not in part.columns
        )
        _require(part, (*source.filters, *source.indicators), file)
        part = conform_period(part, file, row_column=ROW)
        part = split_indicators(part, list(source.indicators), file, row_column=ROW)
        unsigned = [i for i in source.indicators if i not in source.signed]
        part = check_non_negative(part, unsigned, file, row_column=ROW)
        parts.append(part.select(staging_columns(source)))
    typed = pl.concat(parts, how="vertical")
    return prefer_published(typed, list(source.keys))


def prefer_published(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Keep every published row; keep a synthetic row only where no published row has its key."""
    published = frame.filter(pl.col("provenance") != "synthetic")
    synthetic = frame.filter(pl.col("provenance") == "synthetic").join(
        published.select(keys), on=keys, how="anti", nulls_equal=True
    )
    order = ["year_start"] if "year_start" in frame.columns else []
    return pl.concat([published, synthetic], how="vertical").sort(
        *order, *keys, "provenance", nulls_last=True
    )


def _require(frame: pl.DataFrame, columns: tuple[str, ...], file: str) -> None:
    for name in columns:
        if name not in frame.columns:
            raise InputError(
                file,
                "is missing a column its source layout requires",
                row=1,
                column=name,
                rule="required_columns",
            )
