"""Mart SQL on small given tables, compared with expected tables (as dbt unit tests do).

Each test creates the mart's input tables in an in-memory DuckDB, runs the mart's SQL file with
its parameters bound and compares the rows it cares about with a table written out by hand. The
fixtures carry the cases the embedded data never has: a suppressed starts year inside the target
window, teachers of unknown sex, refused ethnicity, unclassified pupils.
"""

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pipelines.policy import takeup_params
from pipelines.representation import representation_params
from pipelines.warehouse import build_from_sql, qualified, read_sql, write_frame


@pytest.fixture
def con():
    con = duckdb.connect(":memory:")
    yield con
    con.close()


def run_mart(con, name: str, params: dict) -> pl.DataFrame:
    """Build the mart from its SQL file, binding the parameters it uses (as its asset does)."""
    params = {k: v for k, v in params.items() if f"${k}" in read_sql("marts", name)}
    build_from_sql(con, "marts", name, params)
    return con.sql(f"SELECT * FROM {qualified('marts', name)}").pl()


def expect(got: pl.DataFrame, expected: pl.DataFrame, keys: list[str]) -> None:
    got = got.select(expected.columns).sort(keys)
    assert_frame_equal(got, expected.sort(keys), check_dtypes=False, abs_tol=1e-9)


# --- npq_takeup_by_year: a suppressed year inside the target window ----------------------------


def takeup_rows(funding: str, starts: dict[int, int | None]) -> list[dict]:
    return [
        {
            "geographic_level": "National",
            "breakdown": "Overall",
            "group_name": "Overall",
            "academic_year": f"{year}/{(year + 1) % 100:02d}",
            "time_period": year * 100 + (year + 1) % 100,
            "year_start": year,
            "funding": funding,
            "npq_starts": value,
            "npq_starts_status": "value" if value is not None else "c",
            "npq_unique_participants": None if value is None else value - 1,
            "npq_unique_participants_status": "value" if value is not None else "c",
            "percent_workforce_npq_participation": None,
            "provenance": "published",
            "source_data_set": "test",
            "source_release": "test",
        }
        for year, value in starts.items()
    ]


def test_a_suppressed_window_year_stops_the_cumulative_count(con):
    assert takeup_params()["window_first"] == 2021 and takeup_params()["window_last"] == 2023
    given = pl.DataFrame(
        takeup_rows("Overall", {2021: 1000, 2022: None, 2023: 3000, 2024: 4000})
        + takeup_rows("Funded", {2021: 100, 2022: 200, 2023: 300})
        + takeup_rows("Non-funded", {2021: None, 2022: 20, 2023: 30}),
        schema_overrides={"npq_starts": pl.Int64, "npq_unique_participants": pl.Int64},
    )
    write_frame(con, "staging", "npq_participants", given)
    # The cumulative headline (NPQ workforce) is published for Overall 2021/22 only here.
    workforce = pl.DataFrame(
        {
            "geographic_level": ["National"],
            "time_period": [202122],
            "funding": ["Overall"],
            "npq_participants": [900.0],
            "total_teachers": [10_000.0],
            "percentage": [9.0],
            "percentage_status": ["value"],
            "provenance": ["synthetic"],
        }
    )
    write_frame(con, "staging", "npq_workforce", workforce)
    got = run_mart(con, "npq_takeup_by_year", takeup_params())
    target = 150_000
    expected = pl.DataFrame(
        {
            "funding": ["Overall"] * 4 + ["Funded"] * 3 + ["Non-funded"] * 3,
            "year_start": [2021, 2022, 2023, 2024, 2021, 2022, 2023, 2021, 2022, 2023],
            "in_target_window": [True, True, True, False] + [True] * 6,
            # A suppressed window year: no cumulative figure from that year on (never 0 for it).
            "cumulative_npq_starts_in_window": [1000, None, None, None, 100, 300, 600] + [None] * 3,
            "cumulative_npq_unique_participants_in_window": [999, None, None, None]
            + [99, 298, 597]
            + [None] * 3,
            "gap_to_target": [target - 1000, None, None, None]
            + [target - 100, target - 300, target - 600]
            + [None] * 3,
            "pace_achieved_per_year": [1000.0, None, None, None, 100.0, 150.0, 200.0] + [None] * 3,
            "cumulative_unique_participants_since_2021": [900] + [None] * 9,
            "cumulative_percent_teachers_started_since_2021": [9.0] + [None] * 9,
            # The weakest input decides: a synthetic headline makes its row synthetic.
            "provenance": ["synthetic"] + ["published"] * 9,
        },
        schema_overrides={
            "pace_achieved_per_year": pl.Float64,
            "cumulative_unique_participants_since_2021": pl.Int64,
            "cumulative_percent_teachers_started_since_2021": pl.Float64,
        },
    )
    expect(got, expected, ["funding", "year_start"])


