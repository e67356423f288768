from pathlib import Path

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource
from matplotlib.figure import Figure

from pipelines.charts.style import ChartSpec, save_chart
from pipelines.charts.takeup_breakdowns import (
    completion_by_cohort,
    participation_by_region,
    starts_by_course,
)
from pipelines.defs.resources import ProjectPaths
from pipelines.warehouse import qualified


def _read(duckdb: DuckDBResource, *marts: str) -> list[pl.DataFrame]:
    with duckdb.get_connection() as con:
        return [con.sql(f"SELECT * FROM {qualified('marts', mart)}").pl() for mart in marts]


def _save(
    drawn: tuple[Figure, ChartSpec, pl.DataFrame], paths: ProjectPaths
) -> dg.MaterializeResult:
    fig, spec, data = drawn
    written = save_chart(fig, spec, data, Path(paths.work_dir) / "charts")
    return dg.MaterializeResult(
        metadata={
            "title": spec.title,
            "alt_text": spec.alt_text,
            "files": [p.name for p in written],
            "synthetic": spec.synthetic,
            "dagster/row_count": data.height,
        }
    )


@dg.asset(
    key=["charts", "npq_starts_by_course"],
    deps=[
        dg.AssetKey(["marts", "npq_takeup_by_course"]),
        dg.AssetKey(["marts", "npq_policy_breaks"]),
    ],
    group_name="charts",
    kinds={"matplotlib"},
)
def npq_starts_by_course(duckdb: DuckDBResource, paths: ProjectPaths) -> dg.MaterializeResult:
    """One chart: NPQ courses started by course and year, leadership beside specialist.

    Source: marts.npq_takeup_by_course (funding Overall) and marts.npq_policy_breaks. Course rows
    are synthetic in the embedded default, so the chart is stamped SYNTHETIC. Drawn by
    pipelines/charts/takeup_breakdowns.py; drafts go to the working area.
    """
    course, breaks = _read(duckdb, "npq_takeup_by_course", "npq_policy_breaks")
    return _save(starts_by_course(course, breaks), paths)


@dg.asset(
    key=["charts", "npq_participation_by_region"],
    deps=[
        dg.AssetKey(["marts", "npq_takeup_by_region"]),
        dg.AssetKey(["marts", "npq_policy_breaks"]),
    ],
    group_name="charts",
    kinds={"matplotlib"},
)
def npq_participation_by_region(
    duckdb: DuckDBResource, paths: ProjectPaths
) -> dg.MaterializeResult:
    """One chart: NPQ participation by region, latest year against England, and the trend.

    Source: marts.npq_takeup_by_region (funding Overall) and marts.npq_policy_breaks (the trend
    is not joined across a break). Regional rows are synthetic in the embedded default, so the
    chart is stamped SYNTHETIC. Drawn by pipelines/charts/takeup_breakdowns.py.
    """
    region, breaks = _read(duckdb, "npq_takeup_by_region", "npq_policy_breaks")
    return _save(participation_by_region(region, breaks), paths)


@dg.asset(
    key=["charts", "npq_completion_by_cohort"],
    deps=[dg.AssetKey(["marts", "npq_completions_by_cohort"])],
    group_name="charts",
    kinds={"matplotlib"},
)
def npq_completion_by_cohort(duckdb: DuckDBResource, paths: ProjectPaths) -> dg.MaterializeResult:
    """One chart: NPQ completion and pass rate by start cohort, with the two-year lag shown.

    Source: marts.npq_completions_by_cohort (funding and breakdown Overall), published figures.
    Cohorts within the lag read "completion to date"; a symbol such as 'low' is never drawn as 0.
    Drawn by pipelines/charts/takeup_breakdowns.py.
    """
    (cohorts,) = _read(duckdb, "npq_completions_by_cohort")
    return _save(completion_by_cohort(cohorts), paths)
