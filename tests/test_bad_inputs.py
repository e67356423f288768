"""The malformed-input corpus (tests/fixtures/bad_inputs/): one clear finding per file.

Each file is checked exactly as a refresh would read it (`pipelines.check.check_file`): the
first error names the rule, file, row and column listed in expected.csv; files that are only
unusual (a BOM, Windows line endings) are accepted and read correctly. The command line says
the same in one line per finding, never a traceback, and no file is changed.
"""

import csv
import hashlib
import json
import subprocess
import sys

import polars as pl
import pytest

from pipelines.check import check_file
from pipelines.ees import read_ees_csv
from pipelines.errors import InputError
from pipelines.raw import gated_ees_reader
from tests.conftest import PROJECT_ROOT

CORPUS = PROJECT_ROOT / "tests" / "fixtures" / "bad_inputs"
with (CORPUS / "expected.csv").open(newline="") as f:
    CASES = list(csv.DictReader(f))


def test_the_corpus_is_complete():
    listed = {case["file"] for case in CASES}
    on_disk = {
        str(p.relative_to(CORPUS))
        for p in CORPUS.rglob("*")
        if p.is_file()
        and p.name not in ("expected.csv", "manifest.json")
        and not p.name.endswith(".meta.csv")
    }
    assert listed == on_disk
    assert sum(case["outcome"] != "accepted" for case in CASES) >= 30


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_each_bad_input_gets_one_clear_finding(case):
    path = CORPUS / case["file"]
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    findings = check_file(case["data_set"], path)
    errors = [f for f in findings if f.severity == "error"]
    if case["outcome"] == "error":
        first = errors[0]
        column = case["column"] or None
        if column == "(the whole header)":  # a file read as one column names what it read
            column = first.column if first.column.startswith("time_period") else column
        assert (first.rule, first.row, first.column) == (
            case["rule"],
            int(case["row"]) if case["row"] else None,
            column,
        ), first.describe()
        # The file, its .meta.csv, or the manifest of its release folder.
        assert first.file.startswith(str(path.with_suffix(""))) or first.file == str(
            path.parent / "manifest.json"
        )
    else:
        assert errors == [], [e.describe() for e in errors]
        if case["outcome"] == "warning":
            assert case["rule"] in {f.rule for f in findings}
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before  # never changed


def test_bom_and_crlf_files_read_exactly_like_the_plain_file():
    plain = PROJECT_ROOT / "data/raw/ees/npq_participants/2024-25/npq_participants_national.csv"
    expected = read_ees_csv(plain)
    for name in ("bom.csv", "windows_line_endings.csv"):
        got = read_ees_csv(CORPUS / name)
        assert got.columns == expected.columns
        assert got.equals(expected), name


def test_command_line_prints_one_line_per_problem_and_no_traceback():
    by_set: dict[str, list[str]] = {}
    for case in CASES:
        by_set.setdefault(case["data_set"], []).append(str(CORPUS / case["file"]))
    for data_set, files in by_set.items():
        done = subprocess.run(
            [sys.executable, "-m", "pipelines.cli", "check", data_set, *files],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 1
        assert "Traceback" not in done.stderr + done.stdout
        errors = [line for line in done.stderr.splitlines() if line.startswith("ERROR [")]
        expected = [c for c in CASES if c["data_set"] == data_set and c["outcome"] == "error"]
        named = {line.split("] ", 1)[1].split(" row ")[0] for line in errors}
        named = {n.replace(".meta.csv", ".csv") for n in named}
        manifests = {n for n in named if n.endswith("manifest.json")}
        named = (named - manifests) | {
            str(CORPUS / c["file"])
            for c in CASES
            if str(CORPUS / c["file"]).rsplit("/", 1)[0] + "/manifest.json" in manifests
        }
        assert named == {str(CORPUS / c["file"]) for c in expected}


def test_formula_in_a_filter_is_kept_as_text():
    frame = read_ees_csv(CORPUS / "formula_in_filter.csv")
    assert frame.filter(pl.col("group_name").str.starts_with("="))["group_name"].to_list() == [
        '=HYPERLINK("http://x")'
    ]


def test_a_refused_file_with_a_wildcard_column_is_logged_with_its_column(tmp_path):
    log = tmp_path / "rejected_files.jsonl"
    path = CORPUS / "column_named_star_bad_cell.csv"
    with pytest.raises(InputError) as info:
        gated_ees_reader(log)(path)
    assert (info.value.rule, info.value.row, info.value.column) == ("indicator_values", 4, "*")
    [entry] = [json.loads(line) for line in log.read_text().splitlines()]
    assert (entry["file"], entry["rule"], entry["row"], entry["column"]) == (
        str(path),
        "indicator_values",
        4,
        "*",
    )
    assert "\n" not in entry["message"]
