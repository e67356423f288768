"""Pure Polars: what changed between consecutive releases, in one long table for every source."""

import polars as pl

from pipelines.release_diff import diff_releases

CHANGES_SCHEMA = {
    "data_set": pl.String,
    "old_release": pl.String,
    "new_release": pl.String,
    "change": pl.String,
    "figure": pl.String,
    "indicator": pl.String,
    "old_value": pl.String,
    "new_value": pl.String,
}


def release_changes(
    data_set: str,
    old_release: str,
    new_release: str,
    old: pl.DataFrame,
    new: pl.DataFrame,
    keys: list[str],
    indicators: list[str],
) -> pl.DataFrame:
    """One row per figure added, removed or revised; `figure` names it as `key=value; ...`."""
    diff = diff_releases(old, new, keys, indicators)
    figure = pl.concat_str(
        [pl.when(pl.col(k).is_not_null()).then(pl.lit(f"{k}=") + pl.col(k)) for k in keys],
        separator="; ",
        ignore_nulls=True,
    )
    return diff.select(
        data_set=pl.lit(data_set),
        old_release=pl.lit(old_release),
        new_release=pl.lit(new_release),
        change=pl.col("change"),
        figure=figure,
        indicator=pl.col("indicator"),
        old_value=pl.col("old_value"),
        new_value=pl.col("new_value"),
    )
