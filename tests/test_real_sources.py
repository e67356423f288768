"""Real published sources embedded in data/raw: ECF participants, mentors and
retention 2024-25; KS4 national characteristics 2023/24 revised.

Tests over the embedded copies never skip: they are part of the project. Tests that compare
them with ../shared/realdata skip (with the reason) when that folder is absent, and fail when
it is present and a file differs.

Headline figures asserted here come from the publications, not from this code's output: ECTs
starting induction in 2021/22 (28,887, Teacher and leader development: ECF and NPQs 2024/25);
KS4 2023/24 revised, all state-funded: Attainment 8 45.9, Progress 8 -0.03 (Key stage 4
performance 2023/24).
"""

import gzip
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines import gate
from pipelines.defs.marts.sources_real import REAL_SOURCE_MARTS
from pipelines.errors import InputError
from pipelines.gate import WARNING, accept, errors, meta_path_for, screen_pair
from pipelines.quality.runner import validate
from pipelines.raw import REJECTED_LOG, gated_ees_reader, load_files
from pipelines.representation import representation_params
from pipelines.sources import SOURCES, input_files, sha256_of, verified_files
from pipelines.transforms.staging import stage
from pipelines.warehouse import build_from_sql, read_sql, write_frame
from tests.conftest import PROJECT_ROOT, REALDATA

RAW = PROJECT_ROOT / "data" / "raw"
EMBED = REALDATA / "embed" / "ees"
ABSENT = f"shared real-data folder absent: {REALDATA} (a checkout outside the workspace)"

ECF = ("ecf_participants", "ecf_mentors", "ecf_retention")
KS4 = "ks4_national_char"


RELEASE = {**dict.fromkeys(ECF, "2024-25"), KS4: "2023-24"}
# The marts over these files (the eligibility marts are tested in tests/test_eligibility.py).
EES_MARTS = [
    mart
    for mart, reads in REAL_SOURCE_MARTS.items()
    if all(read.removeprefix("staging/") in (*ECF, KS4) for read in reads)
]


def data_file(name: str) -> Path:
    """The one data file of an embedded release, checked against its manifest."""
    (only,) = verified_files(SOURCES[name].folder(RAW) / RELEASE[name])
    return only.path


# --------------------------------------------------------------------------------------------
# The ingest gate: the files break the standard; each is accepted by a per-file departure
# --------------------------------------------------------------------------------------------


def test_the_standard_is_on_the_gates_side():
    """The rules the files break are the standard's (reference EES.md B2, B6): LA rows fill
    their region; every data column is in the meta, observational, or constant."""
    assert gate.LEVELS["Local authority"].parents_filled == ("region_code", "region_name")
    declared = {(d.rule, d.columns) for ds in gate.ACCEPTED_DEPARTURES.values() for d in ds}
    assert declared == {
        ("geography_completed", ("region_code", "region_name")),
        ("data_to_meta", ("breakdown",)),
    }


@pytest.mark.parametrize("name", [*ECF, KS4])
def test_embedded_file_passes_the_gate_with_its_departure_named(name):
    path = data_file(name)
    findings = screen_pair(path)
    assert not errors(findings), [f.describe() for f in errors(findings)]
    departed = [f for f in findings if "ACCEPTED_DEPARTURES" in f.message]
    if name == "ecf_retention":  # no LA rows: nothing to depart from
        assert departed == []
    else:
        assert departed and all(f.severity == WARNING for f in departed)
        assert sha256_of(path) in gate.ACCEPTED_DEPARTURES


def _changed_copy(path: Path, tmp_path: Path) -> Path:
    """The file with one national figure changed (and its meta file beside it)."""
    target = tmp_path / path.name
    shutil.copy(meta_path_for(path), tmp_path / meta_path_for(path).name)
    if path.suffix == ".gz":
        text = gzip.decompress(path.read_bytes()).decode("utf-8")
        target.write_bytes(gzip.compress(text.replace(",2082,", ",2083,", 1).encode("utf-8")))
    else:
        text = path.read_text(encoding="utf-8")
        target.write_text(text.replace("28887", "28888", 1), encoding="utf-8")
    assert sha256_of(target) != sha256_of(path)
    return target


@pytest.mark.parametrize(
    ("name", "rule"),
    [("ecf_participants", "geography_completed"), (KS4, "data_to_meta")],
)
def test_the_departure_is_for_those_bytes_only(name, rule, tmp_path):
    changed = _changed_copy(data_file(name), tmp_path)
    with pytest.raises(InputError) as caught:
        accept(changed, meta_path_for(changed))
    assert caught.value.rule == rule


LA_HEADER = (
    "time_period,time_identifier,geographic_level,country_code,country_name,region_code,"
    "region_name,old_la_code,new_la_code,la_name,ects\n"
)
LA_ROW = "202425,Academic year,Local authority,E92000001,England,,,841,E06000005,Darlington,5\n"


