"""Subgroup analyses as EEF reports them: the subgroup's own estimate (a restricted model, done
by the effect-size functions on the subgroup's rows) and the test of whether the effect
differs between the subgroup and the rest, the treatment x subgroup interaction in the
full-sample analysis model (shared/methods/README.md: "interaction model and a separate
restricted model"; EEF statistical analysis guidance 2022 on the disadvantaged subgroup).

`subgroup_interaction` fits the design's model on all units with the subgroup indicator and
its product with the treatment added:

* individual (participant-randomised): OLS, t test on the residual df;
* cluster: random-intercept model by profiled REML, GLS SE, t on the cluster-based df;
* multisite: random site intercept and site-by-treatment slope (profiled REML), GLS SE, t on
  the cluster-based df;
* binary outcomes: logistic regression (cluster-robust by the cluster or site when given),
  normal test; the interaction is a ratio of odds ratios on the log scale.
"""

from collections.abc import Sequence

import numpy as np
import polars as pl
import statsmodels.api as sm
from scipy import stats

from pipelines.stats._design import Frame, complete_cases, design_matrix
from pipelines.stats.effect_sizes import (
    _gls_beta_variance,
    _gls_intercept_beta_variance,
    _random_intercept_profile,
    _random_slope_profile,
)
from pipelines.stats.randomisation import cluster_df, cluster_level_columns

DESIGNS = ("individual", "cluster", "multisite")


def subgroup_interaction(
    df: Frame,
    outcome: str,
    treatment: str,
    subgroup: str,
    covariates: Sequence[str] = (),
    *,
    design: str = "individual",
    cluster: str | None = None,
    binary: bool = False,
) -> dict:
    """The treatment x `subgroup` interaction (0/1 or boolean column) of the design's model:
    {estimate, se, df, p_value, scale}. `estimate` is in outcome units (log odds for a
    binary outcome): how much larger the effect is in the subgroup than outside it."""
    if design not in DESIGNS:
        raise ValueError(f"design must be one of {DESIGNS}, not {design!r}")
    if design != "individual" and cluster is None:
        raise ValueError(f"a {design} design needs its cluster column")
    columns = [outcome, treatment, subgroup, *covariates, *([cluster] if cluster else [])]
    frame = complete_cases(df, columns).with_columns(pl.col(subgroup).cast(pl.Float64))
    if frame.get_column(subgroup).n_unique() < 2:
        raise ValueError(f"subgroup column '{subgroup}' does not vary: no interaction to test")
    x, t, _ = design_matrix(frame, treatment, [subgroup, *covariates])
    x = np.column_stack([x, t * frame.get_column(subgroup).to_numpy()])
    y = frame.get_column(outcome).cast(pl.Float64).to_numpy()
    last = x.shape[1] - 1
    if binary:
        options = {}
        if cluster:
            codes = np.unique(frame.get_column(cluster).cast(pl.String), return_inverse=True)[1]
            options = {"cov_type": "cluster", "cov_kwds": {"groups": codes}}
        fit = sm.GLM(y, x, family=sm.families.Binomial()).fit(**options)
        estimate, se = float(fit.params[last]), float(fit.bse[last])
        return {
            "estimate": estimate,
            "se": se,
            "df": None,
            "p_value": float(2 * stats.norm.sf(abs(estimate) / se)),
            "scale": "log odds ratio (logistic model)",
        }
    if design == "individual":
        fit = sm.OLS(y, x).fit()
        estimate, se, dof = float(fit.params[last]), float(fit.bse[last]), float(fit.df_resid)
    else:
        groups = frame.get_column(cluster).cast(pl.String).to_numpy()
        codes = np.unique(groups, return_inverse=True)[1]
        if design == "cluster":
            beta, between, within = _random_intercept_profile(y, x, groups)
            variance = _gls_intercept_beta_variance(x, codes, between, within, index=last)
        else:
            fit = _random_slope_profile(y, x, t, groups)
            beta = fit.beta
            variance = _gls_beta_variance(
                x, t, codes, fit.site_covariance / fit.within, fit.within, index=last
            )
        estimate, se = float(beta[last]), float(np.sqrt(variance))
        dof = float(cluster_df(codes.max() + 1, int(cluster_level_columns(x[:, 2:], codes).sum())))
    return {
        "estimate": estimate,
        "se": se,
        "df": dof,
        "p_value": float(2 * stats.t.sf(abs(estimate) / se, dof)),
        "scale": "outcome units (interaction coefficient)",
    }
