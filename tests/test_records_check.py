"""The record-level contract check names the file, row and column of the first breach."""

import duckdb
import pytest

from pipelines.errors import InputError
from pipelines.records.check import check_records_file
from tests.records_data import write_records


@pytest.fixture
def records(tmp_path):
    return write_records(tmp_path / "records", census_years=(202425,), npq_years=(202425,), n=200)


def _rewrite(path, select: str) -> None:
    """Rewrite `path` through `select`, where {src} is the file with its row numbers."""
    src = f"read_parquet('{path}', file_row_number = true)"
    with duckdb.connect() as con:
        con.execute(f"COPY ({select.format(src=src)}) TO '{path}.new' (FORMAT parquet)")
    path.with_name(path.name + ".new").replace(path)


def _set(column: str, row: int, value: str) -> str:
    """A select that puts `value` (SQL) in `column` at `row` (1 = first record)."""
    return (
        f"SELECT * EXCLUDE (file_row_number) REPLACE (CASE WHEN file_row_number = {row - 1} "
        f"THEN {value} ELSE {column} END AS {column}) FROM {{src}} ORDER BY file_row_number"
    )


def _check(collection, path):
    with duckdb.connect() as con:
        return check_records_file(con, collection, path)


def test_good_files_pass_and_report_their_rows(records):
    assert _check("teacher_census", records / "teacher_census" / "202425.parquet") == 200
    assert _check("npq_participants", records / "npq_participants" / "202425.parquet") == 20


@pytest.mark.parametrize(
    ("collection", "select", "row", "column", "words"),
    [
        ("teacher_census", _set("grade", 7, "'Headteacher'"), 7, "grade", "'Headteacher'"),
        ("teacher_census", _set("teacher_ref", 3, "'AB123456'"), 3, "teacher_ref", "pseudonym"),
        ("teacher_census", _set("sex", 5, "NULL"), 5, "sex", "None"),
        ("teacher_census", _set("time_period", 9, "202324"), 9, "time_period", "file's year"),
        (
            "teacher_census",
            "SELECT * EXCLUDE (file_row_number, region_code) FROM {src}",
            None,
            "region_code",
            "missing a column",
        ),
        (
            "teacher_census",
            "SELECT * EXCLUDE (file_row_number) FROM {src} "
            "UNION ALL (SELECT * EXCLUDE (file_row_number) FROM {src} LIMIT 1)",
            1,
            "teacher_ref",
            "repeats the key",
        ),
        ("npq_participants", _set("course_code", 4, "'NPQX'"), 4, "course_code", "'NPQX'"),
    ],
    ids=["grade", "pseudonym", "null", "year", "missing_column", "duplicate", "course"],
)
def test_a_breach_names_file_row_and_column(records, collection, select, row, column, words):
    path = records / collection / "202425.parquet"
    _rewrite(path, select)
    with pytest.raises(InputError) as caught:
        _check(collection, path)
    error = caught.value
    assert (error.file, error.row, error.column) == (str(path), row, column)
    assert words in str(error)


def test_a_file_that_is_not_parquet_is_refused(records):
    path = records / "teacher_census" / "202526.parquet"
    path.write_text("teacher_ref,grade\n")
    with pytest.raises(InputError, match="not a readable Parquet file"):
        _check("teacher_census", path)


def test_a_file_not_named_after_its_year_is_refused(records):
    path = records / "teacher_census" / "202425.parquet"
    renamed = path.rename(path.with_name("census_2024.parquet"))
    with pytest.raises(InputError, match=r"is not named <time_period>\.parquet"):
        _check("teacher_census", renamed)


@pytest.mark.parametrize(
    ("collection", "column", "row"),
    [
        ("teacher_census", "teacher_ref", 6),
        ("npq_participants", "participant_ref", 2),
        ("npq_participants", "teacher_ref", 8),
    ],
)
def test_an_identifier_breach_names_row_and_column_but_never_the_value(
    records, collection, column, row
):
    path = records / collection / "202425.parquet"
    _rewrite(path, _set(column, row, "'TRN-2468013-QZXW'"))  # a real reference sent by mistake
    with pytest.raises(InputError) as caught:
        _check(collection, path)
    error = caught.value
    assert (error.file, error.row, error.column) == (str(path), row, column)
    assert "value not shown" in str(error) and "pseudonym" in str(error)
    assert "TRN-2468013-QZXW" not in str(error)
