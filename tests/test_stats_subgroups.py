"""Subgroup x treatment interaction tests (`subgroup_interaction`) on planted effects."""

import numpy as np
import polars as pl
import pytest

from pipelines.stats.subgroups import subgroup_interaction


def _individual(rng, n, interaction):
    t = rng.permutation(np.arange(n) % 2).astype(float)
    fsm = rng.random(n) < 0.3
    x = rng.normal(size=n)
    y = 0.2 * t + 0.3 * fsm + interaction * t * fsm + 0.5 * x + rng.normal(size=n)
    return pl.DataFrame({"y": y, "t": t, "fsm": fsm, "x": x})


def test_individual_interaction_recovers_the_planted_difference():
    frame = _individual(np.random.default_rng(1), 20_000, 0.4)
    result = subgroup_interaction(frame, "y", "t", "fsm", ["x"])
    assert result["estimate"] == pytest.approx(0.4, abs=0.06)
    assert result["p_value"] < 1e-6 and result["df"] == 20_000 - 5


def test_individual_interaction_test_holds_its_size():
    rng = np.random.default_rng(2)
    rejected = sum(
        subgroup_interaction(_individual(rng, 300, 0.0), "y", "t", "fsm", ["x"])["p_value"] < 0.05
        for _ in range(600)
    )
    assert 0.03 <= rejected / 600 <= 0.07


def test_cluster_and_multisite_interactions_recover_the_planted_difference():
    rng = np.random.default_rng(3)
    m = 60
    size = rng.integers(10, 40, m)
    school = np.repeat(np.arange(m), size)
    fsm = rng.random(school.size) < 0.35
    u = rng.normal(0, 0.4, m)[school]
    # cluster: schools allocated whole; multisite: pupils allocated within schools
    whole = (np.arange(m) % 2).astype(float)[school]
    within = rng.permutation(np.arange(school.size) % 2).astype(float)
    for design, t in (("cluster", whole), ("multisite", within)):
        y = 0.2 * t + 0.5 * t * fsm - 0.3 * fsm + u + rng.normal(size=school.size)
        frame = pl.DataFrame({"y": y, "t": t, "fsm": fsm, "school": school})
        result = subgroup_interaction(frame, "y", "t", "fsm", design=design, cluster="school")
        assert result["estimate"] == pytest.approx(0.5, abs=0.15), design
        assert result["p_value"] < 0.01, design
        assert result["df"] == m - 2, design  # the pupil-level subgroup costs no school df


def test_binary_interaction_on_the_log_odds_scale_and_refusals():
    rng = np.random.default_rng(4)
    n = 20_000
    t = (np.arange(n) % 2).astype(float)
    fsm = rng.random(n) < 0.4
    logit = -1 + 0.3 * t + 0.6 * t * fsm
    frame = pl.DataFrame({"y": (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(float),
                          "t": t, "fsm": fsm})  # fmt: skip
    result = subgroup_interaction(frame, "y", "t", "fsm", binary=True)
    assert result["estimate"] == pytest.approx(0.6, abs=0.15) and "log odds" in result["scale"]
    with pytest.raises(ValueError, match="needs its cluster column"):
        subgroup_interaction(frame, "y", "t", "fsm", design="cluster")
    with pytest.raises(ValueError, match="does not vary"):
        subgroup_interaction(frame.with_columns(fsm=True), "y", "t", "fsm")
