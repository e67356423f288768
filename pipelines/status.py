"""What is published, from which inputs, and what has changed in data/raw/ since.

`describe_inputs(raw_dir)` lists each data set the pipeline reads: its release folders,
whether they are published or synthetic, and a fingerprint of their manifests. The publish
step stores that list in the published database (`_inputs`); `status_report` compares it with
data/raw/ now.

`scoreboard(con, ...)` is the real-data scoreboard: for each staged data set and each mart,
the share of its rows that are published, derived from published figures only, or synthetic
(the `provenance` column). The publish step adds it to `_inputs` (`kind` 'data set' or
'mart'); `status_report` prints it.
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


# Provenance vocabulary, strongest first (pipelines/transforms/staging.py).
PROVENANCE = ("published", "derived", "synthetic")
SHARES = tuple(f"{p}_pct" for p in PROVENANCE)


def provenance_shares(con: duckdb.DuckDBPyConnection, table: str) -> dict:
    """Rows of `table` (a qualified name) and the percentage of them of each provenance;
    shares are None for a table with no `provenance` column (nothing says what it is)."""
    columns = {r[0] for r in con.sql(f"DESCRIBE {table}").fetchall()}
    if "provenance" not in columns:
        (rows,) = con.sql(f"SELECT count(*) FROM {table}").fetchall()[0]
        return {"rows": rows, **dict.fromkeys(SHARES)}
    counts = ", ".join(f"count(*) FILTER (WHERE provenance = '{p}')" for p in PROVENANCE)
    rows, *by = con.sql(f"SELECT count(*), {counts} FROM {table}").fetchall()[0]
    return {
        "rows": rows,
        **{k: 100.0 * n / rows if rows else None for k, n in zip(SHARES, by, strict=True)},
    }


def scoreboard(
    con: duckdb.DuckDBPyConnection, inputs: list[dict], marts: list[str], schema: str = "marts"
) -> list[dict]:
    """`inputs` (kind 'data set', with the shares of its staging table where there is one)
    followed by one row per mart (kind 'mart'): the real-data scoreboard."""
    staged = {
        r[0]
        for r in con.sql(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'staging'"
        ).fetchall()
    }
    out = [
        {
            "kind": "data set",
            **i,
            **(
                provenance_shares(con, f"staging.{i['data_set']}")
                if i["data_set"] in staged
                else {"rows": None, **dict.fromkeys(SHARES)}
            ),
        }
        for i in inputs
    ]
    for mart in marts:
        shares = provenance_shares(con, f"{schema}.{mart}")
        present = [p for p, k in zip(PROVENANCE, SHARES, strict=True) if shares[k]]
        out.append(
            {
                "kind": "mart",
                "data_set": mart,
                "releases": "",
                "provenance": " + ".join(present) if present else "not labelled",
                "fingerprint": "",
                **shares,
            }
        )
    return out


def format_scoreboard(rows: list[tuple]) -> list[str]:
    """Lines of the scoreboard from (name, rows, published %, derived %, synthetic %)."""
    lines = [f"  {'mart':<36} {'rows':>7} {'published':>10} {'derived':>8} {'synthetic':>10}"]
    for name, count, *shares in rows:
        cells = ["-" if v is None else f"{v:.1f}%" for v in shares]
        lines.append(f"  {name:<36} {count:>7} {cells[0]:>10} {cells[1]:>8} {cells[2]:>10}")
    return lines


PILOTS = "pilots"
"""The pilot evaluator files (data/raw/pilots/), listed as one input."""


def shorten(text: str, width: int) -> str:
    """`text` cut to `width` characters, the last one an ellipsis when anything is cut."""
    return text if len(text) <= width else text[: width - 1] + "…"


def pilot_fingerprint(raw_dir: Path) -> str:
    """sha256 over the name and content of every file under data/raw/pilots/."""
    digest = hashlib.sha256()
    root = Path(raw_dir) / PILOTS
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def describe_pilot_inputs(raw_dir: Path) -> dict:
    """Delivered evaluator year folders are evaluator data; every registered pilot without
    one runs on synthetic files generated at run time (pipelines/pilots/inputs.py)."""
    from pipelines.pilots.inputs import delivered_folders
    from pipelines.pilots.registry import load_registry

    delivered = delivered_folders(raw_dir)
    real = {f.pilot_id for f in delivered}
    registry = load_registry(Path(raw_dir) / PILOTS / "registry" / "pilots.yaml")
    generated = [p.id for p in registry.pilots if p.id not in real]
    releases = [f"{f.pilot_id}/{f.folder.name}" for f in delivered]
    if generated:
        releases.append(f"{', '.join(generated)} generated")
    provenance = ({"evaluator"} if real else set()) | ({"synthetic"} if generated else set())
    return {
        "data_set": PILOTS,
        "releases": ", ".join(releases),
        "provenance": " + ".join(sorted(provenance)),
        "fingerprint": pilot_fingerprint(raw_dir),
    }


def describe_inputs(raw_dir: Path) -> list[dict]:
    prints = fingerprints(raw_dir)
    out = [describe_pilot_inputs(raw_dir)]
    for name, folders in data_set_folders(raw_dir).items():
        releases, provenance = [], set()
        for folder in folders:
            # Published releases: every one is read; a synthetic companion: its latest.
            manifests = sorted(folder.glob("*/manifest.json"))
            if folder.parent.name == "synthetic":
                manifests = manifests[-1:]
            for manifest_path in manifests:
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
        columns = (
            {r[0] for r in con.sql("DESCRIBE _inputs").fetchall()} if "_inputs" in known else set()
        )
        kind = "kind = 'data set'" if "kind" in columns else "true"
        inputs = (
            con.sql(
                f"SELECT data_set, releases, provenance, fingerprint FROM _inputs WHERE {kind}"
            ).fetchall()
            if "_inputs" in known
            else []
        )
        board = (
            con.sql(
                f"SELECT data_set, rows, {', '.join(SHARES)} FROM _inputs "
                "WHERE kind = 'mart' ORDER BY data_set"
            ).fetchall()
            if "kind" in columns
            else []
        )
    finally:
        con.close()
    now = fingerprints(raw_dir) | {PILOTS: pilot_fingerprint(raw_dir)}
    current = marts_dir / CURRENT
    generation = f" (generation {current.resolve().name})" if current.is_symlink() else ""
    lines = [f"Published {published_at}: {tables} tables in {database}{generation}", ""]
    lines.append(f"  {'data set':<36} {'release read':<44} {'provenance':<22} state")
    stale = []
    for data_set, releases, provenance, fingerprint in sorted(inputs):
        state = "up to date" if now.get(data_set) == fingerprint else "STALE"
        if state == "STALE":
            stale.append(data_set)
        lines.append(
            f"  {shorten(data_set, 36):<36} {shorten(releases, 44):<44} "
            f"{shorten(provenance, 22):<22} {state}"
        )
    new = sorted(set(now) - {row[0] for row in inputs})
    lines.append("")
    synthetic = [row[0] for row in inputs if "synthetic" in row[2]]
    lines.append(f"Synthetic inputs ({len(synthetic)}): {', '.join(sorted(synthetic)) or 'none'}")
    if board:
        lines += ["", "Real-data scoreboard: share of each mart's rows by provenance"]
        lines += format_scoreboard(board)
    if stale or new:
        lines.append(
            f"Changed in data/raw/ since publication: {', '.join(stale + new)}. "
            "Run `make run` (or let the raw_release_sensor do it) to refresh."
        )
    else:
        lines.append("Nothing in data/raw/ has changed since this publication.")
    return "\n".join(lines), not (stale or new)
