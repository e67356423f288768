"""Binary outcomes, MDES, attrition, balance, DiD, CACE, months' progress, padlocks, costs."""

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from scipy import stats as sps

from pipelines.errors import InputError
from pipelines.stats.attrition import attrition_by_arm, wwc_attrition_band
from pipelines.stats.balance import baseline_balance, wwc_band
from pipelines.stats.binary import COX_SCALE, binary_outcome_effects
from pipelines.stats.compliance import cace_2sls
from pipelines.stats.costs import cost_band, cost_summary
from pipelines.stats.months_progress import months_progress
from pipelines.stats.power import (
    mdes_cluster,
    mdes_difference_in_differences,
    mdes_individual,
    plan_mdes,
    units_for_mdes,
)
from pipelines.stats.quasi import difference_in_differences, event_study, propensity_match
from pipelines.stats.reference_tables import TABLES, table_path
from pipelines.stats.security import (
    THREATS,
    load_threat_judgements,
    pretrend_status,
    security_rating,
    threat_adjustment,
)

SHARED_METHODS = Path(__file__).resolve().parents[1].parent / "shared" / "methods"


@pytest.mark.skipif(not SHARED_METHODS.exists(), reason="shared/methods is not present")
@pytest.mark.parametrize("name", TABLES)
def test_reference_tables_are_the_shared_originals(name):
    assert table_path(name).read_bytes() == (SHARED_METHODS / f"{name}.csv").read_bytes()


# --- binary ---------------------------------------------------------------------------------


def test_binary_unadjusted_risk_difference_and_odds_ratio_by_hand():
    # 30/50 treated vs 20/50 control: RD 0.2; OR (30*30)/(20*20) = 2.25.
    y = [1] * 30 + [0] * 20 + [1] * 20 + [0] * 30
    frame = pl.DataFrame({"y": y, "t": [1] * 50 + [0] * 50})
    result = {
        r["measure"]: r for r in binary_outcome_effects(frame, "y", "t").iter_rows(named=True)
    }
    assert result["risk_difference"]["estimate"] == pytest.approx(0.2)
    assert result["odds_ratio"]["estimate"] == pytest.approx(2.25)
    assert result["cox_index_g"]["estimate"] == pytest.approx(np.log(2.25) / COX_SCALE)
    # Robust SE of the log OR with one binary regressor is Woolf's: sqrt(sum of 1/cell counts).
    woolf = np.sqrt(2 / 30 + 2 / 20)
    assert result["odds_ratio"]["se"] == pytest.approx(woolf, rel=1e-6)


def test_binary_cluster_robust_intervals_are_wider_with_clustering():
    rng = np.random.default_rng(3)
    schools = np.repeat(np.arange(40), 25)
    arm = (np.arange(40) % 2)[schools]
    school_effect = rng.normal(0, 1.2, 40)[schools]
    y = (rng.random(1000) < 1 / (1 + np.exp(-(0.4 * arm + school_effect)))).astype(int)
    frame = pl.DataFrame({"y": y, "t": arm, "school": schools})
    robust = binary_outcome_effects(frame, "y", "t", cluster="school")
    naive = binary_outcome_effects(frame, "y", "t")
    assert robust["covariance"][0].startswith("cluster-robust")
    assert (robust["se"] > 1.5 * naive["se"]).all()


# --- MDES -----------------------------------------------------------------------------------


def test_mdes_multiplier_tends_to_bloom_2_8():
    n = 1_000_000
    assert mdes_individual(n) * np.sqrt(0.25 * n) == pytest.approx(2.80, abs=0.01)


def test_mdes_cluster_with_one_pupil_per_cluster_is_the_individual_mdes():
    assert mdes_cluster(200, 1, 0.3) == pytest.approx(mdes_individual(200))


def test_mdes_falls_with_covariates_and_rises_with_icc():
    assert mdes_cluster(40, 20, 0.15, r2_level2=0.5) < mdes_cluster(40, 20, 0.15)
    assert mdes_cluster(40, 20, 0.25) > mdes_cluster(40, 20, 0.15)
    expected = (sps.t.ppf(0.975, 38) + sps.t.ppf(0.8, 38)) * np.sqrt(
        0.15 / (0.25 * 40) + 0.85 / (0.25 * 800)
    )
    assert mdes_cluster(40, 20, 0.15) == pytest.approx(expected)


