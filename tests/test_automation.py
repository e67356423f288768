"""Unattended operation: what the README says runs under the daemon is what the definitions
ship, and the daemon says at start what is on and how to switch each one."""

import re

import dagster as dg
import pytest

from pipelines.automation import WORKSPACE, banner, instigators
from pipelines.definitions import defs
from tests.conftest import PROJECT_ROOT

README = PROJECT_ROOT / "README.md"


def _readme_table() -> dict[str, dict[str, str]]:
    """The table under the README's "Running on a schedule" heading: name -> row."""
    text = README.read_text()
    section = text.split("## Running on a schedule", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    header = [cell.strip().lower() for cell in rows[0].strip("|").split("|")]
    table = {}
    for line in rows[2:]:  # after the header and its --- line
        cells = dict(zip(header, (c.strip() for c in line.strip("|").split("|")), strict=True))
        table[cells["name"].strip("`")] = cells
    return table


@pytest.fixture(scope="module")
def repository():
    return defs().get_repository_def()


def test_readme_table_matches_each_schedule_and_sensor_default(repository):
    table = _readme_table()
    shipped = {
        **{s.name: ("schedule", s.default_status.value) for s in repository.schedule_defs},
        **{s.name: ("sensor", s.default_status.value) for s in repository.sensor_defs},
    }
    assert set(table) == set(shipped), "README table and definitions name different ones"
    for name, (kind, status) in shipped.items():
        assert table[name]["kind"] == kind, name
        assert table[name]["default"].lower() == status.lower(), name


def test_schedules_and_sensors_ship_running(repository):
    instigated = [*repository.schedule_defs, *repository.sensor_defs]
    assert instigated
    stopped = [i.name for i in instigated if i.default_status.value != "RUNNING"]
    assert stopped == []


def test_daemon_banner_says_what_is_on_and_the_command_to_switch_it(repository):
    with dg.DagsterInstance.ephemeral() as instance:
        lines = banner(defs(), instance)
    text = "\n".join(lines)
    for item in instigators(defs()):
        line = next(line for line in lines if f" {item.name} " in line)
        assert line.split()[0] == ("on" if item.default == "RUNNING" else "OFF"), line
        verb = "stop" if item.default == "RUNNING" else "start"
        assert f"dagster {item.kind} {verb} {item.name} -w {WORKSPACE}" in line, line
    assert re.search(r"code location npq_observatory", text)


def test_workspace_names_the_code_location_as_dg_does():
    import tomllib

    import yaml

    workspace = yaml.safe_load((PROJECT_ROOT / WORKSPACE).read_text())
    (entry,) = workspace["load_from"]
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]
    assert entry["python_module"]["location_name"] == project["dg"]["project"]["code_location_name"]
    assert entry["python_module"]["module_name"] == "pipelines.definitions"
