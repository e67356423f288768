"""Effect sizes (Hedges' g) with 95% confidence intervals for randomised trials, EEF style.

The numerator is always the covariate-adjusted intention-to-treat coefficient of the treatment.
The denominator is stated on every row (`model`, `variance`, `sd_used`):

* ``conditional``: residual SD (and ICC) from the covariate model;
* ``unconditional``: SD (and ICC) from the empty model, the EEF headline for cluster trials;
* ``within``: within-cluster SD only; ``total``: between plus within cluster variance.

Sources: shared/methods/README.md (EEF analysis guidance; formulas as implemented in the
eefAnalytics R package `srtFREQ` / `crtFREQ`, whose published results these functions
reproduce; no eefAnalytics code was used) and Hedges, L. V. (2007) "Effect sizes in
cluster-randomized designs", Journal of Educational and Behavioral Statistics 32(4), 341-370,
the formulas for unequal cluster sizes.

The formula functions (`hedges_g_individual`, `hedges2007_within`, `hedges2007_total`) take
NumPy arrays and broadcast, so simulations can apply them to thousands of trials at once.
"""

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
import statsmodels.api as sm
from scipy.optimize import minimize_scalar
from statsmodels.tools.sm_exceptions import ConvergenceWarning

from pipelines.stats._design import Z_95, Frame, complete_cases, design_matrix
from pipelines.stats.randomisation import (
    DRAWS,
    SEED,
    cluster_df,
    cluster_level_columns,
    cluster_randomisation_inference,
    t_quantile,
)

RESULT_SCHEMA = {
    "model": pl.String,
    "variance": pl.String,
    "g": pl.Float64,
    "ci_lower": pl.Float64,
    "ci_upper": pl.Float64,
    "icc": pl.Float64,
    "n_treatment": pl.Int64,
    "n_control": pl.Int64,
    "se": pl.Float64,
    "beta": pl.Float64,
    "sd_used": pl.Float64,
    "between_variance": pl.Float64,
    "within_variance": pl.Float64,
    "n_clusters_treatment": pl.Int64,
    "n_clusters_control": pl.Int64,
    "formula": pl.String,
    "df": pl.Float64,
    "randomisation_p_value": pl.Float64,
    "randomisation_ci_lower": pl.Float64,
    "randomisation_ci_upper": pl.Float64,
    "randomisation_draws": pl.Int64,
    "beta_se": pl.Float64,
    "beta_ci_lower": pl.Float64,
    "beta_ci_upper": pl.Float64,
}
"""Columns of both effect-size functions, in order. `icc`, the variance components and the
cluster counts are null for individual randomisation. `df`: degrees of freedom of the t
quantile of the interval (null: normal quantile 1.96, the srtFREQ interval of a participant-
randomised trial). `randomisation_*`: randomisation inference for cluster trials (p-value of
no effect, test-inversion interval on the row's g scale, number of re-randomisations); null
when not computed. `beta_se`, `beta_ci_lower` / `_upper`: the treatment coefficient in the
outcome's own units with its model-based standard error and 95% interval (t with the
residual df of the OLS model, as R's `confint` in srtFREQ's Beta table; t with the cluster-
based df for cluster and multisite designs), the same on every row of one result."""


# --- formulas -------------------------------------------------------------------------------


def hedges_g_individual(beta, sigma, n_t, n_c) -> tuple[np.ndarray, np.ndarray]:
    """Hedges' g and its standard error for a participant-randomised trial.

    Formula (shared/methods/README.md, as eefAnalytics `srtFREQ`; Hedges & Olkin 1985):

        d   = beta / sigma
        var = (n_t + n_c) / (n_t n_c) + d^2 / (2 (n_t + n_c))
        J   = 1 - 3 / (4 (n_t + n_c - 2) - 1)
        g   = J d,   SE = J sqrt(var)

    Returns (g, se); inputs broadcast as NumPy arrays.
    """
    beta, sigma = np.asarray(beta, dtype=float), np.asarray(sigma, dtype=float)
    n = np.asarray(n_t, dtype=float) + np.asarray(n_c, dtype=float)
    d = beta / sigma
    var = n / (np.asarray(n_t, dtype=float) * np.asarray(n_c, dtype=float)) + d**2 / (2 * n)
    j = 1 - 3 / (4 * (n - 2) - 1)
    return j * d, j * np.sqrt(var)


