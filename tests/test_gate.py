"""Tests for the EES ingest gate (`pipelines.gate`).

Two halves. Unit tests write tiny literal data and meta files into `tmp_path`, break one rule
each and assert the finding's rule, row and column. Corpus tests run the gate over DfE's own
screener test files and the real EES files in ../shared/realdata (skipped when absent): every
pass/ file must pass, every fail/ file must fail unless listed in NOT_IMPLEMENTED (and those
must pass, so the list stays honest), and every real file must pass unless listed in
REAL_FILES_BREAKING_STANDARD with the rule it breaks.
"""

from functools import cache
from pathlib import Path

import pytest

from pipelines import gate
from pipelines.ees import read_ees_csv
from pipelines.errors import InputError
from pipelines.gate import (
    ERROR,
    WARNING,
    Finding,
    accept,
    data_files,
    errors,
    is_meta_file,
    meta_path_for,
    screen,
    screen_meta,
    screen_pair,
    screener_report,
)
from pipelines.transforms.ees import split_indicators

REALDATA = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"
SCREENER = REALDATA / "screener"
REAL_EES = REALDATA / "ees"
ABSENT = f"shared real-data folder absent: {REALDATA} (a checkout outside the workspace)"

# fail/ files the gate lets through on purpose: file name -> why it does not matter to a
# data consumer. test_fail_corpus asserts each of these PASSES, so a rule added later that
# catches one forces this list to shrink.
NOT_IMPLEMENTED = {
    "data_empty_cols.csv": (
        "all-blank LA columns in a file with no LA rows carry no value and hide none; only a "
        "warning (empty_column). The screener itself passes the same file when the blanks "
        "are quoted (pass/variable_characteristic.csv has an all-blank region_code)"
    ),
    "ethnicity_characteristics_filter_wrong_group_and_values.csv": (
        "harmonised ethnicity labels (DfE's naming convention for filter items); the file "
        "is well formed and reads the same either way"
    ),
    "indicator_dp_completed.csv": (
        "blank indicator_dp only sets how EES rounds on screen (2 dp); a warning "
        "(meta_indicator_dp), the published values are unchanged"
    ),
    "non_standard_headers.csv": (
        "ethnicity columns named major_ethnicity / minor_ethnicity instead of the harmonised "
        "ethnicity_major / ethnicity_minor; they are described in the meta and read fine"
    ),
    "special_characters-+#'@.csv": (
        "a file-name rule of the EES upload form; the gate reads any path and the content is clean"
    ),
    "total.csv": (
        "the aggregate item is called 'All' instead of 'Total'; legal text, reported as the "
        "filter_default warning (the real ECF file likewise uses 'Overall')"
    ),
    "ward_combinations.csv": (
        "ward code/name pairs that only the ONS ward lookup can refute; the project does not "
        "vendor it, and the pairs are consistent within the file"
    ),
}

# Real DfE files that break the standard: file name -> (rule, why).
REAL_FILES_BREAKING_STANDARD = {
    "pupilprojections_202122.csv": (
        "indicator_values",
        "indicator cells carry thousands separators ('37,440' in quotes, next to unformatted "
        "33286 on the same row); the standard wants plain numbers, and staging cannot cast them",
    ),
}


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------

HEADER = "time_period,time_identifier,geographic_level,country_code,country_name"
NATIONAL = "202324,Academic year,National,E92000001,England"
META_HEADER = (
    "col_name,col_type,label,indicator_grouping,indicator_unit,indicator_dp,filter_hint,"
    "filter_grouping_column"
)
BASE_COLUMNS = f"{HEADER},region_code,region_name,sex,pupils"
BASE_ROWS = (
    f"{NATIONAL},,,Total,100",  # row 2
    f"{NATIONAL},,,Female,55",  # row 3
    "202324,Academic year,Regional,E92000001,England,E12000001,North East,Total,10",  # row 4
    "202324,Academic year,Regional,E92000001,England,E12000001,North East,Female,5",  # row 5
)
BASE_META = (
    "sex,Filter,Sex,,,,Filter by sex,",  # row 2
    "pupils,Indicator,Number of pupils,Pupils,,0,,",  # row 3
)


def write(tmp_path: Path, name: str, *lines: str) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(
    tmp_path: Path,
    rows: tuple[str, ...] = BASE_ROWS,
    header: str = BASE_COLUMNS,
    meta: tuple[str, ...] | None = BASE_META,
    meta_header: str = META_HEADER,
) -> list[Finding]:
    """Screen a data file (and, unless meta is None, its meta file) built from literals."""
    data = write(tmp_path, "data.csv", header, *rows)
    meta_path = None if meta is None else write(tmp_path, "data.meta.csv", meta_header, *meta)
    return screen(data, meta_path)


def only(findings: list[Finding], rule: str) -> Finding:
    """The single finding for a rule (failing with every finding listed otherwise)."""
    hits = [f for f in findings if f.rule == rule]
    assert len(hits) == 1, "\n".join(f.describe() for f in findings)
    return hits[0]


def where(finding: Finding) -> tuple[str, str, int | None, str | None]:
    return finding.rule, finding.severity, finding.row, finding.column


def replace(rows: tuple[str, ...], index: int, row: str) -> tuple[str, ...]:
    return (*rows[:index], row, *rows[index + 1 :])


# --------------------------------------------------------------------------------------------
# The clean baseline, the API
# --------------------------------------------------------------------------------------------


def test_baseline_file_has_no_finding(tmp_path):
    # Every unit test below breaks one thing in this file, so the findings are theirs.
    assert run(tmp_path) == []
    assert run(tmp_path, meta=None) == []


def test_describe_names_rule_file_row_and_column():
    finding = Finding("time_period", ERROR, "x.csv", 7, "time_period", "'2017188' is wrong")
    line = finding.describe()
    assert "[time_period]" in line and "x.csv" in line
    assert "row 7" in line and "column 'time_period'" in line and "'2017188'" in line
    assert "\n" not in line


