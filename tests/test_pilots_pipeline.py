"""The pilots in the pipeline: planted effects recovered, flow consistent and disclosure-safe,
synthetic labelling, contract errors, and the sensor that refreshes only the pilot assets.

The truth file is read here (from the run's working area) and nowhere in the pipeline.
"""

import json
import shutil

import dagster as dg
import duckdb
import numpy as np
import polars as pl
import pytest

from pipelines.defs.operations.pilots import PILOT_ASSET_KEYS, PUBLISH, pilot_files_sensor
from pipelines.defs.resources import project_resources
from pipelines.disclosure import DEFAULT_THRESHOLD, audit
from pipelines.errors import InputError
from pipelines.paths import EXPECTATIONS_DIR
from pipelines.pilots.contract import FILES
from pipelines.pilots.inputs import TRUTH_FILE, load_pilot_files
from pipelines.pilots.pseudonymise import SYNTHETIC_KEY, pseudonymise
from pipelines.pilots.registry import load_registry
from pipelines.pilots.suites import suite
from pipelines.stats.effect_sizes import cluster_randomised_effect_sizes
from pipelines.warehouse import read_sql

PILOT_MARTS = (
    "pilot_registry",
    "pilot_flow",
    "pilot_balance",
    "pilot_estimates",
    "pilot_security",
    "pilot_costs",
)


def _frame(db, sql: str) -> pl.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.sql(sql).pl()


@pytest.fixture(scope="module")
def truth(published) -> dict:
    return json.loads((published.work / TRUTH_FILE).read_text())["pilots"]


def _estimate(db, pilot, outcome, year, measure, model="not applicable", variance=None):
    rows = _frame(db, "SELECT * FROM pilot_estimates").filter(
        pilot_id=pilot, outcome_id=outcome, evaluation_year=year, subgroup="all",
        analysis="itt", measure=measure, model=model, variance=variance or "not applicable",
    )  # fmt: skip
    assert rows.height == 1, (pilot, outcome, year, measure, rows)
    return rows.row(0, named=True)


def test_marts_recover_the_planted_effects(published, truth):
    db = published.published_db
    for year in ("2025/26", "2026/27", "2027/28"):
        p1 = _estimate(db, "P1", "wellbeing", year, "hedges_g", "conditional", "total")
        planted = truth["P1"]["outcomes"]["wellbeing"]["itt_g_conditional"]
        assert p1["ci_lower"] < planted < p1["ci_upper"], (year, p1)
        p5 = _estimate(db, "P5", "ks2_attainment", year, "hedges_g", "unconditional", "total")
        planted = truth["P5"]["outcomes"]["ks2_attainment"]["itt_g_total"]
        assert p5["ci_lower"] < planted < p5["ci_upper"], (year, p5)
        assert p5["headline"] and p5["icc"] == pytest.approx(
            truth["P5"]["icc_unconditional"], abs=0.08
        )
        assert p5["months_progress"] is not None  # pupil attainment: months' progress given
        p4 = _estimate(
            db, "P4", "ks4_attainment", year, "did_points", "two-way fixed effects, matched"
        )
        planted = truth["P4"]["outcomes"]["ks4_attainment"]["did_effect_points"]
        assert p4["ci_lower"] < planted < p4["ci_upper"], (year, p4)
        assert p4["pretrend_p_value"] > 0.05
    # 640 leaders by 2027/28, planted ITT g about 0.29: the interval excludes zero
    assert (
        _estimate(db, "P1", "wellbeing", "2027/28", "hedges_g", "conditional", "total")["ci_lower"]
        > 0
    )
    estimates = _frame(db, "SELECT * FROM pilot_estimates")
    # months' progress for pupil attainment only
    with_months = estimates.filter(pl.col("months_progress").is_not_null())
    assert set(with_months["outcome_id"]) <= {"ks2_attainment", "ks4_attainment"}
    assert with_months.height > 0
    # CACE exceeds ITT where compliance is partial
    cace = estimates.filter(analysis="cace", pilot_id="P1", evaluation_year="2027/28")
    itt = _estimate(db, "P1", "wellbeing", "2027/28", "hedges_g", "conditional", "total")
    assert cace["estimate"][0] > itt["estimate"]


