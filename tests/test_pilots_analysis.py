"""The pilot marts' analysis (pipelines/pilots/analysis.py) on the seeded synthetic files,
staged in memory (no pipeline run): months' progress basis, CACE, pre-trends, attrition."""

import dataclasses

import numpy as np
import polars as pl
import pytest

from pipelines.pilots import analysis
from pipelines.pilots.contract import FILES, validate_file
from pipelines.pilots.registry import PupilLevelSD, load_registry
from pipelines.pilots.synthetic import generate
from pipelines.stats.months_progress import months_progress
from tests.conftest import PROJECT_ROOT


@pytest.fixture(scope="module")
def pilot_data(tmp_path_factory) -> analysis.PilotData:
    """The default seeded synthetic files, typed by the contract as staging types them."""
    root = tmp_path_factory.mktemp("analysis")
    registry = load_registry(PROJECT_ROOT / "data" / "raw" / "pilots" / "registry" / "pilots.yaml")
    generate(root / "files", root / "truth.json", registry=registry)
    typed = {
        kind: pl.concat(
            [validate_file(path, kind) for path in sorted((root / "files").glob(f"*/*/{kind}.csv"))]
        )
        for kind in FILES
    }
    return analysis.PilotData(registry, **typed)


@pytest.fixture(scope="module")
def estimates(pilot_data) -> pl.DataFrame:
    return analysis.estimates(pilot_data)


def _headline(frame: pl.DataFrame, pilot: str, outcome: str) -> pl.DataFrame:
    return frame.filter(
        pilot_id=pilot, outcome_id=outcome, subgroup="all", analysis="itt", headline=True
    ).sort("evaluation_year")


# --- months' progress: pupil-level SD only, table named -----------------------------------


def test_school_mean_outcome_gets_no_months_without_a_pupil_level_sd(estimates):
    rows = _headline(estimates, "P4", "ks4_attainment")
    assert rows.height == 3
    assert rows["months_progress"].is_null().all()
    notes = rows["months_progress_note"].to_list()
    assert all("school" in n and "pupil-level" in n for n in notes), notes


def test_documented_pupil_level_sd_standardises_a_school_mean_outcome(pilot_data):
    registry = pilot_data.registry
    documented = PupilLevelSD(value=19.5, source="test value, documented here")
    outcomes = {
        **registry.outcomes,
        "ks4_attainment": dataclasses.replace(
            registry.outcomes["ks4_attainment"], pupil_level_sd=documented
        ),
    }
    data = dataclasses.replace(
        pilot_data, registry=dataclasses.replace(registry, outcomes=outcomes)
    )
    frame = analysis.estimates(data).filter(pilot_id="P4", outcome_id="ks4_attainment")
    for year in ("2025/26", "2027/28"):
        points = frame.filter(evaluation_year=year, subgroup="all", measure="did_points")
        g = frame.filter(evaluation_year=year, subgroup="all", measure="did_g")
        row = g.row(0, named=True)
        assert row["headline"]
        assert row["sd_used"] == pytest.approx(19.5)
        assert "test value, documented here" in row["variance_used"]
        assert row["estimate"] == pytest.approx(points["estimate"][0] / 19.5)
        assert row["ci_lower"] == pytest.approx(points["ci_lower"][0] / 19.5)
        expected = months_progress(
            row["estimate"], is_pupil_attainment=True, table="project_report"
        )
        assert row["months_progress"] == expected
        assert "pupil-level" in row["months_progress_note"]


def test_pupil_outcome_months_use_the_project_report_table_named_in_the_row(estimates):
    rows = _headline(estimates, "P5", "ks2_attainment")
    assert rows.height == 3
    for row in rows.iter_rows(named=True):
        assert row["months_progress_table"] == "project_report"
        assert row["months_progress"] == months_progress(
            row["estimate"], is_pupil_attainment=True, table="project_report"
        )
    # no months (and no table) on leader and teacher outcomes
    leaders = _headline(estimates, "P1", "wellbeing")
    assert leaders["months_progress"].is_null().all()
    assert leaders["months_progress_table"].is_null().all()


# --- CACE on the headline ITT's variance basis ---------------------------------------------