def test_accept_raises_the_first_error_as_input_error(tmp_path):
    data = write(tmp_path, "data.csv", BASE_COLUMNS, *replace(BASE_ROWS, 1, f"{NATIONAL},,,,x"))
    meta = write(tmp_path, "data.meta.csv", META_HEADER, *BASE_META)
    first = errors(screen(data, meta))[0]
    with pytest.raises(InputError) as info:
        accept(data, meta)
    err = info.value
    assert (err.rule, err.file, err.row, err.column) == (first.rule, str(data), 3, "sex")
    assert f"file {data}" in str(err) and "row 3" in str(err)


def test_accept_returns_the_warnings_of_a_file_it_accepts(tmp_path):
    rows = tuple(r.replace("Total", "All") for r in BASE_ROWS)
    data = write(tmp_path, "data.csv", BASE_COLUMNS, *rows)
    meta = write(tmp_path, "data.meta.csv", META_HEADER, *BASE_META)
    warnings = accept(data, meta)
    assert [where(w) for w in warnings] == [("filter_default", WARNING, None, "sex")]


def test_reader_errors_become_findings(tmp_path):
    findings = run(tmp_path, rows=(*BASE_ROWS[:2], f"{NATIONAL},,,Male"))
    assert [where(f) for f in findings] == [("row_width", ERROR, 4, "pupils")]


def test_meta_path_for_finds_the_companion_meta_file(tmp_path):
    plain = write(tmp_path, "x.csv", HEADER)
    assert meta_path_for(plain) is None
    meta = write(tmp_path, "x.meta.csv", META_HEADER)
    assert meta_path_for(plain) == meta
    folder = tmp_path / "set"
    folder.mkdir()
    gz = folder / "data.csv.gz"
    gz.write_bytes(b"")
    write(folder, "meta.csv", META_HEADER)
    assert meta_path_for(gz) == folder / "meta.csv"
    assert is_meta_file(meta) and is_meta_file(folder / "meta.csv") and not is_meta_file(gz)


def test_screen_pair_missing_meta_is_a_warning_or_an_upload_error(tmp_path):
    data = write(tmp_path, "data.csv", BASE_COLUMNS, *BASE_ROWS)
    assert [where(f) for f in screen_pair(data)] == [("meta_missing", WARNING, None, None)]
    assert [where(f) for f in screen_pair(data, require_meta=True)] == [
        ("meta_missing", ERROR, None, None)
    ]
    write(tmp_path, "data.meta.csv", META_HEADER, *BASE_META)
    assert screen_pair(data, require_meta=True) == []


def test_report_on_a_list_of_files(tmp_path):
    good = write(tmp_path, "good.csv", BASE_COLUMNS, *BASE_ROWS)
    bad = write(tmp_path, "bad.csv", BASE_COLUMNS, *replace(BASE_ROWS, 0, f"{NATIONAL},,,Total,?"))
    report = screener_report([good, bad])
    assert f"accepted {good}" in report
    assert f"REJECTED {bad}" in report and "[indicator_values]" in report
    assert gate.main([str(good)]) == 0 and gate.main([str(good), str(bad)]) == 1


# --------------------------------------------------------------------------------------------
# Columns and time
# --------------------------------------------------------------------------------------------


def test_required_column_missing(tmp_path):
    header = BASE_COLUMNS.replace(",country_name", "")
    rows = tuple(r.replace(",England", "") for r in BASE_ROWS)
    finding = only(run(tmp_path, rows, header), "required_columns")
    assert where(finding) == ("required_columns", ERROR, 1, "country_name")


def test_column_name_with_a_space(tmp_path):
    meta = ("the sex,Filter,Sex,,,,,", BASE_META[1])
    finding = only(
        run(tmp_path, header=BASE_COLUMNS.replace(",sex,", ",the sex,"), meta=meta), "column_name"
    )
    assert where(finding) == ("column_name", ERROR, 1, "the sex")


def test_all_blank_column_is_a_warning(tmp_path):
    rows = tuple(r + "," for r in BASE_ROWS)
    meta = (*BASE_META, "notes,Filter,Notes,,,,,")
    findings = run(tmp_path, rows, BASE_COLUMNS + ",notes", meta)
    assert where(only(findings, "empty_column")) == ("empty_column", WARNING, 1, "notes")


@pytest.mark.parametrize(
    ("period", "identifier", "rule", "column"),
    [
        ("2017188", "Academic year", "time_period", "time_period"),  # 7 digits
        ("2023/24", "Academic year", "time_period", "time_period"),  # a slash
        ("202325", "Academic year", "time_period", "time_period"),  # not consecutive
        ("202324", "Academic Year", "time_identifier", "time_identifier"),  # case matters
        ("2024", "Academic year", "time_identifier", "time_identifier"),  # 6-digit identifier
        ("202324", "Calendar year", "time_identifier", "time_identifier"),  # 4-digit identifier
    ],
)
def test_time_period_and_identifier(tmp_path, period, identifier, rule, column):
    row = f"{period},{identifier},National,E92000001,England,,,Female,55"
    finding = only(run(tmp_path, replace(BASE_ROWS, 1, row)), rule)
    assert where(finding) == (rule, ERROR, 3, column)


def test_time_identifiers_of_one_group_may_mix(tmp_path):
    rows = tuple(
        r.replace("Academic year", term)
        for r, term in zip(
            BASE_ROWS, ("Autumn term", "Spring term", "Summer term", "Spring term"), strict=True
        )
    )
    assert run(tmp_path, rows) == []