@dataclass(frozen=True)
class ClusterSizes:
    """Summaries of the cluster sizes in each arm that Hedges (2007) needs.

    N_t, N_c: participants per arm; m_t, m_c: clusters per arm; s2_*, s3_*: sums of squared and
    cubed cluster sizes per arm.
    """

    N_t: float
    N_c: float
    m_t: float
    m_c: float
    s2_t: float
    s2_c: float
    s3_t: float
    s3_c: float

    @classmethod
    def from_sizes(cls, sizes_t: Sequence[int], sizes_c: Sequence[int]) -> "ClusterSizes":
        t = np.asarray(sizes_t, dtype=float)
        c = np.asarray(sizes_c, dtype=float)
        if len(t) < 2 or len(c) < 2:
            raise ValueError("each arm needs at least two clusters for Hedges (2007)")
        return cls(
            t.sum(), c.sum(), len(t), len(c), (t**2).sum(), (c**2).sum(), (t**3).sum(), (c**3).sum()
        )

    @property
    def N(self) -> float:
        return self.N_t + self.N_c

    @property
    def M(self) -> float:
        return self.m_t + self.m_c

    @property
    def n_tilde(self) -> float:
        """n~ = N_c sum(n_it^2) / (N_t N) + N_t sum(n_ic^2) / (N_c N)."""
        return self.N_c * self.s2_t / (self.N_t * self.N) + self.N_t * self.s2_c / (
            self.N_c * self.N
        )

    @property
    def n_u_t(self) -> float:
        """n_Ut = (N_t^2 - sum n_it^2) / (N_t (m_t - 1))."""
        return (self.N_t**2 - self.s2_t) / (self.N_t * (self.m_t - 1))

    @property
    def n_u_c(self) -> float:
        return (self.N_c**2 - self.s2_c) / (self.N_c * (self.m_c - 1))

    @property
    def A(self) -> float:
        """A = sum over arms of (N_a^2 sum n_i^2 + (sum n_i^2)^2 - 2 N_a sum n_i^3) / N_a^2.

        N_a is the arm's number of participants (Hedges 2007, A_T and A_C). The methods README
        writes "N" inside the per-arm sum; only the arm total reduces to Hedges' equal-size
        result A = n (N - 2n), which the tests check.
        """

        def arm(n_a: float, s2: float, s3: float) -> float:
            return (n_a**2 * s2 + s2**2 - 2 * n_a * s3) / n_a**2

        return arm(self.N_t, self.s2_t, self.s3_t) + arm(self.N_c, self.s2_c, self.s3_c)

    @property
    def B(self) -> float:
        """B = n_Ut (m_t - 1) + n_Uc (m_c - 1)."""
        return self.n_u_t * (self.m_t - 1) + self.n_u_c * (self.m_c - 1)


def hedges2007_within(beta, sigma_w, rho, sizes: ClusterSizes) -> tuple[np.ndarray, np.ndarray]:
    """Within-cluster effect size d_W and its SE, Hedges (2007), unequal cluster sizes.

        d_W = beta / sigma_w
        SE  = sqrt( (N_t+N_c)/(N_t N_c) (1 + (n~ - 1) rho)/(1 - rho) + d_W^2 / (2 (N - M)) )

    (shared/methods/README.md, as eefAnalytics `crtFREQ`). No small-sample J factor.
    """
    d = np.asarray(beta, dtype=float) / np.asarray(sigma_w, dtype=float)
    rho = np.asarray(rho, dtype=float)
    s = sizes
    var = s.N / (s.N_t * s.N_c) * (1 + (s.n_tilde - 1) * rho) / (1 - rho) + d**2 / (2 * (s.N - s.M))
    return d, np.sqrt(var)


def hedges2007_total(beta, sigma_total, rho, sizes: ClusterSizes) -> tuple[np.ndarray, np.ndarray]:
    """Total-variance effect size d_T and its SE, Hedges (2007), unequal cluster sizes.

        d_T = beta/sigma_T sqrt(1 - rho ((N - n_Ut m_t - n_Uc m_c) + n_Ut + n_Uc - 2) / (N - 2))
        SE  = sqrt( (N_t+N_c)/(N_t N_c) (1 + (n~ - 1) rho)
                    + ((N-2)(1-rho)^2 + A rho^2 + 2 B rho (1-rho)) d_T^2
                      / (2 (N-2) ((N-2) - rho (N-2-B))) )

    with sigma_T^2 = between + within variance, n~, n_U, A and B as in `ClusterSizes`
    (shared/methods/README.md, as eefAnalytics `crtFREQ`). No small-sample J factor.
    """
    rho = np.asarray(rho, dtype=float)
    s = sizes
    correction = (s.N - s.n_u_t * s.m_t - s.n_u_c * s.m_c) + s.n_u_t + s.n_u_c - 2
    d = (
        np.asarray(beta, dtype=float)
        / np.asarray(sigma_total, dtype=float)
        * np.sqrt(1 - rho * correction / (s.N - 2))
    )
    n2 = s.N - 2
    var = s.N / (s.N_t * s.N_c) * (1 + (s.n_tilde - 1) * rho) + (
        (n2 * (1 - rho) ** 2 + s.A * rho**2 + 2 * s.B * rho * (1 - rho))
        * d**2
        / (2 * n2 * (n2 - rho * (n2 - s.B)))
    )
    return d, np.sqrt(var)


# --- data frame interfaces -------------------------------------------------------------------


def _with_randomisation(row: dict, randomisation, scale: float) -> dict:
    """`row` with the re-randomisation p-value and interval (raw interval x `scale`, the row's
    g scale), when there is one."""
    if randomisation is None:
        return row
    return row | {
        "randomisation_p_value": randomisation.p_value,
        "randomisation_ci_lower": randomisation.ci_lower * scale,
        "randomisation_ci_upper": randomisation.ci_upper * scale,
        "randomisation_draws": randomisation.draws,
    }


def _with_beta_interval(result: pl.DataFrame, beta_se: float, df: float) -> pl.DataFrame:
    """The result with the raw-unit coefficient's SE and t(df) 95% interval."""
    half = t_quantile(df) * beta_se
    return result.with_columns(
        pl.lit(beta_se, pl.Float64).alias("beta_se"),
        (pl.col("beta") - half).alias("beta_ci_lower"),
        (pl.col("beta") + half).alias("beta_ci_upper"),
    )


def _gls_intercept_beta_variance(x, codes, between: float, within: float, index: int = 1) -> float:
    """within [(X' H^-1 X)^-1]_11 of the random-intercept model: H_i^-1 = I - w_i 1 1',
    w_i = gamma / (1 + n_i gamma), gamma = between / within (as `_random_intercept_profile`)."""
    sizes = np.bincount(codes).astype(float)
    gamma = between / within if within > 0 else 0.0
    w = gamma / (1 + sizes * gamma)
    col_sums = np.zeros((len(sizes), x.shape[1]))
    np.add.at(col_sums, codes, x)
    xhx = x.T @ x - (col_sums * w[:, None]).T @ col_sums
    return float(within * np.linalg.inv(xhx)[index, index])


