"""Unit tests for the EES file reader (`pipelines.ees`) and its pure transforms.

Every synthetic file is a tiny literal written as bytes into `tmp_path`, so BOMs, CRLF line
endings and Latin-1 bytes are exactly what the test says. The last section reads the real EES
files under ../shared/realdata/ees when that folder exists.
"""

import gzip
import hashlib
from functools import cache
from pathlib import Path

import polars as pl
import pytest

from pipelines.ees import EES_REQUIRED_COLUMNS, ROW_NUMBER, read_ees_csv
from pipelines.errors import InputError
from pipelines.transforms.ees import (
    MISSING,
    STATUSES,
    SYMBOL_STATUS,
    VALUE,
    conform_period,
    split_indicators,
    status_column,
)

REALDATA_EES = Path(__file__).resolve().parents[1].parent / "shared" / "realdata" / "ees"
ECF_FILE = "teacher_leader_development_ecf_2022-23.csv"

HEADER = b"time_period,time_identifier,geographic_level,count_ects\n"
ROW = b"202324,Academic year,National,"  # a data row up to (not including) its indicator cell


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def write(tmp_path: Path, data: bytes, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def ees_file(tmp_path: Path, *cells: bytes, name: str = "data.csv") -> Path:
    """A four-column EES file with one data row per indicator cell (rows 2, 3, ...)."""
    return write(tmp_path, HEADER + b"".join(ROW + cell + b"\n" for cell in cells), name)


def read_error(path: Path, **kwargs) -> InputError:
    with pytest.raises(InputError) as info:
        read_ees_csv(path, **kwargs)
    return info.value


def assert_input_error(
    err: InputError, file: str | Path, *, row: int | None, column: str | None, rule: str
) -> None:
    """The error's attributes, and a message that names file, row and column."""
    assert err.file == str(file)
    assert err.row == row
    assert err.column == column
    assert err.rule == rule
    text = str(err)
    assert f"file {file}" in text
    if row is not None:
        assert f"row {row}" in text
    if column is not None:
        assert f"column '{column}'" in text
    assert f"[rule: {rule}]" in text


def split(path: Path, indicators: tuple[str, ...] = ("count_ects",)) -> pl.DataFrame:
    return split_indicators(read_ees_csv(path), list(indicators), str(path))


def fingerprint(folder: Path) -> dict[str, tuple[str, int]]:
    """sha256 and mtime of every file in a folder, to prove nothing was written."""
    return {
        p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(folder.iterdir())
    }


# --------------------------------------------------------------------------------------------
# read_ees_csv: what it returns for a good file
# --------------------------------------------------------------------------------------------


def test_reads_every_column_as_text_with_file_line_numbers(tmp_path):
    path = ees_file(tmp_path, b"10", b"007", b"c")
    frame = read_ees_csv(path)

    assert frame.columns == [
        "time_period",
        "time_identifier",
        "geographic_level",
        "count_ects",
        ROW_NUMBER,
    ]
    assert frame.schema[ROW_NUMBER] == pl.Int64
    assert all(frame.schema[c] == pl.String for c in frame.columns if c != ROW_NUMBER)
    # Text verbatim: "007" keeps its zeros, nothing is parsed here.
    assert frame["count_ects"].to_list() == ["10", "007", "c"]
    assert frame["time_period"].to_list() == ["202324"] * 3
    assert frame[ROW_NUMBER].to_list() == [2, 3, 4]


def test_row_numbers_are_file_lines_across_blank_lines(tmp_path):
    path = write(tmp_path, HEADER + b"\n" + ROW + b"1\n\n\n" + ROW + b"2\n\n")
    frame = read_ees_csv(path)
    assert frame["count_ects"].to_list() == ["1", "2"]
    assert frame[ROW_NUMBER].to_list() == [3, 6]


def test_utf8_bom_is_not_part_of_the_first_column_name(tmp_path):
    path = write(tmp_path, b"\xef\xbb\xbf" + HEADER + ROW + b"5\n")
    frame = read_ees_csv(path)
    assert frame.columns[0] == "time_period"
    assert not any("\ufeff" in name for name in frame.columns)
    assert frame["time_period"].to_list() == ["202324"]
    assert frame[ROW_NUMBER].to_list() == [2]


def test_utf8_bom_with_quoted_header(tmp_path):
    path = write(
        tmp_path,
        b'\xef\xbb\xbf"time_period","time_identifier","geographic_level"\n'
        b'"202324","Academic year","National"\n',
    )
    frame = read_ees_csv(path)
    assert frame.columns[:3] == list(EES_REQUIRED_COLUMNS)
    assert frame.row(0) == ("202324", "Academic year", "National", 2)


def test_crlf_line_endings_leave_no_carriage_returns(tmp_path):
    crlf = (HEADER + ROW + b"1\n" + ROW + b"2\n" + ROW + b"3\n").replace(b"\n", b"\r\n")
    assert b"\r\n" in crlf and crlf.count(b"\r") == 4
    frame = read_ees_csv(write(tmp_path, crlf))

    assert frame.columns[-2] == "count_ects"  # not "count_ects\r"
    assert frame["count_ects"].to_list() == ["1", "2", "3"]
    for name in frame.columns:
        assert "\r" not in name
        if frame.schema[name] == pl.String:
            assert not frame[name].str.contains("\r").any()
    assert frame[ROW_NUMBER].to_list() == [2, 3, 4]


def test_crlf_and_lf_files_read_identically(tmp_path):
    lf = HEADER + ROW + b"1\n" + ROW + b"\n" + ROW + b"z\n"
    from_lf = read_ees_csv(write(tmp_path, lf, "lf.csv"))
    from_crlf = read_ees_csv(write(tmp_path, lf.replace(b"\n", b"\r\n"), "crlf.csv"))
    assert from_crlf.equals(from_lf)


def test_bom_and_crlf_together(tmp_path):
    path = write(tmp_path, b"\xef\xbb\xbf" + (HEADER + ROW + b"7\n").replace(b"\n", b"\r\n"))
    frame = read_ees_csv(path)
    assert frame.columns[0] == "time_period"
    assert frame["count_ects"].to_list() == ["7"]


def test_last_line_without_newline_is_read(tmp_path):
    frame = read_ees_csv(write(tmp_path, HEADER + ROW + b"1\n" + ROW + b"2"))
    assert frame["count_ects"].to_list() == ["1", "2"]
    assert frame[ROW_NUMBER].to_list() == [2, 3]


@pytest.mark.parametrize("blank", [b"", b" ", b"   ", b"\t"], ids=repr)
def test_blank_cells_are_null(tmp_path, blank):
    path = write(tmp_path, HEADER + b"202324,Academic year," + blank + b"," + blank + b"\n")
    frame = read_ees_csv(path)
    assert frame["geographic_level"][0] is None
    assert frame["count_ects"][0] is None
    assert frame["time_period"][0] == "202324"


def test_quoted_field_with_comma_is_one_field(tmp_path):
    path = write(
        tmp_path,
        b"time_period,time_identifier,geographic_level,la_name,count_ects\n"
        b'202324,Academic year,Local authority,"Bristol, City of",12\n'
        b'202324,Academic year,Local authority,"Say ""hi"", ok",13\n',
    )
    frame = read_ees_csv(path)
    assert frame.width == 6
    assert frame["la_name"].to_list() == ["Bristol, City of", 'Say "hi", ok']
    assert frame["count_ects"].to_list() == ["12", "13"]


def test_header_names_are_stripped(tmp_path):
    path = write(tmp_path, b" time_period , time_identifier,geographic_level ,n\n1,2,3,4\n")
    frame = read_ees_csv(path)
    assert frame.columns[:4] == [*EES_REQUIRED_COLUMNS, "n"]


def test_cell_text_is_kept_verbatim_apart_from_blanks(tmp_path):
    frame = read_ees_csv(ees_file(tmp_path, b" 12 ", "Sant\u00e9".encode()))
    assert frame["count_ects"].to_list() == [" 12 ", "Sant\u00e9"]


def test_csv_gz_is_read(tmp_path):
    body = b"\xef\xbb\xbf" + HEADER + ROW + b"1\n" + ROW + b"x\n"
    plain = read_ees_csv(write(tmp_path, body, "plain.csv"))
    zipped = read_ees_csv(write(tmp_path, gzip.compress(body), "data.csv.gz"))
    assert zipped.columns[0] == "time_period"
    assert zipped["count_ects"].to_list() == ["1", "x"]
    assert zipped[ROW_NUMBER].to_list() == [2, 3]
    assert zipped.equals(plain)


def test_required_columns_argument_accepts_present_columns(tmp_path):
    frame = read_ees_csv(ees_file(tmp_path, b"1"), required_columns=("count_ects",))
    assert frame.height == 1


# --------------------------------------------------------------------------------------------
# read_ees_csv: refusals, each naming file, row, column and rule
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("missing", EES_REQUIRED_COLUMNS)
def test_missing_ees_required_column(tmp_path, missing):
    names = [n for n in (*EES_REQUIRED_COLUMNS, "count_ects") if n != missing]
    path = write(tmp_path, ",".join(names).encode() + b"\n" + b"1,2,3\n")
    err = read_error(path)
    assert_input_error(err, path, row=1, column=missing, rule="required_columns")


def test_missing_column_named_in_required_columns(tmp_path):
    path = ees_file(tmp_path, b"1")
    err = read_error(path, required_columns=("count_ects", "count_mentors"))
    assert_input_error(err, path, row=1, column="count_mentors", rule="required_columns")


def test_required_column_names_are_case_sensitive(tmp_path):
    path = write(tmp_path, b"Time_Period,time_identifier,geographic_level\n1,2,3\n")
    err = read_error(path)
    assert_input_error(err, path, row=1, column="time_period", rule="required_columns")


def test_truncated_row(tmp_path):
    path = write(tmp_path, HEADER + ROW + b"1\n" + b"202324,Academic year\n" + ROW + b"3\n")
    err = read_error(path)
    # Two fields of four: the first absent column is geographic_level.
    assert_input_error(err, path, row=3, column="geographic_level", rule="row_width")
    assert "2 fields" in str(err) and "4" in str(err)


def test_row_with_extra_fields(tmp_path):
    path = write(tmp_path, HEADER + ROW + b"1,oops\n" + ROW + b"2\n")
    err = read_error(path)
    assert_input_error(err, path, row=2, column=None, rule="row_width")
    assert "5 fields" in str(err)


def test_unquoted_comma_in_a_cell_is_a_ragged_row(tmp_path):
    path = write(
        tmp_path,
        b"time_period,time_identifier,geographic_level,la_name\n"
        b"202324,Academic year,Local authority,Bristol\n"
        b"202324,Academic year,Local authority,Bristol, City of\n",
    )
    assert_input_error(read_error(path), path, row=3, column=None, rule="row_width")


def test_ragged_row_number_in_crlf_file(tmp_path):
    body = (HEADER + ROW + b"1\n" + ROW + b"2\n" + b"202324\n").replace(b"\n", b"\r\n")
    path = write(tmp_path, body)
    assert_input_error(read_error(path), path, row=4, column="time_identifier", rule="row_width")


@pytest.mark.parametrize("cell", [b"12a", b"five"])
def test_text_in_count_column(tmp_path, cell):
    path = ees_file(tmp_path, b"10", b"c", cell, b"3")
    frame = read_ees_csv(path)  # the reader keeps text; the transform refuses it
    with pytest.raises(InputError) as info:
        split_indicators(frame, ["count_ects"], str(path))
    err = info.value
    assert_input_error(err, path, row=4, column="count_ects", rule="indicator_symbols")
    assert repr(cell.decode()) in str(err)


def test_text_in_first_data_row_is_row_2(tmp_path):
    path = ees_file(tmp_path, b"five")
    with pytest.raises(InputError) as info:
        split(path)
    assert_input_error(info.value, path, row=2, column="count_ects", rule="indicator_symbols")


def test_latin1_byte_in_data_row(tmp_path):
    path = write(
        tmp_path,
        b"time_period,time_identifier,geographic_level,la_name\n"
        b"202324,Academic year,National,England\n"
        b"202324,Academic year,Local authority,Sant\xe9\n",
    )
    err = read_error(path)
    assert_input_error(err, path, row=3, column=None, rule="encoding")
    assert "0xe9" in str(err)


def test_latin1_byte_in_header(tmp_path):
    path = write(tmp_path, b"time_period,time_identifier,geographic_level,ann\xe9e\n1,2,3,4\n")
    assert_input_error(read_error(path), path, row=1, column=None, rule="encoding")


def test_latin1_byte_in_crlf_gz_file(tmp_path):
    body = (HEADER + ROW + b"1\n" + ROW + b"\xe9\n").replace(b"\n", b"\r\n")
    path = write(tmp_path, gzip.compress(body), "data.csv.gz")
    assert_input_error(read_error(path), path, row=3, column=None, rule="encoding")


@pytest.mark.parametrize("sep", [b";", b"\t", b"|"], ids=["semicolon", "tab", "pipe"])
def test_wrong_delimiter(tmp_path, sep):
    path = write(
        tmp_path,
        sep.join(EES_REQUIRED_COLUMNS[i].encode() for i in range(3))
        + b"\n"
        + sep.join([b"202324", b"Academic year", b"National"])
        + b"\n",
    )
    err = read_error(path)
    assert err.rule == "delimiter"
    assert err.row == 1
    assert err.file == str(path)
    assert err.column is not None and err.column.startswith("time_period" + sep.decode())
    assert "delimiter" in str(err) and f"file {path}" in str(err)


@pytest.mark.parametrize(
    "data",
    [b"", b"\xef\xbb\xbf", b"\n", b"\r\n", b"  \n\n"],
    ids=["empty", "bom", "lf", "crlf", "blank"],
)
def test_empty_file(tmp_path, data):
    path = write(tmp_path, data)
    err = read_error(path)
    assert_input_error(err, path, row=1, column=None, rule="header")
    assert "empty" in str(err)


@pytest.mark.parametrize(
    "data",
    [HEADER, HEADER.rstrip(b"\n"), HEADER.replace(b"\n", b"\r\n"), HEADER + b"\n\n"],
    ids=["lf", "no-newline", "crlf", "trailing-blank-lines"],
)
def test_header_only_file(tmp_path, data):
    path = write(tmp_path, data)
    err = read_error(path)
    assert_input_error(err, path, row=2, column=None, rule="no_data")
    assert "no data rows" in str(err)


@pytest.mark.parametrize(
    "header", [b"time_period,time_identifier,geographic_level,n,n", b"time_period,n, n"]
)
def test_duplicated_column_name(tmp_path, header):
    path = write(tmp_path, header + b",time_identifier,geographic_level\n" + b"1,2,3,4,5,6,7\n")
    err = read_error(path)
    assert_input_error(err, path, row=1, column="n", rule="header")
    assert "duplicated" in str(err)


def test_duplicated_required_column(tmp_path):
    path = write(tmp_path, b"time_period,time_identifier,geographic_level,time_period\n1,2,3,4\n")
    assert_input_error(read_error(path), path, row=1, column="time_period", rule="header")


def test_column_with_no_name(tmp_path):
    path = write(tmp_path, b"time_period,time_identifier,geographic_level,\n1,2,3,4\n")
    assert_input_error(read_error(path), path, row=1, column=None, rule="header")


def test_unterminated_quote(tmp_path):
    path = write(tmp_path, HEADER + ROW + b"1\n" + ROW + b'"2\n')
    err = read_error(path)
    assert err.rule == "csv"
    assert err.row == 3
    assert f"file {path}" in str(err)


def test_text_after_closing_quote(tmp_path):
    path = write(tmp_path, HEADER + ROW + b'"1"2\n')
    assert_input_error(read_error(path), path, row=2, column=None, rule="csv")


def test_missing_file(tmp_path):
    path = tmp_path / "absent.csv"
    err = read_error(path)
    assert err.rule == "readable"
    assert err.file == str(path)
    assert not path.exists()


def test_corrupt_gz(tmp_path):
    path = write(tmp_path, HEADER + ROW + b"1\n", "data.csv.gz")  # plain text, .gz name
    err = read_error(path)
    assert err.rule == "readable"
    assert f"file {path}" in str(err)


def test_truncated_gz(tmp_path):
    path = write(tmp_path, gzip.compress(HEADER + ROW + b"1\n")[:-10], "data.csv.gz")
    assert read_error(path).rule == "readable"


# --------------------------------------------------------------------------------------------
# Nothing half-written: the reader never changes or adds files
# --------------------------------------------------------------------------------------------

BAD_FILES = {
    "latin1": HEADER + ROW + b"\xe9\n",
    "ragged": HEADER + ROW + b"1,2\n",
    "truncated": HEADER + b"202324\n",
    "semicolon": b"time_period;time_identifier;geographic_level\n1;2;3\n",
    "empty": b"",
    "header-only": HEADER,
    "duplicate": b"time_period,time_identifier,geographic_level,time_period\n1,2,3,4\n",
    "missing-column": b"time_period,time_identifier\n1,2\n",
    "bad-quote": HEADER + ROW + b'"1\n',
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_failing_read_leaves_the_input_untouched(tmp_path, name):
    path = write(tmp_path, BAD_FILES[name])
    before = fingerprint(tmp_path)
    with pytest.raises(InputError):
        read_ees_csv(path)
    assert fingerprint(tmp_path) == before
    assert path.read_bytes() == BAD_FILES[name]


def test_failing_gz_read_leaves_the_input_untouched(tmp_path):
    data = gzip.compress(HEADER + ROW + b"1,2\n")
    path = write(tmp_path, data, "data.csv.gz")
    before = fingerprint(tmp_path)
    with pytest.raises(InputError):
        read_ees_csv(path)
    assert fingerprint(tmp_path) == before
    assert path.read_bytes() == data


def test_successful_read_leaves_the_input_untouched(tmp_path):
    data = b"\xef\xbb\xbf" + (HEADER + ROW + b" \n" + ROW + b"c\n").replace(b"\n", b"\r\n")
    path = write(tmp_path, data)
    before = fingerprint(tmp_path)
    read_ees_csv(path)
    assert fingerprint(tmp_path) == before


# --------------------------------------------------------------------------------------------
# split_indicators: text -> Float64 value + status
# --------------------------------------------------------------------------------------------


# Every symbol's status, pinned as literals from the file standard (../shared/reference/EES.md
# part B4: the analysts' guide "Data symbols" table, the screener's legacy and no-data lists)
# and the legacy DfE convention, never read from the code's own table: dropping a symbol or
# mapping one to another status fails here.
EES_STANDARD_STATUSES = {
    "c": "confidential",  # confidential / suppressed
    "x": "not_available",  # unavailable for other reasons
    "z": "not_applicable",  # not applicable
    "u": "low_reliability",  # low reliability
    "low": "rounds_to_zero",  # rounds to 0 but is not 0
    "k": "rounds_to_zero",  # `low` for sensitive topics
    "~": "rounds_to_zero",  # obsolete equivalent of low
    ":": "not_available",  # obsolete equivalent of x
    ".": "not_applicable",  # legacy no-data marker: not applicable
    "..": "not_available",  # legacy no-data marker: not available
    "-": "not_available",  # legacy no-data marker
    "n/a": "not_available",  # legacy no-data marker
    "null": "not_available",  # null-like
    "na": "not_available",  # null-like
}
# DfE statistical releases before EES: `x` marked a small count suppressed to protect
# confidentiality; every other symbol reads as in the standard.
LEGACY_DFE_STATUSES = {**EES_STANDARD_STATUSES, "x": "confidential"}
ALL_STATUSES = {
    "value",
    "missing",
    "confidential",
    "not_available",
    "not_applicable",
    "low_reliability",
    "rounds_to_zero",
}


def test_statuses_are_the_pinned_ones():
    assert STATUSES[:2] == (VALUE, MISSING) == ("value", "missing")
    assert len(set(STATUSES)) == len(STATUSES)
    assert set(STATUSES) == ALL_STATUSES


def test_the_symbol_table_holds_exactly_the_pinned_symbols():
    assert set(SYMBOL_STATUS) == set(EES_STANDARD_STATUSES)


@pytest.mark.parametrize(("symbol", "status"), sorted(EES_STANDARD_STATUSES.items()))
def test_every_symbol_becomes_null_with_its_status(tmp_path, symbol, status):
    path = ees_file(tmp_path, b"5", symbol.encode(), b"0")
    out = split(path)
    assert out["count_ects"].dtype == pl.Float64
    assert out["count_ects_status"].dtype == pl.String
    # The symbol's row: null (never 0), with the status the standard gives it.
    assert out["count_ects"].to_list() == [5.0, None, 0.0]
    assert out["count_ects_status"].to_list() == ["value", status, "value"]


@pytest.mark.parametrize(("symbol", "status"), sorted(LEGACY_DFE_STATUSES.items()))
def test_every_symbol_of_a_file_before_ees_reads_by_the_legacy_convention(tmp_path, symbol, status):
    rows = b"".join(b"201718,Academic year,National," + c + b"\n" for c in (b"5", symbol.encode()))
    out = split(write(tmp_path, HEADER + rows))
    assert out["count_ects"].to_list() == [5.0, None]
    assert out["count_ects_status"].to_list() == ["value", status]


# The code lower-cases a stripped cell before looking it up, so symbols match whatever their
# case or surrounding spaces.
@pytest.mark.parametrize(
    ("cell", "status"),
    [
        ("LOW", "rounds_to_zero"),
        ("Low", "rounds_to_zero"),
        ("C", "confidential"),
        ("X", "not_available"),
        ("Z", "not_applicable"),
        ("U", "low_reliability"),
        ("K", "rounds_to_zero"),
        ("N/A", "not_available"),
        ("NA", "not_available"),
        ("Null", "not_available"),
        (" c ", "confidential"),
        ("  z", "not_applicable"),
    ],
)
def test_symbols_match_case_insensitively_and_ignore_spaces(tmp_path, cell, status):
    out = split(ees_file(tmp_path, cell.encode()))
    assert out["count_ects"][0] is None
    assert out["count_ects_status"][0] == status


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("0", 0.0),
        ("42", 42.0),
        ("007", 7.0),
        ("-3", -3.0),
        ("12.5", 12.5),
        ("-0.25", -0.25),
        (".5", 0.5),
        ("1.", 1.0),
        ("97.4", 97.4),
        ("1e3", 1000.0),
        ("2.5E-1", 0.25),
        (" 12 ", 12.0),
        ("123456789", 123456789.0),
    ],
)
def test_numbers_become_float_values(tmp_path, cell, value):
    out = split(ees_file(tmp_path, cell.encode()))
    assert out["count_ects"].dtype == pl.Float64
    assert out["count_ects"][0] == pytest.approx(value)
    assert out["count_ects_status"][0] == VALUE