def test_time_identifiers_of_two_groups_do_not_mix(tmp_path):
    row = BASE_ROWS[2].replace("Academic year", "Financial year")
    finding = only(run(tmp_path, replace(BASE_ROWS, 2, row)), "time_identifier_mix")
    assert where(finding) == ("time_identifier_mix", ERROR, 4, "time_identifier")


# --------------------------------------------------------------------------------------------
# Geography
# --------------------------------------------------------------------------------------------

LA_COLUMNS = f"{HEADER},region_code,region_name,old_la_code,new_la_code,la_name,sex,pupils"
LA_ROWS = (
    f"{NATIONAL},,,,,,Total,100",  # row 2
    "202324,Academic year,Regional,E92000001,England,E12000007,London,,,,Total,10",  # row 3
    "202324,Academic year,Local authority,E92000001,England,E12000007,London,204,E09000012,Hackney,Total,5",  # noqa: E501  row 4
    "202324,Academic year,Local authority,E92000001,England,E12000007,London,204,E09000012,Hackney,Female,3",  # noqa: E501  row 5
)


def la_run(tmp_path: Path, rows: tuple[str, ...], header: str = LA_COLUMNS) -> list[Finding]:
    return run(tmp_path, rows, header)


def test_la_baseline_is_clean_and_legacy_las_may_lack_a_new_code(tmp_path):
    assert la_run(tmp_path, LA_ROWS) == []
    legacy = replace(LA_ROWS, 3, LA_ROWS[3].replace("E09000012", ""))
    assert la_run(tmp_path, legacy) == []


def test_unknown_geographic_level(tmp_path):
    row = BASE_ROWS[2].replace("Regional", "Region")
    finding = only(run(tmp_path, replace(BASE_ROWS, 2, row)), "geographic_level")
    assert where(finding) == ("geographic_level", ERROR, 4, "geographic_level")


def test_level_needs_its_columns(tmp_path):
    header = LA_COLUMNS.replace("region_code,", "")
    rows = tuple(r.replace("E12000007,", "").replace(",,,,,,Total", ",,,,,Total") for r in LA_ROWS)
    findings = la_run(tmp_path, rows, header)
    columns = {(f.rule, f.row, f.column) for f in findings if f.rule == "geography_columns"}
    # Regional rows and LA rows (as parents) both need region_code.
    assert columns == {("geography_columns", 1, "region_code")}


def test_level_rows_fill_their_columns_and_parents(tmp_path):
    row = LA_ROWS[3].replace("E12000007,London", ",")
    finding = [
        f for f in la_run(tmp_path, replace(LA_ROWS, 3, row)) if f.rule == "geography_completed"
    ]
    assert [where(f) for f in finding] == [
        ("geography_completed", ERROR, 5, "region_code"),
        ("geography_completed", ERROR, 5, "region_name"),
    ]


def test_country_is_filled_on_every_row(tmp_path):
    row = BASE_ROWS[2].replace("E92000001", "")
    finding = only(run(tmp_path, replace(BASE_ROWS, 2, row)), "geography_completed")
    assert where(finding) == ("geography_completed", ERROR, 4, "country_code")


def test_columns_of_other_levels_stay_blank(tmp_path):
    row = LA_ROWS[1].replace("London,,,", "London,204,,")
    finding = only(la_run(tmp_path, replace(LA_ROWS, 1, row)), "geography_overcompleted")
    assert where(finding) == ("geography_overcompleted", ERROR, 3, "old_la_code")


@pytest.mark.parametrize(
    ("old", "new", "column"),
    [
        ("204,", "E09000012,", "old_la_code"),  # a GSS code in the old 3-digit column
        ("E12000007,London,204", "E09000012,London,204", "region_code"),  # an LA code as region
    ],
)
def test_codes_have_the_shape_of_codes(tmp_path, old, new, column):
    finding = only(
        la_run(tmp_path, replace(LA_ROWS, 3, LA_ROWS[3].replace(old, new))), "geography_code"
    )
    assert where(finding) == ("geography_code", ERROR, 5, column)


def test_unknown_codes_x_and_z_pass_the_shape_check(tmp_path):
    row = LA_ROWS[3].replace("204,E09000012,Hackney", "x,x,Not available")
    assert la_run(tmp_path, replace(LA_ROWS, 3, row)) == []


def test_country_comes_from_the_standard_list(tmp_path):
    row = BASE_ROWS[1].replace("England", "Scotland")
    finding = only(run(tmp_path, replace(BASE_ROWS, 1, row)), "geography_country")
    assert where(finding) == ("geography_country", ERROR, 3, "country_code")
    outside = BASE_ROWS[1].replace("E92000001,England", "z,Outside of England")
    assert run(tmp_path, replace(BASE_ROWS, 1, outside)) == []


@pytest.mark.parametrize(
    ("code_and_name", "row"),
    [("x,Hackney", 4), ("E09000012,Not available", 4)],
)
def test_x_goes_with_not_available(tmp_path, code_and_name, row):
    rows = tuple(r.replace("E09000012,Hackney", code_and_name) for r in LA_ROWS)
    finding = only(la_run(tmp_path, rows), "geography_unknown")
    assert where(finding) == ("geography_unknown", ERROR, row, "new_la_code")


def test_a_code_has_one_name_in_a_period(tmp_path):
    row = LA_ROWS[3].replace("Hackney", "Hackney Borough")
    findings = la_run(tmp_path, replace(LA_ROWS, 3, row))
    columns = {(f.row, f.column) for f in findings if f.rule == "geography_consistency"}
    assert columns == {(5, "new_la_code"), (5, "old_la_code")}


def test_a_name_has_one_code_in_a_period(tmp_path):
    row = LA_ROWS[3].replace("E09000012", "E09000013")
    finding = only(la_run(tmp_path, replace(LA_ROWS, 3, row)), "geography_consistency")
    assert where(finding) == ("geography_consistency", ERROR, 5, "la_name")