def test_matched_pilot_balance_improves_after_matching(published):
    balance = _frame(published.published_db, "SELECT * FROM pilot_balance WHERE pilot_id = 'P4'")
    # the matching covariate; others, such as school size, may stay apart
    matched = balance.filter(covariate="fsm_percent")
    before = matched.filter(sample="before matching")["smd"].abs().max()
    after = matched.filter(sample="after matching")["smd"].abs().max()
    assert before > 0.25 > 0.1 > after
    # the reference-year outcome is reported, not matched on (regression to the mean): the
    # unit fixed effects absorb the level gap, which matching on fsm_percent narrows
    outcome = balance.filter(covariate="baseline_ks4_attainment").sort("sample")
    assert outcome["sample"].to_list() == ["after matching", "before matching"]
    assert abs(outcome["smd"][0]) < abs(outcome["smd"][1])


def _flow(published) -> pl.DataFrame:
    return _frame(published.published_db, "SELECT * FROM pilot_flow")


def test_flow_counts_add_up_and_match_the_staged_records(published):
    flow = _flow(published)
    with duckdb.connect(str(published.work / "working.duckdb"), read_only=True) as con:
        counts = con.sql(
            "SELECT pilot_id, evaluation_year, count(*) AS n, "
            "count(*) FILTER (WHERE status = 'measured') AS measured "
            "FROM staging.pilot_outcomes o JOIN marts.pilot_registry r USING (pilot_id) "
            "WHERE o.outcome_id = r.primary_outcomes[1] AND measured_year = evaluation_year "
            "GROUP BY ALL"
        ).pl()
    totals = flow.filter(arm="Total").filter(pl.col("unit_level") != "school")
    compared = 0
    for row in counts.iter_rows(named=True):
        cells = totals.filter(pilot_id=row["pilot_id"], evaluation_year=row["evaluation_year"])
        if cells.is_empty():  # P4: the primary outcome is school-level
            cells = flow.filter(
                arm="Total", pilot_id=row["pilot_id"], evaluation_year=row["evaluation_year"]
            )
        published_counts = dict(zip(cells["stage"], cells["units"], strict=True))
        for stage, expected in (("allocated", row["n"]), ("analysed", row["measured"])):
            if published_counts[stage] is not None:  # withheld cells are checked elsewhere
                assert published_counts[stage] == expected, (row, stage)
                compared += 1
    assert compared >= 15
    for _, table in flow.group_by("pilot_id", "evaluation_year", "unit_level"):
        full = table.filter(pl.col("units").is_not_null())
        for arm, cells in full.group_by("arm"):
            got = dict(zip(cells["stage"], cells["units"], strict=True))
            if len(got) == 3:
                assert got["analysed"] + got["lost"] == got["allocated"], arm
    # cohorts join in later years: allocated participants grow for the two-cohort pilots
    p1 = flow.filter(pilot_id="P1", arm="Total", stage="allocated").sort("evaluation_year")
    assert p1["units"][1] > p1["units"][0]


def test_no_published_flow_cell_is_small_or_recoverable(published):
    flow = _flow(published)
    assert flow["units"].drop_nulls().min() >= DEFAULT_THRESHOLD
    withheld = flow.filter(pl.col("units_status") == "c")
    assert withheld.height > 0, "the synthetic flow has small cells: some must be withheld"
    assert withheld["units"].is_null().all()
    assert withheld["percent_of_allocated"].is_null().all()
    # which withheld cells are the small ones is not published
    assert "suppression" not in flow.columns
    # recompute the unprotected counts and audit every table: no withheld cell is pinned down
    with duckdb.connect(str(published.work / "working.duckdb"), read_only=True) as con:
        raw = con.sql(read_sql("marts", "pilot_flow")).pl()
    raw = raw.with_columns(pl.col("stage").replace({"Total": "allocated"}))
    keys = ["pilot_id", "evaluation_year", "unit_level", "arm", "stage"]
    joined = raw.join(flow.select(*keys, "units_status"), on=keys)
    assert joined.height == flow.height
    for _, table in joined.group_by("pilot_id", "evaluation_year", "unit_level"):
        stages = table["stage"].replace({"allocated": "Total"}).to_list()
        hidden = (table["units_status"] == "c").to_numpy()
        for _, low, high in audit(
            table["arm"].to_list(), stages, table["units"].to_numpy().astype(float), hidden
        ):  # nothing that could be a small count is known to within the threshold
            assert high - low >= DEFAULT_THRESHOLD or low >= DEFAULT_THRESHOLD


