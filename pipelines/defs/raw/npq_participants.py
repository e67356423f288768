from pathlib import Path

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from pipelines.defs.resources import ProjectPaths
from pipelines.ees import ROW_NUMBER, read_ees_csv
from pipelines.sources import NPQ_PARTICIPANTS, release_files
from pipelines.warehouse import table_metadata, write_frame

SOURCE = NPQ_PARTICIPANTS


@dg.asset(key=["raw", "npq_participants"], group_name="raw", kinds={"duckdb"})
def npq_participants(duckdb: DuckDBResource, paths: ProjectPaths) -> dg.MaterializeResult:
    """One row per data row of the NPQ participants file, verbatim: every cell as text.

    Source: DfE, Teacher and leader development: ECF and NPQs, data set 79418e7a (NPQ
    participants), latest release under data/raw/ees/npq_participants/, checked against its
    manifest's sha256. Load metadata (file, row, checksum, provenance) is kept on every row.
    """
    frames = []
    for raw_file in release_files(SOURCE, Path(paths.raw_dir)):
        frame = read_ees_csv(raw_file.path, required_columns=SOURCE.filters + SOURCE.indicators)
        frames.append(
            frame.rename({ROW_NUMBER: "source_row"}).with_columns(
                source_file=pl.lit(raw_file.path.name),
                source_sha256=pl.lit(raw_file.sha256),
                source_release=pl.lit(raw_file.manifest["release"]),
                source_data_set=pl.lit(
                    f"{raw_file.manifest['data_set_title']} ({raw_file.manifest['data_set_id']})"
                ),
                provenance=pl.lit(raw_file.provenance),
            )
        )
    with duckdb.get_connection() as con:
        write_frame(con, "raw", "npq_participants", pl.concat(frames, how="diagonal"))
        return dg.MaterializeResult(metadata=table_metadata(con, "raw", "npq_participants"))
