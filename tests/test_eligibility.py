"""NPQ funding eligibility lists: the embedded copies, the school-level frame and
its marts. Tests over data/raw never skip; the comparison with ../shared/realdata skips when
that folder is absent."""

import csv
import json
import shutil

import duckdb
import polars as pl
import pytest

from pipelines.ees import read_text_csv
from pipelines.eligibility import load_la_regions, load_lists, stage_eligibility
from pipelines.errors import InputError
from pipelines.quality.runner import validate
from pipelines.raw import load_files
from pipelines.sources import NPQ_ELIGIBILITY, SOURCES, input_files, sha256_of, verified_files
from pipelines.transforms.staging import stage
from pipelines.warehouse import build_from_sql, write_frame
from tests.conftest import PROJECT_ROOT, REALDATA

RAW = PROJECT_ROOT / "data" / "raw"
RELEASE = NPQ_ELIGIBILITY.folder(RAW) / "v1"
SHARED = REALDATA / "embed" / "npq_eligibility"
MARTS = (
    "npq_eligible_schools",
    "npq_eligibility_changes",
    "npq_eligibility_gias_match",
    "npq_eligibility_beside_coverage",
)
COVERAGE = RAW / "ees" / "npq_school_coverage" / "2024-25" / "npq_school_coverage_national.csv"


def manifest() -> dict:
    return json.loads((RELEASE / "manifest.json").read_text(encoding="utf-8"))


def urns(name: str) -> set[int]:
    """The URNs of one list file, read with the standard library (not the code under test)."""
    with (RELEASE / name).open(encoding="utf-8-sig", newline="") as handle:
        return {int(row[0]) for row in list(csv.reader(handle))[1:] if row}


def test_manifest_records_origin_licence_and_each_list():
    m = manifest()
    assert m["licence"] == "Open Government Licence v3.0"
    assert m["origin"].startswith("DFE-Digital/npq-registration @ 10d7b0cf")
    assert {(e["list"], e["cohort"]) for e in m["files"]} == {
        ("high_pupil_premium", "2021/22"),
        ("pp50", "autumn 2024"),
        ("pp50", "January 2025"),
        ("pp50", "autumn 2025"),
        ("rise", "autumn 2025"),
    }
    assert len(verified_files(RELEASE)) == 5  # every sha256 matches


def test_embedded_lists_are_byte_identical_to_the_shared_files():
    if not SHARED.is_dir():
        pytest.skip(f"shared real-data folder absent: {SHARED}")
    for entry in manifest()["files"]:
        assert (RELEASE / entry["path"]).read_bytes() == (SHARED / entry["path"]).read_bytes()


def staged(raw_root) -> pl.DataFrame:
    """As the assets do it: the raw table through DuckDB, then staging."""
    con = duckdb.connect()
    write_frame(con, "raw", "npq_eligibility", load_lists(raw_root))
    raw = con.sql("SELECT * FROM raw.npq_eligibility").pl()
    con.close()
    return stage_eligibility(raw, load_la_regions(raw_root))


@pytest.fixture(scope="module")
def frame() -> pl.DataFrame:
    return staged(RAW)


def test_every_school_of_every_list_is_staged_once(frame):
    for entry in manifest()["files"]:
        staged = frame.filter(pl.col("source_file") == entry["path"])
        assert set(staged["urn"]) == urns(entry["path"]), entry["path"]
        assert staged.height == len(urns(entry["path"]))
    # The autumn 2024 list repeats seven schools as identical rows: 11,292 rows, 11,285 schools.
    assert frame.filter(pl.col("cohort") == "autumn 2024").height == 11_285


def test_attributes_only_where_the_list_gives_them(frame):
    urn_only = frame.filter(pl.col("list") == "high_pupil_premium")
    assert (
        urn_only.select(pl.col("la_name", "region_name", "phase").null_count()).row(0)
        == (urn_only.height,) * 3
    )
    pp50 = frame.filter(pl.col("list") == "pp50")
    assert pp50["region_from"].unique().to_list() == ["la_region_lookup"]
    assert pp50["region_name"].null_count() == 0
    rise = frame.filter(pl.col("list") == "rise")
    assert rise["region_from"].unique().to_list() == ["list"]
    assert rise["phase"].null_count() == 0
    assert "Yorkshire and The Humber" in set(rise["region_name"])  # published spelling


