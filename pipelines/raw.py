"""Loading raw files verbatim, with their load metadata on every row."""

from collections.abc import Callable

import polars as pl

from pipelines.ees import ROW_NUMBER
from pipelines.sources import RawFile


def load_files(files: list[RawFile], reader: Callable[[str], pl.DataFrame]) -> pl.DataFrame:
    """Read each file with `reader` (all text) and stack them, adding file, row, checksum,
    release, data set and provenance columns."""
    frames = []
    for raw_file in files:
        manifest = raw_file.manifest
        label = manifest.get("data_set_title", manifest["dataset"])
        origin = manifest.get("data_set_id") or manifest.get("generator") or manifest["source"]
        frames.append(
            reader(raw_file.path)
            .rename({ROW_NUMBER: "source_row"})
            .with_columns(
                source_file=pl.lit(raw_file.path.name),
                source_sha256=pl.lit(raw_file.sha256),
                source_release=pl.lit(raw_file.release),
                source_data_set=pl.lit(f"{label} ({origin})"),
                provenance=pl.lit(raw_file.provenance),
            )
        )
    return pl.concat(frames, how="diagonal")