def test_the_rule_is_not_loosened_for_other_files(tmp_path):
    path = tmp_path / "ecf_like.csv"
    path.write_text(LA_HEADER + LA_ROW, encoding="utf-8")
    found = errors(gate.screen(path))
    assert {(f.rule, f.column) for f in found} == {
        ("geography_completed", "region_code"),
        ("geography_completed", "region_name"),
    }


def test_a_departure_accepts_only_its_own_rule_and_columns(tmp_path, monkeypatch):
    path = tmp_path / "ecf_like.csv"
    path.write_text(LA_HEADER + LA_ROW.replace("Academic year", "Academic yr"), encoding="utf-8")
    departure = gate.Departure(path.name, "geography_completed", ("region_code",), "a test")
    monkeypatch.setitem(gate.ACCEPTED_DEPARTURES, sha256_of(path), (departure,))
    found = gate.screen(path)
    assert {(f.rule, f.column) for f in errors(found)} == {
        ("geography_completed", "region_name"),
        ("time_identifier", "time_identifier"),
    }
    (accepted,) = [f for f in found if "ACCEPTED_DEPARTURES" in f.message]
    assert (accepted.rule, accepted.column, accepted.severity) == (
        "geography_completed",
        "region_code",
        WARNING,
    )


# --------------------------------------------------------------------------------------------
# Embedded copies: byte-identical to the shared real data, with a manifest
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [*ECF, KS4])
def test_embedded_copy_is_byte_identical_to_the_shared_file(name):
    if not EMBED.is_dir():
        pytest.skip(ABSENT)
    path = data_file(name)
    for ours in (path, meta_path_for(path)):
        (theirs,) = EMBED.rglob(ours.name)
        assert ours.read_bytes() == theirs.read_bytes(), ours.name


@pytest.mark.parametrize("name", [*ECF, KS4])
def test_manifest_records_source_licence_and_meta_checksum(name):
    (raw,) = verified_files(data_file(name).parent)
    manifest = raw.manifest
    assert manifest["licence"] == "Open Government Licence v3.0"
    assert manifest["origin"].startswith("dfe-analytical-services/hackathon-2025-llm-stats-qa")
    (meta,) = manifest["meta_files"]
    assert meta["path"] == meta_path_for(raw.path).name
    assert sha256_of(raw.path.parent / meta["path"]) == meta["sha256"]


# --------------------------------------------------------------------------------------------
# Headline totals against the published figures
# --------------------------------------------------------------------------------------------


def _national(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, infer_schema=False).filter(pl.col("geographic_level") == "National")


def test_ects_2021_22_match_the_published_total():
    rows = _national(data_file("ecf_participants")).filter(
        (pl.col("time_period") == "202122")
        & (pl.col("programme") == "Overall")
        & (pl.col("breakdown") == "Overall")
    )
    assert rows["total_ects_count"].to_list() == ["28887"]


def test_ks4_all_state_funded_2023_24_headline():
    rows = _national(data_file(KS4)).filter(
        (pl.col("time_period") == "202324")
        & (pl.col("establishment_type_group") == "All state-funded")
        & (pl.col("breakdown") == "Total")
        & (pl.col("sex") == "Total")
    )
    assert rows.select("version", "avg_att8", "avg_p8score").rows() == [
        ("Revised", "45.9", "-0.03")
    ]


# --------------------------------------------------------------------------------------------
# Staging and marts over the embedded files (the assets' own transforms and SQL)
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    """The embedded sources gated, staged and built into their marts, in a private database."""
    con = duckdb.connect(str(tmp_path_factory.mktemp("real") / "work.duckdb"))
    log = tmp_path_factory.mktemp("log") / REJECTED_LOG
    for name in (*ECF, KS4):
        source = SOURCES[name]
        raw = load_files(input_files(source, RAW), gated_ees_reader(log))
        write_frame(con, "staging", name, stage(raw, source))
    for mart in EES_MARTS:
        build_from_sql(con, "marts", mart, {})
    yield con
    con.close()


@pytest.mark.parametrize(
    "table",
    [*(f"staging.{n}" for n in (*ECF, KS4)), *(f"marts.{m}" for m in EES_MARTS)],
)
def test_suite_passes_on_the_embedded_data(warehouse, table):
    result = validate(warehouse.sql(f"SELECT * FROM {table}").df(), table)
    assert result.success, result.summary()


def test_every_published_row_is_staged(warehouse):
    for name in (*ECF, KS4):
        (raw,) = verified_files(data_file(name).parent)
        staged = warehouse.sql(f"SELECT count(*) FROM staging.{name}").fetchall()[0][0]
        assert staged == raw.manifest["files"][0]["rows"], name


