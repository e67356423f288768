"""The record-level path end to end: stage only what changed, publish after disclosure
control, and leave the last publication in place when a file breaks its contract."""

import duckdb
import pytest

from pipelines.cli import main
from tests.records_data import write_records


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    write_records(tmp_path / "records", n=3000)
    for name, folder in (("RECORDS", "records"), ("WORK", "work"), ("MARTS", "marts")):
        monkeypatch.setenv(f"NPQ_{name}_DIR", str(tmp_path / folder))
    return tmp_path


def _published(root) -> dict[str, list]:
    with duckdb.connect(
        str(root / "marts" / "records" / "npq_records.duckdb"), read_only=True
    ) as con:
        return {
            "years": con.sql(
                "SELECT time_period, npq_starts FROM rec_linkage ORDER BY 1"
            ).fetchall(),
            "tables": sorted(t for (t,) in con.sql("SHOW TABLES").fetchall()),
        }


@pytest.mark.slow
def test_records_refresh_stages_only_new_or_changed_years(workspace, capsys):
    assert main(["records"]) == 0
    out = capsys.readouterr().out
    assert "staging 3: 202223, 202324, 202425" in out
    first = _published(workspace)
    assert first["tables"] == [
        "_inputs",
        "_publication",
        "rec_linkage",
        "rec_npq_pipeline",
        "rec_npq_takeup_by_course",
        "rec_npq_takeup_by_region",
        "rec_npq_takeup_by_year",
        "rec_workforce_by_grade",
    ]
    assert [y for y, _ in first["years"]] == [202223, 202324, 202425]

    assert main(["records"]) == 0
    assert "staging 0: none (nothing changed)" in capsys.readouterr().out

    write_records(workspace / "new", census_years=(202526,), npq_years=(202526,), n=3000)
    for collection in ("teacher_census", "npq_participants"):
        (workspace / "new" / collection / "202526.parquet").rename(
            workspace / "records" / collection / "202526.parquet"
        )
    assert main(["records"]) == 0
    assert "staging 1: 202526" in capsys.readouterr().out
    years = _published(workspace)["years"]
    assert years[:3] == first["years"]  # the years not restaged kept their figures
    assert years[3] == (202526, 300)


@pytest.mark.slow
def test_record_mart_suites_hold_and_catch_shares_that_do_not_add_up(workspace):
    from pipelines.defs.records.assets import RECORD_MARTS
    from pipelines.quality.runner import load_suite, validate

    assert main(["records"]) == 0
    with duckdb.connect(str(workspace / "work" / "records.duckdb"), read_only=True) as con:
        frames = {m: con.sql(f"SELECT * FROM marts.{m}").df() for m in RECORD_MARTS}
    for mart, frame in frames.items():
        assert validate(frame, f"marts.{mart}").success, mart
        for rule in load_suite(f"marts.{mart}")["meta"].get("share_totals", []):
            broken = frame.copy()
            broken[rule["share"]] += 0.5
            failed = {(f.expectation, f.column) for f in validate(broken, f"marts.{mart}").failures}
            assert ("shares_sum_to_100", rule["share"]) in failed, mart


@pytest.mark.slow
def test_a_broken_file_fails_the_refresh_and_keeps_the_publication(workspace, capsys):
    assert main(["records"]) == 0
    database = workspace / "marts" / "records" / "npq_records.duckdb"
    before = database.read_bytes()
    census = workspace / "records" / "teacher_census" / "202425.parquet"
    with duckdb.connect() as con:
        con.execute(
            f"COPY (SELECT * REPLACE ('Headteacher' AS grade) FROM read_parquet('{census}')) "
            f"TO '{census}.new' (FORMAT parquet)"
        )
    census.with_name("202425.parquet.new").replace(census)
    capsys.readouterr()
    assert main(["records"]) == 1
    err = capsys.readouterr().err
    assert f"file {census}, row 1, column 'grade'" in err
    assert "last publication" in err and "is unchanged" in err
    assert database.read_bytes() == before
