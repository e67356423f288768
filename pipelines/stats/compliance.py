"""Complier average causal effect (CACE) by two-stage least squares.

Source: EEF guidance (shared/methods/README.md: "CACE by 2SLS with allocation as the
instrument, same SD as the ITT effect"); Angrist, Imbens & Rubin (1996), JASA 91(434).
Estimation with linearmodels `IV2SLS`: outcome ~ covariates + [received ~ allocation];
robust (HC) or cluster-robust standard errors. Without covariates the estimate equals the Wald
ratio ITT / (share receiving in treatment - share receiving in control).
"""

from collections.abc import Sequence

import numpy as np
import polars as pl
from linearmodels import IV2SLS

from pipelines.stats._design import Z_95, Frame, complete_cases, covariate_matrix


def cace_2sls(
    df: Frame,
    outcome: str,
    allocation: str,
    received: str,
    covariates: Sequence[str] = (),
    *,
    sd: float,
    cluster: str | None = None,
) -> pl.DataFrame:
    """CACE of receiving the intervention (one row), instrumenting `received` by `allocation`.

    `sd` is the denominator of the matching ITT effect size (e.g. `sd_used` of the headline
    row of `effect_sizes`), so `g` is on the same scale. Columns: estimate, se, CI, g and its
    CI, compliance in each arm, the first-stage F statistic, n.
    """
    cols = [outcome, allocation, received, *covariates, *([cluster] if cluster else [])]
    frame = complete_cases(df, cols)
    y = frame.get_column(outcome).cast(pl.Float64).to_numpy()
    z = frame.get_column(allocation).cast(pl.Float64).to_numpy()
    d = frame.get_column(received).cast(pl.Float64).to_numpy()
    covs, _ = covariate_matrix(frame, covariates)
    exog = np.column_stack([np.ones(len(y)), covs])
    model = IV2SLS(y, exog, d[:, None], z[:, None])
    if cluster:
        codes = np.unique(frame.get_column(cluster).cast(pl.String).to_numpy(), return_inverse=True)
        fit = model.fit(cov_type="clustered", clusters=codes[1])
        covariance = f"cluster-robust by {cluster}"
    else:
        fit = model.fit(cov_type="robust")
        covariance = "heteroscedasticity-robust"
    name = fit.params.index[-1]
    est, se = float(fit.params[name]), float(fit.std_errors[name])
    # The first-stage F of linearmodels' `first_stage.diagnostics` ("f.stat": the Wald statistic
    # of the excluded instrument under the model's covariance), computed from the first-stage
    # regression alone: diagnostics also fits Shea's R^2 models, ten times the cost.
    stage = next(iter(fit.first_stage.individual.values()))
    pi, pi_var = float(stage.params.iloc[-1]), float(np.asarray(stage.cov)[-1, -1])
    return pl.DataFrame(
        [
            {
                "estimate": est,
                "se": se,
                "ci_lower": est - Z_95 * se,
                "ci_upper": est + Z_95 * se,
                "g": est / sd,
                "g_ci_lower": (est - Z_95 * se) / sd,
                "g_ci_upper": (est + Z_95 * se) / sd,
                "sd_used": sd,
                "compliance_treatment": float(d[z == 1].mean()),
                "compliance_control": float(d[z == 0].mean()),
                "first_stage_f": pi**2 / pi_var,
                "n": len(y),
                "covariance": covariance,
            }
        ]
    )
