"""School-level staging (GIAS list, KS4 performance tables): names, types, symbols, errors."""

import polars as pl
import pytest

from pipelines.ees import read_text_csv
from pipelines.errors import InputError
from pipelines.raw import load_files
from pipelines.sources import GIAS, KS4_SCHOOL_LEVEL, input_files
from pipelines.transforms.schools import school_staging_columns, stage_school_level
from tests.conftest import PROJECT_ROOT

RAW = PROJECT_ROOT / "data" / "raw"


def _embedded(source):
    return load_files(input_files(source, RAW), read_text_csv)


def _write(tmp_path, text, name="school.csv"):
    path = tmp_path / name
    path.write_text(text)
    return (
        read_text_csv(path)
        .rename({"_row_number": "source_row"})
        .with_columns(
            source_file=pl.lit(str(path)),
            source_sha256=pl.lit("x"),
            source_release=pl.lit("t"),
            source_data_set=pl.lit("test"),
            provenance=pl.lit("published"),
        )
    )


@pytest.mark.parametrize("source", [GIAS, KS4_SCHOOL_LEVEL], ids=lambda s: s.name)
def test_embedded_school_files_stage_row_for_row(source):
    raw = _embedded(source)
    staged = stage_school_level(raw, source)
    assert staged.height == raw.height
    assert staged.columns == school_staging_columns(source)
    assert set(staged["provenance"]) == {"synthetic"}
    for published in source.indicators:
        name = source.columns[published]
        text = raw[published].str.strip_chars()
        numbers = text.str.contains(r"^-?[0-9.]+%?$").fill_null(False)
        # every number survives, every symbol is null with its status, never 0
        assert staged.filter(pl.col(f"{name}_status") == "value").height == numbers.sum()
        assert staged.filter(pl.col(f"{name}_status") != "value")[name].null_count() == (
            staged.height - numbers.sum()
        )


def test_ks4_percentages_and_symbols(tmp_path):
    header = ",".join(KS4_SCHOOL_LEVEL.columns)
    row = "202324,1,891,9001,9000011,S,1123,247,60,24%,40.0,SUPP,43.6,NP,33%,55%,NE,3.44"
    staged = stage_school_level(_write(tmp_path, f"{header}\n{row}\n"), KS4_SCHOOL_LEVEL)
    got = staged.row(0, named=True)
    assert (got["ks4_disadvantaged_pct"], got["ks4_disadvantaged_pct_status"]) == (24.0, "value")
    assert (got["attainment8_disadvantaged"], got["attainment8_disadvantaged_status"]) == (
        None,
        "confidential",
    )
    assert (got["progress8"], got["progress8_status"]) == (None, "not_available")
    assert (got["ebacc_entered_pct"], got["ebacc_entered_pct_status"]) == (None, "no_entries")
    assert (got["academic_year"], got["year_start"], got["urn"]) == ("2023/24", 2023, 9000011)


@pytest.mark.parametrize(
    ("cell", "column", "rule"),
    [
        ("24,5%", "PTFSM6CLA1A", "indicator_symbols"),
        ("lots", "TOTPUPS", "indicator_symbols"),
        ("9000x11", "urn", "column_type"),
    ],
)
def test_bad_school_cell_names_file_row_and_column(tmp_path, cell, column, rule):
    good = "202324,1,891,9001,9000011,S,1123,247,60,24%,40.0,28,43.6,0.1,33%,55%,20%,3.44"
    cells = good.split(",")
    published = list(KS4_SCHOOL_LEVEL.columns)
    index = published.index(column) if column in published else published.index("URN")
    cells[index] = f'"{cell}"'
    text = ",".join(published) + "\n" + ",".join(cells) + "\n" + ",".join(cells) + "\n"
    with pytest.raises(InputError) as err:
        stage_school_level(_write(tmp_path, text), KS4_SCHOOL_LEVEL)
    assert err.value.rule == rule
    assert err.value.row == 2
    assert err.value.column == ("URN" if column == "urn" else column)  # as the file spells it
    assert "school.csv" in str(err.value)


def test_duplicated_school_is_refused(tmp_path):
    header = ",".join(KS4_SCHOOL_LEVEL.columns)
    row = "202324,1,891,9001,9000011,S,1123,247,60,24%,40.0,28,43.6,0.1,33%,55%,20%,3.44"
    with pytest.raises(InputError) as err:
        stage_school_level(_write(tmp_path, f"{header}\n{row}\n{row}\n"), KS4_SCHOOL_LEVEL)
    assert err.value.rule == "duplicate_rows"
    assert err.value.row in (2, 3)


def test_missing_gias_column_and_bad_date_are_named(tmp_path):
    raw = _embedded(GIAS)
    with pytest.raises(InputError) as err:
        stage_school_level(raw.drop("PercentageFSM"), GIAS)
    assert (err.value.column, err.value.rule) == ("PercentageFSM", "required_columns")
    bad = raw.with_columns(
        pl.when(pl.col("source_row") == 7)
        .then(pl.lit("2023-09-04"))
        .otherwise(pl.col("OfstedLastInsp"))
        .alias("OfstedLastInsp")
    )
    with pytest.raises(InputError) as err:
        stage_school_level(bad, GIAS)
    assert (err.value.row, err.value.column) == (7, "OfstedLastInsp")
    assert "'2023-09-04'" in str(err.value)
