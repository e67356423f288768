"""Take-up breakdowns: starts by course, participation by region, completion by cohort.

Pure functions from mart frames to (figure, spec, data). No I/O and no Dagster: the chart assets
and the notebooks call the same functions. A value the data set does not give (a course not yet
offered, a suppressed cell, a rate that rounds to zero) is never drawn as 0: the returned data
keeps it as null with a status, and the chart writes the status where the bar would be.
"""

import textwrap

import matplotlib.pyplot as plt
import polars as pl
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from pipelines.charts.style import (
    DARK_BLUE,
    DARK_GREY,
    GRID,
    ORANGE,
    PERCENT,
    TEXT,
    TURQUOISE,
    ChartSpec,
    finish,
    full_column,
    house_axes,
    panel_axes,
)
from pipelines.sources import OGL

PUBLICATION = "DfE, Teacher and leader development: ECF and NPQs"
PARTICIPANTS = f"{PUBLICATION}, NPQ participants 2024-25 (data set 79418e7a)"
COMPLETIONS = f"{PUBLICATION}, NPQ completions 2024-25 (data set 21ee618f)"
GENERATOR = "pipelines/synthetic/npq.py"
SYNTHETIC_NOTE = (
    "{what} are SYNTHETIC (pipelines/synthetic/npq.py), calibrated to the published national "
    "totals, and stay labelled synthetic until the real files are fetched."
)

LOW_BASE = 30
"""A rate resting on fewer people than this (starters for a completion rate, completers for a
pass rate) is not drawn as a bar: it is written as its count ("4 completers"), and the chart's
data say so (`*_low_base`). 4 of 4 completers passing is a fact, not a 100% pass rate."""

# How a status other than "value" reads on a chart (pipelines/transforms/ees.py SYMBOL_STATUS).
STATUS_LABELS = {
    "rounds_to_zero": "low (rounds to 0%)",
    "confidential": "c (suppressed)",
    "not_available": "x (not available)",
    "not_applicable": "z (not applicable)",
    "low_reliability": "u (low reliability)",
    "missing": "not published",
    "not_offered": "not offered",
    "no_row": "no figure",
}

_NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
# Plain-English shares for titles, largest first: (share, words).
_FRACTIONS = (
    (0.9, "nine in ten"),
    (0.8, "four in five"),
    (0.75, "three in four"),
    (2 / 3, "two in three"),
    (0.6, "three in five"),
    (0.5, "half"),
)


def _status_label(status: str | None) -> str:
    return STATUS_LABELS.get(status or "missing", str(status).replace("_", " "))


def _number_word(n: int) -> str:
    return _NUMBER_WORDS[n] if 0 <= n < len(_NUMBER_WORDS) else f"{n:,}"


def _share_words(percent: float) -> str:
    """How much of a count, as a title reads it: 84.6 -> 'More than four in five';
    50.0 -> 'Half of'; below half -> '42% of'."""
    for share, words in _FRACTIONS:
        phrase = f"{words} of" if words == "half" else words
        if round(percent, 1) == round(100 * share, 1):
            return phrase.capitalize()
        if percent > 100 * share:
            return f"More than {phrase}"
    return f"{percent:.0f}% of"


def _years_phrase(years: list[str]) -> str:
    if len(years) == 1:
        return years[0]
    if len(years) == 2:
        return f"{years[0]} and {years[1]}"
    return f"{years[0]} to {years[-1]}"


def _is_synthetic(frame: pl.DataFrame) -> bool:
    return bool((frame["provenance"] == "synthetic").any())


def _panel_axes(ax: plt.Axes, grid: str) -> None:
    """House style for one panel of a multi-panel figure."""
    getattr(ax, f"{'y' if grid == 'x' else 'x'}axis").grid(False)
    panel_axes(ax, grid)


