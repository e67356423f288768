"""Pilot files that cannot be read (empty, not UTF-8, ragged rows) are refused with one line
naming file, row and column, by `check` and by a refresh, which records them in the
rejected-files log. No message quotes a cell (an identifier may be in it)."""

import json
from pathlib import Path

import pytest

from pipelines.check import check_file
from pipelines.errors import InputError
from pipelines.pilots.inputs import PilotFolder, load_pilot_files, read_file
from pipelines.pilots.registry import load_registry
from pipelines.raw import REJECTED_LOG
from tests.conftest import PROJECT_ROOT

GOOD = PROJECT_ROOT / "tests" / "fixtures" / "bad_inputs" / "pilots" / "participants.csv"
HEADER, FIRST = GOOD.read_bytes().splitlines()[:2]  # FIRST: a valid row (arm treatment)
PARTICIPANT_ID = FIRST.split(b",")[2].decode()

# name -> (bytes, rule, row, column)
BROKEN = {
    "empty": (b"", "header", 1, None),
    "blank_lines": (b"\n\n", "header", 1, None),
    "latin1": (
        HEADER + b"\n" + FIRST + b"\n" + FIRST.replace(b"treatment", b"tr\xe9atment") + b"\n",
        "encoding",
        3,
        None,
    ),
    "utf16": ((HEADER + b"\n" + FIRST + b"\n").decode().encode("utf-16"), "encoding", 1, None),
    "ragged_short": (
        HEADER + b"\n" + b",".join(FIRST.split(b",")[:8]) + b"\n",
        "row_width",
        2,
        "role",
    ),
    "ragged_long": (HEADER + b"\n" + FIRST + b",extra\n", "row_width", 2, None),
    "unclosed_quote": (HEADER + b"\n" + FIRST.replace(b"P1,", b'"P1,', 1) + b"\n", "csv", 2, None),
}


def broken(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    path = folder / "participants.csv"
    path.write_bytes(BROKEN[name][0])
    return path


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_check_refuses_an_unreadable_pilot_file_with_row_and_column(tmp_path, name):
    path = broken(tmp_path, name)
    _, rule, row, column = BROKEN[name]
    [first, *_] = check_file("pilots", path)
    assert (first.rule, first.row, first.column, first.file) == (rule, row, column, str(path))
    assert "\n" not in first.describe() and PARTICIPANT_ID not in first.describe()


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_refresh_reads_pilot_files_with_the_same_finding(tmp_path, name):
    path = broken(tmp_path, name)
    _, rule, row, column = BROKEN[name]
    item = PilotFolder("P1", "2025/26", path.parent, "evaluator")
    with pytest.raises(InputError) as info:
        read_file(path, "participants", item)
    assert (info.value.rule, info.value.row, info.value.column) == (rule, row, column)
    assert PARTICIPANT_ID not in str(info.value)


def test_a_refused_pilot_file_is_recorded_in_the_rejected_files_log(tmp_path, monkeypatch):
    monkeypatch.setenv("NPQ_PSEUDONYMISATION_KEY", "k" * 32)
    raw, work = tmp_path / "raw", tmp_path / "work"
    year = raw / "pilots" / "P1" / "2025-26"
    year.mkdir(parents=True)
    path = year / "participants.csv"
    path.write_bytes(BROKEN["ragged_short"][0])
    registry = load_registry(PROJECT_ROOT / "data" / "raw" / "pilots" / "registry" / "pilots.yaml")
    with pytest.raises(InputError):
        load_pilot_files(raw, work, registry)
    [entry] = [json.loads(line) for line in (work / REJECTED_LOG).read_text().splitlines()]
    assert (entry["file"], entry["rule"], entry["row"], entry["column"]) == (
        str(path),
        "row_width",
        2,
        "role",
    )


def test_a_pilot_file_with_a_header_and_no_rows_is_an_empty_file(tmp_path):
    # A year with no new participants: a header alone is a valid, empty file.
    path = tmp_path / "participants.csv"
    path.write_bytes(HEADER + b"\n")
    frame = read_file(path, "participants", PilotFolder("P1", "2025/26", tmp_path, "evaluator"))
    assert frame.height == 0
    assert frame.columns[: len(HEADER.split(b","))] == HEADER.decode().split(",")
