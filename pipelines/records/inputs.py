"""Where the record-level files are, which academic years they cover, and which changed.

With no files in the configured records folder (a fresh checkout), the pipeline uses
synthetic records at scale 1, generated once into the working area and labelled synthetic by
their manifest.
"""

import json
from pathlib import Path

from pipelines.records.contract import COLLECTIONS

SYNTHETIC_FOLDER = "records_synthetic"
MANIFEST = "manifest.json"


def record_files(records: Path) -> dict[str, dict[str, Path]]:
    """{collection: {time_period: file}} for every file present."""
    return {
        collection: {p.stem: p for p in sorted((records / collection).glob("*.parquet"))}
        for collection in COLLECTIONS
    }


def years(records: Path, files: dict[str, dict[str, Path]] | None = None) -> list[str]:
    """Every academic year (time_period as text) with a file in either collection."""
    listing = record_files(records) if files is None else files
    return sorted({year for by_year in listing.values() for year in by_year})


def resolve(records: Path, work: Path) -> Path:
    """The folder to read: `records` if it holds files, else the synthetic default."""
    if years(records):
        return records
    synthetic = work / SYNTHETIC_FOLDER
    if not years(synthetic):
        from pipelines.records.synthetic import generate

        generate(synthetic, scale=1)
    return synthetic


def provenance(records: Path) -> str:
    """'synthetic' when the folder's manifest says the generator wrote it, else 'record-level'."""
    manifest = records / MANIFEST
    if manifest.exists() and json.loads(manifest.read_text()).get("provenance") == "synthetic":
        return "synthetic"
    return "record-level"


def fingerprint(path: Path) -> str:
    """Size and modification time: a new or replaced file gets a new fingerprint without
    reading gigabytes to hash them."""
    stat = path.stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def fingerprints(records: Path) -> dict[str, str]:
    """{time_period: fingerprint of its files in every collection} for every year."""
    files = record_files(records)
    return {
        year: "|".join(
            fingerprint(files[c][year]) if year in files[c] else "-" for c in COLLECTIONS
        )
        for year in years(records, files)
    }