@pytest.mark.parametrize("blank", [b"", b" ", b"    "], ids=repr)
def test_blank_cells_are_missing(tmp_path, blank):
    out = split(ees_file(tmp_path, b"1", blank, b"2"))
    assert out["count_ects"].to_list() == [1.0, None, 2.0]
    assert out["count_ects_status"].to_list() == [VALUE, MISSING, VALUE]


# Actual behaviour: only plain decimal numbers are values; signs, thousands separators,
# nan/inf and hex are not EES numbers and are refused.
@pytest.mark.parametrize("cell", ["+5", "1,234", "nan", "inf", "0x10", "1_000", "5%", "c c"])
def test_other_text_is_refused(tmp_path, cell):
    path = ees_file(tmp_path, b"1", f'"{cell}"'.encode())
    with pytest.raises(InputError) as info:
        split(path)
    assert_input_error(info.value, path, row=3, column="count_ects", rule="indicator_symbols")


@pytest.mark.parametrize(
    "cell", ["\u0661\u0662", "\uff11\uff12"], ids=["arabic-indic", "fullwidth"]
)
def test_non_ascii_digits_are_refused_with_input_error(tmp_path, cell):
    path = ees_file(tmp_path, b"1", cell.encode())
    with pytest.raises(InputError) as info:
        split(path)
    assert_input_error(info.value, path, row=3, column="count_ects", rule="indicator_symbols")