def _release_copy(tmp_path, edit) -> tuple:
    raw = tmp_path / "raw"
    shutil.copytree(RAW / "reference", raw / "reference")
    release = NPQ_ELIGIBILITY.folder(raw) / "v1"
    shutil.copytree(RELEASE, release)
    path = release / "rise_schools_autumn_2025.csv"
    lines = path.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    path.write_text("".join(edit(lines)), encoding="utf-8")
    m = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
    for entry in m["files"]:
        if entry["path"] == path.name:
            entry["sha256"] = sha256_of(path)
    (release / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
    return raw, path


def test_a_school_listed_twice_with_other_details_names_file_row_and_column(tmp_path):
    def twice(lines):
        last = lines[-1].rstrip("\r\n") + "\r\n"
        return [*lines[:-1], last, lines[1].replace("Primary", "Secondary", 1)]

    raw, path = _release_copy(tmp_path, twice)
    appended = len(path.read_text(encoding="utf-8").splitlines())  # its spreadsheet row
    with pytest.raises(InputError) as caught:
        staged(raw)
    err = caught.value
    assert (err.file, err.row, err.column, err.rule) == (
        path.name,
        appended,
        "School URN",
        "duplicate_rows",
    )


def test_a_urn_that_is_not_a_number_names_file_row_and_column(tmp_path):
    raw, _ = _release_copy(tmp_path, lambda lines: [lines[0], "URN?" + lines[1][6:], *lines[2:]])
    with pytest.raises(InputError) as caught:
        staged(raw)
    assert (caught.value.row, caught.value.column, caught.value.rule) == (
        2,
        "School URN",
        "column_type",
    )


@pytest.fixture(scope="module")
def marts(frame):
    con = duckdb.connect()
    write_frame(con, "staging", "npq_eligibility", frame)
    gias = pl.read_csv(
        next((RAW / "synthetic" / "gias_establishments").glob("*/gias_establishments.csv")),
        infer_schema=False,
    )
    write_frame(
        con,
        "staging",
        "gias_establishments",
        gias.select(urn=pl.col("URN").cast(pl.Int64), provenance=pl.lit("synthetic")),
    )
    coverage = SOURCES["npq_school_coverage"]
    raw_coverage = load_files(input_files(coverage, RAW), read_text_csv)
    write_frame(con, "staging", "npq_school_coverage", stage(raw_coverage, coverage))
    for mart in MARTS:
        build_from_sql(con, "marts", mart, {})
    yield con, set(gias["URN"].cast(pl.Int64))
    con.close()


@pytest.mark.parametrize("table", ["staging.npq_eligibility", *(f"marts.{m}" for m in MARTS)])
def test_suites_pass(marts, table):
    con, _ = marts
    result = validate(con.sql(f"SELECT * FROM {table}").df(), table)
    assert result.success, result.summary()


def test_the_autumn_2024_change(marts):
    con, _ = marts
    before, after = urns("high_pupil_premiums_2021_2022.csv"), urns("schools_pp50_2024.csv")
    row = con.sql(
        "SELECT schools_before, schools_after, kept, gained, lost, net_change "
        "FROM marts.npq_eligibility_changes WHERE change_order = 1 AND area = 'England'"
    ).fetchall()
    assert row == [
        (
            len(before),
            len(after),
            len(before & after),
            len(after - before),
            len(before - after),
            len(after) - len(before),
        )
    ]
    regions = con.sql(
        "SELECT sum(gained), sum(lost) FROM marts.npq_eligibility_changes "
        "WHERE change_order = 1 AND level <> 'National'"
    ).fetchall()
    assert regions == [(len(after - before), len(before - after))]


def test_eligible_schools_by_region_add_up_to_the_list(marts):
    con, _ = marts
    rows = con.sql(
        "SELECT sum(schools) FROM marts.npq_eligible_schools "
        "WHERE cohort = 'autumn 2025' AND list = 'pp50' AND grouping = 'region'"
    ).fetchall()
    assert rows == [(len(urns("schools_pp50_autumn_2025.csv")),)]


def test_gias_match_counts_only_real_urn_matches(marts):
    con, gias_urns = marts
    rows = con.sql(
        "SELECT list, cohort, urns_in_gias, provenance FROM marts.npq_eligibility_gias_match"
    ).fetchall()
    files = {(e["list"], e["cohort"]): e["path"] for e in manifest()["files"]}
    for list_name, cohort, matched, provenance in rows:
        assert matched == len(urns(files[(list_name, cohort)]) & gias_urns)
        assert provenance == "synthetic"  # the embedded GIAS frame is synthetic


def test_eligible_schools_beside_published_coverage(marts):
    con, _ = marts
    with COVERAGE.open(encoding="utf-8-sig", newline="") as handle:
        published = {
            (r["time_period"], r["cum_disc"]): int(r["total_schools"])
            for r in csv.DictReader(handle)
        }
    rows = con.sql(
        "SELECT academic_year, eligible_schools, total_schools, coverage_basis, provenance "
        "FROM marts.npq_eligibility_beside_coverage ORDER BY year_start"
    ).fetchall()
    assert rows == [
        (
            "2021/22",
            len(urns("high_pupil_premiums_2021_2022.csv")),
            published[("202122", "Discrete")],
            "in the year",
            "derived",
        ),
        (
            "2024/25",
            len(urns("schools_pp50_2024.csv")),
            published[("202425", "Cumulative")],  # the embedded 2024/25 rows are cumulative
            "since 2021/22",
            "derived",
        ),
    ]
