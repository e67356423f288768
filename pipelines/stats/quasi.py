"""Non-randomised pilots: a matched comparison group and difference-in-differences.

Sources: shared/methods/README.md ("Quasi-experimental pilots": matched difference-in-
differences rates up to 4 padlocks; event-study pre-trends and a parallel-trends test; use a
maintained library). Matching: nearest neighbour on the logit of the propensity score, with
replacement, caliper 0.2 SD of the logit (Austin 2011, Pharmaceutical Statistics 10(2));
propensity by statsmodels `Logit`. Estimation: two-way fixed effects by linearmodels `PanelOLS`
(unit and period effects, standard errors clustered by unit). Pre-trends: event-study leads
tested jointly equal to zero with a Wald test (Roth 2022, AER: Insights 4(3), on the limits of
such tests). The two-way fixed-effects estimate is unbiased for one adoption date only
(Goodman-Bacon 2021): call it once per cohort, which `difference_in_differences` enforces by
taking a single `first_treated_period`.
"""

from collections.abc import Sequence

import numpy as np
import pandas as pd
import polars as pl
import statsmodels.api as sm
from linearmodels import PanelOLS

from pipelines.stats._design import Z_95, Frame, complete_cases, covariate_matrix, to_polars


def propensity_match(
    df: Frame,
    treatment: str,
    covariates: Sequence[str],
    *,
    ratio: int = 1,
    caliper_sd: float = 0.2,
) -> pl.DataFrame:
    """Nearest-neighbour matching with replacement on the logit propensity score.

    `df` has one row per unit (complete cases on `treatment` and `covariates` are used).
    Returns those rows with `propensity_score`, `match_weight` and `matched`: each treated unit
    with at least one comparison unit within the caliper gets weight 1 (others 0 and
    `matched` false); each comparison unit gets 1/ratio for every treated unit it serves.
    Use `match_weight` as weights in `baseline_balance` and `difference_in_differences`.
    """
    frame = to_polars(df).drop_nulls([treatment, *covariates])
    covs, _ = covariate_matrix(frame, covariates)
    t = frame.get_column(treatment).cast(pl.Float64).to_numpy()
    fit = sm.Logit(t, np.column_stack([np.ones(frame.height), covs])).fit(disp=0)
    score = fit.predict()
    logit = np.log(score / (1 - score))
    caliper = caliper_sd * logit.std(ddof=1)

    treated = np.flatnonzero(t == 1)
    controls = np.flatnonzero(t == 0)
    weight = np.zeros(frame.height)
    matched = np.zeros(frame.height, dtype=bool)
    distance = np.abs(logit[treated][:, None] - logit[controls][None, :])
    k = min(ratio, len(controls))
    nearest = np.argsort(distance, axis=1, kind="stable")[:, :k]
    for row, i in enumerate(treated):
        within = nearest[row][distance[row, nearest[row]] <= caliper]
        if len(within):
            matched[i] = True
            weight[i] = 1.0
            weight[controls[within]] += 1.0 / len(within)
    matched[controls] = weight[controls] > 0
    return frame.with_columns(
        pl.Series("propensity_score", score),
        pl.Series("match_weight", weight),
        pl.Series("matched", matched),
    )


def _panel(frame: pl.DataFrame, unit: str, time: str) -> pd.DataFrame:
    data = frame.to_pandas()
    data[unit] = data[unit].astype(str)
    return data.set_index([unit, time]).sort_index()