def test_planner_attrition_shrinks_participants_not_clusters():
    # participant trial: 500 randomised, 20% lost -> the MDES of 400 analysed
    assert plan_mdes(500, attrition=0.2, r2=0.3) == pytest.approx(mdes_individual(400, r2=0.3))
    # cluster trial: 40 schools of 25, 20% of pupils lost -> 40 schools of 20
    planned = plan_mdes(40, cluster_size=25, icc=0.15, r2=0.5, r2_between=0.6, attrition=0.2)
    assert planned == pytest.approx(mdes_cluster(40, 20, 0.15, r2_level1=0.5, r2_level2=0.6))
    # one R2 given: the same share explained at both levels
    assert plan_mdes(40, cluster_size=25, icc=0.15, r2=0.5) == pytest.approx(
        mdes_cluster(40, 25, 0.15, r2_level1=0.5, r2_level2=0.5)
    )


@pytest.mark.parametrize(
    "plan",
    [{}, {"r2": 0.4, "attrition": 0.1}, {"cluster_size": 25, "icc": 0.15, "r2": 0.5}],
)
def test_units_for_a_target_mdes_are_the_fewest_that_reach_it(plan):
    units = units_for_mdes(0.2, **plan)
    assert plan_mdes(units, **plan) <= 0.2 < plan_mdes(units - 1, **plan)


def test_planner_refuses_impossible_inputs():
    for bad in ({"attrition": 1.0}, {"r2": -0.1}, {"cluster_size": 20, "icc": 1.2}):
        with pytest.raises(ValueError, match="must be"):
            plan_mdes(40, **bad)
    with pytest.raises(ValueError, match="degrees of freedom"):
        plan_mdes(2)
    with pytest.raises(ValueError, match="positive"):
        units_for_mdes(0.0)


def test_did_mdes_is_the_change_score_mdes():
    # with r = 1/2 the change score's variance 2 (1 - r) equals the outcome's
    assert mdes_difference_in_differences(300, 0.5) == pytest.approx(mdes_individual(300))
    # the change-score variance in a simulation: 2 sigma^2 (1 - r) per unit
    rng = np.random.default_rng(3)
    level = rng.normal(0, np.sqrt(0.8), 200_000)
    pre, post = level + rng.normal(0, np.sqrt(0.2), (2, 200_000))
    assert np.var(post - pre) == pytest.approx(2 * (1 - np.corrcoef(pre, post)[0, 1]), rel=0.02)
    assert mdes_difference_in_differences(300, 0.8) < mdes_individual(300)


# --- attrition ------------------------------------------------------------------------------


def test_attrition_by_arm_overall_and_differential():
    frame = pl.DataFrame(
        {"arm": [1] * 10 + [0] * 10, "analysed": [True] * 8 + [False] * 2 + [True] * 9 + [False]}
    )
    result = {r["arm"]: r for r in attrition_by_arm(frame, "arm", "analysed").iter_rows(named=True)}
    assert result["treatment"]["attrition_percent"] == pytest.approx(20)
    assert result["control"]["attrition_percent"] == pytest.approx(10)
    assert result["overall"]["attrition_percent"] == pytest.approx(15)
    assert result["overall"]["differential_attrition_pp"] == pytest.approx(10)
    assert result["overall"]["lost"] == 3


def test_attrition_without_a_comparison_arm_has_no_differential():
    frame = pl.DataFrame({"arm": ["treatment"] * 3, "analysed": [True, True, False]})
    got = attrition_by_arm(frame, "arm", "analysed")
    assert got["arm"].to_list() == ["treatment", "overall"]
    assert got.schema["differential_attrition_pp"] == pl.Float64
    assert got["differential_attrition_pp"].null_count() == 2
    assert [got.schema[c] for c in ("randomised", "analysed", "lost")] == [pl.Int64] * 3


def test_wwc_band_takes_any_percentage_and_refuses_others():
    assert wwc_attrition_band(100, 0) == "high"
    for bad in (-0.1, 100.5):
        with pytest.raises(ValueError, match="must be a percentage"):
            wwc_attrition_band(bad, 0)