def test_cace_is_never_more_precise_than_its_itt(estimates):
    compared = 0
    for pilot, outcome in (("P1", "wellbeing"), ("P5", "ks2_attainment")):
        itt = _headline(estimates, pilot, outcome)
        cace = estimates.filter(
            pilot_id=pilot, outcome_id=outcome, subgroup="all", analysis="cace"
        ).sort("evaluation_year")
        assert cace["evaluation_year"].to_list() == itt["evaluation_year"].to_list()
        for i, c in zip(itt.iter_rows(named=True), cace.iter_rows(named=True), strict=True):
            width_itt, width_cace = i["ci_upper"] - i["ci_lower"], c["ci_upper"] - c["ci_lower"]
            # CACE = ITT / compliance: its interval is at least the ITT's over the compliance
            assert width_cace >= width_itt - 1e-12, (pilot, i, c)
            assert abs(c["estimate"]) / c["se"] <= abs(i["estimate"]) / i["se"] + 1e-9
            if i["ci_lower"] < 0 < i["ci_upper"]:
                assert c["ci_lower"] < 0 < c["ci_upper"], (pilot, i, c)
            assert c["sd_used"] == pytest.approx(i["sd_used"])
            compared += 1
    assert compared == 6


def test_cace_counts_receipt_only_up_to_its_evaluation_year(pilot_data, estimates):
    # Everyone in the control arm and every non-taker "receives" the programme in 2027/28:
    # the 2025/26 and 2026/27 CACEs must not move, the 2027/28 one must.
    dosage = pilot_data.dosage.with_columns(
        pl.when(pl.col("evaluation_year") == "2027/28")
        .then(pl.lit(True))
        .otherwise(pl.col("received_intervention"))
        .alias("received_intervention")
    )
    assert not dosage.equals(pilot_data.dosage)
    changed = analysis.estimates(dataclasses.replace(pilot_data, dosage=dosage))

    def cace(frame, pilot, year):
        return frame.filter(pilot_id=pilot, subgroup="all", analysis="cace", evaluation_year=year)

    for pilot in ("P1", "P5"):
        for year in ("2025/26", "2026/27"):
            before, after = cace(estimates, pilot, year), cace(changed, pilot, year)
            assert before.height == 1
            assert after["estimate"][0] == pytest.approx(before["estimate"][0], abs=1e-12)
            assert after["estimator"][0] == before["estimator"][0]
    p1_last = cace(estimates, "P1", "2027/28")["estimate"][0]
    assert cace(changed, "P1", "2027/28")["estimate"][0] != pytest.approx(p1_last, abs=1e-6)


# --- difference-in-differences: pre-trend test flagged, rated and drawn ----------------------


def _with_p4_outcomes(pilot_data, change) -> analysis.PilotData:
    outcomes = pilot_data.outcomes
    p4 = outcomes.filter(pilot_id="P4", outcome_id="ks4_attainment")
    rest = outcomes.filter(
        ~((pl.col("pilot_id") == "P4") & (pl.col("outcome_id") == "ks4_attainment"))
    )
    arms = pilot_data.of("schools", "P4").select("school_id", "arm").unique("school_id")
    changed = change(p4.join(arms, left_on="unit_id", right_on="school_id", how="left"))
    return dataclasses.replace(
        pilot_data, outcomes=pl.concat([rest, changed.select(outcomes.columns)])
    )


def _security(data):
    from pipelines.stats.security import load_threat_judgements

    path = PROJECT_ROOT / "data" / "raw" / "pilots" / "registry" / "threat_judgements.csv"
    return analysis.security(data, load_threat_judgements(path))


def test_did_rows_carry_the_pre_trend_status_and_only_the_model_covariates(estimates):
    did = estimates.filter(pilot_id="P4")
    assert set(did["pretrend_status"]) == {"passed"}
    assert (did["pretrend_p_value"] >= 0.05).all()
    # two-way fixed effects with no covariates: the matching covariates are not in the model
    assert set(did["covariates"]) == {"none"}
    assert did["estimator"].str.contains("matched on fsm_percent, region_group;").all()
    # not on the reference-year outcome (regression to the mean), which is reported instead
    assert did["estimator"].str.contains("not matched on baseline_ks4_attainment").all()
    others = estimates.filter(pl.col("pilot_id") != "P4")
    assert set(others["pretrend_status"]) == {"not applicable"}