def _breaks_within(policy_breaks: pl.DataFrame | None, year_starts: pl.Series) -> pl.DataFrame:
    """Policy breaks that fall inside a series (after its first year), one row per year, with a
    short label and the description up to its first semicolon."""
    if policy_breaks is None:
        return pl.DataFrame(
            schema={
                "year_start": pl.Int32,
                "academic_year": pl.String,
                "label": pl.String,
                "description": pl.String,
            }
        )
    return (
        policy_breaks.filter(
            (pl.col("year_start") > year_starts.min()) & (pl.col("year_start") <= year_starts.max())
        )
        .sort("year_start", "break_id")
        .group_by("year_start", "academic_year", maintain_order=True)
        .agg(
            pl.col("break_id").str.replace_all("_", " ").str.join("\n").alias("label"),
            pl.col("description").str.split(";").list.first().str.join("; ").alias("description"),
        )
    )


def _breaks_note(breaks: pl.DataFrame, lead: str = "Policy break.") -> str:
    return f"{lead} " + " ".join(
        f"{r['academic_year']}: {r['description']}." for r in breaks.iter_rows(named=True)
    )


# --- 1. Starts by course -------------------------------------------------------------------------

COURSE_TYPES = ("leadership", "specialist", "other")
COURSE_COLOURS = {"leadership": DARK_BLUE, "specialist": TURQUOISE, "other": DARK_GREY}


def _course_grid(mart: pl.DataFrame) -> pl.DataFrame:
    """Every course x every year, with absent pairs kept as null starts and a status."""
    rows = mart.filter(pl.col("funding") == "Overall").with_columns(
        pl.col("course_type").fill_null("other")
    )
    if rows.is_empty():
        raise ValueError("no funding = 'Overall' course rows to chart")
    years = rows.select("academic_year", "year_start").unique().sort("year_start")
    courses = (
        rows.group_by("course_code", "course_name", "course_type")
        .agg(
            pl.col("npq_starts").sum().alias("_total"),
            pl.col("year_start").min().alias("_first_year"),
        )
        .with_columns(
            pl.col("course_type")
            .replace_strict({t: i for i, t in enumerate(COURSE_TYPES)}, default=len(COURSE_TYPES))
            .alias("_type_order")
        )
        .sort("_type_order", "_total", "course_code", descending=[False, True, False])
        .with_row_index("course_order")
    )
    grid = courses.join(years, how="cross").join(
        rows.select(
            "year_start",
            "course_code",
            "npq_starts",
            "npq_starts_status",
            "percent_of_year_starts",
            "provenance",
        ),
        on=["year_start", "course_code"],
        how="left",
    )
    absent = pl.col("npq_starts_status").is_null() & pl.col("npq_starts").is_null()
    return grid.with_columns(
        pl.when(absent & (pl.col("year_start") < pl.col("_first_year")))
        .then(pl.lit("not_offered"))
        .when(absent)
        .then(pl.lit("no_row"))
        .otherwise(pl.col("npq_starts_status"))
        .alias("npq_starts_status"),
    ).sort("year_start", "course_order")