def test_attrition_counts_a_missing_analysed_flag_as_lost():
    # A unit whose analysed flag is missing (no outcome recorded) was not analysed.
    frame = pl.DataFrame(
        {
            "arm": ["treatment"] * 4 + ["control"] * 4,
            "analysed": [True, None, None, False, True, True, True, None],
        },
        schema={"arm": pl.String, "analysed": pl.Boolean},
    )
    got = attrition_by_arm(frame, "arm", "analysed").sort("arm")
    expected = pl.DataFrame(
        {
            "arm": ["control", "overall", "treatment"],
            "randomised": [4, 8, 4],
            "analysed": [3, 4, 1],
            "lost": [1, 4, 3],
            "attrition_percent": [25.0, 50.0, 75.0],
            "differential_attrition_pp": [None, 50.0, None],
        }
    )
    assert_frame_equal(got.select(expected.columns), expected, check_dtypes=False)


# --- balance --------------------------------------------------------------------------------


def test_balance_smd_pooled_and_treated_denominators():
    frame = pl.DataFrame({"t": [1, 1, 1, 0, 0, 0], "x": [1.0, 2.0, 3.0, 0.0, 2.0, 4.0]})
    pooled = baseline_balance(frame, "t", ["x"]).row(0, named=True)
    # means 2 vs 2 -> 0; SDs 1 and 2; pooled sqrt(2.5)
    assert pooled["smd"] == pytest.approx(0.0)
    assert pooled["variance_ratio"] == pytest.approx(0.25)
    assert pooled["variance_ratio_ok"] is False
    assert "pooled" in pooled["smd_denominator"]
    shifted = frame.with_columns(pl.when(pl.col("t") == 1).then(pl.col("x") + 1).otherwise("x"))
    treated = baseline_balance(shifted, "t", ["x"], denominator="treated").row(0, named=True)
    assert treated["smd"] == pytest.approx(1.0)
    assert treated["smd_denominator"] == "treated-group SD"


def test_balance_text_covariates_become_shares_per_level():
    frame = pl.DataFrame({"t": [1, 1, 0, 0], "sex": ["F", "F", "F", "M"]})
    result = baseline_balance(frame, "t", ["sex"])
    assert result["covariate"].to_list() == ["sex[F]", "sex[M]"]
    assert result["mean_treatment"].to_list() == [1.0, 0.0]


def test_wwc_bands():
    assert [wwc_band(v) for v in (0.05, -0.2, 0.26)] == [
        "satisfies",
        "requires adjustment",
        "fails",
    ]


# --- matching and difference-in-differences -------------------------------------------------


def _school_panel(seed: int, effect: float, pre_trend: float = 0.0):
    rng = np.random.default_rng(seed)
    n = 300
    fsm = rng.uniform(5, 50, n)
    treated = rng.random(n) < 1 / (1 + np.exp(-(fsm - 30) / 6))
    level = 45 - 0.2 * fsm + rng.normal(0, 3, n)
    rows = []
    for year in range(2021, 2028):
        shock = rng.normal(0, 0.5)
        post = year >= 2025
        value = (
            level
            + shock
            + 0.3 * (year - 2021)
            + effect * (treated & post)
            + pre_trend * treated * (year - 2025)
            + rng.normal(0, 1.5, n)
        )
        rows.append(pl.DataFrame({"school": np.arange(n), "year": year, "y": value}))
    units = pl.DataFrame({"school": np.arange(n), "treated": treated.astype(int), "fsm": fsm})
    return units, pl.concat(rows).join(units, on="school")


def test_matching_improves_balance_and_did_recovers_the_effect():
    units, panel = _school_panel(11, effect=1.5)
    before = baseline_balance(units, "treated", ["fsm"]).row(0, named=True)
    matched = propensity_match(units, "treated", ["fsm"])
    after = baseline_balance(matched, "treated", ["fsm"], weights="match_weight").row(0, named=True)
    assert abs(before["smd"]) > 0.5
    assert abs(after["smd"]) < 0.1
    weights = matched.select("school", "match_weight").filter(pl.col("match_weight") > 0)
    result = difference_in_differences(
        panel.join(weights, on="school"), "y", "school", "year", "treated", 2025,
        weights="match_weight",
    ).row(0, named=True)  # fmt: skip
    assert result["ci_lower"] < 1.5 < result["ci_upper"]
    assert result["pretrend_df"] == 3
    assert result["pretrend_p_value"] > 0.01
    assert result["n_units_treated"] == matched.filter("matched", pl.col("treated") == 1).height


