"""Question 2 marts against published figures, their arithmetic, and the real pupil file."""

import json
import shutil
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest

from pipelines.charts.representation import leaky_pipeline
from pipelines.defs.marts.representation import REPRESENTATION_MARTS
from pipelines.quality.runner import validate
from pipelines.raw import gated_ees_reader, load_files
from pipelines.representation import LOW_COUNT_THRESHOLD, representation_params
from pipelines.sources import SOURCES, input_files, sha256_of
from pipelines.transforms.staging import stage
from pipelines.warehouse import build_from_sql, write_frame

# White British % of pupils (all / state-funded primary / state-funded secondary), England:
# ../shared/reference/README.md section (c), from the official SPC file.
PUBLISHED_WHITE_BRITISH_PUPILS = {
    "2015/16": (69.3, 67.9, 70.9),
    "2016/17": (68.3, 67.2, 69.5),
    "2017/18": (66.9, 66.1, 68.2),
    "2018/19": (66.1, 65.5, 67.0),
    "2019/20": (65.4, 65.0, 65.9),
    "2020/21": (64.9, 64.8, 65.0),
    "2021/22": (63.9, 63.9, 63.9),
}
PHASES = ("Total", "State-funded primary", "State-funded secondary")
REAL_PUPILS = (
    Path(__file__).resolve().parents[1].parent
    / "shared"
    / "realdata"
    / "ees"
    / "spc_pupils_ethnicity_and_language"
)


@pytest.fixture(scope="module")
def db(published):
    con = duckdb.connect(str(published.published_db), read_only=True)
    yield con
    con.close()


def frame(db, sql, params=None) -> pl.DataFrame:
    return db.sql(sql, params=params).pl()


def rows(db, sql, params=None):
    return db.sql(sql, params=params).fetchall()


# --- published headline figures ------------------------------------------------------------------


def test_white_british_share_of_pupils_matches_publication(db):
    got = {
        (r[0], r[1]): r[2]
        for r in rows(
            db,
            "SELECT academic_year, phase_type_grouping, share_of_all_pct "
            "FROM rep_pupils_by_ethnicity WHERE group_set = 'ethnicity_white_british' "
            "AND group_name = 'White British'",
        )
    }
    for year, shares in PUBLISHED_WHITE_BRITISH_PUPILS.items():
        for phase, share in zip(PHASES, shares, strict=True):
            assert round(got[(year, phase)], 1) == share, (year, phase)
    # The headline of the issue, all pupils: Unclassified stays in the denominator.
    assert round(got[("2015/16", "Total")], 1) == 69.3
    assert round(got[("2021/22", "Total")], 1) == 63.9


def test_head_teachers_white_british_2016_17(db):
    ((heads, teachers),) = rows(
        db,
        "SELECT max(share_of_known_pct) FILTER (WHERE grade = 'Head teacher'), "
        "max(share_of_known_pct) FILTER (WHERE grade = 'All teachers') "
        "FROM rep_workforce_by_grade WHERE academic_year = '2016/17' "
        "AND geographic_level = 'National' AND group_set = 'ethnicity_white_british' "
        "AND group_name = 'White British'",
    )
    # EFF v1.4: 93.1% of head teachers and 86.5% of all teachers (known ethnicity).
    assert round(heads, 1) == 93.1
    assert round(teachers, 1) == 86.5


def test_every_official_figure_is_reproduced(db):
    checks = frame(db, "SELECT * FROM rep_published_checks")
    official = checks.filter(pl.col("confidence") == "official")
    assert official.height >= 60
    assert set(official["verdict"]) == {"matches"}, official.filter(
        pl.col("verdict") != "matches"
    ).select("academic_year", "population", "measure", "published_text", "mart_value")
    # Secondary-source figures are checked too, but may differ; years without a pupil census
    # file cannot be checked and say so.
    assert "cannot check: no mart row" in set(checks["verdict"])
    synthetic = checks.filter(pl.col("mart") == "marts.rep_workforce_by_grade")
    assert set(synthetic["provenance"]) == {"synthetic"}
    assert all("synthetic" in note for note in synthetic["note"])


