"""Multi-arm trials: every intervention arm against one control (`multi_arm_effect_sizes`),
each contrast reported with the multiple-comparison note, on planted effects."""

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pipelines.stats.effect_sizes import (
    MULTI_ARM_SCHEMA,
    RESULT_SCHEMA,
    holm_adjust,
    individual_randomised_effect_sizes,
    multi_arm_effect_sizes,
)

LOW, HIGH = 0.93, 0.97


def _individual_trial(rng, n_per_arm=150):
    arm = np.repeat(["control", "coaching", "mentoring"], n_per_arm)
    x = rng.normal(size=arm.size)
    effect = np.select([arm == "coaching", arm == "mentoring"], [0.3, 0.1], 0.0)
    return pl.DataFrame({"y": effect + 0.5 * x + rng.normal(size=arm.size), "arm": arm, "x": x})


def test_each_arm_is_reported_against_the_control_with_the_note():
    frame = _individual_trial(np.random.default_rng(1))
    result = multi_arm_effect_sizes(frame, "y", "arm", "control", ["x"])
    assert result.schema == pl.Schema(MULTI_ARM_SCHEMA)
    assert sorted(set(result["contrast"])) == ["coaching vs control", "mentoring vs control"]
    # each contrast is the two-arm analysis of that arm and the control
    pair = frame.filter(pl.col("arm").is_in(["coaching", "control"])).with_columns(
        (pl.col("arm") == "coaching").cast(pl.Int8).alias("t")
    )
    expected = individual_randomised_effect_sizes(pair, "y", "t", ["x"])
    got = result.filter(contrast="coaching vs control").select(list(RESULT_SCHEMA))
    assert_frame_equal(got, expected)
    # Holm-adjusted p-values on the headline rows only, never below the raw p-values
    heads = result.filter(model="unconditional", variance="total")
    assert heads["p_value_holm"].null_count() == 0
    assert (heads["p_value_holm"] >= heads["p_value"] - 1e-15).all()
    assert result.filter(model="conditional")["p_value_holm"].is_null().all()
    assert result["multiple_comparison_note"].str.contains("2 intervention arms").all()
    assert result["multiple_comparison_note"].str.contains("Parker & Weir 2020").all()


def test_holm_adjustment_is_statsmodels():
    from statsmodels.stats.multitest import multipletests

    for p in ([0.01, 0.04, 0.03], [0.2, 0.001], [0.5], [0.04, 0.04, 0.9, 0.012]):
        assert holm_adjust(np.array(p)) == pytest.approx(multipletests(p, method="holm")[1])


def test_refuses_a_missing_control_and_a_design_without_clusters():
    frame = _individual_trial(np.random.default_rng(2), 20)
    with pytest.raises(ValueError, match="control arm 'usual' not found"):
        multi_arm_effect_sizes(frame, "y", "arm", "usual")
    with pytest.raises(ValueError, match="design must be"):
        multi_arm_effect_sizes(frame, "y", "arm", "control", design="cluster")


def _three_arm_cluster_trial(rng, schools_per_arm, betas):
    """Schools of 5-40 pupils allocated to control and two programmes, a school-level and a
    pupil-level covariate (as tests/test_stats_coverage.py's cluster trials)."""
    m = 3 * schools_per_arm
    size = rng.integers(5, 41, m)
    arm = rng.permutation(np.arange(m) % 3)
    school = np.repeat(np.arange(m), size)
    school_x = rng.normal(size=m)
    pre = 0.5 * rng.normal(size=m)[school] + rng.normal(size=size.sum())
    y = (
        np.array([0.0, *betas])[arm][school]
        + 0.4 * school_x[school]
        + 0.6 * pre
        + rng.normal(0, np.sqrt(0.15), m)[school]
        + rng.normal(0, np.sqrt(0.85), size.sum())
    )
    labels = np.array(["control", "A", "B"])[arm][school]
    return pl.DataFrame(
        {"y": y, "arm": labels, "school": school, "school_x": school_x[school], "pre": pre}
    )


@pytest.mark.slow
def test_planted_effects_of_two_arms_recovered_and_covered(capsys):
    """1,000 seeded three-arm cluster trials (14 schools an arm, 5-40 pupils a school, two
    covariates; arm A planted at beta 0.3, arm B at 0): each contrast's conditional total and
    headline g within 0.02 of the planted value on average, intervals covering 93-97%."""
    rng = np.random.default_rng(20261203)
    trials, betas = 1000, {"A": 0.3, "B": 0.0}
    truths = {(arm, "conditional"): beta / np.sqrt(0.15 + 0.85) for arm, beta in betas.items()} | {
        # within an arm pair: school_x, pre (between and within parts), school and pupil noise
        (arm, "unconditional"): beta / np.sqrt(0.4**2 + 0.6**2 * 1.25 + 1.0)
        for arm, beta in betas.items()
    }
    estimates = {key: [] for key in truths}
    hits = dict.fromkeys(truths, 0)
    for _ in range(trials):
        frame = _three_arm_cluster_trial(rng, 14, tuple(betas.values()))
        rows = multi_arm_effect_sizes(
            frame, "y", "arm", "control", ["school_x", "pre"], design="cluster",
            cluster="school", fit="profile", randomisation_draws=0,
        ).filter(variance="total")  # fmt: skip
        for r in rows.iter_rows(named=True):
            key = (r["contrast"].split(" ")[0], r["model"])
            estimates[key].append(r["g"])
            hits[key] += r["ci_lower"] <= truths[key] <= r["ci_upper"]
    with capsys.disabled():
        for key, truth in truths.items():
            print(
                f"\nmulti-arm cluster, 14 schools an arm of 5-40, arm {key[0]} {key[1]} total: "
                f"planted {truth:.3f}, bias {np.mean(estimates[key]) - truth:+.4f}, coverage "
                f"{hits[key] / trials:.3f} ({trials} trials)"
            )
    for key, truth in truths.items():
        assert abs(np.mean(estimates[key]) - truth) < 0.02, key
        assert LOW <= hits[key] / trials <= HIGH, (key, hits[key] / trials)
