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

shared/methods/README.md asks for the MDES at randomisation and at analysis and gives no
formula; the two above were checked against the PowerUp! model documentation (Dong & Maynard
2013, model 3.1 CRA2_2r: multiplier on J - g* - 2 df, level-1 and level-2 R2; PowerUpR
`mdes.cra2` takes the same arguments) and Bloom (2006) for the individual case, whose
multiplier tends to 2.80 (80% power, 5% two-sided) as df grows.

`plan_mdes` and `units_for_mdes` are the planner (`python -m pipelines.cli plan`): the MDES
of a planned trial after attrition, and the sample needed for a target MDES.
`mdes_difference_in_differences` covers the matched difference-in-differences pilot.
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


def mdes_difference_in_differences(
    n_total: float,
    correlation: float,
    *,
    p_treated: float = 0.5,
    alpha: float = 0.05,
    power: float = 0.8,
) -> float:
    """MDES (in SD units of the outcome) of a two-group difference-in-differences with one
    pre-programme and one follow-up measure of each unit.

    The difference of change scores has variance 2 sigma^2 (1 - r) (1/n_t + 1/n_c), r the
    correlation of a unit's outcome between the two occasions (McKenzie, D. (2012) "Beyond
    baseline and follow-up: the case for more T in experiments", Journal of Development
    Economics 99(2), 210-221, with one pre and one post period; Frison, L. & Pocock,
    S. J. (1992) Statistics in Medicine 11(13)). So it is `mdes_individual` with (1 - R2)
    replaced by 2 (1 - r), df = N - 2. It ignores matching weights and further pre-periods:
    an approximation for planning and reporting, not the model's own precision.
    """
    if not -1 <= correlation <= 1:
        raise ValueError(f"correlation must lie in [-1, 1], not {correlation}")
    multiplier = _multiplier(n_total - 2, alpha, power)
    return multiplier * float(
        np.sqrt(2 * (1 - correlation) / (p_treated * (1 - p_treated) * n_total))
    )


# --- planner ---------------------------------------------------------------------------------


def _share(name: str, value: float, *, upper_open: bool = True) -> float:
    value = float(value)
    if not (0 <= value < 1 if upper_open else 0 <= value <= 1):
        raise ValueError(f"{name} must be a share in [0, 1), not {value}")
    return value


def plan_mdes(
    units: int,
    *,
    cluster_size: float | None = None,
    icc: float = 0.0,
    r2: float = 0.0,
    r2_between: float | None = None,
    attrition: float = 0.0,
    p_treated: float = 0.5,
    n_cluster_covariates: int = 0,
    n_covariates: int = 0,
    alpha: float = 0.05,
    power: float = 0.8,
) -> float:
    """MDES a planned trial would have after attrition: the planner behind `cli plan`.

    `units` are the participants randomised (`cluster_size` None: a participant-randomised
    trial, `mdes_individual`) or the clusters randomised, each with `cluster_size`
    participants on average (a cluster-randomised trial, `mdes_cluster`: PowerUp! CRA2_2r,
    Dong & Maynard 2013; `icc` the share of outcome variance between clusters; `r2` the share
    of within-cluster variance explained by covariates, `r2_between` of between-cluster
    variance, taken equal to `r2` when not given, as when one pre-test explains both).
    `attrition` is the share of participants lost between randomisation and analysis, spread
    evenly: it shrinks the participants analysed (and, in a cluster trial, the cluster size,
    never the number of clusters). Other arguments as in `mdes_individual` / `mdes_cluster`.
    """
    attrition = _share("attrition", attrition)
    r2 = _share("r2", r2)
    r2_between = r2 if r2_between is None else _share("r2_between", r2_between)
    if not 0 < p_treated < 1:
        raise ValueError(f"p_treated must lie strictly between 0 and 1, not {p_treated}")
    if units < 1:
        raise ValueError(f"units must be a positive number, not {units}")
    if cluster_size is None:
        analysed = units * (1 - attrition)
        return mdes_individual(
            analysed, p_treated=p_treated, r2=r2, n_covariates=n_covariates, alpha=alpha,
            power=power,
        )  # fmt: skip
    icc = _share("icc", icc)
    if cluster_size < 1:
        raise ValueError(f"cluster_size must be at least 1, not {cluster_size}")
    return mdes_cluster(
        units, cluster_size * (1 - attrition), icc, p_treated=p_treated, r2_level1=r2,
        r2_level2=r2_between, n_cluster_covariates=n_cluster_covariates, alpha=alpha,
        power=power,
    )  # fmt: skip


def units_for_mdes(target: float, **plan) -> int:
    """The fewest units to randomise (participants, or clusters when `cluster_size` is given)
    for `plan_mdes(units, **plan)` to be at most `target`.

    MDES falls as units are added (variance and the t multiplier both fall), so the answer is
    found by doubling then bisection over whole units. In a cluster trial the MDES cannot
    fall below its limit with infinitely large clusters, but it always reaches any positive
    target with enough clusters.
    """
    if not target > 0:
        raise ValueError(f"the target MDES must be positive, not {target}")

    def reaches(units: int) -> bool:
        try:
            return plan_mdes(units, **plan) <= target
        except ValueError as error:  # too few units for the model's degrees of freedom
            if "degrees of freedom" in str(error):
                return False
            raise

    high = 4
    while not reaches(high):
        high *= 2
        if high > 10**9:
            raise ValueError(f"no trial of up to 10^9 units reaches an MDES of {target}")
    low = high // 2  # does not reach (or is below the smallest trial tried)
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if reaches(middle) else (middle, high)
    return high