def starts_by_course(
    mart: pl.DataFrame, policy_breaks: pl.DataFrame | None = None
) -> tuple[Figure, ChartSpec, pl.DataFrame]:
    """NPQ courses started by course and year (all funding), leadership beside specialist.

    A course with no row in a year (not yet offered) stays absent, never a zero bar. Policy
    breaks (marts.npq_policy_breaks) inside the years shown are noted under the chart.
    """
    grid = _course_grid(mart)
    data = grid.select(
        "academic_year",
        "year_start",
        "course_code",
        "course_name",
        "course_type",
        "npq_starts",
        "npq_starts_status",
        "percent_of_year_starts",
        "provenance",
    )
    synthetic = _is_synthetic(data.filter(pl.col("provenance").is_not_null()))
    years = data.select("academic_year", "year_start").unique().sort("year_start")
    year_list = years["academic_year"].to_list()

    shares = (
        data.filter(pl.col("npq_starts_status") == "value")
        .group_by("academic_year", "year_start")
        .agg(
            (
                100
                * pl.col("npq_starts").filter(pl.col("course_type") == "leadership").sum()
                / pl.col("npq_starts").sum()
            ).alias("leadership_share"),
            pl.col("npq_starts").sum().alias("year_starts"),
        )
        .sort("year_start")
    )
    first, last = shares.row(0, named=True), shares.row(-1, named=True)
    a, b = round(first["leadership_share"]), round(last["leadership_share"])
    if first["academic_year"] == last["academic_year"]:
        title = f"Leadership NPQs were {b}% of courses started in {last['academic_year']}"
    elif a == b:
        title = (
            f"Leadership NPQs were {b}% of courses started in both "
            f"{first['academic_year']} and {last['academic_year']}"
        )
    else:
        verb = "rose" if b > a else "fell"
        title = (
            f"Leadership NPQs {verb} from {a}% of courses started in {first['academic_year']} "
            f"to {b}% in {last['academic_year']}"
        )

    def top(year: str) -> dict:
        rows = data.filter(
            (pl.col("academic_year") == year) & (pl.col("npq_starts_status") == "value")
        )
        return rows.sort("npq_starts", descending=True).row(0, named=True)

    largest = {y: top(y) for y in year_list}
    absent = data.filter(pl.col("npq_starts").is_null())
    alt = (
        (
            "SYNTHETIC DATA, illustrative only: the course figures are synthetic. "
            if synthetic
            else ""
        )
        + f"{title}. "
        + "Small-multiple bar charts of NPQ courses started in England by course, one panel per "
        f"academic year from {year_list[0]} to {year_list[-1]}, leadership NPQs grouped above "
        f"specialist NPQs. Leadership NPQs were {first['leadership_share']:.1f}% of courses "
        f"started in {first['academic_year']} and {last['leadership_share']:.1f}% in "
        f"{last['academic_year']}. Largest course each year: "
        + "; ".join(
            f"{y}: {r['course_name']} ({r['course_code']}), {r['npq_starts']:,} starts"
            for y, r in largest.items()
        )
        + ". "
        + (
            "Shown as absent, not zero: "
            + "; ".join(
                f"{r['course_code']} in {r['academic_year']} "
                f"({_status_label(r['npq_starts_status'])})"
                for r in absent.iter_rows(named=True)
            )
            + "."
            if absent.height
            else ""
        )
    ).strip()
    notes = [
        "Courses started, funded and non-funded; one person can start more than one course.",
        "A course with no figure for a year is marked 'not offered' or 'no figure', never 0.",
    ]
    breaks = _breaks_within(policy_breaks, years["year_start"])
    if breaks.height:
        notes.append(_breaks_note(breaks))
    if synthetic:
        notes.insert(0, SYNTHETIC_NOTE.format(what="Course-level figures"))
    spec = ChartSpec(
        name="npq_starts_by_course",
        half_page=False,
        title=title,
        alt_text=alt,
        source=f"{PARTICIPANTS}; {OGL}.",
        notes=notes,
        synthetic=synthetic,
        generator=GENERATOR,
    )

    # Rows: a heading per course type, then its courses, in the same order in every panel.
    courses = data.select("course_code", "course_name", "course_type").unique(maintain_order=True)
    positions: dict[str, float] = {}
    headings: list[tuple[float, str]] = []
    y = 0.0
    for course_type in [t for t in (*COURSE_TYPES,) if t in courses["course_type"].to_list()]:
        if headings:
            y += 0.5
        headings.append((y, f"{course_type.capitalize()} NPQs"))
        y += 1
        for row in courses.filter(pl.col("course_type") == course_type).iter_rows(named=True):
            positions[row["course_code"]] = y
            y += 1
    labels = {
        r["course_code"]: textwrap.fill(
            f"{r['course_name'].removeprefix('NPQ for ')} ({r['course_code']})", 30
        )
        for r in courses.iter_rows(named=True)
    }

    fig, axes = plt.subplots(
        1,
        len(year_list),
        sharey=True,
        sharex=True,
        figsize=full_column(0.9 * y + 6),
        layout="constrained",
        squeeze=False,
    )
    axes = list(axes[0])
    xmax = float(data["npq_starts"].max() or 1)
    for ax, year in zip(axes, year_list, strict=True):
        _panel_axes(ax, grid="x")
        ax.tick_params(axis="y", length=0)
        rows = data.filter(pl.col("academic_year") == year)
        total = shares.filter(pl.col("academic_year") == year)["year_starts"]
        for r in rows.iter_rows(named=True):
            pos = positions[r["course_code"]]
            if r["npq_starts"] is None:
                ax.text(
                    xmax * 0.02,
                    pos,
                    _status_label(r["npq_starts_status"]),
                    va="center",
                    fontsize=9,
                    color=DARK_GREY,
                    style="italic",
                )
                continue
            ax.barh(pos, r["npq_starts"], height=0.7, color=COURSE_COLOURS[r["course_type"]])
            ax.text(
                r["npq_starts"] + xmax * 0.03,
                pos,
                f"{r['npq_starts']:,}",
                va="center",
                fontsize=9,
                color=TEXT,
            )
        heading = f"{year}\n{int(total[0]):,} starts" if total.len() else year
        ax.set_title(heading, fontsize=10, color=TEXT, loc="left")
        ax.set_xticks([t for t in MaxNLocator(nbins=3).tick_values(0, xmax) if 0 <= t <= xmax])
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / 1000:,.0f}k" if v else "0"))
        ax.set_xlim(0, xmax * 1.45)
    axes[0].set_yticks(list(positions.values()), [labels[c] for c in positions])
    for pos, heading in headings:
        axes[0].text(
            -0.04,
            pos,
            heading,
            transform=axes[0].get_yaxis_transform(),
            ha="right",
            va="center",
            fontsize=10,
            fontweight="bold",
            color=TEXT,
        )
    axes[0].set_ylim(y - 0.4, -0.6)
    fig.supxlabel("NPQ courses started", fontsize=10, color=TEXT)
    return finish(fig, axes, spec), spec, data


