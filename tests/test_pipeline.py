"""The whole pipeline on the embedded default: reconciliation, chart pack, idempotence, gates."""

import csv
import hashlib
import json

import dagster as dg
import duckdb
import pytest

from pipelines.definitions import defs
from pipelines.defs.marts.pilots import PILOT_MARTS
from pipelines.defs.marts.representation import REPRESENTATION_MARTS
from pipelines.defs.marts.sources_real import REAL_SOURCE_MARTS
from pipelines.defs.marts.takeup import TAKEUP_MARTS

# Published EES figures (NPQ participants 2024-25, data set 79418e7a, national Overall rows).
PUBLISHED_STARTS = {"2021/22": 31_677, "2022/23": 38_906, "2023/24": 43_840, "2024/25": 29_818}
PUBLISHED_UNIQUE = {"2021/22": 31_510, "2022/23": 38_695, "2023/24": 43_535, "2024/25": 29_526}


def _query(db, sql, params=None):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.sql(sql, params=params).fetchall()


def test_mart_reproduces_published_starts_exactly(published):
    rows = _query(
        published.published_db,
        "SELECT academic_year, npq_starts, npq_unique_participants, npq_starts_status "
        "FROM npq_takeup_by_year WHERE funding = 'Overall' ORDER BY year_start",
    )
    assert {r[0]: r[1] for r in rows} == PUBLISHED_STARTS
    assert {r[0]: r[2] for r in rows} == PUBLISHED_UNIQUE
    assert {r[3] for r in rows} == {"value"}


def test_cumulative_starts_against_target(published):
    rows = dict(
        (r[0], r[1:])
        for r in _query(
            published.published_db,
            "SELECT academic_year, cumulative_npq_starts_in_window, percent_of_target, "
            "gap_to_target, in_target_window FROM npq_takeup_by_year WHERE funding = 'Overall'",
        )
    )
    assert rows["2021/22"][0] == 31_677
    assert rows["2022/23"][0] == 31_677 + 38_906
    assert rows["2023/24"][0] == 114_423
    assert rows["2023/24"][1] == pytest.approx(100 * 114_423 / 150_000)
    assert rows["2023/24"][2] == 150_000 - 114_423
    # 2024/25 lies outside the target window: no cumulative figure is carried into it.
    assert rows["2024/25"][3] is False
    assert rows["2024/25"][0] is None


def test_funded_series_is_not_filled_in(published):
    rows = _query(
        published.published_db,
        "SELECT academic_year, npq_starts, cumulative_npq_starts_in_window "
        "FROM npq_takeup_by_year WHERE funding = 'Funded'",
    )
    # Only 2021/22 funded starts are in the embedded extract; absent years are absent, not 0.
    assert rows == [("2021/22", 29_892, 29_892)]


def test_every_mart_row_has_provenance(published):
    rows = _query(
        published.published_db,
        "SELECT count(*) FILTER (WHERE provenance IS NULL OR source_data_set IS NULL), "
        "count(*) FROM npq_takeup_by_year",
    )
    nulls, total = rows[0]
    assert total > 0
    assert nulls == 0


