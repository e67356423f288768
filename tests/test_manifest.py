"""Every manifest is refused in one line naming file, row and field unless it has the shape
the loaders rely on; a refresh records the refusal in the rejected-files log."""

import json
from pathlib import Path

import pytest

from pipelines.errors import InputError
from pipelines.manifest import parse_manifest
from pipelines.raw import recorded
from pipelines.sources import read_manifest, verified_files
from tests.conftest import PROJECT_ROOT

GOOD = {
    "source": "ees",
    "dataset": "npq_participants",
    "release": "2024/25",
    "files": [
        {"path": "a.csv", "sha256": "0" * 64, "provenance": "published"},
        {"path": "b.csv", "sha256": "1" * 64, "provenance": "published"},
    ],
}


def without(entry: dict, key: str) -> dict:
    return {k: v for k, v in entry.items() if k != key}


# name -> (manifest bytes, row, field)
def cases() -> dict[str, tuple[bytes, int | None, str | None]]:
    dump = lambda m: json.dumps(m, indent=2).encode()  # noqa: E731
    no_sha = {**GOOD, "files": [GOOD["files"][0], without(GOOD["files"][1], "sha256")]}
    short_sha = {**GOOD, "files": [{**GOOD["files"][0], "sha256": "abc"}]}
    no_path = {**GOOD, "files": [without(GOOD["files"][0], "path")]}
    no_provenance = {**GOOD, "files": [without(GOOD["files"][0], "provenance")]}
    return {
        "missing_sha256": (dump(no_sha), 12, "files[1].sha256"),
        "short_sha256": (dump(short_sha), 7, "files[0].sha256"),
        "missing_path": (dump(no_path), 5, "files[0].path"),
        "missing_provenance": (dump(no_provenance), 7, "files[0].provenance"),
        "latin1": (dump(GOOD).replace(b"npq_participants", b"npq_particip\xe9nts"), 3, None),
        "utf16": (dump(GOOD).decode().encode("utf-16"), 1, None),
        "a_list": (dump([GOOD]), 1, None),
        "files_an_object": (dump({**GOOD, "files": {"a.csv": "0" * 64}}), 5, "files"),
        "files_empty": (dump({**GOOD, "files": []}), 5, "files"),
        "entry_a_string": (dump({**GOOD, "files": ["a.csv"]}), 5, "files[0]"),
        "no_release": (dump(without(GOOD, "release")), 1, "release"),
        "release_a_number": (dump({**GOOD, "release": 2024}), 4, "release"),
    }


@pytest.mark.parametrize("name", sorted(cases()))
def test_a_manifest_of_the_wrong_shape_is_one_clear_error(tmp_path, name):
    data, row, field = cases()[name]
    (tmp_path / "manifest.json").write_bytes(data)
    reads = (
        lambda: parse_manifest(tmp_path / "manifest.json", release=True),
        lambda: read_manifest(tmp_path, release=True),
        lambda: verified_files(tmp_path),  # what a refresh calls
    )
    for read in reads:
        with pytest.raises(InputError) as info:
            read()
        err = info.value
        assert (err.rule, err.row, err.column) == ("manifest", row, field), str(err)
        assert err.file == str(tmp_path / "manifest.json") and "\n" not in str(err)


def test_a_refresh_records_a_refused_manifest(tmp_path):
    data, row, field = cases()["missing_sha256"]
    (tmp_path / "manifest.json").write_bytes(data)
    log = tmp_path / "work" / "rejected_files.jsonl"
    with pytest.raises(InputError):
        recorded(log, lambda: verified_files(tmp_path))
    [entry] = [json.loads(line) for line in log.read_text().splitlines()]
    assert (entry["rule"], entry["row"], entry["column"]) == ("manifest", row, field)


def test_every_shipped_manifest_has_the_shape():
    manifests = sorted((PROJECT_ROOT / "data" / "raw").rglob("manifest.json"))
    assert len(manifests) >= 10
    for path in manifests:
        assert parse_manifest(Path(path))["files"]