def _row(
    model, variance, g, se, icc, n_t, n_c, beta, sd, between, within, m_t, m_c, formula, df=None
):
    quantile = Z_95 if df is None else t_quantile(df)
    return {
        "model": model,
        "variance": variance,
        "g": float(g),
        "ci_lower": float(g - quantile * se),
        "ci_upper": float(g + quantile * se),
        "icc": icc,
        "n_treatment": int(n_t),
        "n_control": int(n_c),
        "se": float(se),
        "beta": float(beta),
        "sd_used": float(sd),
        "between_variance": between,
        "within_variance": within,
        "n_clusters_treatment": m_t,
        "n_clusters_control": m_c,
        "formula": formula,
        "df": None if df is None else float(df),
    }


def individual_randomised_effect_sizes(
    df: Frame,
    outcome: str,
    treatment: str,
    covariates: Sequence[str] = (),
    *,
    small_sample: bool = False,
    randomisation_draws: int = DRAWS,
    seed: int = SEED,
) -> pl.DataFrame:
    """Hedges' g for a participant-randomised trial: one row per model, variance "total".

    beta: OLS coefficient of `treatment` in `outcome ~ treatment + covariates` (complete cases).
    conditional:   sigma = residual SD of that model (sqrt of the residual mean square);
    unconditional: sigma = SD of the outcome (n - 1 denominator).
    g, SE and CI: `hedges_g_individual` (eefAnalytics `srtFREQ`; small-sample factor J), with
    the normal quantile 1.96 as published.

    `small_sample=True` is for units that are the randomised clusters themselves (a school-level
    outcome of a cluster-randomised trial, few units): the interval uses t with the residual
    degrees of freedom n - 2 - q (the cluster-based rule of `pipelines.stats.randomisation`,
    every covariate being unit-level), the unconditional row carries the conditional model's
    precision on its own SD (as in `cluster_randomised_effect_sizes`), and randomisation
    inference re-randomises the units (`randomisation_draws`, 0 to skip).
    `treatment` holds 0/1; text covariates become dummies. Columns: `RESULT_SCHEMA`.
    """
    frame = complete_cases(df, [outcome, treatment, *covariates])
    x, t, _ = design_matrix(frame, treatment, covariates)
    y = frame.get_column(outcome).cast(pl.Float64).to_numpy()
    fit = sm.OLS(y, x).fit()
    beta = float(fit.params[1])
    n_t, n_c = int(t.sum()), int(len(t) - t.sum())
    dof = float(fit.df_resid) if small_sample else None
    randomisation = None
    if small_sample and randomisation_draws > 0:
        randomisation = cluster_randomisation_inference(
            y, np.delete(x, 1, axis=1), t, np.arange(len(y)), 0.0,
            draws=randomisation_draws, seed=seed,
        )  # fmt: skip
    formula = "Hedges g with small-sample correction J (srtFREQ)"
    rows = []
    se_conditional = None
    for model, sigma in (("conditional", np.sqrt(fit.scale)), ("unconditional", y.std(ddof=1))):
        g, se = hedges_g_individual(beta, sigma, n_t, n_c)
        label = formula
        if small_sample:
            scale = float(hedges_g_individual(1.0, sigma, n_t, n_c)[0])
            if se_conditional is None:
                se_conditional = (float(se), scale)
            else:
                se = se_conditional[0] * scale / se_conditional[1]
                label += "; SE of the conditional model on this SD"
            label += f"; t with {dof:g} df (units - 2 - covariates)"
        row = _row(
            model, "total", g, se, None, n_t, n_c, beta, sigma, None, None, None, None,
            label, df=dof,
        )  # fmt: skip
        rows.append(_with_randomisation(row, randomisation, scale if randomisation else 1.0))
    result = pl.DataFrame(rows, schema=RESULT_SCHEMA)
    return _with_beta_interval(result, float(fit.bse[1]), float(fit.df_resid))


OPTIMISERS = (["powell", "lbfgs"], ["nm", "bfgs"], ["lbfgs"])
"""MixedLM's default optimiser can stop early (a balanced test case missed REML's variance
components by 25%), so three optimiser chains are tried and the highest REML likelihood kept."""


def _random_intercept(y: np.ndarray, x: np.ndarray, groups: np.ndarray):
    """REML fit of y ~ x + (1 | group); returns (fit, between variance, within variance)."""
    model = sm.MixedLM(y, x, groups=groups)
    best = None
    with warnings.catch_warnings():
        # A zero between-cluster variance is a legitimate estimate (boundary), not an error.
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.filterwarnings("ignore", message=".*(boundary|Hessian|singular).*")
        for method in OPTIMISERS:
            try:
                fit = model.fit(reml=True, method=method)
            except (np.linalg.LinAlgError, ValueError):
                continue
            if np.isfinite(fit.llf) and (best is None or fit.llf > best.llf + 1e-9):
                best = fit
    if best is None:
        raise ValueError("the random-intercept model could not be fitted")
    between = max(float(np.asarray(best.cov_re)[0, 0]), 0.0)
    return best, between, float(best.scale)


