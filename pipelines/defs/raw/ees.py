"""Raw assets: one per registered source in the pipeline, loaded verbatim (all text).

EES files pass the ingest gate first; school-level files (GIAS, performance tables) are not
EES open data and are read as plain CSV, their checks made in staging.
"""

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.defs.resources import ProjectPaths
from pipelines.ees import read_text_csv
from pipelines.raw import REJECTED_LOG, gated_ees_reader, load_files, recorded
from pipelines.sources import SOURCES, Source, input_files
from pipelines.warehouse import table_metadata, write_frame


def raw_asset(source: Source) -> dg.AssetsDefinition:
    @dg.asset(
        key=["raw", source.name],
        group_name="raw",
        kinds={"duckdb"},
        description=(
            f"One row per data row of the {source.title} files, verbatim: every cell as text.\n\n"
            f"Source: {source.publisher}, {source.publication}, data set {source.data_set_id} "
            f"({source.page_url}); {source.licence}. Reads every release under "
            f"data/raw/{source.source}/{source.name}/, checked against its manifest's sha256"
            + (
                f", plus synthetic companions {', '.join(source.synthetic)}"
                if source.synthetic
                else ""
            )
            + (
                ". Each file passes the EES ingest gate (pipelines/gate.py) first; a refused "
                "file is logged in data/work/rejected_files.jsonl and stops the run."
                if source.layout == "ees"
                else ". Not EES open data: read as a plain CSV; staging checks its columns."
            )
            + " Load metadata (file, row, release, provenance) is kept on every row."
        ),
    )
    def _raw(duckdb: DuckDBResource, paths: ProjectPaths) -> dg.MaterializeResult:
        rejected_log = Path(paths.work_dir) / REJECTED_LOG
        reader = gated_ees_reader(rejected_log) if source.layout == "ees" else read_text_csv
        files = recorded(rejected_log, lambda: input_files(source, Path(paths.raw_dir)))
        frame = load_files(files, reader)
        with duckdb.get_connection() as con:
            write_frame(con, "raw", source.name, frame)
            return dg.MaterializeResult(metadata=table_metadata(con, "raw", source.name))

    return _raw


defs = dg.Definitions(assets=[raw_asset(s) for s in SOURCES.values() if s.in_pipeline])
