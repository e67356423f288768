# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # NPQ take-up against the 150,000-place target
#
# The government funded 150,000 National Professional Qualification (NPQ) places, GBP 184m
# announced in June 2021, for courses started between autumn 2021 and spring 2024. The target
# counts **courses started**; one person can start more than one course, so unique
# participants are shown beside it.
#
# This notebook reads the **published** marts only (`data/marts/npq_observatory.duckdb`,
# opened read-only), so it never blocks a refresh and never sees a half-built table. Run
# `make run` first. Set `NPQ_MARTS_DIR` to read a publication elsewhere.

# %%
import duckdb
import polars as pl

from pipelines.charts.takeup import cumulative_starts
from pipelines.paths import published_db_path

db = published_db_path()
with duckdb.connect(str(db), read_only=True) as con:
    takeup = con.sql("SELECT * FROM npq_takeup_by_year ORDER BY funding, year_start").pl()
    published_at = con.sql("SELECT max(published_at) FROM _publication").fetchall()[0][0]
print(f"{db} (published {published_at})")

# %% [markdown]
# ## The mart: one row per academic year x funding
#
# `npq_starts` and `npq_unique_participants` are the published national figures (DfE, NPQ
# participants 2024-25, data set 79418e7a). `*_status` says whether a cell holds a published
# value or why not. Cumulative figures run only inside the target window, and only when every
# window year is present: the embedded extract holds funded starts for 2021/22 only, so the
# funded series stops there rather than reading as zero.

# %%
takeup.select(
    "academic_year",
    "funding",
    "npq_starts",
    "npq_unique_participants",
    "in_target_window",
    "cumulative_npq_starts_in_window",
    "percent_of_target",
    "gap_to_target",
    "provenance",
)

# %%
end_of_window = (
    takeup.filter((pl.col("funding") == "Overall") & pl.col("in_target_window"))
    .sort("year_start")
    .row(-1, named=True)
)
print(
    f"By {end_of_window['academic_year']}, {end_of_window['cumulative_npq_starts_in_window']:,} "
    f"NPQ courses had started: {end_of_window['percent_of_target']:.1f}% of the "
    f"{end_of_window['target_places']:,} target, {end_of_window['gap_to_target']:,} short."
)

# %% [markdown]
# ## The chart, drawn by the same function as the published chart pack
#
# Caveat beside the chart: these are all courses started, funded and non-funded. Public
# statements about the target sometimes count funded starts or unique participants instead.

# %%
figure, spec, chart_data = cumulative_starts(takeup)
print(spec.alt_text)
figure
