"""The synthetic record-level generator: contract, exact aggregates, linkage, determinism.

Expected figures are computed here from the raw CSVs (DuckDB over the files), never taken from
the generator's own code or output.
"""

import filecmp
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines import paths
from pipelines.records import contract
from pipelines.records.synthetic import add_year, generate
from pipelines.sources import latest_release_dir

COLLECTIONS = ("teacher_census", "npq_participants")
CODE_OF = {name: code for code, name in contract.NPQ_COURSES.items()}
KNOWN_MINOR_MAJORS = ("White", "Unknown / refused / information not yet obtained")


def _csv(*dataset: str) -> Path:
    (path,) = sorted(latest_release_dir(paths.raw_dir().joinpath(*dataset)).glob("*.csv"))
    return path


WORKFORCE = _csv("synthetic", "workforce_teacher_characteristics")
BREAKDOWNS = _csv("synthetic", "npq_participants_breakdowns")
OFFICIAL = _csv("ees", "npq_participants")


def q(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


@pytest.fixture(scope="module")
def con():
    with duckdb.connect() as connection:
        connection.execute("SET threads = 2")
        connection.execute("SET enable_progress_bar = false")
        yield connection


@pytest.fixture(scope="module")
def scale1(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("scale1") / "records"
    generate(folder, 1)
    return folder


@pytest.fixture(scope="module")
def scale2(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("scale2") / "records"
    generate(folder, 2)
    return folder


def files(records: Path, collection: str) -> dict[int, Path]:
    return {int(p.stem): p for p in sorted((records / collection).glob("*.parquet"))}


def census_years_in_csv(con) -> list[int]:
    return [
        r[0]
        for r in con.sql(
            f"SELECT DISTINCT CAST(time_period AS INTEGER) FROM read_csv({q(WORKFORCE)}) "
            "ORDER BY 1 DESC"
        ).fetchall()
    ]


def official_totals(con) -> dict[tuple[int, str], tuple[int, int, int]]:
    rows = con.sql(
        "SELECT CAST(time_period AS INTEGER), funding, CAST(npq_starts AS BIGINT), "
        "CAST(npq_unique_participants AS BIGINT), "
        "CAST(npq_unique_participants_swc_eligible AS BIGINT) "
        f"FROM read_csv({q(OFFICIAL)}, all_varchar = true) "
        "WHERE geographic_level = 'National' AND breakdown = 'Overall'"
    ).fetchall()
    return {(y, f): (s, u, e) for y, f, s, u, e in rows}


# --- helpers: independent checks -----------------------------------------------------------------


def assert_meets_contract(con, records: Path, only_year: int | None = None) -> None:
    """Every file (or every file of one year): columns and types, allowed values, patterns,
    nulls, year, unique key."""
    seen = 0
    for collection, spec in contract.COLLECTIONS.items():
        columns = spec["columns"]
        for year, path in files(records, collection).items():
            if only_year is not None and year != only_year:
                continue
            seen += 1
            src = f"read_parquet({q(path)})"
            described = [(r[0], r[1]) for r in con.sql(f"DESCRIBE SELECT * FROM {src}").fetchall()]
            assert described == [(c.name, c.type) for c in columns], path
            tests = []
            for c in columns:
                if not c.nullable:
                    tests.append(f'count(*) FILTER (WHERE "{c.name}" IS NULL)')
                if c.allowed:
                    allowed = ", ".join("'" + v.replace("'", "''") + "'" for v in c.allowed)
                    tests.append(f'count(*) FILTER (WHERE "{c.name}" NOT IN ({allowed}))')
                if c.pattern:
                    matches = f"regexp_full_match(\"{c.name}\", '{c.pattern}')"
                    tests.append(f"count(*) FILTER (WHERE NOT {matches})")
            tests.append(f"count(*) FILTER (WHERE time_period <> {year})")
            key = ", ".join(spec["key"])
            tests.append(f"count(*) - count(DISTINCT ({key}))")
            broken = con.sql(f"SELECT {', '.join(tests)}, count(*) FROM {src}").fetchall()[0]
            assert broken[-1] > 0, path
            assert all(v == 0 for v in broken[:-1]), (path, broken)
            if collection == "teacher_census":
                majors = ", ".join(f"'{m}'" for m in KNOWN_MINOR_MAJORS)
                wrong = con.sql(
                    f"""SELECT count(*) FROM {src} WHERE
                    (ethnicity_minor IS NULL) <> (ethnicity_major NOT IN ({majors}))
                    OR (ethnicity_major = 'White' AND ethnicity_minor NOT LIKE 'White - %')
                    OR (ethnicity_major <> 'White' AND ethnicity_minor LIKE 'White%')"""
                ).fetchall()[0][0]
                assert wrong == 0, path
            else:
                # one person: one teacher_ref, region and funding whatever the course
                wrong = con.sql(
                    f"""SELECT count(*) FROM (SELECT participant_ref FROM {src}
                    GROUP BY participant_ref HAVING count(DISTINCT coalesce(teacher_ref, '-')) > 1
                    OR count(DISTINCT region_code) > 1 OR count(DISTINCT funded) > 1)"""
                ).fetchall()[0][0]
                assert wrong == 0, path
                shared = con.sql(
                    f"""SELECT count(*) FROM (SELECT teacher_ref FROM {src}
                    WHERE teacher_ref IS NOT NULL GROUP BY teacher_ref
                    HAVING count(DISTINCT participant_ref) > 1)"""
                ).fetchall()[0][0]
                assert shared == 0, path
    assert seen > 0


def census_mismatches(con, path: Path, year: int, times: int = 1) -> tuple[int, list]:
    """Compare every workforce CSV row of `year` ('Total' = all) with the records' counts
    (times `times`): (rows compared, rows that differ)."""
    compared = con.sql(
        f"""WITH recs AS (
            SELECT region_code, grade, sex, ethnicity_major,
                   coalesce(ethnicity_minor, '-') AS ethnicity_minor
            FROM read_parquet({q(path)})),
        cube AS (
            SELECT CASE WHEN grouping(region_code) = 1 THEN 'England' ELSE region_code END AS area,
                   CASE WHEN grouping(grade) = 1 THEN 'Total' ELSE grade END AS grade,
                   CASE WHEN grouping(sex) = 1 THEN 'Total' ELSE sex END AS sex,
                   CASE WHEN grouping(ethnicity_major) = 1 THEN 'Total'
                        ELSE ethnicity_major END AS ethnicity_major,
                   CASE WHEN grouping(ethnicity_minor) = 1 THEN 'Total'
                        ELSE ethnicity_minor END AS ethnicity_minor,
                   count(*) AS records
            FROM recs GROUP BY CUBE (region_code, grade, sex, ethnicity_major, ethnicity_minor)),
        published AS (
            SELECT CASE geographic_level WHEN 'National' THEN 'England' ELSE region_code END
                       AS area,
                   grade, sex, ethnicity_major, ethnicity_minor,
                   CAST(headcount AS BIGINT) * {times} AS headcount
            FROM read_csv({q(WORKFORCE)}, all_varchar = true)
            WHERE CAST(time_period AS INTEGER) = {year}
              AND geographic_level IN ('National', 'Regional')
              AND school_type = 'Total state-funded schools' AND age_group = 'Total'
              AND working_pattern = 'Total' AND qts_status = 'Total' AND on_route = 'Total')
        SELECT p.*, coalesce(c.records, 0) AS records
        FROM published p LEFT JOIN cube c
          USING (area, grade, sex, ethnicity_major, ethnicity_minor)"""
    ).fetchall()
    return len(compared), [r for r in compared if r[-1] != r[-2]]


def grouped(con, sql: str) -> list:
    return sorted(con.sql(sql).fetchall(), key=repr)


# --- the contract --------------------------------------------------------------------------------


def test_every_file_meets_the_contract(con, scale1, scale2):
    assert_meets_contract(con, scale1)
    assert_meets_contract(con, scale2)


def test_scale_1_has_the_latest_census_year_and_every_npq_year(con, scale1):
    latest = census_years_in_csv(con)[0]
    assert list(files(scale1, "teacher_census")) == [latest]
    npq_years = sorted({y for y, f in official_totals(con) if f == "Overall"})
    assert list(files(scale1, "npq_participants")) == npq_years


def test_scale_2_has_the_two_latest_census_years(con, scale2):
    assert sorted(files(scale2, "teacher_census"), reverse=True) == census_years_in_csv(con)[:2]


# --- exact aggregates ----------------------------------------------------------------------------


def test_census_reproduces_every_cell_of_the_workforce_file(con, scale1, scale2):
    for records in (scale1, scale2):
        for year, path in files(records, "teacher_census").items():
            compared, wrong = census_mismatches(con, path, year)
            assert compared > 500  # national and regional rows, Totals included
            assert wrong == [], wrong[:5]


def test_census_regional_rows_add_up_to_national(con):
    """The premise of exactness: regional grade x ethnic group = national."""
    wrong = con.sql(
        f"""WITH w AS (SELECT * FROM read_csv({q(WORKFORCE)}) WHERE
              school_type = 'Total state-funded schools' AND sex = 'Total'
              AND ethnicity_minor = 'Total' AND age_group = 'Total')
        SELECT n.time_period, n.grade, n.ethnicity_major FROM w n JOIN (
            SELECT time_period, grade, ethnicity_major, sum(headcount) AS h FROM w
            WHERE geographic_level = 'Regional' GROUP BY ALL) r
          USING (time_period, grade, ethnicity_major)
        WHERE n.geographic_level = 'National' AND n.headcount <> r.h"""
    ).fetchall()
    assert wrong == []


def test_npq_totals_participants_and_linkable_match_the_official_file(con, scale1):
    totals = official_totals(con)
    assert totals
    npq = f"read_parquet({q(scale1 / 'npq_participants' / '*.parquet')})"
    got = {}
    for year, starts, unique, linked, f_starts, f_unique, f_linked in con.sql(
        f"""SELECT time_period, count(*), count(DISTINCT participant_ref),
            count(DISTINCT participant_ref) FILTER (WHERE teacher_ref IS NOT NULL),
            count(*) FILTER (WHERE funded), count(DISTINCT participant_ref) FILTER (WHERE funded),
            count(DISTINCT participant_ref) FILTER (WHERE funded AND teacher_ref IS NOT NULL)
        FROM {npq} GROUP BY 1"""
    ).fetchall():
        got[(year, "Overall")] = (starts, unique, linked)
        got[(year, "Funded")] = (f_starts, f_unique, f_linked)
    for key, expected in totals.items():
        assert got[key] == expected, key


def test_npq_starts_by_course_and_region_match_the_breakdowns(con, scale1):
    npq = f"read_parquet({q(scale1 / 'npq_participants' / '*.parquet')})"
    rows = con.sql(
        f"""SELECT CAST(time_period AS INTEGER), funding, geographic_level, region_code,
               group_name, CAST(npq_starts AS BIGINT)
        FROM read_csv({q(BREAKDOWNS)}, all_varchar = true)
        WHERE (geographic_level = 'National' AND breakdown = 'Course')
           OR (geographic_level = 'Regional' AND breakdown = 'Overall')"""
    ).fetchall()
    by_course = {(y, CODE_OF[g], f): s for y, f, level, _, g, s in rows if level == "National"}
    by_region = {(y, r, f): s for y, f, level, r, _, s in rows if level == "Regional"}
    assert len(by_course) > 30 and len(by_region) > 40
    assert {f for *_, f in by_course} == {"Overall", "Funded"}

    def counts(column: str) -> dict:
        out = {}
        for year, value, overall, funded in con.sql(
            f"SELECT time_period, {column}, count(*), count(*) FILTER (WHERE funded) "
            f"FROM {npq} GROUP BY 1, 2"
        ).fetchall():
            out[(year, value, "Overall")] = overall
            out[(year, value, "Funded")] = funded
        return out

    course_counts, region_counts = counts("course_code"), counts("region_code")
    for key, starts in by_course.items():
        assert course_counts.get(key, 0) == starts, key
    for key, starts in by_region.items():
        assert region_counts.get(key, 0) == starts, key
    # no course or region with starts that the file does not have
    overall_courses = {k for k in by_course if k[2] == "Overall"}
    assert {k for k, v in course_counts.items() if k[2] == "Overall" and v} == overall_courses


# --- linkage -------------------------------------------------------------------------------------


def test_linked_participants_are_teachers_of_the_same_year_and_region(con, scale1, scale2):
    for records in (scale1, scale2):
        census = files(records, "teacher_census")
        for year, path in files(records, "npq_participants").items():
            linked, found, same_region = con.sql(
                f"""SELECT count(n.teacher_ref), count(c.teacher_ref),
                       count(*) FILTER (WHERE c.region_code = n.region_code)
                FROM read_parquet({q(path)}) n LEFT JOIN
                     read_parquet({q(records / "teacher_census" / "*.parquet")}) c
                  ON c.teacher_ref = n.teacher_ref"""
            ).fetchall()[0]
            assert linked > 0
            if year in census:
                assert found == linked == same_region, (records, year)
            else:  # a pseudonym that matches no census row
                assert found == 0, (records, year)


def test_linked_grades_are_plausible_for_each_course(con, scale1):
    year = max(files(scale1, "teacher_census"))
    shares = {
        course: (heads, deputies, assistants, classroom)
        for course, heads, deputies, assistants, classroom in con.sql(
            f"""SELECT n.course_code,
                   avg((grade = 'Head teacher')::INT), avg((grade = 'Deputy head teacher')::INT),
                   avg((grade = 'Assistant head teacher')::INT),
                   avg((grade = 'Classroom teacher')::INT)
            FROM read_parquet({q(scale1 / "npq_participants" / f"{year}.parquet")}) n
            JOIN read_parquet({q(scale1 / "teacher_census" / f"{year}.parquet")}) c
              USING (teacher_ref) GROUP BY 1"""
        ).fetchall()
    }
    assert shares["NPQEL"][0] > 0.5
    assert shares["NPQH"][1] + shares["NPQH"][2] > 0.5
    assert shares["NPQSL"][2] + shares["NPQSL"][3] > 0.6
    for course in set(shares) & {"NPQLT", "NPQLTD", "NPQLBC", "NPQLL", "NPQLPM"}:
        assert shares[course][3] > 0.5, course


# --- determinism and seeds -----------------------------------------------------------------------


def test_same_seed_gives_identical_files(scale1, tmp_path):
    again = tmp_path / "again"
    generate(again, 1)
    written = sorted(p.relative_to(scale1) for p in scale1.rglob("*.parquet"))
    assert written == sorted(p.relative_to(again) for p in again.rglob("*.parquet"))
    for relative in written:
        assert filecmp.cmp(scale1 / relative, again / relative, shallow=False), relative
    assert json.loads((again / "manifest.json").read_text()) == json.loads(
        (scale1 / "manifest.json").read_text()
    )


def test_another_seed_gives_other_pseudonyms_and_the_same_aggregates(con, scale1, tmp_path):
    other = tmp_path / "other"
    generate(other, 1, seed=7)
    for collection, ref in (
        ("teacher_census", "teacher_ref"),
        ("npq_participants", "participant_ref"),
    ):
        a = q(scale1 / collection / "*.parquet")
        b = q(other / collection / "*.parquet")
        common = con.sql(
            f"SELECT count(*) FROM read_parquet({a}) JOIN read_parquet({b}) USING ({ref})"
        ).fetchall()[0][0]
        assert common == 0, collection
    census = (
        "SELECT time_period, region_code, grade, sex, ethnicity_major, ethnicity_minor, "
        "count(*) FROM read_parquet({}) GROUP BY ALL"
    )
    npq = (
        "SELECT time_period, course_code, region_code, funded, count(*), "
        "count(DISTINCT participant_ref), count(DISTINCT teacher_ref) "
        "FROM read_parquet({}) GROUP BY ALL"
    )
    for sql, collection in ((census, "teacher_census"), (npq, "npq_participants")):
        assert grouped(con, sql.format(q(scale1 / collection / "*.parquet"))) == grouped(
            con, sql.format(q(other / collection / "*.parquet"))
        ), collection


# --- refusals and the manifest -------------------------------------------------------------------


@pytest.mark.parametrize("scale", [0, -10, 11, 15, 99, 2.5, "3", True])
def test_a_scale_that_is_not_allowed_is_refused(scale, tmp_path):
    with pytest.raises(ValueError, match="scale"):
        generate(tmp_path / "records", scale)
    assert not list(tmp_path.rglob("*.parquet"))


def test_generate_does_not_overwrite_record_files(scale1):
    before = {p: p.stat().st_mtime_ns for p in scale1.rglob("*.parquet")}
    with pytest.raises(FileExistsError):
        generate(scale1, 1)
    assert {p: p.stat().st_mtime_ns for p in scale1.rglob("*.parquet")} == before


def test_manifest_says_synthetic_and_lists_every_file(con, scale1):
    manifest = json.loads((scale1 / "manifest.json").read_text())
    assert manifest["provenance"] == "synthetic"
    assert manifest["generator"] == "pipelines.records.synthetic"
    assert (manifest["seed"], manifest["scale"]) == (20260401, 1)
    on_disk = {
        str(p.relative_to(scale1)): con.sql(
            f"SELECT count(*) FROM read_parquet({q(p)})"
        ).fetchall()[0][0]
        for p in scale1.rglob("*.parquet")
    }
    assert manifest["files"] == on_disk
    assert not [p for p in scale1.rglob("*") if p.name.startswith(".")]  # no temporary left


# --- add_year ------------------------------------------------------------------------------------


def test_add_year_draws_a_new_year_like_the_latest(con, scale1, tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    shutil.copytree(scale1, first)
    shutil.copytree(scale1, second)
    written = add_year(first, 202526)
    assert sorted(written) == sorted(
        [first / "teacher_census" / "202526.parquet", first / "npq_participants" / "202526.parquet"]
    )
    assert_meets_contract(con, first, only_year=202526)
    latest = {c: max(y for y in files(scale1, c)) for c in COLLECTIONS}
    old = {c: q(first / c / f"{latest[c]}.parquet") for c in COLLECTIONS}
    new = {c: q(first / c / "202526.parquet") for c in COLLECTIONS}
    # same size and make-up, new pseudonyms
    census = (
        "SELECT region_code, grade, sex, ethnicity_major, ethnicity_minor, count(*) "
        "FROM read_parquet({}) GROUP BY ALL"
    )
    assert grouped(con, census.format(new["teacher_census"])) == grouped(
        con, census.format(old["teacher_census"])
    )
    npq = (
        "SELECT course_code, region_code, funded, count(*), count(DISTINCT participant_ref), "
        "count(DISTINCT teacher_ref) FROM read_parquet({}) GROUP BY ALL"
    )
    assert grouped(con, npq.format(new["npq_participants"])) == grouped(
        con, npq.format(old["npq_participants"])
    )
    for collection, ref in (
        ("teacher_census", "teacher_ref"),
        ("npq_participants", "participant_ref"),
    ):
        common = con.sql(
            f"SELECT count(*) FROM read_parquet({old[collection]}) "
            f"JOIN read_parquet({new[collection]}) USING ({ref})"
        ).fetchall()[0][0]
        assert common == 0, collection
    # the new year's NPQ records link to the new year's census, as many as before
    linked = (
        "SELECT count(n.teacher_ref), count(c.teacher_ref) FROM read_parquet({}) n "
        "LEFT JOIN read_parquet({}) c USING (teacher_ref)"
    )
    before = con.sql(linked.format(old["npq_participants"], old["teacher_census"])).fetchall()[0]
    after = con.sql(linked.format(new["npq_participants"], new["teacher_census"])).fetchall()[0]
    assert after == before and after[0] == after[1] > 0
    manifest = json.loads((first / "manifest.json").read_text())
    assert manifest["provenance"] == "synthetic"
    for path in written:
        rows = con.sql(f"SELECT count(*) FROM read_parquet({q(path)})").fetchall()[0][0]
        assert manifest["files"][str(path.relative_to(first))] == rows
    # deterministic from seed and year; a year is never written twice
    add_year(second, 202526)
    for path in written:
        assert filecmp.cmp(path, second / path.relative_to(first), shallow=False)
    with pytest.raises(FileExistsError):
        add_year(first, 202526)
    with pytest.raises(ValueError):
        add_year(first, 202527)


# --- replicated scales ---------------------------------------------------------------------------


def test_scale_20_replicates_ten_census_years_twice(con, tmp_path):
    records = tmp_path / "records"
    manifest = generate(records, 20)
    assert manifest["scale"] == 20
    census = files(records, "teacher_census")
    assert sorted(census, reverse=True) == census_years_in_csv(con)[:10]
    latest = max(census)
    rows, distinct = con.sql(
        f"SELECT count(*), count(DISTINCT teacher_ref) FROM read_parquet({q(census[latest])})"
    ).fetchall()[0]
    assert rows == distinct == manifest["files"][f"teacher_census/{latest}.parquet"]
    compared, wrong = census_mismatches(con, census[latest], latest, times=2)
    assert compared > 500 and wrong == []
    totals = official_totals(con)
    for year, path in files(records, "npq_participants").items():
        starts, unique, linked, found = con.sql(
            f"""SELECT count(*), count(DISTINCT n.participant_ref),
                   count(DISTINCT n.participant_ref) FILTER (WHERE n.teacher_ref IS NOT NULL),
                   count(c.teacher_ref) = count(n.teacher_ref)
            FROM read_parquet({q(path)}) n
            LEFT JOIN read_parquet({q(census[year])}) c USING (teacher_ref)"""
        ).fetchall()[0]
        assert (starts, unique, linked) == tuple(2 * v for v in totals[(year, "Overall")])
        assert found, year