# --- shares and counts ---------------------------------------------------------------------------


def test_workforce_shares_sum_to_100_per_year_and_grade(db):
    sums = frame(
        db,
        "SELECT time_period, area_code, grade, group_set, sum(share_of_all_pct) AS s_all, "
        "sum(share_of_known_pct) FILTER (WHERE group_is_known) AS s_known, "
        "sum(round(share_of_known_pct, 1)) FILTER (WHERE group_is_known) AS s_rounded, "
        "count(*) FILTER (WHERE group_is_known) AS n_known "
        "FROM rep_workforce_by_grade WHERE group_set <> 'ethnicity_unknown_detail' GROUP BY ALL",
    )
    assert sums.height > 0
    assert sums.filter((pl.col("s_all") - 100).abs() > 1e-9).is_empty()
    assert sums.filter((pl.col("s_known") - 100).abs() > 1e-9).is_empty()
    # Rounded to one decimal, as published, each share is off by at most 0.05.
    off = sums.filter((pl.col("s_rounded") - 100).abs() > 0.05 * pl.col("n_known") + 1e-9)
    assert off.is_empty()
    # Every year x area x grade has every set it should.
    national = sums.filter(pl.col("area_code") == "E92000001")
    # sex, ethnicity_major, ethnicity_white_british, ethnicity_white_vs_minority and the DfE
    # convention's ethnicity_minority_ethnic
    assert national.group_by("time_period", "grade").len()["len"].unique().to_list() == [5]


def test_pupil_shares_sum_to_100_per_year_and_phase(db):
    sums = frame(
        db,
        "SELECT time_period, phase_type_grouping, group_set, sum(share_of_all_pct) AS s_all, "
        "sum(share_of_known_pct) FILTER (WHERE group_is_known) AS s_known "
        "FROM rep_pupils_by_ethnicity WHERE group_set <> 'ethnicity_unknown_detail' "
        "AND phase_type_grouping IN ('Total', 'State-funded primary', 'State-funded secondary') "
        "GROUP BY ALL",
    )
    assert sums.height == 7 * 3 * 4  # years x phases x group sets (the DfE convention's too)
    assert sums.filter((pl.col("s_all") - 100).abs() > 1e-9).is_empty()
    assert sums.filter((pl.col("s_known") - 100).abs() > 1e-9).is_empty()


def test_leadership_and_all_teachers_add_up(db):
    by_grade = frame(
        db,
        "SELECT time_period, area_code, group_name, grade, headcount FROM rep_workforce_by_grade "
        "WHERE group_set = 'ethnicity_major'",
    ).pivot(on="grade", index=["time_period", "area_code", "group_name"], values="headcount")
    leaders = (
        pl.col("Head teacher") + pl.col("Deputy head teacher") + pl.col("Assistant head teacher")
    )
    assert by_grade.filter(pl.col("Leadership") != leaders).is_empty()
    assert by_grade.filter(
        pl.col("All teachers") != leaders + pl.col("Classroom teacher")
    ).is_empty()
    regions = frame(
        db,
        "SELECT time_period, grade, group_name, sum(headcount) FILTER "
        "(WHERE geographic_level = 'Regional') AS regions, sum(headcount) FILTER "
        "(WHERE geographic_level = 'National') AS england, "
        "count(DISTINCT area_code) FILTER (WHERE geographic_level = 'Regional') AS n "
        "FROM rep_workforce_by_grade WHERE group_set = 'ethnicity_major' GROUP BY ALL",
    )
    assert regions["n"].unique().to_list() == [9]
    assert regions.filter(pl.col("regions") != pl.col("england")).is_empty()


