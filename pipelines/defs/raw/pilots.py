"""Raw pilot assets: the five evaluator files over every pilot and year, checked and keyed.

Delivered files under data/raw/pilots/<pilot_id>/<year>/ win; pilots without any are read from
the SYNTHETIC default generated at run time into the working area (pipelines/pilots/inputs.py).
"""

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.defs.resources import ProjectPaths
from pipelines.pilots.contract import FILES
from pipelines.pilots.inputs import load_pilot_files
from pipelines.pilots.registry import load_registry
from pipelines.warehouse import table_metadata, write_frame

PILOT_TAGS = {"question": "pilots"}
"""Every pilot asset carries this tag: the pilots job and sensor select on it."""


def registry_file(paths: ProjectPaths) -> Path:
    return Path(paths.raw_dir) / "pilots" / "registry" / "pilots.yaml"


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key=["raw", f"pilot_{kind}"],
            group_name="raw",
            kinds={"duckdb", "polars"},
            tags=PILOT_TAGS,
            description=(
                f"One row per data row of every pilot's {kind}.csv ({contract.grain}), as text; "
                "identifiers replaced by a keyed hash.\n\n"
                "Source: evaluator files under data/raw/pilots/<pilot_id>/<year>/ where "
                "delivered, otherwise the SYNTHETIC default generated at run time into "
                "data/work/pilots/synthetic/ (pipelines/pilots/synthetic.py, seeded). Each file "
                "is checked against its contract (pipelines/pilots/contract.py) and refused "
                "with file, row and column named; `provenance` says synthetic or evaluator."
            ),
        )
        for kind, contract in FILES.items()
    ],
)
def raw_pilot_files(duckdb: DuckDBResource, paths: ProjectPaths):
    registry = load_registry(registry_file(paths))
    frames, folders = load_pilot_files(Path(paths.raw_dir), Path(paths.work_dir), registry)
    read = sorted({f"{f.pilot_id} {f.year}: {f.provenance}" for f in folders})
    with duckdb.get_connection() as con:
        for kind, frame in frames.items():
            write_frame(con, "raw", f"pilot_{kind}", frame)
            yield dg.MaterializeResult(
                asset_key=["raw", f"pilot_{kind}"],
                metadata={**table_metadata(con, "raw", f"pilot_{kind}"), "folders_read": read},
            )
