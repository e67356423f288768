"""Coverage of the 95% effect-size intervals over many simulated trials (seeded).

Each design is simulated 2,000 times with NumPy in one vectorised pass; the estimates feed the
package's own formula functions (`hedges_g_individual`, `hedges2007_within`,
`hedges2007_total`). The cluster trials are balanced, where the ANOVA estimates of the
variance components equal REML (when positive), so the vectorised estimates are those the
DataFrame functions would give: the first trials of each batch are also run through
`individual_randomised_effect_sizes` / `cluster_randomised_effect_sizes` and must agree.

Truths: individual, conditional model: beta / residual SD. Cluster, within: beta / sigma_w;
total: beta / sqrt(sigma_b^2 + sigma_w^2). The unconditional rows of the individual design
(the headline) cover more than 95% with a strong covariate (their variance formula, srtFREQ's,
ignores the covariate adjustment, so they are conservative): asserted at or above 95%, and at
95% without a covariate. The CACE, derived from the headline ITT on the same variance basis,
must cover the true complier effect and never be more precise than the ITT.

Few clusters (12, 20, 40 schools of unequal size, with a school- and a pupil-level covariate,
1,000 trials each): every interval of `cluster_randomised_effect_sizes(fit="profile")` (t with
cluster-based df; headline on the covariate model's precision) and the randomisation-inference
interval must cover 93-97% (pipelines/stats/METHODS.md, "Intervals for few clusters").
"""

import numpy as np
import polars as pl
import pytest

from pipelines.stats._design import design_matrix
from pipelines.stats.compliance import cace_2sls, cace_effect_size
from pipelines.stats.effect_sizes import (
    ClusterSizes,
    _random_intercept_profile,
    cluster_randomised_effect_sizes,
    hedges2007_total,
    hedges2007_within,
    hedges_g_individual,
    individual_randomised_effect_sizes,
)
from pipelines.stats.randomisation import cluster_randomisation_inference

TRIALS = 2000
LOW, HIGH = 0.93, 0.97


def _covered(g, se, truth) -> float:
    return float(np.mean((g - 1.96 * se <= truth) & (truth <= g + 1.96 * se)))


def _simulate_individual(rng, trials, n_per_arm, beta, gamma, sigma_e):
    n = 2 * n_per_arm
    t = np.tile(np.repeat([1.0, 0.0], n_per_arm), (trials, 1))
    x = rng.normal(size=(trials, n))
    y = beta * t + gamma * x + rng.normal(scale=sigma_e, size=(trials, n))
    return t, x, y


def _fit_individual(t, x, y):
    """Batched OLS of y ~ 1 + t + x: (beta, residual SD, SD of y) per trial."""
    design = np.stack([np.ones_like(t), t, x], axis=2)
    xtx = np.einsum("rni,rnj->rij", design, design)
    xty = np.einsum("rni,rn->ri", design, y)
    coef = np.linalg.solve(xtx, xty[..., None])[..., 0]
    resid = y - np.einsum("rni,ri->rn", design, coef)
    sigma = np.sqrt((resid**2).sum(axis=1) / (y.shape[1] - 3))
    return coef[:, 1], sigma, y.std(axis=1, ddof=1)


def _simulate_cluster(rng, trials, m_per_arm, n, beta, sigma_b, sigma_w):
    m = 2 * m_per_arm
    t = np.repeat([1.0, 0.0], m_per_arm)
    u = rng.normal(scale=sigma_b, size=(trials, m, 1))
    y = beta * t[None, :, None] + u + rng.normal(scale=sigma_w, size=(trials, m, n))
    return t, y


def _fit_cluster(t, y):
    """Balanced one-way ANOVA (= REML when positive) for the conditional and empty models."""
    _, m, n = y.shape
    means = y.mean(axis=2)
    msw = ((y - means[..., None]) ** 2).sum(axis=(1, 2)) / (m * (n - 1))
    mean_t, mean_c = means[:, t == 1].mean(axis=1), means[:, t == 0].mean(axis=1)
    arm_mean = np.where(t[None, :] == 1, mean_t[:, None], mean_c[:, None])
    msb_cond = n * ((means - arm_mean) ** 2).sum(axis=1) / (m - 2)
    msb_empty = n * ((means - means.mean(axis=1, keepdims=True)) ** 2).sum(axis=1) / (m - 1)
    between_c = np.maximum((msb_cond - msw) / n, 0)
    between_u = np.maximum((msb_empty - msw) / n, 0)
    return mean_t - mean_c, msw, between_c, between_u