def test_denominators_are_stated_and_differ_by_unknowns(db):
    heads = frame(
        db,
        "SELECT group_name, headcount, denominator_all_headcount AS d_all, "
        "denominator_known_headcount AS d_known, share_denominators FROM rep_workforce_by_grade "
        "WHERE academic_year = '2016/17' AND geographic_level = 'National' "
        "AND grade = 'Head teacher' AND group_set = 'ethnicity_major'",
    )
    unknown = heads.filter(pl.col("group_name") == "Unknown / refused / not obtained").row(
        0, named=True
    )
    assert unknown["d_all"] - unknown["d_known"] == unknown["headcount"] > 0
    assert heads["share_denominators"].str.contains("known ethnicity").all()


def test_low_count_flag_follows_the_threshold(db):
    assert representation_params()["low_count_threshold"] == LOW_COUNT_THRESHOLD
    flagged = frame(
        db,
        "SELECT headcount, denominator_all_headcount AS d, low_count FROM rep_workforce_by_grade",
    )
    expected = (pl.col("headcount") < LOW_COUNT_THRESHOLD) | (pl.col("d") < LOW_COUNT_THRESHOLD)
    assert flagged.filter(pl.col("low_count") != expected).is_empty()
    assert flagged["low_count"].any(), "small regional groups should be flagged"


def test_low_count_threshold_is_configurable(monkeypatch):
    monkeypatch.setenv("NPQ_LOW_COUNT_THRESHOLD", "25")
    assert representation_params()["low_count_threshold"] == 25
    monkeypatch.setenv("NPQ_LOW_COUNT_THRESHOLD", "ten")
    with pytest.raises(ValueError, match="NPQ_LOW_COUNT_THRESHOLD"):
        representation_params()


# --- gaps, bounds, pipeline, trends --------------------------------------------------------------


def test_gap_is_grade_share_minus_comparator_share(db):
    shares = dict(
        rows(
            db,
            "SELECT grade, share_of_known_pct FROM rep_workforce_by_grade "
            "WHERE academic_year = '2021/22' AND geographic_level = 'National' "
            "AND group_set = 'ethnicity_white_vs_minority' AND group_name = 'Ethnic minority'",
        )
    )
    ((pupils,),) = rows(
        db,
        "SELECT share_of_known_pct FROM rep_pupils_by_ethnicity WHERE academic_year = '2021/22' "
        "AND phase_type_grouping = 'Total' AND group_set = 'ethnicity_white_vs_minority' "
        "AND group_name = 'Ethnic minority'",
    )
    gaps = {
        r[0]: r[1:]
        for r in rows(
            db,
            "SELECT comparator, gap_pp, representation_ratio, representation, provenance "
            "FROM rep_representation_gaps WHERE academic_year = '2021/22' "
            "AND area_name = 'England' AND grade = 'Head teacher' "
            "AND group_set = 'ethnicity_white_vs_minority' AND group_name = 'Ethnic minority'",
        )
    }
    head, classroom = shares["Head teacher"], shares["Classroom teacher"]
    assert gaps["Classroom teacher"][0] == pytest.approx(head - classroom)
    assert gaps["Classroom teacher"][1] == pytest.approx(head / classroom)
    assert gaps["Pupils"][0] == pytest.approx(head - pupils)
    assert gaps["Pupils"][2] == "under-represented"
    assert gaps["Pupils"][3] == "synthetic"  # synthetic teachers against published pupils


def test_unknown_bounds_span_both_sides_unknowns(db):
    gaps = frame(
        db,
        "SELECT * FROM rep_representation_gaps WHERE group_is_known "
        "AND group_set LIKE 'ethnicity%'",
    )
    assert gaps.filter(
        (pl.col("gap_pp") < pl.col("gap_pp_lower_bound") - 1e-9)
        | (pl.col("gap_pp") > pl.col("gap_pp_upper_bound") + 1e-9)
    ).is_empty()
    unknown = frame(
        db,
        "SELECT time_period, area_code, grade, share_of_all_pct AS u FROM rep_workforce_by_grade "
        "WHERE group_set = 'ethnicity_white_vs_minority' AND group_name = 'Unknown'",
    )
    one = gaps.filter(
        (pl.col("comparator") == "Classroom teacher")
        & (pl.col("group_set") == "ethnicity_white_vs_minority")
    ).join(unknown, on=["time_period", "area_code", "grade"])
    one = one.join(
        unknown.rename({"grade": "comparator", "u": "u_comparator"}),
        on=["time_period", "area_code", "comparator"],
    )
    width = pl.col("gap_pp_upper_bound") - pl.col("gap_pp_lower_bound")
    assert one.height > 0
    assert one.filter((width - pl.col("u") - pl.col("u_comparator")).abs() > 1e-9).is_empty()