def test_failed_or_impossible_pre_trend_test_is_flagged_and_lowers_the_padlocks(pilot_data):
    baseline = _security(pilot_data).filter(pilot_id="P4").sort("evaluation_year")
    assert set(baseline["pretrend_status"]) == {"passed"}
    assert (baseline["pretrend_adjustment"] == 0).all()

    def diverging(frame):  # treated schools fall behind by 1.5 points a year before 2025/26
        year = pl.col("measured_year").str.slice(0, 4).cast(pl.Int64)
        drift = pl.when((pl.col("arm") == "treatment") & (year < 2025)).then(1.5 * (2024 - year))
        return frame.with_columns(pl.col("value") + drift.otherwise(0.0))

    def one_pre_year(frame):
        return frame.filter(pl.col("measured_year") >= "2024/25")

    for change, status, removed in ((diverging, "failed", 2), (one_pre_year, "not testable", 1)):
        data = _with_p4_outcomes(pilot_data, change)
        rows = analysis.estimates(data).filter(pilot_id="P4", outcome_id="ks4_attainment")
        assert set(rows["pretrend_status"]) == {status}, rows["pretrend_p_value"]
        rated = _security(data).filter(pilot_id="P4").sort("evaluation_year")
        assert set(rated["pretrend_status"]) == {status}
        assert (rated["pretrend_adjustment"] == removed).all()
        expected = np.minimum(
            rated["design_padlocks"].to_numpy() - removed, rated["attrition_padlocks"].to_numpy()
        )
        assert (rated["interim_padlocks"].to_numpy() == expected).all()
        assert (rated["padlocks"] <= baseline["padlocks"]).all()
        assert (rated["padlocks"] < baseline["padlocks"]).any()
        assert rated["pretrend_rule"].str.contains(status).all()


def test_forest_plot_marks_estimates_whose_pre_trend_test_failed(estimates):
    from pipelines.charts.pilots import forest_plot

    flagged = estimates.with_columns(
        pl.when(pl.col("pilot_id") == "P4")
        .then(pl.lit("failed"))
        .otherwise(pl.col("pretrend_status"))
        .alias("pretrend_status")
    )
    figure, spec, data = forest_plot(flagged)
    assert set(data.filter(pilot_id="P4")["pretrend_status"]) == {"failed"}
    labels = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert any(label.startswith("P4") and "pre-trend" in label for label in labels), labels
    assert not any(label.startswith("P5") and "pre-trend" in label for label in labels)
    assert any("pre-trend" in note for note in spec.notes)
    _, clean_spec, _ = forest_plot(estimates)
    assert not any("pre-trend test failed" in note for note in clean_spec.notes)


# --- attrition judged on the WWC boundary, by group ------------------------------------------


def test_differential_attrition_is_judged_and_feeds_the_padlocks(pilot_data):
    baseline = _security(pilot_data).sort("pilot_id", "evaluation_year")
    for column in ("attrition_treatment_percent", "attrition_control_percent", "wwc_attrition"):
        assert baseline[column].null_count() == 0, column
    p4 = baseline.filter(pilot_id="P4")  # matched comparison: attrition by group too
    assert p4["differential_attrition_pp"].null_count() == 0
    # lose 15% of P1's control leaders on the primary outcome in 2025/26: differential attrition
    control = pilot_data.of("participants", "P1").filter(arm="control")["participant_id"]
    lost = control.head(int(0.15 * control.len())).implode()
    outcomes = pilot_data.outcomes.with_columns(
        pl.when(
            (pl.col("pilot_id") == "P1")
            & (pl.col("outcome_id") == "wellbeing")
            & (pl.col("measured_year") == "2025/26")
            & pl.col("unit_id").is_in(lost)
        )
        .then(pl.lit("lost_to_follow_up"))
        .otherwise(pl.col("status"))
        .alias("status"),
        pl.when(pl.col("unit_id").is_in(lost) & (pl.col("measured_year") == "2025/26"))
        .then(None)
        .otherwise(pl.col("value"))
        .alias("value"),
    )
    rated = _security(dataclasses.replace(pilot_data, outcomes=outcomes))
    before = baseline.filter(pilot_id="P1", evaluation_year="2025/26").row(0, named=True)
    after = rated.filter(pilot_id="P1", evaluation_year="2025/26").row(0, named=True)
    assert before["wwc_attrition"] == "low" and after["wwc_attrition"] == "high"
    assert after["differential_attrition_pp"] < -5.7
    assert after["attrition_padlocks"] < before["attrition_padlocks"]


# --- intervals for few clusters ------------------------------------------------------------


