from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.charts.style import save_chart
from pipelines.charts.takeup import cumulative_starts
from pipelines.defs.resources import ProjectPaths


@dg.asset(
    key=["charts", "npq_cumulative_starts"],
    deps=[
        dg.AssetKey(["marts", "npq_takeup_by_year"]),
        dg.AssetKey(["marts", "npq_policy_breaks"]),
    ],
    group_name="charts",
    kinds={"matplotlib"},
)
def npq_cumulative_starts(duckdb: DuckDBResource, paths: ProjectPaths) -> dg.MaterializeResult:
    """One chart: cumulative NPQ courses started against the 150,000 target (PNG, SVG, CSV, alt).

    Source: marts.npq_takeup_by_year, with marts.npq_policy_breaks marked. Drawn by
    pipelines/charts/takeup.py; drafts go to the working area and are published with the marts.
    """
    with duckdb.get_connection() as con:
        mart = con.sql("SELECT * FROM marts.npq_takeup_by_year").pl()
        breaks = con.sql("SELECT * FROM marts.npq_policy_breaks").pl()
    fig, spec, data = cumulative_starts(mart, breaks)
    written = save_chart(fig, spec, data, Path(paths.work_dir) / "charts")
    return dg.MaterializeResult(
        metadata={
            "title": spec.title,
            "alt_text": spec.alt_text,
            "files": [p.name for p in written],
            "synthetic": spec.synthetic,
        }
    )
