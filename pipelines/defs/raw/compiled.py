"""Raw assets for compiled tables of published figures (one source URL per row)."""

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.defs.resources import ProjectPaths
from pipelines.ees import read_text_csv
from pipelines.raw import REJECTED_LOG, load_files, recorded
from pipelines.sources import COMPILED, CompiledSource, latest_release_dir, verified_files
from pipelines.warehouse import table_metadata, write_frame


def compiled_raw_asset(source: CompiledSource) -> dg.AssetsDefinition:
    @dg.asset(
        key=["raw", source.name],
        group_name="raw",
        kinds={"duckdb"},
        description=(
            f"One row per published figure, verbatim: {source.description}.\n\n"
            f"Source: data/raw/compiled/{source.name}/ (each row names its own source_url; "
            "compiled from public pages, checked against the manifest's sha256)."
        ),
    )
    def _raw(duckdb: DuckDBResource, paths: ProjectPaths) -> dg.MaterializeResult:
        files = recorded(
            Path(paths.work_dir) / REJECTED_LOG,
            lambda: verified_files(latest_release_dir(source.folder(Path(paths.raw_dir)))),
        )
        frame = load_files(files, read_text_csv)
        with duckdb.get_connection() as con:
            write_frame(con, "raw", source.name, frame)
            return dg.MaterializeResult(metadata=table_metadata(con, "raw", source.name))

    return _raw


defs = dg.Definitions(assets=[compiled_raw_asset(s) for s in COMPILED.values()])
