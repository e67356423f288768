"""What a reader of the publication sees through its stable paths: every table of the
database, and a checksum of every export and every chart file."""

import hashlib
from pathlib import Path

import duckdb


def _files(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


def reader_view(marts: Path, database_name: str = "npq_observatory.duckdb") -> dict:
    """The publication in `marts` as a reader opening its stable paths sees it; a publication
    that cannot be read at all is returned as {"unreadable": reason}."""
    try:
        con = duckdb.connect(str(marts / database_name), read_only=True)
    except duckdb.Error as err:
        return {"unreadable": f"database: {err}"}
    try:
        names = [t for (t,) in con.sql("SELECT table_name FROM _publication ORDER BY 1").fetchall()]
        view: dict = {
            "tables": {t: con.sql(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in names},
            # Which tables, with their row counts; the time differs between two publications.
            "_publication": con.sql(
                "SELECT table_name, row_count FROM _publication ORDER BY ALL"
            ).fetchall(),
            "_inputs": con.sql("SELECT * FROM _inputs ORDER BY ALL").fetchall(),
        }
    except duckdb.Error as err:
        return {"unreadable": f"tables: {err}"}
    finally:
        con.close()
    for folder in ("exports", "charts"):
        try:
            view[folder] = _files(marts / folder)
        except OSError as err:
            return {"unreadable": f"{folder}: {err}"}
    return view