@pytest.fixture(scope="module")
def report(request):
    lines: list[str] = []
    yield lines
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print("\n" + "\n".join(lines))


def test_individual_design_intervals_cover_the_true_effect(report):
    rng = np.random.default_rng(20250901)
    n_per_arm, beta, gamma, sigma_e = 60, 0.3, 0.8, 1.0
    t, x, y = _simulate_individual(rng, TRIALS, n_per_arm, beta, gamma, sigma_e)
    b, sigma, sd_y = _fit_individual(t, x, y)

    for r in range(3):
        frame = pl.DataFrame({"y": y[r], "t": t[r], "x": x[r]})
        row = individual_randomised_effect_sizes(frame, "y", "t", ["x"]).row(0, named=True)
        g_vec, se_vec = hedges_g_individual(b[r], sigma[r], n_per_arm, n_per_arm)
        assert row["g"] == pytest.approx(float(g_vec), abs=1e-9)
        assert row["ci_upper"] - row["g"] == pytest.approx(1.96 * float(se_vec), rel=1e-4)

    g, se = hedges_g_individual(b, sigma, n_per_arm, n_per_arm)
    conditional = _covered(g, se, beta / sigma_e)
    g_u, se_u = hedges_g_individual(b, sd_y, n_per_arm, n_per_arm)
    unconditional = _covered(g_u, se_u, beta / np.sqrt(gamma**2 + sigma_e**2))
    report.append(
        f"individual design ({TRIALS} trials, n = {2 * n_per_arm}, true g = {beta / sigma_e}): "
        f"conditional coverage {conditional:.3f}; unconditional (conservative: asserted at or "
        f"above 0.95) {unconditional:.3f}"
    )
    assert LOW <= conditional <= HIGH
    assert 0.95 <= unconditional < 1.0  # conservative with a strong covariate, never liberal


def test_cace_on_the_itt_basis_covers_the_complier_effect(report):
    """Planted complier effect, one-sided non-compliance, no covariate (so the headline ITT
    interval is nominal): the CACE g = ITT g / compliance, its SE by the delta method on the
    ITT's variance plus the compliance uncertainty, covers the true CACE g."""
    rng = np.random.default_rng(20250903)
    n_per_arm, beta, share = 100, 0.5, 0.7
    n = 2 * n_per_arm
    z = np.tile(np.repeat([1.0, 0.0], n_per_arm), (TRIALS, 1))
    d = z * (rng.random((TRIALS, n)) < share)
    y = beta * d + rng.normal(size=(TRIALS, n))
    treated, control = z == 1, z == 0

    def arm_mean(v, arm):
        return np.where(arm, v, 0).sum(axis=1) / n_per_arm

    def arm_cov(a, b, arm):
        da, db = a - arm_mean(a, arm)[:, None], b - arm_mean(b, arm)[:, None]
        return np.where(arm, da * db, 0).sum(axis=1) / n_per_arm**2  # HC0, as `robust`

    itt = arm_mean(y, treated) - arm_mean(y, control)
    pi = arm_mean(d, treated) - arm_mean(d, control)
    v_pi = arm_cov(d, d, treated) + arm_cov(d, d, control)
    c_yd = arm_cov(y, d, treated) + arm_cov(y, d, control)
    sd_y = y.std(axis=1, ddof=1)
    raw = itt / pi
    compliance_variance = raw**2 * v_pi - 2 * raw * c_yd
    g_itt, se_itt = hedges_g_individual(itt, sd_y, n_per_arm, n_per_arm)
    g, se = cace_effect_size(g_itt, se_itt, pi, compliance_variance / sd_y**2)

    for r in range(3):  # the DataFrame path gives the same compliance variance
        frame = pl.DataFrame({"y": y[r], "z": z[r], "d": d[r]})
        row = cace_2sls(frame, "y", "z", "d", sd=float(sd_y[r])).row(0, named=True)
        assert row["first_stage"] == pytest.approx(pi[r], rel=1e-9)
        assert row["compliance_variance"] == pytest.approx(compliance_variance[r], rel=1e-6)

    var_d = share / 2 * (1 - share / 2)
    truth = beta / np.sqrt(beta**2 * var_d + 1)  # complier effect over the SD of the outcome
    itt_truth = beta * share / np.sqrt(beta**2 * var_d + 1)
    cover_itt = _covered(g_itt, se_itt, itt_truth)
    cover = _covered(g, se, truth)
    report.append(
        f"CACE on the ITT basis ({TRIALS} trials, n = {n}, compliance {share}, true CACE g = "
        f"{truth:.3f}): ITT (unconditional) coverage {cover_itt:.3f}, CACE coverage {cover:.3f}"
    )
    assert LOW <= cover_itt <= HIGH
    assert LOW <= cover <= HIGH
    assert np.all(np.abs(g) / se <= np.abs(g_itt) / se_itt + 1e-12)


