"""A sensor on data/raw/: a new or changed release refreshes only what depends on it.

Every data set's folders (its published releases and its synthetic companions) get a
fingerprint: the sha256 of their manifests, which name each file's own sha256. A new release
(for example one stored by the `fetch_releases` job) or an edited manifest changes the
fingerprint; the sensor then requests a run of that data set's raw asset and everything
downstream of it (staging, marts, charts, publish), with their checks, and nothing else.
"""

import hashlib
import json
from pathlib import Path

import dagster as dg

from pipelines.defs.jobs import refresh_all
from pipelines.defs.resources import ProjectPaths
from pipelines.status import changed, fingerprints


@dg.sensor(
    job=refresh_all,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Watches data/raw/: a new or changed release of a data set refreshes its raw asset "
        "and everything downstream of it, and nothing else. The first tick only records "
        "what is there."
    ),
)
def raw_release_sensor(context: dg.SensorEvaluationContext, paths: ProjectPaths):
    current = fingerprints(Path(paths.raw_dir))
    if context.cursor is None:
        context.update_cursor(json.dumps(current))
        return dg.SkipReason("First look at data/raw/: fingerprints recorded.")
    names = changed(json.loads(context.cursor), current)
    context.update_cursor(json.dumps(current))
    if not names:
        return dg.SkipReason("No data set in data/raw/ has changed.")
    graph = context.repository_def.asset_graph
    selection = dg.AssetSelection.assets(*(dg.AssetKey(["raw", n]) for n in names)).downstream()
    keys = sorted(selection.resolve(graph), key=lambda k: k.to_user_string())
    return dg.RunRequest(
        run_key=hashlib.sha256(json.dumps(current, sort_keys=True).encode()).hexdigest()[:16],
        asset_selection=keys,
        tags={"changed_data_sets": ",".join(names)},
    )


defs = dg.Definitions(sensors=[raw_release_sensor])
