"""What runs unattended: each schedule and sensor, whether it is on, and how to switch it.

`make daemon` prints this before it starts Dagster's daemon (`python -m pipelines.automation`).
A schedule or sensor is on as shipped (its `default_status`) until someone switches it in the
UI or with the command shown; the instance in DAGSTER_HOME remembers that choice.
"""

import os
import sys
from dataclasses import dataclass

import dagster as dg

LOCATION = "npq_observatory"
"""The code location's name: `workspace.yaml` and `[tool.dg.project]` in pyproject.toml."""
WORKSPACE = "workspace.yaml"


@dataclass(frozen=True)
class Instigator:
    name: str
    kind: str  # "schedule" or "sensor"
    default: str  # "RUNNING" or "STOPPED", as shipped
    description: str


def instigators(definitions: dg.Definitions) -> list[Instigator]:
    repository = definitions.get_repository_def()
    items = [
        Instigator(s.name, "schedule", s.default_status.value, s.description or "")
        for s in repository.schedule_defs
    ] + [
        Instigator(s.name, "sensor", s.default_status.value, s.description or "")
        for s in repository.sensor_defs
    ]
    return sorted(items, key=lambda i: (i.kind, i.name))


def switched(instance: dg.DagsterInstance) -> dict[str, str]:
    """name -> RUNNING or STOPPED for what was switched in this instance, in this location."""
    from dagster._core.scheduler.instigation import InstigatorStatus

    if instance.schedule_storage is None:  # an ephemeral instance remembers nothing
        return {}
    out = {}
    for state in instance.all_instigator_state():
        origin = state.origin.repository_origin.code_location_origin
        if origin.location_name != LOCATION:
            continue
        if state.status in (InstigatorStatus.RUNNING, InstigatorStatus.STOPPED):
            out[state.name] = state.status.value
    return out


def banner(definitions: dg.Definitions, instance: dg.DagsterInstance) -> list[str]:
    """One line per schedule and sensor: on or off, what it does, the command to switch it."""
    now = switched(instance)
    home = os.environ.get("DAGSTER_HOME", "a temporary instance")
    items = instigators(definitions)
    width = max(len(i.name) for i in items)
    lines = [f"Dagster daemon: code location {LOCATION}, instance {home}"]
    for item in items:
        on = now.get(item.name, item.default) == "RUNNING"
        verb = "stop" if on else "start"
        lines.append(
            f"  {'on ' if on else 'OFF'}  {item.kind:<8} {item.name:<{width}}  "
            f"switch {'off' if on else 'on'}: dagster {item.kind} {verb} {item.name} -w {WORKSPACE}"
        )
        lines.append(f"       {item.description}")
    lines.append(
        "Runs go one at a time; `python -m pipelines.cli status` says what is stale. "
        "Ctrl-C stops the daemon."
    )
    return lines


def main() -> int:
    from pipelines.definitions import defs

    with (
        dg.DagsterInstance.get()
        if os.environ.get("DAGSTER_HOME")
        else (dg.DagsterInstance.ephemeral()) as instance
    ):
        print("\n".join(banner(defs(), instance)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
