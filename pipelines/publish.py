"""Publishing: copy the checked marts out of the private working database, atomically as a whole.

A publication (database, exports, chart pack) is one generation folder, and readers reach the
current one through stable paths:

    <marts>/generations/<id>/           one complete publication: <database>, exports/, charts/
    <marts>/current -> generations/<id>
    <marts>/<database> -> current/<database>     (npq_observatory.duckdb)
    <marts>/exports    -> current/exports      (<table>.parquet, .csv, .meta.csv)
    <marts>/charts     -> current/charts

A new generation is built in a hidden folder beside the others, flushed to disk and renamed to
its name; then `current` is replaced with one `os.replace`: the single step at which readers move
from the previous publication to the new one, all three parts together. A failed or killed run
leaves the previous publication as it was; the next run removes what it left. The generation
before the current one is kept (a reader may still be reading it); older ones are removed.

The stable paths are links made once; a folder published before generations existed is moved
into a generation of its own first, without a reader ever seeing it change. A notebook holding
the old database open keeps its snapshot; new connections see the new one. A reader that needs
several parts of one publication resolves `current` once (`pipelines.paths.publication_dir`).
"""

import contextlib
import ctypes
import errno
import os
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipelines import dictionary
from pipelines.paths import CURRENT, GENERATIONS, PUBLISHED_DB_NAME
from pipelines.safe_csv import safe_select, write_safe_csv
from pipelines.warehouse import qualified

PARTS = ("exports", "charts")  # folders of a generation, beside its database


@dataclass(frozen=True)
class Publication:
    database: Path
    exports: Path
    charts: Path
    tables: dict[str, int]
    published_at: str
    generation: Path


class PublishError(RuntimeError):
    """The publication could not be written; the previous one is unchanged."""


def publish(
    con: duckdb.DuckDBPyConnection,
    marts: list[str],
    chart_names: list[str],
    charts_draft: Path,
    marts_dir: Path,
    inputs: list[dict] | None = None,
    *,
    schema: str = "marts",
    database_name: str = PUBLISHED_DB_NAME,
) -> Publication:
    """Publish `marts.<table>` for each table, their exports and the named charts as a new
    generation of `marts_dir`, and switch readers to it in one step.

    A failure while writing (disk full, permission denied) removes what was written and raises
    PublishError: nothing half-written is left, and the previous publication stays as it was.
    """
    published_at = datetime.now(UTC).isoformat(timespec="seconds")
    tables: dict[str, int] = {}

    def fill(building: Path) -> None:
        tables.update(
            _build_database(
                con, schema, marts, building / database_name, published_at, inputs or []
            )
        )
        _fill(building / "exports", lambda d: _write_exports(con, schema, marts, d))
        _fill(building / "charts", lambda d: _copy_charts(chart_names, charts_draft, d))

    generation = _publish_generation(marts_dir, database_name, published_at, fill)
    return Publication(
        marts_dir / database_name,
        marts_dir / "exports",
        marts_dir / "charts",
        tables,
        published_at,
        generation,
    )


def publish_charts(chart_names: list[str], charts_draft: Path, marts_dir: Path) -> Path:
    """Publish a new generation with the current database and exports and a new chart pack."""
    published_at = datetime.now(UTC).isoformat(timespec="seconds")

    def fill(building: Path) -> None:
        current = (marts_dir / CURRENT).resolve(strict=True)
        shutil.copy2(current / PUBLISHED_DB_NAME, building / PUBLISHED_DB_NAME)
        shutil.copytree(current / "exports", building / "exports")
        _fill(building / "charts", lambda d: _copy_charts(chart_names, charts_draft, d))

    try:
        _publish_generation(marts_dir, PUBLISHED_DB_NAME, published_at, fill)
    except PublishError as err:
        raise PublishError(
            f"could not write the chart pack in {marts_dir / 'charts'}: {err.__cause__}. "
            "The previous chart pack is unchanged."
        ) from err.__cause__
    return marts_dir / "charts"


