"""Synthetic evaluator files: contract, determinism, labelling and recovery of planted effects.

The truth file is read here and nowhere else in the project.
"""

import hashlib
import json

import polars as pl
import pytest

from pipelines.errors import InputError
from pipelines.paths import PROJECT_ROOT
from pipelines.pilots.contract import FILES, OUTCOMES, validate_file, validate_frame
from pipelines.pilots.pseudonymise import SYNTHETIC_KEY, pseudonymisation_key, pseudonymise
from pipelines.pilots.synthetic import generate
from pipelines.stats.attrition import attrition_by_arm
from pipelines.stats.balance import baseline_balance
from pipelines.stats.compliance import cace_2sls
from pipelines.stats.effect_sizes import (
    cluster_randomised_effect_sizes,
    individual_randomised_effect_sizes,
)
from pipelines.stats.quasi import difference_in_differences, propensity_match

YEARS = ("2025-26", "2026-27", "2027-28")


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    root = tmp_path_factory.mktemp("pilots")
    truth = generate(root / "files", root / "truth.json")
    return root / "files", truth


def _read(files, pilot, kind):
    return pl.concat([validate_file(files / pilot / year / f"{kind}.csv") for year in YEARS])


def _digest(folder):
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*.csv"))
    }


def test_every_file_exists_passes_the_contract_and_is_labelled_synthetic(synthetic):
    files, truth = synthetic
    assert truth["synthetic"] is True
    for pilot in ("P1", "P2", "P3", "P4", "P5"):
        for year in YEARS:
            for kind in FILES:
                frame = validate_file(files / pilot / year / f"{kind}.csv")
                assert frame["provenance"].eq("synthetic").all()
    manifest = json.loads((files / "manifest.json").read_text())
    assert manifest["provenance"] == "synthetic" and "SYNTHETIC" in manifest["warning"]
    assert len(manifest["files"]) == 5 * 3 * len(FILES)


def test_same_seed_same_bytes_other_seed_other_bytes(synthetic, tmp_path):
    files, _ = synthetic
    generate(tmp_path / "again", tmp_path / "truth.json")
    assert _digest(tmp_path / "again") == _digest(files)
    generate(tmp_path / "other", tmp_path / "truth2.json", seed=7)
    assert _digest(tmp_path / "other") != _digest(files)


def test_truth_file_must_live_outside_the_evaluator_files(tmp_path):
    with pytest.raises(ValueError, match="outside"):
        generate(tmp_path / "files", tmp_path / "files" / "truth.json")


def test_ids_are_keyed_hashes():
    assert pseudonymise(1, SYNTHETIC_KEY, "participant") != pseudonymise(
        1, b"k" * 32, "participant"
    )
    assert pseudonymise(1, SYNTHETIC_KEY, "participant") != pseudonymise(1, SYNTHETIC_KEY, "school")
    assert len(pseudonymise("x", SYNTHETIC_KEY, "pupil")) == 16


def test_real_key_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("NPQ_PSEUDONYMISATION_KEY", raising=False)
    with pytest.raises(RuntimeError, match="NPQ_PSEUDONYMISATION_KEY"):
        pseudonymisation_key()
    monkeypatch.setenv("NPQ_PSEUDONYMISATION_KEY", SYNTHETIC_KEY.decode())
    with pytest.raises(RuntimeError, match="public"):
        pseudonymisation_key()
    monkeypatch.setenv("NPQ_PSEUDONYMISATION_KEY", "s" * 40)
    assert pseudonymisation_key() == b"s" * 40


def test_contract_refuses_bad_files_naming_row_and_column(synthetic, tmp_path):
    files, _ = synthetic
    good = pl.read_csv(files / "P1" / "2025-26" / "outcomes.csv", infer_schema=False)
    bad = good.with_columns(
        pl.when(pl.int_range(pl.len()) == 4)
        .then(pl.lit("gone"))
        .otherwise("status")
        .alias("status")
    )
    with pytest.raises(InputError, match=r"row 6, column 'status': 'gone' is not one of"):
        validate_frame(bad, OUTCOMES, "outcomes.csv")
    unmeasured = good.with_columns(pl.lit("withdrawn").alias("status"))
    with pytest.raises(InputError, match=r"row 2, column 'value'"):
        validate_frame(unmeasured, OUTCOMES, "outcomes.csv")
    with pytest.raises(InputError, match=r"duplicate key"):
        validate_frame(pl.concat([good, good.head(1)]), OUTCOMES, "outcomes.csv")
    with pytest.raises(InputError, match=r"missing column\(s\) \['status'\]"):
        validate_frame(good.drop("status"), OUTCOMES, "outcomes.csv")
    path = tmp_path / "participants.csv"
    participants = pl.read_csv(files / "P1" / "2025-26" / "participants.csv", infer_schema=False)
    participants.with_columns(pl.lit("99").alias("years_in_role")).write_csv(path)
    with pytest.raises(InputError, match=rf"{path}, row 2, column 'years_in_role'.*outside"):
        validate_file(path)


def test_contract_document_lists_every_column():
    doc = (PROJECT_ROOT / "data" / "raw" / "pilots" / "CONTRACT.md").read_text()
    for contract in FILES.values():
        assert f"### `{contract.name}.csv`" in doc
        section = doc.split(f"### `{contract.name}.csv`")[1].split("###")[0]
        for column in contract.columns:
            assert f"| `{column.name}` | {column.dtype} |" in section, column.name