def test_cluster_trial_rows_carry_cluster_df_and_a_randomisation_test(estimates):
    from scipy import stats

    cluster = estimates.filter(
        design="cluster_randomised", estimate_status="value", measure="hedges_g", analysis="itt"
    )
    assert cluster.height > 0
    for r in cluster.iter_rows(named=True):
        # schools as clusters of pupils, or as the units of a school-level outcome
        clusters = (r["n_clusters_treatment"] or 0) + (r["n_clusters_control"] or 0)
        if r["outcome_level"] == "school":
            clusters = r["n_treatment"] + r["n_control"]
        assert 1 <= r["df"] <= clusters - 2
        half = r["ci_upper"] - r["estimate"]
        assert half == pytest.approx(stats.t.ppf(0.975, r["df"]) * r["se"], rel=1e-9)
        assert 0 < r["randomisation_p_value"] <= 1
        assert r["randomisation_draws"] > 0
        assert r["randomisation_ci_lower"] <= r["estimate"] <= r["randomisation_ci_upper"]
    # the CACE of a cluster trial uses its headline ITT's degrees of freedom
    cace = estimates.filter(design="cluster_randomised", analysis="cace", estimate_status="value")
    for r in cace.iter_rows(named=True):
        itt = _headline(estimates, r["pilot_id"], r["outcome_id"]).filter(
            evaluation_year=r["evaluation_year"]
        )
        assert r["df"] == itt["df"][0]
        half = r["ci_upper"] - r["estimate"]
        assert half == pytest.approx(stats.t.ppf(0.975, r["df"]) * r["se"], rel=1e-9)
    # participant-randomised rows keep the normal interval (multisite ones: t with school
    # df); withheld rows publish no interval
    individual = estimates.filter(
        design="individual_randomised", measure="hedges_g", analysis="itt"
    )
    assert individual.filter(analysis_design="individual")["df"].is_null().all()
    multisite = individual.filter(analysis_design="multisite", estimate_status="value")
    assert multisite.height > 0 and (multisite["df"] >= 1).all()
    withheld = estimates.filter(estimate_status="c")
    for column in ("randomisation_ci_lower", "randomisation_ci_upper", "randomisation_p_value"):
        assert withheld[column].is_null().all()


# --- MDES at randomisation and at analysis ---------------------------------------------------


@pytest.fixture(scope="module")
def security(pilot_data) -> pl.DataFrame:
    return _security(pilot_data)


def test_every_pilot_year_has_an_mdes_at_randomisation_and_at_analysis(security):
    assert security.height == 15
    for column in ("mdes_at_randomisation", "mdes_at_analysis", "mdes_basis"):
        assert security[column].null_count() == 0, column
    assert ((security["mdes_at_randomisation"] > 0) & (security["mdes_at_analysis"] < 2)).all()
    formulas = {
        "P1": "mdes_individual",
        "P4": "mdes_difference_in_differences",
        "P5": "mdes_cluster",
    }
    for pilot, formula in formulas.items():
        assert security.filter(pilot_id=pilot)["mdes_basis"].str.contains(formula).all()
    # no units lost (P4): the two coincide; units lost: the MDES at analysis is larger
    lost = security["attrition_percent"] > 0
    assert (security.filter(~lost)["mdes_at_analysis"] == security.filter(~lost)[
        "mdes_at_randomisation"
    ]).all()  # fmt: skip
    assert (security.filter(lost)["mdes_at_analysis"] > security.filter(lost)[
        "mdes_at_randomisation"
    ]).all()  # fmt: skip


def test_mdes_design_parameters_recover_the_planted_ones(security):
    # P5: ICC 0.15; the pupil prior (r = 0.6) explains 0.36 of the total variance, all of it
    # within schools: R2 within = 0.36 / 0.85 (pipelines/pilots/synthetic.py, P5)
    p5 = security.filter(pilot_id="P5")
    assert p5["mdes_icc"].to_numpy() == pytest.approx([0.15] * 3, abs=0.04)
    assert p5["mdes_r2"].to_numpy() == pytest.approx([0.36 / 0.85] * 3, abs=0.05)
    # P1: the baseline (r = 0.6) explains 0.36 of the wellbeing variance
    assert security.filter(pilot_id="P1")["mdes_r2"].to_numpy() == pytest.approx(
        [0.36] * 3, abs=0.06
    )