def _publish_generation(
    marts_dir: Path, database_name: str, published_at: str, fill: Callable[[Path], None]
) -> Path:
    """Build a generation with `fill(folder)`, then make it the current one."""
    name = f"{published_at.replace('-', '').replace(':', '').replace('+0000', 'Z')}-"
    name += secrets.token_hex(4)
    generations = marts_dir / GENERATIONS
    building = generations / f".{name}.partial"
    try:
        _prepare(marts_dir, database_name)
        building.mkdir()
        fill(building)
        _fsync_tree(building)
        os.rename(building, generations / name)
        _fsync(generations)
        previous = _switch(marts_dir, name)
    except (OSError, duckdb.Error) as err:
        with contextlib.suppress(OSError):
            _remove(building)
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise PublishError(
            f"could not write the publication in {marts_dir}: {reason}. Nothing was "
            "published; the previous publication is unchanged."
        ) from err
    _clean(marts_dir, database_name, keep={name, previous})
    return generations / name


def _prepare(marts_dir: Path, database_name: str) -> None:
    """The generations folder, and the stable paths as links through `current`."""
    (marts_dir / GENERATIONS).mkdir(parents=True, exist_ok=True)
    _adopt_unversioned(marts_dir, database_name)
    for part in (database_name, *PARTS):
        _link(marts_dir / part, Path(CURRENT) / part)


def _adopt_unversioned(marts_dir: Path, database_name: str) -> None:
    """A publication made before generations (real files at the stable paths) becomes a
    generation of its own and `current`; the stable paths then become links to the same
    content, so a reader sees the same publication throughout."""
    if (marts_dir / CURRENT).is_symlink():
        return
    found = [
        part
        for part in (database_name, *PARTS)
        if (marts_dir / part).exists() and not (marts_dir / part).is_symlink()
    ]
    if database_name not in found:
        return
    name = f"unversioned-{secrets.token_hex(4)}"
    building = marts_dir / GENERATIONS / f".{name}.partial"
    _remove(building)
    building.mkdir()
    for part in found:
        source, target = marts_dir / part, building / part
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy2(source, target)
    _fsync_tree(building)
    os.rename(building, marts_dir / GENERATIONS / name)
    _switch(marts_dir, name)


def _link(path: Path, target: Path) -> None:
    """Make `path` a symlink to `target` (relative), replacing what is there in one step."""
    if path.is_symlink() and Path(os.readlink(path)) == target:
        return
    staged = path.with_name(f".{path.name}.link")
    _remove(staged)
    os.symlink(target, staged)
    if path.is_dir() and not path.is_symlink():
        _exchange(staged, path)  # the folder is now at `staged`, the link at `path`
        _remove(staged)
    else:
        os.replace(staged, path)
    _fsync(path.parent)


def _exchange(a: Path, b: Path) -> None:
    """Swap two names in one step (Linux renameat2 RENAME_EXCHANGE); elsewhere, move `b`
    aside and `a` into its place."""
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    at_fdcwd, rename_exchange = -100, 2
    if renameat2 is not None:
        if renameat2(at_fdcwd, bytes(a), at_fdcwd, bytes(b), rename_exchange) == 0:
            return
        code = ctypes.get_errno()
        if code not in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
            raise OSError(code, os.strerror(code), str(b))
    aside = b.with_name(f".{b.name}.old")
    _remove(aside)
    os.rename(b, aside)
    os.replace(a, b)
    os.rename(aside, a)


def _switch(marts_dir: Path, name: str) -> str | None:
    """Point `current` at generation `name` with one os.replace; return the previous one."""
    current = marts_dir / CURRENT
    previous = Path(os.readlink(current)).name if current.is_symlink() else None
    staged = marts_dir / f".{CURRENT}.new"
    _remove(staged)
    os.symlink(Path(GENERATIONS) / name, staged)
    os.replace(staged, current)
    _fsync(marts_dir)
    return previous


def _clean(marts_dir: Path, database_name: str, keep: set[str | None]) -> None:
    """Remove generations other than `keep` (the new one and the one before it), folders
    left by killed runs, and the staging names of earlier versions of this module."""
    for path in (marts_dir / GENERATIONS).iterdir():
        if path.name not in keep:
            _remove(path)
    leftovers = [f".{CURRENT}.new", f"{database_name}.tmp"]
    for part in (database_name, *PARTS):
        leftovers += [f".{part}.link", f".{part}.new", f".{part}.old"]
    for name in leftovers:
        _remove(marts_dir / name)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
        if path.suffix in (".duckdb", ".tmp"):
            path.with_name(path.name + ".wal").unlink(missing_ok=True)


