"""The synthetic teacher characteristics file (`pipelines.synthetic.workforce`).

Checks: determinism (same seed, same bytes; the committed file is what the generator writes);
every published anchor (hard ones exactly, soft ones within tolerance), recomputed here from
the rows rather than trusted from the generator; additivity of every Total; FTE <= headcount;
the published layout; the EES reader and transforms accept the file; plausible trends.
"""

import hashlib
import io
import json
import math
from functools import cache
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from pipelines.ees import read_ees_csv
from pipelines.synthetic import workforce as wf
from pipelines.transforms.ees import VALUE, conform_period, split_indicators, status_column

FOLDER = wf.OUTPUT_DIR
CSV = FOLDER / wf.FILE_NAME
MANIFEST = FOLDER / "manifest.json"

U = wf.UNKNOWN_MAJOR
WB = "White - White British"
OTHER_WHITE = (
    "White - Irish",
    "White - Gypsy/Roma",
    "White - Traveller of Irish heritage",
    "White - Any other White background",
)
HEAD, DEPUTY, ASSISTANT, CLASSROOM = wf.GRADES
LEADERSHIP = (HEAD, DEPUTY, ASSISTANT)
MAJORS = (
    "White",
    "Mixed / Multiple ethnic groups",
    "Asian / Asian British",
    "Black / African / Caribbean / Black British",
    "Other ethnic group",
    U,
)
REGION_NAMES = (
    "North East",
    "North West",
    "Yorkshire and The Humber",
    "East Midlands",
    "West Midlands",
    "East of England",
    "London",
    "South East",
    "South West",
)
GROUP = ["time_period", "geographic_level", "region_code", "grade", "sex"]


@cache
def frame(seed: int = wf.SEED) -> pl.DataFrame:
    return wf.generate(seed)


