"""`check` reads a file exactly as a refresh does: the gate, then staging of its registered
release (with that release's layout mapping). It and the gate agree on every shipped file."""

import json
import shutil
from pathlib import Path

import pytest

from pipelines.check import check_file
from pipelines.gate import errors, meta_path_for, screen
from pipelines.sources import SOURCES
from tests.conftest import PROJECT_ROOT

RAW_EES = PROJECT_ROOT / "data" / "raw" / "ees"
SHIPPED = sorted(
    path
    for manifest in RAW_EES.glob("*/*/manifest.json")
    for entry in json.loads(manifest.read_text(encoding="utf-8"))["files"]
    if (path := manifest.parent / entry["path"]).name.endswith((".csv", ".csv.gz"))
)


def test_every_shipped_ees_file_is_listed():
    assert {p.parent.parent.name for p in SHIPPED} >= {"npq_participants", "npq_completions"}
    assert any(p.parent.name == "2022-23" for p in SHIPPED)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(RAW_EES)))
def test_check_and_the_gate_agree_on_every_shipped_file(path):
    gate_errors = errors(screen(path, meta_path_for(path)))
    check_errors = errors(check_file(path.parent.parent.name, path))
    assert gate_errors == [], [e.describe() for e in gate_errors]
    assert check_errors == [], [e.describe() for e in check_errors]


def test_a_release_in_an_older_layout_is_mapped_as_in_a_refresh(tmp_path):
    # The 2022/23 release has separate funded / non-funded columns and no `funding` column.
    shipped = RAW_EES / "npq_participants" / "2022-23" / "npq_participants_regional.csv"
    assert "funding" not in shipped.read_text(encoding="utf-8").splitlines()[0].split(",")
    # Outside its release folder (no manifest), the layout is recognised by its columns.
    copy = tmp_path / shipped.name
    shutil.copy(shipped, copy)
    findings = check_file("npq_participants", copy)
    assert errors(findings) == [], [f.describe() for f in findings]
    layout = [f for f in findings if f.rule == "release_layout"]
    assert [f.message for f in layout] == [
        "read in the registered layout of release 2022/23 (mapped to the current layout)"
    ]


def test_a_file_in_no_registered_layout_still_names_the_missing_column(tmp_path):
    shipped = RAW_EES / "npq_participants" / "2022-23" / "npq_participants_regional.csv"
    lines = shipped.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    drop = header.index("npq_non_funded_starts")
    cut = [",".join(c for i, c in enumerate(line.split(",")) if i != drop) for line in lines]
    path = tmp_path / "cut.csv"
    path.write_text("\n".join(cut) + "\n", encoding="utf-8")
    [first, *_] = errors(check_file("npq_participants", path))
    assert (first.rule, first.row) == ("required_columns", 1)
    assert first.column in {"funding", *SOURCES["npq_participants"].indicators}


def test_check_never_changes_the_file(tmp_path):
    path = RAW_EES / "npq_participants" / "2022-23" / "npq_participants_regional.csv"
    before = Path(path).read_bytes()
    check_file("npq_participants", path)
    assert Path(path).read_bytes() == before