def test_split_several_indicators_and_keeps_other_columns(tmp_path):
    path = write(
        tmp_path,
        b"time_period,time_identifier,geographic_level,region_name,count_a,percent_b\n"
        b"202324,Academic year,National,,10,97.4\n"
        b"202324,Academic year,Regional,North East,c,z\n"
        b"202324,Academic year,Regional,London,low,\n",
    )
    frame = read_ees_csv(path)
    out = split_indicators(frame, ["count_a", "percent_b"], str(path))

    assert out.height == frame.height
    assert out.columns == [*frame.columns, "count_a_status", "percent_b_status"]
    assert out["count_a"].to_list() == [10.0, None, None]
    assert out["count_a_status"].to_list() == [VALUE, "confidential", "rounds_to_zero"]
    assert out["percent_b"].to_list() == [97.4, None, None]
    assert out["percent_b_status"].to_list() == [VALUE, "not_applicable", MISSING]
    # Filters, other text and row numbers are untouched.
    assert out["region_name"].to_list() == [None, "North East", "London"]
    assert out[ROW_NUMBER].to_list() == [2, 3, 4]
    # Pure: the input frame is unchanged.
    assert frame["count_a"].to_list() == ["10", "c", "low"]
    assert frame.schema["count_a"] == pl.String


def test_status_column_name():
    assert status_column("count_ects") == "count_ects_status"