def _random_intercept_profile(y: np.ndarray, x: np.ndarray, groups: np.ndarray):
    """REML fit of y ~ x + (1 | group) by profiling out beta and sigma^2 (one-dimensional).

    With gamma = between / within variance, V_i = within (I + gamma 1 1'), so
    H_i^-1 = I - w_i 1 1' with w_i = gamma / (1 + n_i gamma) and every GLS quantity is a sum over
    clusters of column sums. The REML criterion (Harville 1977; the one statsmodels MixedLM
    maximises) is then a function of gamma alone:

        -2 l_R = (N - p) log s2 + sum log(1 + n_i gamma) + log |X' H^-1 X|,
        s2 = (y' H^-1 y - b' X' H^-1 y) / (N - p),

    minimised over gamma >= 0 by bounded Brent search (the boundary gamma = 0 included). Same
    estimates as MixedLM in milliseconds instead of seconds. Returns (beta, between, within).
    """
    codes = np.unique(groups, return_inverse=True)[1]
    sizes = np.bincount(codes).astype(float)
    col_sums = np.zeros((len(sizes), x.shape[1]))
    np.add.at(col_sums, codes, x)
    y_sums = np.bincount(codes, weights=y)
    xtx, xty, yty = x.T @ x, x.T @ y, float(y @ y)
    n, p = x.shape

    def solve(gamma: float):
        w = gamma / (1 + sizes * gamma)
        a = xtx - (col_sums * w[:, None]).T @ col_sums
        b = xty - col_sums.T @ (w * y_sums)
        beta = np.linalg.solve(a, b)
        s2 = (yty - float(w @ y_sums**2) - float(beta @ b)) / (n - p)
        criterion = (n - p) * np.log(s2) + np.log1p(sizes * gamma).sum()
        return criterion + np.linalg.slogdet(a)[1], beta, s2

    # Search on rho = gamma / (1 + gamma) in [0, 1): bounded, and scale-free.
    search = minimize_scalar(
        lambda r: solve(r / (1 - r))[0], bounds=(0.0, 0.999), method="bounded",
        options={"xatol": 1e-7},
    )  # fmt: skip
    best = min((search.x, 0.0), key=lambda r: solve(r / (1 - r))[0])
    gamma = best / (1 - best)
    _, beta, s2 = solve(gamma)
    return beta, gamma * s2, s2


FITS = ("mixedlm", "profile")
"""How the random-intercept model is fitted: statsmodels MixedLM with several optimiser
chains (the reference), or the profiled REML criterion (`_random_intercept_profile`: same
estimates, used where many models must be fitted quickly, e.g. in the pipeline)."""


def cluster_randomised_effect_sizes(
    df: Frame,
    outcome: str,
    treatment: str,
    cluster: str,
    covariates: Sequence[str] = (),
    *,
    fit: str = "mixedlm",
    randomisation_draws: int = DRAWS,
    seed: int = SEED,
) -> pl.DataFrame:
    """Hedges (2007) effect sizes for a cluster-randomised trial: model x variance, four rows.

    beta: treatment coefficient of the random-intercept model
    `outcome ~ treatment + covariates + (1 | cluster)`, fitted by REML (statsmodels MixedLM,
    or with `fit="profile"` the profiled REML criterion: same estimates, far faster).
    conditional:   between/within variances and rho from that model;
    unconditional: from the empty model `outcome ~ 1 + (1 | cluster)` (EEF headline: total).
    within: `hedges2007_within`; total: `hedges2007_total` (eefAnalytics `crtFREQ`; no J).

    Intervals (pipelines/stats/METHODS.md, "Intervals for few clusters"):
    * every row's interval is g +- t(df) SE with df = M - 2 - q cluster-based degrees of
      freedom (M clusters, q cluster-level covariates; `pipelines.stats.randomisation`), in
      the `df` column;
    * conditional rows: SE by Hedges (2007) from the covariate model;
    * unconditional rows: the same precision as the conditional row of the same variance
      (the beta is the covariate model's), expressed on the unconditional SD: SE_u = SE_c x
      g_u / g_c (the ratio of the two standardisers, beta cancels). The crtFREQ SE with the
      empty model's ICC ignores the precision the covariates buy, and over-covers (99% in the
      simulation with two covariates). EEF guidance (2022) likewise derives the effect size's
      interval from the interval of the adjusted coefficient in the analysis model.
    * randomisation inference (`randomisation_draws` seeded re-randomisations of the
      clusters; 0 to skip): p-value of no effect and the test-inversion interval of beta,
      put on each row's g scale.
    `treatment` holds 0/1 and must be constant within a cluster. Columns: `RESULT_SCHEMA`.
    """
    frame = complete_cases(df, [outcome, treatment, cluster, *covariates])
    x, t, _ = design_matrix(frame, treatment, covariates)
    y = frame.get_column(outcome).cast(pl.Float64).to_numpy()
    groups = frame.get_column(cluster).cast(pl.String).to_numpy()

    per_cluster = (
        frame.with_columns(pl.col(treatment).cast(pl.Float64).alias("_t"))
        .group_by(cluster)
        .agg(pl.len().alias("n"), pl.col("_t").min().alias("lo"), pl.col("_t").max().alias("hi"))
    )
    mixed = per_cluster.filter(pl.col("lo") != pl.col("hi"))
    if mixed.height:
        raise ValueError(
            f"treatment '{treatment}' varies within {mixed.height} cluster(s) of '{cluster}' "
            f"(e.g. {mixed.get_column(cluster)[0]!r}): not a cluster-randomised design"
        )
    sizes = ClusterSizes.from_sizes(
        per_cluster.filter(pl.col("lo") == 1).get_column("n").to_numpy(),
        per_cluster.filter(pl.col("lo") == 0).get_column("n").to_numpy(),
    )
    if fit not in FITS:
        raise ValueError(f"fit must be one of {FITS}, not {fit!r}")
    if fit == "profile":
        params, between_c, within_c = _random_intercept_profile(y, x, groups)
        _, between_u, within_u = _random_intercept_profile(y, np.ones((len(y), 1)), groups)
    else:
        fitted, between_c, within_c = _random_intercept(y, x, groups)
        params = fitted.fe_params
        _, between_u, within_u = _random_intercept(y, np.ones((len(y), 1)), groups)
    beta = float(params[1])

    codes = np.unique(groups, return_inverse=True)[1]
    n_t, n_c = int(t.sum()), int(len(t) - t.sum())
    m_t, m_c = int(sizes.m_t), int(sizes.m_c)
    cluster_level = int(cluster_level_columns(x[:, 2:], codes).sum())
    dof = cluster_df(m_t + m_c, cluster_level)
    randomisation = None
    if randomisation_draws > 0:
        arm = np.zeros(m_t + m_c)
        arm[codes] = t
        randomisation = cluster_randomisation_inference(
            y, np.delete(x, 1, axis=1), arm, codes, between_c / within_c if within_c > 0 else 0.0,
            draws=randomisation_draws, seed=seed,
        )  # fmt: skip

    components = {
        "conditional": (between_c, within_c),
        "unconditional": (between_u, within_u),
    }
    formulas = {
        "within": (hedges2007_within, "Hedges (2007) d_W, unequal cluster sizes (crtFREQ)"),
        "total": (hedges2007_total, "Hedges (2007) d_T, unequal cluster sizes (crtFREQ)"),
    }
    conditional_se: dict[str, tuple[float, float]] = {}
    rows = []
    for model, (between, within) in components.items():
        rho = between / (between + within)
        sd = {"within": np.sqrt(within), "total": np.sqrt(between + within)}
        for variance, (formula, label) in formulas.items():
            d, se = formula(beta, sd[variance], rho, sizes)
            scale = float(formula(1.0, sd[variance], rho, sizes)[0])  # g per unit of beta
            if model == "conditional":
                conditional_se[variance] = (float(se), scale)
                label += f"; t with {dof} df (clusters - 2 - {cluster_level} cluster-level)"
            else:
                se_c, scale_c = conditional_se[variance]
                se = se_c * scale / scale_c
                label += f"; SE of the conditional model on this SD; t with {dof} df"
            row = _row(
                model, variance, d, se, rho, n_t, n_c, beta, sd[variance], between, within,
                m_t, m_c, label, df=dof,
            )  # fmt: skip
            rows.append(_with_randomisation(row, randomisation, scale if randomisation else 1.0))
    result = pl.DataFrame(rows, schema=RESULT_SCHEMA)
    variance = _gls_intercept_beta_variance(x, codes, between_c, within_c)
    return _with_beta_interval(result, float(np.sqrt(variance)), dof)


