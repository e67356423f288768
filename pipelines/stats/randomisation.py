"""Small-sample intervals for cluster-randomised trials: cluster-based degrees of freedom and
randomisation inference (re-randomising the schools).

Degrees of freedom. With few clusters the treatment effect is estimated from cluster-level
contrasts, so its interval uses a t quantile with degrees of freedom counted in clusters:

    df = M - 2 - q      (M clusters; 2 for intercept and treatment; q cluster-level covariates)

the between-cluster degrees of freedom of a two-level model (Raudenbush & Bryk 2002,
Hierarchical Linear Models, ch. 3; Hedges 2007, JEBS 32(4), section on inference, uses t with
M - 2 for the cluster-randomised mean difference; EEF, Statistical analysis guidance for EEF
evaluations, 2022, asks for intervals that reflect the clustered design and the small number of
clusters). Bell & McCaffrey (2002, Survey Methodology 28(2)) motivate the same cluster count for
cluster-robust errors. statsmodels' MixedLM offers no Kenward-Roger or Satterthwaite degrees of
freedom (0.15.0), hence this rule.

Randomisation inference. Under the sharp null that the effect is tau in every school, the
outcomes net of the effect, y - tau t, are the same whatever the allocation, so the test
statistic's distribution over re-randomisations of the schools (same number treated, seeded
draws) gives an exact p-value (Fisher 1935; Rosenbaum 2002, Observational Studies, ch. 2;
Gerber & Green 2012, Field Experiments, ch. 3). The interval is the set of tau not rejected at
5% (test inversion, Rosenbaum 2002 section 2.6), found on a grid.

The statistic is the analysis model's treatment coefficient: generalised least squares of
y ~ treatment + covariates with the random-intercept covariance, holding the variance ratio
gamma = between / within of the fitted model fixed. With gamma fixed, every pupil's row is
quasi-demeaned within its school (v - theta_i mean_i(v), theta_i = 1 - (1 + n_i gamma)^-1/2,
Fuller & Battese 1973), and the coefficient is ordinary least squares on the transformed
rows. Because the treatment is constant within a school, every quantity the re-randomisations
need is a sum over schools, so thousands of draws cost one small matrix product. Holding gamma
at the observed fit's value is a fixed choice of statistic (its weights are not re-estimated per
draw); the simulation in tests/test_stats_coverage.py checks the interval's coverage.
"""

from dataclasses import dataclass

import numpy as np
from scipy import stats

DRAWS = 999
"""Re-randomisations per test (Monte Carlo p-value (1 + #{|S*| >= |S|}) / (draws + 1))."""

SEED = 20250914
"""Default seed of the re-randomisations, so a published p-value and interval reproduce."""

GRID = 801
"""Grid points for inverting the test: +-8 permutation SDs around the estimate (endpoints to
1/50 of an SD); the grid is widened while the accepted set touches an end."""


def cluster_df(n_clusters: int, cluster_level_covariates: int) -> int:
    """Degrees of freedom M - 2 - q of a cluster-randomised estimate, at least 1 (module
    docstring: Raudenbush & Bryk 2002; Hedges 2007)."""
    return max(int(n_clusters) - 2 - int(cluster_level_covariates), 1)


def t_quantile(df: float | None, level: float = 0.95) -> float:
    """Two-sided quantile of Student's t with `df` (the normal quantile when df is None)."""
    upper = 0.5 + level / 2
    return float(stats.norm.ppf(upper) if df is None else stats.t.ppf(upper, df))


