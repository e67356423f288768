"""Memory stays bounded whatever the size of a raw file.

A raw file larger than its data set's `max_bytes` (pipelines/sources.py) is refused, naming the
file, before any of it is parsed. The subprocess test reads a hostile 256 MiB file (one line
and no line break) the way the raw assets do and measures the reader's peak resident memory.
"""

import gzip
import hashlib
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from pipelines.errors import InputError
from pipelines.raw import load_files
from pipelines.sources import DEFAULT_MAX_BYTES, MIB, SOURCES, input_files
from tests.conftest import PROJECT_ROOT

HEADER = b"time_period,time_identifier,geographic_level,country_code,country_name,npq_starts\n"
ROW = b"202425,Academic year,National,E92000001,England,1000\n"
READER = """
import sys
from pathlib import Path

from pipelines.errors import InputError
from pipelines.raw import gated_ees_reader, load_files
from pipelines.sources import SOURCES, input_files

raw = Path(sys.argv[1])
try:
    frame = load_files(
        input_files(SOURCES["npq_completions"], raw), gated_ees_reader(raw / "rejected.jsonl")
    )
except InputError as err:
    print(err)
    sys.exit(3)
print(f"read {frame.height} rows")
"""


def _release(raw: Path, write, name: str = "npq_completions.csv") -> Path:
    """A release of npq_completions whose file `write(handle)` produces, with its manifest."""
    folder = raw / "ees" / "npq_completions" / "2024-25"
    folder.mkdir(parents=True)
    path = folder / name
    with path.open("wb") as handle:
        write(handle)
    with path.open("rb") as handle:
        digest = hashlib.file_digest(handle, "sha256").hexdigest()
    manifest = {
        "source": "ees",
        "dataset": "npq_completions",
        "release": "2024/25",
        "files": [{"path": name, "sha256": digest, "provenance": "published"}],
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return path


# Started by the test, it starts the reader and reports RUSAGE_CHILDREN: the peak of its only
# child. The reader is not started from the test process itself because a child started from
# a large process (pytest after other tests) inherits that process's peak in ru_maxrss.
LAUNCHER = """
import resource, subprocess, sys
code = subprocess.run(sys.argv[1:]).returncode
print("ru_maxrss", resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(code)
"""


def _peak_rss_mib(raw: Path) -> tuple[float, int, str]:
    """Run the raw reader on `raw` in a child process: its peak RSS (MiB), exit code, output."""
    done = subprocess.run(
        [sys.executable, "-c", LAUNCHER, sys.executable, "-c", READER, str(raw)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    output, _, maxrss = done.stdout.rpartition("ru_maxrss ")
    return int(maxrss) / 1024, done.returncode, output + done.stderr  # KiB on Linux


def test_a_hostile_file_is_refused_with_memory_bounded(tmp_path):
    small = tmp_path / "small"
    _release(small, lambda f: f.write(HEADER + ROW))
    baseline, code, output = _peak_rss_mib(small)
    assert code == 0, output

    size = 256 * MIB
    hostile = tmp_path / "hostile"

    def one_long_line(handle):
        handle.write(HEADER + b"202425,Academic year,National,E92000001,England,")
        block = b"9" * MIB
        for _ in range(size // MIB):
            handle.write(block)

    path = _release(hostile, one_long_line)
    peak, code, output = _peak_rss_mib(hostile)

    print(
        f"\npeak RSS reading a {path.stat().st_size / MIB:.0f} MiB one-line file: {peak:.0f} MiB "
        f"(a one-row file: {baseline:.0f} MiB)"
    )
    assert code == 3, output
    assert f"file {path}: is {path.stat().st_size:,} bytes" in output
    # Nothing in proportion to the file: the refusal costs what reading one row costs.
    assert peak < baseline + 64, f"peak {peak:.0f} MiB against {baseline:.0f} MiB"


def test_a_file_over_its_data_sets_limit_is_refused_naming_file_and_limit(tmp_path, monkeypatch):
    path = _release(tmp_path, lambda f: f.write(HEADER + ROW * 100))
    limit = len(HEADER + ROW * 50)
    monkeypatch.setitem(
        SOURCES, "npq_completions", replace(SOURCES["npq_completions"], max_bytes=limit)
    )

    with pytest.raises(InputError) as caught:
        load_files(input_files(SOURCES["npq_completions"], tmp_path), _never_read)

    assert str(caught.value) == (
        f"file {path}: is {path.stat().st_size:,} bytes, over the {limit:,}-byte limit of "
        "npq_completions (max_bytes in pipelines/sources.py): not read [rule: max_bytes]"
    )


def test_a_gzip_file_is_limited_by_what_it_decodes_to(tmp_path):
    # 2 MiB on disk, over 64 MiB once decoded: the limit is on what reading it would cost.
    rows = ROW * (DEFAULT_MAX_BYTES // len(ROW) + 10)
    path = _release(
        tmp_path, lambda f: f.write(gzip.compress(HEADER + rows, 9)), "npq_completions.csv.gz"
    )
    assert path.stat().st_size < 4 * MIB

    with pytest.raises(InputError, match=r"decodes to over the 67,108,864-byte limit"):
        load_files(input_files(SOURCES["npq_completions"], tmp_path), _never_read)


def test_files_within_the_limit_are_read(tmp_path):
    _release(tmp_path, lambda f: f.write(HEADER + ROW * 3))
    frame = load_files(input_files(SOURCES["npq_completions"], tmp_path), _rows_read)
    assert frame.height == 3


def _never_read(path):
    raise AssertionError(f"{path} was read")


def _rows_read(path):
    from pipelines.ees import read_ees_csv

    return read_ees_csv(path)


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz"])
def test_every_reader_refuses_a_file_over_its_limit_before_reading_it(tmp_path, suffix):
    """Not only raw releases: pilot files and files given to `check` go through the same
    reader, which measures a file (or what a .gz decodes to) before parsing any of it."""
    from pipelines.ees import read_text_csv

    body = b"pupil_id,score\n" + b"x" * 40 + b",1\n" * 1
    big = body + b"p,1\n" * (2 * MIB // 4)
    path = tmp_path / f"outcomes{suffix}"
    path.write_bytes(gzip.compress(big) if suffix.endswith(".gz") else big)
    with pytest.raises(InputError, match="limit") as refused:
        read_text_csv(path, max_bytes=MIB)
    assert refused.value.rule == "max_bytes"
    assert str(path.name) in str(refused.value)
    read_text_csv(path, max_bytes=4 * MIB)  # under the limit it is read
