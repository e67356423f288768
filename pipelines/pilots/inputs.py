"""Which pilot files the pipeline reads, checked and pseudonymised, ready for the raw layer.

Evaluator files live under `<raw>/pilots/<pilot_id>/<2025-26|2026-27|2027-28>/` (layout and
rules: data/raw/pilots/CONTRACT.md). A pilot with at least one delivered year folder is read
from its delivered files only; every other registered pilot falls back to the SYNTHETIC
default, generated at run time (seeded, so the same bytes every time) into
`<work>/pilots/synthetic/` and never committed. Its truth file goes to
`<work>/pilots/synthetic_truth.json`, which only tests read.

Every file is checked against its contract (`contract.validate_frame`: an `InputError` names
file, row and column), must name the pilot and year of its folder, and then has every
identifier replaced by a keyed hash (`pseudonymise.py`) before anything is stored: with the
public synthetic key for synthetic files, with NPQ_PSEUDONYMISATION_KEY for delivered ones
(delivered ids are pseudonyms already; hashing them again means nothing stored by the pipeline
can be joined back to the delivered files without the key).
"""

import hashlib
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipelines.ees import ROW_NUMBER, read_text_csv
from pipelines.errors import InputError
from pipelines.pilots import synthetic
from pipelines.pilots.contract import FILES, YEAR_FOLDERS, validate_frame
from pipelines.pilots.pseudonymise import SYNTHETIC_KEY, pseudonymisation_key, pseudonymise
from pipelines.pilots.registry import Registry

FOLDER_YEARS = {folder: year for year, folder in YEAR_FOLDERS.items()}
PILOT_FOLDER = re.compile(r"^P\d+$")
SYNTHETIC_DIR = Path("pilots") / "synthetic"
TRUTH_FILE = Path("pilots") / "synthetic_truth.json"
LOAD_COLUMNS = ("source_file", "source_row", "source_sha256")

# Identifier columns and the namespace of their keyed hash (a column name means: the
# namespace is that column's value, e.g. unit_level "pupil").
IDENTIFIERS: dict[str, dict[str, str]] = {
    "participants": {"participant_id": "participant", "school_id": "school"},
    "schools": {"school_id": "school"},
    "outcomes": {"unit_id": "@unit_level", "school_id": "school"},
    "dosage": {"unit_id": "@unit_level"},
    "costs": {},
}


@dataclass(frozen=True)
class PilotFolder:
    pilot_id: str
    year: str
    folder: Path
    provenance: str  # "evaluator" or "synthetic"


def delivered_folders(raw_dir: Path) -> list[PilotFolder]:
    """Every `<raw>/pilots/<Pn>/<year>/` folder an evaluator has delivered, sorted."""
    root = Path(raw_dir) / "pilots"
    found = []
    for pilot in sorted(p for p in root.glob("*") if PILOT_FOLDER.match(p.name) and p.is_dir()):
        for year_dir in sorted(pilot.iterdir()):
            if year_dir.name not in FOLDER_YEARS:
                raise InputError(
                    year_dir,
                    f"not an evaluation year folder; expected one of {sorted(FOLDER_YEARS)}",
                    rule="pilot contract",
                )
            found.append(
                PilotFolder(pilot.name, FOLDER_YEARS[year_dir.name], year_dir, "evaluator")
            )
    return found


def synthetic_fingerprint(registry: Registry) -> str:
    """Changes whenever the generator, the contract or the registry it reads changes."""
    digest = hashlib.sha256()
    for path in (Path(synthetic.__file__), Path(synthetic.__file__).with_name("contract.py")):
        digest.update(path.read_bytes())
    digest.update(registry.path.read_bytes())
    digest.update(str(synthetic.SEED).encode())
    return digest.hexdigest()


def ensure_synthetic(work_dir: Path, registry: Registry) -> Path:
    """The synthetic default under `<work>/pilots/synthetic/`, (re)generated when stale."""
    out = Path(work_dir) / SYNTHETIC_DIR
    stamp = out / ".fingerprint"
    fingerprint = synthetic_fingerprint(registry)
    if stamp.exists() and stamp.read_text() == fingerprint:
        return out
    shutil.rmtree(out, ignore_errors=True)
    synthetic.generate(out, Path(work_dir) / TRUTH_FILE, registry=registry)
    stamp.write_text(fingerprint)
    return out


def resolve_folders(raw_dir: Path, work_dir: Path, registry: Registry) -> list[PilotFolder]:
    """Delivered folders for pilots that have any; the synthetic default for the others."""
    delivered = delivered_folders(raw_dir)
    known = {p.id for p in registry.pilots}
    for item in delivered:
        if item.pilot_id not in known:
            raise InputError(
                item.folder,
                f"pilot {item.pilot_id!r} is not in the registry {registry.path}",
                rule="pilot contract",
            )
    real = {item.pilot_id for item in delivered}
    folders = list(delivered)
    if known - real:
        root = ensure_synthetic(work_dir, registry)
        folders += [
            PilotFolder(pilot.id, year, root / pilot.id / YEAR_FOLDERS[year], "synthetic")
            for pilot in registry.pilots
            if pilot.id not in real
            for year in registry.evaluation_years
        ]
    return sorted(folders, key=lambda f: (f.pilot_id, f.year))