def test_pre_trend_test_detects_diverging_trends():
    _, panel = _school_panel(12, effect=0.0, pre_trend=0.8)
    coefficients, test = event_study(panel, "y", "school", "year", "treated", 2025)
    assert test["p_value"] < 0.001
    assert coefficients.filter(pl.col("relative_period") == -1)["estimate"][0] == 0.0
    assert coefficients["relative_period"].to_list() == [-4, -3, -2, -1, 0, 1, 2]


# --- CACE -----------------------------------------------------------------------------------


def test_cace_is_the_wald_ratio_without_covariates_and_recovers_the_complier_effect():
    rng = np.random.default_rng(5)
    n = 4000
    z = rng.permutation(np.arange(n) % 2)
    complier = rng.random(n) < 0.7
    d = (z == 1) & complier
    y = 0.5 * d + rng.normal(size=n)
    frame = pl.DataFrame({"y": y, "z": z, "d": d.astype(int)})
    result = cace_2sls(frame, "y", "z", "d", sd=2.0).row(0, named=True)
    itt = y[z == 1].mean() - y[z == 0].mean()
    assert result["estimate"] == pytest.approx(itt / d[z == 1].mean(), rel=1e-9)
    assert result["ci_lower"] < 0.5 < result["ci_upper"]
    assert result["g"] == pytest.approx(result["estimate"] / 2.0)
    assert result["compliance_treatment"] == pytest.approx(d[z == 1].mean())
    assert result["first_stage_f"] > 100


# --- months' progress, padlocks, costs ------------------------------------------------------


@pytest.mark.parametrize(
    ("g", "months"),
    [(0.0, 0), (0.014, 0), (0.015, 1), (0.09, 1), (0.185, 3), (0.35, 4), (0.96, 12), (1.4, 12),
     (-0.2, -3), (-0.005, 0)],
)  # fmt: skip
def test_months_progress_toolkit_table(g, months):
    assert months_progress(g, is_pupil_attainment=True) == months


def test_months_progress_only_for_pupil_attainment_and_project_table():
    assert months_progress(0.3, is_pupil_attainment=False) is None
    assert months_progress(None, is_pupil_attainment=True) is None
    assert months_progress(0.03, is_pupil_attainment=True, table="project_report") == 0
    assert months_progress(0.03, is_pupil_attainment=True, table="toolkit") == 1


def _judgements(**levels) -> pl.DataFrame:
    rows = []
    for threat in THREATS:
        level, direction = levels.get(threat, ("Low", "unknown"))
        rows.append({"threat": threat, "judgement": level, "direction": direction})
    return pl.DataFrame(rows)


@pytest.mark.parametrize(
    ("levels", "adjustment"),
    [
        ({}, 0),
        ({"confounding": ("Moderate", "unknown"), "missing_data": ("Moderate", "unknown")}, 0),
        (
            {
                "confounding": ("Moderate", "favours_intervention"),
                "missing_data": ("Moderate", "favours_intervention"),
            },
            1,
        ),
        ({t: ("Moderate", "unknown") for t in THREATS[:4]}, 1),
        ({"confounding": ("High", "unknown")}, 1),
        (
            {
                "confounding": ("High", "unknown"),
                "missing_data": ("Moderate", "unknown"),
                "selective_reporting": ("Moderate", "unknown"),
            },
            2,
        ),
        ({"confounding": ("High", "unknown"), "missing_data": ("High", "unknown")}, 2),
    ],
)
def test_threat_adjustment_rules(levels, adjustment):
    assert threat_adjustment(_judgements(**levels))[0] == adjustment


def test_security_rating_takes_the_lower_of_design_and_attrition_then_adjusts():
    rating = security_rating("cluster_randomised", 18.0, _judgements())
    assert (rating["design_padlocks"], rating["attrition_padlocks"]) == (5, 4)
    assert rating["padlocks"] == 4
    did = security_rating(
        "matched_difference_in_differences",
        5.0,
        _judgements(confounding=("High", "unknown")),
        pretrend="passed",
    )
    assert (did["interim_padlocks"], did["padlocks"]) == (4, 3)
    assert security_rating("no_comparator", 0.0, _judgements())["padlocks"] == 0


