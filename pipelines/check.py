"""Will this file be accepted? The checks a refresh makes, run on one file by hand.

`check_file(source, path)` passes a file through exactly what `make run` would do to it: the
EES ingest gate (with its `.meta.csv` when there is one) and the staging transform of the
registered source it claims to be, in the layout of its release (named by the manifest beside
it, or recognised by its columns) mapped to the current one as a refresh maps it; or the
school-level staging for GIAS and performance-table files. It never writes anything and never
changes the file. Every problem is one `Finding` naming rule, file, row and column; the command
line prints one line per finding.
"""

from pathlib import Path

import polars as pl

from pipelines.ees import ROW_NUMBER, read_ees_csv, read_text_csv
from pipelines.errors import InputError
from pipelines.gate import ERROR, WARNING, Finding, meta_path_for, screen
from pipelines.sources import SOURCES, Source, read_manifest
from pipelines.transforms.schools import stage_school_level
from pipelines.transforms.staging import stage

# Evaluators' pilot files (participants.csv, schools.csv, ...) are checked against their
# contract (pipelines/pilots/contract.py) under this name.
PILOTS = "pilots"


def _finding(err: InputError) -> Finding:
    return Finding(err.rule, ERROR, err.file, err.row, err.column, err.detail)


def check_file(source_name: str, path: str | Path) -> list[Finding]:
    """Every finding for `path` read as a release of `source_name`; errors first."""
    path = Path(path)
    if source_name == PILOTS:
        return _check_pilot_file(path)
    if source_name not in SOURCES:
        known = ", ".join(sorted([*SOURCES, PILOTS]))
        raise ValueError(f"unknown data set {source_name!r}; registered: {known}")
    source = SOURCES[source_name]
    if not path.is_file():
        return [Finding("file", ERROR, str(path), None, None, "does not exist or is not a file")]
    findings: list[Finding] = []
    try:
        release = _release_of(source, path)
        if source.layout == "ees":
            frame = read_ees_csv(path)
            if release is None:
                release = _release_by_columns(source, frame)
            meta = meta_path_for(path)
            if meta is None:
                findings.append(
                    Finding(
                        "meta_missing",
                        WARNING,
                        str(path),
                        None,
                        None,
                        "has no .meta.csv beside it: indicators are taken from the registry",
                    )
                )
            findings += screen(path, meta, frame=frame)
            findings += _unexpected_columns(frame, source, path)
            if any(f.severity == ERROR for f in findings):
                return _ordered(findings)
            shape = source.releases.get(release or "")
            if shape is not None and shape.to_current is not None:
                message = (
                    f"read in the registered layout of release {release} "
                    "(mapped to the current layout)"
                )
                findings.append(Finding("release_layout", WARNING, str(path), None, None, message))
            stage(_as_raw(frame, path, release), source)
        else:
            stage_school_level(_as_raw(read_text_csv(path), path, release), source)
    except InputError as err:
        findings.append(_finding(err))
    return _ordered(findings)


def _unexpected_columns(frame: pl.DataFrame, source, path: Path) -> list[Finding]:
    """Columns the registry does not know for this data set: staging leaves them out."""
    known = {*source.keys, "time_identifier", *source.geography, *source.indicators}
    for shape in source.releases.values():
        known |= set(shape.columns)
    return [
        Finding(
            "unexpected_column",
            WARNING,
            str(path),
            1,
            name,
            f"is not in the registered layout of {source.name}; staging leaves it out",
        )
        for name in frame.columns
        if name != ROW_NUMBER and name not in known
    ]


def _check_pilot_file(path: Path) -> list[Finding]:
    from pipelines.pilots.contract import validate_file

    try:
        read_text_csv(
            path, allow_no_rows=True
        )  # empty, not UTF-8, broken quotes, ragged rows: row and column
        validate_file(path)
    except InputError as err:
        return [_finding(err)]
    return []


def _release_of(source: Source, path: Path) -> str | None:
    """The release a refresh would read `path` as: the one its folder's manifest names, when
    the manifest lists the file. A broken manifest is refused as a refresh refuses it."""
    if not (path.parent / "manifest.json").is_file():
        return None
    manifest = read_manifest(path.parent)
    files = manifest.get("files") if isinstance(manifest, dict) else None
    listed = any(isinstance(e, dict) and e.get("path") == path.name for e in files or [])
    release = manifest.get("release") if listed else None
    return release if isinstance(release, str) and release in source.releases else None


def _release_by_columns(source: Source, frame: pl.DataFrame) -> str | None:
    """A file outside its release folder: the registered older layout with exactly its
    columns, if any (the current layout needs no mapping)."""
    columns = set(frame.columns) - {ROW_NUMBER}
    return next(
        (
            release
            for release, shape in source.releases.items()
            if shape.to_current is not None and set(shape.columns) == columns
        ),
        None,
    )


def _as_raw(frame: pl.DataFrame, path: Path, release: str | None = None) -> pl.DataFrame:
    """The frame as the raw layer stores it: load metadata on every row, and the release
    whose layout mapping staging applies (none: the current layout)."""
    return frame.rename({ROW_NUMBER: "source_row"}).with_columns(
        source_file=pl.lit(str(path)),
        source_sha256=pl.lit(None, dtype=pl.String),
        source_release=pl.lit(release or "checked by hand"),
        source_data_set=pl.lit(path.name),
        provenance=pl.lit("published"),
    )


def _ordered(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: f.severity != ERROR)
