from itertools import pairwise
from pathlib import Path

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from pipelines.defs.resources import ProjectPaths
from pipelines.dictionary import definition_metadata, described
from pipelines.ees import read_ees_csv
from pipelines.quality.checks import check_table
from pipelines.sources import SOURCES, release_dirs, to_current_layout, verified_files
from pipelines.transforms.releases import CHANGES_SCHEMA, release_changes
from pipelines.warehouse import table_metadata, write_frame

# Release-text figures: the original 2022/23 text, its correction, and the later release.
TEXT_KEYS = ["time_period", "funding", "breakdown", "group_name", "measure"]


@dg.asset(
    key=["marts", "release_changes"],
    deps=[dg.AssetKey(["staging", "npq_release_text_figures"])],
    group_name="marts",
    kinds={"duckdb", "polars"},
    metadata=definition_metadata("release_changes"),
)
def release_changes_mart(duckdb: DuckDBResource, paths: ProjectPaths) -> dg.MaterializeResult:
    """One row per published figure that changed between consecutive releases of a data set.

    Source: every release folder of each staged EES data set under data/raw/ (older layouts
    mapped to the current one), and the NPQ figures quoted in release text (original 2022/23
    text -> corrected text). `change` is added, removed or revised; values are as published,
    symbols included. Read it before trusting a chart drawn from a new release. Columns:
    pipelines/sql/marts/release_changes.yml.
    """
    parts = [pl.DataFrame(schema=CHANGES_SCHEMA)]
    for source in (s for s in SOURCES.values() if s.in_pipeline and s.layout == "ees"):
        releases = release_dirs(source.folder(Path(paths.raw_dir)))
        frames = []
        for folder in releases[-2:]:
            files = verified_files(folder)
            release = files[0].release
            frame = pl.concat([read_ees_csv(f.path) for f in files], how="diagonal")
            frames.append((release, to_current_layout(source, release, frame)))
        if len(frames) == 2:
            (old_label, old), (new_label, new) = frames
            keys = [k for k in source.keys if k in old.columns and k in new.columns]
            parts.append(
                release_changes(
                    source.name, old_label, new_label, old, new, keys, list(source.indicators)
                )
            )
    with duckdb.get_connection() as con:
        # The texts word funding differently ("Funded (as stated in outcomes section)").
        text = con.sql(
            "SELECT * REPLACE (CASE WHEN funding LIKE 'Funded%' THEN 'Funded' ELSE funding END "
            "AS funding) RENAME (indicator AS measure) "
            "FROM staging.npq_release_text_figures WHERE release IS NOT NULL"
        ).pl()
        order = ["original", "corrected", "2023/24"]
        labels = sorted(
            text["release"].unique().to_list(),
            key=lambda r: next((i for i, w in enumerate(order) if w in r), len(order)),
        )
        for old_label, new_label in pairwise(labels):
            old = text.filter(pl.col("release") == old_label)
            new = text.filter(pl.col("release") == new_label)
            parts.append(
                release_changes(
                    "npq_release_text_figures", old_label, new_label, old, new, TEXT_KEYS, ["value"]
                )
            )
        write_frame(con, "marts", "release_changes", pl.concat(parts, how="vertical"))
        metadata = table_metadata(con, "marts", "release_changes")
        return dg.MaterializeResult(metadata=described(metadata, con, "marts", "release_changes"))


@dg.asset_check(
    asset=dg.AssetKey(["marts", "release_changes"]),
    name="expectation_suite",
    blocking=True,
    description="Expectation suite expectations/marts.release_changes.json.",
)
def release_changes_suite(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    return check_table(duckdb, "marts", "release_changes")


defs = dg.Definitions(assets=[release_changes_mart], asset_checks=[release_changes_suite])