# --- multisite trials: randomised within sites -------------------------------------------------


@dataclass(frozen=True)
class SiteSizes:
    """Participants per arm in each site holding both arms (the sites that inform the effect),
    and the totals N and M over all sites analysed."""

    n_t: np.ndarray
    n_c: np.ndarray
    N: float
    M: float

    @property
    def n_harmonic(self) -> np.ndarray:
        """n~_i = n_it n_ic / (n_it + n_ic): the site's effective size for a contrast."""
        return self.n_t * self.n_c / (self.n_t + self.n_c)


def mstfreq_contrast_variance(slope_variance, sigma_w2, sizes: SiteSizes):
    """Variance of the average treatment effect of a multisite trial as eefAnalytics `mstFREQ`
    computes it: the precision-weighted mean of the site contrasts,

        Var(beta) = 1 / sum_i 1 / (tau^2 + sigma_w^2 / n~_i)

    over the sites holding both arms (tau^2 the site-by-treatment variance, n~_i as in
    `SiteSizes`; the first term of mstFREQ's SE, times sigma^2). NumPy broadcasting."""
    per_site = np.asarray(slope_variance, dtype=float)[..., None] + (
        np.asarray(sigma_w2, dtype=float)[..., None] / sizes.n_harmonic
    )
    return 1 / (1 / per_site).sum(axis=-1)


def multisite_g(beta, sigma2, contrast_variance, sizes: SiteSizes):
    """Effect size of a multisite trial on the SD sqrt(`sigma2`) and its SE (the form of the
    variance derived for eefAnalytics `mstFREQ`; shared/methods/README.md):

        d  = beta / sigma
        SE = sqrt( Var(beta) / sigma^2 + d^2 / (2N - 4M) )

    within: sigma^2 = within-site variance; total: site + within + share treated x (slope
    variance + 2 covariance). mstFREQ's Var(beta) is `mstfreq_contrast_variance`;
    `multisite_effect_sizes` passes the model-based (GLS) variance of the treatment
    coefficient, which equals it when every site holds both arms and there are no covariates,
    and otherwise also counts the covariates and the sites holding one arm. Returns (d, SE).
    """
    sigma2 = np.asarray(sigma2, dtype=float)
    d = np.asarray(beta, dtype=float) / np.sqrt(sigma2)
    var = np.asarray(contrast_variance, dtype=float) / sigma2 + d**2 / (2 * sizes.N - 4 * sizes.M)
    return d, np.sqrt(var)


@dataclass(frozen=True)
class SlopeFit:
    """REML fit of y ~ x + (1 + t | site): fixed effects, the 2 x 2 covariance of the site
    intercept and site-by-treatment slope, the within-site (residual) variance, and the GLS
    variance of the treatment coefficient, sigma^2 [(X' H^-1 X)^-1]_11 (`_gls_beta_variance`)."""

    beta: np.ndarray
    site_covariance: np.ndarray
    within: float
    beta_variance: float


