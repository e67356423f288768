"""The benchmark's implementations agree, its comparison can fail, its table can say 'missed'.

The floor (pipelines/bench/floor.sql) and the pandas script compute the six record-level marts
on a small random data set that follows pipelines/records/contract.py and has the awkward
cases in it (NPQ years without a census, a census year with a region missing, a year with no
funded starts, unlinked and null teacher_refs, people on two courses). When the synthetic
generator exists, they are compared again on its scale-1 records.
"""

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.bench import pandas_marts
from pipelines.bench.compare import MARTS, MartsDiffer, assert_marts_equal
from pipelines.bench.run import (
    evaluate_targets,
    format_results,
    measure,
    run_floor,
    write_results,
)
from pipelines.records.contract import (
    ETHNICITY_MAJOR,
    GRADES,
    NPQ_COURSES,
    REGIONS,
    SEXES,
)

CENSUS_YEARS = (202223, 202324)
NPQ_YEARS = (202021, 202122, 202223, 202324, 202425)
MISSING_REGION = "E12000001"  # no teachers in it in the 202223 census


def _sql_list(values) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def write_records(records: Path, teachers: int = 3000, seed: int = 1) -> None:
    """A few thousand random rows per year in the shape of the contract, written by DuckDB.

    Deterministic (hash-based). Census: CENSUS_YEARS, ~90% of `teachers` each year, no
    MISSING_REGION in 202223. NPQ: NPQ_YEARS, `teachers / 5` people a year, most on NPQSL and
    some on a second course; 1 in 7 teacher_refs NULL, 1 in 7 not in any census; nobody
    funded in 202021.
    """
    regions = sorted(REGIONS)
    with duckdb.connect() as con:
        for collection in ("teacher_census", "npq_participants"):
            (records / collection).mkdir(parents=True, exist_ok=True)
        for year in CENSUS_YEARS:
            census = f"""
                WITH t AS (
                    SELECT i, (hash(i, {seed}, {year}) % 1000000007)::BIGINT AS h
                    FROM range({teachers}) AS r (i)
                ),
                c AS (
                    SELECT
                        printf('T%016x', hash(i, {seed})) AS teacher_ref,
                        {year}::INTEGER AS time_period,
                        {_sql_list((*GRADES, "Classroom teacher", "Classroom teacher"))}
                            [1 + h % 6] AS grade,
                        {_sql_list((*SEXES, "Female"))}[1 + (h // 7) % 4] AS sex,
                        {_sql_list(("White", "White", *ETHNICITY_MAJOR))}
                            [1 + (h // 31) % 8] AS ethnicity_major,
                        {_sql_list(sorted(REGIONS))}[1 + (h // 3001) % 9] AS region_code,
                        h
                    FROM t
                    WHERE h % 10 <> 0
                )
                SELECT
                    teacher_ref, time_period, grade, sex, ethnicity_major,
                    CASE
                        WHEN ethnicity_major = 'White' THEN
                            ['White - White British', 'White - White British', 'White - Irish',
                             'White - Any other White background', NULL][1 + (h // 301) % 5]
                        WHEN ethnicity_major LIKE 'Unknown%' THEN
                            ['Refused', 'Information not yet obtained', NULL][1 + (h // 301) % 3]
                    END AS ethnicity_minor,
                    region_code
                FROM c
                WHERE NOT (time_period = 202223 AND region_code = '{MISSING_REGION}')
            """
            con.execute(
                f"COPY ({census}) TO '{records}/teacher_census/{year}.parquet' (FORMAT parquet)"
            )
        courses = sorted(NPQ_COURSES)
        for year in NPQ_YEARS:
            npq = f"""
                WITH p AS (
                    SELECT i, (hash(i, {seed}, {year}, 'p') % 1000000007)::BIGINT AS h
                    FROM range({teachers // 5}) AS r (i)
                ),
                courses AS (SELECT unnest({_sql_list(courses)}) AS course_code)
                SELECT
                    printf('P%016x', hash(i, {seed}, {year}, 'participant')) AS participant_ref,
                    CASE
                        WHEN h % 7 = 0 THEN NULL
                        WHEN h % 7 = 1 THEN printf('T%016x', hash(i + 10 * {teachers}, {seed}))
                        ELSE printf('T%016x', hash(h % {teachers}, {seed}))
                    END AS teacher_ref,
                    {year}::INTEGER AS time_period,
                    c.course_code,
                    {year} <> 202021 AND h % 3 <> 0 AS funded,
                    {_sql_list(regions)}[1 + (h // 11) % 9] AS region_code
                FROM p
                JOIN courses AS c
                    ON c.course_code = 'NPQSL'
                    OR ((h // 5) % 13 = 0 AND hash(c.course_code, h) % 4 = 0)
            """
            con.execute(
                f"COPY ({npq}) TO '{records}/npq_participants/{year}.parquet' (FORMAT parquet)"
            )


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("bench")
    records = root / "records"
    write_records(records)
    run_floor(records, root / "floor.duckdb")
    assert pandas_marts.main([str(records), str(root / "pandas")]) == 0
    return {"records": records, "floor": root / "floor.duckdb", "pandas": root / "pandas"}