def test_cluster_design_intervals_cover_the_true_effect(report):
    rng = np.random.default_rng(20250902)
    m_per_arm, n, beta, icc = 20, 15, 0.25, 0.2
    sigma_b, sigma_w = np.sqrt(icc), np.sqrt(1 - icc)
    t, y = _simulate_cluster(rng, TRIALS, m_per_arm, n, beta, sigma_b, sigma_w)
    b, within, between_c, between_u = _fit_cluster(t, y)
    sizes = ClusterSizes.from_sizes([n] * m_per_arm, [n] * m_per_arm)

    rho_c = between_c / (between_c + within)
    g_w, se_w = hedges2007_within(b, np.sqrt(within), rho_c, sizes)
    g_t, se_t = hedges2007_total(b, np.sqrt(between_c + within), rho_c, sizes)
    rho_u = between_u / (between_u + within)
    g_tu, se_tu = hedges2007_total(b, np.sqrt(between_u + within), rho_u, sizes)

    for r in range(2):
        frame = pl.DataFrame(
            {
                "y": y[r].ravel(),
                "t": np.repeat(t, n),
                "school": np.repeat(np.arange(2 * m_per_arm), n),
            }
        )
        rows = cluster_randomised_effect_sizes(frame, "y", "t", "school", [])
        got = {(m, v): g for m, v, g in rows.select("model", "variance", "g").iter_rows()}
        assert got["conditional", "within"] == pytest.approx(float(g_w[r]), abs=2e-3)
        assert got["conditional", "total"] == pytest.approx(float(g_t[r]), abs=2e-3)
        assert got["unconditional", "total"] == pytest.approx(float(g_tu[r]), abs=2e-3)

    total_truth = beta / np.sqrt(sigma_b**2 + sigma_w**2)
    cover_w = _covered(g_w, se_w, beta / sigma_w)
    cover_t = _covered(g_t, se_t, total_truth)
    cover_tu = _covered(g_tu, se_tu, total_truth)
    report.append(
        f"cluster design ({TRIALS} trials, {2 * m_per_arm} schools x {n} pupils, ICC {icc}, "
        f"true total g = {total_truth:.3f}): conditional within {cover_w:.3f}, conditional "
        f"total {cover_t:.3f}, unconditional total {cover_tu:.3f}"
    )
    assert LOW <= cover_w <= HIGH
    assert LOW <= cover_t <= HIGH
    assert LOW <= cover_tu <= HIGH


# --- few clusters, unequal sizes, covariates -------------------------------------------------

FEW_CLUSTER_TRIALS = 1000


def _unequal_cluster_trial(rng, m, beta, sigma_b, sigma_w):
    """One cluster trial: unequal sizes (5 to 40 pupils), half the schools allocated, a school-
    level covariate `school_x` and a pupil-level baseline `pre` with a between-school part."""
    size = rng.integers(5, 41, m)
    arm = rng.permutation(np.arange(m) % 2).astype(float)
    school = np.repeat(np.arange(m), size)
    school_x = rng.normal(size=m)
    pre = 0.5 * rng.normal(size=m)[school] + rng.normal(size=size.sum())
    y = (
        beta * arm[school]
        + 0.4 * school_x[school]
        + 0.6 * pre
        + rng.normal(0, sigma_b, m)[school]
        + rng.normal(0, sigma_w, size.sum())
    )
    return pl.DataFrame(
        {"y": y, "t": arm[school], "school": school, "school_x": school_x[school], "pre": pre}
    )


