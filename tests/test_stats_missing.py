"""Multiple-imputation sensitivity analysis (`multiple_imputation_effect`) and Rubin's rules."""

import numpy as np
import polars as pl
import pytest
import statsmodels.api as sm

from pipelines.stats.missing import multiple_imputation_effect, rubin


def test_rubins_rules_by_hand():
    q, se, dof = rubin(np.array([1.0, 1.2, 0.8]), np.array([0.04, 0.05, 0.06]))
    between, within = 0.04, 0.05  # variance of 1.0, 1.2, 0.8 (ddof 1) and mean variance
    total = within + (1 + 1 / 3) * between
    assert (q, se) == pytest.approx((1.0, np.sqrt(total)))
    share = (4 / 3) * between / total
    assert dof == pytest.approx(2 / share**2)
    # Barnard-Rubin: never more than the complete-data df
    _, _, small = rubin(np.array([1.0, 1.2, 0.8]), np.array([0.04, 0.05, 0.06]), 10)
    dof_obs = 11 / 13 * 10 * (1 - share)
    assert small == pytest.approx(1 / (1 / dof + 1 / dof_obs)) and small < 10


def _ols(frame: pl.DataFrame) -> tuple[float, float]:
    x = np.column_stack([np.ones(frame.height), frame["t"], frame["x"]])
    fit = sm.OLS(frame["y"].to_numpy(), x).fit()
    return float(fit.params[1]), float(fit.bse[1]), None


def test_imputation_recovers_the_planted_effect_under_missing_at_random():
    rng = np.random.default_rng(5)
    n = 2000
    t = rng.permutation(np.arange(n) % 2).astype(float)
    x = rng.normal(size=n)
    y = 0.5 * t + 0.8 * x + rng.normal(size=n)
    # outcomes go missing more often for low baselines (MAR given x): 20-40%
    lost = rng.random(n) < np.where(x < 0, 0.4, 0.15)
    frame = pl.DataFrame({"y": y, "t": t, "x": x, "lost": lost}).select(
        pl.when("lost").then(None).otherwise("y").alias("y"), "t", "x"
    )
    pooled = multiple_imputation_effect(frame, "y", "t", ["x"], _ols, imputations=10)
    assert pooled.missing == int(lost.sum())
    assert pooled.ci_lower < 0.5 < pooled.ci_upper
    assert pooled.estimate == pytest.approx(0.5, abs=0.1)
    complete = _ols(frame.drop_nulls())
    # the same information, give or take the imputation noise
    assert pooled.se == pytest.approx(complete[1], rel=0.35)
    assert complete[2] is None
    again = multiple_imputation_effect(frame, "y", "t", ["x"], _ols, imputations=10)
    assert again.estimate == pooled.estimate  # seeded
    with pytest.raises(ValueError, match="nothing to impute"):
        multiple_imputation_effect(frame.drop_nulls(), "y", "t", ["x"], _ols)