def test_codes_and_names_may_change_between_periods(tmp_path):
    rows = (*LA_ROWS, LA_ROWS[3].replace("202324", "202425").replace("Hackney", "Hackney Borough"))
    assert la_run(tmp_path, rows) == []


def test_wards_may_share_names(tmp_path):
    header = f"{HEADER},ward_code,ward_name,pupils"
    rows = (
        "2023,Calendar year,Ward,E92000001,England,E05011473,Abbey,5",
        "2023,Calendar year,Ward,E92000001,England,E05000001,Abbey,6",
    )
    meta = ("pupils,Indicator,Pupils,,,0,,",)
    assert run(tmp_path, rows, header, meta) == []


def test_a_location_is_never_a_total(tmp_path):
    row = BASE_ROWS[2].replace("E12000001,North East", "E12000001,Total")
    finding = only(run(tmp_path, replace(BASE_ROWS, 2, row)), "observational_total")
    assert where(finding) == ("observational_total", ERROR, 4, "region_name")


def test_school_and_provider_rows_do_not_mix(tmp_path):
    header = f"{HEADER},region_code,region_name,old_la_code,new_la_code,la_name,school_urn,school_laestab,school_name,provider_ukprn,provider_name,pupils"  # noqa: E501
    rows = (
        "2023,Calendar year,School,E92000001,England,E12000007,London,204,E09000012,Hackney,100000,2041000,A School,,,5",  # noqa: E501
        "2023,Calendar year,Provider,E92000001,England,,,,,,,,,10000001,A Provider,6",
    )
    finding = only(
        run(tmp_path, rows, header, ("pupils,Indicator,Pupils,,,0,,",)), "geographic_level"
    )
    assert where(finding) == ("geographic_level", ERROR, 3, "geographic_level")


def test_school_name_as_the_only_filter_is_a_label(tmp_path):
    # eesyscreener special case: a school name as sole filter may fill every row.
    header = f"{HEADER},school_name,pupils"
    rows = (f"{NATIONAL},Total,100", f"{NATIONAL},Some School,5")
    meta = ("school_name,Filter,School,,,,,", "pupils,Indicator,Pupils,,,0,,")
    assert run(tmp_path, rows, header, meta) == []
    two_filters = (*meta, "sex,Filter,Sex,,,,,")
    findings = run(tmp_path, tuple(r + ",Total" for r in rows), header + ",sex", two_filters)
    assert where(only(findings, "meta_observational")) == (
        "meta_observational",
        ERROR,
        2,
        "school_name",
    )


# --------------------------------------------------------------------------------------------
# Indicators, filters, duplicates
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cell", ["c", "x", "z", "u", "low", "k", "-3.5", "1e3", " 7 ", ".5"])
def test_indicator_numbers_and_current_symbols_pass(tmp_path, cell):
    assert run(tmp_path, replace(BASE_ROWS, 1, f"{NATIONAL},,,Female,{cell}")) == []


@pytest.mark.parametrize("cell", ["", ":", "~", "NULL", "NA", "C", "12,5", "1 000", "n/a", "£5"])
def test_indicator_blanks_legacy_symbols_and_text_fail(tmp_path, cell):
    row = f'{NATIONAL},,,Female,"{cell}"'
    finding = only(run(tmp_path, replace(BASE_ROWS, 1, row)), "indicator_values")
    assert where(finding) == ("indicator_values", ERROR, 3, "pupils")


def test_filter_items_are_not_blank_or_padded(tmp_path):
    findings = run(tmp_path, replace(BASE_ROWS, 1, f"{NATIONAL},,,,55"))
    assert where(only(findings, "filter_values")) == ("filter_values", ERROR, 3, "sex")
    findings = run(tmp_path, replace(BASE_ROWS, 3, BASE_ROWS[3].replace("Female", "Female ")))
    assert where(only(findings, "filter_values")) == ("filter_values", ERROR, 5, "sex")


def test_filter_without_its_default_item_is_a_warning(tmp_path):
    meta = ("sex,Filter,Sex,,,,,", BASE_META[1])
    findings = run(tmp_path, tuple(r.replace("Total", "All") for r in BASE_ROWS), meta=meta)
    assert [where(f) for f in findings] == [("filter_default", WARNING, None, "sex")]
    named = ("sex,Filter,Sex,,,,,,All", BASE_META[1] + ",")
    rows = tuple(r.replace("Total", "All") for r in BASE_ROWS)
    assert run(tmp_path, rows, meta=named, meta_header=META_HEADER + ",filter_default") == []


def test_duplicate_rows(tmp_path):
    rows = (*BASE_ROWS, BASE_ROWS[1].replace(",55", ",56"))
    finding = only(run(tmp_path, rows), "duplicate_rows")
    # The later row, the one to remove, is named: the header is row 1.
    assert where(finding) == ("duplicate_rows", ERROR, len(rows) + 1, None)


def test_without_meta_text_columns_are_filters_and_numeric_ones_indicators(tmp_path):
    # 'pupils' is mostly numbers, so its typo is caught; 'sex' is text, so it is a filter.
    finding = only(
        run(tmp_path, replace(BASE_ROWS, 1, f"{NATIONAL},,,Female,5O"), meta=None),
        "indicator_values",
    )
    assert where(finding) == ("indicator_values", ERROR, 3, "pupils")
    # Numbers printed with thousands separators still mark an indicator, and fail in it.
    rows = (f'{NATIONAL},Total,"1,200"', f'{NATIONAL},Female,"1,100"', f"{NATIONAL},Male,100")
    finding = only(run(tmp_path, rows, f"{HEADER},sex,pupils", meta=None), "indicator_values")
    assert where(finding) == ("indicator_values", ERROR, 2, "pupils")
    assert "thousands separators" in finding.message and "(2 rows)" in finding.message
    # A numeric column with an 'All' item is a filter (age), not an indicator.
    header = f"{HEADER},age,pupils"
    rows = (f"{NATIONAL},All,10", f"{NATIONAL},5,4", f"{NATIONAL},6,6")
    assert run(tmp_path, rows, header, meta=None) == []


