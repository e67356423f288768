"""Disclosure control of the record-level marts: nothing below the threshold is published and
no withheld count can be worked out from what is."""

import duckdb
import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.disclosure import audit
from pipelines.paths import SQL_DIR
from pipelines.records.disclose import protect
from tests.attacker import record_board

SQL = SQL_DIR / "records"


def _workforce(cells: list[tuple]) -> pl.DataFrame:
    """rec_workforce_by_grade built by its own SQL from a hand-made census cube."""
    cube = pl.DataFrame(
        cells,
        schema=["grade", "sex", "ethnicity_major", "region_code", "headcount"],
        orient="row",
    ).with_columns(
        time_period=pl.lit(202425, pl.Int32),
        ethnicity_minor=pl.lit(None, pl.String),
        headcount=pl.col("headcount").cast(pl.Int64),
    )
    with duckdb.connect() as con:
        con.execute("CREATE SCHEMA staging")
        con.register("cube", cube)
        con.execute("CREATE TABLE staging.rec_teacher_census_cube AS SELECT * FROM cube")
        con.execute((SQL / "_macros.sql").read_text())
        return con.sql((SQL / "rec_workforce_by_grade.sql").read_text()).pl()


UNKNOWN = "Unknown / refused / information not yet obtained"
R = "E12000001"
CELLS = [
    ("Head teacher", "Female", "White", R, 40),
    ("Head teacher", "Male", "White", R, 35),
    ("Head teacher", "Female", "Asian / Asian British", R, 4),  # small: withheld
    ("Head teacher", "Female", UNKNOWN, R, 12),
    ("Deputy head teacher", "Female", "White", R, 60),
    ("Deputy head teacher", "Male", "Asian / Asian British", R, 15),
    ("Deputy head teacher", "Male", UNKNOWN, R, 3),  # small unknown: known shares withheld
    ("Assistant head teacher", "Female", "White", R, 80),
    ("Assistant head teacher", "Male", "Asian / Asian British", R, 22),
    ("Classroom teacher", "Female", "White", R, 900),
    ("Classroom teacher", "Male", "Asian / Asian British", R, 150),
    ("Classroom teacher", "Female", UNKNOWN, R, 40),
    # three Black leaders, all heads: Leadership = All teachers - classroom teachers = 3
    ("Head teacher", "Male", "Black / African / Caribbean / Black British", R, 3),
    ("Classroom teacher", "Male", "Black / African / Caribbean / Black British", R, 50),
]


@pytest.fixture(scope="module")
def workforce():
    raw = _workforce(CELLS)
    return raw, protect({"rec_workforce_by_grade": raw})["rec_workforce_by_grade"]


def test_no_published_count_is_below_the_threshold(workforce):
    _, published = workforce
    shown = published.filter(pl.col("headcount_status") == "value")
    assert shown["headcount"].min() >= 10
    assert published.filter(pl.col("headcount_status") == "c").height >= 2  # primary + secondary


@pytest.mark.parametrize(
    ("grades", "total"),
    [
        (["Leadership", "Classroom teacher"], "All teachers"),
        (["Head teacher", "Deputy head teacher", "Assistant head teacher"], "Leadership"),
        (["Head teacher", "Deputy head teacher", "Assistant head teacher", "Classroom teacher"],
         "All teachers"),
    ],
    ids=["leadership_and_classroom", "within_leadership", "four_grades"],
)  # fmt: skip
def test_no_withheld_cell_can_be_recovered_from_rows_and_totals(workforce, grades, total):
    """An attacker's linear programme over each table a reader can add up: grades x groups,
    each grade's denominator and the total grade as margins."""
    raw, published = workforce
    lines = ["time_period", "area_code", "group_set"]
    grid = raw.filter(pl.col("grade").is_in([*grades, total])).join(
        published.select(*lines, "grade", "group_name", "headcount_status"),
        on=[*lines, "grade", "group_name"],
    )
    for (_, _, group_set), table in grid.group_by(lines):
        margins = table.group_by("grade").agg(
            pl.col("headcount").sum(), pl.lit("Total").alias("group_name")
        )
        hidden_margin = published.filter(
            (pl.col("group_set") == group_set) & (pl.col("denominator_all_headcount_status") == "c")
        )["grade"].unique()
        cells = pl.concat(
            [
                table.select("grade", "group_name", "headcount", "headcount_status"),
                margins.with_columns(
                    headcount_status=pl.when(pl.col("grade").is_in(hidden_margin.implode()))
                    .then(pl.lit("c"))
                    .otherwise(pl.lit("value"))
                ).select("grade", "group_name", "headcount", "headcount_status"),
            ]
        ).with_columns(pl.when(pl.col("grade") == total).then(pl.lit("Total")).otherwise("grade"))
        ranges = audit(
            cells["grade"].to_list(),
            cells["group_name"].to_list(),
            cells["headcount"].to_numpy().astype(float),
            (cells["headcount_status"] == "c").to_numpy(),
        )
        # nothing that could be a small count is known to within the threshold
        assert all(high - low >= 10 or low >= 10 for _, low, high in ranges), group_set