def test_mdes_at_analysis_follows_the_units_lost(pilot_data, security):
    # Lose a further quarter of P1's measured participants in 2025/26: the MDES at analysis
    # grows by about sqrt(1 / 0.75); the one at randomisation barely moves (same units).
    p1 = (pl.col("pilot_id") == "P1") & (pl.col("measured_year") == "2025/26")
    picked = (pl.col("unit_id").hash(7) % 4 == 0) & (pl.col("status") == "measured") & p1
    outcomes = pilot_data.outcomes.with_columns(
        pl.when(picked).then(pl.lit("lost_to_follow_up")).otherwise("status").alias("status"),
        pl.when(picked).then(None).otherwise("value").alias("value"),
    )
    changed = _security(dataclasses.replace(pilot_data, outcomes=outcomes))
    before = security.filter(pilot_id="P1", evaluation_year="2025/26").row(0, named=True)
    after = changed.filter(pilot_id="P1", evaluation_year="2025/26").row(0, named=True)
    kept = after["analysed"] / before["analysed"]
    assert 0.65 < kept < 0.85
    ratio = after["mdes_at_analysis"] / before["mdes_at_analysis"]
    assert ratio == pytest.approx(np.sqrt(1 / kept), rel=0.06)
    assert after["mdes_at_randomisation"] == pytest.approx(
        before["mdes_at_randomisation"], rel=0.06
    )


# --- P1 and P2: leaders randomised individually in schools that hold both arms ---------------


def test_pilots_whose_schools_hold_both_arms_are_analysed_as_multisite(estimates):
    for pilot in ("P1", "P2"):
        rows = estimates.filter(pilot_id=pilot, measure="hedges_g", analysis="itt")
        assert rows.height > 0
        assert set(rows["analysis_design"]) == {"multisite"}
        assert rows["estimator"].str.contains("multisite_effect_sizes").all()
    # binary outcomes: standard errors clustered by school
    binary = estimates.filter(pilot_id="P1", measure="cox_index_g")
    assert binary["variance_used"].str.starts_with("cluster-robust").all()
    p3 = estimates.filter(pilot_id="P3", measure="hedges_g")
    assert set(p3["analysis_design"]) == {"individual"}


def test_multisite_analysis_accounts_for_schools_shared_by_both_arms(pilot_data):
    # A large shock shared by every P1 leader of a school (SD 6 wellbeing points, about the
    # within-school SD): a model of independent leaders absorbs it into its residual SD; the
    # multisite model attributes it to the schools, keeps the within-school SD and the
    # effect, and shows the clustering in its ICC.
    from pipelines.stats.effect_sizes import (
        individual_randomised_effect_sizes,
        multisite_effect_sizes,
    )

    rng = np.random.default_rng(4)
    schools = pilot_data.of("participants", "P1").get_column("school_id").unique().sort()
    shock = pl.DataFrame({"school_id": schools, "shock": rng.normal(0, 6.0, schools.len())})
    pilot = pilot_data.registry.pilot("P1")
    frame = analysis.unit_frame(
        pilot_data, pilot, pilot_data.registry.outcomes["wellbeing"], "2027/28"
    ).filter(pl.col("analysed"))
    shocked = frame.join(shock, on="school_id").with_columns(pl.col("value") + pl.col("shock"))

    def within(data, estimator, *args):
        rows = estimator(data, "value", "t", *args, ["baseline_wellbeing"], fit="profile")
        return rows.filter(model="conditional", variance="within").row(0, named=True)

    before = within(frame, multisite_effect_sizes, "school_id")
    after = within(shocked, multisite_effect_sizes, "school_id")
    assert after["icc"] > 0.3
    assert after["sd_used"] == pytest.approx(before["sd_used"], rel=0.1)
    assert after["beta"] == pytest.approx(before["beta"], abs=0.5 * before["sd_used"] / 4)

    def independent(data):
        return individual_randomised_effect_sizes(data, "value", "t", ["baseline_wellbeing"]).row(
            0, named=True
        )

    assert independent(shocked)["sd_used"] > 1.3 * independent(frame)["sd_used"]


# --- the effect in the outcome's own units beside every g -------------------------------------


