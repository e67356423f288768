"""Pure Polars: a compiled table of published figures -> typed, with a confidence tag per row."""

import polars as pl

from pipelines.sources import CompiledSource

CONFIDENCE = ("official", "secondary", "derived", "unverified")
_NUMBER = r"^-?([0-9]+\.?[0-9]*|\.[0-9]+)$"
_TAG_COLUMNS = ("source_type", "confidence", "status")


def stage_compiled(raw: pl.DataFrame, source: CompiledSource) -> pl.DataFrame:
    """Keep every column as published; add `confidence` and, for a `value` column, a number."""
    tags = [c for c in _TAG_COLUMNS if c in raw.columns]
    text = (
        pl.concat_str([pl.col(c).fill_null("") for c in tags], separator=" ").str.to_lowercase()
        if tags
        else pl.lit("")
    )
    confidence = (
        pl.when(text.str.contains("not found"))
        .then(pl.lit("unverified"))
        .when(text.str.contains(r"^(official|gov|parliament)"))
        .then(pl.lit("official"))
        .when(text.str.contains("secondary|news|blog|hub"))
        .then(pl.lit("secondary"))
        .when(text.str.contains("derived"))
        .then(pl.lit("derived"))
        .otherwise(pl.lit(source.default_confidence))
    )
    out = raw.with_columns(source_confidence_tags=text, confidence=confidence)
    if "value" in raw.columns:
        number = pl.col("value").str.strip_chars().str.replace_all(",", "")
        out = out.with_columns(
            value_number=pl.when(number.str.contains(_NUMBER)).then(number).cast(pl.Float64)
        )
    return out.drop("source_confidence_tags")
