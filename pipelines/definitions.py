"""The `pipelines` code location: everything under defs/, run in one process."""

from pathlib import Path

import dagster as dg

from pipelines.progress import progress_logger


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions.merge(
        dg.load_from_defs_folder(path_within_project=Path(__file__).parent),
        dg.Definitions(
            executor=dg.in_process_executor,
            loggers={"console": dg.colored_console_logger, "progress": progress_logger},
        ),
    )
