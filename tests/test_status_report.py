"""`status`: pilot data listed among the inputs (synthetic unless an evaluator delivered files),
and names never cut short without an ellipsis. Runs on a small hand-made publication."""

import shutil

import duckdb

from pipelines.status import describe_inputs, shorten, status_report
from tests.conftest import PROJECT_ROOT


def _publication(marts, inputs):
    marts.mkdir()
    with duckdb.connect(str(marts / "npq_observatory.duckdb")) as con:
        con.execute("CREATE TABLE _publication AS SELECT 't' AS table_name, now() AS published_at")
        con.execute(
            "CREATE TABLE _inputs (data_set VARCHAR, releases VARCHAR, provenance VARCHAR, "
            "fingerprint VARCHAR)"
        )
        con.executemany(
            "INSERT INTO _inputs VALUES (?, ?, ?, ?)",
            [[i["data_set"], i["releases"], i["provenance"], i["fingerprint"]] for i in inputs],
        )


def test_pilot_data_are_an_input_and_synthetic_by_default(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(PROJECT_ROOT / "data" / "raw", raw)
    inputs = {i["data_set"]: i for i in describe_inputs(raw)}
    assert inputs["pilots"]["provenance"] == "synthetic"
    _publication(tmp_path / "marts", inputs.values())
    report, up_to_date = status_report(tmp_path / "marts", raw)
    assert up_to_date, report
    synthetic = next(line for line in report.splitlines() if line.startswith("Synthetic"))
    assert "pilots" in synthetic.split(": ", 1)[1].split(", ")
    # a changed pilot file makes the pilot input stale
    (raw / "pilots" / "registry" / "threat_judgements.csv").write_text("changed\n")
    report, up_to_date = status_report(tmp_path / "marts", raw)
    assert not up_to_date
    stale = [line.split()[0] for line in report.splitlines() if line.rstrip().endswith("STALE")]
    assert stale == ["pilots"]


def test_long_names_end_with_an_ellipsis_never_cut_silently(tmp_path):
    assert shorten("abc", 5) == "abc"
    assert shorten("abcdefgh", 5) == "abcd…"
    raw = tmp_path / "raw"
    shutil.copytree(PROJECT_ROOT / "data" / "raw", raw)
    inputs = describe_inputs(raw)
    long = "x" * 120
    inputs[0] = {**inputs[0], "releases": long}
    _publication(tmp_path / "marts", inputs)
    report, _ = status_report(tmp_path / "marts", raw)
    line = next(line for line in report.splitlines() if "xxxx" in line)
    assert long not in line and "x…" in line