# --------------------------------------------------------------------------------------------
# The meta file
# --------------------------------------------------------------------------------------------


def test_meta_required_and_unknown_columns(tmp_path):
    findings = run(tmp_path, meta_header=META_HEADER.replace(",filter_hint", ",hint"))
    assert sorted(where(f) for f in findings) == [
        ("meta_columns", ERROR, 1, "filter_hint"),
        ("meta_columns", ERROR, 1, "hint"),
    ]


def test_meta_with_another_separator(tmp_path):
    findings = run(
        tmp_path,
        meta=tuple(m.replace(",", "\t") for m in BASE_META),
        meta_header=META_HEADER.replace(",", "\t"),
    )
    assert ("meta_columns", ERROR, 1, "col_name") in [where(f) for f in findings]


def test_meta_ragged_row(tmp_path):
    finding = only(run(tmp_path, meta=(BASE_META[0], "pupils,Indicator,Pupils")), "meta_csv")
    assert where(finding) == ("meta_csv", ERROR, 3, None)


def test_meta_not_utf8(tmp_path):
    data = write(tmp_path, "data.csv", BASE_COLUMNS, *BASE_ROWS)
    meta = tmp_path / "data.meta.csv"
    meta.write_bytes((META_HEADER + "\nsex,Filter,S\xe9x,,,,,\n").encode("latin-1"))
    assert [where(f) for f in screen(data, meta) if f.rule.startswith("meta")] == [
        ("meta_encoding", ERROR, 2, None)
    ]


@pytest.mark.parametrize(
    ("line", "rule", "column"),
    [
        (",Filter,Sex,,,,,", "meta_col_name", "col_name"),  # blank col_name
        ("sex,filter,Sex,,,,,", "meta_col_type", "col_type"),  # case matters
        ("sex,Filter,,,,,,", "meta_label", "label"),  # no label
        ("sex,Filter,Number of pupils,,,,,", "meta_label", "label"),  # label used twice
        ("sex,Filter,Sex,,%,,,", "meta_indicator_unit", "indicator_unit"),  # unit on a filter
        ("sex,Filter,Sex,,,0,,", "meta_indicator_dp", "indicator_dp"),  # dp on a filter
        ("sex,Filter,Sex,Pupils,,,,", "meta_indicator_grouping", "indicator_grouping"),
        ("pupil sex,Filter,Sex,,,,,", "meta_col_name", "col_name"),  # a space
    ],
)
def test_meta_filter_row_rules(tmp_path, line, rule, column):
    findings = [f for f in run(tmp_path, meta=(line, BASE_META[1])) if f.rule.startswith("meta")]
    assert where(only(findings, rule)) == (rule, ERROR, 2, column)


@pytest.mark.parametrize(
    ("line", "rule", "column"),
    [
        ("pupils,Indicator,Pupils,,$,0,,", "meta_indicator_unit", "indicator_unit"),
        ("pupils,Indicator,Pupils,,,-1,,", "meta_indicator_dp", "indicator_dp"),
        ("pupils,Indicator,Pupils,,,two,,", "meta_indicator_dp", "indicator_dp"),
        ("pupils,Indicator,Pupils,,,0,By pupils,", "meta_filter_hint", "filter_hint"),
        (
            "pupils,Indicator,Pupils,,,0,,sex",
            "meta_filter_grouping_column",
            "filter_grouping_column",
        ),
    ],
)
def test_meta_indicator_row_rules(tmp_path, line, rule, column):
    findings = run(tmp_path, meta=(BASE_META[0], line))
    assert where(only(findings, rule)) == (rule, ERROR, 3, column)


def test_meta_filter_default_on_an_indicator_row(tmp_path):
    meta = (BASE_META[0] + ",", "pupils,Indicator,Pupils,,,0,,,Total")
    findings = run(tmp_path, meta=meta, meta_header=META_HEADER + ",filter_default")
    assert where(only(findings, "meta_filter_default")) == (
        "meta_filter_default",
        ERROR,
        3,
        "filter_default",
    )


def test_meta_file_that_cannot_be_read(tmp_path):
    data = write(tmp_path, "data.csv", BASE_COLUMNS, *BASE_ROWS)
    findings = screen(data, tmp_path / "nowhere.meta.csv")
    assert where(only(findings, "meta_readable")) == ("meta_readable", ERROR, None, None)


def test_meta_blank_indicator_dp_is_a_warning(tmp_path):
    finding = only(
        run(tmp_path, meta=(BASE_META[0], "pupils,Indicator,Pupils,,,,,")), "meta_indicator_dp"
    )
    assert where(finding) == ("meta_indicator_dp", WARNING, 3, "indicator_dp")


def test_meta_col_name_described_twice(tmp_path):
    finding = only(run(tmp_path, meta=(*BASE_META, "sex,Filter,Gender,,,,,")), "meta_col_name")
    assert where(finding) == ("meta_col_name", ERROR, 2, "col_name")


def test_meta_describes_a_column_the_data_lacks(tmp_path):
    finding = only(run(tmp_path, meta=(*BASE_META, "colour,Filter,Colour,,,,,")), "meta_to_data")
    assert where(finding) == ("meta_to_data", ERROR, 4, "colour")


@pytest.mark.parametrize(
    ("line", "column"),
    [
        ("region_name,Filter,Region,,,,,", "region_name"),
        ("schoolName,Filter,School,,,,,", "schoolName"),
    ],
)
def test_meta_describes_a_time_or_geography_column(tmp_path, line, column):
    header = BASE_COLUMNS if column == "region_name" else BASE_COLUMNS + ",schoolName"
    rows = BASE_ROWS if column == "region_name" else tuple(r + ",Total" for r in BASE_ROWS)
    finding = only(run(tmp_path, rows, header, (*BASE_META, line)), "meta_observational")
    assert where(finding) == ("meta_observational", ERROR, 4, column)