def read_file(path: Path, kind: str, item: PilotFolder) -> pl.DataFrame:
    """One file, all text, in contract column order, with its load columns; checked that it
    names the pilot, year and provenance of its folder (the contract is checked per kind)."""
    if not path.exists():
        raise InputError(
            path, f"missing: every year folder holds {sorted(f'{k}.csv' for k in FILES)}",
            rule="pilot contract",
        )  # fmt: skip
    # The EES reader: an empty file, bytes that are not UTF-8, a broken quote or a ragged row is
    # refused naming its row and column, and quoting no cell. `source_row` is the file line.
    frame = read_text_csv(path, allow_no_rows=True)
    lines = frame[ROW_NUMBER]
    frame = frame.drop(ROW_NUMBER)
    columns = FILES[kind].column_names
    if set(frame.columns) != set(columns):
        validate_frame(frame, FILES[kind], path)  # names the missing or unexpected columns
    frame = frame.select(columns)
    expected = {"pilot_id": item.pilot_id, "evaluation_year": item.year}
    expected["provenance"] = item.provenance
    for column, value in expected.items():
        wrong = frame.get_column(column) != value
        if wrong.any():
            row = int(wrong.arg_true()[0])
            raise InputError(
                path,
                f"{frame[column][row]!r} does not match the folder ({value!r})",
                row=lines[row],
                column=column,
                rule="pilot contract",
            )
    return frame.with_columns(
        pl.lit(str(path)).alias("source_file"),
        lines.alias("source_row"),
        pl.lit(hashlib.sha256(path.read_bytes()).hexdigest()).alias("source_sha256"),
    )


def check_kind(frame: pl.DataFrame, kind: str) -> None:
    """The contract on every file of one kind at once (one pass instead of one per file).

    A failure is reported against the file and row it came from; a key repeated across files
    (e.g. a participant enrolled in two years) is refused too.
    """
    contract = FILES[kind]
    try:
        validate_frame(frame.select(contract.column_names), contract, "pilot files")
    except InputError as error:
        if error.row is None:
            raise
        culprit = frame.row(error.row - 2, named=True)
        source, row = culprit["source_file"], culprit["source_row"]
        own = frame.filter(pl.col("source_file") == source).select(contract.column_names)
        validate_frame(own, contract, source)  # the file's own error, when it has one
        raise InputError(
            source, error.detail + " (across files)", row=row, column=error.column,
            rule=error.rule,
        ) from error  # fmt: skip


def pseudonymise_ids(
    frame: pl.DataFrame, kind: str, key: bytes, cache: dict | None = None
) -> pl.DataFrame:
    """Replace every identifier column of a `kind` file by its keyed hash (`cache` keeps the
    hashes already computed: the same school appears in every file)."""
    cache = {} if cache is None else cache
    for column, namespace in IDENTIFIERS[kind].items():
        space = pl.col(namespace[1:]) if namespace.startswith("@") else pl.lit(namespace)
        pairs = frame.select(space.alias("_ns"), pl.col(column).alias("_id")).unique()
        hashes = []
        for ns, identifier in pairs.iter_rows():
            if (ns, identifier) not in cache:
                cache[ns, identifier] = pseudonymise(identifier, key, ns)
            hashes.append(cache[ns, identifier])
        lookup = pairs.with_columns(pl.Series("_hash", hashes, dtype=pl.String))
        frame = (
            frame.with_columns(space.alias("_ns"))
            .join(lookup, left_on=["_ns", column], right_on=["_ns", "_id"], how="left")
            .with_columns(pl.col("_hash").alias(column))
            .drop("_ns", "_hash")
        )
    return frame


def load_pilot_files(
    raw_dir: Path, work_dir: Path, registry: Registry
) -> tuple[dict[str, pl.DataFrame], list[PilotFolder]]:
    """All five files over every pilot and year ({kind: all-text frame, ids pseudonymised}),
    and the folders they came from. A refused file is recorded in the working area's
    rejected-files log (as refused EES files are), then the error is raised."""
    from pipelines.raw import REJECTED_LOG, record_rejection

    try:
        return _load_pilot_files(raw_dir, work_dir, registry)
    except InputError as err:
        record_rejection(Path(work_dir) / REJECTED_LOG, Path(err.file), err)
        raise


def _load_pilot_files(
    raw_dir: Path, work_dir: Path, registry: Registry
) -> tuple[dict[str, pl.DataFrame], list[PilotFolder]]:
    folders = resolve_folders(raw_dir, work_dir, registry)
    keys = {"synthetic": SYNTHETIC_KEY}
    if any(item.provenance == "evaluator" for item in folders):
        keys["evaluator"] = pseudonymisation_key()
    caches: dict[str, dict] = {provenance: {} for provenance in keys}
    frames = {}
    for kind in FILES:
        combined = pl.concat(
            [read_file(item.folder / f"{kind}.csv", kind, item) for item in folders]
        )
        check_kind(combined, kind)
        frames[kind] = pl.concat(
            [
                pseudonymise_ids(part, kind, keys[provenance], caches[provenance])
                for (provenance,), part in combined.group_by("provenance", maintain_order=True)
            ]
            or [combined]
        )
    return frames, folders