def test_publication_has_exports_and_chart_pack(published):
    marts = published.marts
    assert (marts / "exports" / "npq_takeup_by_year.parquet").stat().st_size > 0
    with open(marts / "exports" / "npq_takeup_by_year.csv", newline="") as f:
        exported = list(csv.DictReader(f))
    assert (
        len(exported)
        == _query(published.published_db, "SELECT count(*) FROM npq_takeup_by_year")[0][0]
    )

    charts = marts / "charts"
    for suffix in ("png", "svg", "csv", "alt.txt", "json"):
        assert (charts / f"npq_cumulative_starts.{suffix}").stat().st_size > 0, suffix
    assert (charts / "npq_cumulative_starts.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    spec = json.loads((charts / "npq_cumulative_starts.json").read_text())
    assert spec["title"].startswith("NPQ courses started reached 76% of the 150,000 target")
    assert "79418e7a" in spec["source"]
    assert spec["synthetic"] is False
    alt = (charts / "npq_cumulative_starts.alt.txt").read_text()
    assert "114,423" in alt and "76.3%" in alt
    svg = (charts / "npq_cumulative_starts.svg").read_text()
    assert "Source: DfE" in svg  # the source line is on the chart face


def test_publication_lists_its_tables(published):
    rows = dict(_query(published.published_db, "SELECT table_name, row_count FROM _publication"))
    assert set(rows) == {
        *TAKEUP_MARTS,
        "release_changes",
        *REPRESENTATION_MARTS,
        *PILOT_MARTS,
        *REAL_SOURCE_MARTS,
    }
    for table, count in rows.items():
        assert _query(published.published_db, f"SELECT count(*) FROM {table}") == [(count,)]
    assert rows["npq_takeup_by_year"] == 5


def _digest(folder):
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_running_twice_gives_the_same_publication(finished):
    workspace = finished  # a good publication is already in place
    first_rows = _query(workspace.published_db, "SELECT * FROM npq_takeup_by_year ORDER BY ALL")
    first_charts = _digest(workspace.marts / "charts")
    assert workspace.run().success
    assert (
        _query(workspace.published_db, "SELECT * FROM npq_takeup_by_year ORDER BY ALL")
        == first_rows
    )
    second_charts = _digest(workspace.marts / "charts")
    # PNG and SVG are byte-stable too: same data, same files.
    assert second_charts == first_charts
    leftovers = [
        p.name for p in workspace.marts.iterdir() if p.name.startswith(".") or p.suffix == ".tmp"
    ]
    assert leftovers == []


def _corrupt_raw(workspace, old: str, new: str) -> None:
    """Edit the embedded file in the workspace copy and re-sign its manifest."""
    folder = workspace.raw / "ees" / "npq_participants" / "2024-25"
    data = folder / "npq_participants_national.csv"
    data.write_text(data.read_text().replace(old, new, 1))
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"][0]["sha256"] = hashlib.sha256(data.read_bytes()).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest))


def test_failed_blocking_check_keeps_last_publication(finished):
    workspace = finished  # a good publication is already in place
    before = workspace.published_db.read_bytes()
    charts_before = _digest(workspace.marts / "charts")

    _corrupt_raw(workspace, ",5.5,", ",155.5,")  # a share over 100 passes the reader
    result = workspace.run(downstream_of="npq_participants")

    assert not result.success
    failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
    assert [(e.asset_key.to_user_string(), e.check_name) for e in failed] == [
        ("staging/npq_participants", "expectation_suite")
    ]
    assert "expect_column_values_to_be_between" in failed[0].description
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert "publish/npq_observatory" not in materialized
    assert "marts/npq_takeup_by_year" not in materialized
    assert workspace.published_db.read_bytes() == before
    assert _digest(workspace.marts / "charts") == charts_before


def test_bad_input_names_file_row_and_column(finished):
    workspace = finished  # a good publication is already in place
    before = workspace.published_db.read_bytes()
    _corrupt_raw(workspace, ",38906,", ",38,906,")  # an unquoted thousands separator
    result = workspace.run(downstream_of="npq_participants")
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE)
    message = failure.event_specific_data.error.to_string()
    assert "npq_participants_national.csv" in message
    assert "row 3" in message
    assert workspace.published_db.read_bytes() == before


def test_edited_raw_file_is_refused(workspace):
    data = workspace.raw / "ees" / "npq_participants" / "2024-25" / "npq_participants_national.csv"
    data.write_text(data.read_text().replace("31677", "31678"))
    result = workspace.run(downstream_of="npq_participants")
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE)
    assert "does not match its manifest" in failure.event_specific_data.error.to_string()
    assert not workspace.published_db.exists()