def _random_slope(y: np.ndarray, x: np.ndarray, t: np.ndarray, groups: np.ndarray) -> SlopeFit:
    """statsmodels MixedLM (REML) of y ~ x + (1 + t | site), correlated intercept and slope, as
    lme4's `(1 + trt | cluster)` in mstFREQ; the best of several optimiser chains."""
    model = sm.MixedLM(y, x, groups=groups, exog_re=np.column_stack([np.ones_like(t), t]))
    best = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.filterwarnings("ignore", message=".*(boundary|Hessian|singular).*")
        for method in OPTIMISERS:
            try:
                fit = model.fit(reml=True, method=method)
            except (np.linalg.LinAlgError, ValueError):
                continue
            if np.isfinite(fit.llf) and (best is None or fit.llf > best.llf + 1e-9):
                best = fit
    if best is None:
        raise ValueError("the random-slope (site-by-treatment) model could not be fitted")
    gamma, scale = np.asarray(best.cov_re), float(best.scale)
    codes = np.unique(groups, return_inverse=True)[1]
    variance = _gls_beta_variance(x, t, codes, gamma / scale, scale)
    return SlopeFit(np.asarray(best.fe_params), gamma, scale, variance)


def _gls_beta_variance(x, t, codes, relative: np.ndarray, scale: float, index: int = 1) -> float:
    """sigma^2 [(X' H^-1 X)^-1]_11 for site covariance sigma^2 `relative`: the GLS variance of
    the treatment coefficient given the variance components (MixedLM's `bse_fe` comes from
    the joint information of all parameters instead). H_i^-1 = I - Z_i G (I + Z_i'Z_i G)^-1
    Z_i' with Z_i = [1, t_i], which needs no inverse of G (a boundary fit is singular)."""
    z = np.column_stack([np.ones_like(t), t])
    a = np.zeros((codes.max() + 1, 2, 2))
    np.add.at(a, codes, z[:, :, None] * z[:, None, :])
    c = np.zeros((codes.max() + 1, 2, x.shape[1]))
    np.add.at(c, codes, z[:, :, None] * x[:, None, :])
    proj = relative @ np.linalg.inv(np.eye(2) + a @ relative)
    xhx = x.T @ x - np.einsum("mai,mab,mbj->ij", c, proj, c)
    return float(scale * np.linalg.inv(xhx)[index, index])


def _random_slope_profile(
    y: np.ndarray, x: np.ndarray, t: np.ndarray, groups: np.ndarray
) -> SlopeFit:
    """The same REML fit by profiling out beta and sigma^2 (three parameters left).

    With the site covariance Gamma = sigma^2 L L' (L lower triangular) and Z_i = [1, t_i],
    V_i = sigma^2 (I + Z_i L L' Z_i'), and by Woodbury
    V_i^-1 = sigma^-2 (I - Z_i L K_i^-1 L' Z_i'), K_i = I + L' Z_i'Z_i L, log|I + Z_i L L' Z_i'|
    = log|K_i|. Every GLS quantity is a sum over sites of 2 x 2 products, so the REML
    criterion (Harville 1977, the one MixedLM maximises)

        -2 l_R = (N - p) log s2 + sum_i log|K_i| + log|X' H^-1 X|

    costs microseconds; it is minimised over L by Nelder-Mead. Same estimates as
    MixedLM (tested), for the simulations that need thousands of fits.
    """
    from scipy.optimize import minimize

    codes = np.unique(groups, return_inverse=True)[1]
    m = codes.max() + 1
    z = np.column_stack([np.ones_like(t), t])
    a = np.zeros((m, 2, 2))
    np.add.at(a, codes, z[:, :, None] * z[:, None, :])
    c = np.zeros((m, 2, x.shape[1]))
    np.add.at(c, codes, z[:, :, None] * x[:, None, :])
    b = np.zeros((m, 2))
    np.add.at(b, codes, z * y[:, None])
    xtx, xty, yty = x.T @ x, x.T @ y, float(y @ y)
    n, p = x.shape

    def solve(theta):
        lower = np.array([[theta[0], 0.0], [theta[1], theta[2]]])
        k = np.eye(2) + lower.T @ a @ lower  # (m, 2, 2)
        det = k[:, 0, 0] * k[:, 1, 1] - k[:, 0, 1] * k[:, 1, 0]
        k_inv = np.stack([k[:, 1, 1], -k[:, 0, 1], -k[:, 1, 0], k[:, 0, 0]], -1)
        proj = lower @ (k_inv.reshape(-1, 2, 2) / det[:, None, None]) @ lower.T  # L K^-1 L'
        pc, pb = proj @ c, (proj @ b[:, :, None])[:, :, 0]
        xhx = xtx - np.einsum("mai,maj->ij", c, pc)
        xhy = xty - np.einsum("mai,ma->i", c, pb)
        yhy = yty - float(np.einsum("ma,ma->", b, pb))
        beta = np.linalg.solve(xhx, xhy)
        s2 = (yhy - beta @ xhy) / (n - p)
        if not s2 > 0 or not (det > 0).all():
            return np.inf, beta, s2, lower, xhx
        criterion = (n - p) * np.log(s2) + np.log(det).sum()
        return criterion + np.linalg.slogdet(xhx)[1], beta, s2, lower, xhx

    best = minimize(
        lambda th: solve(th)[0], [0.5, 0.0, 0.2], method="Nelder-Mead",
        options={"xatol": 1e-5, "fatol": 1e-7, "maxiter": 3000},
    )  # fmt: skip
    _, beta, s2, lower, xhx = solve(best.x)
    return SlopeFit(beta, s2 * lower @ lower.T, float(s2), float(s2 * np.linalg.inv(xhx)[1, 1]))


