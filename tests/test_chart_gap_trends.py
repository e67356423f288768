"""Gap trends: a slope not distinguishable from flat is 'no clear trend', and no line is
extended past the stated horizon (marts.rep_gap_trends and the rep_gap_trends chart)."""

import duckdb
import numpy as np
import polars as pl
import pytest
from matplotlib.text import Text
from scipy import stats

from pipelines.charts.representation import gap_trends
from pipelines.charts.style import chart_problems
from pipelines.representation import TREND_HORIZON_YEARS, representation_params
from pipelines.warehouse import build_from_sql, read_sql, write_frame

YEARS = [2020, 2021, 2022, 2023, 2024]
SERIES = {
    # grade: yearly gaps (pp). Head teachers: nearly flat and noisy (+0.03 pp a year);
    # deputies: closing fast and clearly; assistants: widening clearly.
    "Head teacher": [-4.2, -3.9, -4.3, -4.0, -4.1],
    "Deputy head teacher": [-5.0, -4.1, -3.0, -2.1, -1.0],
    "Assistant head teacher": [-1.0, -1.5, -2.1, -2.4, -3.1],
}
ORDER = {"Assistant head teacher": 3, "Deputy head teacher": 4, "Head teacher": 5}


def gaps_frame() -> pl.DataFrame:
    rows = []
    for grade, gaps in SERIES.items():
        for year, gap in zip(YEARS, gaps, strict=True):
            rows.append(
                {
                    "geographic_level": "National",
                    "area_code": "E92000001",
                    "area_name": "England",
                    "academic_year": f"{year}/{(year + 1) % 100:02d}",
                    "year_start": year,
                    "grade": grade,
                    "grade_order": ORDER[grade],
                    "comparator": "Classroom teacher",
                    "group_set": "ethnicity_white_vs_minority",
                    "group_name": "Ethnic minority",
                    "group_is_known": True,
                    "share_basis": "people of known ethnicity",
                    "grade_share_pct": 10.0 + gap,
                    "comparator_share_pct": 10.0,
                    "gap_pp": gap,
                    "gap_pp_lower_bound": gap - 1,
                    "gap_pp_upper_bound": gap + 1,
                    "representation_ratio": (10.0 + gap) / 10.0,
                    "gap_sign_robust": True,
                    "low_count": False,
                    "provenance": "synthetic",
                    "inputs_provenance": "synthetic",
                }
            )
    return pl.DataFrame(rows)


@pytest.fixture
def trends():
    con = duckdb.connect(":memory:")
    con.execute("CREATE SCHEMA marts")
    write_frame(con, "marts", "rep_representation_gaps", gaps_frame())
    params = {
        k: v
        for k, v in representation_params().items()
        if f"${k}" in read_sql("marts", "rep_gap_trends")
    }
    build_from_sql(con, "marts", "rep_gap_trends", params)
    yield con.sql("SELECT * FROM marts.rep_gap_trends").pl()
    con.close()


def test_slope_interval_and_clear_trend_rule(trends):
    for grade, gaps in SERIES.items():
        row = trends.filter(pl.col("grade") == grade).row(0, named=True)
        fit = stats.linregress(YEARS, gaps)
        half = stats.t.ppf(0.975, len(YEARS) - 2) * fit.stderr
        assert row["gap_change_ci_lower_pp"] == pytest.approx(fit.slope - half)
        assert row["gap_change_ci_upper_pp"] == pytest.approx(fit.slope + half)
        assert row["trend_clear"] == bool(np.sign(fit.slope - half) == np.sign(fit.slope + half))
    by_grade = {r["grade"]: r for r in trends.iter_rows(named=True)}
    assert by_grade["Head teacher"]["trend_clear"] is False
    assert by_grade["Deputy head teacher"]["trend_clear"] is True
    assert by_grade["Assistant head teacher"]["trend_clear"] is True


def test_parity_stated_only_within_the_horizon(trends):
    for row in trends.iter_rows(named=True):
        assert row["trend_horizon_year_start"] == 2024 + TREND_HORIZON_YEARS
        within = row["parity_year_start"] is not None and row["parity_year_start"] <= 2034
        assert row["parity_within_horizon"] is within
    deputies = trends.filter(pl.col("grade") == "Deputy head teacher").row(0, named=True)
    assert deputies["parity_within_horizon"] is True


def test_chart_says_no_clear_trend_and_stops_at_the_horizon(trends):
    fig, spec, _ = gap_trends(
        gaps_frame(), trends, group_set="ethnicity_white_vs_minority", group="Ethnic minority"
    )
    texts = [t.get_text() for t in fig.findobj(Text)]
    assert any("Head teachers: no clear trend" in t for t in texts), texts
    assert "no clear trend" in spec.title and "parity" not in spec.title
    ax = fig.axes[0]
    assert ax.get_xlim()[1] <= 2024 + TREND_HORIZON_YEARS + 1
    for line in ax.get_lines():
        assert max(line.get_xdata(), default=0) <= 2024 + TREND_HORIZON_YEARS
    assert chart_problems(fig, spec) == []