def _build_database(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    marts: list[str],
    target: Path,
    published_at: str,
    inputs: list[dict],
) -> dict[str, int]:
    """Write the publication database to `target` and flush it to disk.

    Beside the marts: `_publication` (table, rows, time) and `_inputs` (each data set read:
    release, provenance, fingerprint of its manifests; then each mart's share of rows by
    provenance), so a reader can tell what is synthetic and `python -m pipelines.cli status`
    can tell what is stale."""
    tables: dict[str, int] = {}
    # Storage version 1.5 keeps the file readable by DuckDB 1.x clients (R, older CLIs).
    con.execute(f"ATTACH '{_sql_path(target)}' AS pub (STORAGE_VERSION 'v1.5.0')")
    try:
        for table in marts:
            con.execute(
                f"CREATE TABLE pub.main.{table} AS SELECT * FROM {qualified(schema, table)}"
            )
            tables[table] = con.sql(f"SELECT count(*) FROM pub.main.{table}").fetchall()[0][0]
            dictionary.comment(con, f"pub.main.{table}", table)
        con.execute(
            "CREATE TABLE pub.main._publication (table_name VARCHAR, row_count BIGINT, "
            "published_at VARCHAR)"
        )
        con.executemany(
            "INSERT INTO pub.main._publication VALUES (?, ?, ?)",
            [(name, rows, published_at) for name, rows in tables.items()],
        )
        # Data sets read, then (pipelines/status.py scoreboard) each mart: rows and the share
        # of them published, derived from published figures only, or synthetic.
        con.execute(
            "CREATE TABLE pub.main._inputs (data_set VARCHAR, releases VARCHAR, "
            "provenance VARCHAR, fingerprint VARCHAR, kind VARCHAR, rows BIGINT, "
            "published_pct DOUBLE, derived_pct DOUBLE, synthetic_pct DOUBLE)"
        )
        if inputs:
            con.executemany(
                "INSERT INTO pub.main._inputs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        i["data_set"],
                        i["releases"],
                        i["provenance"],
                        i["fingerprint"],
                        i.get("kind", "data set"),
                        *(
                            i.get(k)
                            for k in ("rows", "published_pct", "derived_pct", "synthetic_pct")
                        ),
                    )
                    for i in inputs
                ],
            )
        for table in ("_publication", "_inputs"):
            dictionary.comment(con, f"pub.main.{table}", table)
    finally:
        with contextlib.suppress(duckdb.Error):
            con.execute("DETACH pub")
    return tables


def _write_exports(
    con: duckdb.DuckDBPyConnection, schema: str, marts: list[str], folder: Path
) -> None:
    """Parquet and CSV of each table, numbers rounded to the decimal places of the data
    dictionary (the database keeps full precision), and beside each CSV its EES metadata file
    `<table>.meta.csv` (pipelines/dictionary.py)."""
    for table in marts:
        rounded = f"({dictionary.rounded_select(con, qualified(schema, table), table)})"
        parquet = _sql_path(folder / f"{table}.parquet")
        con.execute(f"COPY (SELECT * FROM {rounded}) TO '{parquet}' (FORMAT parquet)")
        csv = _sql_path(folder / f"{table}.csv")
        con.execute(f"COPY ({safe_select(con, rounded)}) TO '{csv}' (FORMAT csv, HEADER)")
        meta = dictionary.meta_frame(table, dictionary.columns_of(con, rounded))
        write_safe_csv(meta, folder / f"{table}.meta.csv")


def _copy_charts(chart_names: list[str], draft: Path, folder: Path) -> None:
    for name in chart_names:
        files = sorted(draft.glob(f"{name}.*"))
        if not files:
            raise FileNotFoundError(f"chart {name!r} has no drafts in {draft}")
        for file in files:
            shutil.copy2(file, folder / file.name)


def _fill(folder: Path, fill) -> None:
    folder.mkdir()
    fill(folder)


def _sql_path(path: Path) -> str:
    # Paths go into ATTACH/COPY, which take literals, not parameters: escape quotes.
    return str(path).replace("'", "''")


def _fsync_tree(folder: Path) -> None:
    """Flush every file and folder under `folder` to disk (before it is renamed into place)."""
    for root, dirs, files in os.walk(folder):
        for name in files:
            _fsync(Path(root) / name)
        for name in dirs:
            _fsync(Path(root) / name)
    _fsync(folder)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
