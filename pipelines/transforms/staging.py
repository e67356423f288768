"""Pure Polars: a raw EES table (all text) -> its typed staging table.

Steps: bring each release to the current layout; check the columns the registry promises;
conform the period; split every indicator into value + status; derive the totals a release
gives only in parts (funded + non-funded starts); let published rows win over synthetic rows
with the same key, and a newer release over an older one.

Provenance vocabulary, strongest first: `published` (a figure as DfE published it), `derived`
(computed from published figures only), `synthetic` (any synthetic input). A row built from
several inputs takes the weakest of them.
"""

import polars as pl

from pipelines.errors import InputError
from pipelines.sources import Source, to_current_layout
from pipelines.transforms.ees import (
    SYMBOL_STATUS,
    VALUE,
    check_non_negative,
    conform_period,
    split_indicators,
    status_column,
)

NOT_AVAILABLE = SYMBOL_STATUS["x"]
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
    typed = pl.concat([typed, derive_funding_totals(typed, source)], how="vertical")
    return prefer_published(typed, list(source.keys))


PROVENANCE = ("published", "derived", "synthetic")  # strongest first

# Indicators that add up across funding groups (courses started: a course is funded or not),
# and those every funding group of a row shares (the workforce the rate is taken against).
# Participant counts and rates do not add up (one person may start a funded and a non-funded
# course), so a derived total leaves them unavailable.
FUNDING_SUMS = {"npq_participants": ("npq_starts",)}
FUNDING_SHARED = {"npq_participants": ("teaching_workforce_headcount_swc",)}
FUNDING_PARTS = ("Funded", "Non-funded")
FUNDING_TOTAL = "Overall"


def derive_funding_totals(frame: pl.DataFrame, source: Source) -> pl.DataFrame:
    """`Overall` rows derived from a release's published Funded and Non-funded rows, where the
    release gives both parts (with values) and no Overall row of its own.

    Summable indicators are summed, shared ones kept (both parts must agree), the others
    `not_available`: a derived row never borrows a synthetic figure. Provenance `derived`."""
    sums = FUNDING_SUMS.get(source.name, ())
    if not sums:
        return frame.clear()
    shared = FUNDING_SHARED.get(source.name, ())
    keys = [k for k in source.keys if k != "funding"]
    published = frame.filter(pl.col("provenance") == "published")
    parts = published.filter(pl.col("funding").is_in(FUNDING_PARTS))
    totals = published.filter(pl.col("funding") == FUNDING_TOTAL).select(*keys, "source_release")
    valued = [pl.col(status_column(i)) == "value" for i in (*sums, *shared)]
    grouped = (
        parts.join(totals, on=[*keys, "source_release"], how="anti", nulls_equal=True)
        .group_by([*keys, "source_release"], maintain_order=True)
        .agg(
            pl.len().alias("_parts"),
            pl.all_horizontal(*valued).all().alias("_valued"),
            *(pl.col(i).sum() for i in sums),
            *(pl.col(i).first() for i in shared),
            *(pl.col(i).n_unique().alias(f"_{i}_values") for i in shared),
            *(
                pl.col(c).first()
                for c in ("time_identifier", "academic_year", "year_start", *LOAD_COLUMNS)
                if c not in ("source_release",)
            ),
        )
        .filter(
            (pl.col("_parts") == len(FUNDING_PARTS))
            & pl.col("_valued")
            & pl.all_horizontal(pl.col(f"_{i}_values") == 1 for i in shared)
        )
    )
    others = [i for i in source.indicators if i not in (*sums, *shared)]
    derived = grouped.with_columns(
        funding=pl.lit(FUNDING_TOTAL),
        provenance=pl.lit("derived"),
        **{status_column(i): pl.lit(VALUE) for i in (*sums, *shared)},
        **{i: pl.lit(None, dtype=pl.Float64) for i in others},
        **{status_column(i): pl.lit(NOT_AVAILABLE) for i in others},
    )
    return derived.select(frame.columns).cast(frame.schema)


def prefer_published(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Per key, keep the rows of the strongest provenance (published over derived) and, among
    those, of the newest release; keep a synthetic row only where no published or derived row
    has its key. Rows repeating a key within one release are all kept, for the caller's
    duplicate check to refuse."""
    strength = pl.col("provenance").replace_strict(
        {p: i for i, p in enumerate(PROVENANCE)}, default=len(PROVENANCE), return_dtype=pl.Int8
    )
    published = frame.filter(pl.col("provenance") != "synthetic").filter(
        strength == strength.min().over(keys)
    )
    if "source_release" in frame.columns:
        newest = pl.col("source_release").max().over(keys)
        published = published.filter(pl.col("source_release") == newest)
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