def test_definitions_snapshot():
    """Renaming or regrouping an asset must be deliberate: update this snapshot with it."""
    d = defs()
    graph = d.resolve_asset_graph()
    specs = {
        key.to_user_string(): (
            graph.get(key).group_name,
            sorted(p.to_user_string() for p in graph.get(key).parent_keys),
        )
        for key in graph.get_all_asset_keys()
    }
    staged = [
        "npq_completions",
        "npq_participants",
        "npq_school_coverage",
        "npq_workforce",
        "workforce_teacher_characteristics",
        "spc_pupils_ethnicity_and_language",
        # real files embedded from DfE's analysts' repository (ECF, KS4 national characteristics)
        "ecf_participants",
        "ecf_mentors",
        "ecf_retention",
        "ks4_national_char",
        "npq_eligibility",
        # school-level lists and performance tables
        "gias_establishments",
        "ks4_school_performance",
        # compiled tables of published figures
        "npq_claims",
        "npq_media_and_claim_checks",
        "npq_release_text_figures",
        "npq_target_and_funding_policy",
        "spc_white_british_share",
        "swf_leadership_diversity",
        "swf_teacher_totals",
        # pilot evaluator files (question 3): checked against the contract, pseudonymised
        "pilot_participants",
        "pilot_schools",
        "pilot_outcomes",
        "pilot_dosage",
        "pilot_costs",
    ]
    expected = {f"raw/{n}": ("raw", []) for n in staged}
    expected |= {f"staging/{n}": ("staging", [f"raw/{n}"]) for n in staged}
    marts = {
        "dim_npq_course": [],
        "npq_policy_breaks": [],
        "npq_takeup_by_year": ["staging/npq_participants", "staging/npq_workforce"],
        "npq_takeup_by_course": ["marts/dim_npq_course", "staging/npq_participants"],
        "npq_takeup_by_region": ["staging/npq_participants"],
        "npq_takeup_by_la": ["staging/npq_participants"],
        "npq_takeup_by_characteristic": ["staging/npq_participants"],
        "npq_what_it_would_have_taken": ["staging/npq_participants"],
        "npq_school_coverage": ["staging/npq_school_coverage"],
        "npq_completions_by_cohort": ["staging/npq_completions"],
        "npq_claims_check": [
            "staging/npq_claims",
            "staging/npq_participants",
            "staging/npq_release_text_figures",
        ],
    }
    marts["release_changes"] = ["staging/npq_release_text_figures"]
    marts |= {
        "rep_dim_ethnicity": [],
        "rep_workforce_by_grade": [
            "marts/rep_dim_ethnicity",
            "staging/workforce_teacher_characteristics",
        ],
        "rep_pupils_by_ethnicity": [
            "marts/rep_dim_ethnicity",
            "staging/spc_pupils_ethnicity_and_language",
        ],
        "rep_representation_gaps": [
            "marts/rep_pupils_by_ethnicity",
            "marts/rep_workforce_by_grade",
        ],
        "rep_leaky_pipeline": [
            "marts/ecf_participants_by_characteristic",
            "marts/rep_dim_ethnicity",
            "marts/rep_pupils_by_ethnicity",
            "marts/rep_workforce_by_grade",
        ],
        "rep_gap_trends": ["marts/rep_representation_gaps"],
        "rep_npq_pipeline": [
            "marts/dim_npq_course",
            "marts/rep_dim_ethnicity",
            "marts/rep_workforce_by_grade",
            "staging/npq_participants",
        ],
        "rep_published_checks": [
            "marts/rep_pupils_by_ethnicity",
            "marts/rep_workforce_by_grade",
            "staging/spc_white_british_share",
            "staging/swf_leadership_diversity",
        ],
    }
    pilot_units = ["staging/pilot_outcomes", "staging/pilot_participants", "staging/pilot_schools"]
    marts |= {
        "pilot_registry": ["staging/pilot_participants"],
        "pilot_flow": ["marts/pilot_registry", *pilot_units],
        # counts in these are protected against the flow's (pipelines/pilots/disclose.py)
        "pilot_balance": ["marts/pilot_flow", *pilot_units],
        "pilot_estimates": ["marts/pilot_flow", "staging/pilot_dosage", *pilot_units],
        "pilot_security": ["marts/pilot_flow", *pilot_units],
        "pilot_costs": ["staging/pilot_costs", "staging/pilot_participants"],
    }
    expected |= {f"marts/{name}": ("marts", reads) for name, reads in marts.items()}
    expected |= {
        "charts/npq_cumulative_starts": (
            "charts",
            ["marts/npq_policy_breaks", "marts/npq_takeup_by_year"],
        ),
        "charts/npq_starts_by_course": (
            "charts",
            ["marts/npq_policy_breaks", "marts/npq_takeup_by_course"],
        ),
        "charts/npq_participation_by_region": (
            "charts",
            ["marts/npq_policy_breaks", "marts/npq_takeup_by_region"],
        ),
        "charts/npq_completion_by_cohort": ("charts", ["marts/npq_completions_by_cohort"]),
        "charts/npq_what_it_would_have_taken": ("charts", ["marts/npq_what_it_would_have_taken"]),
        "charts/rep_leaky_pipeline": ("charts", ["marts/rep_leaky_pipeline"]),
        "charts/rep_gap_trends": (
            "charts",
            ["marts/rep_gap_trends", "marts/rep_representation_gaps"],
        ),
        "charts/rep_npq_pipeline": ("charts", ["marts/rep_npq_pipeline"]),
        "charts/rep_regional_gaps": ("charts", ["marts/rep_workforce_by_grade"]),
        "charts/pilot_forest_plot": ("charts", ["marts/pilot_estimates", "marts/pilot_security"]),
        "charts/pilot_participant_flow": ("charts", ["marts/pilot_flow"]),
        "charts/pilot_balance": ("charts", ["marts/pilot_balance"]),
    }
    # Marts over the embedded real sources (ECF, KS4 national characteristics, eligibility)
    real_marts = {
        "ecf_participants_by_characteristic": ["staging/ecf_participants"],
        "ecf_retention_by_characteristic": ["staging/ecf_retention"],
        "ks4_attainment_gaps": ["staging/ks4_national_char"],
        "npq_eligible_schools": ["staging/npq_eligibility"],
        "npq_eligibility_changes": ["staging/npq_eligibility"],
        "npq_eligibility_gias_match": [
            "staging/gias_establishments",
            "staging/npq_eligibility",
        ],
        "npq_eligibility_beside_coverage": [
            "staging/npq_eligibility",
            "staging/npq_school_coverage",
        ],
    }
    expected |= {f"marts/{name}": ("marts", reads) for name, reads in real_marts.items()}
    charts = sorted(k for k in expected if k.startswith("charts/"))
    expected |= {
        "publish/npq_observatory": (
            "publish",
            sorted([*charts, *(f"marts/{name}" for name in [*marts, *real_marts])]),
        ),
    }
    # The record-level path: its own group, job and publication.
    record_marts = [
        "rec_npq_takeup_by_year",
        "rec_npq_takeup_by_course",
        "rec_npq_takeup_by_region",
        "rec_workforce_by_grade",
        "rec_npq_pipeline",
        "rec_linkage",
    ]
    expected |= {"staging/rec_record_years": ("records", [])}
    expected |= {f"marts/{m}": ("records", ["staging/rec_record_years"]) for m in record_marts}
    expected["marts/rec_npq_pipeline"] = (
        "records",
        ["marts/rec_workforce_by_grade", "staging/rec_record_years"],
    )
    expected["publish/npq_records"] = ("records", sorted(f"marts/{m}" for m in record_marts))
    assert specs == expected
    for key in graph.get_all_asset_keys():
        assert graph.get(key).description, f"{key.to_user_string()} has no docstring"
    checks = {
        f"{k.asset_key.to_user_string()}:{k.name}": graph.get_check_spec(k).blocking
        for k in graph.asset_check_keys
    }
    assert checks == {f"staging/{n}:expectation_suite": True for n in staged} | {
        f"marts/{n}:expectation_suite": True for n in [*marts, *real_marts, *record_marts]
    } | {
        f"staging/rec_record_years:expectation_suite_{t}": True
        for t in ("rec_teacher_census_cube", "rec_npq_cube", "rec_npq_unique")
    }
    assert d.resolve_job_def("refresh_all").executor_def.name == "in_process"