def test_a_small_unknown_group_is_not_given_away_by_the_two_denominators(workforce):
    """Known denominator = all - unknown: a small unknown group is withheld with one of them
    (or enough beside it), and the shares built on a withheld denominator go with it."""
    _, published = workforce
    deputies = published.filter(
        (pl.col("grade") == "Deputy head teacher")
        & (pl.col("group_set") == "ethnicity_major")
        & (pl.col("area_code") == R)
    )
    unknown = deputies.filter(pl.col("group_name").str.starts_with("Unknown"))
    assert unknown["headcount_status"].to_list() == ["c"]
    statuses = {deputies["denominator_known_headcount_status"][0],
                deputies["denominator_all_headcount_status"][0]}  # fmt: skip
    shown = deputies.filter(pl.col("headcount_status") == "value")["headcount"].sum()
    assert "c" in statuses or shown < deputies["denominator_known_headcount"].max() - 10
    for share, denominator in (("share_of_known_pct", "denominator_known_headcount"),
                               ("share_of_all_pct", "denominator_all_headcount")):  # fmt: skip
        hidden = deputies.filter(pl.col(f"{denominator}_status") == "c")
        assert set(hidden[f"{share}_status"]) <= {"c"}
    assert not record_board({"rec_workforce_by_grade": published}).pins()


def test_a_small_leadership_count_is_withheld_with_what_would_give_it_away(workforce):
    _, published = workforce
    black = published.filter(
        (pl.col("area_code") == R)
        & (pl.col("group_set") == "ethnicity_major")
        & pl.col("group_name").str.starts_with("Black")
    )
    status = dict(zip(black["grade"], black["headcount_status"], strict=True))
    assert status["Leadership"] == "c" and status["Head teacher"] == "c"
    assert "c" in (status["Classroom teacher"], status["All teachers"])


def _takeup(courses: dict[str, int], year: int = 202425) -> dict[str, pl.DataFrame]:
    """By-year and by-course take-up of one year (Overall only)."""
    course = pl.DataFrame(
        {
            "time_period": year,
            "funding": "Overall",
            "course_code": list(courses),
            "npq_starts": list(courses.values()),
        },
        schema_overrides={"time_period": pl.Int32},
    ).with_columns(
        academic_year=pl.lit("2024/25"),
        percent_of_year_starts=pl.col("npq_starts") * 100 / pl.col("npq_starts").sum(),
    )
    year_frame = (
        course.group_by("time_period", "academic_year", "funding")
        .agg(pl.col("npq_starts").sum())
        .with_columns(
            npq_unique_participants=pl.col("npq_starts"),
            cumulative_npq_starts_in_window=pl.lit(None, pl.Int64),
            percent_of_target=pl.lit(None, pl.Float64),
        )
    )
    return {"rec_npq_takeup_by_year": year_frame, "rec_npq_takeup_by_course": course}


def test_course_line_gets_a_secondary_suppression():
    out = protect(_takeup({"NPQH": 120, "NPQSL": 80, "NPQEL": 4}))["rec_npq_takeup_by_course"]
    withheld = out.filter(pl.col("npq_starts_status") == "c")
    assert withheld["course_code"].to_list() == ["NPQEL", "NPQSL"]
    assert withheld["percent_of_year_starts"].is_null().all()
    assert np.isclose(out.filter(pl.col("course_code") == "NPQH")["npq_starts"][0], 120)


def test_a_withheld_year_is_not_the_difference_of_two_running_totals():
    """Running total within the target window: cumulative(t) = cumulative(t-1) + starts(t).
    A small year's starts must not be published as the difference of two totals."""
    years = []
    for year, starts in ((202122, 500), (202223, 6), (202324, 700)):
        years.append(_takeup({"NPQH": starts}, year)["rec_npq_takeup_by_year"])
    frame = (
        pl.concat(years)
        .sort("time_period")
        .with_columns(
            cumulative_npq_starts_in_window=pl.col("npq_starts").cum_sum(),
        )
        .with_columns(percent_of_target=pl.col("cumulative_npq_starts_in_window") * 100 / 150000)
    )
    out = protect({"rec_npq_takeup_by_year": frame})["rec_npq_takeup_by_year"]
    assert out.filter(pl.col("time_period") == 202223)["npq_starts_status"][0] == "c"
    board = record_board({"rec_npq_takeup_by_year": out})
    assert not board.pins()
    cumulative = out["cumulative_npq_starts_in_window_status"].to_list()
    assert "c" in cumulative
    hidden = out.filter(pl.col("cumulative_npq_starts_in_window_status") == "c")
    assert hidden["percent_of_target"].is_null().all()


