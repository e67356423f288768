"""The source registry: every data set the pipeline reads, where it comes from, and its shape.

A release lives in `data/raw/<source>/<dataset>/<release>/` beside a `manifest.json` that
records its origin, licence and the sha256 of each file. Raw files are never edited.
"""

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.errors import InputError


@dataclass(frozen=True)
class Source:
    """One published data set and the columns the pipeline relies on."""

    name: str
    source: str
    publication: str
    data_set_id: str
    latest_release: str
    filters: tuple[str, ...]
    indicators: tuple[str, ...]
    geography: tuple[str, ...] = field(default=())

    def release_dir(self, raw_root: Path, release: str | None = None) -> Path:
        return (
            raw_root / self.source / self.name / (release or self.latest_release).replace("/", "-")
        )


NPQ_PARTICIPANTS = Source(
    name="npq_participants",
    source="ees",
    publication="Teacher and leader development: ECF and NPQs",
    data_set_id="79418e7a-43e1-495d-afaa-f1253a2fb601",
    latest_release="2024/25",
    geography=(
        "country_code",
        "country_name",
        "region_code",
        "region_name",
        "la_name",
        "old_la_code",
        "new_la_code",
    ),
    filters=("funding", "breakdown", "group_name"),
    indicators=(
        "npq_starts",
        "npq_unique_participants",
        "npq_unique_participants_swc_eligible",
        "percent_workforce_npq_participation",
        "teaching_workforce_headcount_swc",
    ),
)

SOURCES = {s.name: s for s in (NPQ_PARTICIPANTS,)}


@dataclass(frozen=True)
class RawFile:
    path: Path
    sha256: str
    provenance: str
    manifest: dict


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def release_files(source: Source, raw_root: Path, release: str | None = None) -> list[RawFile]:
    """The files of one release, each checked against the checksum in its manifest."""
    folder = source.release_dir(raw_root, release)
    manifest_path = folder / "manifest.json"
    if not manifest_path.exists():
        raise InputError(
            manifest_path, "is missing: every raw release needs a manifest", rule="manifest"
        )
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise InputError(
            manifest_path, f"is not valid JSON ({err.msg})", row=err.lineno, rule="manifest"
        ) from None
    files = []
    for entry in manifest.get("files", []):
        path = folder / entry["path"]
        if not path.exists():
            raise InputError(path, "is listed in the manifest but missing", rule="manifest")
        actual = sha256_of(path)
        if actual != entry["sha256"]:
            raise InputError(
                path,
                f"does not match its manifest (sha256 {actual[:12]}... expected "
                f"{entry['sha256'][:12]}...): raw files are never edited; add a new release",
                rule="checksum",
            )
        files.append(RawFile(path, actual, entry["provenance"], manifest))
    if not files:
        raise InputError(manifest_path, "lists no files", rule="manifest")
    return files