# --- rep_workforce_by_grade: unknown sex and refused ethnicity ---------------------------------


def workforce_row(sex: str, major: str, minor: str, headcount: int | None) -> dict:
    return {
        "academic_year": "2023/24",
        "time_period": 202324,
        "year_start": 2023,
        "geographic_level": "National",
        "country_code": "E92000001",
        "country_name": "England",
        "region_code": None,
        "region_name": None,
        "school_type": "Total state-funded schools",
        "age_group": "Total",
        "working_pattern": "Total",
        "qts_status": "Total",
        "on_route": "Total",
        "grade": "Head teacher",
        "sex": sex,
        "ethnicity_major": major,
        "ethnicity_minor": minor,
        "headcount": headcount,
        "headcount_status": "value" if headcount is not None else "c",
        "provenance": "synthetic",
        "source_data_set": "test",
        "source_release": "test",
    }


UNKNOWN_MAJOR = "Unknown / refused / information not yet obtained"
UNKNOWN_GROUP = "Unknown / refused / not obtained"


@pytest.fixture
def workforce(con):
    rows = [
        workforce_row("Total", "Total", "Total", 100),
        workforce_row("Male", "Total", "Total", 40),
        workforce_row("Female", "Total", "Total", 50),
        workforce_row("Unknown", "Total", "Total", 10),
        workforce_row("Total", "White", "Total", 65),
        workforce_row("Total", "White", "White - White British", 60),
        workforce_row("Total", "White", "White - Irish", 5),
        workforce_row("Total", "Asian / Asian British", "Total", 15),
        workforce_row("Total", UNKNOWN_MAJOR, "Total", 20),
        workforce_row("Total", UNKNOWN_MAJOR, "Refused", 12),
        workforce_row("Total", UNKNOWN_MAJOR, "Information not yet obtained", 8),
    ]
    given = pl.DataFrame(
        rows, schema_overrides={"region_code": pl.String, "region_name": pl.String}
    )
    write_frame(con, "staging", "workforce_teacher_characteristics", given)
    build_from_sql(con, "marts", "rep_dim_ethnicity")
    return run_mart(con, "rep_workforce_by_grade", representation_params()).filter(
        grade="Head teacher"
    )


SHARE_COLUMNS = [
    "group_name",
    "group_is_known",
    "headcount",
    "denominator_all_headcount",
    "denominator_known_headcount",
    "share_of_all_pct",
    "share_of_known_pct",
]


def test_unknown_sex_is_outside_the_share_of_known(workforce):
    expected = pl.DataFrame(
        {
            "group_name": ["Female", "Male", "Unknown"],
            "group_is_known": [True, True, False],
            "headcount": [50.0, 40.0, 10.0],
            "denominator_all_headcount": [100.0] * 3,
            "denominator_known_headcount": [90.0] * 3,
            "share_of_all_pct": [50.0, 40.0, 10.0],
            "share_of_known_pct": [100 * 50 / 90, 100 * 40 / 90, None],
        }
    )
    expect(workforce.filter(group_set="sex"), expected, ["group_name"])


def test_refused_ethnicity_is_outside_the_share_of_known(workforce):
    major = pl.DataFrame(
        {
            "group_name": ["Asian / Asian British", UNKNOWN_GROUP, "White"],
            "group_is_known": [True, False, True],
            "headcount": [15.0, 20.0, 65.0],
            "denominator_all_headcount": [100.0] * 3,
            "denominator_known_headcount": [80.0] * 3,
            "share_of_all_pct": [15.0, 20.0, 65.0],
            "share_of_known_pct": [100 * 15 / 80, None, 100 * 65 / 80],
        }
    )
    expect(workforce.filter(group_set="ethnicity_major"), major, ["group_name"])
    detail = pl.DataFrame(
        {
            "group_name": ["Information not yet obtained", "Refused"],
            "group_is_known": [False, False],
            "headcount": [8.0, 12.0],
            "denominator_all_headcount": [100.0] * 2,
            "denominator_known_headcount": [80.0] * 2,
            "share_of_all_pct": [8.0, 12.0],
            "share_of_known_pct": [None, None],
        }
    )
    expect(workforce.filter(group_set="ethnicity_unknown_detail"), detail, ["group_name"])
    white_british = pl.DataFrame(
        {
            "group_name": ["Other White", "Unknown", "White British", "Ethnic minority"],
            "share_of_known_pct": [100 * 5 / 80, None, 100 * 60 / 80, 100 * 15 / 80],
        }
    )
    expect(workforce.filter(group_set="ethnicity_white_british"), white_british, ["group_name"])


# --- rep_pupils_by_ethnicity: unclassified pupils ----------------------------------------------