def test_leaky_pipeline_stages(db):
    chain = frame(
        db,
        "SELECT academic_year, stage, share_pct, step_change_pp, previous_share_pct "
        "FROM rep_leaky_pipeline WHERE group_set = 'ethnicity_white_vs_minority' "
        "AND group_name = 'Ethnic minority' ORDER BY year_start, stage_order",
    )
    year = chain.filter(pl.col("academic_year") == "2021/22")
    assert year["stage"].to_list() == [
        "Pupils",
        "Early career teachers",
        "Classroom teacher",
        "Assistant head teacher",
        "Deputy head teacher",
        "Head teacher",
    ]
    assert (
        year["step_change_pp"][1:] - (year["share_pct"][1:] - year["share_pct"][:-1])
    ).abs().max() < 1e-9
    # Years without a pupil census file start at classroom teachers; sex never has pupils.
    assert "Pupils" not in chain.filter(pl.col("academic_year") == "2024/25")["stage"].to_list()
    assert rows(
        db, "SELECT count(*) FROM rep_leaky_pipeline WHERE group_set = 'sex' AND stage = 'Pupils'"
    ) == [(0,)]


def test_trend_and_year_of_parity_follow_the_gaps(db):
    gaps = frame(
        db,
        "SELECT area_code, grade, comparator, group_set, group_name, year_start, gap_pp "
        "FROM rep_representation_gaps WHERE area_name = 'England'",
    )
    trends = frame(db, "SELECT * FROM rep_gap_trends WHERE area_name = 'England'")
    window = representation_params()["trend_window_years"]
    keys = ["area_code", "grade", "comparator", "group_set", "group_name"]
    checked = {"closing": 0, "not closing": 0}
    for key, series in gaps.sort("year_start").group_by(keys, maintain_order=True):
        recent = series.filter(pl.col("year_start") > series["year_start"].max() - window)
        slope, intercept = np.polyfit(recent["year_start"], recent["gap_pp"], 1)
        row = trends.filter(
            pl.all_horizontal(pl.col(k) == v for k, v in zip(keys, key, strict=True))
        ).row(0, named=True)
        assert row["gap_change_pp_per_year"] == pytest.approx(slope, abs=1e-9)
        fitted = intercept + slope * row["last_year_start"]
        if np.sign(slope) == -np.sign(fitted):
            parity = row["parity_year_start"]
            assert row["trend"] == "closing"
            # The fitted line has reached 0 by the parity year, not the year before.
            assert np.sign(intercept + slope * parity) != np.sign(fitted)
            assert np.sign(intercept + slope * (parity - 1)) == np.sign(fitted)
            assert row["year_of_parity"] == f"{parity}/{(parity + 1) % 100:02d}"
        else:
            assert row["year_of_parity"] == "not closing"
        checked[row["year_of_parity"] if row["trend"] != "closing" else "closing"] += 1
    assert checked["closing"] > 0 and checked["not closing"] > 0


