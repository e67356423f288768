"""Which published figures changed between two releases of a data set, figure by figure.

EES revises figures inside a release (the 2022/23 NPQ release was corrected for participants
in non-school settings), so a refresh must say exactly what moved before anyone trusts a chart
drawn from the new file. Pure Polars: frames in, frame out.
"""

import polars as pl

CHANGE_TYPES = ("added", "removed", "revised")


def _check_frame(frame: pl.DataFrame, name: str, keys: list[str], indicators: list[str]) -> None:
    missing = [k for k in keys if k not in frame.columns]
    if missing:
        raise ValueError(f"the {name} release has no key column {missing[0]!r}")
    both = sorted(set(keys) & set(indicators))
    if both:
        raise ValueError(f"{both[0]!r} is given as both a key and an indicator")
    duplicated = frame.select(keys).filter(frame.select(keys).is_duplicated())
    if duplicated.height:
        first = ", ".join(f"{k}={v!r}" for k, v in duplicated.row(0, named=True).items())
        raise ValueError(
            f"the {name} release has more than one row for {first}: keys must name one row"
        )


def _long(frame: pl.DataFrame, keys: list[str], indicators: list[str], value: str) -> pl.DataFrame:
    """One row per (keys, indicator) holding a figure; a blank cell or absent column is none."""
    present = [i for i in indicators if i in frame.columns]
    schema = {**dict.fromkeys(keys, pl.String), "indicator": pl.String, value: pl.String}
    if not present:
        return pl.DataFrame(schema=schema)
    return (
        frame.select(pl.col(*keys, *present).cast(pl.String))
        .unpivot(on=present, index=keys, variable_name="indicator", value_name=value)
        .filter(pl.col(value).is_not_null())
    )


def diff_releases(
    old: pl.DataFrame, new: pl.DataFrame, keys: list[str], indicators: list[str]
) -> pl.DataFrame:
    """One row per changed figure: change (added/removed/revised), keys, indicator, old, new.

    Values are compared and returned as text, exactly as published, so a symbol (`c`, `x`,
    `z`, `low`) replacing a number, or `8956` becoming `8969`, both show. A figure is `added`
    when the old release had no value there (no row, no column or a blank cell), `removed`
    the other way round. Sorted by change, keys, indicator: the same inputs give the same rows.
    """
    if not keys:
        raise ValueError("keys must name at least one column: they say which figure is which")
    _check_frame(old, "old", keys, indicators)
    _check_frame(new, "new", keys, indicators)
    joined = _long(old, keys, indicators, "old_value").join(
        _long(new, keys, indicators, "new_value"),
        on=[*keys, "indicator"],
        how="full",
        coalesce=True,
        nulls_equal=True,  # EES leaves non-applicable geography blank: blank matches blank
    )
    change = (
        pl.when(pl.col("old_value").is_null())
        .then(pl.lit("added"))
        .when(pl.col("new_value").is_null())
        .then(pl.lit("removed"))
        .when(pl.col("old_value") != pl.col("new_value"))
        .then(pl.lit("revised"))
    )
    return (
        joined.with_columns(change=change)
        .filter(pl.col("change").is_not_null())
        .select("change", *keys, "indicator", "old_value", "new_value")
        .sort(["change", *keys, "indicator"], nulls_last=True, maintain_order=True)
    )