def test_floor_and_pandas_agree(outputs):
    assert_marts_equal(outputs["floor"], outputs["pandas"], "floor", "pandas")


def test_the_awkward_cases_are_in_the_data(outputs):
    with duckdb.connect(str(outputs["floor"]), read_only=True) as con:
        linkage = con.sql(
            "SELECT time_period, census_available, linked_starts > 0 FROM rec_linkage"
        ).fetchall()
        assert sorted(linkage) == [
            (202021, False, False),
            (202122, False, False),
            (202223, True, True),
            (202324, True, True),
            (202425, False, False),
        ]
        headcounts = dict(
            con.sql(
                "SELECT time_period, teachers_headcount FROM rec_npq_takeup_by_region "
                f"WHERE funding = 'Overall' AND region_code = '{MISSING_REGION}'"
            ).fetchall()
        )
        assert headcounts == {
            202021: None,
            202122: None,
            202223: 0,
            202324: headcounts[202324],
            202425: None,
        }
        assert headcounts[202324] > 0
        fundings = con.sql(
            "SELECT funding FROM rec_npq_takeup_by_year WHERE time_period = 202021"
        ).fetchall()
        assert fundings == [("Overall",)]
        two_courses = con.sql(
            "SELECT count(*) FROM rec_npq_takeup_by_year WHERE npq_unique_participants < npq_starts"
        ).fetchall()[0][0]
        assert two_courses > 0
        # Shares of known sum to 100 within each England grade and group set.
        totals = con.sql(
            "SELECT sum(share_of_known_pct) FROM rec_workforce_by_grade "
            "WHERE area_code = 'E92000001' GROUP BY time_period, grade, group_set"
        ).fetchall()
        assert all(abs(total - 100) < 1e-9 for (total,) in totals)


def _changed_copy(floor: Path, target: Path, statement: str) -> Path:
    shutil.copy(floor, target)
    with duckdb.connect(str(target)) as con:
        con.execute(statement)
    return target


def test_compare_detects_a_changed_count(outputs, tmp_path):
    changed = _changed_copy(
        outputs["floor"],
        tmp_path / "changed.duckdb",
        "UPDATE rec_workforce_by_grade SET headcount = headcount + 1 "
        "WHERE time_period = 202324 AND area_code = 'E12000003' AND grade = 'Head teacher' "
        "AND group_set = 'sex' AND group_name = 'Male'",
    )
    with pytest.raises(MartsDiffer) as error:
        assert_marts_equal(outputs["pandas"], changed, "pandas", "changed")
    message = str(error.value)
    assert message.startswith("rec_workforce_by_grade.headcount: first difference at row")
    assert "'area_code': 'E12000003'" in message and "'group_name': 'Male'" in message