# --- 2. Participation by region ------------------------------------------------------------------


def _segments(years: list[int], breaks: list[int]) -> list[list[int]]:
    """Split consecutive years into runs that never cross a policy break."""
    runs: list[list[int]] = []
    for year in years:
        if runs and year not in breaks:
            runs[-1].append(year)
        else:
            runs.append([year])
    return runs


def participation_by_region(
    mart: pl.DataFrame, policy_breaks: pl.DataFrame | None = None
) -> tuple[Figure, ChartSpec, pl.DataFrame]:
    """NPQ participation (% of the teaching workforce) by region: the latest year ranked against
    England, and the trend; a trend line never joins years across a policy break."""
    rows = mart.filter(pl.col("funding") == "Overall").sort("year_start", "region_code")
    if rows.is_empty():
        raise ValueError("no funding = 'Overall' regional rows to chart")
    latest_year_start = rows["year_start"].max()
    latest = rows.filter(pl.col("year_start") == latest_year_start)
    year = latest["academic_year"][0]
    national = float(latest["national_percent_workforce_npq_participation"][0])
    data = (
        latest.select(
            "academic_year",
            "region_code",
            "region_name",
            "percent_workforce_npq_participation",
            "percent_workforce_npq_participation_status",
            "national_percent_workforce_npq_participation",
            "gap_to_national_pp",
            "lags_national",
            "rank_in_year",
            "provenance",
        )
        # Highest first; regions with no published rate go last, never as 0.
        .sort(
            "percent_workforce_npq_participation",
            "region_name",
            descending=[True, False],
            nulls_last=True,
        )
    )
    synthetic = _is_synthetic(rows)
    rated = data.filter(pl.col("percent_workforce_npq_participation").is_not_null())
    lagging = rated.filter(pl.col("lags_national"))
    low, high = rated.row(-1, named=True), rated.row(0, named=True)
    trend = (
        rows.group_by("academic_year", "year_start")
        .agg(
            pl.col("national_percent_workforce_npq_participation").first().alias("national"),
            pl.col("percent_workforce_npq_participation").min().alias("lowest_region"),
            pl.col("percent_workforce_npq_participation").max().alias("highest_region"),
        )
        .sort("year_start")
    )
    break_years = _breaks_within(policy_breaks, trend["year_start"])

    n = data.height
    benchmark = f"England's {national:.1f}% annual NPQ participation rate in {year}"
    if lagging.is_empty():
        title = f"No region was below {benchmark}"
    else:
        verb = "was" if lagging.height == 1 else "were"
        title = (
            f"{_number_word(lagging.height).capitalize()} of {_number_word(n)} regions {verb} "
            f"below {benchmark}"
        )
    alt = (
        (
            "SYNTHETIC DATA, illustrative only: the regional figures are synthetic. "
            if synthetic
            else ""
        )
        + f"{title}. "
        + f"Bar chart of NPQ participants as a percentage of the teaching workforce in {year} for "
        f"England's {n} regions, ranked, with England's rate of {national:.1f}% as a reference "
        f"line. Highest: {high['region_name']} {high['percent_workforce_npq_participation']:.1f}%; "
        f"lowest: {low['region_name']} {low['percent_workforce_npq_participation']:.1f}%. "
        + (
            f"Below England ({lagging.height}): "
            + "; ".join(
                f"{r['region_name']} {r['percent_workforce_npq_participation']:.1f}% "
                f"({r['gap_to_national_pp']:+.1f} points)"
                for r in lagging.iter_rows(named=True)
            )
            + ". "
            if lagging.height
            else "No region was below England. "
        )
        + "England's rate by year: "
        + "; ".join(
            f"{r['academic_year']} {r['national']:.1f}% (regions {r['lowest_region']:.1f}% to "
            f"{r['highest_region']:.1f}%)"
            for r in trend.iter_rows(named=True)
        )
        + "."
        + "".join(
            f" The trend is not joined across the {r['academic_year']} policy break "
            f"({r['label'].replace(chr(10), ', ')})."
            for r in break_years.iter_rows(named=True)
        )
    )
    notes = [
        "Annual rate: unique participants in the year matched to the School Workforce Census "
        "as a share of that year's teaching workforce headcount; all funding. It is not the "
        "share of teachers who have ever started an NPQ.",
        "Hatched bars marked 'below England' lag the national rate. England's rate is computed "
        "from the regional rows.",
    ]
    if break_years.height:
        notes.append(_breaks_note(break_years, "The trend is not joined across a policy break."))
    if synthetic:
        notes.insert(0, SYNTHETIC_NOTE.format(what="Regional figures"))
    spec = ChartSpec(
        name="npq_participation_by_region",
        title=title,
        alt_text=alt,
        source=f"{PARTICIPANTS}; {OGL}.",
        notes=notes,
        synthetic=synthetic,
        generator=GENERATOR,
    )

    fig, (bars, line) = plt.subplots(
        2, 1, figsize=full_column(16), height_ratios=[3, 2], layout="constrained"
    )
    _panel_axes(bars, grid="x")
    _panel_axes(line, grid="y")
    names = data["region_name"].to_list()
    xmax = max(float(rated["percent_workforce_npq_participation"].max()), national) * 1.35
    for i, r in enumerate(data.iter_rows(named=True)):
        rate = r["percent_workforce_npq_participation"]
        if rate is None:
            bars.text(
                xmax * 0.01,
                i,
                _status_label(r["percent_workforce_npq_participation_status"]),
                va="center",
                fontsize=9,
                color=DARK_GREY,
                style="italic",
            )
            continue
        below = bool(r["lags_national"])
        bars.barh(
            i,
            rate,
            height=0.65,
            color="white" if below else DARK_BLUE,
            edgecolor=DARK_BLUE,
            hatch="///" if below else None,
            linewidth=1.2,
        )
        # A lagging region's label starts past the England line so the line never crosses it.
        bars.text(
            (max(rate, national) if below else rate) + xmax * 0.015,
            i,
            f"{rate:.1f}%"
            + (f": {abs(r['gap_to_national_pp']):.1f} pts below England" if below else ""),
            va="center",
            fontsize=9,
            color=TEXT,
            fontweight="normal" if below else "bold",
        )
    bars.axvline(national, color=ORANGE, linestyle="--", linewidth=1.8)
    bars.text(
        national + xmax * 0.01,
        -0.75,
        f"England {national:.1f}%",
        ha="left",
        va="bottom",
        fontsize=9,
        color=TEXT,
        fontweight="bold",
    )
    bars.set_yticks(range(n), names)
    bars.tick_params(axis="y", length=0)
    bars.set_ylim(n - 0.5, -1.1)
    bars.set_xlim(0, xmax)
    bars.xaxis.set_major_formatter(PERCENT)
    bars.set_xlabel(f"NPQ participants in {year} as % of teachers (annual rate)", fontsize=10)

    xs = {r["year_start"]: i for i, r in enumerate(trend.iter_rows(named=True))}
    by_year = {r["year_start"]: r for r in trend.iter_rows(named=True)}
    runs = _segments(list(xs), break_years["year_start"].to_list())
    for run in runs:
        px = [xs[y] for y in run]
        line.fill_between(
            px,
            [by_year[y]["lowest_region"] for y in run],
            [by_year[y]["highest_region"] for y in run],
            color=TURQUOISE,
            alpha=0.25,
            linewidth=0,
        )
        if len(run) == 1:
            # A lone year after a break: show its range as a bar, not a joined band.
            only = by_year[run[0]]
            line.vlines(
                px,
                only["lowest_region"],
                only["highest_region"],
                color=TURQUOISE,
                alpha=0.5,
                linewidth=10,
            )
        line.plot(
            px,
            [by_year[y]["national"] for y in run],
            color=ORANGE,
            linestyle="--",
            marker="o",
            linewidth=2,
        )
    for row in break_years.iter_rows(named=True):
        if row["year_start"] in xs:
            bx = xs[row["year_start"]] - 0.5
            line.axvline(bx, color=DARK_GREY, linestyle=":", linewidth=1.2)
            line.text(
                bx - 0.05,
                0.4,
                "Policy break:\n" + row["label"],
                ha="right",
                va="bottom",
                fontsize=9,
                color=DARK_GREY,
            )
    for year_start, r in by_year.items():
        line.annotate(
            f"{r['national']:.1f}%",
            (xs[year_start], r["national"]),
            textcoords="offset points",
            xytext=(0, 8),
            ha="center",
            fontsize=9,
            color=TEXT,
            fontweight="bold",
        )
    line.legend(
        handles=[
            Patch(facecolor=TURQUOISE, alpha=0.25, label="Range across regions"),
            Line2D([], [], color=ORANGE, linestyle="--", marker="o", label="England"),
        ],
        loc="center left",
        bbox_to_anchor=(1.01, 0.5),
        frameon=False,
        fontsize=9,
    )
    line.set_xticks(list(xs.values()), trend["academic_year"].to_list())
    line.set_xlim(-0.4, len(xs) - 0.6)
    line.set_ylim(0, float(trend["highest_region"].max()) * 1.15)
    line.yaxis.set_major_formatter(PERCENT)
    line.set_ylabel("% of teachers", fontsize=10)
    line.set_title("England's rate by year", fontsize=10, loc="left", color=TEXT)
    return finish(fig, [bars, line], spec), spec, data