def test_npq_pipeline_against_feeder_grades(db):
    npq = frame(db, "SELECT * FROM rep_npq_pipeline WHERE academic_year = '2023/24'")
    overall = npq.filter(pl.col("funding") == "Overall")
    # NPQH is read against deputy and assistant heads, whose share pools both grades.
    npqh = overall.filter(
        (pl.col("course_code") == "NPQH") & (pl.col("group_name") == "Ethnic minority")
    ).row(0, named=True)
    assert npqh["feeder_grade"] == "Deputy and assistant heads"
    ((pooled,),) = rows(
        db,
        "SELECT 100 * sum(headcount) / sum(denominator_known_headcount) "
        "FROM rep_workforce_by_grade WHERE academic_year = '2023/24' "
        "AND geographic_level = 'National' AND group_name = 'Ethnic minority' "
        "AND group_set = 'ethnicity_white_vs_minority' "
        "AND grade IN ('Deputy head teacher', 'Assistant head teacher')",
    )
    assert npqh["feeder_share_pct"] == pytest.approx(pooled)
    # A course's own ethnic mix is not published: no share is made up for it.
    courses = overall.filter(pl.col("course_code") != "All")
    assert set(courses["npq_share_status"]) == {"not_available"}
    assert courses["npq_share_pct"].null_count() == courses.height
    # All courses: the minority share is the sum of the minority major groups.
    all_courses = overall.filter(
        (pl.col("course_code") == "All") & (pl.col("feeder_grade") == "Head teacher")
    )
    minority = all_courses.filter(pl.col("group_name") == "Ethnic minority")["npq_share_pct"][0]
    majors = all_courses.filter(
        (pl.col("group_set") == "ethnicity_major")
        & pl.col("group_is_known")
        & (pl.col("group_name") != "White")
    )["npq_share_pct"].sum()
    assert minority == pytest.approx(majors)
    assert set(overall["provenance"]) == {"synthetic"}


def test_regional_view_has_every_region_and_london_stands_out(db):
    latest = frame(
        db,
        "SELECT area_name, share_of_known_pct FROM rep_workforce_by_grade "
        "WHERE year_start = (SELECT max(year_start) FROM rep_workforce_by_grade) "
        "AND grade = 'Classroom teacher' AND group_set = 'ethnicity_white_vs_minority' "
        "AND group_name = 'Ethnic minority' ORDER BY share_of_known_pct DESC",
    )
    assert latest.height == 10  # England and nine regions
    assert latest["area_name"][0] == "London"
    assert rows(
        db,
        "SELECT count(DISTINCT area_code) FROM rep_representation_gaps "
        "WHERE geographic_level = 'Regional'",
    ) == [(9,)]


# --- provenance, quality gate, charts ------------------------------------------------------------


def test_every_row_says_where_it_comes_from(db):
    for mart in REPRESENTATION_MARTS:
        provenance = {r[0] for r in rows(db, f"SELECT DISTINCT provenance FROM {mart}")}
        assert provenance and provenance <= {"published", "synthetic", "derived"}, mart
    assert {r[0] for r in rows(db, "SELECT DISTINCT provenance FROM rep_pupils_by_ethnicity")} == {
        "published"
    }
    for mart in ("rep_representation_gaps", "rep_leaky_pipeline", "rep_npq_pipeline"):
        silent = rows(
            db,
            f"SELECT count(*) FROM {mart} WHERE inputs_provenance LIKE '%synthetic%' "
            "AND provenance <> 'synthetic'",
        )
        assert silent == [(0,)], mart


def test_the_suite_stops_an_unmapped_ethnicity_label(db):
    workforce = frame(db, "SELECT * FROM rep_workforce_by_grade LIMIT 200")
    broken = workforce.with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(None)
        .otherwise(pl.col("group_name"))
        .alias("group_name")
    )
    result = validate(broken.to_pandas(), "marts.rep_workforce_by_grade")
    assert not result.success
    assert any(f.column == "group_name" for f in result.failures)


def test_representation_charts_are_published(published, db):
    charts = published.marts / "charts"
    for name in ("rep_leaky_pipeline", "rep_gap_trends", "rep_npq_pipeline", "rep_regional_gaps"):
        for suffix in ("png", "svg", "csv", "alt.txt", "json"):
            assert (charts / f"{name}.{suffix}").stat().st_size > 0, (name, suffix)
        spec = json.loads((charts / f"{name}.json").read_text())
        assert spec["synthetic"] is True, name
        assert "SYNTHETIC" in (charts / f"{name}.svg").read_text(), name
    ((pupils, heads),) = rows(
        db,
        "SELECT max(share_pct) FILTER (WHERE stage = 'Pupils'), "
        "max(share_pct) FILTER (WHERE stage = 'Head teacher') FROM rep_leaky_pipeline "
        "WHERE academic_year = '2021/22' AND group_set = 'ethnicity_minority_ethnic' "
        "AND group_name = 'Minority ethnic (all except White British)'",
    )
    alt = (charts / "rep_leaky_pipeline.alt.txt").read_text()
    assert f"{pupils:.1f}% of pupils" in alt and f"{heads:.1f}% of head teachers" in alt