@pytest.mark.parametrize(
    ("p_value", "status", "removed"),
    [(0.40, "passed", 0), (0.05, "passed", 0), (0.049, "failed", 2), (None, "not testable", 1)],
)
def test_pre_trend_status_lowers_the_design_rating_of_a_did(p_value, status, removed):
    assert pretrend_status(p_value) == status
    rating = security_rating(
        "matched_difference_in_differences", 5.0, _judgements(), pretrend=status
    )
    assert rating["pretrend_adjustment"] == removed
    assert rating["interim_padlocks"] == 4 - removed
    assert status in rating["pretrend_rule"]
    # attrition can still be the binding constraint
    assert security_rating(
        "matched_difference_in_differences", 45.0, _judgements(), pretrend=status
    )["interim_padlocks"] == min(4 - removed, 1)
    # a randomised design has no pre-trend test, and a DiD rating needs one
    assert pretrend_status(0.001, "cluster_randomised") == "not applicable"
    with pytest.raises(ValueError, match="pre-trend"):
        security_rating("matched_difference_in_differences", 5.0, _judgements())


def test_threat_judgements_file_keeps_the_audit_trail(tmp_path):
    path = tmp_path / "threats.csv"
    header = "pilot_id,threat,judgement,direction,reviewer,judged_on,rationale\n"
    path.write_text(
        header + "P1,missing_data,Moderate,unknown,A. Reviewer,2026-09-01,first look\n"
        "P1,missing_data,Low,unknown,B. Reviewer,2026-10-01,imputation done\n"
    )
    frame = load_threat_judgements(path)
    assert frame["is_current"].to_list() == [False, True]
    path.write_text(header + "P1,missing_data,Severe,unknown,A,2026-09-01,why\n")
    with pytest.raises(InputError, match=r"row 2, column 'judgement'"):
        load_threat_judgements(path)
    path.write_text(header + "P1,missing_data,Low,unknown,,2026-09-01,why\n")
    with pytest.raises(InputError, match=r"row 2, column 'reviewer'"):
        load_threat_judgements(path)


@pytest.mark.parametrize(
    ("cost", "rating"), [(0, 1), (80, 1), (80.01, 2), (200, 2), (720, 3), (1200, 4), (5000, 5)]
)
def test_cost_bands(cost, rating):
    assert cost_band(cost)[0] == rating


def test_cost_summary_spreads_start_up_over_three_years():
    row = cost_summary(60_000, [100_000, 100_000, 100_000], 120, 3_000).row(0, named=True)
    assert row["cost_per_participant_gbp"] == pytest.approx(3_000)
    assert row["cost_per_pupil_per_year_gbp"] == pytest.approx(40)
    assert (row["cost_rating"], row["cost_label"]) == (1, "Very low")


# --- matching before difference-in-differences: regression to the mean ---------------------


def _rtm_trial(rng, noise: float, n: int = 500):
    """No effect; programme schools self-select on their permanent level (lower attaining),
    school means carry yearly noise: four pre-programme years and one after."""
    fsm = rng.uniform(5, 50, n)
    level = 50 - 0.3 * (fsm - 25) + 4.0 * rng.normal(size=n)
    treated = rng.random(n) < 1 / (1 + np.exp(-(-2.0 + 0.05 * (fsm - 25) - 0.25 * (level - 50))))
    y = level[:, None] + 0.4 * np.arange(5)[None, :] + noise * rng.normal(size=(n, 5))
    return fsm, treated, y


def _matched_did(treated, y, weights) -> float:
    """The weighted two-way fixed-effects estimate for a balanced panel with one post period:
    treated change minus weighted comparison change (post minus mean of the pre years)."""
    change = y[:, -1] - y[:, :-1].mean(axis=1)
    keep = treated & (weights > 0)
    return change[keep].mean() - np.average(change[~treated], weights=weights[~treated])


