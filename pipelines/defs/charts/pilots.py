"""Pilot charts: forest plot, participant flow over three years, baseline balance."""

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.charts.pilots import balance_plot, forest_plot, participant_flow
from pipelines.charts.style import save_chart
from pipelines.defs.raw.pilots import PILOT_TAGS
from pipelines.defs.resources import ProjectPaths
from pipelines.warehouse import qualified


def _chart(name: str, marts: tuple[str, ...], draw, doc: str) -> dg.AssetsDefinition:
    @dg.asset(
        key=["charts", name],
        deps=[dg.AssetKey(["marts", mart]) for mart in marts],
        group_name="charts",
        kinds={"matplotlib"},
        tags=PILOT_TAGS,
        description=doc,
    )
    def _asset(duckdb: DuckDBResource, paths: ProjectPaths) -> dg.MaterializeResult:
        with duckdb.get_connection() as con:
            frames = [con.sql(f"SELECT * FROM {qualified('marts', mart)}").pl() for mart in marts]
        fig, spec, data = draw(*frames)
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

    return _asset


PILOT_CHARTS = {
    "pilot_forest_plot": (
        ("pilot_estimates", "pilot_security"),
        forest_plot,
        "One chart: headline effect with 95% CI per pilot x outcome x evaluation year, with n, "
        "g [95% CI], months' progress and padlocks beside each row.\n\n"
        "Source: marts.pilot_estimates (headline ITT rows, all units) and marts.pilot_security "
        "(padlocks of each pilot's primary outcome). Stamped SYNTHETIC while on the generated "
        "default. Drawn by pipelines/charts/pilots.py.",
    ),
    "pilot_participant_flow": (
        ("pilot_flow",),
        participant_flow,
        "One chart: CONSORT-style flow per pilot and year: allocated, lost, analysed per arm.\n\n"
        "Source: marts.pilot_flow, after disclosure control (withheld counts shown as c). "
        "Stamped SYNTHETIC while on the generated default. Drawn by pipelines/charts/pilots.py.",
    ),
    "pilot_balance": (
        ("pilot_balance",),
        balance_plot,
        "One chart: baseline standardised mean differences per pilot x covariate.\n\n"
        "Source: marts.pilot_balance (the matched pilot before and after matching). Stamped "
        "SYNTHETIC while on the generated default. Drawn by pipelines/charts/pilots.py.",
    ),
}

defs = dg.Definitions(
    assets=[_chart(name, marts, draw, doc) for name, (marts, draw, doc) in PILOT_CHARTS.items()]
)