def test_rounded_course_starts_that_add_up_to_the_year_are_backed_by_suppression():
    """Rounded to 5, courses of 7, 2 and 42 starts under a published year of 51 give every
    course back exactly (each rounded figure is at the top of its range). The table chosen
    for rounding is shown rounded, and the engine withholds what rounding alone would leak."""
    marts = _takeup({"NPQH": 7, "NPQSL": 2, "NPQEL": 42})
    rounded = {"rec_npq_takeup_by_course": 5}
    naive = marts["rec_npq_takeup_by_course"].with_columns(
        npq_starts=((pl.col("npq_starts") / 5 + 0.5).floor() * 5).cast(pl.Int64),
        npq_starts_status=pl.lit("value"),
    )
    year = marts["rec_npq_takeup_by_year"].with_columns(npq_starts_status=pl.lit("value"))
    naive_board = record_board(
        {"rec_npq_takeup_by_year": year, "rec_npq_takeup_by_course": naive}, rounded
    )
    assert naive_board.pins(), "rounding alone was expected to give a course away"

    out = protect(marts, rounding=rounded)
    course = out["rec_npq_takeup_by_course"]
    shown = course.filter(pl.col("npq_starts_status") == "value")
    assert (shown["npq_starts"] % 5 == 0).all()
    assert course.filter(pl.col("npq_starts_status") == "c").height >= 1
    # the share is rebuilt from the rounded starts, so it gives no exact count back
    total = out["rec_npq_takeup_by_year"]["npq_starts"][0]
    assert np.allclose(shown["percent_of_year_starts"], shown["npq_starts"] * 100 / total)
    assert not record_board(out, rounded).pins()


def test_only_tables_whose_rates_can_be_rebuilt_are_rounded():
    with pytest.raises(ValueError, match="rounding is offered"):
        protect(_takeup({"NPQH": 70}), rounding={"rec_npq_takeup_by_year": 5})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    starts=st.lists(st.integers(0, 60), min_size=2, max_size=5), base=st.sampled_from([3, 5, 10])
)
def test_generated_rounded_course_tables_give_no_count_back(starts, base):
    courses = {f"C{i}": n for i, n in enumerate(starts)}
    rounded = {"rec_npq_takeup_by_course": base}
    out = protect(_takeup(courses), rounding=rounded)
    assert not record_board(out, rounded).pins()


def test_the_aggregate_minority_ethnic_figure_gives_no_small_other_white_count_away():
    """The aggregate publication's 'Minority ethnic (all except White British)' counts the
    same teachers as the record-level Other White + Ethnic minority: with the latter
    published, a small Other White count withheld here must not be its difference."""
    cube = pl.DataFrame(
        [
            ("Head teacher", "Female", "White", "White - White British", R, 60),
            ("Head teacher", "Male", "White", "White - White British", R, 45),
            ("Head teacher", "Female", "White", "White - Irish", R, 4),  # small Other White
            ("Head teacher", "Female", "Asian / Asian British", None, R, 30),
            ("Head teacher", "Male", "Black / African / Caribbean / Black British", None, R, 25),
            ("Classroom teacher", "Female", "White", "White - White British", R, 900),
            ("Classroom teacher", "Male", "White", "White - Irish", R, 70),
            ("Classroom teacher", "Male", "Asian / Asian British", None, R, 150),
        ],
        schema=["grade", "sex", "ethnicity_major", "ethnicity_minor", "region_code", "headcount"],
        orient="row",
    ).with_columns(
        time_period=pl.lit(202425, pl.Int32), headcount=pl.col("headcount").cast(pl.Int64)
    )
    with duckdb.connect() as con:
        con.execute("CREATE SCHEMA staging")
        con.register("cube", cube)
        con.execute("CREATE TABLE staging.rec_teacher_census_cube AS SELECT * FROM cube")
        con.execute((SQL / "_macros.sql").read_text())
        raw = con.sql((SQL / "rec_workforce_by_grade.sql").read_text()).pl()
    # the aggregate publication: the same teachers, in its own group set
    sets = raw.filter(pl.col("group_set") == "ethnicity_white_british")
    aggregate = (
        sets.with_columns(
            group_set=pl.lit("ethnicity_minority_ethnic"),
            group_name=pl.col("group_name").replace(
                {
                    "Other White": "Minority ethnic (all except White British)",
                    "Ethnic minority": "Minority ethnic (all except White British)",
                }
            ),
        )
        .group_by("time_period", "area_code", "grade", "group_set", "group_name")
        .agg(pl.col("headcount").sum())
        .with_columns(provenance=pl.lit("synthetic"))
    )
    out = protect({"rec_workforce_by_grade": raw}, elsewhere=aggregate)
    board = record_board({**out, "aggregate_workforce": aggregate})
    assert not board.pins()