def test_a_chart_of_published_rows_carries_no_stamp(db):
    mart = frame(db, "SELECT * FROM rep_leaky_pipeline").with_columns(
        provenance=pl.lit("published")
    )
    _, spec, _ = leaky_pipeline(mart)
    assert spec.synthetic is False
    assert "SYNTHETIC" not in spec.footer()


# --- the real pupil ethnicity file ---------------------------------------------------------------


@pytest.mark.skipif(
    not (REAL_PUPILS / "data.csv.gz").is_file(),
    reason=f"real pupil ethnicity file absent: {REAL_PUPILS} (../shared/realdata not here)",
)
def test_real_pupil_file_gives_the_same_national_shares(db, tmp_path):
    """The published SPC file (national, regional and LA rows) through the normal path: a
    release folder with a manifest, the gated raw loader, staging, then the mart SQL."""
    source = SOURCES["spc_pupils_ethnicity_and_language"]
    release = source.folder(tmp_path / "raw") / "2021-22"
    release.mkdir(parents=True)
    for name in ("data.csv.gz", "meta.csv"):
        shutil.copy(REAL_PUPILS / name, release / name)
    manifest = {
        "source": "ees",
        "dataset": source.name,
        "release": "2021/22",
        "data_set_id": source.data_set_id,
        "data_set_title": source.title,
        "files": [
            {
                "path": "data.csv.gz",
                "sha256": sha256_of(release / "data.csv.gz"),
                "provenance": "published",
            }
        ],
    }
    (release / "manifest.json").write_text(json.dumps(manifest))

    raw = load_files(input_files(source, tmp_path / "raw"), gated_ees_reader(tmp_path / "log"))
    staged = stage(raw, source)
    assert staged["geographic_level"].n_unique() > 1  # the whole file, not an extract

    with duckdb.connect(str(tmp_path / "real.duckdb")) as con:
        write_frame(con, "staging", source.name, staged)
        build_from_sql(con, "marts", "rep_dim_ethnicity")
        build_from_sql(
            con,
            "marts",
            "rep_pupils_by_ethnicity",
            {"low_count_threshold": LOW_COUNT_THRESHOLD},
        )
        real = con.sql(
            "SELECT time_period, phase_type_grouping, group_set, group_name, headcount, "
            "share_of_all_pct, share_of_known_pct FROM marts.rep_pupils_by_ethnicity"
        ).pl()
    embedded = frame(
        db,
        "SELECT time_period, phase_type_grouping, group_set, group_name, headcount, "
        "share_of_all_pct, share_of_known_pct FROM rep_pupils_by_ethnicity",
    )
    keys = ["time_period", "phase_type_grouping", "group_set", "group_name"]
    both = real.join(embedded, on=keys, how="full", suffix="_embedded", nulls_equal=True)
    assert both.height == embedded.height == real.height
    assert both.filter(pl.col("headcount") != pl.col("headcount_embedded")).is_empty()
    for column in ("share_of_all_pct", "share_of_known_pct"):
        diff = (pl.col(column) - pl.col(f"{column}_embedded")).abs()
        assert both.filter(diff > 1e-9).is_empty(), column
    white_british = real.filter(
        (pl.col("phase_type_grouping") == "Total") & (pl.col("group_name") == "White British")
    )
    shares = dict(zip(white_british["time_period"], white_british["share_of_all_pct"], strict=True))
    assert round(shares["201516"], 1) == 69.3
    assert round(shares["202122"], 1) == 63.9