def cluster_level_columns(x: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Which columns of x are constant within every cluster (cluster-level covariates)."""
    n_clusters = int(codes.max()) + 1
    lo = np.full((n_clusters, x.shape[1]), np.inf)
    hi = np.full((n_clusters, x.shape[1]), -np.inf)
    np.minimum.at(lo, codes, x)
    np.maximum.at(hi, codes, x)
    return np.all(np.isclose(lo, hi), axis=0)


@dataclass(frozen=True)
class Randomisation:
    """Randomisation inference on the raw (outcome-unit) treatment coefficient."""

    estimate: float
    p_value: float
    ci_lower: float
    ci_upper: float
    draws: int


def cluster_randomisation_inference(
    y: np.ndarray,
    z: np.ndarray,
    arm: np.ndarray,
    codes: np.ndarray,
    gamma: float,
    *,
    draws: int = DRAWS,
    seed: int = SEED,
    level: float = 0.95,
) -> Randomisation:
    """P-value of "no effect in any school" and the test-inversion interval for the effect.

    y: outcome per pupil; z: pupil-level design without the treatment (intercept and
    covariates); arm: 0/1 allocation per cluster (indexed by `codes`, 0..M-1); gamma: the
    fitted between / within variance ratio, held fixed (module docstring). Allocations are
    drawn by permuting `arm` over the clusters (complete randomisation of the schools, the
    number treated fixed); stratified allocation is not re-created.
    """
    y = np.asarray(y, dtype=float)
    z = np.asarray(z, dtype=float)
    arm = np.asarray(arm, dtype=float)
    sizes = np.bincount(codes, minlength=len(arm)).astype(float)
    keep = 1.0 / np.sqrt(1.0 + sizes * max(gamma, 0.0))  # 1 - theta_i

    def demean(v: np.ndarray) -> np.ndarray:
        v = v.reshape(len(codes), -1)
        sums = np.zeros((len(arm), v.shape[1]))
        np.add.at(sums, codes, v)
        return v - ((1 - keep) * (sums.T / sizes)).T[codes]

    q, _ = np.linalg.qr(demean(z))
    y_t = demean(y)[:, 0]
    # Per-cluster sums of the transformed treatment's building blocks: a treated school
    # contributes keep_i to each of its pupils' transformed treatment.
    u = keep * np.bincount(codes, weights=y_t, minlength=len(arm))  # T~' y~ = A u
    c = np.zeros((len(arm), q.shape[1]))
    np.add.at(c, codes, q)
    c *= keep[:, None]  # Q' T~ = A C
    w = keep**2 * sizes  # T~' T~ (diagonal in clusters)
    qy = q.T @ y_t

    rng = np.random.default_rng(seed)
    allocations = np.vstack([arm, rng.permuted(np.tile(arm, (draws, 1)), axis=1)])
    ac = allocations @ c
    a = allocations @ u - ac @ qy  # T~*' R y~
    b = allocations @ (w * arm) - ac @ (c.T @ arm)  # T~*' R t~_obs
    d = allocations @ w - (ac**2).sum(axis=1)  # T~*' R T~*
    if np.any(d <= 1e-12):
        raise ValueError("an allocation leaves no treatment contrast after the covariates")
    estimate = float(a[0] / d[0])

    def p_values(tau: np.ndarray) -> np.ndarray:
        s = (a[:, None] - tau[None, :] * b[:, None]) / d[:, None]
        extreme = np.abs(s[1:]) >= np.abs(s[0])[None, :] * (1 - 1e-10)
        return (1 + extreme.sum(axis=0)) / (draws + 1)

    spread = float(np.std(a[1:] / d[1:] - estimate * b[1:] / d[1:]))
    spread = spread if spread > 0 else 1.0
    alpha = 1 - level
    half = 8.0
    for _ in range(6):
        grid = estimate + np.linspace(-half, half, GRID) * spread
        accepted = grid[p_values(grid) > alpha]
        if accepted.size and accepted[0] > grid[0] and accepted[-1] < grid[-1]:
            break
        half *= 2
    lower, upper = (
        (float(accepted[0]), float(accepted[-1])) if accepted.size else (estimate, estimate)
    )
    return Randomisation(estimate, float(p_values(np.array([0.0]))[0]), lower, upper, draws)