@pytest.mark.slow
@pytest.mark.parametrize("clusters", [12, 20, 40])
def test_few_cluster_intervals_cover_with_unequal_sizes_and_covariates(report, clusters):
    """Every interval of a cluster trial (conditional within and total, unconditional total:
    the headline) covers its true effect 93-97% of the time with 12, 20 and 40 schools of
    unequal size and a school- and a pupil-level covariate. The estimates are those of
    `cluster_randomised_effect_sizes(fit="profile")`, the pipeline's own fit."""
    rng = np.random.default_rng(20250914 + clusters)
    beta, sigma_b, sigma_w = 0.3, np.sqrt(0.15), np.sqrt(0.85)
    truths = {
        ("conditional", "within"): beta / sigma_w,
        ("conditional", "total"): beta / np.sqrt(sigma_b**2 + sigma_w**2),
        # within an arm: school_x, pre (between and within parts), school and pupil noise
        ("unconditional", "total"): beta
        / np.sqrt(0.4**2 + 0.6**2 * 1.25 + sigma_b**2 + sigma_w**2),
    }
    hits = dict.fromkeys(truths, 0)
    for _ in range(FEW_CLUSTER_TRIALS):
        frame = _unequal_cluster_trial(rng, clusters, beta, sigma_b, sigma_w)
        rows = cluster_randomised_effect_sizes(
            frame, "y", "t", "school", ["school_x", "pre"], fit="profile", randomisation_draws=0
        )
        for r in rows.iter_rows(named=True):
            key = (r["model"], r["variance"])
            if key in truths:
                hits[key] += r["ci_lower"] <= truths[key] <= r["ci_upper"]
    coverage = {key: hit / FEW_CLUSTER_TRIALS for key, hit in hits.items()}
    report.append(
        f"cluster design, unequal sizes 5-40, 2 covariates, {clusters} schools "
        f"({FEW_CLUSTER_TRIALS} trials): "
        + ", ".join(f"{m} {v} {c:.3f}" for (m, v), c in coverage.items())
    )
    for key, c in coverage.items():
        assert LOW <= c <= HIGH, (key, c)


@pytest.mark.slow
@pytest.mark.parametrize("clusters", [12, 40])
def test_randomisation_interval_covers_the_planted_effect(report, clusters):
    """Re-randomising the schools (seeded draws per trial): the test-inversion interval of the
    raw effect covers the planted effect 93-97% of the time and the p-value of no effect is
    uniform under no effect (rejects 3-7% at 5%), unequal sizes and two covariates."""
    rng = np.random.default_rng(20250915 + clusters)
    trials, draws = 1000, 499
    sigma_b, sigma_w = np.sqrt(0.15), np.sqrt(0.85)
    covered = rejected = 0
    for trial in range(trials):
        beta = 0.3 if trial % 2 else 0.0
        frame = _unequal_cluster_trial(rng, clusters, beta, sigma_b, sigma_w)
        x, t, _ = design_matrix(frame, "t", ["school_x", "pre"])
        y, codes = frame["y"].to_numpy(), frame["school"].to_numpy()
        _, between, within = _random_intercept_profile(y, x, codes)
        arm = np.zeros(clusters)
        arm[codes] = t
        result = cluster_randomisation_inference(
            y, np.delete(x, 1, axis=1), arm, codes, between / within, draws=draws, seed=trial
        )
        covered += result.ci_lower <= beta <= result.ci_upper
        rejected += beta == 0.0 and result.p_value <= 0.05
    coverage, size = covered / trials, rejected / (trials / 2)
    report.append(
        f"randomisation inference, unequal sizes 5-40, 2 covariates, {clusters} schools "
        f"({trials} trials, {draws} re-randomisations): coverage {coverage:.3f}, "
        f"rejection under no effect {size:.3f}"
    )
    assert LOW <= coverage <= HIGH
    assert 0.03 <= size <= 0.07
