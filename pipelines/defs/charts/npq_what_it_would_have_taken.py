from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.charts.style import save_chart
from pipelines.charts.what_it_would_have_taken import shortfall_by_region
from pipelines.defs.resources import ProjectPaths


@dg.asset(
    key=["charts", "npq_what_it_would_have_taken"],
    deps=[dg.AssetKey(["marts", "npq_what_it_would_have_taken"])],
    group_name="charts",
    kinds={"matplotlib"},
)
def npq_what_it_would_have_taken(
    duckdb: DuckDBResource, paths: ProjectPaths
) -> dg.MaterializeResult:
    """One chart: by region, the NPQ courses a year the 150,000 target needed (the region's
    share of the teaching workforce) beside those started (PNG, SVG, CSV, alt).

    Source: marts.npq_what_it_would_have_taken. Drawn by
    pipelines/charts/what_it_would_have_taken.py; drafts go to the working area and are
    published with the marts.
    """
    with duckdb.get_connection() as con:
        mart = con.sql("SELECT * FROM marts.npq_what_it_would_have_taken").pl()
    fig, spec, data = shortfall_by_region(mart)
    written = save_chart(fig, spec, data, Path(paths.work_dir) / "charts")
    return dg.MaterializeResult(
        metadata={
            "title": spec.title,
            "alt_text": spec.alt_text,
            "files": [p.name for p in written],
            "synthetic": spec.synthetic,
        }
    )
