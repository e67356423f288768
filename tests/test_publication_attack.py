"""The whole publication attacked as a reader could: only published tables, every relation
between them, an LP bound on each withheld cell (tests/attacker.py). No leak may remain."""

import shutil
import subprocess
import sys

import duckdb
import polars as pl
import pytest

from pipelines.records.disclose import ROUNDING
from tests.attacker import THRESHOLD, absent_rows, by_key, pilot_board, record_board

RECORD_TABLES = [
    "rec_workforce_by_grade",
    "rec_npq_pipeline",
    "rec_npq_takeup_by_year",
    "rec_npq_takeup_by_course",
    "rec_npq_takeup_by_region",
    "rec_linkage",
]
PILOT_TABLES = ["pilot_flow", "pilot_estimates", "pilot_security", "pilot_balance"]


def _read(database, names: list[str]) -> dict[str, pl.DataFrame]:
    with duckdb.connect(str(database), read_only=True) as con:
        return {name: con.sql(f"SELECT * FROM {name}").pl() for name in names}


@pytest.fixture(scope="module")
def records_publication(published, tmp_path_factory):
    """The record-level publication at scale 1 (synthetic records) beside the default one."""
    root = tmp_path_factory.mktemp("records_publication")
    shutil.copytree(published.marts, root / "marts", symlinks=True)  # beside the aggregate one
    env = {**published.subprocess_env(), "NPQ_WORK_DIR": str(root / "work"),
           "NPQ_MARTS_DIR": str(root / "marts")}  # fmt: skip
    env.pop("NPQ_RECORDS_DIR", None)
    done = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "records"],
        env={**env, "NPQ_RECORDS_DIR": str(root / "no_records")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return _read(root / "marts" / "records" / "npq_records.duckdb", RECORD_TABLES)


def test_no_withheld_record_cell_can_be_pinned(published, records_publication):
    """With the aggregate publication's teacher counts known as well (the same teachers)."""
    aggregate = _read(published.published_db, ["rep_workforce_by_grade"])["rep_workforce_by_grade"]
    tables = {**records_publication, "aggregate_workforce": aggregate}
    leaks = record_board(tables, ROUNDING).pins(THRESHOLD)
    assert not leaks, f"{len(leaks)} withheld cells pinned: {by_key(leaks)}; first {leaks[:3]}"


def test_no_record_level_zero_is_published_by_an_absent_row(records_publication):
    missing = absent_rows(records_publication)
    assert not missing, f"{len(missing)} rows absent, e.g. {missing[:3]}"


def test_record_cells_withheld_are_not_published_by_the_aggregate_publication(
    published, records_publication
):
    """A cell withheld in the record-level publication must not appear with its value in the
    aggregate one (rep_workforce_by_grade counts the same teachers at scale 1)."""
    aggregate = _read(published.published_db, ["rep_workforce_by_grade"])["rep_workforce_by_grade"]
    shown = aggregate.filter(pl.col("headcount").is_not_null()).select(
        pl.col("time_period").cast(pl.Int32), "area_code", "grade", "group_set", "group_name"
    )
    withheld = records_publication["rec_workforce_by_grade"].filter(
        pl.col("headcount_status") == "c"
    )
    both = withheld.join(shown, on=["time_period", "area_code", "grade", "group_set",
                                    "group_name"])  # fmt: skip
    assert not both.height, f"{both.height} withheld record cells published as aggregates"
    # what the record-level publication shows below the threshold is only what the aggregate
    # publication already shows, and the row says so
    records = records_publication["rec_workforce_by_grade"]
    small = records.filter((pl.col("headcount_status") == "value") & (pl.col("headcount") < 10))
    assert small["headcount_published_in"].is_not_null().all()
    assert records.filter(pl.col("headcount_published_in").is_not_null()).height > 0


def test_no_withheld_pilot_count_can_be_pinned(published):
    tables = _read(published.published_db, PILOT_TABLES)
    leaks = pilot_board(tables).pins(THRESHOLD)
    assert not leaks, f"{len(leaks)} withheld pilot counts pinned: {leaks[:3]}"


def test_pilot_side_channels_are_closed(published):
    """What an attacker found beyond the linear relations: every outcome of a pilot and year is
    measured on nearly the same units (so any n, or number of schools, stands in for a withheld
    flow count); which withheld cells are primary says which are small; the WWC attrition band
    and padlocks bound an arm's lost count."""
    tables = _read(published.published_db, PILOT_TABLES)
    flow = tables["pilot_flow"]
    assert not any("suppression" in frame.columns for frame in tables.values())
    hidden = (
        flow.filter((pl.col("arm") != "Total") & (pl.col("units_status") == "c"))
        .with_columns(pl.col("arm").replace({"comparison": "control"}))
        .select("pilot_id", "evaluation_year", "arm")
        .unique()
    )
    assert hidden.height, "the synthetic flow withholds arm counts: the check must bite"
    estimates = tables["pilot_estimates"]
    for arm in ("treatment", "control"):
        rows = estimates.join(
            hidden.filter(pl.col("arm") == arm), on=["pilot_id", "evaluation_year"]
        )
        for column in (f"n_{arm}", f"n_clusters_{arm}"):
            assert rows[column].is_null().all(), (arm, column)
    by_level = (
        flow.filter((pl.col("arm") != "Total") & (pl.col("units_status") == "c"))
        .select("pilot_id", "evaluation_year", "unit_level")
        .unique()
    )
    security = tables["pilot_security"].join(
        by_level, on=["pilot_id", "evaluation_year", "unit_level"]
    )
    for column in ("wwc_attrition", "attrition_padlocks", "padlocks"):
        assert security[column].is_null().all(), column
