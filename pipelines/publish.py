"""Publishing: copy the checked marts out of the private working database, atomically.

The published database is built beside its final name and swapped in with one `os.replace`,
so a reader never sees a half-built file: a notebook holding the old file keeps its snapshot,
new connections see the new one, and a failed or killed run leaves the last publication as it
was. Exports (Parquet, CSV) and the chart pack are staged in hidden folders and swapped in the
same way.
"""

import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipelines.paths import PUBLISHED_DB_NAME
from pipelines.safe_csv import safe_select
from pipelines.warehouse import qualified


@dataclass(frozen=True)
class Publication:
    database: Path
    exports: Path
    charts: Path
    tables: dict[str, int]
    published_at: str


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
    """Publish `marts.<table>` for each table, their exports and the named charts.

    Everything is written beside its final name first (database, exports, chart pack); only
    when all three are complete are they swapped in. A failure while writing (disk full,
    permission denied) removes what was written and raises PublishError: nothing half-written
    is left, and the previous publication stays as it was.
    """
    published_at = datetime.now(UTC).isoformat(timespec="seconds")
    database = marts_dir / database_name
    exports, charts = marts_dir / "exports", marts_dir / "charts"
    written: list[Path] = []
    try:
        marts_dir.mkdir(parents=True, exist_ok=True)
        database_tmp = _tmp_name(database)
        written.append(database_tmp)
        tables = _build_database(con, schema, marts, database_tmp, published_at, inputs or [])
        written.append(_staged_name(exports))
        _fill(_staged_name(exports), lambda d: _write_exports(con, schema, marts, d))
        written.append(_staged_name(charts))
        _fill(_staged_name(charts), lambda d: _copy_charts(chart_names, charts_draft, d))
    except (OSError, duckdb.Error) as err:
        for path in written:
            _remove(path)
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise PublishError(
            f"could not write the publication in {marts_dir}: {reason}. Nothing was "
            "published; the previous publication is unchanged."
        ) from err
    os.replace(database_tmp, database)
    _fsync(marts_dir)
    _swap_in(_staged_name(exports), exports)
    _swap_in(_staged_name(charts), charts)
    return Publication(database, exports, charts, tables, published_at)


def publish_charts(chart_names: list[str], charts_draft: Path, marts_dir: Path) -> Path:
    """Replace only the chart pack in `marts_dir/charts`, atomically, as `publish` does."""
    charts = marts_dir / "charts"
    try:
        _fill(_staged_name(charts), lambda d: _copy_charts(chart_names, charts_draft, d))
    except OSError as err:
        _remove(_staged_name(charts))
        raise PublishError(
            f"could not write the chart pack in {charts}: {err.strerror or err}. The previous "
            "chart pack is unchanged."
        ) from err
    _swap_in(_staged_name(charts), charts)
    return charts


def _tmp_name(final: Path) -> Path:
    return final.with_name(final.name + ".tmp")


def _staged_name(final: Path) -> Path:
    return final.with_name(f".{final.name}.new")


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
        path.with_name(path.name + ".wal").unlink(missing_ok=True)


def _build_database(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    marts: list[str],
    tmp: Path,
    published_at: str,
    inputs: list[dict],
) -> dict[str, int]:
    """Write the publication database to `tmp` and flush it to disk.

    Beside the marts: `_publication` (table, rows, time) and `_inputs` (each data set read:
    release, provenance, fingerprint of its manifests), so a reader can tell what is
    synthetic and `python -m pipelines.cli status` can tell what is stale."""
    _remove(tmp)  # from a run that was killed mid-publication
    tables: dict[str, int] = {}
    # Storage version 1.5 keeps the file readable by DuckDB 1.x clients (R, older CLIs).
    con.execute(f"ATTACH '{_sql_path(tmp)}' AS pub (STORAGE_VERSION 'v1.5.0')")
    try:
        for table in marts:
            con.execute(
                f"CREATE TABLE pub.main.{table} AS SELECT * FROM {qualified(schema, table)}"
            )
            tables[table] = con.sql(f"SELECT count(*) FROM pub.main.{table}").fetchall()[0][0]
        con.execute(
            "CREATE TABLE pub.main._publication (table_name VARCHAR, row_count BIGINT, "
            "published_at VARCHAR)"
        )
        con.executemany(
            "INSERT INTO pub.main._publication VALUES (?, ?, ?)",
            [(name, rows, published_at) for name, rows in tables.items()],
        )
        con.execute(
            "CREATE TABLE pub.main._inputs (data_set VARCHAR, releases VARCHAR, "
            "provenance VARCHAR, fingerprint VARCHAR)"
        )
        if inputs:
            con.executemany(
                "INSERT INTO pub.main._inputs VALUES (?, ?, ?, ?)",
                [(i["data_set"], i["releases"], i["provenance"], i["fingerprint"]) for i in inputs],
            )
    finally:
        con.execute("DETACH pub")
    _fsync(tmp)
    return tables


def _write_exports(
    con: duckdb.DuckDBPyConnection, schema: str, marts: list[str], folder: Path
) -> None:
    for table in marts:
        name = qualified(schema, table)
        con.execute(f"COPY {name} TO '{_sql_path(folder / f'{table}.parquet')}' (FORMAT parquet)")
        csv = _sql_path(folder / f"{table}.csv")
        con.execute(f"COPY ({safe_select(con, name)}) TO '{csv}' (FORMAT csv, HEADER)")


def _copy_charts(chart_names: list[str], draft: Path, folder: Path) -> None:
    for name in chart_names:
        files = sorted(draft.glob(f"{name}.*"))
        if not files:
            raise FileNotFoundError(f"chart {name!r} has no drafts in {draft}")
        for file in files:
            shutil.copy2(file, folder / file.name)


def _fill(staged: Path, fill) -> None:
    """Fill a hidden sibling folder (emptied first: a killed run may have left one)."""
    _remove(staged)
    staged.mkdir(parents=True)
    fill(staged)


def _swap_in(staged: Path, final: Path) -> None:
    """Put the filled `staged` folder in place of `final` with renames."""
    retired = final.with_name(f".{final.name}.old")
    _remove(retired)
    if final.exists():
        os.replace(final, retired)
    os.replace(staged, final)
    _remove(retired)


def _sql_path(path: Path) -> str:
    # Paths go into ATTACH/COPY, which take literals, not parameters: escape quotes.
    return str(path).replace("'", "''")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