def pupils_file(labels: dict[str, int], academic_year: str) -> pl.DataFrame:
    """The staged pupils-by-ethnicity file of one year, England, all phases: headcount by
    label (the labels must include 'Total')."""
    year = int(academic_year[:4])
    return pl.DataFrame(
        [
            {
                "academic_year": academic_year,
                "time_period": year * 100 + (year + 1) % 100,
                "year_start": year,
                "geographic_level": "National",
                "country_code": "E92000001",
                "country_name": "England",
                "language": "Total",
                "phase_type_grouping": "Total",
                "ethnicity": label,
                "headcount": headcount,
                "headcount_status": "value",
                "provenance": "published",
                "source_data_set": "test",
                "source_release": "test",
            }
            for label, headcount in labels.items()
        ]
    )


def test_unclassified_pupils_are_outside_the_share_of_known(con):
    labels = {
        "White - White British": 700,
        "White - Irish": 10,
        "Asian - Indian": 90,
        "Black - Black African": 100,
        "Unclassified": 100,
        "Total": 1000,
    }
    given = pupils_file(labels, "2021/22")
    write_frame(con, "staging", "spc_pupils_ethnicity_and_language", given)
    build_from_sql(con, "marts", "rep_dim_ethnicity")
    got = run_mart(con, "rep_pupils_by_ethnicity", representation_params())
    expected = pl.DataFrame(
        {
            "group_set": ["ethnicity_white_british"] * 4 + ["ethnicity_unknown_detail"],
            "group_name": [
                "Ethnic minority",
                "Other White",
                "Unknown",
                "White British",
                "Unclassified (refused or not obtained)",
            ],
            "headcount": [190.0, 10.0, 100.0, 700.0, 100.0],
            "denominator_all_headcount": [1000.0] * 5,
            "denominator_known_headcount": [900.0] * 5,
            "share_of_all_pct": [19.0, 1.0, 10.0, 70.0, 10.0],
            "share_of_known_pct": [100 * 190 / 900, 100 * 10 / 900, None, 100 * 700 / 900, None],
        }
    )
    expect(
        got.filter(pl.col("group_set").is_in(expected["group_set"].unique().to_list())),
        expected,
        ["group_set", "group_name"],
    )


# --- rep_representation_gaps: shares of known, the unknown group, and the unknown bounds --------


def test_gaps_use_known_denominators_and_bound_the_unknowns(con):
    """Female head teachers 50 of 90 known (10 unknown sex) against classroom teachers 600 of
    900 known (100 unknown): gap 55.6 - 66.7 = -11.1 points on the known basis. Bounds: every
    unknown head outside the group and every unknown classroom teacher inside it gives
    50/100 - 700/1000 = -20 points; the reverse 60/100 - 600/1000 = 0 points, so the sign of
    the gap does not survive. The Unknown group compares all people: 10% against 10%."""
    rows = []
    for grade, (total, male, female, unknown) in {
        "Head teacher": (100, 40, 50, 10),
        "Classroom teacher": (1000, 300, 600, 100),
    }.items():
        for sex, n in (("Total", total), ("Male", male), ("Female", female), ("Unknown", unknown)):
            rows.append({**workforce_row(sex, "Total", "Total", n), "grade": grade})
        rows.append({**workforce_row("Total", "White", "Total", total), "grade": grade})
        rows.append(
            {**workforce_row("Total", "White", "White - White British", total), "grade": grade}
        )
    given = pl.DataFrame(
        rows, schema_overrides={"region_code": pl.String, "region_name": pl.String}
    )
    write_frame(con, "staging", "workforce_teacher_characteristics", given)
    pupils = pupils_file({"White - White British": 900, "Total": 900}, "2023/24")
    write_frame(con, "staging", "spc_pupils_ethnicity_and_language", pupils)
    params = representation_params()
    build_from_sql(con, "marts", "rep_dim_ethnicity")
    for mart in ("rep_workforce_by_grade", "rep_pupils_by_ethnicity"):
        run_mart(con, mart, params)
    got = run_mart(con, "rep_representation_gaps", params).filter(
        (pl.col("grade") == "Head teacher")
        & (pl.col("comparator") == "Classroom teacher")
        & (pl.col("group_set") == "sex")
    )
    expected = pl.DataFrame(
        {
            "group_name": ["Female", "Male", "Unknown"],
            "gap_pp": [100 * 50 / 90 - 100 * 600 / 900, 100 * 40 / 90 - 100 * 300 / 900, 0.0],
        }
    )
    expect(got, expected, ["group_name"])
    female = got.filter(group_name="Female").row(0, named=True)
    assert female["gap_pp_lower_bound"] == pytest.approx(50.0 - 70.0)
    assert female["gap_pp_upper_bound"] == pytest.approx(60.0 - 60.0)
    assert female["gap_sign_robust"] is False
