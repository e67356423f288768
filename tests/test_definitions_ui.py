"""What the Dagster UI shows: an owning team on every asset, chart assets linking to their
files in the chart pack, record-level assets saying how to build them."""

import dagster as dg
import pytest

from pipelines.definitions import OWNER, defs
from pipelines.paths import marts_dir


@pytest.fixture(scope="module")
def specs():
    graph = defs().resolve_asset_graph()
    return {key: graph.get(key) for key in graph.get_all_asset_keys()}


def test_every_asset_has_the_owning_team(specs):
    assert OWNER.startswith("team:")
    assert all(OWNER in node.owners for node in specs.values())


def test_chart_assets_link_to_their_files_in_the_chart_pack(specs):
    charts = {k: n for k, n in specs.items() if k.path[0] == "charts"}
    assert charts
    for key, node in charts.items():
        link = node.metadata["chart_png"]
        assert isinstance(link, dg.PathMetadataValue)
        assert link.path == str(marts_dir() / "charts" / f"{key.path[-1]}.png")


def test_record_level_assets_say_how_to_build_them(specs):
    records = [n for n in specs.values() if n.group_name == "records"]
    assert records
    assert all("python -m pipelines.cli records" in (n.description or "") for n in records)
