"""Minimum detectable effect size (MDES), at randomisation and at analysis.

Sources: Bloom, H. S. (2006) "The core analytics of randomized experiments for social research"
(MDRC working paper), and Dong, N. & Maynard, R. (2013) "PowerUp!", Journal of Research on
Educational Effectiveness 6(1), 24-67 (models IRA and CRA2_2r). EEF reports the MDES at
randomisation and at analysis (shared/methods/README.md): call these with the numbers
randomised, then with the numbers analysed.

    M    = t(1 - alpha/2, df) + t(power, df)       (two-sided test)
    individual:  MDES = M sqrt( (1 - R2) / (P (1 - P) N) ),             df = N - K - 2
    cluster:     MDES = M sqrt( rho (1 - R2_2) / (P (1 - P) J)
                                + (1 - rho) (1 - R2_1) / (P (1 - P) J n) ),  df = J - K - 2

P: share allocated to treatment; R2: share of outcome variance explained by covariates (R2_1
within clusters, R2_2 between); K: covariates (cluster-level covariates for the cluster design).
"""

import numpy as np
from scipy import stats


def _multiplier(df: float, alpha: float, power: float) -> float:
    if df < 1:
        raise ValueError(f"too few units for the model: {df} degrees of freedom")
    return float(stats.t.ppf(1 - alpha / 2, df) + stats.t.ppf(power, df))


def mdes_individual(
    n_total: int,
    *,
    p_treated: float = 0.5,
    r2: float = 0.0,
    n_covariates: int = 0,
    alpha: float = 0.05,
    power: float = 0.8,
) -> float:
    """MDES (in SD units) of a participant-randomised trial with `n_total` participants."""
    multiplier = _multiplier(n_total - n_covariates - 2, alpha, power)
    return multiplier * float(np.sqrt((1 - r2) / (p_treated * (1 - p_treated) * n_total)))


def mdes_cluster(
    n_clusters: int,
    mean_cluster_size: float,
    icc: float,
    *,
    p_treated: float = 0.5,
    r2_level1: float = 0.0,
    r2_level2: float = 0.0,
    n_cluster_covariates: int = 0,
    alpha: float = 0.05,
    power: float = 0.8,
) -> float:
    """MDES (in total-SD units) of a two-level cluster-randomised trial (PowerUp! CRA2_2r)."""
    multiplier = _multiplier(n_clusters - n_cluster_covariates - 2, alpha, power)
    pq = p_treated * (1 - p_treated)
    variance = icc * (1 - r2_level2) / (pq * n_clusters) + (1 - icc) * (1 - r2_level1) / (
        pq * n_clusters * mean_cluster_size
    )
    return multiplier * float(np.sqrt(variance))