def test_split_with_no_indicators_is_identity(tmp_path):
    frame = read_ees_csv(ees_file(tmp_path, b"1"))
    assert split_indicators(frame, [], "f.csv").equals(frame)


def test_missing_indicator_column():
    frame = pl.DataFrame({"count_a": ["1"], ROW_NUMBER: [2]})
    with pytest.raises(InputError) as info:
        split_indicators(frame, ["count_a", "count_b"], "in.csv")
    assert_input_error(info.value, "in.csv", row=1, column="count_b", rule="required_columns")


def test_split_reports_first_bad_row_of_first_bad_column():
    frame = pl.DataFrame(
        {"count_a": ["1", "2", "bad", "worse"], "count_b": ["nope", "1", "1", "1"]}
    ).with_columns(line=pl.Series([10, 11, 12, 13]))
    with pytest.raises(InputError) as info:
        split_indicators(frame, ["count_a", "count_b"], "in.csv", row_column="line")
    assert_input_error(info.value, "in.csv", row=12, column="count_a", rule="indicator_symbols")
    assert "'bad'" in str(info.value)


# --------------------------------------------------------------------------------------------
# conform_period
# --------------------------------------------------------------------------------------------


def period_file(tmp_path: Path, *rows: tuple[bytes, bytes]) -> Path:
    body = b"time_period,time_identifier,geographic_level\n"
    body += b"".join(period + b"," + identifier + b",National\n" for period, identifier in rows)
    return write(tmp_path, body)


