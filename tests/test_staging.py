"""Staging transforms: release layouts, period, value + status, published-over-synthetic."""

import polars as pl
import pytest

from pipelines.ees import read_ees_csv
from pipelines.errors import InputError
from pipelines.sources import (
    NPQ_PARTICIPANTS,
    SOURCES,
    input_files,
    latest_release_dir,
    verified_files,
)
from pipelines.transforms.staging import prefer_published, stage, staging_columns
from tests.conftest import PROJECT_ROOT

RAW = PROJECT_ROOT / "data" / "raw"


def _raw(path, release, provenance="published"):
    return (
        read_ees_csv(path)
        .rename({"_row_number": "source_row"})
        .with_columns(
            source_file=pl.lit(path.name),
            source_release=pl.lit(release),
            source_data_set=pl.lit("test"),
            provenance=pl.lit(provenance),
        )
    )


def test_2022_23_layout_maps_funded_columns_to_funding_rows():
    path = RAW / "ees" / "npq_participants" / "2022-23" / "npq_participants_regional.csv"
    staged = stage(_raw(path, "2022/23"), NPQ_PARTICIPANTS)
    assert staged.columns == staging_columns(NPQ_PARTICIPANTS)
    east_mids = staged.filter(
        (pl.col("region_name") == "East Midlands") & (pl.col("academic_year") == "2021/22")
    )
    by_funding = {r["funding"]: r for r in east_mids.iter_rows(named=True)}
    # Published 2022/23-release figures: funded starts 2,594, non-funded 49.
    assert by_funding["Funded"]["npq_starts"] == 2594
    assert by_funding["Funded"]["npq_unique_participants"] == 2584
    assert by_funding["Funded"]["teaching_workforce_headcount_swc"] == 42801
    assert by_funding["Non-funded"]["npq_starts"] == 49
    # That release published no non-funded participant counts: unavailable, not zero.
    assert by_funding["Non-funded"]["npq_unique_participants"] is None
    assert by_funding["Non-funded"]["npq_unique_participants_status"] == "not_available"
    # Overall is derived from the two published parts: starts add up, participants do not.
    assert set(staged["funding"]) == {"Funded", "Non-funded", "Overall"}
    overall = staged.filter(
        (pl.col("region_name") == "East Midlands") & (pl.col("funding") == "Overall")
    )
    assert set(overall["provenance"]) == {"derived"}


def test_old_layout_missing_a_column_is_refused(tmp_path):
    path = RAW / "ees" / "npq_participants" / "2022-23" / "npq_participants_regional.csv"
    raw = _raw(path, "2022/23").drop("npq_non_funded_starts")
    with pytest.raises(InputError) as info:
        stage(raw, NPQ_PARTICIPANTS)
    assert info.value.column == "npq_non_funded_starts"
    assert info.value.row == 1


def test_published_rows_win_over_synthetic_rows_with_the_same_key():
    keys = ["time_period", "group_name"]
    frame = pl.DataFrame(
        {
            "time_period": ["202122", "202122", "202223"],
            "group_name": ["London", "London", "London"],
            "year_start": [2021, 2021, 2022],
            "npq_starts": [5176.0, 5000.0, 6000.0],
            "provenance": ["published", "synthetic", "synthetic"],
        }
    )
    kept = prefer_published(frame, keys)
    assert kept.sort("time_period").select("time_period", "npq_starts", "provenance").rows() == [
        ("202122", 5176.0, "published"),
        ("202223", 6000.0, "synthetic"),
    ]


@pytest.mark.parametrize(
    "name", [n for n, s in SOURCES.items() if s.in_pipeline and s.layout == "ees"]
)
def test_every_embedded_source_stages(name):
    source = SOURCES[name]
    files = input_files(source, RAW)
    raw = pl.concat([_raw(f.path, f.release, f.provenance) for f in files], how="diagonal")
    staged = stage(raw, source)
    # One row per key, and every published row reaches staging (a synthetic row is dropped
    # only where a published or derived row has its key).
    assert staged.select(source.keys).is_duplicated().sum() == 0
    published = raw.filter(pl.col("provenance") == "published").select("source_file", "source_row")
    assert published.join(staged, on=["source_file", "source_row"], how="anti").height == 0
    assert staged.columns == staging_columns(source)
    for indicator in source.indicators:
        values = staged.filter(pl.col(f"{indicator}_status") == "value")[indicator]
        assert values.null_count() == 0
        symbols = staged.filter(pl.col(f"{indicator}_status") != "value")[indicator]
        assert symbols.null_count() == symbols.len(), "a symbol became a number"


def test_compiled_figures_keep_their_confidence():
    from pipelines.ees import read_text_csv
    from pipelines.sources import COMPILED
    from pipelines.transforms.compiled import stage_compiled

    name = "swf_leadership_diversity"
    files = verified_files(latest_release_dir(COMPILED[name].folder(RAW)))
    staged = stage_compiled(read_text_csv(files[0].path), COMPILED[name])
    by_tag = dict(staged.group_by("confidence").agg(pl.col("source_type").unique()).iter_rows())
    assert all(t.startswith("official") for t in by_tag["official"])
    assert all(t.startswith("secondary") for t in by_tag["secondary"])
    heads_2016 = staged.filter(
        (pl.col("time_period") == "201617")
        & (pl.col("grade") == "Head teacher")
        & (pl.col("measure") == "White British share")
    )
    assert heads_2016.select("value_number", "confidence").rows() == [(93.1, "official")]


def test_claims_not_found_are_unverified():
    from pipelines.ees import read_text_csv
    from pipelines.sources import COMPILED
    from pipelines.transforms.compiled import stage_compiled

    name = "npq_media_and_claim_checks"
    files = verified_files(latest_release_dir(COMPILED[name].folder(RAW)))
    staged = stage_compiled(read_text_csv(files[0].path), COMPILED[name])
    not_found = staged.filter(pl.col("status").str.to_uppercase().str.contains("NOT FOUND"))
    assert not_found.height > 0
    assert set(not_found["confidence"]) == {"unverified"}
