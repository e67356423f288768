"""Checking the official services for new releases, on a schedule or on demand."""

import dagster as dg

from pipelines.defs.resources import ProjectPaths
from pipelines.fetch import fetch_all, http_session


@dg.op(description="Download new releases of every registered data set into data/raw/.")
def fetch_new_releases(context: dg.OpExecutionContext, paths: ProjectPaths) -> list[str]:
    results = fetch_all(paths.raw_dir, http_session())
    for name, result in results:
        context.log.info(f"{name}: {result.status} ({result.release_dir})")
    return [name for name, result in results if result.status == "new"]


@dg.job(description="Fetch new official releases; unchanged releases are not stored again.")
def fetch_releases() -> None:
    fetch_new_releases()


weekly_release_check = dg.ScheduleDefinition(
    name="weekly_release_check",
    job=fetch_releases,
    cron_schedule="0 6 * * 1",
    execution_timezone="Europe/London",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Mondays 06:00 (London time): fetch new releases of every registered data set.",
)

defs = dg.Definitions(jobs=[fetch_releases], schedules=[weekly_release_check])