def test_conform_academic_year(tmp_path):
    path = period_file(
        tmp_path,
        (b"202324", b"Academic year"),
        (b"199900", b"Academic year"),
        (b" 202021 ", b"Academic year"),
    )
    frame = read_ees_csv(path)
    out = conform_period(frame, str(path))
    assert out["academic_year"].to_list() == ["2023/24", "1999/00", "2020/21"]
    assert out["year_start"].to_list() == [2023, 1999, 2020]
    assert out["year_start"].dtype.is_integer()
    assert out.columns == [*frame.columns, "academic_year", "year_start"]
    assert not any(c.startswith("_ok") for c in out.columns)
    assert out["time_period"].to_list() == frame["time_period"].to_list()


def test_conform_crlf_file(tmp_path):
    body = b"time_period,time_identifier,geographic_level\r\n202324,Academic year,National\r\n"
    out = conform_period(read_ees_csv(write(tmp_path, body)), "f.csv")
    assert out.row(0, named=True)["academic_year"] == "2023/24"
    assert out.row(0, named=True)["year_start"] == 2023


@pytest.mark.parametrize(
    "period",
    [b"202325", b"202322", b"2023", b"20232", b"2023/24", b"2023-24", b"20232024", b"", b"abcdef"],
    ids=repr,
)
def test_bad_time_period(tmp_path, period):
    path = period_file(tmp_path, (b"202324", b"Academic year"), (period, b"Academic year"))
    with pytest.raises(InputError) as info:
        conform_period(read_ees_csv(path), str(path))
    assert_input_error(info.value, path, row=3, column="time_period", rule="time_period")


