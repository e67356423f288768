"""Take-up charts: pure functions from a mart frame to a figure and its spec."""

import polars as pl
from matplotlib.figure import Figure

from pipelines.charts.style import (
    DARK_BLUE,
    DARK_GREY,
    ORANGE,
    TEXT,
    TURQUOISE,
    ChartSpec,
    ExactFormatter,
    finish,
    house_axes,
)

SOURCE_LINE = (
    "DfE, Teacher and leader development: ECF and NPQs, NPQ participants 2024-25 "
    "(data set 79418e7a); Open Government Licence v3.0. Target: DfE Teacher CPD design history."
)


def cumulative_starts(
    mart: pl.DataFrame, breaks: pl.DataFrame | None = None
) -> tuple[Figure, ChartSpec, pl.DataFrame]:
    """Cumulative NPQ courses started (all funding) against the 150,000 target, by year.

    `breaks` (marts.npq_policy_breaks) marks policy breaks after the window, such as the
    autumn 2024 narrowing of full funding, beside the end of the target window.
    """
    data = (
        mart.filter(pl.col("funding") == "Overall")
        .sort("year_start")
        .select(
            "academic_year",
            "in_target_window",
            "npq_starts",
            "cumulative_npq_starts_in_window",
            "target_places",
            "percent_of_target",
            "gap_to_target",
            "provenance",
        )
    )
    window = data.filter(
        pl.col("in_target_window") & pl.col("cumulative_npq_starts_in_window").is_not_null()
    )
    if window.is_empty():
        raise ValueError("no complete target-window years to chart")
    last = window.row(-1, named=True)
    target = int(last["target_places"])
    share = last["percent_of_target"]
    year = last["academic_year"]
    title = f"NPQ courses started reached {share:.0f}% of the {target:,} target by {year}"
    alt = (
        f"Line chart of cumulative NPQ courses started in England against the {target:,}-place "
        f"target window (2021/22 to 2023/24). "
        + "; ".join(
            f"{r['academic_year']}: {int(r['cumulative_npq_starts_in_window']):,} cumulative"
            for r in window.iter_rows(named=True)
        )
        + f". By {last['academic_year']} {int(last['cumulative_npq_starts_in_window']):,} courses "
        f"had started, {share:.1f}% of the target, {int(last['gap_to_target']):,} short. "
        + "After the window: "
        + "; ".join(
            f"{r['academic_year']}: {int(r['npq_starts']):,} starts"
            for r in data.filter(~pl.col("in_target_window")).iter_rows(named=True)
        )
        + "."
    )
    spec = ChartSpec(
        name="npq_cumulative_starts",
        title=title,
        alt_text=alt,
        source=SOURCE_LINE,
        notes=[
            "Courses started, funded and non-funded. One person can start more than one course.",
            "The target window is autumn 2021 to spring 2024; funding narrowed from autumn 2024.",
        ],
        synthetic=bool((data["provenance"] == "synthetic").any()),
        generator="pipelines/synthetic/npq.py",
    )

    fig, ax = house_axes(12)
    years = data["academic_year"].to_list()
    positions = range(len(years))
    ax.bar(
        positions, data["npq_starts"].to_list(), color=TURQUOISE, width=0.55, label="Starts in year"
    )
    xs = [years.index(y) for y in window["academic_year"]]
    ys = window["cumulative_npq_starts_in_window"].to_list()
    ax.plot(xs, ys, color=DARK_BLUE, marker="o", linewidth=2.5)
    ax.axhline(target, color=ORANGE, linestyle="--", linewidth=1.5)
    ax.text(
        -0.4,
        target,
        f"Target: {target:,} courses",
        ha="left",
        va="bottom",
        color=DARK_GREY,
        fontsize=10,
    )
    for x, y in zip(xs, ys, strict=True):
        ax.annotate(
            f"{y:,}",
            (x, y),
            textcoords="offset points",
            xytext=(-8, 6),
            ha="right",
            color=DARK_BLUE,
            fontsize=10,
            fontweight="bold",
        )
    ax.text(
        0.9,
        target * 0.62,
        "Cumulative starts\nin the target window",
        color=DARK_BLUE,
        fontsize=10,
        ha="right",
        va="bottom",
    )
    ax.annotate(
        "Starts in year",
        (0.28, data["npq_starts"][0] * 0.5),
        xytext=(0.45, data["npq_starts"][0] * 0.5),
        color=TEXT,
        ha="left",
        va="center",
        fontsize=9,
        arrowprops={"arrowstyle": "-", "color": DARK_GREY, "linewidth": 0.8},
    )
    outside = [i for i, flag in enumerate(data["in_target_window"]) if not flag]
    if outside:
        # Mark the break: the target window ends, and the series is not joined across it.
        first_outside = years[min(outside)]
        label = "Target window ends\n(spring 2024)"
        if (
            breaks is not None
            and not breaks.filter(
                (pl.col("break_id") == "funding_narrowed")
                & (pl.col("academic_year") == first_outside)
            ).is_empty()
        ):
            label += "\n\nFull funding narrowed\n(autumn 2024)"
        ax.axvline(min(outside) - 0.5, color=DARK_GREY, linestyle=":", linewidth=1.2)
        ax.text(
            min(outside) - 0.45,
            target * 0.62,
            label,
            color=DARK_GREY,
            fontsize=9,
            va="top",
        )
    ax.set_xticks(list(positions), years)
    ax.set_ylabel("NPQ courses started")
    ax.set_ylim(0, target * 1.12)
    ax.yaxis.set_major_formatter(ExactFormatter())
    return finish(fig, ax, spec), spec, data
