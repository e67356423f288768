"""Raw asset for DfE's NPQ funding eligibility lists (school lists, not EES open data)."""

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.defs.resources import ProjectPaths
from pipelines.eligibility import load_lists
from pipelines.raw import REJECTED_LOG, recorded
from pipelines.warehouse import table_metadata, write_frame


@dg.asset(
    key=["raw", "npq_eligibility"],
    group_name="raw",
    kinds={"duckdb"},
    description=(
        "One row per row of DfE's NPQ funding eligibility lists, verbatim: every cell as text, "
        "with the list, cohort and cohort start its manifest gives each file.\n\n"
        "Source: data/raw/dfe/npq_eligibility/ (DfE's NPQ registration service lists: high "
        "pupil premium 2021/22; PP50 autumn 2024, January 2025, autumn 2025; RISE autumn "
        "2025), Open Government Licence v3.0, each file checked against its manifest's sha256."
    ),
)
def npq_eligibility_raw(duckdb: DuckDBResource, paths: ProjectPaths) -> dg.MaterializeResult:
    frame = recorded(Path(paths.work_dir) / REJECTED_LOG, lambda: load_lists(Path(paths.raw_dir)))
    with duckdb.get_connection() as con:
        write_frame(con, "raw", "npq_eligibility", frame)
        return dg.MaterializeResult(metadata=table_metadata(con, "raw", "npq_eligibility"))


defs = dg.Definitions(assets=[npq_eligibility_raw])
