"""The data/raw/ sensor: a new or changed release refreshes only what depends on it."""

import json
import shutil

import dagster as dg
import pytest

from pipelines.definitions import defs
from pipelines.defs.operations.raw_changes import fingerprints, raw_release_sensor
from pipelines.defs.resources import ProjectPaths
from tests.conftest import PROJECT_ROOT


@pytest.fixture(scope="module")
def repository():
    return defs().get_repository_def()


@pytest.fixture
def raw(tmp_path):
    shutil.copytree(PROJECT_ROOT / "data" / "raw", tmp_path / "raw")
    return tmp_path / "raw"


def _tick(repository, raw, cursor=None):
    paths = ProjectPaths(raw_dir=str(raw), work_dir=str(raw.parent / "w"), marts_dir="m")
    context = dg.build_sensor_context(
        cursor=cursor, repository_def=repository, resources={"paths": paths}
    )
    return raw_release_sensor(context), context.cursor


def test_first_tick_records_and_an_unchanged_folder_requests_nothing(repository, raw):
    result, cursor = _tick(repository, raw)
    assert isinstance(result, dg.SkipReason)
    assert json.loads(cursor) == fingerprints(raw)
    (raw / "ees" / "npq_completions" / "2024-25" / "notes.txt").write_text("not a release")
    result, _ = _tick(repository, raw, cursor)
    assert isinstance(result, dg.SkipReason)


def test_new_release_refreshes_only_its_downstream(repository, raw):
    _, cursor = _tick(repository, raw)
    release = raw / "ees" / "npq_completions" / "2024-25"
    shutil.copytree(release, release.with_name("2025-26"))
    request, _ = _tick(repository, raw, cursor)
    selected = {k.to_user_string() for k in request.asset_selection}
    graph = repository.asset_graph
    expected = {
        k.to_user_string()
        for k in dg.AssetSelection.assets(dg.AssetKey(["raw", "npq_completions"]))
        .downstream()
        .resolve(graph)
    }
    assert selected == expected
    assert {"raw/npq_completions", "staging/npq_completions", "publish/npq_observatory"} <= selected
    assert not any(k.startswith("raw/") and k != "raw/npq_completions" for k in selected)
    assert "marts/npq_takeup_by_year" not in selected  # built from participants, not completions
    assert request.tags["changed_data_sets"] == "npq_completions"


def test_changed_synthetic_companion_counts_as_a_change(repository, raw):
    _, cursor = _tick(repository, raw)
    manifest = raw / "synthetic" / "gias_establishments" / "v1" / "manifest.json"
    data = json.loads(manifest.read_text())
    data["note"] = "regenerated"
    manifest.write_text(json.dumps(data))
    request, _ = _tick(repository, raw, cursor)
    assert request.tags["changed_data_sets"] == "gias_establishments"
    assert "staging/gias_establishments" in {k.to_user_string() for k in request.asset_selection}


def test_status_names_synthetic_inputs_and_what_is_stale(published, tmp_path):
    from pipelines.status import status_report

    report, up_to_date = status_report(published.marts, published.raw)
    assert up_to_date, report
    synthetic_line = next(line for line in report.splitlines() if line.startswith("Synthetic"))
    assert "workforce_teacher_characteristics" in synthetic_line
    assert "npq_release_text_figures" not in synthetic_line  # published figures
    raw = tmp_path / "raw"
    shutil.copytree(published.raw, raw)
    release = raw / "ees" / "npq_completions" / "2024-25"
    shutil.copytree(release, release.with_name("2025-26"))
    report, up_to_date = status_report(published.marts, raw)
    assert not up_to_date
    stale = [line for line in report.splitlines() if line.rstrip().endswith("STALE")]
    assert [line.split()[0] for line in stale] == ["npq_completions"]


def test_status_without_a_publication(tmp_path):
    from pipelines.status import status_report

    report, up_to_date = status_report(tmp_path / "marts", tmp_path / "raw")
    assert not up_to_date and "make run" in report
