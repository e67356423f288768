import dagster as dg

refresh_all = dg.define_asset_job(
    "refresh_all",
    # The record-level path has its own job (refresh_records) and working database.
    selection=dg.AssetSelection.all(include_sources=False) - dg.AssetSelection.groups("records"),
    description="Rebuild every asset from data/raw/ and publish the marts and the chart pack.",
)
