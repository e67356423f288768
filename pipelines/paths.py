"""Where the project's files live. Never rely on the working directory.

Each location can be moved with an environment variable, which is how tests and
notebooks point the pipeline at a temporary folder.
"""

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = PROJECT_ROOT / "pipelines" / "sql"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"

PUBLISHED_DB_NAME = "npq_observatory.duckdb"
WORKING_DB_NAME = "working.duckdb"
RECORDS_DB_NAME = "records.duckdb"

# A publication is one folder under `<marts>/generations/`; `<marts>/current` links to the one
# readers see, and the stable paths (`npq_observatory.duckdb`, `exports`, `charts`) link through
# it (pipelines/publish.py).
GENERATIONS = "generations"
CURRENT = "current"


def _dir(env_var: str, default: Path) -> Path:
    value = os.environ.get(env_var)
    return Path(value).resolve() if value else default


def raw_dir() -> Path:
    """Immutable inputs: `data/raw/` unless NPQ_RAW_DIR says otherwise."""
    return _dir("NPQ_RAW_DIR", PROJECT_ROOT / "data" / "raw")


def records_dir() -> Path:
    """Record-level inputs (pipelines/records/contract.py): `data/raw/records/` unless
    NPQ_RECORDS_DIR says otherwise. Never committed; empty in a fresh checkout."""
    return _dir("NPQ_RECORDS_DIR", PROJECT_ROOT / "data" / "raw" / "records")


def work_dir() -> Path:
    """The pipeline's private working area (working database, chart drafts)."""
    return _dir("NPQ_WORK_DIR", PROJECT_ROOT / "data" / "work")


def marts_dir() -> Path:
    """The published marts, exports and chart pack: what notebooks and reports read."""
    return _dir("NPQ_MARTS_DIR", PROJECT_ROOT / "data" / "marts")


def published_db_path() -> Path:
    return marts_dir() / PUBLISHED_DB_NAME


def publication_dir(marts: Path | None = None) -> Path:
    """The folder of the current publication (database, exports/, charts/), resolved once:
    reading several parts through it reads one publication even if a refresh switches to a
    new one meanwhile. The stable paths under `marts_dir()` follow each switch."""
    return ((marts or marts_dir()) / CURRENT).resolve(strict=True)