def test_every_pilot_row_and_chart_is_labelled_synthetic(published):
    for mart in PILOT_MARTS:
        provenance = _frame(published.published_db, f"SELECT DISTINCT provenance FROM {mart}")
        assert provenance["provenance"].to_list() == ["synthetic"], mart
    charts = published.marts / "charts"
    for name in ("pilot_forest_plot", "pilot_participant_flow", "pilot_balance"):
        spec = json.loads((charts / f"{name}.json").read_text())
        assert spec["synthetic"] is True
        assert "SYNTHETIC" in (charts / f"{name}.svg").read_text()
        alt = (charts / f"{name}.alt.txt").read_text()
        assert len(alt) > 80 and any(ch.isdigit() for ch in alt)
        assert pl.read_csv(charts / f"{name}.csv").height > 0


def test_staged_ids_are_keyed_hashes_of_the_delivered_ids(published):
    delivered = pl.read_csv(
        published.work / "pilots" / "synthetic" / "P1" / "2025-26" / "participants.csv"
    )
    first = delivered["participant_id"][0]
    staged = _frame(
        published.work / "working.duckdb", "SELECT participant_id FROM staging.pilot_participants"
    )["participant_id"]
    assert first not in staged.to_list()
    assert pseudonymise(first, SYNTHETIC_KEY, "participant") in staged.to_list()


def test_staging_suites_are_generated_from_the_contract():
    for contract in FILES.values():
        committed = json.loads(
            (EXPECTATIONS_DIR / f"staging.pilot_{contract.name}.json").read_text()
        )
        assert committed == json.loads(json.dumps(suite(contract)))


def _deliver(raw, work, pilot="P2", year="2025-26", edit=None):
    """Copy a synthetic year folder into the raw area as an evaluator delivery."""
    load_pilot_files(raw, work, load_registry(raw / "pilots" / "registry" / "pilots.yaml"))
    target = raw / "pilots" / pilot / year
    shutil.copytree(work / "pilots" / "synthetic" / pilot / year, target)
    for path in target.glob("*.csv"):
        frame = pl.read_csv(path, infer_schema=False).with_columns(
            pl.lit("evaluator").alias("provenance")
        )
        if edit and path.stem == edit[0]:
            frame = edit[1](frame)
        frame.write_csv(path)
    return target


def test_a_file_breaking_the_contract_is_refused_naming_file_row_and_column(workspace, monkeypatch):
    monkeypatch.setenv("NPQ_PSEUDONYMISATION_KEY", "k" * 40)
    bad_arm = (
        "participants",
        lambda f: f.with_columns(
            pl.when(pl.int_range(pl.len()) == 3)
            .then(pl.lit("placebo"))
            .otherwise("arm")
            .alias("arm")
        ),
    )
    target = _deliver(workspace.raw, workspace.work, edit=bad_arm)
    registry = load_registry(workspace.raw / "pilots" / "registry" / "pilots.yaml")
    with pytest.raises(InputError) as error:
        load_pilot_files(workspace.raw, workspace.work, registry)
    message = str(error.value)
    assert str(target / "participants.csv") in message
    assert "row 5" in message and "column 'arm'" in message and "'placebo'" in message


def test_delivered_files_need_the_key_and_take_precedence(workspace, monkeypatch):
    _deliver(workspace.raw, workspace.work)
    registry = load_registry(workspace.raw / "pilots" / "registry" / "pilots.yaml")
    monkeypatch.delenv("NPQ_PSEUDONYMISATION_KEY", raising=False)
    with pytest.raises(RuntimeError, match="NPQ_PSEUDONYMISATION_KEY"):
        load_pilot_files(workspace.raw, workspace.work, registry)
    monkeypatch.setenv("NPQ_PSEUDONYMISATION_KEY", "k" * 40)
    frames, folders = load_pilot_files(workspace.raw, workspace.work, registry)
    p2 = frames["participants"].filter(pilot_id="P2")
    assert set(p2["provenance"]) == {"evaluator"}
    assert set(p2["evaluation_year"]) == {"2025/26"}  # synthetic P2 years dropped out
    assert {f.provenance for f in folders if f.pilot_id == "P1"} == {"synthetic"}