def test_jobs_and_schedules_resolve():
    d = defs()
    assert d.resolve_job_def("fetch_releases").name == "fetch_releases"
    schedule = d.resolve_schedule_def("weekly_release_check")
    assert schedule.cron_schedule == "0 6 * * 1"
    assert schedule.job_name == "fetch_releases"
    # The refresh job covers every asset; the fetch job never rebuilds marts itself.
    refresh = d.resolve_job_def("refresh_all")
    assert "publish__npq_observatory" in {node.name for node in refresh.nodes_in_topological_order}
    fetch_ops = {
        node.name for node in d.resolve_job_def("fetch_releases").nodes_in_topological_order
    }
    assert fetch_ops == {"fetch_new_releases"}


def test_file_failing_the_gate_is_refused_logged_and_kept(finished):
    workspace = finished  # a good publication is already in place
    before = workspace.published_db.read_bytes()
    folder = workspace.raw / "ees" / "npq_participants" / "2024-25"
    data = folder / "npq_participants_national.csv"
    lines = data.read_text().splitlines(keepends=True)
    data.write_text("".join([*lines, lines[1]]))  # a duplicated row
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"][0]["sha256"] = hashlib.sha256(data.read_bytes()).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest))
    refused = data.read_bytes()

    result = workspace.run(downstream_of="npq_participants")

    assert not result.success
    log = [json.loads(line) for line in (workspace.work / "rejected_files.jsonl").open()]
    assert [(e["rule"], e["file"]) for e in log] == [("duplicate_rows", str(data))]
    assert log[0]["row"] == len(lines) + 1  # the duplicate is the last line
    assert data.read_bytes() == refused  # kept untouched
    assert workspace.published_db.read_bytes() == before
