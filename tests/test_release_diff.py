"""diff_releases: every changed figure between two releases, symbols kept, in a fixed order."""

from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.release_diff import CHANGE_TYPES, diff_releases

REFERENCE = Path(__file__).resolve().parents[1].parent / "shared" / "reference"
TEXT_FIGURES = REFERENCE / "npq_release_text_figures.csv"
EES_KEYS = [
    "time_period",
    "time_identifier",
    "geographic_level",
    "country_code",
    "country_name",
    "funding",
    "breakdown",
    "group_name",
]


def npq_2022_23(version: str) -> pl.DataFrame:
    """The 2022/23 release text figures, in the EES shape (one column per indicator)."""
    rows = pl.read_csv(TEXT_FIGURES, infer_schema=False).filter(
        pl.col("release").str.starts_with("2022/23 release")
        & pl.col("release").str.contains(version, literal=True)
        & (pl.col("unit") != "count (derived)")  # our own estimate, not a published figure
    )
    return rows.pivot(on="indicator", index=EES_KEYS, values="value")


def test_the_2022_23_correction_shows_every_revised_course_figure():
    if not TEXT_FIGURES.exists():
        pytest.skip(f"reference file absent ({TEXT_FIGURES}): needs ../shared/reference")
    old = npq_2022_23("original text, pre-correction")
    new = npq_2022_23("corrected version")
    indicators = sorted((set(old.columns) | set(new.columns)) - set(EES_KEYS))

    diff = diff_releases(old, new, EES_KEYS, indicators)

    courses = diff.filter(
        (pl.col("breakdown") == "Course") & (pl.col("indicator") == "npq_funded_starts")
    )
    assert courses.select("change", "group_name", "old_value", "new_value").rows() == [
        ("revised", "NPQ for Early Years Leadership", "2213", "3102"),
        ("revised", "NPQ for Headship", "4363", "4387"),
        ("revised", "NPQ for Leading Literacy", "3059", "3064"),
        ("revised", "NPQ for Leading Teaching", "7416", "7425"),
        ("revised", "NPQ for Senior Leadership", "8956", "8969"),
    ]
    shares = diff.filter(pl.col("indicator") == "percent_of_all_funded_starts")
    assert dict(zip(shares["group_name"], shares["new_value"], strict=True)) == {
        "NPQ for Early Years Leadership": "8.7",
        "NPQ for Headship": "12.3",
        "NPQ for Leading Literacy": "8.6",
        "NPQ for Leading Teaching": "20.8",
        "NPQ for Senior Leadership": "25.1",
    }
    # Figures the corrected text states and the original did not: added, not revised.
    added = diff.filter(pl.col("change") == "added")
    assert added.select("breakdown", "group_name", "indicator", "new_value").rows() == [
        ("Grade", "Assistant headteacher", "percent_workforce_npq_participation", "10.4"),
        ("Grade", "Deputy headteacher", "percent_workforce_npq_participation", "10.3"),
        ("Working hours", "Full-time", "percent_workforce_npq_participation", "7.1"),
    ]
    assert diff["change"].value_counts(sort=True).rows() == [("revised", 17), ("added", 3)]
    assert diff.columns == ["change", *EES_KEYS, "indicator", "old_value", "new_value"]


KEYS = ["time_period", "geographic_level", "region_code", "group_name"]
INDICATORS = ["npq_starts", "percent_workforce_npq_participation"]


def frame(*rows: tuple) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=[*KEYS, *INDICATORS], orient="row")


def test_symbols_are_kept_as_text_and_blank_region_codes_match():
    old = frame(
        ("202324", "National", None, "Overall", "43840", "7.1"),
        ("202324", "Regional", "E12000001", "Overall", "c", "x"),
        ("202324", "Regional", "E12000002", "Overall", "5", "low"),
        ("202324", "Regional", "E12000003", "Overall", "7", None),
    )
    new = frame(
        ("202324", "National", None, "Overall", "43840", "7.1"),  # unchanged
        ("202324", "Regional", "E12000001", "Overall", "12", "x"),  # symbol -> number
        ("202324", "Regional", "E12000002", "Overall", "c", "low"),  # number -> symbol
        ("202324", "Regional", "E12000003", "Overall", "7", "0.4"),  # blank cell -> figure
        ("202425", "National", None, "Overall", "29818", "4.5"),  # a new year
    )

    diff = diff_releases(old, new, KEYS, INDICATORS)

    assert diff.rows() == [
        ("added", "202324", "Regional", "E12000003", "Overall", INDICATORS[1], None, "0.4"),
        ("added", "202425", "National", None, "Overall", INDICATORS[0], None, "29818"),
        ("added", "202425", "National", None, "Overall", INDICATORS[1], None, "4.5"),
        ("revised", "202324", "Regional", "E12000001", "Overall", INDICATORS[0], "c", "12"),
        ("revised", "202324", "Regional", "E12000002", "Overall", INDICATORS[0], "5", "c"),
    ]
    assert set(diff["change"]) <= set(CHANGE_TYPES)