def test_data_column_missing_from_meta(tmp_path):
    # Varies within a location: an undescribed filter, an error.
    rows = tuple(r + f",{colour}" for r, colour in zip(BASE_ROWS, "ABAB", strict=True))
    finding = only(run(tmp_path, rows, BASE_COLUMNS + ",colour"), "data_to_meta")
    assert where(finding) == ("data_to_meta", ERROR, 1, "colour")
    # One value per location: an attribute of it, a warning; one value in all: nothing.
    rows = tuple(r + f",{kind}" for r, kind in zip(BASE_ROWS, "AABB", strict=True))
    finding = only(run(tmp_path, rows, BASE_COLUMNS + ",kind"), "data_to_meta")
    assert where(finding) == ("data_to_meta", WARNING, 1, "kind")
    assert run(tmp_path, tuple(r + ",Revised" for r in BASE_ROWS), BASE_COLUMNS + ",version") == []


def test_filter_groups(tmp_path):
    header = BASE_COLUMNS + ",sex_group"
    grouped = ("sex,Filter,Sex,,,,,sex_group", BASE_META[1])
    rows = tuple(
        r + f",{g}" for r, g in zip(BASE_ROWS, ("Total", "Any", "Total", "Any"), strict=True)
    )
    assert run(tmp_path, rows, header, grouped) == []
    # A group column the data lacks.
    finding = only(run(tmp_path, meta=grouped), "meta_filter_grouping_column")
    assert where(finding) == ("meta_filter_grouping_column", ERROR, 2, "sex_group")
    # More group items than filter items: it cannot group the filter.
    more = tuple(r + f",{g}" for r, g in zip(BASE_ROWS, ("T1", "A", "T2", "B"), strict=True))
    finding = only(run(tmp_path, more, header, grouped), "meta_filter_grouping_column")
    assert where(finding) == ("meta_filter_grouping_column", ERROR, 2, "sex_group")
    # Group items that differ only in punctuation.
    typo = tuple(
        r + f",{g}" for r, g in zip(BASE_ROWS, ("Total", "Any", "Total", "An-y"), strict=True)
    )
    finding = only(run(tmp_path, typo, header, grouped), "filter_values")
    assert where(finding) == ("filter_values", ERROR, 3, "sex_group")


def test_one_group_column_for_two_filters(tmp_path):
    header = BASE_COLUMNS.replace(",sex,", ",sex,age,") + ",grp"
    rows = tuple(
        r.replace(",Total,", ",Total,Total,").replace(",Female,", ",Female,Total,") + ",Total"
        for r in BASE_ROWS
    )
    meta = ("sex,Filter,Sex,,,,,grp", "age,Filter,Age,,,,,grp", BASE_META[1])
    findings = [
        f for f in run(tmp_path, rows, header, meta) if f.rule == "meta_filter_grouping_column"
    ]
    assert [where(f) for f in findings] == [
        ("meta_filter_grouping_column", ERROR, 2, "grp"),
        ("meta_filter_grouping_column", ERROR, 3, "grp"),
    ]


def test_meta_parent_filter_names_a_column(tmp_path):
    meta = ("sex,Filter,Sex,,,,,,gender", BASE_META[1] + ",")
    finding = only(
        run(tmp_path, meta=meta, meta_header=META_HEADER + ",parent_filter"), "meta_parent_filter"
    )
    assert where(finding) == ("meta_parent_filter", ERROR, 2, "gender")


def test_indicator_groupings_that_are_variants_warn(tmp_path):
    header = BASE_COLUMNS + ",girls"
    rows = tuple(r + ",1" for r in BASE_ROWS)
    meta = (*BASE_META, "girls,Indicator,Girls,Pupil-s,,0,,")
    finding = only(run(tmp_path, rows, header, meta), "meta_indicator_grouping")
    assert where(finding) == ("meta_indicator_grouping", WARNING, None, "indicator_grouping")


def test_screen_meta_alone(tmp_path):
    assert screen_meta(write(tmp_path, "m.meta.csv", META_HEADER, *BASE_META)) == []
    findings = screen_meta(write(tmp_path, "n.meta.csv", META_HEADER, "sex,Filters,Sex,,,,,"))
    assert [where(f) for f in findings] == [("meta_col_type", ERROR, 2, "col_type")]


# --------------------------------------------------------------------------------------------
# DfE's screener corpus and real EES files (../shared/realdata)
# --------------------------------------------------------------------------------------------


def corpus(folder: Path) -> list:
    """One test parameter per data file of a folder; a single skipping one when absent."""
    if not folder.is_dir():
        return [pytest.param(None, id="absent")]
    return [pytest.param(p, id=p.name) for p in data_files(folder)]


def present(path: Path | None) -> Path:
    if path is None:
        pytest.skip(ABSENT)
    return path


def listing(findings) -> str:
    return "\n".join(f.describe() for f in findings)


@pytest.mark.parametrize("path", corpus(SCREENER / "pass") + corpus(SCREENER / "pass-warn-api"))
def test_pass_corpus(path):
    found = errors(screen_pair(present(path), require_meta=True))
    assert not found, listing(found)


@pytest.mark.parametrize("path", corpus(SCREENER / "fail"))
def test_fail_corpus(path):
    path = present(path)
    found = errors(screen_pair(path, require_meta=True))
    if path.name in NOT_IMPLEMENTED:
        assert not found, f"now rejected, drop it from NOT_IMPLEMENTED:\n{listing(found)}"
    else:
        assert found, f"{path.name} should fail (screener rule {gate.target_rule(path)})"