def test_compare_tolerates_rounding_but_not_a_real_difference(outputs, tmp_path):
    where = "WHERE time_period = 202324 AND funding = 'Overall' AND course_code = 'NPQSL'"
    rounding = _changed_copy(
        outputs["floor"],
        tmp_path / "rounding.duckdb",
        "UPDATE rec_npq_takeup_by_course "
        f"SET percent_of_year_starts = percent_of_year_starts * (1 + 1e-12) {where}",
    )
    assert_marts_equal(outputs["pandas"], rounding)
    real = _changed_copy(
        outputs["floor"],
        tmp_path / "real.duckdb",
        "UPDATE rec_npq_takeup_by_course "
        f"SET percent_of_year_starts = percent_of_year_starts * (1 + 1e-6) {where}",
    )
    with pytest.raises(MartsDiffer, match=r"rec_npq_takeup_by_course\.percent_of_year_starts"):
        assert_marts_equal(outputs["pandas"], real)
    null = _changed_copy(
        outputs["floor"],
        tmp_path / "null.duckdb",
        f"UPDATE rec_npq_takeup_by_course SET percent_of_year_starts = NULL {where}",
    )
    with pytest.raises(MartsDiffer, match=r"pandas \d+\.\d+, null None"):
        assert_marts_equal(outputs["pandas"], null, "pandas", "null")


def test_compare_detects_a_missing_row_and_a_missing_column(outputs, tmp_path):
    fewer = _changed_copy(
        outputs["floor"],
        tmp_path / "fewer.duckdb",
        "DELETE FROM rec_linkage WHERE time_period = 202425",
    )
    with pytest.raises(MartsDiffer, match=r"rec_linkage: pandas has 5 rows, fewer 4.*202425"):
        assert_marts_equal(outputs["pandas"], fewer, "pandas", "fewer")
    narrower = _changed_copy(
        outputs["floor"],
        tmp_path / "narrower.duckdb",
        "ALTER TABLE rec_npq_pipeline DROP COLUMN gap_to_heads_pp",
    )
    with pytest.raises(MartsDiffer, match=r"rec_npq_pipeline: .*missing \['gap_to_heads_pp'\]"):
        assert_marts_equal(outputs["pandas"], narrower)


def test_marts_in_a_schema_named_marts_are_found(outputs, tmp_path):
    """The pipeline's working database keeps its marts in schema `marts`."""
    database = tmp_path / "records.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute(f"ATTACH '{outputs['floor']}' AS floor (READ_ONLY)")
        con.execute("CREATE SCHEMA marts")
        for mart in MARTS:
            con.execute(f"CREATE TABLE marts.{mart} AS FROM floor.{mart}")
    assert_marts_equal(database, outputs["pandas"])


def test_the_generator_at_scale_1(tmp_path):
    synthetic = pytest.importorskip("pipelines.records.synthetic")
    records = tmp_path / "records"
    synthetic.generate(records, 1)
    run_floor(records, tmp_path / "floor.duckdb")
    assert pandas_marts.main([str(records), str(tmp_path / "pandas")]) == 0
    assert_marts_equal(tmp_path / "floor.duckdb", tmp_path / "pandas", "floor", "pandas")


def test_measure_reports_the_peak_memory_of_the_process_not_of_its_parent(tmp_path):
    import sys

    touch = "b = bytearray({} * 2**20); b[::4096] = b'x' * len(b[::4096])"
    ballast = bytearray(400 * 2**20)  # this process grows; a forked child would inherit its peak
    ballast[::4096] = b"x" * len(ballast[::4096])
    big = measure([sys.executable, "-c", touch.format(200)], {}, tmp_path / "a.txt", ("a", "0", 0))
    small = measure([sys.executable, "-c", "pass"], {}, tmp_path / "b.txt", ("b", "0", 0))
    failed = measure(
        [sys.executable, "-c", "raise SystemExit(3)"], {}, tmp_path / "c.txt", ("c", "0", 0)
    )
    del ballast
    assert big.ok and big.wall_s > 0 and 200 * 1024 < big.peak_rss_kib < 350 * 1024
    assert small.ok and small.peak_rss_kib < 100 * 1024
    assert failed.exit_code == 3 and not failed.ok