def multisite_effect_sizes(
    df: Frame,
    outcome: str,
    treatment: str,
    site: str,
    covariates: Sequence[str] = (),
    *,
    fit: str = "mixedlm",
) -> pl.DataFrame:
    """Effect sizes for a multisite trial (units randomised within sites, so a site holds both
    arms): model x variance, four rows, the columns of `RESULT_SCHEMA`.

    Model, as eefAnalytics `mstFREQ` (EEF's analysis of multisite trials; its published
    documentation and source were read, none of its code used): REML fit of
    `outcome ~ treatment + covariates + (1 + treatment | site)`, a random site intercept and a
    random site-by-treatment slope, correlated (statsmodels MixedLM, or `fit="profile"`:
    `_random_slope_profile`, the same estimates in a fraction of the time). beta is the fixed
    treatment coefficient: the average effect over sites.

    conditional: within = residual variance sigma_w^2 of that model; total = sigma_T^2 =
        site variance + sigma_w^2 + share treated x (slope variance + 2 x covariance), as
        mstFREQ. SE by `multisite_g`, the form of the variance derived for mstFREQ, with
        the model-based (GLS) variance of beta: equal to mstFREQ's precision-weighted mean of
        the site contrasts (`mstfreq_contrast_variance`) when every site holds both arms and
        there are no covariates (tested), and otherwise also counting the covariates and the
        sites that hold one arm (through the random intercepts), which mstFREQ's expression
        leaves out: with one or two participants per school most schools hold one arm.
    unconditional: SDs from the empty model `outcome ~ 1 + (1 | site)` (the EEF headline:
        total). mstFREQ applies the cluster-trial formulas with the empty model's ICC here;
        this project gives unconditional rows the conditional model's precision on their own
        SD (SE_u = SE_c x g_u / g_c), as `cluster_randomised_effect_sizes` does, since the
        beta is the covariate model's (pipelines/stats/METHODS.md).

    Interval: g +- t(df) SE with df = sites - 2 - site-level covariates, the cluster-based
    rule of `pipelines.stats.randomisation.cluster_df` (site-level contrasts carry the
    effect's uncertainty when it varies between sites). `icc`: share of the conditional total
    variance between sites; `between_variance` = total - within. Randomisation inference is
    not computed (null `randomisation_*`). `treatment` holds 0/1; at least two sites must
    hold both arms. Simulated bias and coverage: tests/test_stats_multisite.py.
    """
    frame = complete_cases(df, [outcome, treatment, site, *covariates])
    x, t, _ = design_matrix(frame, treatment, covariates)
    y = frame.get_column(outcome).cast(pl.Float64).to_numpy()
    groups = frame.get_column(site).cast(pl.String).to_numpy()
    codes = np.unique(groups, return_inverse=True)[1]
    n_t_site = np.bincount(codes, weights=t)
    n_c_site = np.bincount(codes, weights=1 - t)
    both = (n_t_site > 0) & (n_c_site > 0)
    if both.sum() < 2:
        raise ValueError(
            f"fewer than two sites of '{site}' hold both arms of '{treatment}': not a multisite "
            "design (use the individual or cluster-randomised estimator)"
        )
    sizes = SiteSizes(n_t_site[both], n_c_site[both], float(len(y)), float(len(n_t_site)))
    if fit not in FITS:
        raise ValueError(f"fit must be one of {FITS}, not {fit!r}")
    slope_fit = (_random_slope if fit == "mixedlm" else _random_slope_profile)(y, x, t, groups)
    if fit == "mixedlm":
        _, between_u, within_u = _random_intercept(y, np.ones((len(y), 1)), groups)
    else:
        _, between_u, within_u = _random_intercept_profile(y, np.ones((len(y), 1)), groups)
    beta = float(slope_fit.beta[1])
    gamma = slope_fit.site_covariance
    sigma_w2, tau2 = slope_fit.within, max(float(gamma[1, 1]), 0.0)
    share = t.mean()
    total_c = max(float(gamma[0, 0]), 0.0) + sigma_w2 + share * (tau2 + 2 * float(gamma[0, 1]))
    total_c = max(total_c, sigma_w2)
    site_level = int(cluster_level_columns(x[:, 2:], codes).sum())
    dof = cluster_df(len(n_t_site), site_level)
    n_t, n_c = int(t.sum()), int(len(t) - t.sum())
    m_t, m_c = int((n_t_site > 0).sum()), int((n_c_site > 0).sum())
    label = (
        f"multisite (mstFREQ): random site intercept and site-by-treatment slope (slope "
        f"variance {tau2:.4g}); SE from the model's variance of beta; t with {dof} df (sites "
        f"- 2 - {site_level} site-level)"
    )
    rows = []
    conditional: dict[str, tuple[float, float]] = {}
    between_c = total_c - sigma_w2
    for variance in ("within", "total"):
        sigma2 = sigma_w2 if variance == "within" else total_c
        d, se = multisite_g(beta, sigma2, slope_fit.beta_variance, sizes)
        sd = np.sqrt(sigma2)
        conditional[variance] = (float(se), float(sd))
        row = _row(
            "conditional", variance, d, se, between_c / total_c, n_t, n_c, beta, sd, between_c,
            sigma_w2, m_t, m_c, label, df=dof,
        )  # fmt: skip
        rows.append(row)
    rho_u = between_u / (between_u + within_u)
    label += "; SDs of the empty model; SE of the conditional model on this SD"
    for variance, sd in (("within", np.sqrt(within_u)), ("total", np.sqrt(between_u + within_u))):
        se_c, sd_c = conditional[variance]
        row = _row(
            "unconditional", variance, beta / sd, se_c * sd_c / sd, rho_u, n_t, n_c, beta, sd,
            between_u, within_u, m_t, m_c, label, df=dof,
        )  # fmt: skip
        rows.append(row)
    result = pl.DataFrame(rows, schema=RESULT_SCHEMA)
    return _with_beta_interval(result, float(np.sqrt(slope_fit.beta_variance)), dof)