def test_not_implemented_names_real_fail_files():
    if not SCREENER.is_dir():
        pytest.skip(ABSENT)
    names = {p.name for p in data_files(SCREENER / "fail")}
    assert set(NOT_IMPLEMENTED) <= names
    assert len(names) > 2 * len(NOT_IMPLEMENTED)  # the gate catches most of the corpus


def test_screener_report_on_the_corpus():
    if not SCREENER.is_dir():
        pytest.skip(ABSENT)
    report = screener_report(SCREENER)
    lines = report.splitlines()
    assert lines[0].startswith("pass/: ") and lines[0].endswith("accepted (100%)")
    assert lines[1].startswith("pass-warn-api/: ") and lines[1].endswith("accepted (100%)")
    missed = report.split("NOT rejected")[1].split("fail/ files rejected")[0]
    for name in NOT_IMPLEMENTED:
        assert name in missed
    assert "fail/ files caught" in report and "duplicate_rows" in report


@cache
def read_once(path: Path):
    """Each big real file is read once, for the gate and staging checks."""
    return read_ees_csv(path)


def real_files() -> list:
    if not REAL_EES.is_dir():
        return [pytest.param(None, id="absent")]
    files = sorted(p for p in REAL_EES.rglob("*") if p.name.endswith((".csv", ".csv.gz")))
    paired = {meta_path_for(p) for p in files if not is_meta_file(p)}
    # Data files (screened with their meta file), and meta files that have no data file.
    return [pytest.param(p, id=str(p.relative_to(REAL_EES))) for p in files if p not in paired]


@pytest.mark.parametrize("path", real_files())
def test_real_ees_file(path):
    path = present(path)
    if is_meta_file(path):
        found = errors(screen_meta(path))
        assert not found, listing(found)
        return
    findings = screen_pair(path)
    if path.name in REAL_FILES_BREAKING_STANDARD:
        rule, _why = REAL_FILES_BREAKING_STANDARD[path.name]
        assert rule in {f.rule for f in errors(findings)}, listing(findings)
        return
    assert not errors(findings), listing(findings)
    # What the gate accepts, staging can convert: indicators to value + status.
    meta = meta_path_for(path)
    if meta is not None:
        indicators = gate._read_meta(meta)[0].names("Indicator")
        split_indicators(read_once(path), indicators, str(path))


def test_the_big_spc_file_is_accepted(monkeypatch):
    data = REAL_EES / "spc_pupils_ethnicity_and_language" / "data.csv.gz"
    if not data.is_file():
        pytest.skip(ABSENT)
    frame = read_once(data)  # the reader's own time is not the gate's
    assert frame.height > 150_000
    monkeypatch.setattr(gate, "read_ees_csv", lambda _path: frame)
    findings = gate.screen(data, meta_path_for(data))
    assert not errors(findings)


# --------------------------------------------------------------------------------------------
# Column names a dataframe library reads as a wildcard or a pattern
# --------------------------------------------------------------------------------------------

# `*` is Polars' wildcard and `^...$` a regex: each must be one ordinary column. `^sex|pupils$`
# matches two real columns as a pattern; `^[$` is not even a valid pattern.
PATTERN_NAMES = ["*", "^.*$", "^sex|pupils$", "^[$", "^pupils$"]


@pytest.mark.parametrize("name", PATTERN_NAMES)
def test_pattern_named_filter_is_an_ordinary_column(tmp_path, name):
    header = f"{BASE_COLUMNS},{name}"
    rows = tuple(f"{r},Total" for r in BASE_ROWS)
    meta = (*BASE_META, f"{name},Filter,Odd,,,,,")
    for meta_rows in (meta, None):
        findings = run(tmp_path, rows, header, meta_rows)
        # Only the naming warning (not snake_case); a Total-only filter is not an error.
        assert [where(f) for f in errors(findings)] == [], listing(findings)
        assert ("column_name", WARNING, 1, name) in [where(f) for f in findings]


@pytest.mark.parametrize("name", PATTERN_NAMES)
def test_pattern_named_indicator_is_checked_as_itself(tmp_path, name):
    header = f"{BASE_COLUMNS},{name}"
    rows = (*(f"{r},7" for r in BASE_ROWS[:3]), f"{BASE_ROWS[3]},seven")
    meta = (*BASE_META, f"{name},Indicator,Odd,,,0,,")
    for meta_rows in (meta, None):
        finding = only(run(tmp_path, rows, header, meta_rows), "indicator_values")
        assert where(finding) == ("indicator_values", ERROR, 5, name)


@pytest.mark.parametrize("name", PATTERN_NAMES)
def test_pattern_named_duplicate_key_and_padding(tmp_path, name):
    header = f"{BASE_COLUMNS},{name}"
    rows = (*(f"{r},A" for r in BASE_ROWS), f"{BASE_ROWS[3]},A")
    finding = only(
        run(tmp_path, rows, header, (*BASE_META, f"{name},Filter,Odd,,,,,")), "duplicate_rows"
    )
    assert finding.row == 6
    rows = (*(f"{r},A" for r in BASE_ROWS[:3]), f"{BASE_ROWS[3]}, A")
    finding = only(
        run(tmp_path, rows, header, (*BASE_META, f"{name},Filter,Odd,,,,,")), "filter_values"
    )
    assert where(finding) == ("filter_values", ERROR, 5, name)


def test_column_names_that_are_not_snake_case_warn(tmp_path):
    header = BASE_COLUMNS.replace(",sex,", ",Sex,")
    meta = ("Sex,Filter,Sex,,,,Filter by sex,", BASE_META[1])
    finding = only(run(tmp_path, header=header, meta=meta), "column_name")
    assert where(finding) == ("column_name", WARNING, 1, "Sex")