def test_every_g_has_its_raw_unit_effect_and_interval_beside_it(estimates):
    g_rows = estimates.filter(
        pl.col("measure").is_in(["hedges_g", "cox_index_g", "did_g", "cace_g"]),
        estimate_status="value",
    )
    assert g_rows.height > 50
    for column in ("raw_estimate", "raw_ci_lower", "raw_ci_upper", "raw_unit"):
        assert g_rows[column].null_count() == 0, column
    assert (g_rows["raw_ci_lower"] <= g_rows["raw_estimate"]).all()
    assert (g_rows["raw_estimate"] <= g_rows["raw_ci_upper"]).all()
    assert (np.sign(g_rows["raw_estimate"]) == np.sign(g_rows["estimate"])).all()
    # conditional within g of a cluster or multisite model is beta over the within SD
    within = g_rows.filter(model="conditional", variance="within")
    assert within.height > 0
    assert within["raw_estimate"].to_numpy() == pytest.approx(
        (within["estimate"] * within["sd_used"]).to_numpy()
    )
    # the difference-in-differences g sits beside the effect in points
    did = estimates.filter(pilot_id="P4", subgroup="all", estimate_status="value")
    for _, rows in did.group_by("outcome_id", "evaluation_year"):
        points = rows.filter(measure="did_points").row(0, named=True)
        g = rows.filter(measure="did_g").row(0, named=True)
        assert (g["raw_estimate"], g["raw_ci_lower"]) == (points["estimate"], points["ci_lower"])
    # a binary outcome's Cox index sits beside its risk difference
    cox = g_rows.filter(measure="cox_index_g").row(0, named=True)
    rd = estimates.filter(
        measure="risk_difference",
        **{k: cox[k] for k in ("pilot_id", "outcome_id", "evaluation_year", "subgroup")},
    ).row(0, named=True)
    assert cox["raw_estimate"] == rd["estimate"] and "risk difference" in cox["raw_unit"]
    # withheld estimates withhold the raw effect too
    withheld = estimates.filter(estimate_status="c")
    assert withheld["raw_estimate"].is_null().all() and withheld["raw_ci_upper"].is_null().all()


# --- subgroups: the restricted estimate and the interaction test beside it --------------------


def test_subgroup_estimates_carry_the_interaction_test(pilot_data, estimates):
    subgroups = estimates.filter(
        pl.col("subgroup") != "all", pl.col("pilot_id") != "P4", headline=True,
        estimate_status="value",
    )  # fmt: skip
    assert subgroups.height > 20
    assert subgroups["interaction_p_value"].null_count() == 0
    assert subgroups["interaction_p_value"].is_between(0, 1).all()
    assert estimates.filter(subgroup="all")["interaction_estimate"].is_null().all()
    # women treated in P1 gain 6 more wellbeing points in 2027/28: the interaction finds it
    women = pilot_data.participants.filter(pilot_id="P1", sex="female", arm="treatment")
    ids = women.get_column("participant_id").unique().implode()
    planted = (pl.col("pilot_id") == "P1") & (pl.col("outcome_id") == "wellbeing")
    planted &= (pl.col("measured_year") == "2027/28") & pl.col("unit_id").is_in(ids)
    data_with = dataclasses.replace(
        pilot_data,
        outcomes=pilot_data.outcomes.with_columns(
            pl.when(planted).then(pl.col("value") + 6).otherwise("value").alias("value")
        ),
    )
    before = estimates.filter(
        pilot_id="P1", outcome_id="wellbeing", evaluation_year="2027/28", subgroup="women",
        headline=True,
    ).row(0, named=True)  # fmt: skip
    after = (
        analysis.estimates(data_with)
        .filter(
            pilot_id="P1",
            outcome_id="wellbeing",
            evaluation_year="2027/28",
            subgroup="women",
            headline=True,
        )
        .row(0, named=True)
    )
    assert after["interaction_estimate"] == pytest.approx(
        before["interaction_estimate"] + 6, abs=1.0
    )
    assert after["interaction_p_value"] < 0.001


# --- missing outcomes: multiple-imputation sensitivity beside the complete-case ITT -----------


def test_multiple_imputation_sensitivity_sits_beside_the_complete_case_itt(estimates):
    mi = estimates.filter(analysis="mi_sensitivity")
    # continuous primary outcomes with missing values: P1 wellbeing, P5 KS2, every year
    assert sorted(set(zip(mi["pilot_id"], mi["outcome_id"], strict=True))) == [
        ("P1", "wellbeing"),
        ("P5", "ks2_attainment"),
    ]
    assert mi.height == 6
    for r in mi.iter_rows(named=True):
        itt = (
            _headline(estimates, r["pilot_id"], r["outcome_id"])
            .filter(evaluation_year=r["evaluation_year"])
            .row(0, named=True)
        )
        # same g scale as the headline, a close estimate under MAR with these planted files
        assert r["sd_used"] == itt["sd_used"] and (r["model"], r["variance"]) == (
            itt["model"],
            itt["variance"],
        )
        assert abs(r["estimate"] - itt["estimate"]) < 0.05
        assert r["ci_lower"] < r["estimate"] < r["ci_upper"]
        assert r["df"] <= itt["df"]  # Barnard-Rubin: never more than the complete-data df
        assert r["n_treatment"] is None and "Rubin" in r["estimator"]
