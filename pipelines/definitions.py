"""The `npq_observatory` code location: everything under defs/, run in one process.

Every asset is owned by the team that answers for the publication; chart assets link to
their files in the published chart pack; record-level assets say how they are built.
"""

import warnings
from pathlib import Path

import dagster as dg

from pipelines import paths
from pipelines.progress import progress_logger

OWNER = "team:npq-observatory"
RECORDS_HOW = (
    "\n\nBuilt by `python -m pipelines.cli records` (only new or changed academic years; "
    "`--full` restages all) from data/raw/records/ or NPQ_RECORDS_DIR; with no files there, "
    "synthetic records are generated. Not part of `refresh_all`: in the UI, launch the "
    "`refresh_records` job."
)


def _annotate(spec: dg.AssetSpec) -> dg.AssetSpec:
    spec = spec.merge_attributes(owners=[OWNER])
    if spec.key.path[0] == "charts":
        png = paths.marts_dir() / "charts" / f"{spec.key.path[-1]}.png"
        spec = spec.merge_attributes(metadata={"chart_png": dg.MetadataValue.path(str(png))})
    if spec.group_name == "records" and "pipelines.cli records" not in (spec.description or ""):
        spec = spec.replace_attributes(description=(spec.description or "") + RECORDS_HOW)
    return spec


@dg.definitions
def defs() -> dg.Definitions:
    merged = dg.Definitions.merge(
        dg.load_from_defs_folder(path_within_project=Path(__file__).parent),
        dg.Definitions(
            executor=dg.in_process_executor,
            loggers={"console": dg.colored_console_logger, "progress": progress_logger},
        ),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.PreviewWarning)  # map_asset_specs: stable enough
        return merged.map_asset_specs(func=_annotate)