@pytest.mark.parametrize(
    "identifier",
    [b"Financial year", b"Calendar year", b"Reporting year", b"Tax year", b"academic year", b""],
    ids=repr,
)
def test_non_academic_time_identifier(tmp_path, identifier):
    path = period_file(
        tmp_path,
        (b"202324", b"Academic year"),
        (b"202223", b"Academic year"),
        (b"202324", identifier),
    )
    with pytest.raises(InputError) as info:
        conform_period(read_ees_csv(path), str(path))
    assert_input_error(info.value, path, row=4, column="time_identifier", rule="time_period")


def test_conform_uses_row_column():
    frame = pl.DataFrame(
        {
            "time_period": ["202324", "2023"],
            "time_identifier": ["Academic year"] * 2,
            "line": [7, 9],
        }
    )
    with pytest.raises(InputError) as info:
        conform_period(frame, "p.csv", row_column="line")
    assert_input_error(info.value, "p.csv", row=9, column="time_period", rule="time_period")
    assert "'2023'" in str(info.value)


# --------------------------------------------------------------------------------------------
# Row numbers for records that span lines
# --------------------------------------------------------------------------------------------


def test_multiline_quoted_field_is_one_record(tmp_path):
    path = write(tmp_path, HEADER + ROW + b'"1\n2"\n' + ROW + b"3\n")
    frame = read_ees_csv(path)
    assert frame["count_ects"].to_list() == ["1\n2", "3"]
    # The next record's number is still its file line.
    assert frame[ROW_NUMBER][1] == 4


