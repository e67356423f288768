"""What the 150,000-place target would have taken of each region: a pure function from the
npq_what_it_would_have_taken mart to a figure and its spec."""

import polars as pl
from matplotlib.figure import Figure

from pipelines.charts.style import (
    DARK_BLUE,
    ORANGE,
    TEXT,
    ChartSpec,
    ExactFormatter,
    finish,
    house_axes,
    panel_axes,
)
from pipelines.charts.takeup import SOURCE_LINE


def shortfall_by_region(mart: pl.DataFrame) -> tuple[Figure, ChartSpec, pl.DataFrame]:
    """Per region: courses it would have needed per window year (its share of the teaching
    workforce times the target's yearly pace) against those it started, largest gap first."""
    data = (
        mart.filter(pl.col("dimension") == "Region")
        .filter(pl.col("shortfall_contributed").is_not_null())
        .sort("shortfall_contributed", descending=True)
        .select(
            "group_name",
            "share_of_basis_pct",
            "needed_starts_per_year",
            "achieved_starts_per_year",
            "shortfall_per_year",
            "shortfall_contributed",
            "percent_of_shortfall",
            "window_first_year",
            "window_last_year",
            "provenance",
        )
    )
    if data.is_empty():
        raise ValueError("no region with a complete target window to chart")
    first, last = data["window_first_year"][0], data["window_last_year"][0]
    top = data.row(0, named=True)
    title = (
        f"{top['group_name']} fell furthest short of its share of the 150,000 target: "
        f"{top['shortfall_per_year']:,.0f} courses a year below it, {first} to {last}"
    )
    alt = (
        f"Bar chart, one pair of bars per region of England, {first} to {last}: the NPQ courses "
        "a region would have needed to start each year to carry its share of the 150,000 "
        "target (its share of the teaching workforce), beside those it started. "
        + "; ".join(
            f"{r['group_name']}: needed {r['needed_starts_per_year']:,.0f}, started "
            f"{r['achieved_starts_per_year']:,.0f} a year ({r['percent_of_shortfall']:.0f}% of "
            "the national shortfall)"
            for r in data.iter_rows(named=True)
        )
        + "."
    )
    spec = ChartSpec(
        name="npq_what_it_would_have_taken",
        title=title,
        alt_text=alt,
        source=SOURCE_LINE,
        notes=[
            "Need = 50,000 courses a year (150,000 over three years) x the region's share of "
            "the teaching workforce over the window.",
            "Courses started, funded and non-funded; mart npq_what_it_would_have_taken.",
        ],
        synthetic=bool((data["provenance"] == "synthetic").any()),
        generator="pipelines/synthetic/npq.py",
    )

    fig, ax = house_axes(10)
    panel_axes(ax, "x")
    ax.yaxis.grid(False)
    names = data["group_name"].to_list()
    rows = range(len(names))
    height = 0.38
    ax.barh(
        [y - height / 2 for y in rows],
        data["needed_starts_per_year"].to_list(),
        height=height,
        color=ORANGE,
        label="Needed per year",
    )
    ax.barh(
        [y + height / 2 for y in rows],
        data["achieved_starts_per_year"].to_list(),
        height=height,
        color=DARK_BLUE,
        label="Started per year",
    )
    ax.set_yticks(list(rows), names)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(ExactFormatter(thousands=True))
    ax.set_xlabel("NPQ courses started per year", color=TEXT, fontsize=9)
    ax.legend(loc="lower right", frameon=False, fontsize=9, labelcolor=TEXT)
    return finish(fig, ax, spec), spec, data
