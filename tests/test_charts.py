"""Chart functions on small literal frames shaped like the marts (no pipeline run needed)."""

import json

import matplotlib.pyplot as plt
import polars as pl
import pytest
from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter

from pipelines.charts.pack import PACK, draw
from pipelines.charts.pilots import balance_plot, forest_plot, participant_flow
from pipelines.charts.representation import npq_pipeline, regional_small_multiples
from pipelines.charts.style import (
    DARK_BLUE,
    PERCENT,
    TURQUOISE,
    WATERMARK_ID,
    ChartSpec,
    chart_problems,
    contrast,
    finish,
    house_axes,
    save_chart,
    text_colour,
)
from pipelines.charts.takeup_breakdowns import (
    LOW_BASE,
    _share_words,
    completion_by_cohort,
    participation_by_region,
    starts_by_course,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def bars(fig) -> list[float]:
    """Length of every bar drawn (height for vertical bars, width for horizontal ones)."""
    lengths = []
    for ax in fig.axes:
        for container in ax.containers:
            for patch in container:
                horizontal = container.orientation == "horizontal"
                lengths.append(patch.get_width() if horizontal else patch.get_height())
    return lengths


# --- starts by course ---------------------------------------------------------------------------


def course_mart(provenance: tuple[str, ...] | None = None) -> pl.DataFrame:
    rows = [
        # year, course, type, starts
        ("2021/22", 2021, "NPQSL", "NPQ for Senior Leadership", "leadership", 600),
        ("2021/22", 2021, "NPQLT", "NPQ for Leading Teaching", "specialist", 400),
        ("2022/23", 2022, "NPQSL", "NPQ for Senior Leadership", "leadership", 500),
        ("2022/23", 2022, "NPQSENCO", "NPQ for SENCOs", "leadership", 300),
        ("2022/23", 2022, "NPQLT", "NPQ for Leading Teaching", "specialist", 200),
        # a non-Overall row must be ignored
        ("2021/22", 2021, "NPQSL", "NPQ for Senior Leadership", "leadership", 999),
    ]
    provenance = provenance or ("synthetic",) * len(rows)
    return pl.DataFrame(
        {
            "academic_year": [r[0] for r in rows],
            "year_start": [r[1] for r in rows],
            "funding": ["Overall"] * (len(rows) - 1) + ["Funded"],
            "course_code": [r[2] for r in rows],
            "course_name": [r[3] for r in rows],
            "course_type": [r[4] for r in rows],
            "npq_starts": [r[5] for r in rows],
            "npq_starts_status": ["value"] * len(rows),
            "percent_of_year_starts": [60.0, 40.0, 50.0, 30.0, 20.0, 100.0],
            "provenance": list(provenance),
        }
    )


def test_course_title_is_computed_from_the_data():
    _, spec, _ = starts_by_course(course_mart())
    # Leadership: 600 of 1,000 in 2021/22, 800 of 1,000 in 2022/23.
    assert spec.title == (
        "SYNTHETIC: Leadership NPQs rose from 60% of courses started in 2021/22 to 80% in 2022/23"
    )
    assert spec.name == "npq_starts_by_course"
    for number in ("60.0%", "80.0%", "600 starts", "500 starts"):
        assert number in spec.alt_text
    assert "79418e7a" in spec.source and "Open Government Licence v3.0" in spec.source


def test_course_not_offered_is_absent_not_zero():
    fig, spec, data = starts_by_course(course_mart())
    senco_2021 = data.filter(
        (pl.col("course_code") == "NPQSENCO") & (pl.col("academic_year") == "2021/22")
    )
    assert senco_2021["npq_starts"].to_list() == [None]
    assert senco_2021["npq_starts_status"].to_list() == ["not_offered"]
    assert 0 not in data["npq_starts"].to_list()
    # Five course-years with a figure, five bars, none of length 0.
    assert sorted(bars(fig)) == [200, 300, 400, 500, 600]
    assert "NPQSENCO in 2021/22 (not offered)" in spec.alt_text
    # The Funded row (999) is not charted.
    assert 999 not in data["npq_starts"].to_list()


def test_course_synthetic_iff_any_row_is_synthetic():
    published = ("published",) * 6
    _, spec, _ = starts_by_course(course_mart(published))
    assert spec.synthetic is False
    assert "SYNTHETIC" not in spec.alt_text

    one_synthetic = ("published", "published", "synthetic", "published", "published", "published")
    _, spec, _ = starts_by_course(course_mart(one_synthetic))
    assert spec.synthetic is True
    assert spec.alt_text.startswith("SYNTHETIC")
    assert spec.footer().startswith("SYNTHETIC DATA")


def test_course_notes_policy_breaks_inside_the_years_shown():
    breaks = pl.DataFrame(
        {
            "break_id": ["target_window_start", "funding_narrowed"],
            "academic_year": ["2021/22", "2022/23"],
            "year_start": [2021, 2022],
            "description": ["Window opens", "Funding narrowed; places capped"],
        }
    )
    _, spec, _ = starts_by_course(course_mart(), breaks)
    assert any("2022/23: Funding narrowed." in note for note in spec.notes)
    assert not any("Window opens" in note for note in spec.notes)


# --- participation by region --------------------------------------------------------------------


def region_mart(provenance: str = "synthetic") -> pl.DataFrame:
    rows = [
        # year, region, rate, status, national
        ("2022/23", 2022, "E1", "North", 6.0, "value", 5.0),
        ("2022/23", 2022, "E2", "South", 4.0, "value", 5.0),
        ("2022/23", 2022, "E3", "East", 5.0, "value", 5.0),
        ("2023/24", 2023, "E1", "North", 7.0, "value", 6.2),
        ("2023/24", 2023, "E2", "South", 5.1, "value", 6.2),
        ("2023/24", 2023, "E3", "East", None, "confidential", 6.2),
        ("2024/25", 2024, "E1", "North", 4.9, "value", 4.4),
        ("2024/25", 2024, "E2", "South", 3.8, "value", 4.4),
        ("2024/25", 2024, "E3", "East", 4.6, "value", 4.4),
        ("2024/25", 2024, "E4", "West", None, "confidential", 4.4),
    ]
    rate = pl.col("percent_workforce_npq_participation")
    national = pl.col("national_percent_workforce_npq_participation")
    return pl.DataFrame(
        {
            "academic_year": [r[0] for r in rows],
            "year_start": [r[1] for r in rows],
            "funding": ["Overall"] * len(rows),
            "region_code": [r[2] for r in rows],
            "region_name": [r[3] for r in rows],
            "percent_workforce_npq_participation": [r[4] for r in rows],
            "percent_workforce_npq_participation_status": [r[5] for r in rows],
            "national_percent_workforce_npq_participation": [r[6] for r in rows],
            "rank_in_year": [1] * len(rows),
            "provenance": [provenance] * len(rows),
        },
        schema_overrides={"percent_workforce_npq_participation": pl.Float64},
    ).with_columns(
        (rate - national).alias("gap_to_national_pp"), (rate < national).alias("lags_national")
    )


def test_region_title_and_alt_text_from_the_data():
    fig, spec, data = participation_by_region(region_mart())
    assert spec.title == (
        "SYNTHETIC: One of four regions was below England's 4.4% annual NPQ participation rate in "
        "2024/25"
    )
    for number in ("North 4.9%", "South 3.8%", "-0.6 points", "4.4%", "2022/23 5.0%"):
        assert number in spec.alt_text
    # Latest year only, highest first; a suppressed region goes last and is not a 0 bar.
    assert data["region_name"].to_list() == ["North", "East", "South", "West"]
    assert data["percent_workforce_npq_participation"].to_list()[-1] is None
    assert sorted(bars(fig)) == [3.8, 4.6, 4.9]
    assert spec.synthetic is True and spec.alt_text.startswith("SYNTHETIC")


def test_region_lagging_regions_are_flagged_in_the_data_and_the_labels():
    fig, _, data = participation_by_region(region_mart())
    assert data.filter(pl.col("lags_national"))["region_name"].to_list() == ["South"]
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert "3.8%: 0.6 pts below England" in labels
    assert "c (suppressed)" in labels
    hatched = [p for c in fig.axes[0].containers for p in c if p.get_hatch()]
    assert [p.get_width() for p in hatched] == [3.8]


def test_region_published_rows_are_not_stamped():
    _, spec, _ = participation_by_region(region_mart("published"))
    assert spec.synthetic is False
    assert "SYNTHETIC" not in spec.footer()


def test_region_trend_not_joined_across_a_policy_break():
    breaks = pl.DataFrame(
        {
            "break_id": ["funding_narrowed"],
            "academic_year": ["2024/25"],
            "year_start": [2024],
            "description": ["Funding narrowed; places capped"],
        }
    )
    fig, spec, _ = participation_by_region(region_mart(), breaks)
    trend = fig.axes[1]
    lines = [line for line in trend.get_lines() if line.get_marker() == "o"]
    # 2022/23-2023/24 joined; 2024/25 on its own.
    assert sorted(len(line.get_xdata()) for line in lines) == [1, 2]
    assert "policy break" in spec.alt_text
    assert any("2024/25: Funding narrowed." in note for note in spec.notes)


# --- completion by cohort -----------------------------------------------------------------------


def completions_mart() -> pl.DataFrame:
    """The published Overall figures (NPQ completions 2024-25), plus a Funded row to ignore."""
    return pl.DataFrame(
        {
            "start_cohort": ["2021/22", "2022/23", "2023/24", "2024/25", "2021/22"],
            "year_start": [2021, 2022, 2023, 2024, 2021],
            "funding": ["Overall"] * 4 + ["Funded"],
            "breakdown": ["Overall"] * 5,
            "group_name": ["Overall"] * 5,
            "npq_starts": [31677, 38906, 43840, 29818, 29892],
            "npq_completed": [26783, 31791, 17389, 4, 25185],
            "npq_passed": [26432, 30751, 16321, 4, 24857],
            "percentage_completion_rate": [84.6, 81.7, 39.7, None, 84.3],
            "percentage_completion_rate_status": ["value"] * 3 + ["rounds_to_zero", "value"],
            "percentage_pass_rate": [98.7, 96.7, 93.9, 100.0, 98.7],
            "percentage_pass_rate_status": ["value"] * 5,
            "cohort_complete": [True, True, False, False, True],
            "provenance": ["published"] * 5,
        }
    )


def test_completion_title_and_alt_text_from_the_data():
    _, spec, _ = completion_by_cohort(completions_mart())
    assert spec.title == (
        "More than four in five NPQs started in 2021/22 and 2022/23 were completed"
    )
    for number in ("84.6%", "81.7%", "39.7% to date", "98.7%", "low (rounds to 0%)", "31,677"):
        assert number in spec.alt_text
    assert "21ee618f" in spec.source and "Open Government Licence v3.0" in spec.source
    assert spec.synthetic is False


def test_completion_lag_flagged_and_low_never_plotted_as_zero():
    fig, _, data = completion_by_cohort(completions_mart())
    assert data["start_cohort"].to_list() == ["2021/22", "2022/23", "2023/24", "2024/25"]
    assert data["cohort_complete"].to_list() == [True, True, False, False]
    assert data["completion_label"].to_list() == [
        "84.6%",
        "81.7%",
        "39.7% to date",
        "low (rounds to 0%)",
    ]
    low = data.row(3, named=True)
    assert low["percentage_completion_rate_status"] == "rounds_to_zero"
    assert low["completion_rate_plotted"] is None
    # 4 completion bars would include a 0; only 3 are drawn, plus the 3 pass-rate bars with a
    # base of at least LOW_BASE completers (2024/25 has 4).
    drawn = bars(fig)
    assert len(drawn) == 6 and 0 not in drawn
    hatched = [p for c in fig.axes[0].containers for p in c if p.get_hatch()]
    assert sorted(p.get_height() for p in hatched) == [39.7, 93.9]
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "low\n(rounds\nto 0%)" in texts


def test_completion_rate_on_a_low_base_is_not_a_bar():
    fig, spec, data = completion_by_cohort(completions_mart())
    low = data.filter(pl.col("start_cohort") == "2024/25").row(0, named=True)
    assert low["pass_rate_low_base"] is True and low["pass_rate_plotted"] is None
    assert data.filter(pl.col("start_cohort") != "2024/25")["pass_rate_low_base"].any() is False
    assert 100.0 not in bars(fig)
    texts = [t.get_text().replace("\n", " ") for t in fig.axes[0].texts]
    assert any("4 completers" in t for t in texts), texts
    assert any(f"fewer than {LOW_BASE}" in note for note in spec.notes)
    # one more completer above the threshold and the bar is drawn
    mart = completions_mart().with_columns(
        pl.when(pl.col("start_cohort") == "2024/25")
        .then(pl.lit(LOW_BASE))
        .otherwise(pl.col("npq_completed"))
        .alias("npq_completed")
    )
    fig, _, data = completion_by_cohort(mart)
    assert 100.0 in bars(fig)


def test_completion_synthetic_rows_are_stamped():
    mart = completions_mart().with_columns(
        pl.when(pl.col("start_cohort") == "2024/25")
        .then(pl.lit("synthetic"))
        .otherwise(pl.col("provenance"))
        .alias("provenance")
    )
    _, spec, _ = completion_by_cohort(mart)
    assert spec.synthetic is True


@pytest.mark.parametrize(
    ("percent", "words"),
    [
        (84.6, "More than four in five"),
        (80.0, "Four in five"),
        (50.0, "Half of"),
        (55.0, "More than half of"),
        (42.4, "42% of"),
    ],
)
def test_share_words(percent, words):
    assert _share_words(percent) == words


# --- saving -------------------------------------------------------------------------------------


def test_save_chart_writes_all_five_files(tmp_path):
    fig, spec, data = completion_by_cohort(completions_mart())
    written = save_chart(fig, spec, data, tmp_path / "charts")
    names = sorted(p.name for p in written)
    assert names == sorted(
        f"npq_completion_by_cohort.{suffix}" for suffix in ("png", "svg", "csv", "alt.txt", "json")
    )
    for path in written:
        assert path.stat().st_size > 0, path.name
    folder = tmp_path / "charts"
    assert (folder / "npq_completion_by_cohort.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = (folder / "npq_completion_by_cohort.svg").read_text()
    assert all(word in svg for word in spec.title.split())  # the title, wrapped to the width
    assert (folder / "npq_completion_by_cohort.alt.txt").read_text().strip() == spec.alt_text
    saved = json.loads((folder / "npq_completion_by_cohort.json").read_text())
    assert saved["title"] == spec.title and saved["synthetic"] is False
    csv = pl.read_csv(folder / "npq_completion_by_cohort.csv")
    assert csv["completion_rate_plotted"].to_list() == [84.6, 81.7, 39.7, None]


# --- assets -------------------------------------------------------------------------------------


def test_chart_assets_read_their_marts_and_are_published():
    from pipelines.defs.charts import takeup_breakdowns as assets
    from pipelines.defs.publish.npq_observatory import CHARTS

    expected = {
        "npq_starts_by_course": {"marts/npq_takeup_by_course", "marts/npq_policy_breaks"},
        "npq_participation_by_region": {"marts/npq_takeup_by_region", "marts/npq_policy_breaks"},
        "npq_completion_by_cohort": {"marts/npq_completions_by_cohort"},
    }
    for name, deps in expected.items():
        asset = getattr(assets, name)
        spec = next(iter(asset.specs))
        assert spec.key.path == ["charts", name]
        assert spec.group_name == "charts"
        assert {d.asset_key.to_user_string() for d in spec.deps} == deps
        assert spec.description
        assert name in CHARTS


# --- rules every chart keeps (pipelines/charts/style.py), each shown to catch its defect ---------


def _one_axes(spec: ChartSpec | None = None):
    fig, ax = house_axes(9)
    ax.plot([0, 20], [0, 20], color=DARK_BLUE)
    ax.set_xlabel("Year")
    ax.set_ylabel("Share (% of teachers)")
    spec = spec or ChartSpec("example", "A title", "Alt text", "DfE, example")
    return fig, ax, spec


def test_rules_pass_a_plain_house_chart():
    fig, ax, spec = _one_axes()
    ax.yaxis.set_major_formatter(PERCENT)
    finish(fig, ax, spec)
    assert chart_problems(fig, spec) == []


def test_rule_tick_labels_read_exactly_as_their_positions():
    fig, ax, spec = _one_axes()
    ax.set_yticks([0, 2.5, 5, 7.5])
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f}%"))
    finish(fig, ax, spec)
    problems = chart_problems(fig, spec)
    assert any("'2%' sits at 2.5" in p for p in problems), problems
    ax.yaxis.set_major_formatter(PERCENT)
    assert not any("sits at" in p for p in chart_problems(fig, spec))
    assert PERCENT(2.5) == "2.5%" and PERCENT(10) == "10%" and PERCENT(-1) == "\u22121%"


def test_rule_a_percentage_axis_says_of_what():
    fig, ax, spec = _one_axes()
    ax.yaxis.set_major_formatter(PERCENT)
    ax.set_ylabel("Share")
    finish(fig, ax, spec)
    assert any("percentages without saying of what" in p for p in chart_problems(fig, spec))


def test_rule_text_is_at_least_9_pt():
    fig, ax, spec = _one_axes()
    ax.text(10, 10, "a data label", fontsize=8)
    finish(fig, ax, spec)
    assert any("'a data label' is 8 pt" in p for p in chart_problems(fig, spec))


def test_rule_no_text_overlaps_other_text_at_either_size():
    fig, ax, spec = _one_axes()
    ax.text(10, 10, "first label", fontsize=9)
    ax.text(10.2, 10, "second label", fontsize=9)
    finish(fig, ax, spec)
    assert any("overlaps" in p and "first label" in p for p in chart_problems(fig, spec))


def test_rule_half_page_squeezes_a_tall_chart():
    fig, ax = house_axes(20)
    ax.set_ylabel("Rows")
    for i in range(40):
        ax.text(0.1, i, f"row {i}", fontsize=9)
    ax.set_ylim(-1, 40)
    spec = ChartSpec("tall", "A tall chart", "Alt", "DfE")
    finish(fig, ax, spec)
    height = fig.get_size_inches()[1]
    problems = chart_problems(fig, spec)
    assert not any(p.startswith("full column") for p in problems), problems
    assert any(p.startswith("half page") and "overlaps" in p for p in problems)
    assert fig.get_size_inches()[1] == pytest.approx(height)  # size restored


def test_rule_text_and_marks_pass_wcag_contrast():
    fig, ax, spec = _one_axes()
    ax.text(2, 15, "turquoise text", color=TURQUOISE)
    ax.text(2, 5, "shaded text", color=text_colour(TURQUOISE))
    ax.plot([0, 20], [20, 0], color="#DDDDDD")
    finish(fig, ax, spec)
    problems = chart_problems(fig, spec)
    assert any("'turquoise text' has contrast" in p for p in problems)
    assert not any("shaded text" in p for p in problems)
    assert any("line or marker colour #DDDDDD" in p for p in problems)
    assert contrast("#0B0C0C") > 19 and contrast(TURQUOISE) >= 3


def test_rule_synthetic_chart_says_so_in_title_and_names_its_generator_first():
    with pytest.raises(ValueError, match="no generator"):
        ChartSpec("x", "Title", "Alt", "DfE", synthetic=True)
    spec = ChartSpec("x", "Title", "Alt", "DfE", synthetic=True, generator="pipelines/synth.py")
    assert spec.title == "SYNTHETIC: Title"
    assert spec.source_line().startswith("Source: pipelines/synth.py (synthetic data generator)")
    fig, ax, _ = _one_axes()
    finish(fig, ax, spec)
    assert chart_problems(fig, spec) == []
    official = ChartSpec("x", "Title", "Alt", "DfE")
    fig, ax, _ = _one_axes()
    ax.text(1, 1, "SYNTHETIC")
    finish(fig, ax, official)
    assert "official chart labelled synthetic" in chart_problems(fig, official)


def test_rule_watermark_never_covers_a_data_label():
    spec = ChartSpec("x", "Title", "Alt", "DfE", synthetic=True, generator="pipelines/synth.py")
    fig, ax, _ = _one_axes()
    ax.set_xlim(0, 20)
    ax.set_ylim(0, 20)
    ax.text(10, 10, "label in the middle", ha="center", va="center")
    finish(fig, ax, spec)
    stamps = [t for t in ax.texts if t.get_gid() == WATERMARK_ID]
    assert len(stamps) == 1
    label = next(t for t in ax.texts if t.get_text() == "label in the middle")
    fig.canvas.draw()
    stamp_box, label_box = stamps[0].get_window_extent(), label.get_window_extent()
    assert not stamp_box.overlaps(label_box)
    assert chart_problems(fig, spec) == []


def test_rule_save_refuses_a_chart_that_breaks_a_rule(tmp_path):
    fig, ax, spec = _one_axes()
    ax.text(10, 10, "tiny", fontsize=6)
    finish(fig, ax, spec)
    with pytest.raises(ValueError, match=r"breaks the chart rules.*'tiny' is 6 pt"):
        save_chart(fig, spec, pl.DataFrame({"a": [1]}), tmp_path)
    assert not (tmp_path / "example.png").exists()


# --- the whole pack, drawn from a finished run's marts -------------------------------------------


@pytest.fixture(scope="module")
def pack_marts(published):
    import duckdb

    con = duckdb.connect(str(published.published_db), read_only=True)
    frames = {}

    def read(mart: str) -> pl.DataFrame:
        if mart not in frames:
            frames[mart] = con.sql(f"SELECT * FROM {mart}").pl()
        return frames[mart]

    yield read
    con.close()


def test_the_pack_is_every_published_chart():
    from pipelines.defs.publish.npq_observatory import CHARTS

    assert set(PACK) == set(CHARTS)


# Long lists (a row per estimate or characteristic) need their full height: only these may skip
# the half-page check.
FULL_HEIGHT_ONLY = {
    "npq_starts_by_course",
    "pilot_balance",
    "pilot_forest_plot",
    "pilot_participant_flow",
}


@pytest.mark.parametrize("name", sorted(PACK))
def test_every_chart_keeps_the_rules(pack_marts, name):
    fig, spec, _ = draw(name, pack_marts)
    assert spec.half_page or name in FULL_HEIGHT_ONLY
    assert chart_problems(fig, spec) == []


# --- rep_npq_pipeline ---------------------------------------------------------------------------

NPQ_FEEDERS = (
    # grade, order, ethnic minority share, female share
    ("Classroom teacher", 1, 12.6, 76.8),
    ("Assistant head teacher", 2, 8.5, 68.7),
    ("Deputy head teacher", 4, 7.2, 70.4),
    ("Head teacher", 5, 4.9, 68.9),
)


def npq_pipeline_mart(robust: dict[str, bool] | None = None) -> pl.DataFrame:
    """All-course NPQ participants (16.2% ethnic minority, 75.4% female) against four grades;
    `robust` overrides gap_sign_robust of the ethnic minority gap by grade."""
    robust = robust or {}
    rows = []
    for group_set, group, npq, column in (
        ("ethnicity_white_vs_minority", "Ethnic minority", 16.2, 2),
        ("sex", "Female", 75.4, 3),
    ):
        for feeder in NPQ_FEEDERS:
            gap = npq - feeder[column]
            rows.append(
                {
                    "academic_year": "2024/25",
                    "year_start": 2024,
                    "funding": "Overall",
                    "course_code": "All",
                    "course_name": "All NPQs",
                    "feeder_grade": feeder[0],
                    "feeder_order": feeder[1],
                    "group_set": group_set,
                    "group_name": group,
                    "npq_participants": 5000.0,
                    "npq_share_pct": npq,
                    "feeder_headcount": 20000.0,
                    "feeder_share_pct": feeder[column],
                    "gap_pp": gap,
                    "gap_pp_lower_bound": gap - 3,
                    "gap_pp_upper_bound": gap + 3,
                    "gap_sign_robust": robust.get(feeder[0], True) if column == 2 else True,
                    "low_count": False,
                    "provenance": "synthetic",
                }
            )
    return pl.DataFrame(rows)


def test_npq_pipeline_title_claim_follows_the_robustness_flag():
    _, robust_spec, _ = npq_pipeline(npq_pipeline_mart())
    assert "more ethnically diverse than every teacher grade" in robust_spec.title
    _, spec, _ = npq_pipeline(npq_pipeline_mart({"Classroom teacher": False}))
    assert "every teacher grade" not in spec.title
    assert "not clearly more than classroom teachers (12.6%)" in spec.title
    assert "unknown ethnicity" in spec.title


def test_npq_pipeline_ticks_exact_and_canvas_filled():
    fig, spec, _ = npq_pipeline(npq_pipeline_mart())
    assert not [p for p in chart_problems(fig, spec) if "sits at" in p]
    for ax in fig.axes:  # any tick the locator picks reads as its position
        assert ax.xaxis.get_major_formatter()(2.5) == "2.5%"
    fig.canvas.draw()
    # the panels fill the figure's width: no third of the canvas left empty
    right = max(ax.get_position().x1 for ax in fig.axes)
    left = min(ax.get_position().x0 for ax in fig.axes)
    assert right > 0.9 and left < 0.4


# --- pilot_balance ------------------------------------------------------------------------------


def balance_mart(p5_fsm: float = -0.58, after: float = -0.34) -> pl.DataFrame:
    """Two randomised pilots and one matched pilot (before and after matching)."""
    rows = [
        ("P1", "as randomised", "participant", "female", 0.04),
        ("P1", "as randomised", "participant", "years_in_role", 0.10),
        ("P5", "as randomised", "school", "fsm_percent", p5_fsm),
        ("P4", "before matching", "school", "pupils", -0.12),
        ("P4", "after matching", "school", "pupils", -0.20),
        ("P4", "before matching", "school", "baseline_ks4_attainment", -1.15),
        ("P4", "after matching", "school", "baseline_ks4_attainment", after),
    ]

    def band(smd: float) -> str:
        size = abs(smd)
        return "satisfies" if size <= 0.05 else "requires adjustment" if size <= 0.25 else "fails"

    return pl.DataFrame(
        {
            "pilot_id": [r[0] for r in rows],
            "sample": [r[1] for r in rows],
            "unit_level": [r[2] for r in rows],
            "covariate": [r[3] for r in rows],
            "smd": [r[4] for r in rows],
            "smd_denominator": ["pooled SD"] * len(rows),
            "n_treatment": [100] * len(rows),
            "n_control": [100] * len(rows),
            "wwc_band": [band(r[4]) for r in rows],
            "provenance": ["synthetic"] * len(rows),
        }
    )


def test_balance_title_names_the_failures_and_what_matching_made_worse():
    _, spec, _ = balance_plot(balance_mart())
    assert "2 of 5" in spec.title and "fail" in spec.title
    assert "P5 fsm percent (school) -0.58 SD" in spec.title
    assert "1 got worse after matching" in spec.title
    assert "at most 0.25 SD" not in spec.title


def test_balance_title_changes_when_the_flags_do():
    _, spec, _ = balance_plot(balance_mart(p5_fsm=-0.02, after=-0.01))
    assert "fail" not in spec.title
    assert "worse" in spec.title  # pupils still went from -0.12 to -0.20
    _, spec, _ = balance_plot(balance_mart(p5_fsm=-0.30))
    assert "largest P4 baseline ks4 attainment (school) -0.34 SD" in spec.title
    _, spec, _ = balance_plot(balance_mart(p5_fsm=-0.30, after=-0.10))
    assert "1 of 5" in spec.title and "P5 fsm percent (school) -0.30 SD" in spec.title


# --- rep_regional_gaps --------------------------------------------------------------------------


def workforce_mart() -> pl.DataFrame:
    """England and three regions, classroom and head teachers, 2022/23 and 2023/24; London far
    above the rest (the case that squashed every other panel near 0%)."""
    shares = {
        ("E92000001", "England", "National"): (15.0, 6.0),
        ("E12000007", "London", "Regional"): (40.0, 20.0),
        ("E12000001", "North East", "Regional"): (3.0, 1.0),
        ("E12000002", "North West", "Regional"): (8.0, 2.5),
    }
    rows = []
    for (code, name, level), (classroom, heads) in shares.items():
        for year in (2022, 2023):
            for grade, order, share in (
                ("Classroom teacher", 1, classroom),
                ("Head teacher", 5, heads),
            ):
                rows.append(
                    {
                        "academic_year": f"{year}/{(year + 1) % 100:02d}",
                        "year_start": year,
                        "geographic_level": level,
                        "area_code": code,
                        "area_name": name,
                        "grade": grade,
                        "grade_order": order,
                        "group_set": "ethnicity_white_vs_minority",
                        "group_name": "Ethnic minority",
                        "headcount": 1000,
                        "share_of_known_pct": share + (year - 2023) * 0.5,
                        "low_count": False,
                        "provenance": "synthetic",
                    }
                )
    return pl.DataFrame(rows)


def test_regional_gaps_readable_with_one_area_far_above_the_rest():
    fig, spec, _ = regional_small_multiples(workforce_mart())
    assert chart_problems(fig, spec) == []
    labels = [t.get_text() for ax in fig.axes for t in ax.get_yticklabels()]
    for area in ("England", "London", "North East", "North West"):
        assert labels.count(area) == 1, labels
    assert "London" in spec.title


# --- pilot_participant_flow ---------------------------------------------------------------------


def flow_mart() -> pl.DataFrame:
    rows = []
    cells = {
        # pilot, level, year, arm: (allocated, lost, analysed); None = withheld (c)
        ("P1", "participant", "2025/26", "treatment"): (161, 12, 149),
        ("P1", "participant", "2025/26", "control"): (159, None, None),
        ("P1", "participant", "2026/27", "treatment"): (170, 20, 150),
        ("P1", "participant", "2026/27", "control"): (168, 18, 150),
        ("P4", "school", "2025/26", "treatment"): (64, None, None),
        ("P4", "school", "2025/26", "comparison"): (436, 30, 406),
        ("P4", "school", "2026/27", "treatment"): (64, 11, 53),
        ("P4", "school", "2026/27", "comparison"): (436, 40, 396),
    }
    for (pilot, level, year, arm), counts in cells.items():
        for stage, units in zip(("allocated", "lost", "analysed"), counts, strict=True):
            rows.append((pilot, level, year, arm, stage, units))
    totals = {}
    for pilot, level, year, _arm, stage, units in rows:
        key = (pilot, level, year, stage)
        previous = totals.get(key, 0)
        totals[key] = None if previous is None or units is None else previous + units
    rows += [(p, lvl, y, "Total", s, u) for (p, lvl, y, s), u in totals.items()]
    allocated = {(r[0], r[2], r[3]): r[5] for r in rows if r[4] == "allocated"}
    return pl.DataFrame(
        {
            "pilot_id": [r[0] for r in rows],
            "unit_level": [r[1] for r in rows],
            "evaluation_year": [r[2] for r in rows],
            "outcome_id": ["primary"] * len(rows),
            "arm": [r[3] for r in rows],
            "stage": [r[4] for r in rows],
            "units": [r[5] for r in rows],
            "units_status": ["value" if r[5] is not None else "c" for r in rows],
            "percent_of_allocated": [
                None if r[5] is None else 100 * r[5] / allocated[(r[0], r[2], r[3])] for r in rows
            ],
            "provenance": ["synthetic"] * len(rows),
        },
        schema_overrides={"units": pl.Int64},
    )


def test_participant_flow_is_a_consort_flow_per_pilot_and_year():
    fig, spec, data = participant_flow(flow_mart())
    assert not any(ax.containers for ax in fig.axes)  # boxes and arrows, not bars
    texts = [t.get_text() for t in fig.findobj(Text)]
    for stage in ("Allocated", "Received", "Lost", "Analysed"):
        assert sum(t.startswith(stage) for t in texts) == 2, stage  # once per pilot
    assert "T 161" in texts and "C 159" in texts and "C 436" in texts
    assert texts.count("C c") == 2 and texts.count("T c") == 2  # withheld, never 0
    assert chart_problems(fig, spec) == []
    assert set(data["stage"]) == {"allocated", "lost", "analysed"}


# --- pilot_forest_plot --------------------------------------------------------------------------


def estimates_mart() -> pl.DataFrame:
    rows = [
        # pilot, outcome, primary, year, g, lower, upper, n_t, n_c, months
        ("P1", "wellbeing", True, "2025/26", 0.18, -0.02, 0.38, None, None, None),
        ("P1", "wellbeing", True, "2026/27", 0.33, 0.10, 0.56, 285, 269, None),
        ("P1", "self_efficacy", False, "2026/27", 0.11, -0.05, 0.27, 285, 269, None),
        ("P5", "ks2_attainment", True, "2026/27", 0.07, 0.01, 0.13, 2090, 1800, 1),
    ]
    return pl.DataFrame(
        {
            "pilot_id": [r[0] for r in rows],
            "outcome_id": [r[1] for r in rows],
            "is_primary": [r[2] for r in rows],
            "evaluation_year": [r[3] for r in rows],
            "headline": [True] * len(rows),
            "analysis": ["itt"] * len(rows),
            "subgroup": ["all"] * len(rows),
            "estimate_status": ["value"] * len(rows),
            "measure": ["hedges_g"] * len(rows),
            "estimate": [r[4] for r in rows],
            "ci_lower": [r[5] for r in rows],
            "ci_upper": [r[6] for r in rows],
            "n_treatment": [r[7] for r in rows],
            "n_control": [r[8] for r in rows],
            "n_treatment_status": ["value" if r[7] else "c" for r in rows],
            "n_control_status": ["value" if r[8] else "c" for r in rows],
            "months_progress": [r[9] for r in rows],
            "pretrend_status": ["not applicable"] * len(rows),
            "provenance": ["synthetic"] * len(rows),
        },
        schema_overrides={
            "n_treatment": pl.Int64,
            "n_control": pl.Int64,
            "months_progress": pl.Int64,
        },
    )


def security_mart() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "pilot_id": ["P1", "P1", "P5"],
            "evaluation_year": ["2025/26", "2026/27", "2026/27"],
            "primary_outcome": ["wellbeing", "wellbeing", "ks2_attainment"],
            "padlocks": [None, 4, 3],
            "padlocks_status": ["c", "value", "value"],
        },
        schema_overrides={"padlocks": pl.Int64},
    )


def test_forest_plot_has_the_columns_an_eef_reader_expects():
    fig, spec, data = forest_plot(estimates_mart(), security_mart())
    texts = [t.get_text() for t in fig.findobj(Text)]
    for header in ("n (T/C)", "g [95% CI]", "Months", "Padlocks"):
        assert header in texts, header
    assert "0.33 [0.10, 0.56]" in texts and "285/269" in texts and "c/c" in texts
    assert "+1" in texts  # months' progress where the mart gives it
    # padlocks: 4 for P1's primary outcome in 2026/27, c where withheld, none for secondary
    p1 = data.filter(pl.col("pilot_id") == "P1").sort("outcome_id", "evaluation_year")
    assert p1["padlocks_label"].to_list() == ["", "c", "4"]
    assert chart_problems(fig, spec) == []