def event_study(
    panel: Frame,
    outcome: str,
    unit: str,
    time: str,
    treated: str,
    first_treated_period: int,
    *,
    weights: str | None = None,
) -> tuple[pl.DataFrame, dict]:
    """Event-study coefficients (reference: the period before adoption) and the pre-trend test.

    Returns (one row per relative period with estimate and 95% CI, reference period included
    at 0; and {"wald_stat", "df", "p_value", "leads"}: H0 all leads are zero).
    """
    cols = [outcome, unit, time, treated, *([weights] if weights else [])]
    frame = complete_cases(panel, cols)
    rel = (pl.col(time) - first_treated_period).cast(pl.Int64)
    frame = frame.with_columns(
        pl.when(pl.col(treated).cast(pl.Boolean)).then(rel).otherwise(None).alias("_rel")
    )
    periods = sorted(p for p in frame.get_column("_rel").drop_nulls().unique().to_list() if p != -1)
    names = [f"rel_{'m' if p < 0 else 'p'}{abs(p)}" for p in periods]
    frame = frame.with_columns(
        (pl.col("_rel") == p).fill_null(False).cast(pl.Float64).alias(n)
        for p, n in zip(periods, names, strict=True)
    )
    data = _panel(frame, unit, time)
    model = PanelOLS(
        data[outcome],
        data[names],
        entity_effects=True,
        time_effects=True,
        weights=data[weights] if weights else None,
    )
    fit = model.fit(cov_type="clustered", cluster_entity=True)
    rows = [{"relative_period": -1, "estimate": 0.0, "ci_lower": 0.0, "ci_upper": 0.0}]
    for p, n in zip(periods, names, strict=True):
        est, se = float(fit.params[n]), float(fit.std_errors[n])
        rows.append(
            {
                "relative_period": p,
                "estimate": est,
                "ci_lower": est - Z_95 * se,
                "ci_upper": est + Z_95 * se,
            }
        )
    leads = [n for p, n in zip(periods, names, strict=True) if p < -1]
    if leads:
        restriction = np.zeros((len(leads), len(names)))
        for r, n in enumerate(leads):
            restriction[r, names.index(n)] = 1.0
        wald = fit.wald_test(restriction, np.zeros(len(leads)))
        test = {"wald_stat": float(wald.stat), "df": len(leads), "p_value": float(wald.pval)}
    else:
        test = {"wald_stat": None, "df": 0, "p_value": None}
    test["leads"] = leads
    return pl.DataFrame(rows).sort("relative_period"), test


def difference_in_differences(
    panel: Frame,
    outcome: str,
    unit: str,
    time: str,
    treated: str,
    first_treated_period: int,
    *,
    covariates: Sequence[str] = (),
    weights: str | None = None,
) -> pl.DataFrame:
    """Two-way fixed-effects difference-in-differences for one adoption period (one row).

    `panel`: one row per unit x period (`time` an integer such as the academic year's start);
    `treated` marks units that adopt at `first_treated_period`; comparison units never adopt.
    Model: outcome ~ D + covariates + unit effects + period effects, D = treated x post;
    SEs clustered by unit (linearmodels PanelOLS). `g` divides the estimate by the pooled SD
    of the outcome in the last pre-adoption period (stated in `sd_used`). Adds the pre-trend
    Wald test of `event_study`.
    """
    cols = [outcome, unit, time, treated, *covariates, *([weights] if weights else [])]
    frame = complete_cases(panel, cols).with_columns(
        (pl.col(treated).cast(pl.Boolean) & (pl.col(time) >= first_treated_period))
        .cast(pl.Float64)
        .alias("_did")
    )
    covs, cov_names = covariate_matrix(frame, covariates)
    frame = frame.with_columns(
        pl.Series(n, covs[:, j]) for j, n in enumerate(cov_names) if n not in frame.columns
    )
    data = _panel(frame, unit, time)
    fit = PanelOLS(
        data[outcome],
        data[["_did", *cov_names]],
        entity_effects=True,
        time_effects=True,
        weights=data[weights] if weights else None,
    ).fit(cov_type="clustered", cluster_entity=True)
    est, se = float(fit.params["_did"]), float(fit.std_errors["_did"])
    pre = frame.filter(pl.col(time) == first_treated_period - 1).get_column(outcome)
    sd = float(pre.std()) if pre.len() > 1 else float("nan")
    _, pretrend = event_study(
        panel, outcome, unit, time, treated, first_treated_period, weights=weights
    )
    units = frame.group_by(unit).agg(pl.col(treated).cast(pl.Boolean).max().alias("t"))
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
                "n_units_treated": int(units.get_column("t").sum()),
                "n_units_comparison": int((~units.get_column("t")).sum()),
                "n_observations": frame.height,
                "pretrend_wald_stat": pretrend["wald_stat"],
                "pretrend_df": pretrend["df"],
                "pretrend_p_value": pretrend["p_value"],
                "estimator": "two-way fixed effects (PanelOLS), SE clustered by unit",
            }
        ]
    )
