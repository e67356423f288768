from pathlib import Path

import dagster as dg

from pipelines import paths
from pipelines.lock import LockedDuckDBResource


class ProjectPaths(dg.ConfigurableResource):
    """The folders the pipeline reads and writes (see pipelines/paths.py)."""

    raw_dir: str
    work_dir: str
    marts_dir: str
    records_dir: str = str(paths.records_dir())


def project_resources(
    raw_dir: Path | None = None,
    work_dir: Path | None = None,
    marts_dir: Path | None = None,
    records_dir: Path | None = None,
) -> dict:
    """Resources for the given folders, by default those of pipelines/paths.py (which the
    NPQ_RAW_DIR, NPQ_WORK_DIR and NPQ_MARTS_DIR environment variables move)."""
    work = work_dir or paths.work_dir()
    work.mkdir(parents=True, exist_ok=True)
    return {
        "paths": ProjectPaths(
            raw_dir=str(raw_dir or paths.raw_dir()),
            work_dir=str(work),
            marts_dir=str(marts_dir or paths.marts_dir()),
            records_dir=str(records_dir or paths.records_dir()),
        ),
        # The private working database: only the pipeline opens it, never a notebook. A run
        # holds the refresh lock on the working area while it has these (pipelines/lock.py).
        "duckdb": LockedDuckDBResource(database=str(work / paths.WORKING_DB_NAME)),
        # The record-level path's own working database (pipelines/defs/records/).
        "records_duckdb": LockedDuckDBResource(database=str(work / paths.RECORDS_DB_NAME)),
    }


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources=project_resources())
