"""What is published, from which inputs, and what has changed in data/raw/ since.

`describe_inputs(raw_dir)` lists each data set the pipeline reads: its release folders,
whether they are published or synthetic, and a fingerprint of their manifests. The publish
step stores that list in the published database (`_inputs`); `status_report` compares it with
data/raw/ now.
"""

import hashlib
from pathlib import Path

import duckdb

from pipelines.paths import CURRENT, PUBLISHED_DB_NAME
from pipelines.sources import COMPILED, SOURCES, read_manifest


def data_set_folders(raw_dir: Path) -> dict[str, list[Path]]:
    """The folders under `raw_dir` each staged data set reads from."""
    folders = {
        s.name: [s.folder(raw_dir), *(raw_dir / "synthetic" / n for n in s.synthetic)]
        for s in SOURCES.values()
        if s.in_pipeline
    }
    folders |= {c.name: [c.folder(raw_dir)] for c in COMPILED.values()}
    return folders


def fingerprints(raw_dir: Path) -> dict[str, str]:
    """data set -> sha256 over the names and contents of every manifest in its folders."""
    out = {}
    for name, folders in data_set_folders(raw_dir).items():
        digest = hashlib.sha256()
        for folder in folders:
            for manifest in sorted(folder.glob("*/manifest.json")):
                digest.update(str(manifest.relative_to(raw_dir)).encode())
                digest.update(manifest.read_bytes())
        out[name] = digest.hexdigest()
    return out


def changed(previous: dict[str, str], current: dict[str, str]) -> list[str]:
    return sorted(name for name, print_ in current.items() if previous.get(name) != print_)


def describe_inputs(raw_dir: Path) -> list[dict]:
    prints = fingerprints(raw_dir)
    out = []
    for name, folders in data_set_folders(raw_dir).items():
        releases, provenance = [], set()
        for folder in folders:
            for manifest_path in sorted(folder.glob("*/manifest.json"))[-1:]:
                manifest = read_manifest(manifest_path.parent)
                releases.append(f"{folder.name}/{manifest_path.parent.name}")
                provenance |= {f.get("provenance", "published") for f in manifest["files"]}
        out.append(
            {
                "data_set": name,
                "releases": ", ".join(releases),
                "provenance": " + ".join(sorted(provenance)),
                "fingerprint": prints[name],
            }
        )
    return out


def status_report(marts_dir: Path, raw_dir: Path) -> tuple[str, bool]:
    """A readable report, and whether the publication is up to date with data/raw/."""
    database = marts_dir / PUBLISHED_DB_NAME
    if not database.exists():
        return f"No publication in {marts_dir} yet: run `make run`.", False
    con = duckdb.connect(str(database), read_only=True)
    try:
        published_at = con.sql("SELECT max(published_at) FROM _publication").fetchall()[0][0]
        tables = con.sql("SELECT count(*) FROM _publication").fetchall()[0][0]
        known = {r[0] for r in con.sql("SELECT table_name FROM duckdb_tables()").fetchall()}
        inputs = (
            con.sql("SELECT data_set, releases, provenance, fingerprint FROM _inputs").fetchall()
            if "_inputs" in known
            else []
        )
    finally:
        con.close()
    now = fingerprints(raw_dir)
    current = marts_dir / CURRENT
    generation = f" (generation {current.resolve().name})" if current.is_symlink() else ""
    lines = [f"Published {published_at}: {tables} tables in {database}{generation}", ""]
    lines.append(f"  {'data set':<36} {'release read':<44} {'provenance':<22} state")
    stale = []
    for data_set, releases, provenance, fingerprint in sorted(inputs):
        state = "up to date" if now.get(data_set) == fingerprint else "STALE"
        if state == "STALE":
            stale.append(data_set)
        lines.append(f"  {data_set:<36} {releases[:44]:<44} {provenance:<22} {state}")
    new = sorted(set(now) - {row[0] for row in inputs})
    lines.append("")
    synthetic = [row[0] for row in inputs if "synthetic" in row[2]]
    lines.append(f"Synthetic inputs ({len(synthetic)}): {', '.join(sorted(synthetic)) or 'none'}")
    if stale or new:
        lines.append(
            f"Changed in data/raw/ since publication: {', '.join(stale + new)}. "
            "Run `make run` (or let the raw_release_sensor do it) to refresh."
        )
    else:
        lines.append("Nothing in data/raw/ has changed since this publication.")
    return "\n".join(lines), not (stale or new)
