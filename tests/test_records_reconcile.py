"""At scale 1 the record-level path reproduces the aggregate path's figures for the same
synthetic population: starts by year, course and region, distinct participants, and teachers
by grade, sex and ethnicity in the census year (after disclosure control, where published)."""

import shutil

import duckdb
import polars as pl
import pytest

from pipelines.cli import main
from pipelines.records.synthetic import generate

pytestmark = pytest.mark.slow  # every test here reads a records run through the CLI


@pytest.fixture(scope="module")
def scale1(published, tmp_path_factory):
    """Synthetic records at scale 1, run through `python -m pipelines.cli records` beside the
    aggregate publication (as in data/marts/), which it is protected together with."""
    root = tmp_path_factory.mktemp("records_scale1")
    shutil.copytree(published.marts, root / "marts", symlinks=True)
    generate(root / "records", scale=1)
    with pytest.MonkeyPatch.context() as patch:
        for name in ("RECORDS", "WORK", "MARTS"):
            patch.setenv(f"NPQ_{name}_DIR", str(root / name.lower()))
        assert main(["records"]) == 0
    return root


@pytest.fixture(scope="module")
def both(published, scale1):
    record_db = scale1 / "marts" / "records" / "npq_records.duckdb"
    with (
        duckdb.connect(str(record_db), read_only=True) as rec,
        duckdb.connect(str(published.published_db), read_only=True) as agg,
    ):
        yield rec, agg


def _frame(con, sql: str) -> pl.DataFrame:
    return con.sql(sql).pl()


def test_starts_and_participants_by_year(both):
    rec, agg = both
    aggregate = _frame(
        agg,
        "SELECT academic_year, funding, npq_starts, npq_unique_participants "
        "FROM npq_takeup_by_year ORDER BY 1, 2",
    )
    records = _frame(
        rec,
        "SELECT academic_year, funding, npq_starts, npq_unique_participants "
        "FROM rec_npq_takeup_by_year ORDER BY 1, 2",
    )
    joined = aggregate.join(records, on=["academic_year", "funding"], suffix="_rec")
    assert joined.height == aggregate.height == 5  # four Overall years and Funded 2021/22
    assert (joined["npq_starts"] == joined["npq_starts_rec"]).all()
    assert (joined["npq_unique_participants"] == joined["npq_unique_participants_rec"]).all()
    cumulative = _frame(
        rec,
        "SELECT max(cumulative_npq_starts_in_window) FROM rec_npq_takeup_by_year "
        "WHERE funding = 'Overall'",
    ).item()
    assert (
        cumulative
        == _frame(
            agg,
            "SELECT max(cumulative_npq_starts_in_window) FROM npq_takeup_by_year "
            "WHERE funding = 'Overall'",
        ).item()
    )


@pytest.mark.parametrize(
    ("mart", "key"),
    [("npq_takeup_by_course", "course_code"), ("npq_takeup_by_region", "region_code")],
)
def test_starts_by_course_and_region(both, mart, key):
    rec, agg = both
    # the synthetic records replicate the aggregate's synthetic breakdowns, not the published
    # rows that replace some of them there
    aggregate = _frame(
        agg,
        f"SELECT academic_year, funding, {key}, npq_starts FROM {mart} "
        "WHERE npq_starts > 0 AND provenance = 'synthetic'",
    )
    records = _frame(
        rec,
        f"SELECT academic_year, funding, {key}, npq_starts, npq_starts_status FROM rec_{mart}",
    )
    joined = aggregate.join(records, on=["academic_year", "funding", key], how="left")
    assert joined.height == aggregate.height
    shown = joined.filter(pl.col("npq_starts_status") == "value")
    assert shown.height >= aggregate.height - 2  # at most a small cell and its partner withheld
    assert (shown["npq_starts"] == shown["npq_starts_right"]).all()


def test_teachers_by_grade_and_group_in_the_census_year(both):
    rec, agg = both
    keys = ["area_code", "grade", "group_set", "group_name"]
    aggregate = _frame(
        agg,
        "SELECT area_code, grade, group_set, group_name, headcount, share_of_all_pct, "
        "share_of_known_pct FROM rep_workforce_by_grade WHERE academic_year = '2024/25' "
        "AND group_set IN ('sex', 'ethnicity_major', 'ethnicity_white_british') "
        "AND headcount > 0",  # the records have a row only for groups with someone in them
    )
    records = _frame(
        rec,
        "SELECT area_code, grade, group_set, group_name, headcount, headcount_status, "
        "headcount_published_in, share_of_all_pct, share_of_known_pct "
        "FROM rec_workforce_by_grade",
    )
    joined = aggregate.join(records, on=keys, how="left", suffix="_rec")
    assert joined["headcount_status"].null_count() == 0, "a group missing from the records"
    shown = joined.filter(pl.col("headcount_status") == "value")
    # A small count the aggregate publication shows is the same figure: shown here too, and
    # labelled with where it is published; everything shown is exact.
    small = joined.filter((pl.col("headcount") < 10) & (pl.col("headcount_status") == "value"))
    assert small["headcount_published_in"].is_not_null().all()
    assert shown.height > 0.8 * joined.height
    assert (shown["headcount"] == shown["headcount_rec"]).all()
    assert ((shown["share_of_all_pct"] - shown["share_of_all_pct_rec"]).abs() < 1e-9).all()
    known = shown.filter(pl.col("share_of_known_pct").is_not_null())
    assert ((known["share_of_known_pct"] - known["share_of_known_pct_rec"]).abs() < 1e-9).all()


def test_linkage_is_not_applicable_without_a_census(both):
    rec, _ = both
    rows = rec.sql(
        "SELECT time_period, census_available, linked_starts_status FROM rec_linkage ORDER BY 1"
    ).fetchall()
    assert rows == [
        (202122, False, "z"),
        (202223, False, "z"),
        (202324, False, "z"),
        (202425, True, "value"),
    ]


def test_the_publication_says_its_records_are_synthetic(both):
    rec, _ = both
    assert rec.sql("SELECT provenance FROM _inputs").fetchall() == [("synthetic",)]


def test_the_pipeline_equals_its_floor_before_disclosure(scale1):
    """A smoke run of what `make bench` checks at every scale (tests/test_bench.py checks the
    floor against the pandas script)."""
    from pipelines.bench.compare import assert_marts_equal
    from pipelines.bench.run import run_floor

    run_floor(scale1 / "records", scale1 / "floor.duckdb")
    assert_marts_equal(
        scale1 / "work" / "records.duckdb", scale1 / "floor.duckdb", "pipeline", "floor"
    )