# --- 3. Completion by cohort ---------------------------------------------------------------------


def completion_by_cohort(mart: pl.DataFrame) -> tuple[Figure, ChartSpec, pl.DataFrame]:
    """Completion and pass rate by start cohort (all funding, all participants).

    Cohorts still within the two-year completion lag are hatched and read "to date"; a rate
    published as a symbol (e.g. 'low') is written as such and never drawn as 0.
    """
    overall = pl.col("funding") == "Overall"
    for column in ("breakdown", "group_name"):
        if column in mart.columns:
            overall &= pl.col(column) == "Overall"
    data = (
        mart.filter(overall)
        .sort("year_start")
        .select(
            "start_cohort",
            "year_start",
            "npq_starts",
            "npq_completed",
            "npq_passed",
            "percentage_completion_rate",
            "percentage_completion_rate_status",
            "percentage_pass_rate",
            "percentage_pass_rate_status",
            "cohort_complete",
            "provenance",
        )
    )
    if data.is_empty():
        raise ValueError("no Overall completion rows to chart")

    def label(rate: str, status: str, complete: str) -> pl.Expr:
        shown = pl.format("{}%", pl.col(rate).round(1))
        return (
            pl.when(pl.col(status) != "value")
            .then(pl.col(status).replace_strict(STATUS_LABELS, default=pl.col(status)))
            .when(~pl.col(complete))
            .then(pl.format("{} to date", shown))
            .otherwise(shown)
        )

    data = data.with_columns(
        label(
            "percentage_completion_rate", "percentage_completion_rate_status", "cohort_complete"
        ).alias("completion_label"),
        label("percentage_pass_rate", "percentage_pass_rate_status", "cohort_complete").alias(
            "pass_label"
        ),
        (pl.col("npq_starts") < LOW_BASE).fill_null(False).alias("completion_rate_low_base"),
        (pl.col("npq_completed") < LOW_BASE).fill_null(False).alias("pass_rate_low_base"),
    ).with_columns(
        # What the bars show: a rate only where the data set publishes a value on a base of at
        # least LOW_BASE people.
        pl.when(
            (pl.col("percentage_completion_rate_status") == "value")
            & ~pl.col("completion_rate_low_base")
        )
        .then(pl.col("percentage_completion_rate"))
        .alias("completion_rate_plotted"),
        pl.when((pl.col("percentage_pass_rate_status") == "value") & ~pl.col("pass_rate_low_base"))
        .then(pl.col("percentage_pass_rate"))
        .alias("pass_rate_plotted"),
        pl.when(pl.col("completion_rate_low_base"))
        .then(pl.format("{} starters", pl.col("npq_starts")))
        .otherwise(pl.col("completion_label"))
        .alias("completion_label"),
        pl.when(pl.col("pass_rate_low_base"))
        .then(pl.format("{} completers", pl.col("npq_completed")))
        .otherwise(pl.col("pass_label"))
        .alias("pass_label"),
    )
    synthetic = _is_synthetic(data)
    complete = data.filter(
        pl.col("cohort_complete") & pl.col("completion_rate_plotted").is_not_null()
    )
    pending = data.filter(~pl.col("cohort_complete"))
    if complete.height:
        lowest = float(complete["completion_rate_plotted"].min())
        words = _share_words(lowest)
        cohorts = complete["start_cohort"].to_list()
        title = f"{words} NPQs started in {_years_phrase(cohorts)} were completed"
    else:
        title = "No NPQ start cohort has yet had the two years a course can take to complete"
    alt = (
        ("SYNTHETIC DATA, illustrative only. " if synthetic else "")
        + f"{title}. "
        + "Bar chart of NPQ completion rate and pass rate by start cohort, England, all funding. "
        + " ".join(
            f"{r['start_cohort']}: {r['npq_starts']:,} started, completion rate "
            f"{r['completion_label']}"
            + (f"; {r['npq_completed']:,} completed" if r["npq_completed"] is not None else "")
            + f"; pass rate {r['pass_label']}"
            + ("" if r["cohort_complete"] else ", still within the two-year completion lag")
            + "."
            for r in data.iter_rows(named=True)
        )
    )
    notes = [
        "Completion rate: completed as % of started. Pass rate: passed as % of completed.",
        "NPQs take up to 22 months: a cohort that started less than two years before the latest "
        "data shows completion to date (hatched), not a final rate.",
    ]
    symbols = sorted(
        {
            status
            for column in ("percentage_completion_rate_status", "percentage_pass_rate_status")
            for status in data[column].to_list()
            if status != "value"
        },
        key=str,
    )
    if data["completion_rate_low_base"].any() or data["pass_rate_low_base"].any():
        notes.append(
            f"No bar is drawn for a rate resting on fewer than {LOW_BASE} people (starters for "
            "a completion rate, completers for a pass rate): the count is written instead."
        )
    if symbols:
        notes.append(
            "No bar is drawn where the data set gives a symbol instead of a rate: "
            + "; ".join(_status_label(s) for s in symbols)
            + "."
        )
    if synthetic:
        notes.insert(0, SYNTHETIC_NOTE.format(what="Completion figures"))
    spec = ChartSpec(
        name="npq_completion_by_cohort",
        title=title,
        alt_text=alt,
        source=f"{COMPLETIONS}; {OGL}.",
        notes=notes,
        synthetic=synthetic,
        generator=GENERATOR,
    )

    fig, ax = house_axes(12)
    width = 0.38
    measures = (
        ("completion_rate_plotted", "completion_label", DARK_BLUE, -width / 2, "Completed"),
        ("pass_rate_plotted", "pass_label", TURQUOISE, width / 2, "Passed (of completers)"),
    )
    for i, r in enumerate(data.iter_rows(named=True)):
        done = bool(r["cohort_complete"])
        for column, text_column, colour, offset, _ in measures:
            x = i + offset
            value = r[column]
            text = r[text_column].replace(" to date", "\nto date")
            if value is None:
                ax.text(
                    x,
                    1.5 if offset < 0 else 40,
                    "\n".join(
                        textwrap.wrap(text, 8, break_on_hyphens=False, break_long_words=False)
                    ),
                    ha="center",
                    va="bottom",
                    fontsize=9,
                    color=TEXT,
                    style="italic",
                )
                continue
            ax.bar(
                x,
                value,
                width=width * 0.92,
                color=colour if done else "white",
                edgecolor=colour,
                hatch=None if done else "///",
                linewidth=1.2,
            )
            ax.text(
                x,
                value + 1.2,
                text,
                ha="center",
                va="bottom",
                fontsize=9,
                color=TEXT,
                fontweight="bold" if done else "normal",
            )
    ax.set_xticks(
        range(data.height),
        [
            f"{r['start_cohort']}\n{r['npq_starts']:,} started"
            + (f"\n{r['npq_completed']:,} completed" if r["npq_completed"] is not None else "")
            + ("" if r["cohort_complete"] else "\nto date")
            for r in data.iter_rows(named=True)
        ],
    )
    if pending.height:
        first_pending = data["cohort_complete"].to_list().index(False)
        ax.axvspan(
            first_pending - 0.5, data.height - 0.5, color=GRID, alpha=0.35, linewidth=0, zorder=0
        )
        ax.text(
            first_pending - 0.42,
            138,
            "Two-year lag: to date, not final",
            fontsize=9,
            color=DARK_GREY,
            va="top",
        )
    ax.legend(
        handles=[Patch(facecolor=colour, label=name) for _, _, colour, _, name in measures],
        loc="lower left",
        bbox_to_anchor=(0, 1),
        frameon=False,
        ncols=2,
        fontsize=9,
    )
    ax.set_ylim(0, 140)
    ax.set_yticks(range(0, 101, 20))
    ax.yaxis.set_major_formatter(PERCENT)
    ax.set_ylabel("% of starters or of completers")
    ax.set_xlim(-0.6, data.height - 0.4)
    return finish(fig, ax, spec), spec, data