def test_multiline_record_is_numbered_by_its_first_line(tmp_path):
    path = write(tmp_path, HEADER + ROW + b'"1\n2"\n' + ROW + b"3\n")
    assert read_ees_csv(path)[ROW_NUMBER].to_list() == [2, 4]


# --------------------------------------------------------------------------------------------
# Real EES files (../shared/realdata/ees), when present
# --------------------------------------------------------------------------------------------


def real_data_files() -> list[Path]:
    if not REALDATA_EES.is_dir():
        return []
    files = [p for p in REALDATA_EES.rglob("*.csv") if not p.name.endswith("meta.csv")]
    return sorted([*files, *REALDATA_EES.rglob("data.csv.gz")])


def real_params() -> list:
    files = real_data_files()
    if not files:
        return [pytest.param(None, id="realdata-absent")]
    return [pytest.param(p, id=str(p.relative_to(REALDATA_EES))) for p in files]


@cache
def read_real(path: Path) -> pl.DataFrame:
    return read_ees_csv(path)


def raw_text(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


def header_names(path: Path) -> list[str]:
    first = raw_text(path).split(b"\n", 1)[0].decode("utf-8-sig").strip()
    return [name.strip().strip('"') for name in first.split(",")]


def skip_if_absent(path: Path | None) -> Path:
    if path is None:
        pytest.skip(f"realdata folder absent: {REALDATA_EES} (or it holds no EES data files)")
    return path


@pytest.mark.parametrize("path", real_params())
def test_real_file_reads(path):
    path = skip_if_absent(path)
    if not set(EES_REQUIRED_COLUMNS) <= set(header_names(path)):
        # Not an EES data file by the standard: the reader must say which column is absent.
        # (At the time of writing every real file, including ks4_subject_main and
        # pupilprojections, does have the three required columns.)
        err = read_error(path)
        assert err.rule == "required_columns" and err.row == 1
        return
    frame = read_real(path)
    assert frame.height > 0
    assert frame.columns[: len(header_names(path))] == header_names(path)
    assert frame.columns[-1] == ROW_NUMBER
    assert set(EES_REQUIRED_COLUMNS) <= set(frame.columns)
    assert frame.columns[0] == "time_period"  # no BOM on the first name
    rows = frame[ROW_NUMBER]
    assert rows[0] == 2
    assert rows.diff().drop_nulls().min() > 0  # strictly increasing file lines
    assert rows[-1] <= raw_text(path).count(b"\n") + 1
    assert frame["time_period"].null_count() == 0


@pytest.mark.parametrize("path", real_params())
def test_real_file_periods(path):
    path = skip_if_absent(path)
    if not set(EES_REQUIRED_COLUMNS) <= set(header_names(path)):
        pytest.skip(f"{path.name} lacks the EES required columns")
    frame = read_real(path)
    identifiers = set(frame["time_identifier"].unique().to_list())
    if identifiers == {"Academic year"}:
        out = conform_period(frame, str(path))
        assert out["academic_year"].null_count() == 0
        assert out["academic_year"].str.contains(r"^\d{4}/\d{2}$").all()
    else:
        # e.g. pupilprojections ("Reporting year", 4-digit periods) and regional_map_data_ees
        # ("Tax year") are not academic-year files: conform_period refuses them.
        with pytest.raises(InputError) as info:
            conform_period(frame, str(path))
        assert info.value.rule == "time_period"
        assert info.value.column in ("time_period", "time_identifier")
        assert info.value.row is not None and info.value.row >= 2


def test_real_ecf_file_indicators():
    path = REALDATA_EES / ECF_FILE
    if not path.is_file():
        pytest.skip(f"realdata folder absent: {path} not found")
    frame = read_real(path)
    indicators = [c for c in frame.columns if c.startswith(("total_", "count_", "percent_"))]
    assert len(indicators) >= 3

    out = split_indicators(frame, indicators, str(path))
    assert out.height == frame.height
    z_total = 0
    for name in indicators:
        status = out[status_column(name)]
        is_z = frame[name].str.strip_chars().str.to_lowercase() == "z"
        z_total += int(is_z.sum())
        assert out.schema[name] == pl.Float64
        assert set(status.unique().to_list()) <= set(STATUSES)
        # Every "z" cell is not_applicable with a null value, and only those.
        assert (status == "not_applicable").to_list() == is_z.fill_null(False).to_list()
        assert out.filter(is_z)[name].null_count() == int(is_z.sum())
        # Every published value is a number (none silently dropped to null).
        values = out.filter(status == VALUE)[name]
        assert values.null_count() == 0
    assert z_total > 0, "the ECF file is expected to hold some 'z' cells"
    conformed = conform_period(out, str(path))
    assert set(conformed["academic_year"].unique().to_list()) <= {"2021/22", "2022/23"}


def test_rows_of_only_spaces_or_empty_cells_are_skipped(tmp_path):
    # Excel exports often end with ",,," rows; a line of spaces carries no data either.
    path = write(tmp_path, HEADER + ROW + b"1\n" + b"   \n" + b",,,\n" + ROW + b"2\n")
    frame = read_ees_csv(path)
    assert frame["count_ects"].to_list() == ["1", "2"]
    assert frame[ROW_NUMBER].to_list() == [2, 5]


@pytest.mark.parametrize("name", [b"*", b"^.*$", b"^count_ects$", b"^[$"])
def test_column_names_are_literal_not_wildcards_or_patterns(tmp_path, name):
    # Polars reads `*` as every column and `^...$` as a regex: the reader must not.
    path = write(tmp_path, HEADER.rstrip(b"\n") + b"," + name + b"\n" + ROW + b"5, 7 \n")
    frame = read_ees_csv(path)
    assert frame.columns == [*HEADER.decode().strip().split(","), name.decode(), ROW_NUMBER]
    assert frame.row(0) == ("202324", "Academic year", "National", "5", " 7 ", 2)
    out = split_indicators(frame, ["count_ects", name.decode()], str(path))
    assert out[name.decode()].to_list() == [7.0]
    assert out[status_column(name.decode())].to_list() == [VALUE]
