"""npq_what_it_would_have_taken on small given tables: what the 150,000-place target needed of
each region, phase and course per window year, against what it achieved."""

import duckdb
import polars as pl
import pytest

from pipelines.policy import takeup_params
from pipelines.warehouse import build_from_sql, read_sql, write_frame

MART = "npq_what_it_would_have_taken"


@pytest.fixture
def con():
    con = duckdb.connect(":memory:")
    yield con
    con.close()


def row(level, breakdown, group, year, starts, headcount, provenance="published", region=None):
    return {
        "geographic_level": level,
        "region_name": region,
        "funding": "Overall",
        "breakdown": breakdown,
        "group_name": group,
        "year_start": year,
        "npq_starts": starts,
        "teaching_workforce_headcount_swc": headcount,
        "provenance": provenance,
    }


def build(con, rows) -> pl.DataFrame:
    params = takeup_params()
    assert (params["window_first"], params["window_last"]) == (2021, 2023)
    assert params["target_places"] == 150_000
    write_frame(con, "staging", "npq_participants", pl.DataFrame(rows))
    used = {k: v for k, v in params.items() if f"${k}" in read_sql("marts", MART)}
    build_from_sql(con, "marts", MART, used)
    return con.sql(f"SELECT * FROM marts.{MART}").pl()


def test_needed_achieved_and_shortfall_by_region(con):
    # Two regions; A holds 60% of the workforce, B 40%. Three window years, and one after it.
    rows = []
    for year in (2021, 2022, 2023):
        rows.append(row("Regional", "Overall", "Overall", year, 20_000, 600, region="A"))
        rows.append(row("Regional", "Overall", "Overall", year, 10_000, 400, "synthetic", "B"))
    rows.append(row("Regional", "Overall", "Overall", 2024, 99_999, 600, region="A"))
    got = build(con, rows).filter(pl.col("dimension") == "Region").sort("group_name")
    a, b = got.iter_rows(named=True)
    # Needed per year: 50,000 x workforce share. Achieved: the window average.
    assert (a["needed_starts_per_year"], a["achieved_starts_per_year"]) == (30_000, 20_000)
    assert (b["needed_starts_per_year"], b["achieved_starts_per_year"]) == (20_000, 10_000)
    assert (a["shortfall_contributed"], b["shortfall_contributed"]) == (30_000, 30_000)
    # Together they account for the whole national shortfall: 150,000 - 90,000.
    assert a["percent_of_shortfall"] + b["percent_of_shortfall"] == pytest.approx(100)
    assert a["share_of_basis_pct"] == pytest.approx(60)
    # A's share depends on B's synthetic workforce: every row is as weak as its weakest input.
    assert set(got["provenance"]) == {"synthetic"}


def test_a_missing_window_year_gives_no_figure(con):
    rows = [
        row("National", "Phase", "Primary", y, 100 if y != 2022 else None, 50)
        for y in (2021, 2022, 2023)
    ] + [row("National", "Phase", "Secondary", y, 100, 50) for y in (2021, 2022, 2023)]
    got = build(con, rows).filter(pl.col("dimension") == "Phase").sort("group_name")
    primary, secondary = got.iter_rows(named=True)
    assert primary["achieved_starts_per_year"] is None
    assert primary["shortfall_contributed"] is None
    assert secondary["achieved_starts_per_year"] == 100
    # Computed from published figures only.
    assert set(got["provenance"]) == {"derived"}


def test_courses_are_shared_by_their_own_mix_and_say_so(con):
    rows = [
        row("National", "Course", c, y, s, 500_000)
        for y in (2021, 2022, 2023)
        for c, s in (("X", 3000), ("Y", 1000))
    ]
    got = build(con, rows).filter(pl.col("dimension") == "Course").sort("group_name")
    x, y = got.iter_rows(named=True)
    assert (x["share_of_basis_pct"], y["share_of_basis_pct"]) == (
        pytest.approx(75),
        pytest.approx(25),
    )
    assert x["needed_starts_per_year"] == pytest.approx(37_500)
    assert "share of starts" in x["basis"]
    # A course first offered in the last window year counts the years it ran.
    late = build(con, [*rows, row("National", "Course", "Z", 2023, 2000, 500_000)]).filter(
        pl.col("group_name") == "Z"
    )
    assert late["achieved_starts_per_year"].to_list() == [pytest.approx(2000 / 3)]