def test_the_symbol_convention_applied_to_an_older_file_is_reported(tmp_path):
    # Before EES, DfE files used `x` for a small count suppressed for confidentiality.
    rows = tuple(r.replace("202324", "201718") for r in BASE_ROWS)
    rows = replace(rows, 1, rows[1].replace(",55", ",x"))
    finding = only(run(tmp_path, rows), "symbol_convention")
    assert where(finding) == ("symbol_convention", WARNING, 3, "pupils")
    assert "'x' read as confidential" in finding.message and "2017" in finding.message
    assert errors(run(tmp_path, rows)) == []
    # The same cell in a file of the EES era reads by the standard: nothing to report.
    current = replace(BASE_ROWS, 1, BASE_ROWS[1].replace(",55", ",x"))
    assert [f for f in run(tmp_path, current) if f.rule == "symbol_convention"] == []


# --------------------------------------------------------------------------------------------
# Schools and providers, long codes, levels the table tool ignores, symbol-only indicators
# --------------------------------------------------------------------------------------------

SCHOOL_HEADER = (
    f"{HEADER},region_code,region_name,old_la_code,new_la_code,la_name,"
    "school_urn,school_laestab,school_name,pupils"
)
SCHOOL = "2023,Calendar year,School,E92000001,England,E12000007,London,204,E09000012,Hackney"
SCHOOL_ROWS = (
    f"{SCHOOL},100000,2041000,A School,5",  # row 2
    f"{SCHOOL},100001,2041001,B School,6",  # row 3
    f"{SCHOOL},100002,2041002,A School,7",  # row 4: two schools may share a name
)
PUPILS_META = ("pupils,Indicator,Pupils,,,0,,",)


def school_run(tmp_path: Path, rows: tuple[str, ...]) -> list[Finding]:
    return run(tmp_path, rows, SCHOOL_HEADER, PUPILS_META)


def test_school_baseline_is_clean(tmp_path):
    assert school_run(tmp_path, SCHOOL_ROWS) == []


def test_a_school_has_one_name_in_a_period(tmp_path):
    rows = (*SCHOOL_ROWS, f"{SCHOOL},100001,2041001,B School Academy,8")
    findings = school_run(tmp_path, rows)
    assert {where(f) for f in findings} == {
        ("geography_consistency", WARNING, 5, "school_urn"),
        ("geography_consistency", WARNING, 5, "school_laestab"),
    }
    # The message names the period and the columns, never a school's number or name.
    for finding in findings:
        assert "100001" not in finding.message and "B School" not in finding.message


def test_a_school_has_one_laestab_in_a_period_and_one_urn_per_laestab(tmp_path):
    rows = (*SCHOOL_ROWS, f"{SCHOOL},100001,2041009,B School,8")
    findings = school_run(tmp_path, rows)
    assert [where(f) for f in findings] == [("geography_consistency", WARNING, 5, "school_urn")]
    rows = (*SCHOOL_ROWS, f"{SCHOOL},100009,2041001,B School,8")
    findings = school_run(tmp_path, rows)
    assert [where(f) for f in findings] == [("geography_consistency", WARNING, 5, "school_laestab")]


def test_a_school_may_change_name_between_periods(tmp_path):
    later = SCHOOL.replace("2023,", "2024,", 1)
    assert school_run(tmp_path, (*SCHOOL_ROWS, f"{later},100001,2041001,B Academy,8")) == []


def test_a_provider_has_one_name_in_a_period(tmp_path):
    header = f"{HEADER},provider_ukprn,provider_name,pupils"
    provider = "2023,Calendar year,Provider,E92000001,England"
    rows = (
        f"{provider},10000001,A Provider,5",
        f"{provider},10000002,A Provider,6",
        f"{provider},10000001,A Provider Ltd,7",
    )
    finding = only(run(tmp_path, rows, header, PUPILS_META), "geography_consistency")
    assert where(finding) == ("geography_consistency", WARNING, 4, "provider_ukprn")


def test_location_codes_longer_than_30_characters(tmp_path):
    header = f"{HEADER},trust_id,trust_name,pupils"
    mat = "2023,Calendar year,MAT,E92000001,England"
    rows = (f"{mat},TR01234,A Trust,5", f"{mat},{'T' * 31},B Trust,6")
    finding = only(run(tmp_path, rows, header, PUPILS_META), "geography_code_length")
    assert where(finding) == ("geography_code_length", WARNING, 3, "trust_id")
    assert "30 characters" in finding.message
    assert run(tmp_path, (rows[0], f"{mat},{'T' * 30},B Trust,6"), header, PUPILS_META) == []


def test_school_rows_beside_other_levels_are_reported(tmp_path):
    national = "2023,Calendar year,National,E92000001,England,,,,,,,,,11"
    findings = school_run(tmp_path, (national, *SCHOOL_ROWS))
    assert [where(f) for f in findings] == [
        ("geography_ignored_rows", WARNING, 3, "geographic_level")
    ]
    assert "3 rows" in findings[0].message


def test_without_meta_a_column_of_only_symbols_is_an_indicator(tmp_path):
    # All suppressed: no number to recognise it by, but no filter holds only symbols.
    header = f"{HEADER},sex,pupils,teachers"
    rows = (
        f"{NATIONAL},Total,100,c",
        f"{NATIONAL},Female,55,c",
        f"{NATIONAL},Male,45,~",
    )
    finding = only(run(tmp_path, rows, header, meta=None), "indicator_values")
    assert where(finding) == ("indicator_values", ERROR, 4, "teachers")
    rows = (*rows[:2], f"{NATIONAL},Male,45,z")
    assert run(tmp_path, rows, header, meta=None) == []
    # Two rows differing only in a symbol-only column repeat their key: it is no filter.
    rows = (*rows, f"{NATIONAL},Male,45,c")
    assert where(only(run(tmp_path, rows, header, meta=None), "duplicate_rows"))[2] == 5
