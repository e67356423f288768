"""EEF reference tables (months' progress, padlock thresholds, cost bands) as Polars frames.

The tables are copies of shared/methods/*.csv kept with their manifest in
`data/raw/reference/eef_methods/` (moved with NPQ_RAW_DIR), so the package runs without the
shared folder. A test checks the copies against the shared originals when those are present.
"""

from functools import cache
from pathlib import Path

import polars as pl

from pipelines.paths import raw_dir

TABLES = ("months_progress", "padlocks_2019", "cost_bands")


def table_path(name: str) -> Path:
    if name not in TABLES:
        raise KeyError(f"unknown EEF reference table {name!r}; known: {TABLES}")
    return raw_dir() / "reference" / "eef_methods" / f"{name}.csv"


@cache
def _read(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, infer_schema_length=None)


def reference_table(name: str) -> pl.DataFrame:
    """The named table as published in the methods folder (read once per path)."""
    return _read(table_path(name))
