from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.defs.charts.pilots import PILOT_CHARTS
from pipelines.defs.marts.pilots import PILOT_MARTS
from pipelines.defs.marts.representation import REPRESENTATION_MARTS
from pipelines.defs.marts.sources_real import REAL_SOURCE_MARTS
from pipelines.defs.marts.takeup import TAKEUP_MARTS
from pipelines.defs.resources import ProjectPaths
from pipelines.publish import publish
from pipelines.status import describe_inputs, scoreboard

# What is published: every mart and every chart.
MARTS = [
    *TAKEUP_MARTS,
    "release_changes",
    *REPRESENTATION_MARTS,
    *PILOT_MARTS,
    *REAL_SOURCE_MARTS,
]
CHARTS = [
    "npq_cumulative_starts",
    "npq_starts_by_course",
    "npq_participation_by_region",
    "npq_completion_by_cohort",
    "npq_what_it_would_have_taken",
    "rep_leaky_pipeline",
    "rep_gap_trends",
    "rep_npq_pipeline",
    "rep_regional_gaps",
    *PILOT_CHARTS,
]


@dg.asset(
    key=["publish", "npq_observatory"],
    deps=[dg.AssetKey(["marts", m]) for m in MARTS] + [dg.AssetKey(["charts", c]) for c in CHARTS],
    group_name="publish",
    kinds={"duckdb", "parquet"},
)
def npq_observatory(duckdb: DuckDBResource, paths: ProjectPaths) -> dg.MaterializeResult:
    """One published release: data/marts/npq_observatory.duckdb, exports/ and charts/.

    Runs only after every upstream asset and blocking check has passed. The three are written
    together as one generation (data/marts/generations/<id>/) and readers switch to it in one
    step, so a failure anywhere leaves the previous publication in place.
    """
    with duckdb.get_connection() as con:
        release = publish(
            con,
            MARTS,
            CHARTS,
            Path(paths.work_dir) / "charts",
            Path(paths.marts_dir),
            inputs=scoreboard(con, describe_inputs(Path(paths.raw_dir)), MARTS),
        )
    return dg.MaterializeResult(
        metadata={
            "database": dg.MetadataValue.path(str(release.database)),
            "exports": dg.MetadataValue.path(str(release.exports)),
            "charts": dg.MetadataValue.path(str(release.charts)),
            "generation": dg.MetadataValue.path(str(release.generation)),
            "tables": release.tables,
            "published_at": release.published_at,
        }
    )
