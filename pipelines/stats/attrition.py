"""Attrition from randomisation to analysis, by arm, overall and differential.

Source: EEF guidance (shared/methods/README.md: attrition reported at every stage by arm; the
security rating uses overall attrition at participant or pupil level, randomisation to
analysis) and the What Works Clearinghouse Standards Handbook v5.0 (2022), which judges overall
and differential attrition together. Attrition = 1 - analysed / randomised; differential =
treatment attrition minus control attrition, in percentage points.
"""

import polars as pl

from pipelines.stats._design import Frame, to_polars


def attrition_by_arm(df: Frame, arm: str, analysed: str) -> pl.DataFrame:
    """One row per arm plus `overall`: randomised, analysed, lost, attrition_percent.

    `df` has one row per randomised unit; `arm` holds the allocation (any labels; 0/1 become
    "control"/"treatment"); `analysed` is true when the unit is in the analysis sample. The
    `overall` row carries `differential_attrition_pp` (treatment minus control) when the arms
    are "treatment" and "control".
    """
    frame = to_polars(df).select(
        pl.col(arm).cast(pl.String).replace({"0": "control", "1": "treatment"}).alias("arm"),
        pl.col(analysed).cast(pl.Boolean).fill_null(False).alias("analysed"),
    )
    by_arm = frame.group_by("arm").agg(
        pl.len().alias("randomised"), pl.col("analysed").sum().alias("analysed")
    )
    overall = frame.select(
        pl.lit("overall").alias("arm"),
        pl.len().alias("randomised"),
        pl.col("analysed").sum().alias("analysed"),
    )
    table = (
        pl.concat([by_arm.sort("arm"), overall], how="vertical_relaxed")
        .with_columns(
            (pl.col("randomised") - pl.col("analysed")).alias("lost"),
            (100 * (1 - pl.col("analysed") / pl.col("randomised"))).alias("attrition_percent"),
        )
        .with_columns(pl.col(c).cast(pl.Int64) for c in ("randomised", "analysed", "lost"))
    )
    rates = dict(zip(table["arm"], table["attrition_percent"], strict=True))
    differential = (
        rates["treatment"] - rates["control"] if {"treatment", "control"} <= rates.keys() else None
    )
    return table.with_columns(
        pl.when(pl.col("arm") == "overall")
        .then(pl.lit(differential, dtype=pl.Float64))
        .otherwise(None)
        .alias("differential_attrition_pp")
    )
