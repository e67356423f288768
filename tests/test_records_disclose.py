"""Disclosure control of the record-level marts: nothing below the threshold is published and
no withheld count can be worked out from what is."""

import duckdb
import numpy as np
import polars as pl
import pytest

from pipelines.disclosure import audit
from pipelines.paths import SQL_DIR
from pipelines.records.disclose import protect_mart

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
    return raw, protect_mart("rec_workforce_by_grade", raw, {})


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
        assert all(high - low >= 1 for _, low, high in ranges), group_set


def test_a_small_unknown_group_withholds_the_known_denominator_and_shares(workforce):
    _, published = workforce
    deputies = published.filter(
        (pl.col("grade") == "Deputy head teacher")
        & (pl.col("group_set") == "ethnicity_major")
        & (pl.col("area_code") == R)
    )
    assert set(deputies["denominator_known_headcount_status"]) == {"c"}
    assert set(deputies["share_of_known_pct_status"]) == {"c"}
    assert deputies["share_of_known_pct"].null_count() == deputies.height


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


def test_course_line_gets_a_secondary_suppression():
    frame = pl.DataFrame(
        {
            "time_period": [202425] * 3,
            "funding": ["Overall"] * 3,
            "course_code": ["NPQH", "NPQSL", "NPQEL"],
            "npq_starts": [120, 80, 4],
        }
    ).with_columns(percent_of_year_starts=pl.col("npq_starts") * 100 / pl.col("npq_starts").sum())
    out = protect_mart("rec_npq_takeup_by_course", frame, {})
    assert out.filter(pl.col("npq_starts_status") == "c")["course_code"].to_list() == [
        "NPQEL",
        "NPQSL",
    ]
    assert out.filter(pl.col("npq_starts_status") == "c")["percent_of_year_starts"].is_null().all()
    assert np.isclose(out.filter(pl.col("course_code") == "NPQH")["npq_starts"][0], 120)


def test_a_rerun_protects_only_the_years_that_changed_and_gives_the_same_tables():
    from pipelines.records.disclose import protect_years

    two_years = pl.concat(
        [
            _workforce(CELLS),
            _workforce(CELLS).with_columns(time_period=pl.lit(202324, pl.Int32)),
        ]
    )
    marts = {"rec_workforce_by_grade": two_years}
    first, keys, fresh = protect_years(marts)
    assert fresh == [202324, 202425]

    changed = _workforce([*CELLS[:-1], (*CELLS[-1][:4], 9)])  # one cell of 2024/25 changes
    marts = {
        "rec_workforce_by_grade": pl.concat(
            [changed, two_years.filter(pl.col("time_period") == 202324)]
        )
    }
    again, _, fresh = protect_years(marts, first, keys)
    assert fresh == [202425]
    from_scratch, _, _ = protect_years(marts)
    assert again["rec_workforce_by_grade"].equals(from_scratch["rec_workforce_by_grade"])
    assert not again["rec_workforce_by_grade"].equals(first["rec_workforce_by_grade"])
