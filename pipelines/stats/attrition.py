"""Attrition from randomisation to analysis, by arm, overall and differential.

Source: EEF guidance (shared/methods/README.md: attrition reported at every stage by arm; the
security rating uses overall attrition at participant or pupil level, randomisation to
analysis) and the What Works Clearinghouse Standards Handbook v5.0 (2022), which judges overall
and differential attrition together. Attrition = 1 - analysed / randomised; differential =
treatment attrition minus control (or, in a matched design, comparison) attrition, in
percentage points.

`wwc_attrition_band` applies the WWC attrition boundary: the highest differential attrition
that still counts as low attrition at each whole percentage of overall attrition, under the
cautious assumption (attrition may be related to the intervention). The values are the WWC's
published boundary (Standards Handbook v4.0 Table II.1, retained in v5.0); above 57% overall
attrition every differential is high attrition.
"""

import math

import polars as pl

from pipelines.stats._design import Frame, to_polars

WWC_CAUTIOUS_BOUNDARY = (
    5.7, 5.8, 5.9, 5.9, 6.0, 6.1, 6.2, 6.3, 6.3, 6.3, 6.3, 6.2, 6.2, 6.1, 6.0, 5.9, 5.9, 5.8,
    5.7, 5.5, 5.4, 5.3, 5.2, 5.1, 4.9, 4.8, 4.7, 4.5, 4.4, 4.3, 4.1, 4.0, 3.8, 3.6, 3.5, 3.3,
    3.2, 3.1, 2.9, 2.8, 2.6, 2.5, 2.3, 2.1, 2.0, 1.8, 1.6, 1.5, 1.3, 1.2, 1.0, 0.9, 0.7, 0.6,
    0.4, 0.3, 0.2, 0.0,
)  # fmt: skip
"""Maximum |differential attrition| (percentage points) for low attrition at overall attrition
0, 1, ..., 57 percent (WWC cautious boundary)."""


def wwc_attrition_band(overall_percent: float, differential_pp: float) -> str:
    """ "low" or "high" attrition on the WWC cautious boundary.

    Between two whole-percent rows the stricter (smaller) boundary applies; overall attrition
    above 57% is high whatever the differential.
    """
    if not 0 <= overall_percent <= 100:
        raise ValueError(f"overall attrition must be a percentage, not {overall_percent}")
    low_row, high_row = math.floor(overall_percent), math.ceil(overall_percent)
    if high_row >= len(WWC_CAUTIOUS_BOUNDARY):
        return "high"
    limit = min(WWC_CAUTIOUS_BOUNDARY[low_row], WWC_CAUTIOUS_BOUNDARY[high_row])
    return "low" if abs(differential_pp) <= limit + 1e-9 else "high"


def attrition_by_arm(df: Frame, arm: str, analysed: str) -> pl.DataFrame:
    """One row per arm plus `overall`: randomised, analysed, lost, attrition_percent.

    `df` has one row per randomised unit; `arm` holds the allocation (any labels; 0/1 become
    "control"/"treatment"); `analysed` is true when the unit is in the analysis sample. The
    `overall` row carries `differential_attrition_pp` (treatment minus control, or minus
    comparison in a matched design) when the arms are "treatment" and "control" or
    "comparison".
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
    other = next((a for a in ("control", "comparison") if a in rates), None)
    differential = (
        rates["treatment"] - rates[other] if "treatment" in rates and other is not None else None
    )
    return table.with_columns(
        pl.when(pl.col("arm") == "overall")
        .then(pl.lit(differential, dtype=pl.Float64))
        .otherwise(None)
        .alias("differential_attrition_pp")
    )