def test_matching_on_the_reference_year_outcome_regresses_to_the_mean():
    """Daw & Hatfield (2018): matching on a noisy pre-programme outcome picks comparison schools
    with a bad reference year, which rebound; difference-in-differences on covariates-only
    matching is unbiased (unit effects absorb the level). Hence the pipeline matches on the
    covariates, not on the reference-year outcome (pipelines/stats/METHODS.md)."""
    reps = 100
    for noise, reliable in ((4.0, False), (1.2, True)):
        rng = np.random.default_rng(41)
        on_outcome, on_covariates = [], []
        for _ in range(reps):
            fsm, treated, y = _rtm_trial(rng, noise)
            units = pl.DataFrame({"t": treated.astype(int), "fsm": fsm, "y_ref": y[:, 3]})
            for covariates, found in ((["fsm", "y_ref"], on_outcome), (["fsm"], on_covariates)):
                weights = propensity_match(units, "t", covariates)["match_weight"].to_numpy()
                found.append(_matched_did(treated, y, weights))
        biased, clean = np.array(on_outcome), np.array(on_covariates)
        mc = clean.std(ddof=1) / np.sqrt(reps)
        assert abs(clean.mean()) < 3 * mc, (noise, clean.mean(), mc)
        if not reliable:  # the outcome-matched estimate is biased towards a negative effect
            assert biased.mean() < -3 * biased.std(ddof=1) / np.sqrt(reps), biased.mean()
            assert biased.mean() < -0.25
        else:  # smaller with reliable school means, but still in the same direction
            assert biased.mean() < clean.mean()
    # the two-way fixed-effects estimator gives the same number as the shortcut above
    fsm, treated, y = _rtm_trial(np.random.default_rng(3), 1.2)
    units = pl.DataFrame({"school": np.arange(len(fsm)), "t": treated.astype(int), "fsm": fsm})
    weights = propensity_match(units, "t", ["fsm"])["match_weight"].to_numpy()
    panel = pl.DataFrame(
        {
            "school": np.repeat(np.arange(len(fsm)), 5),
            "year": np.tile(np.arange(2021, 2026), len(fsm)),
            "y": y.ravel(),
            "treated": np.repeat(treated.astype(int), 5),
            "w": np.repeat(weights, 5),
        }
    ).filter(pl.col("w") > 0)
    result = difference_in_differences(panel, "y", "school", "year", "treated", 2025, weights="w")
    assert result["estimate"][0] == pytest.approx(_matched_did(treated, y, weights), abs=1e-8)


# --- WWC attrition boundary -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("overall", "differential", "band"),
    [
        (0.0, 5.7, "low"), (0.0, 5.8, "high"), (10.0, 6.3, "low"), (10.0, -6.4, "high"),
        (30.0, 4.1, "low"), (30.0, 4.2, "high"), (57.0, 0.0, "low"), (58.0, 0.0, "high"),
        (10.5, 6.2, "low"), (10.5, 6.25, "high"), (18.5, 5.6, "high"),  # stricter row applies
    ],
)  # fmt: skip
def test_wwc_cautious_attrition_boundary(overall, differential, band):
    assert wwc_attrition_band(overall, differential) == band


def test_high_attrition_on_the_wwc_boundary_costs_an_attrition_padlock():
    low = security_rating("cluster_randomised", 8.0, _judgements(), differential_attrition_pp=2.0)
    high = security_rating("cluster_randomised", 8.0, _judgements(), differential_attrition_pp=7.0)
    assert (low["wwc_attrition"], low["attrition_padlocks"]) == ("low", 5)
    assert (high["wwc_attrition"], high["attrition_padlocks"]) == ("high", 4)
    assert high["padlocks"] == low["padlocks"] - 1
    unknown = security_rating("cluster_randomised", 8.0, _judgements())
    assert unknown["wwc_attrition"] == "unknown" and unknown["attrition_padlocks"] == 5


def test_attrition_by_group_for_a_matched_comparison():
    frame = pl.DataFrame(
        {
            "arm": ["treatment"] * 10 + ["comparison"] * 20,
            "analysed": [True] * 9 + [False] + [True] * 14 + [False] * 6,
        }
    )
    result = {r["arm"]: r for r in attrition_by_arm(frame, "arm", "analysed").iter_rows(named=True)}
    assert result["comparison"]["attrition_percent"] == pytest.approx(30)
    assert result["overall"]["differential_attrition_pp"] == pytest.approx(10 - 30)
