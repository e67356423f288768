"""A new pilot file refreshes only the pilot assets: the `refresh_pilots` job and its sensor.

The sensor watches data/raw/pilots/ (evaluator year folders, the registry and the threat
judgements). When a file is added, removed or changed it asks for one run of the pilot assets
and the publication, nothing else; the other marts are republished as they are in the working
database. It runs under the Dagster daemon (`make dev`).
"""

import hashlib
import json
from pathlib import Path

import dagster as dg

from pipelines import paths
from pipelines.defs.charts.pilots import PILOT_CHARTS
from pipelines.defs.marts.pilots import PILOT_MARTS
from pipelines.pilots.contract import FILES

PUBLISH = dg.AssetKey(["publish", "npq_observatory"])
PILOT_ASSET_KEYS = [
    *(dg.AssetKey([layer, f"pilot_{kind}"]) for layer in ("raw", "staging") for kind in FILES),
    *(dg.AssetKey(["marts", name]) for name in PILOT_MARTS),
    *(dg.AssetKey(["charts", name]) for name in PILOT_CHARTS),
]
"""Every asset tagged question=pilots (a test checks the two agree)."""

refresh_pilots = dg.define_asset_job(
    "refresh_pilots",
    selection=dg.AssetSelection.assets(*PILOT_ASSET_KEYS, PUBLISH),
    description="Rebuild only the pilot assets (raw to charts) and republish.",
)


def pilot_inputs_state(raw_dir: Path) -> dict[str, str]:
    """{path under pilots/: "size:mtime_ns"} for every file in the pilots' raw folder."""
    root = Path(raw_dir) / "pilots"
    return {
        p.relative_to(root).as_posix(): f"{p.stat().st_size}:{p.stat().st_mtime_ns}"
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


@dg.sensor(
    job=refresh_pilots,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="A file added, removed or changed under data/raw/pilots/ runs refresh_pilots.",
)
def pilot_files_sensor(context: dg.SensorEvaluationContext):
    state = pilot_inputs_state(paths.raw_dir())
    before = json.loads(context.cursor) if context.cursor else None
    context.update_cursor(json.dumps(state, sort_keys=True))
    if before is None:
        return dg.SkipReason(f"first look: {len(state)} pilot files recorded")
    changed = sorted(k for k in state.keys() | before.keys() if state.get(k) != before.get(k))
    if not changed:
        return dg.SkipReason("no pilot file added, removed or changed")
    digest = hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()[:16]
    return dg.RunRequest(
        run_key=f"pilots-{digest}",
        asset_selection=[*PILOT_ASSET_KEYS, PUBLISH],
        tags={"trigger": "pilot_files_sensor", "changed": ", ".join(changed)[:200]},
    )


defs = dg.Definitions(jobs=[refresh_pilots], sensors=[pilot_files_sensor])
