import dagster as dg

refresh_all = dg.define_asset_job(
    "refresh_all",
    selection=dg.AssetSelection.all(include_sources=False),
    description="Rebuild every asset from data/raw/ and publish the marts and the chart pack.",
)
