"""Baseline balance: means, SDs, standardised mean differences and variance ratios by arm.

Sources: EEF guidance (shared/methods/README.md: means, SDs and standardised differences by arm,
no significance tests); What Works Clearinghouse Standards Handbook v5.0 bands for |SMD|:
<= 0.05 satisfies, 0.05 to 0.25 needs statistical adjustment, > 0.25 fails; variance ratio
within 0.5 to 2 (Rubin 2001; Austin 2009, Statistics in Medicine 28(25)).

    SMD = (mean_t - mean_c) / denominator
    denominator "pooled":  sqrt((sd_t^2 + sd_c^2) / 2)   (Austin 2009)
    denominator "treated": sd_t                           (ATT matching; Stuart 2010)
    variance ratio = sd_t^2 / sd_c^2

With `weights` (e.g. matching weights) means and SDs are weighted. To compare before and after
matching on the same scale, pass the pre-matching denominators in `fixed_denominators`.
"""

from collections.abc import Mapping, Sequence

import numpy as np
import polars as pl

from pipelines.stats._design import Frame, complete_cases, covariate_matrix, treatment_indicator

DENOMINATORS = ("pooled", "treated")


def _weighted_mean_sd(x: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    mean = float(np.average(x, weights=w))
    # Reliability-weight correction so unit weights give the usual n - 1 SD.
    v1, v2 = w.sum(), (w**2).sum()
    var = float(np.sum(w * (x - mean) ** 2) / (v1 - v2 / v1))
    return mean, float(np.sqrt(var))


def wwc_band(smd: float) -> str:
    """What Works Clearinghouse judgement for one |SMD|."""
    size = abs(smd)
    if size <= 0.05:
        return "satisfies"
    if size <= 0.25:
        return "requires adjustment"
    return "fails"


def baseline_balance(
    df: Frame,
    treatment: str,
    covariates: Sequence[str],
    *,
    denominator: str = "pooled",
    weights: str | None = None,
    fixed_denominators: Mapping[str, float] | None = None,
) -> pl.DataFrame:
    """One row per covariate (text covariates: one row per level, as shares).

    Columns: covariate, n_treatment, n_control, mean_treatment, sd_treatment, mean_control,
    sd_control, smd, smd_denominator (states which SD), variance_ratio, variance_ratio_ok,
    wwc_band. Missing values are dropped covariate by covariate.
    """
    if denominator not in DENOMINATORS:
        raise ValueError(f"denominator must be one of {DENOMINATORS}, not {denominator!r}")
    rows = []
    for name in covariates:
        cols = [treatment, name, *([weights] if weights else [])]
        frame = complete_cases(df, cols)
        t = treatment_indicator(frame, treatment).astype(bool)
        w = (
            frame.get_column(weights).cast(pl.Float64).to_numpy()
            if weights
            else np.ones(frame.height)
        )
        matrix, names = covariate_matrix(frame, [name])
        if not frame.schema[name].is_numeric() and frame.schema[name] != pl.Boolean:
            first = sorted(frame.get_column(name).cast(pl.String).unique().to_list())[0]
            first_col = (frame.get_column(name).cast(pl.String) == first).cast(pl.Float64)
            matrix = np.column_stack([first_col.to_numpy(), matrix])
            names = [f"{name}[{first}]", *names]
        for j, label in enumerate(names):
            x = matrix[:, j]
            m_t, s_t = _weighted_mean_sd(x[t], w[t])
            m_c, s_c = _weighted_mean_sd(x[~t], w[~t])
            if fixed_denominators and label in fixed_denominators:
                denom, stated = fixed_denominators[label], "fixed (supplied)"
            elif denominator == "pooled":
                denom, stated = np.sqrt((s_t**2 + s_c**2) / 2), "pooled sqrt((sd_t^2+sd_c^2)/2)"
            else:
                denom, stated = s_t, "treated-group SD"
            smd = (m_t - m_c) / denom if denom > 0 else float("nan")
            ratio = s_t**2 / s_c**2 if s_c > 0 else float("nan")
            rows.append(
                {
                    "covariate": label,
                    "n_treatment": int(t.sum()),
                    "n_control": int((~t).sum()),
                    "mean_treatment": m_t,
                    "sd_treatment": s_t,
                    "mean_control": m_c,
                    "sd_control": s_c,
                    "smd": float(smd),
                    "smd_denominator": stated,
                    "variance_ratio": float(ratio),
                    "variance_ratio_ok": bool(0.5 <= ratio <= 2),
                    "wwc_band": wwc_band(smd) if np.isfinite(smd) else "not computable",
                }
            )
    return pl.DataFrame(rows)
