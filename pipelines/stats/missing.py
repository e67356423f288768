"""Missing outcomes: a multiple-imputation sensitivity analysis beside complete-case ITT.

EEF asks for a sensitivity analysis under missing at random (multiple imputation) beside the
complete-case ITT when the primary outcome misses more than about 5% (shared/methods/README.md,
"Other EEF analysis conventions"). Imputation: statsmodels `MICEData` (chained equations,
predictive mean matching; van Buuren 2018, Flexible Imputation of Missing Data, 2nd ed.),
with the outcome, the allocation and the analysis covariates in the imputation model, so the
imputations respect the treatment contrast. Each completed data set is analysed with the
design's own estimator (its treatment coefficient and model-based SE) and the results are
pooled by Rubin's rules (Rubin 1987):

    q = mean of the m coefficients,  W = mean of their variances,  B = their variance,
    T = W + (1 + 1/m) B,  CI = q +- t(df) sqrt(T),

with the small-sample degrees of freedom of Barnard & Rubin (1999, Biometrika 86(4), 948-955),
which never exceed the complete-data analysis's own df (cluster-based for cluster designs):
df_m = (m - 1) / lambda^2, lambda = (1 + 1/m) B / T; df_obs = (df_com + 1) / (df_com + 3)
df_com (1 - lambda); df = 1 / (1 / df_m + 1 / df_obs).

The imputation model is single-level: in a cluster design it does not model the schools, so
imputations for pupils of schools that left carry no school effect and the pooled SE can be
too small; the df rule limits, but does not remove, that optimism.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import polars as pl

from pipelines.stats._design import covariate_matrix, to_polars
from pipelines.stats.randomisation import SEED, t_quantile

IMPUTATIONS = 20
BURN_IN = 10


@dataclass(frozen=True)
class Pooled:
    estimate: float
    se: float
    df: float
    ci_lower: float
    ci_upper: float
    imputations: int
    missing: int


def rubin(
    estimates: np.ndarray, variances: np.ndarray, complete_df: float | None = None
) -> tuple[float, float, float]:
    """Rubin's rules: (pooled estimate, total SE, degrees of freedom); with `complete_df`, the
    Barnard-Rubin small-sample df (module docstring), else Rubin's (m - 1) / lambda^2."""
    m = len(estimates)
    q, within = float(np.mean(estimates)), float(np.mean(variances))
    between = float(np.var(estimates, ddof=1)) if m > 1 else 0.0
    total = within + (1 + 1 / m) * between
    share = (1 + 1 / m) * between / total  # lambda: share of the variance due to missingness
    dof_m = np.inf if share == 0 else (m - 1) / share**2
    if complete_df is None:
        return q, float(np.sqrt(total)), float(dof_m)
    dof_obs = (complete_df + 1) / (complete_df + 3) * complete_df * (1 - share)
    return q, float(np.sqrt(total)), float(1 / (1 / dof_m + 1 / dof_obs))


def multiple_imputation_effect(
    df,
    outcome: str,
    treatment: str,
    covariates: Sequence[str],
    analyse: Callable[[pl.DataFrame], tuple[float, float, float | None]],
    *,
    imputations: int = IMPUTATIONS,
    burn_in: int = BURN_IN,
    seed: int = SEED,
) -> Pooled:
    """The treatment effect under MAR: `analyse(completed frame) -> (coefficient, SE, df of
    the complete-data interval or None for a normal one)` on each
    of `imputations` completed copies of `df` (missing `outcome` values imputed; rows missing
    a covariate or the treatment are dropped, as in the complete-case analysis), pooled by
    Rubin's rules. Other columns of `df` (a cluster id) pass through untouched."""
    from statsmodels.imputation.mice import MICEData

    frame = to_polars(df).drop_nulls([treatment, *covariates])
    missing = int(frame.get_column(outcome).is_null().sum())
    if missing == 0:
        raise ValueError(f"no missing '{outcome}': nothing to impute")
    covs, _ = covariate_matrix(frame, covariates)
    model_data = np.column_stack(
        [frame.get_column(outcome).cast(pl.Float64).to_numpy(),
         frame.get_column(treatment).cast(pl.Float64).to_numpy(), covs]
    )  # fmt: skip
    names = ["y", "t", *[f"c{i}" for i in range(covs.shape[1])]]
    imputer = MICEData(pd.DataFrame(model_data, columns=names), rng=np.random.default_rng(seed))
    imputer.update_all(burn_in)
    results = []
    for _ in range(imputations):
        imputer.update_all(1)
        completed = frame.with_columns(pl.Series(outcome, imputer.data["y"].to_numpy()))
        results.append(analyse(completed))
    estimates = np.array([r[0] for r in results])
    ses = np.array([r[1] for r in results])
    complete_df = results[0][2]
    q, se, dof = rubin(estimates, ses**2, complete_df)
    half = t_quantile(None if not np.isfinite(dof) else dof) * se
    return Pooled(q, se, dof, q - half, q + half, imputations, missing)