# --- multi-arm trials: several intervention arms against one control ---------------------------

MULTIPLE_COMPARISON_NOTE = (
    "{k} intervention arms each compared with the same control: each contrast answers its own "
    "pre-specified question and its 95% interval is not adjusted for multiplicity (Parker & "
    "Weir 2020, Clinical Trials 17(5), 562-566); the contrasts share the control group, so "
    "they are correlated; Holm-adjusted p-values of the headline rows are given for a "
    "family-wise reading (EEF statistical analysis guidance: contrasts and any adjustment "
    "pre-specified in the statistical analysis plan)"
)
"""The note on every multi-arm row (pipelines/stats/METHODS.md, "Multi-arm trials")."""


def holm_adjust(p_values: np.ndarray) -> np.ndarray:
    """Holm (1979) step-down adjusted p-values: sorted ascending, the i-th (from 0) is
    max over j <= i of min(1, (k - j) p_(j)). The same as statsmodels `multipletests(...,
    method="holm")` (tested), which runs a full garbage collection on every call (0.3 s),
    too slow for the simulations."""
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p)
    stepped = np.minimum(1.0, (len(p) - np.arange(len(p))) * p[order])
    adjusted = np.empty_like(p)
    adjusted[order] = np.maximum.accumulate(stepped)
    return adjusted


MULTI_ARM_SCHEMA = {
    "contrast": pl.String,
    **RESULT_SCHEMA,
    "p_value": pl.Float64,
    "p_value_holm": pl.Float64,
    "multiple_comparison_note": pl.String,
}


def multi_arm_effect_sizes(
    df: Frame,
    outcome: str,
    arm: str,
    control: str,
    covariates: Sequence[str] = (),
    *,
    design: str = "individual",
    cluster: str | None = None,
    **options,
) -> pl.DataFrame:
    """Effect sizes of every intervention arm against one control: the rows of the design's
    estimator for each contrast, with the contrast named, a p-value, Holm-adjusted p-values
    over the headline rows (`holm_adjust`) and the multiple-comparison note.

    `arm` holds the arm labels, `control` the control arm's label; every other label is an
    intervention arm. Each contrast is the two-arm analysis of that arm and the control
    (`design`: "individual" -> `individual_randomised_effect_sizes`, "cluster" ->
    `cluster_randomised_effect_sizes`, "multisite" -> `multisite_effect_sizes`; `cluster` is
    the cluster or site column; `options` go to the estimator), so each is standardised by its
    own two arms' SDs, as a trial reporting each arm against control does. p-value: two-sided,
    g / SE on the row's t(df) (normal when df is null). Columns: `MULTI_ARM_SCHEMA`.
    """
    from scipy import stats

    frame = complete_cases(df, [outcome, arm, *([cluster] if cluster else []), *covariates])
    labels = frame.get_column(arm).cast(pl.String)
    arms = sorted(set(labels.unique().to_list()) - {control})
    if control not in set(labels.to_list()):
        raise ValueError(f"control arm {control!r} not found in column '{arm}'")
    if not arms:
        raise ValueError(f"column '{arm}' holds no intervention arm besides {control!r}")
    parts = []
    for name in arms:
        pair = frame.filter(labels.is_in([name, control])).with_columns(
            (pl.col(arm).cast(pl.String) == name).cast(pl.Int8).alias("_treated")
        )
        if design == "individual":
            rows = individual_randomised_effect_sizes(
                pair, outcome, "_treated", covariates, **options
            )
        elif design in ("cluster", "multisite") and cluster:
            estimator = (
                cluster_randomised_effect_sizes if design == "cluster" else multisite_effect_sizes
            )
            rows = estimator(pair, outcome, "_treated", cluster, covariates, **options)
        else:
            raise ValueError(f"design must be individual, cluster or multisite (with a cluster "
                             f"column), not {design!r}")  # fmt: skip
        z = (rows["g"] / rows["se"]).abs().to_numpy()
        dfs = rows["df"].to_numpy()
        p = np.where(
            np.isnan(dfs), 2 * stats.norm.sf(z), 2 * stats.t.sf(z, np.nan_to_num(dfs, nan=1))
        )
        parts.append(
            rows.with_columns(
                pl.lit(f"{name} vs {control}").alias("contrast"), pl.Series("p_value", p)
            )
        )
    result = pl.concat(parts)
    headline = (pl.col("model") == "unconditional") & (pl.col("variance") == "total")
    heads = result.filter(headline)
    holm = dict(zip(heads["contrast"], holm_adjust(heads["p_value"].to_numpy()), strict=True))
    return (
        result.with_columns(
            pl.when(headline)
            .then(pl.col("contrast").replace_strict(holm, default=None))
            .alias("p_value_holm"),
            pl.lit(MULTIPLE_COMPARISON_NOTE.format(k=len(arms))).alias("multiple_comparison_note"),
        )
        .select(list(MULTI_ARM_SCHEMA))
        .cast(MULTI_ARM_SCHEMA)
    )
