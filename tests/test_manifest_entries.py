"""A manifest entry may only name a regular file inside its own release folder.

An absolute path, `..` segments, a symlink to a file elsewhere or something that is not a
regular file (a FIFO would block the refresh forever) is refused before any file is read, with
one message naming the manifest and the entry, and recorded in rejected_files.jsonl.
"""

import json
import os
import shutil
import signal
from pathlib import Path

import dagster as dg
import pytest

import pipelines.sources as sources
from pipelines.defs.raw.ees import raw_asset
from pipelines.defs.resources import project_resources
from pipelines.errors import InputError
from pipelines.raw import REJECTED_LOG
from pipelines.sources import NPQ_WORKFORCE, latest_release_dir, verified_files
from tests.conftest import PROJECT_ROOT

RELEASE = latest_release_dir(NPQ_WORKFORCE.folder(PROJECT_ROOT / "data" / "raw"))
CSV = "npq_workforce_national.csv"


@pytest.fixture(autouse=True)
def _never_hang():
    """Reading a FIFO blocks forever: fail the test instead."""

    def timeout(signum, frame):
        raise TimeoutError("the refresh blocked reading a manifest entry")

    previous = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def _hostile(tmp_path: Path, kind: str) -> tuple[Path, Path, str]:
    """A raw tree whose npq_workforce release names a file by `kind`; returns raw root,
    release folder and the entry's path as written in the manifest."""
    raw = tmp_path / "raw"
    release = NPQ_WORKFORCE.folder(raw) / RELEASE.name
    shutil.copytree(RELEASE, release)
    outside = tmp_path / "elsewhere" / CSV
    outside.parent.mkdir()
    shutil.copy2(release / CSV, outside)  # same bytes: the checksum alone would let it through
    manifest = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
    entry = CSV
    if kind == "absolute":
        (release / CSV).unlink()
        entry = str(outside)
    elif kind == "dotdot":
        (release / CSV).unlink()
        entry = os.path.relpath(outside, release)
        assert entry.startswith("..")
    elif kind == "symlink":
        (release / CSV).unlink()
        (release / CSV).symlink_to(outside)
    elif kind == "fifo":
        (release / CSV).unlink()
        os.mkfifo(release / CSV)
    manifest["files"][0]["path"] = entry
    (release / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return raw, release, entry


KINDS = ["absolute", "dotdot", "symlink", "fifo"]


@pytest.mark.parametrize("kind", KINDS)
def test_entry_outside_release_or_not_a_file_is_refused_before_reading(tmp_path, monkeypatch, kind):
    _, release, entry = _hostile(tmp_path, kind)
    read = []
    real = sources.sha256_of
    monkeypatch.setattr(sources, "sha256_of", lambda p: read.append(p) or real(p))

    with pytest.raises(InputError) as caught:
        verified_files(release)

    err = caught.value
    assert err.file == str(release / "manifest.json")
    assert err.rule == "manifest"
    assert err.column == "files[0].path"
    assert err.row is not None and entry in (release / "manifest.json").read_text().splitlines()[
        err.row - 1
    ].replace("\\\\", "\\")
    assert entry in str(err)
    expected = {
        "absolute": "absolute path",
        "dotdot": "outside its release folder",
        "symlink": "outside its release folder",
        "fifo": "not a regular file",
    }[kind]
    assert expected in str(err)
    assert read == []  # refused before anything was read


def test_symlink_inside_the_release_folder_is_accepted(tmp_path):
    _, release, _ = _hostile(tmp_path, "plain")
    (release / "stored").mkdir()
    (release / CSV).rename(release / "stored" / CSV)
    (release / CSV).symlink_to(Path("stored") / CSV)
    [raw_file] = verified_files(release)
    assert raw_file.path == release / CSV


@pytest.mark.parametrize("kind", KINDS)
def test_refusal_stops_the_raw_asset_and_is_recorded(tmp_path, kind):
    raw, release, entry = _hostile(tmp_path, kind)
    work, marts = tmp_path / "work", tmp_path / "marts"
    result = dg.materialize(
        [raw_asset(NPQ_WORKFORCE)],
        resources=project_resources(raw, work, marts),
        raise_on_error=False,
    )
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    error = failure.event_specific_data.error
    message = (error.cause or error).message
    assert str(release / "manifest.json") in message and entry in message
    [record] = [json.loads(line) for line in (work / REJECTED_LOG).read_text().splitlines()]
    assert record["file"] == str(release / "manifest.json")
    assert record["rule"] == "manifest"
    assert record["column"] == "files[0].path"
    assert entry in record["message"]
    assert not marts.exists()  # nothing published
