"""Command line: one question's refresh selects that question's assets and nothing else."""

import pytest

from pipelines.cli import QUESTIONS, main, question_selection
from pipelines.definitions import defs


@pytest.mark.parametrize("question", sorted(QUESTIONS))
def test_question_selects_its_marts_their_inputs_and_publish(question):
    keys = {k.to_user_string() for k in question_selection(defs(), question)}
    own = QUESTIONS[question]
    others = tuple(p for q, prefixes in QUESTIONS.items() if q != question for p in prefixes)
    assert "publish/npq_observatory" in keys
    built = [k for k in keys if k.split("/")[0] in ("marts", "charts")]
    assert any(k.split("/")[-1].startswith(own) for k in built)
    # another question's marts appear only where this question reads them
    for key in built:
        name = key.split("/")[-1]
        if name.startswith(others) and not name.startswith(own):
            assert key == "marts/dim_npq_course", key  # the course list, read by rep_npq_pipeline
    assert all(k.startswith(("raw/", "staging/", "marts/", "charts/", "publish/")) for k in keys)


def test_unknown_data_set_is_one_line_not_a_traceback(capsys):
    assert main(["check", "no_such_data_set", "x.csv"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("check failed: unknown data set 'no_such_data_set'")
    assert "Traceback" not in err


def test_charts_redraws_the_pack_from_the_published_marts_alone(finished, monkeypatch, capsys):
    import shutil

    import duckdb

    for key, value in finished.env.items():
        monkeypatch.setenv(key, value)
    charts = finished.marts / "charts"
    before = {p.name: p.read_bytes() for p in charts.iterdir() if p.suffix in (".csv", ".txt")}
    # The working area is not needed: charts are drawn from what was published.
    shutil.rmtree(finished.work)
    # A published figure that differs from what the last run drew shows in the new pack.
    with duckdb.connect(str(finished.published_db)) as con:
        con.execute("UPDATE npq_takeup_by_year SET npq_starts = npq_starts + 1")
    database = finished.published_db.read_bytes()

    assert main(["charts"]) == 0
    assert "Chart pack redrawn" in capsys.readouterr().out
    after = {p.name: p.read_bytes() for p in charts.iterdir() if p.suffix in (".csv", ".txt")}
    assert after.keys() == before.keys()
    changed = {name for name in before if before[name] != after[name]}
    assert "npq_cumulative_starts.csv" in changed
    assert all(name.startswith("npq_cumulative_starts") for name in changed), changed
    assert finished.published_db.read_bytes() == database  # the database is only read
    assert not [p for p in finished.marts.iterdir() if p.name.startswith(".")]  # no leftovers


def test_charts_without_a_publication_says_what_to_do(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("NPQ_MARTS_DIR", str(tmp_path / "marts"))
    monkeypatch.setenv("NPQ_WORK_DIR", str(tmp_path / "work"))
    assert main(["charts"]) == 1
    err = capsys.readouterr().err
    assert "there is no publication" in err and "make run" in err
    assert not (tmp_path / "marts").exists()


def test_command_line_refresh_ends_quietly_with_summary_and_publication(finished):
    """`python -m pipelines.cli run` as a user runs it: numbered steps, a summary line, the
    publication paths last, and nothing printed at interpreter exit (no "nanobind: leaked")."""
    import re
    import subprocess
    import sys

    from tests.conftest import PROJECT_ROOT

    done = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "run", "--question", "takeup"],
        cwd=PROJECT_ROOT,
        env=finished.subprocess_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "nanobind" not in done.stderr, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    assert re.search(r"step +1 of \d+ ", done.stdout)
    assert re.fullmatch(
        r"Refresh complete: \d+ assets built, (\d+) of \1 checks passed, \d+ marts published, "
        r"in \d+\.\d s\.",
        lines[-4],
    ), lines[-4]
    assert lines[-3:] == [
        f"  published database: {finished.marts / 'npq_observatory.duckdb'}",
        f"  exports (Parquet, CSV): {finished.marts / 'exports'}",
        f"  chart pack: {finished.marts / 'charts'}",
    ]
