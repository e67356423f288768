"""Pilot charts: forest plot, participant flow over three years, baseline balance."""

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.charts.pilots import balance_plot, forest_plot, participant_flow
from pipelines.charts.style import save_chart
from pipelines.defs.raw.pilots import PILOT_TAGS
from pipelines.defs.resources import ProjectPaths
from pipelines.warehouse import qualified


def _chart(name: str, mart: str, draw, doc: str) -> dg.AssetsDefinition:
    @dg.asset(
        key=["charts", name],
        deps=[dg.AssetKey(["marts", mart])],
        group_name="charts",
        kinds={"matplotlib"},
        tags=PILOT_TAGS,
        description=doc,
    )
    def _asset(duckdb: DuckDBResource, paths: ProjectPaths) -> dg.MaterializeResult:
        with duckdb.get_connection() as con:
            frame = con.sql(f"SELECT * FROM {qualified('marts', mart)}").pl()
        fig, spec, data = draw(frame)
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
        "pilot_estimates",
        forest_plot,
        "One chart: headline effect with 95% CI per pilot x outcome x evaluation year.\n\n"
        "Source: marts.pilot_estimates (headline ITT rows, all units). Stamped SYNTHETIC while "
        "on the generated default. Drawn by pipelines/charts/pilots.py.",
    ),
    "pilot_participant_flow": (
        "pilot_flow",
        participant_flow,
        "One chart: units allocated and analysed per pilot x arm x year (CONSORT flow).\n\n"
        "Source: marts.pilot_flow, after disclosure control (withheld counts shown as c). "
        "Stamped SYNTHETIC while on the generated default. Drawn by pipelines/charts/pilots.py.",
    ),
    "pilot_balance": (
        "pilot_balance",
        balance_plot,
        "One chart: baseline standardised mean differences per pilot x covariate.\n\n"
        "Source: marts.pilot_balance (the matched pilot before and after matching). Stamped "
        "SYNTHETIC while on the generated default. Drawn by pipelines/charts/pilots.py.",
    ),
}

defs = dg.Definitions(
    assets=[_chart(name, mart, draw, doc) for name, (mart, draw, doc) in PILOT_CHARTS.items()]
)
