"""Multisite trials (randomised within sites): `multisite_effect_sizes`, the random-slope
(site-by-treatment) model of eefAnalytics `mstFREQ`, on planted effects with unequal site sizes.

Truths of the simulation (site intercept variance s_u, slope variance tau^2, within variance
s_e, a pupil covariate x with coefficient b, a share P treated in every site):
conditional within beta / sqrt(s_e); conditional total beta / sqrt(s_u + s_e + P tau^2);
unconditional total beta / sqrt(s_u + b^2 + s_e + P tau^2 + beta^2 P (1 - P)), the total
variance of the outcome that the empty model estimates.
"""

import numpy as np
import polars as pl
import pytest

from pipelines.stats.effect_sizes import (
    RESULT_SCHEMA,
    SiteSizes,
    _random_slope,
    _random_slope_profile,
    cluster_randomised_effect_sizes,
    mstfreq_contrast_variance,
    multisite_effect_sizes,
)
from tests.conftest import PROJECT_ROOT

LOW, HIGH = 0.93, 0.97
S_U, S_E, B, TAU2 = 0.15, 0.49, 0.6, 0.03


def _trial(rng, sites: int, beta: float, tau2: float = TAU2) -> pl.DataFrame:
    sizes = rng.integers(6, 61, sites)  # unequal: 6 to 60 pupils a site
    site = np.repeat(np.arange(sites), sizes)
    t = np.concatenate(
        [rng.permutation(np.arange(s) < (s + rng.integers(0, 2)) // 2) for s in sizes]
    ).astype(float)
    x = rng.normal(size=len(site))
    y = (
        beta * t
        + B * x
        + rng.normal(0, np.sqrt(S_U), sites)[site]
        + rng.normal(0, np.sqrt(tau2), sites)[site] * t
        + rng.normal(0, np.sqrt(S_E), len(site))
    )
    return pl.DataFrame({"y": y, "t": t, "site": site, "x": x})


def test_profiled_fit_is_mixedlm():
    frame = _trial(np.random.default_rng(5), 25, 0.2)
    x = np.column_stack([np.ones(frame.height), frame["t"], frame["x"]])
    args = (frame["y"].to_numpy(), x, frame["t"].to_numpy(), frame["site"].to_numpy())
    reference, fast = _random_slope(*args), _random_slope_profile(*args)
    assert fast.beta == pytest.approx(reference.beta, abs=1e-4)
    assert fast.within == pytest.approx(reference.within, rel=1e-3)
    assert fast.site_covariance == pytest.approx(reference.site_covariance, abs=1e-3)
    assert fast.beta_variance == pytest.approx(reference.beta_variance, rel=0.01)
    rows = {
        fit: multisite_effect_sizes(frame, "y", "t", "site", ["x"], fit=fit)
        for fit in ("mixedlm", "profile")
    }
    assert rows["profile"]["g"].to_numpy() == pytest.approx(rows["mixedlm"]["g"], abs=1e-3)


def test_model_variance_of_beta_is_mstfreqs_when_every_site_holds_both_arms():
    frame = _trial(np.random.default_rng(7), 25, 0.2)
    t, site = frame["t"].to_numpy(), frame["site"].to_numpy()
    x = np.column_stack([np.ones(frame.height), t])  # no covariates
    fit = _random_slope(frame["y"].to_numpy(), x, t, site)
    sizes = SiteSizes(
        np.bincount(site, weights=t), np.bincount(site, weights=1 - t), len(t), site.max() + 1
    )
    published = mstfreq_contrast_variance(fit.site_covariance[1, 1], fit.within, sizes)
    assert fit.beta_variance == pytest.approx(published, rel=0.03)


def test_same_columns_as_the_other_estimators_and_a_clear_refusal():
    frame = _trial(np.random.default_rng(6), 20, 0.2)
    result = multisite_effect_sizes(frame, "y", "t", "site", ["x"], fit="profile")
    assert result.schema == pl.Schema(RESULT_SCHEMA)
    assert set(zip(result["model"], result["variance"], strict=True)) == {
        (m, v) for m in ("conditional", "unconditional") for v in ("within", "total")
    }
    assert (result["df"] == 18).all()  # 20 sites - 2 (x varies within sites)
    assert (result["ci_lower"] < result["g"]).all() and (result["g"] < result["ci_upper"]).all()
    # schools allocated whole (a cluster trial) are not a multisite design
    cluster = frame.with_columns((pl.col("site") % 2).cast(pl.Float64).alias("t"))
    with pytest.raises(ValueError, match="fewer than two sites of 'site' hold both arms"):
        multisite_effect_sizes(cluster, "y", "t", "site", ["x"])
    assert (
        cluster_randomised_effect_sizes(
            cluster, "y", "t", "site", ["x"], fit="profile", randomisation_draws=0
        ).height
        == 4
    )


def test_runs_on_the_eefanalytics_multisite_example():
    path = PROJECT_ROOT.parent / "shared" / "methods" / "mstData.csv"
    if not path.exists():
        pytest.skip(f"methods folder absent: {path}")
    data = pl.read_csv(path)
    result = multisite_effect_sizes(data, "Posttest", "Intervention", "School", ["Prettest"])
    assert result.height == 4 and result["g"].is_finite().all()


TRIALS = 1000


@pytest.mark.slow
def test_planted_effect_recovered_and_covered_with_unequal_site_sizes(capsys):
    """1,000 seeded multisite trials of 30 sites of 6-60 pupils, a pupil covariate and an
    effect that varies between sites (tau^2 = 0.03): every reported g is within 0.02 of the
    planted one on average and its interval covers it 93-97% of the time."""
    rng = np.random.default_rng(20261202)
    share = 0.5
    beta = 0.2 * np.sqrt(S_U + S_E + share * TAU2)  # planted conditional total g = 0.2
    truths = {
        ("conditional", "within"): beta / np.sqrt(S_E),
        ("conditional", "total"): beta / np.sqrt(S_U + S_E + share * TAU2),
        ("unconditional", "total"): beta
        / np.sqrt(S_U + B**2 + S_E + share * TAU2 + beta**2 * share * (1 - share)),
    }
    estimates = {key: [] for key in truths}
    hits = dict.fromkeys(truths, 0)
    for _ in range(TRIALS):
        rows = multisite_effect_sizes(_trial(rng, 30, beta), "y", "t", "site", ["x"], fit="profile")
        for r in rows.iter_rows(named=True):
            key = (r["model"], r["variance"])
            if key in truths:
                estimates[key].append(r["g"])
                hits[key] += r["ci_lower"] <= truths[key] <= r["ci_upper"]
    with capsys.disabled():
        for key, truth in truths.items():
            print(
                f"\nmultisite, 30 sites of 6-60, tau^2 {TAU2}, {' '.join(key)}: planted "
                f"{truth:.3f}, bias {np.mean(estimates[key]) - truth:+.4f}, coverage "
                f"{hits[key] / TRIALS:.3f} ({TRIALS} trials)"
            )
    for key, truth in truths.items():
        assert abs(np.mean(estimates[key]) - truth) < 0.02, key
        assert LOW <= hits[key] / TRIALS <= HIGH, (key, hits[key] / TRIALS)
