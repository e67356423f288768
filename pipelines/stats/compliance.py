"""Complier average causal effect (CACE) by two-stage least squares.

Source: EEF guidance (shared/methods/README.md: "CACE by 2SLS with allocation as the
instrument, same SD as the ITT effect"); Angrist, Imbens & Rubin (1996), JASA 91(434).
Estimation with linearmodels `IV2SLS`: outcome ~ covariates + [received ~ allocation];
robust (HC) or cluster-robust standard errors. Without covariates the estimate equals the Wald
ratio ITT / (share receiving in treatment - share receiving in control).

The published CACE effect size is put on the variance basis of the headline ITT effect size
(`cace_effect_size`): CACE g = ITT g / compliance (the just-identified 2SLS estimate is exactly
the reduced-form coefficient over the first-stage coefficient), and its variance is the delta
method's for that ratio, with the ITT's own variance (whatever formula the headline used, e.g.
Hedges 2007 for cluster trials) and the compliance terms from the 2SLS fit:

    Var(CACE) = [Var(ITT) + CACE^2 Var(pi) - 2 CACE Cov(ITT, pi)] / pi^2

where the bracket's last two terms are read off the 2SLS fit as `compliance_variance` =
Var_2SLS pi^2 - Var_reduced-form (same covariance type), floored at zero, so a CACE is never
more precise than its ITT (EEF statistical analysis guidance 2022: CACE reported beside the
ITT, same effect-size denominator; delta method as in Angrist & Pischke 2009, ch. 4).
"""

from collections.abc import Sequence

import numpy as np
import polars as pl
from linearmodels import IV2SLS

from pipelines.stats._design import Z_95, Frame, complete_cases, covariate_matrix


def cace_effect_size(itt_g, itt_se, compliance, compliance_variance=0.0):
    """(g, se) of the CACE on the ITT's variance basis: g = ITT g / compliance,
    se = sqrt(ITT se^2 + max(compliance_variance, 0)) / |compliance|.

    `compliance` is the first-stage coefficient (share receiving in treatment minus control,
    covariate-adjusted); `compliance_variance` is `cace_2sls`'s, divided by the squared SD of
    the effect size. Broadcasts over NumPy arrays.
    """
    compliance = np.asarray(compliance, dtype=float)
    extra = np.maximum(np.asarray(compliance_variance, dtype=float), 0.0)
    g = np.asarray(itt_g, dtype=float) / compliance
    se = np.sqrt(np.asarray(itt_se, dtype=float) ** 2 + extra) / np.abs(compliance)
    return g, se


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
    CI (on the regression's own variance), compliance in each arm, the first-stage coefficient
    and F statistic, the reduced-form (ITT) coefficient and SE, `compliance_variance` (raw
    units; see the module docstring and `cace_effect_size`), n.
    """
    cols = [outcome, allocation, received, *covariates, *([cluster] if cluster else [])]
    frame = complete_cases(df, cols)
    y = frame.get_column(outcome).cast(pl.Float64).to_numpy()
    z = frame.get_column(allocation).cast(pl.Float64).to_numpy()
    d = frame.get_column(received).cast(pl.Float64).to_numpy()
    covs, _ = covariate_matrix(frame, covariates)
    exog = np.column_stack([np.ones(len(y)), covs])
    model = IV2SLS(y, exog, d[:, None], z[:, None])
    reduced = IV2SLS(y, np.column_stack([exog, z]), None, None)
    if cluster:
        codes = np.unique(frame.get_column(cluster).cast(pl.String).to_numpy(), return_inverse=True)
        options = {"cov_type": "clustered", "clusters": codes[1]}
        covariance = f"cluster-robust by {cluster}"
    else:
        options = {"cov_type": "robust"}
        covariance = "heteroscedasticity-robust"
    fit = model.fit(**options)
    itt_fit = reduced.fit(**options)
    itt, itt_se = float(itt_fit.params.iloc[-1]), float(itt_fit.std_errors.iloc[-1])
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
                "first_stage": pi,
                "first_stage_f": pi**2 / pi_var,
                "reduced_form": itt,
                "reduced_form_se": itt_se,
                "compliance_variance": se**2 * pi**2 - itt_se**2,
                "n": len(y),
                "covariance": covariance,
            }
        ]
    )
