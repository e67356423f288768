"""Loading raw files verbatim, with their load metadata on every row."""

import json
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import polars as pl

from pipelines.ees import ROW_NUMBER, read_ees_csv
from pipelines.errors import InputError
from pipelines.gate import accept, meta_path_for
from pipelines.sources import RawFile, max_bytes_for, sha256_of

REJECTED_LOG = "rejected_files.jsonl"

T = TypeVar("T")


def load_files(files: list[RawFile], reader: Callable[[str], pl.DataFrame]) -> pl.DataFrame:
    """Read each file with `reader` (all text) and stack them, adding file, row, checksum,
    release, data set and provenance columns."""
    frames = []
    for raw_file in files:
        refuse_oversized(raw_file)
        manifest = raw_file.manifest
        label = manifest.get("data_set_title", manifest["dataset"])
        origin = manifest.get("data_set_id") or manifest.get("generator") or manifest["source"]
        frames.append(
            reader(raw_file.path)
            .rename({ROW_NUMBER: "source_row"})
            .with_columns(
                source_file=pl.lit(raw_file.path.name),
                source_sha256=pl.lit(raw_file.sha256),
                source_release=pl.lit(raw_file.release),
                source_data_set=pl.lit(f"{label} ({origin})"),
                provenance=pl.lit(raw_file.provenance),
            )
        )
    return pl.concat(frames, how="diagonal")


def refuse_oversized(raw_file: RawFile) -> None:
    """Refuse a file over its data set's `max_bytes` before it is parsed: reading a CSV costs
    several times its size in memory. A .gz file is measured by what it decodes to, in blocks,
    stopping at the limit."""
    dataset = raw_file.manifest.get("dataset", "")
    limit = max_bytes_for(dataset)
    path = raw_file.path
    size = path.stat().st_size
    if size > limit:
        found = f"is {size:,} bytes, over"
    elif path.suffix == ".gz" and _decoded_over(path, limit):
        found = "decodes to over"
    else:
        return
    raise InputError(
        path,
        f"{found} the {limit:,}-byte limit of {dataset or 'its data set'} "
        "(max_bytes in pipelines/sources.py): not read",
        rule="max_bytes",
    )


def _decoded_over(path: Path, limit: int) -> bool:
    decoder = zlib.decompressobj(wbits=31)
    decoded = 0
    with path.open("rb") as handle:
        while data := handle.read(1 << 16):
            while data:
                if decoder.eof:  # a further gzip member follows
                    decoder = zlib.decompressobj(wbits=31)
                try:
                    decoded += len(decoder.decompress(data, 1 << 20))
                except zlib.error:
                    return False  # not gzip after all: the reader names that problem
                if decoded > limit:
                    return True
                data = decoder.unused_data if decoder.eof else decoder.unconsumed_tail
    return False


def gated_ees_reader(rejected_log: Path) -> Callable[[Path], pl.DataFrame]:
    """A reader that passes each EES file through the ingest gate (pipelines/gate.py).

    A refused file is left untouched where it is, recorded in `rejected_log` (JSON lines: time,
    file, sha256, rule, row, column, message), and the error is raised, so the run stops before
    anything is published.
    """

    def read(path: Path) -> pl.DataFrame:
        try:
            frame = read_ees_csv(path)
            accept(path, meta_path_for(path), frame=frame)
        except InputError as err:
            record_rejection(rejected_log, path, err)
            raise
        return frame

    return read


def recorded(rejected_log: Path, find: Callable[[], T]) -> T:
    """`find()` (listing a release's files from its manifest); a refusal is recorded in
    `rejected_log` like a refused file, then raised."""
    try:
        return find()
    except InputError as err:
        record_rejection(rejected_log, Path(err.file), err)
        raise


def record_rejection(log: Path, path: Path, err: InputError) -> None:
    log.parent.mkdir(parents=True, exist_ok=True)
    # Only a regular file that is not a symlink is hashed: a FIFO would block, a link may
    # point anywhere.
    readable = path.is_file() and not path.is_symlink()
    entry = {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "file": str(path),
        "sha256": sha256_of(path) if readable else None,
        "rule": err.rule,
        "row": err.row,
        "column": err.column,
        "message": str(err),
    }
    with log.open("a", encoding="utf-8") as f:
        f.write(json.dumps(entry) + "\n")
