"""Binary outcomes (retention, promotion to headship): risk difference, odds ratio, Cox index.

Source: shared/methods/README.md ("Binary outcomes"): risk difference from a linear probability
model and odds ratio from a logistic model, each with cluster-robust standard errors when
allocation was by cluster; the Cox index, log odds ratio / 1.65, puts the effect on the g
scale (Cox 1970; Sanchez-Meca, Marin-Martinez & Chacon-Moscoso 2003, Psychological Methods
8(4)). Cluster-robust errors are statsmodels' CR1 sandwich (`cov_type="cluster"`, small-sample
correction on); without a cluster, heteroscedasticity-robust HC1.
"""

from collections.abc import Sequence

import numpy as np
import polars as pl
import statsmodels.api as sm

from pipelines.stats._design import Z_95, Frame, complete_cases, design_matrix

COX_SCALE = 1.65
"""Divide a log odds ratio by 1.65 to express it on the standardised mean difference scale."""


def binary_outcome_effects(
    df: Frame,
    outcome: str,
    treatment: str,
    covariates: Sequence[str] = (),
    cluster: str | None = None,
) -> pl.DataFrame:
    """Effects of `treatment` (0/1) on a 0/1 `outcome`: one row per measure.

    measures: `risk_difference` (percentage points / 100, linear probability model),
    `odds_ratio` (logistic model, CI exponentiated), `cox_index_g` (log OR / 1.65, CI likewise).
    All adjust for `covariates`; the covariance is CR1 by `cluster`, or HC1 without one
    (`covariance` column). Also reports the raw proportions and the counts by arm.
    """
    columns = [outcome, treatment, *covariates, *([cluster] if cluster else [])]
    frame = complete_cases(df, columns)
    x, t, _ = design_matrix(frame, treatment, covariates)
    y = frame.get_column(outcome).cast(pl.Float64).to_numpy()
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError(f"outcome '{outcome}' must hold only 0/1 (or booleans)")
    if cluster:
        groups = frame.get_column(cluster).cast(pl.String).to_numpy()
        codes = np.unique(groups, return_inverse=True)[1]
        fit_kw = {"cov_type": "cluster", "cov_kwds": {"groups": codes}}
        covariance = f"cluster-robust CR1 by {cluster}"
    else:
        fit_kw = {"cov_type": "HC1"}
        covariance = "heteroscedasticity-robust HC1"

    lpm = sm.OLS(y, x).fit(**fit_kw)
    rd, rd_se = float(lpm.params[1]), float(lpm.bse[1])
    logit = sm.GLM(y, x, family=sm.families.Binomial()).fit(**fit_kw)
    log_or, log_or_se = float(logit.params[1]), float(logit.bse[1])

    n_t, n_c = int(t.sum()), int(len(t) - t.sum())
    p_t, p_c = float(y[t == 1].mean()), float(y[t == 0].mean())
    lo, hi = log_or - Z_95 * log_or_se, log_or + Z_95 * log_or_se
    rows = [
        ("risk_difference", rd, rd - Z_95 * rd_se, rd + Z_95 * rd_se, rd_se, "linear probability"),
        ("odds_ratio", np.exp(log_or), np.exp(lo), np.exp(hi), log_or_se, "logistic (se: log OR)"),
        (
            "cox_index_g",
            log_or / COX_SCALE,
            lo / COX_SCALE,
            hi / COX_SCALE,
            log_or_se / COX_SCALE,
            "logistic, log OR / 1.65",
        ),
    ]
    return pl.DataFrame(
        [
            {
                "measure": m,
                "estimate": float(e),
                "ci_lower": float(lo_),
                "ci_upper": float(hi_),
                "se": float(se),
                "model": model,
                "covariance": covariance,
                "p_treatment": p_t,
                "p_control": p_c,
                "n_treatment": n_t,
                "n_control": n_c,
            }
            for m, e, lo_, hi_, se, model in rows
        ]
    )
