"""Every published row we ship reaches staging and wins over synthetic rows with its key.

The expected figures are read here from the raw files themselves, independently of the
pipeline's readers and layout mapping.
"""

import csv

import polars as pl
import pytest

from pipelines.ees import read_text_csv
from pipelines.raw import load_files
from pipelines.sources import NPQ_PARTICIPANTS, input_files
from pipelines.transforms.staging import stage
from tests.conftest import PROJECT_ROOT

RAW = PROJECT_ROOT / "data" / "raw"
REGIONAL_2022_23 = RAW / "ees" / "npq_participants" / "2022-23" / "npq_participants_regional.csv"


def published_regional_row(time_period: str, region_name: str) -> dict[str, str]:
    with REGIONAL_2022_23.open(encoding="utf-8", newline="") as handle:
        (row,) = [
            r
            for r in csv.DictReader(handle)
            if r["time_period"] == time_period and r["region_name"] == region_name
        ]
    return row


@pytest.fixture(scope="module")
def staged() -> pl.DataFrame:
    raw = load_files(input_files(NPQ_PARTICIPANTS, RAW), read_text_csv)
    return stage(raw, NPQ_PARTICIPANTS)


def regional(staged: pl.DataFrame, academic_year: str, region: str, funding: str) -> dict:
    (row,) = staged.filter(
        (pl.col("geographic_level") == "Regional")
        & (pl.col("breakdown") == "Overall")
        & (pl.col("academic_year") == academic_year)
        & (pl.col("region_name") == region)
        & (pl.col("funding") == funding)
    ).iter_rows(named=True)
    return row


@pytest.mark.parametrize("time_period", ["202122", "202223"])
def test_published_regional_starts_replace_synthetic_overall_rows(staged, time_period):
    cell = published_regional_row(time_period, "East Midlands")
    expected = int(cell["npq_funded_starts"]) + int(cell["npq_non_funded_starts"])
    year = f"{time_period[:4]}/{time_period[4:]}"
    row = regional(staged, year, "East Midlands", "Overall")
    assert row["npq_starts"] == expected
    # Funded + non-funded starts, both published: derived from published figures only.
    assert row["provenance"] == "derived"
    # That release gave no overall participant count: unavailable, never a synthetic figure.
    assert row["npq_unique_participants"] is None
    assert row["npq_unique_participants_status"] == "not_available"
    assert row["teaching_workforce_headcount_swc"] == int(
        cell["teaching_workforce_headcount_swc21"]
    )


def test_rows_equal_to_published_values_say_published(staged):
    cell = published_regional_row("202122", "East Midlands")
    row = regional(staged, "2021/22", "East Midlands", "Funded")
    assert row["provenance"] == "published"
    assert row["npq_starts"] == int(cell["npq_funded_starts"])
    assert row["percent_workforce_npq_participation"] == float(
        cell["percent_workforce_npq_participation"]
    )
    non_funded = regional(staged, "2022/23", "East Midlands", "Non-funded")
    assert non_funded["provenance"] == "published"
    assert non_funded["npq_starts"] == int(
        published_regional_row("202223", "East Midlands")["npq_non_funded_starts"]
    )


def test_no_key_is_staged_twice(staged):
    assert staged.select(NPQ_PARTICIPANTS.keys).is_duplicated().sum() == 0


def test_newer_release_wins_and_a_repeated_key_is_left_for_the_duplicate_check():
    from pipelines.transforms.staging import prefer_published

    frame = pl.DataFrame(
        {
            "time_period": ["202122", "202122", "202122", "202223", "202223", "202324"],
            "region": ["A", "A", "A", "A", "A", "A"],
            "npq_starts": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            "provenance": [
                "published",
                "published",
                "synthetic",
                "published",
                "published",
                "derived",
            ],
            "source_release": ["2022/23", "2024/25", "v2", "2024/25", "2024/25", "2022/23"],
        }
    )
    kept = prefer_published(frame, ["time_period", "region"])
    assert kept.sort("time_period", "npq_starts").select(
        "time_period", "npq_starts", "provenance"
    ).rows() == [
        ("202122", 2.0, "published"),  # the newer release's figure
        ("202223", 4.0, "published"),  # one release repeating a key: both kept, for refusal
        ("202223", 5.0, "published"),
        ("202324", 6.0, "derived"),  # derived from published, over nothing synthetic
    ]