def test_identical_releases_give_an_empty_frame_with_the_diff_columns():
    old = frame(("202324", "National", None, "Overall", "43840", "7.1"))

    diff = diff_releases(old, old.reverse(), KEYS, INDICATORS)

    assert diff.is_empty()
    assert diff.schema == pl.Schema(
        {
            "change": pl.String,
            **dict.fromkeys(KEYS, pl.String),
            "indicator": pl.String,
            "old_value": pl.String,
            "new_value": pl.String,
        }
    )


def test_a_renamed_indicator_is_removed_under_the_old_name_and_added_under_the_new():
    old = pl.DataFrame({"time_period": ["202223"], "npq_funded_starts": ["35700"]})
    new = pl.DataFrame({"time_period": ["202223"], "npq_starts": ["35700"]})

    diff = diff_releases(old, new, ["time_period"], ["npq_funded_starts", "npq_starts"])

    assert diff.rows() == [
        ("added", "202223", "npq_starts", None, "35700"),
        ("removed", "202223", "npq_funded_starts", "35700", None),
    ]


def test_numbers_are_compared_as_text():
    old = pl.DataFrame({"time_period": [202223], "npq_starts": [8956]})
    new = pl.DataFrame({"time_period": ["202223"], "npq_starts": ["8969"]})

    assert diff_releases(old, new, ["time_period"], ["npq_starts"]).row(0) == (
        "revised",
        "202223",
        "npq_starts",
        "8956",
        "8969",
    )


def test_keys_that_do_not_name_one_row_are_refused():
    old = frame(
        ("202324", "National", None, "Overall", "1", "1"),
        ("202324", "National", None, "Overall", "2", "2"),
    )
    with pytest.raises(ValueError, match=r"old release has more than one row for time_period="):
        diff_releases(old, old.head(1), KEYS, INDICATORS)
    with pytest.raises(ValueError, match="new release has no key column 'region_code'"):
        diff_releases(old.head(1), old.drop("region_code"), KEYS, INDICATORS)
    with pytest.raises(ValueError, match="both a key and an indicator"):
        diff_releases(old.head(1), old.head(1), KEYS, ["group_name"])


values = st.sampled_from(["0", "1", "12", "c", "x", "z", "low", None])
cells = st.dictionaries(
    st.tuples(st.sampled_from(["202223", "202324"]), st.sampled_from(["A", "B", None])),
    st.tuples(values, values),
    max_size=6,
)


def to_frame(cells: dict) -> pl.DataFrame:
    rows = [(period, group, a, b) for (period, group), (a, b) in cells.items()]
    return pl.DataFrame(
        rows, schema=["time_period", "group_name", "i1", "i2"], orient="row"
    ).with_columns(pl.all().cast(pl.String))


def figures(frame: pl.DataFrame) -> set[tuple]:
    long = frame.unpivot(on=["i1", "i2"], index=["time_period", "group_name"])
    return set(long.drop_nulls("value").rows())


@settings(max_examples=60, deadline=None)
@given(cells, cells)
def test_applying_the_diff_to_the_old_release_gives_the_new_one(old_cells, new_cells):
    old, new = to_frame(old_cells), to_frame(new_cells)
    keys, indicators = ["time_period", "group_name"], ["i1", "i2"]

    diff = diff_releases(old, new, keys, indicators)

    patched = figures(old)
    for change, period, group, indicator, before, after in diff.rows():
        if change in ("removed", "revised"):
            patched.remove((period, group, indicator, before))
        if change in ("added", "revised"):
            patched.add((period, group, indicator, after))
    assert patched == figures(new)
    # The reverse diff mirrors it, and input row order never changes the output.
    back = diff_releases(new, old, keys, indicators)
    swap = {"added": "removed", "removed": "added", "revised": "revised"}
    mirrored = {(swap[c], p, g, i, b, a) for c, p, g, i, a, b in back.rows()}
    assert mirrored == set(diff.rows())
    assert diff_releases(old.reverse(), new.reverse(), keys, indicators).equals(diff)