def test_sensor_asks_for_the_pilot_assets_and_publish_only(workspace, monkeypatch):
    monkeypatch.setenv("NPQ_RAW_DIR", str(workspace.raw))
    context = dg.build_sensor_context()
    assert isinstance(pilot_files_sensor(context), dg.SkipReason)  # first look: recorded
    assert isinstance(
        pilot_files_sensor(dg.build_sensor_context(cursor=context.cursor)), dg.SkipReason
    )
    year = workspace.raw / "pilots" / "P1" / "2025-26"
    year.mkdir(parents=True)
    (year / "costs.csv").write_text("pilot_id\n")
    request = pilot_files_sensor(dg.build_sensor_context(cursor=context.cursor))
    assert isinstance(request, dg.RunRequest), request
    assert set(request.asset_selection) == {*PILOT_ASSET_KEYS, PUBLISH}
    assert "P1/2025-26/costs.csv" in request.tags["changed"]
    # the keys are exactly the assets tagged as pilot assets, and the job selects them
    from pipelines.definitions import defs

    d = defs()
    graph = d.resolve_asset_graph()
    tagged = {
        key for key in graph.get_all_asset_keys()
        if graph.get(key).tags.get("question") == "pilots"
    }  # fmt: skip
    assert tagged == set(PILOT_ASSET_KEYS)
    job = d.resolve_job_def("refresh_pilots")
    assert set(job.asset_layer.executable_asset_keys) == {*PILOT_ASSET_KEYS, PUBLISH}


def test_new_year_folder_refreshes_only_the_pilot_assets(published, tmp_path, monkeypatch):
    """Run the pilots job on a copy of the published workspace with P2's first year delivered."""
    from pipelines.definitions import defs
    from tests.conftest import Workspace

    shutil.copytree(published.root, tmp_path / "copy", symlinks=True)
    copy = Workspace(tmp_path / "copy")
    monkeypatch.setenv("NPQ_PSEUDONYMISATION_KEY", "k" * 40)
    _deliver(copy.raw, copy.work)
    before = _frame(copy.published_db, "SELECT * FROM npq_takeup_by_year ORDER BY ALL")
    result = (
        defs()
        .resolve_job_def("refresh_pilots")
        .execute_in_process(
            resources=project_resources(copy.raw, copy.work, copy.marts), raise_on_error=False
        )
    )
    assert result.success
    materialised = {e.asset_key for e in result.get_asset_materialization_events()}
    assert materialised == {*PILOT_ASSET_KEYS, PUBLISH}
    registry = _frame(copy.published_db, "SELECT pilot_id, provenance FROM pilot_registry")
    assert dict(registry.iter_rows())["P2"] == "evaluator"
    assert dict(registry.iter_rows())["P1"] == "synthetic"
    years = _frame(copy.published_db, "SELECT DISTINCT evaluation_year FROM pilot_estimates "
                   "WHERE pilot_id = 'P2'")["evaluation_year"].to_list()  # fmt: skip
    assert years == ["2025/26"]
    assert _frame(copy.published_db, "SELECT * FROM npq_takeup_by_year ORDER BY ALL").equals(before)


def test_profiled_reml_equals_mixedlm():
    rng = np.random.default_rng(3)
    for sigma_b in (0.6, 0.0):
        sizes = rng.integers(5, 40, 30)
        school = np.repeat(np.arange(30), sizes)
        t = (school % 2).astype(float)
        x = rng.normal(size=len(school))
        y = 0.3 * t + 0.5 * x + sigma_b * rng.normal(size=30)[school] + rng.normal(size=len(school))
        frame = pl.DataFrame({"y": y, "t": t, "x": x, "school": school})
        reference = cluster_randomised_effect_sizes(frame, "y", "t", "school", ["x"])
        fast = cluster_randomised_effect_sizes(frame, "y", "t", "school", ["x"], fit="profile")
        for column in ("g", "ci_lower", "ci_upper", "icc", "beta"):
            assert fast[column].to_numpy() == pytest.approx(
                reference[column].to_numpy(), abs=2e-3
            ), (sigma_b, column)