def csv_bytes(f: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    wf.to_published_text(f).write_csv(buffer, line_terminator="\n")
    return buffer.getvalue()


def tp(year: int) -> str:
    return f"{year}{(year + 1) % 100:02d}"


def hc(year, grade="Total", sex="Total", major="Total", minor="Total", col="headcount", f=None):
    """One national value, read straight from the rows."""
    rows = (f if f is not None else frame()).filter(
        geographic_level="National",
        time_period=tp(year),
        grade=grade,
        sex=sex,
        ethnicity_major=major,
        ethnicity_minor=minor,
    )
    assert rows.height == 1, (year, grade, sex, major, minor)
    return rows[col][0]


def known(year, grade="Total", f=None) -> int:
    return hc(year, grade, f=f) - hc(year, grade, major=U, f=f)


def wb_share(year, grade="Total", f=None) -> float:
    return 100 * hc(year, grade, major="White", minor=WB, f=f) / known(year, grade, f=f)


def hundredths(column: str = "full_time_equivalent") -> pl.Expr:
    return (pl.col(column) * 100).round(0).cast(pl.Int64)


# ---------------------------------------------------------------------------------------------
# Determinism and the committed release
# ---------------------------------------------------------------------------------------------


def test_same_seed_gives_identical_output():
    again = wf.generate(wf.SEED)
    assert again.equals(frame())
    assert csv_bytes(again) == csv_bytes(frame())


def test_other_seeds_differ_but_keep_every_anchor():
    other = frame(1)
    assert not other.equals(frame())
    assert other.height == frame().height
    for check in wf.calibration(other):
        assert check["ok"], check


def test_committed_file_is_what_the_generator_writes():
    data = CSV.read_bytes()
    assert data == csv_bytes(frame()), "run `python -m pipelines.synthetic.workforce`"
    entry = json.loads(MANIFEST.read_text(encoding="utf-8"))["files"][0]
    assert entry["path"] == wf.FILE_NAME
    assert entry["sha256"] == hashlib.sha256(data).hexdigest()
    assert entry["bytes"] == len(data)
    assert entry["rows"] == frame().height


def test_main_regenerates_the_folder_byte_for_byte(tmp_path: Path):
    folder = tmp_path / "v1"
    wf.main(folder)
    assert (folder / wf.FILE_NAME).read_bytes() == CSV.read_bytes()
    assert (folder / "manifest.json").read_bytes() == MANIFEST.read_bytes()


def test_manifest_says_synthetic_and_lists_the_anchors():
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    assert manifest["source"] == "synthetic"
    assert manifest["release"] == "v1"
    assert manifest["seed"] == wf.SEED
    assert manifest["generator"] == "pipelines.synthetic.workforce"
    assert "b6542541" in manifest["schema_of"]
    assert [f["provenance"] for f in manifest["files"]] == ["synthetic"]
    assert "NOT OFFICIAL" in manifest["files"][0]["description"]
    listed = "\n".join(manifest["calibrated_to"])
    for check in wf.calibration(frame()):
        assert check["name"] in listed
    for kind in ("HARD:", "SOFT:", "RANGE:", "PLAUSIBILITY:", "NOT USED:", "ASSUMED"):
        assert kind in listed
    assert "510,265" in listed  # the NPQ denominators are named as a different scope


def test_committed_file_is_small():
    assert CSV.stat().st_size < 1_500_000


# ---------------------------------------------------------------------------------------------
# Hard anchors (official figures): exact counts, shares equal at the published 1 dp
# ---------------------------------------------------------------------------------------------


def rounds_to(value: float, published: float) -> bool:
    return math.floor(value * 10 + 0.5) == round(published * 10)


@pytest.mark.parametrize(
    ("year", "headcount"),
    [(2016, 503_900), (2019, 500_765), (2020, 508_087), (2021, 512_008), (2024, 513_435)],
)
def test_all_teacher_headcount_anchors(year, headcount):
    # 2019/20, 2020/21, 2021/22 are published weighted (500,764.7925 ...): nearest teacher.
    assert hc(year) == headcount


@pytest.mark.parametrize(
    ("year", "fte"),
    [
        (2016, 457_300.00),
        (2019, 453_813.46),
        (2020, 461_087.51),
        (2021, 465_526.18),
        (2023, 468_693.00),  # secondary (Tes), matched exactly all the same
        (2024, 468_257.94),
    ],
)
def test_all_teacher_fte_anchors(year, fte):
    assert round(hc(year, col="full_time_equivalent") * 100) == round(fte * 100)


def test_eff_2016_anchors():
    """Ethnicity facts and figures v1.4: shares are of teachers with KNOWN ethnicity."""
    assert hc(2016, major="White", minor=WB) == 408_800
    assert known(2016) == 472_600  # 408,800 / 86.5% -> about 472,600
    assert rounds_to(wb_share(2016), 86.5)
    other_white = sum(hc(2016, major="White", minor=m) for m in OTHER_WHITE)
    assert other_white == 17_900
    assert rounds_to(100 * other_white / known(2016), 3.8)
    assert hc(2016, HEAD, major="White", minor=WB) == 20_160
    assert rounds_to(wb_share(2016, HEAD), 93.1)
    assert hc(2016, sex="Female") == 380_000


# ---------------------------------------------------------------------------------------------
# Soft anchors (secondary sources): within 0.5 pp, counts within 0.5% of their base
# ---------------------------------------------------------------------------------------------


def test_classroom_and_head_white_british_2018():
    assert abs(wb_share(2018, CLASSROOM) - 85.1) <= 0.5
    assert abs(wb_share(2018, HEAD) - 92.9) <= 0.5


@pytest.mark.parametrize(
    ("year", "count"),
    [
        (2015, 1_473),
        (2016, 1_480),
        (2017, 1_512),
        (2018, 1_531),
        (2019, 1_530),
        (2020, 1_532),
        (2021, 1_564),
        (2022, 1_627),
    ],
)
def test_heads_not_white_british_counts(year, count):
    not_wb = known(year, HEAD) - hc(year, HEAD, major="White", minor=WB)
    assert abs(not_wb - count) <= 0.005 * known(year, HEAD)
    if year != 2016:  # 2016/17: the official 93.1% with ~20,160 heads needs 1,484-1,505
        assert not_wb == count


def test_heads_refused_and_white_british_blog_counts():
    assert hc(2015, HEAD, major=U, minor="Refused") == 117
    assert hc(2022, HEAD, major=U, minor="Refused") == 192
    assert hc(2019, HEAD, major="White", minor=WB) == 19_520
    assert hc(2022, HEAD, major="White", minor=WB) == 19_104


def leadership_female_share(year: int) -> float:
    female = sum(hc(year, g, sex="Female") for g in LEADERSHIP)
    return 100 * female / sum(hc(year, g) for g in LEADERSHIP)


def test_women_2023_and_leadership_2010():
    assert hc(2023, sex="Female") == 388_688
    assert abs(100 * hc(2023, sex="Female") / hc(2023) - 76) <= 0.5
    assert abs(leadership_female_share(2023) - 69) <= 0.5
    assert abs(leadership_female_share(2010) - 66) <= 0.5


def test_minority_ethnic_heads_between_primary_and_secondary_shares():
    assert 5 <= 100 - wb_share(2010, HEAD) <= 7
    assert 7 <= 100 - wb_share(2020, HEAD) <= 9


def london_not_white(year: int, grades: tuple[str, ...]) -> float:
    rows = (
        frame()
        .filter(region_name="London", time_period=tp(year), ethnicity_minor="Total")
        .filter(pl.col("grade").is_in(grades))
    )
    total = {m: rows.filter(ethnicity_major=m)["headcount"].sum() for m in ("Total", *MAJORS)}
    k = total["Total"] - total[U]
    return 100 * (k - total["White"]) / k


def test_london_2018_inside_the_foi_ranges():
    assert 38 <= london_not_white(2018, wf.GRADES) <= 44
    assert 25 <= london_not_white(2018, LEADERSHIP) <= 31


def test_calibration_report_passes_and_is_complete():
    checks = wf.calibration(frame())
    assert all(c["ok"] for c in checks), [c for c in checks if not c["ok"]]
    kinds = {c["kind"] for c in checks}
    assert kinds == {"hard", "soft", "range", "plausibility"}
    assert sum(c["kind"] == "hard" for c in checks) == 17


# ---------------------------------------------------------------------------------------------
# Integrity: totals add up, counts are whole, FTE <= headcount
# ---------------------------------------------------------------------------------------------


def integer_table() -> pl.DataFrame:
    return frame().with_columns(fte=hundredths())


def assert_sums(parts: pl.DataFrame, totals: pl.DataFrame, keys: list[str]) -> None:
    summed = parts.group_by(keys).agg(pl.sum("headcount"), pl.sum("fte"))
    joined = totals.select(*keys, "headcount", "fte").join(
        summed, on=keys, how="full", suffix="_sum", nulls_equal=True
    )
    assert joined.height == totals.height == summed.height
    assert (joined["headcount"] == joined["headcount_sum"]).all()
    assert (joined["fte"] == joined["fte_sum"]).all()


def test_majors_add_up_to_the_ethnicity_total():
    t = integer_table()
    majors = t.filter(pl.col("ethnicity_major") != "Total", ethnicity_minor="Total")
    totals = t.filter(ethnicity_major="Total")
    assert_sums(majors, totals, GROUP)


def test_minors_add_up_to_their_major():
    t = integer_table()
    minors = t.filter(pl.col("ethnicity_minor") != "Total")
    assert set(minors["ethnicity_major"].unique()) == {"White", U}
    assert set(minors["geographic_level"].unique()) == {"National"}
    totals = t.filter(
        pl.col("ethnicity_major").is_in(["White", U]),
        ethnicity_minor="Total",
        geographic_level="National",
    )
    assert_sums(minors, totals, [*GROUP, "ethnicity_major"])


def test_grades_add_up_to_the_grade_total():
    t = integer_table()
    keys = [
        "time_period",
        "geographic_level",
        "region_code",
        "sex",
        "ethnicity_major",
        "ethnicity_minor",
    ]
    assert_sums(t.filter(pl.col("grade") != "Total"), t.filter(grade="Total"), keys)


def test_sexes_add_up_to_the_sex_total():
    t = integer_table().filter(geographic_level="National")
    keys = ["time_period", "grade", "ethnicity_major", "ethnicity_minor"]
    assert_sums(t.filter(pl.col("sex") != "Total"), t.filter(sex="Total"), keys)


def test_regions_add_up_to_england():
    t = integer_table().filter(sex="Total", ethnicity_minor="Total")
    keys = ["time_period", "grade", "ethnicity_major"]
    regions = t.filter(geographic_level="Regional")
    assert regions["region_name"].n_unique() == 9
    assert_sums(regions, t.filter(geographic_level="National"), keys)


def test_counts_are_non_negative_whole_numbers_and_fte_at_most_headcount():
    f = frame()
    assert f["headcount"].dtype == pl.Int64
    assert f["headcount"].min() >= 0
    assert f["full_time_equivalent"].min() >= 0
    cents = f["full_time_equivalent"] * 100
    assert ((cents - cents.round(0)).abs() < 1e-6).all(), "FTE has at most 2 dp"
    assert (f.with_columns(fte=hundredths())["fte"] <= f["headcount"] * 100).all()
    assert (f.filter(headcount=0)["full_time_equivalent"] == 0).all()


def test_percentages_are_shares_of_the_ethnicity_total():
    t = integer_table()
    totals = t.filter(ethnicity_major="Total").select(*GROUP, hc_total="headcount", fte_total="fte")
    j = t.join(totals, on=GROUP, nulls_equal=True)
    assert j.height == t.height
    for pct, num, den in (
        ("headcount_percent_within_ethnicity", "headcount", "hc_total"),
        ("fte_percent_within_ethnicity", "fte", "fte_total"),
    ):
        expected = (100 * j[num] / j[den]).to_numpy()
        assert np.abs(j[pct].to_numpy() - expected).max() <= 0.05 + 1e-9
    assert (t.filter(ethnicity_major="Total")["headcount_percent_within_ethnicity"] == 100).all()


# ---------------------------------------------------------------------------------------------
# Layout: the published schema, read by the project's EES reader
# ---------------------------------------------------------------------------------------------


def test_columns_and_labels_follow_the_published_file():
    f = frame()
    assert tuple(f.columns) == wf.COLUMNS
    assert f.height == 7_875  # national 15 x 5 x 3 x 14 + regional 15 x 9 x 5 x 7
    assert f["time_period"].unique().sort().to_list() == [tp(y) for y in range(2010, 2025)]
    assert set(f["time_identifier"]) == {"Academic year"}
    assert set(f["geographic_level"]) == {"National", "Regional"}
    assert set(f["country_code"]) == {"E92000001"} and set(f["country_name"]) == {"England"}
    assert set(f["school_type"]) == {"Total state-funded schools"}
    assert set(f["grade"]) == {"Total", *wf.GRADES}
    assert set(f["sex"]) == {"Total", "Female", "Male"}
    for column in ("age_group", "working_pattern", "qts_status", "on_route"):
        assert set(f[column]) == {"Total"}
    assert set(f["ethnicity_major"]) == {"Total", *MAJORS}
    assert set(f["ethnicity_minor"]) == {
        "Total",
        WB,
        *OTHER_WHITE,
        "Refused",
        "Information not yet obtained",
    }
    regional = f.filter(geographic_level="Regional")
    assert regional["region_name"].unique().sort().to_list() == sorted(REGION_NAMES)
    assert regional["region_code"].unique().sort().to_list() == [
        f"E1200000{i}" for i in range(1, 10)
    ]
    assert set(regional["sex"]) == {"Total"}
    national = f.filter(geographic_level="National")
    assert national["region_code"].null_count() == national.height
    keys = [c for c in wf.COLUMNS if c not in wf.INDICATORS]
    assert f.select(keys).is_unique().all(), "one row per key"


def test_file_passes_the_ees_reader_and_transforms():
    raw = read_ees_csv(CSV)
    assert raw.height == frame().height
    typed = split_indicators(raw, list(wf.INDICATORS), CSV.name)
    for name in wf.INDICATORS:
        assert (typed[status_column(name)] == VALUE).all()
    periods = conform_period(typed, CSV.name)
    assert periods["year_start"].min() == 2010 and periods["year_start"].max() == 2024
    assert typed["headcount"].sum() == frame()["headcount"].sum()


def test_numbers_are_written_the_ees_way():
    raw = read_ees_csv(CSV)
    assert raw.row(0, named=True)["full_time_equivalent"] == "443500"  # not "443500.0"
    assert raw.row(0, named=True)["headcount_percent_within_ethnicity"] == "100"
    assert raw["headcount"].str.contains(r"^(0|[1-9][0-9]*)$").all()
    for name in ("full_time_equivalent", *wf.INDICATORS[2:]):
        # plain decimals, at most 2 dp, never a trailing zero or an exponent
        assert raw[name].str.contains(r"^(0|[1-9][0-9]*)(\.[0-9]?[1-9])?$").all(), name


def test_the_pipelines_manifest_check_accepts_the_folder():
    from pipelines.sources import verified_files

    [raw] = verified_files(FOLDER)
    assert raw.provenance == "synthetic"
    assert raw.release == "v1"


def test_registry_columns_are_present():
    from pipelines.sources import WORKFORCE_TEACHER_CHARACTERISTICS as source

    columns = set(frame().columns)
    assert set(source.filters) <= columns
    assert set(source.indicators) <= columns
    assert {c for c in columns if c.endswith(("_code", "_name"))} <= set(source.geography)


# ---------------------------------------------------------------------------------------------
# Plausible, smooth trends
# ---------------------------------------------------------------------------------------------

YEARS = range(2010, 2025)


def test_totals_move_smoothly():
    for grade in ("Total", *wf.GRADES):
        series = np.array([hc(y, grade) for y in YEARS], dtype=float)
        change = np.abs(np.diff(series) / series[:-1])
        limit = 0.07 if grade == ASSISTANT else 0.025  # assistant heads grew fastest
        assert change.max() < limit, (grade, change.max())


def test_diversity_rises_slowly_and_faster_in_the_classroom():
    drops = {}
    for grade in ("Total", *wf.GRADES):
        share = np.array([wb_share(y, grade) for y in YEARS])
        steps = np.diff(share)
        assert (steps <= 0).all(), (grade, steps)  # White British share never rises
        assert (steps > -1.0).all(), (grade, steps)  # ... and falls by under 1 pp a year
        drops[grade] = share[0] - share[-1]
    assert drops[CLASSROOM] > drops[ASSISTANT] > drops[HEAD] > 1


def test_leaders_less_diverse_than_classroom_teachers():
    for y in YEARS:
        assert wb_share(y, HEAD) > wb_share(y, DEPUTY) > wb_share(y, CLASSROOM)
        assert wb_share(y, ASSISTANT) > wb_share(y, CLASSROOM)


def test_london_far_more_diverse_than_every_other_region():
    f = frame().filter(geographic_level="Regional")
    shares = (
        f.group_by("time_period", "region_name", "grade")
        .agg(
            total=pl.col("headcount").filter(ethnicity_major="Total").sum(),
            white=pl.col("headcount").filter(ethnicity_major="White").sum(),
            unknown=pl.col("headcount").filter(ethnicity_major=U).sum(),
        )
        .with_columns(
            not_white=(pl.col("total") - pl.col("unknown") - pl.col("white"))
            / (pl.col("total") - pl.col("unknown"))
        )
    )
    london = shares.filter(region_name="London").select("time_period", "grade", "not_white")
    others = (
        shares.filter(pl.col("region_name") != "London")
        .group_by("time_period", "grade")
        .agg(highest=pl.max("not_white"))
    )
    j = london.join(others, on=["time_period", "grade"])
    assert j.height == 15 * 5
    assert (j["not_white"] > 2 * j["highest"]).all()


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def test_allocate_keeps_totals_and_caps():
    out = wf.allocate(10, np.array([1.0, 1.0, 1.0]))
    assert out.sum() == 10 and out.tolist() == [4, 3, 3]
    capped = wf.allocate(10, np.array([10.0, 1.0, 1.0]), caps=np.array([2, 8, 8]))
    assert capped.sum() == 10 and capped[0] == 2
    assert wf.allocate(0, np.array([1.0, 2.0])).tolist() == [0, 0]
    with pytest.raises(ValueError):
        wf.allocate(5, np.array([1.0, 1.0]), caps=np.array([2, 2]))


def test_pchip_passes_through_knots_without_overshoot():
    knots = {2010: 1.0, 2016: 3.0, 2019: 2.0, 2024: 2.0}
    values = wf.pchip(knots)
    for year, value in knots.items():
        assert values[year - 2010] == pytest.approx(value)
    assert values.max() <= 3.0 + 1e-12 and values.min() >= 1.0 - 1e-12
    assert np.allclose(values[9:], 2.0)  # flat between equal knots