def _runs(implementation: str, seconds: float, peak_gib: float = 1.0) -> list[dict]:
    return [
        {
            "implementation": implementation,
            "wall_s": seconds,
            "peak_rss_kib": int(peak_gib * 1024 * 1024),
            "tree_rss_kib": 0,
            "exit_code": 0,
        }
    ]


def _results(pipeline_100: float) -> dict:
    rows = {"teacher_census": 1, "npq_participants": 1}
    return {
        "machine": {
            "cores": 2,
            "memory_gib": 8.0,
            "python": "3.11",
            "platform": "test",
            "versions": {"duckdb": "2.0.0"},
        },
        "config": {"runs": 1},
        "scales": {
            "1": {
                "rows": rows,
                "agreement": {"floor_vs_pandas": "agree"},
                "runs": {
                    "pipeline": _runs("pipeline", 2.0),
                    "floor": _runs("floor", 1.0),
                    "pandas": _runs("pandas", 20.0),
                },
            },
            "100": {
                "rows": rows,
                "agreement": {},
                "runs": {
                    "pipeline": _runs("pipeline", pipeline_100, 5.0),
                    "floor": _runs("floor", 10.0),
                    "pandas": _runs("pandas", 100.0),
                },
            },
        },
        "incremental": {
            "new_year": 202526,
            "runs": {
                "full_10": _runs("pipeline", 10.0),
                "new_year": _runs("pipeline", 1.0),
                "full_11": _runs("pipeline", 11.0),
                "floor_11": _runs("floor", 3.0),
            },
        },
    }


def _status(table: str, target_start: str) -> str:
    rows = [line for line in table.splitlines() if line.startswith(f"| {target_start}")]
    assert len(rows) == 1, (target_start, table)
    return rows[0].rstrip(" |").rsplit("|", 1)[1].strip()


def test_results_table_marks_missed_targets(tmp_path):
    results = _results(pipeline_100=20.0)  # pipeline/floor 2.0, pandas/pipeline 5.0
    table = format_results({**results, "targets": evaluate_targets(results)})
    assert _status(table, "pipeline/floor at scale 100") == "missed"
    assert _status(table, "pandas/pipeline") == "met"
    assert _status(table, "pipeline peak memory") == "missed"  # 5 GiB at scale 100
    assert _status(table, "new year as a share") == "met"  # 1/11
    assert _status(table, "scale-1 refresh") == "met"  # 2.0
    assert "| 1 (embedded-default refresh" in table
    assert "9.1%" in table

    faster = _results(pipeline_100=12.0)
    faster["scales"]["1"]["runs"]["pipeline"] = _runs("pipeline", 4.0)
    table = write_results(faster, tmp_path)
    assert _status(table, "pipeline/floor at scale 100") == "met"
    assert _status(table, "pandas/pipeline") == "met"
    assert _status(table, "scale-1 refresh") == "missed"  # 4.0
    assert (tmp_path / "results.md").read_text() == table
    saved = json.loads((tmp_path / "results.json").read_text())
    assert [t["status"] for t in saved["targets"]] == ["met", "met", "missed", "met", "missed"]


def test_a_target_not_measured_is_not_run():
    results = _results(pipeline_100=12.0)
    del results["scales"]["100"], results["incremental"]
    statuses = {t["key"]: t["status"] for t in evaluate_targets(results)}
    assert statuses["pipeline_over_floor"] == "not run"
    assert statuses["new_year_share"] == "not run"
    assert statuses["pandas_over_pipeline"] == "met"  # 10x at scale 1, the largest run