def _participant_outcome(files, pilot, outcome, year):
    people = _read(files, pilot, "participants")
    measures = _read(files, pilot, "outcomes").filter(
        pl.col("outcome_id") == outcome, pl.col("measured_year") == year
    )
    return measures.join(
        people.select("participant_id", "arm", "cohort", "baseline_wellbeing", "role"),
        left_on="unit_id",
        right_on="participant_id",
    ).with_columns((pl.col("arm") == "treatment").cast(pl.Int8).alias("t"))


def test_individual_pilot_recovers_the_planted_effect(synthetic):
    files, truth = synthetic
    planted = truth["pilots"]["P1"]["outcomes"]["wellbeing"]
    data = _participant_outcome(files, "P1", "wellbeing", "2027/28")
    result = individual_randomised_effect_sizes(data, "value", "t", ["baseline_wellbeing"])
    conditional = result.filter(model="conditional").row(0, named=True)
    assert conditional["ci_lower"] < planted["itt_g_conditional"] < conditional["ci_upper"]
    assert conditional["ci_lower"] > 0  # 640 leaders, planted ITT g about 0.29: detectable


def test_attrition_differs_by_arm_as_planted(synthetic):
    files, truth = synthetic
    rates = []
    for pilot in ("P1", "P2", "P3"):
        data = _participant_outcome(files, pilot, "self_efficacy", "2027/28").filter(
            pl.col("cohort") == 1
        )
        table = attrition_by_arm(
            data.with_columns((pl.col("status") == "measured").alias("analysed")), "t", "analysed"
        )
        rates.append(table.filter(arm="overall")["differential_attrition_pp"][0])
        planted = truth["pilots"][pilot]["loss_per_year"]
        assert planted["control"] > planted["treatment"]
    assert all(r < 0 for r in rates), rates  # the control arm loses more, in every pilot


def test_cluster_pilot_recovers_icc_and_effect(synthetic):
    files, truth = synthetic
    planted = truth["pilots"]["P5"]
    schools = _read(files, "P5", "schools").filter(evaluation_year="2025/26")
    outcomes = _read(files, "P5", "outcomes")
    prior = outcomes.filter(outcome_id="ks1_prior_attainment").select("unit_id", prior="value")
    ks2 = (
        outcomes.filter(outcome_id="ks2_attainment", measured_year="2027/28")
        .join(prior, on="unit_id")
        .join(schools.select("school_id", "arm"), on="school_id")
        .with_columns((pl.col("arm") == "treatment").cast(pl.Int8).alias("t"))
    )
    result = cluster_randomised_effect_sizes(ks2, "value", "t", "school_id", ["prior"])
    headline = result.filter(model="unconditional", variance="total").row(0, named=True)
    truth_g = planted["outcomes"]["ks2_attainment"]["itt_g_total"]
    assert headline["ci_lower"] < truth_g < headline["ci_upper"]
    assert headline["icc"] == pytest.approx(planted["icc_unconditional"], abs=0.08)
    assert result.filter(model="conditional")["icc"][0] > headline["icc"]
    assert headline["n_clusters_treatment"] + headline["n_clusters_control"] <= 120


def test_compliance_is_partial_and_cace_exceeds_itt(synthetic):
    files, _ = synthetic
    data = _participant_outcome(files, "P1", "wellbeing", "2025/26")
    dosage = _read(files, "P1", "dosage").filter(evaluation_year="2025/26")
    data = data.join(
        dosage.select("unit_id", "received_intervention"), on="unit_id", how="left"
    ).with_columns(pl.col("received_intervention").fill_null(False).cast(pl.Int8).alias("d"))
    take_up = data.filter(pl.col("t") == 1)["d"].mean()
    assert 0.6 < take_up < 0.95
    cace = cace_2sls(data, "value", "t", "d", ["baseline_wellbeing"], sd=8.0).row(0, named=True)
    itt = individual_randomised_effect_sizes(data, "value", "t", ["baseline_wellbeing"])["beta"][0]
    assert cace["estimate"] == pytest.approx(itt / (take_up - cace["compliance_control"]), rel=0.1)


def test_did_pilot_has_baseline_imbalance_and_recovers_the_effect(synthetic):
    files, truth = synthetic
    planted = truth["pilots"]["P4"]["outcomes"]["ks4_attainment"]["did_effect_points"]
    schools = _read(files, "P4", "schools").filter(evaluation_year="2025/26")
    ks4 = _read(files, "P4", "outcomes").filter(outcome_id="ks4_attainment")
    baseline = ks4.filter(measured_year="2024/25").select("school_id", baseline="value")
    units = schools.join(baseline, on="school_id").with_columns(
        (pl.col("arm") == "treatment").cast(pl.Int8).alias("treated")
    )
    before = baseline_balance(units, "treated", ["fsm_percent", "baseline"])
    assert before["smd"].abs().max() > 0.25  # self-selection: fails WWC before matching
    matched = propensity_match(units, "treated", ["fsm_percent", "baseline"])
    after = baseline_balance(
        matched, "treated", ["fsm_percent", "baseline"], weights="match_weight"
    )
    assert after["smd"].abs().max() < 0.1
    panel = ks4.with_columns(pl.col("measured_year").str.slice(0, 4).cast(pl.Int64).alias("year"))
    panel = panel.join(
        matched.filter(pl.col("match_weight") > 0).select("school_id", "treated", "match_weight"),
        on="school_id",
    )
    result = difference_in_differences(
        panel, "value", "school_id", "year", "treated", 2025, weights="match_weight"
    ).row(0, named=True)
    assert result["ci_lower"] < planted < result["ci_upper"]
    assert result["pretrend_p_value"] > 0.05