def test_ects_mart_national_total_and_provenance(warehouse):
    rows = warehouse.sql(
        "SELECT academic_year, ects, provenance FROM marts.ecf_participants_by_characteristic "
        "WHERE geographic_level = 'National' AND breakdown = 'Overall' ORDER BY year_start"
    ).fetchall()
    assert rows[0] == ("2021/22", 28887, "published")
    assert {r[2] for r in rows} == {"published"}
    regions = warehouse.sql(
        "SELECT count(DISTINCT area_code) FROM marts.ecf_participants_by_characteristic "
        "WHERE geographic_level = 'Regional'"
    ).fetchall()
    assert regions == [(9,)]


def test_staged_ks4_headline_is_typed(warehouse):
    row = warehouse.sql(
        "SELECT avg_att8, avg_p8score FROM staging.ks4_national_char WHERE time_period = "
        "'202324' AND establishment_type_group = 'All state-funded' AND breakdown = 'Total' "
        "AND sex = 'Total'"
    ).fetchall()
    assert row == [(45.9, -0.03)]


@pytest.mark.parametrize(
    ("period", "disadvantaged", "others"),
    # 2023/24 revised and 2022/23 revised (EES data set e4fad812): Attainment 8 of
    # disadvantaged pupils and of all other pupils in state-funded schools.
    [("202324", 34.6, 50.0), ("202223", 35.0, 50.3)],
)
def test_ks4_disadvantage_gap(warehouse, period, disadvantaged, others):
    row = warehouse.sql(
        "SELECT attainment8, comparison_attainment8, attainment8_gap, provenance "
        "FROM marts.ks4_attainment_gaps WHERE time_period = ? AND gap = 'disadvantage' "
        "AND establishment_type_group = 'All state-funded'",
        params=[period],
    ).fetchall()
    assert row == [(disadvantaged, others, round(disadvantaged - others, 1), "derived")]


# --------------------------------------------------------------------------------------------
# rep_leaky_pipeline: early career teachers as the entry stage (small given tables)
# --------------------------------------------------------------------------------------------


def _year(start: int) -> dict:
    return {
        "academic_year": f"{start}/{(start + 1) % 100:02d}",
        "time_period": f"{start}{(start + 1) % 100:02d}",
        "year_start": start,
    }


def _population(start: int, share: float, provenance: str, **extra) -> list[dict]:
    """White and Ethnic minority rows (shares of known people) of one stage and year."""
    return [
        {
            **_year(start),
            **extra,
            "group_set": "ethnicity_white_vs_minority",
            "group_name": name,
            "group_is_known": True,
            "headcount": 1000 * pct,
            "share_of_known_pct": pct,
            "share_of_all_pct": pct,
            "low_count": False,
            "provenance": provenance,
        }
        for name, pct in (("White", 100 - share), ("Ethnic minority", share))
    ]


def test_early_career_teachers_enter_the_leaky_pipeline():
    con = duckdb.connect()
    build_from_sql(con, "marts", "rep_dim_ethnicity", {})
    workforce = [
        row
        for start in (2021, 2024)
        for row in _population(
            start, 12.0, "synthetic", geographic_level="National", grade="Classroom teacher"
        )
    ]
    pupils = _population(2021, 27.0, "published", phase_type_grouping="Total")
    # ECT labels as the ECF file publishes them: 80 White, 20 Asian, 10 of unknown ethnicity.
    ects = [
        {
            **_year(start),
            "geographic_level": "National",
            "breakdown": "Ethnicity",
            "group_name": label,
            "ects": count,
            "provenance": "published",
        }
        for start in (2021, 2024)
        for label, count in (("White", 80), ("Asian or Asian British", 20), ("Unknown", 10))
    ]
    for name, rows in (
        ("rep_workforce_by_grade", workforce),
        ("rep_pupils_by_ethnicity", pupils),
        ("ecf_participants_by_characteristic", ects),
    ):
        write_frame(con, "marts", name, pl.DataFrame(rows))
    sql = read_sql("marts", "rep_leaky_pipeline")
    params = {k: v for k, v in representation_params().items() if f"${k}" in sql}
    build_from_sql(con, "marts", "rep_leaky_pipeline", params)
    got = con.sql(
        "SELECT academic_year, stage, share_pct, previous_stage, ratio_to_classroom_teachers, "
        "provenance FROM marts.rep_leaky_pipeline WHERE group_name = 'Ethnic minority' "
        "ORDER BY year_start, stage_order"
    ).fetchall()
    con.close()
    assert got == [
        ("2021/22", "Pupils", 27.0, None, None, "published"),
        # 20 of the 100 ECTs of known ethnicity; it steps from pupils, so derived, never synthetic
        ("2021/22", "Early career teachers", 20.0, "Pupils", None, "derived"),
        ("2021/22", "Classroom teacher", 12.0, "Early career teachers", 1.0, "synthetic"),
        ("2024/25", "Early career teachers", 20.0, None, None, "published"),
        ("2024/25", "Classroom teacher", 12.0, "Early career teachers", 1.0, "synthetic"),
    ]
