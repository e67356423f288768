"""Representation charts (question 2): the leaky pipeline, gap trends with a parity projection,
NPQ participants against their feeder grades, and regional small multiples.

Pure functions from mart frames to (figure, spec, data). No I/O and no Dagster: the chart assets
and the notebooks call the same functions. Shares of a known group use people of known ethnicity
(or sex) as the denominator, as the marts' `share_basis` says. A share resting on fewer people
than the low-count threshold is drawn hollow and named in the notes. Any synthetic input stamps
the chart SYNTHETIC.
"""

import itertools

import matplotlib.pyplot as plt
import polars as pl
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from pipelines.charts.style import (
    DARK_BLUE,
    DARK_GREY,
    DARK_PINK,
    GRID,
    ORANGE,
    PERCENT,
    TEXT,
    TURQUOISE,
    ChartSpec,
    ExactFormatter,
    YearFormatter,
    finish,
    full_column,
    house_axes,
    text_colour,
)
from pipelines.charts.takeup_breakdowns import _panel_axes
from pipelines.sources import OGL

WORKFORCE = "DfE, School workforce in England, Teacher characteristics (data set b6542541)"
PUPILS = "DfE, Schools, pupils and their characteristics 2021/22, pupils by ethnicity"
NPQ = "DfE, Teacher and leader development: ECF and NPQs, NPQ participants 2024-25 (79418e7a)"
WORKFORCE_GENERATOR = "pipelines/synthetic/workforce.py"
NPQ_GENERATOR = "pipelines/synthetic/npq.py"
SYNTHETIC_WORKFORCE = (
    "Teacher figures are SYNTHETIC (pipelines/synthetic/workforce.py), calibrated to the "
    "published totals and headline shares."
)
SYNTHETIC_NPQ = (
    "NPQ ethnicity and sex breakdowns are SYNTHETIC (pipelines/synthetic/npq.py), calibrated to "
    "the published national totals."
)
CENSUS_NOTE = (
    "The school and workforce censuses count whole populations, not samples: no sampling "
    "interval applies."
)

STAGES = (
    "Pupils",
    "Classroom teacher",
    "Assistant head teacher",
    "Deputy head teacher",
    "Head teacher",
)
STAGE_STYLE = {
    "Pupils": (DARK_GREY, "s"),
    "Classroom teacher": (DARK_BLUE, "o"),
    "Assistant head teacher": (TURQUOISE, "^"),
    "Deputy head teacher": (ORANGE, "D"),
    "Head teacher": (DARK_PINK, "v"),
}
PLURAL = {
    "Pupils": "pupils",
    "Early career teachers": "early career teachers",
    "Classroom teacher": "classroom teachers",
    "Assistant head teacher": "assistant heads",
    "Deputy head teacher": "deputy heads",
    "Deputy and assistant heads": "deputy and assistant heads",
    "Head teacher": "head teachers",
    "Leadership": "leadership teachers",
    "All teachers": "all teachers",
}


def _is_synthetic(frame: pl.DataFrame) -> bool:
    return bool((frame["provenance"] == "synthetic").any())


MINORITY_ETHNIC = "Minority ethnic (all except White British)"
DEFINITIONS = {
    MINORITY_ETHNIC: "Minority ethnic: every ethnic group except White British, White minorities "
    "included (the DfE and GSS convention in the school workforce and pupil statistics).",
    "Ethnic minority": "Ethnic minority here: every known group outside White, so White "
    "minorities (Irish, Gypsy/Roma, Traveller of Irish heritage, other White) are not counted; "
    "the DfE convention (all except White British) needs a White British split that {why}.",
}


def _group_words(group: str) -> str:
    """How a group reads in a sentence: 'Ethnic minority' -> 'ethnic minority'."""
    if group == MINORITY_ETHNIC:
        return "minority ethnic"
    return group if group in ("White British", "White") else group.lower()


def _definition(group: str, why: str = "these data do not have") -> list[str]:
    """The definition of the group, stated on the chart."""
    return [DEFINITIONS[group].format(why=why)] if group in DEFINITIONS else []


def _low_count_note(frame: pl.DataFrame, label: str) -> list[str]:
    low = frame.filter(pl.col("low_count"))
    if low.is_empty():
        return []
    return [
        f"Hollow markers: {low.height} {label} rest on fewer people than the low-count "
        "threshold (pipelines/representation.py); read them with care."
    ]


def _mark(ax, x, y, colour: str, marker: str, low: bool, size: float = 6) -> None:
    ax.plot(
        x,
        y,
        marker=marker,
        markersize=size,
        color=colour,
        markerfacecolor="white" if low else colour,
        linestyle="none",
    )


def _spread_labels(values: list[float], min_gap: float) -> list[float]:
    """Label positions for line ends: the values, nudged apart so no two are closer than
    min_gap (in data units), keeping their order."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    placed = list(values)
    for previous, current in itertools.pairwise(order):
        placed[current] = max(placed[current], placed[previous] + min_gap)
    return placed


# --- 1. Leaky pipeline by year -------------------------------------------------------------------


def leaky_pipeline(
    mart: pl.DataFrame,
    group_set: str = "ethnicity_minority_ethnic",
    group: str = MINORITY_ETHNIC,
) -> tuple[Figure, ChartSpec, pl.DataFrame]:
    """A group's share at each stage from pupils to head teachers, one line per stage by year.

    The distance between the lines is the leak; pupils appear only in years with a pupil census
    file. Reads marts.rep_leaky_pipeline.
    """
    data = (
        mart.filter((pl.col("group_set") == group_set) & (pl.col("group_name") == group))
        .sort("year_start", "stage_order")
        .select(
            "academic_year",
            "year_start",
            "stage_order",
            "stage",
            "group_set",
            "group_name",
            "share_basis",
            "headcount",
            "share_pct",
            "step_change_pp",
            "ratio_to_pupils",
            "low_count",
            "provenance",
        )
    )
    if data.is_empty():
        raise ValueError(f"no leaky-pipeline rows for {group_set} / {group}")
    synthetic = _is_synthetic(data)
    with_pupils = data.filter(pl.col("stage") == "Pupils")
    title_year = (with_pupils if with_pupils.height else data)["academic_year"].to_list()[-1]
    in_year = {
        r["stage"]: r
        for r in data.filter(pl.col("academic_year") == title_year).iter_rows(named=True)
    }
    first_stage = "Pupils" if "Pupils" in in_year else "Classroom teacher"
    top, heads = in_year[first_stage], in_year.get("Head teacher")
    words = _group_words(group)
    if heads is None:
        raise ValueError(f"no head teacher row in {title_year}")
    title = (
        f"In {title_year}, {words} people were {top['share_pct']:.1f}% of "
        f"{PLURAL[first_stage]} but {heads['share_pct']:.1f}% of head teachers"
    )
    years = data.select("academic_year", "year_start").unique().sort("year_start")
    latest = data.filter(pl.col("year_start") == years["year_start"].max())
    alt = (
        (
            "SYNTHETIC DATA, illustrative only: the teacher figures are synthetic. "
            if synthetic
            else ""
        )
        + f"{title}. Line chart of the {words} share ({top['share_basis']}) at each stage from "
        f"pupils to head teachers in England, {years['academic_year'][0]} to "
        f"{years['academic_year'][-1]}, one line per stage. {title_year}: "
        + "; ".join(f"{PLURAL[s]} {r['share_pct']:.1f}%" for s, r in in_year.items())
        + f". Latest year {latest['academic_year'][0]}: "
        + "; ".join(
            f"{PLURAL[r['stage']]} {r['share_pct']:.1f}%" for r in latest.iter_rows(named=True)
        )
        + "."
    )
    notes = [
        *_definition(group, "the pupil and workforce files give only in some years"),
        f"Share of people of known ethnicity (or sex) in the group. {CENSUS_NOTE}",
        "Pupils: January school census (published); teachers: November workforce census.",
        *_low_count_note(data, "points"),
    ]
    if synthetic:
        notes.insert(0, SYNTHETIC_WORKFORCE + " Pupil figures are published.")
    spec = ChartSpec(
        name="rep_leaky_pipeline",
        title=title,
        alt_text=alt,
        source=f"{WORKFORCE}; {PUPILS}; {OGL}.",
        notes=notes,
        synthetic=synthetic,
        generator=WORKFORCE_GENERATOR,
    )

    fig, ax = house_axes(12)
    xs = {y: i for i, y in enumerate(years["year_start"].to_list())}
    ends: list[tuple[str, float, float]] = []
    for stage in STAGES:
        rows = data.filter(pl.col("stage") == stage)
        if rows.is_empty():
            continue
        colour, marker = STAGE_STYLE[stage]
        px = [xs[y] for y in rows["year_start"].to_list()]
        ax.plot(px, rows["share_pct"].to_list(), color=colour, linewidth=2)
        for x, y, low in zip(px, rows["share_pct"], rows["low_count"], strict=True):
            _mark(ax, x, y, colour, marker, bool(low))
        ends.append((stage, px[-1], float(rows["share_pct"][-1])))
    top_value = float(data["share_pct"].max())
    placed = _spread_labels([e[2] for e in ends], top_value * 1.15 * 0.085)
    for (stage, x, y), label_y in zip(ends, placed, strict=True):
        ax.annotate(
            f"{PLURAL[stage].capitalize()} {y:.1f}%",
            (x, y),
            xytext=(x + 0.25, label_y),
            textcoords="data",
            va="center",
            fontsize=9,
            color=text_colour(STAGE_STYLE[stage][0]),
            fontweight="bold",
        )
    # every other year labelled, so the labels sit level and apart at report size
    step = -(-len(xs) // 5)
    ax.set_xticks(list(xs.values())[::-step][::-1], years["academic_year"].to_list()[::-step][::-1])
    ax.set_xlim(-0.4, len(xs) + 2.2)
    ax.set_ylim(0, top_value * 1.15)
    ax.yaxis.set_major_formatter(PERCENT)
    ax.set_ylabel("% of people of known ethnicity")
    return finish(fig, ax, spec), spec, data


# --- 2. Gap trends with the parity projection ----------------------------------------------------


def gap_trends(
    gaps: pl.DataFrame,
    trends: pl.DataFrame,
    group_set: str = "ethnicity_minority_ethnic",
    group: str = MINORITY_ETHNIC,
    comparator: str = "Classroom teacher",
    area: str = "England",
) -> tuple[Figure, ChartSpec, pl.DataFrame]:
    """The gap (leadership grade minus comparator, percentage points) by year for the three
    leadership grades, with the mart's verdict on each trend. A trend whose slope interval
    includes 0 (`trend_clear` false) is 'no clear trend' and is not extended; a clear closing
    trend is extended to parity only within the mart's horizon (`parity_within_horizon`), and
    never past `trend_horizon_year_start`. Reads marts.rep_representation_gaps and
    marts.rep_gap_trends; the shaded band is how far unknown ethnicity could move the gap."""
    grades = ("Assistant head teacher", "Deputy head teacher", "Head teacher")
    keep = (
        (pl.col("group_set") == group_set)
        & (pl.col("group_name") == group)
        & (pl.col("comparator") == comparator)
        & (pl.col("area_name") == area)
        & pl.col("grade").is_in(grades)
    )
    observed = gaps.filter(keep).sort("grade_order", "year_start")
    fitted = trends.filter(keep).sort("grade_order")
    if observed.is_empty() or fitted.is_empty():
        raise ValueError(f"no gap rows for {group} in {area} against {comparator}")
    data = observed.select(
        "academic_year",
        "year_start",
        "grade",
        "comparator",
        "group_name",
        "grade_share_pct",
        "comparator_share_pct",
        "gap_pp",
        "gap_pp_lower_bound",
        "gap_pp_upper_bound",
        "low_count",
        "provenance",
    ).join(
        fitted.select(
            "grade",
            "gap_change_pp_per_year",
            "gap_change_ci_lower_pp",
            "gap_change_ci_upper_pp",
            "trend",
            "trend_clear",
            "year_of_parity",
            "parity_within_horizon",
            "trend_horizon_year_start",
            "first_year_start",
            "last_year_start",
        ),
        on="grade",
        how="left",
    )
    synthetic = _is_synthetic(data) or _is_synthetic(fitted)
    words = _group_words(group)
    heads = fitted.filter(pl.col("grade") == "Head teacher").row(0, named=True)
    rows = list(fitted.iter_rows(named=True))
    horizon = int(heads["trend_horizon_year_start"])
    horizon_year = f"{horizon}/{(horizon + 1) % 100:02d}"
    gap_words = (
        f"The {words} gap between head teachers and {PLURAL[comparator]} "
        f"({heads['latest_gap_pp']:+.1f} points in {heads['last_academic_year']})"
    )
    verdict = _trend_verdict(heads, horizon_year)
    if verdict.startswith("parity"):
        title = (
            f"At the recent trend, the {words} gap between head teachers and "
            f"{PLURAL[comparator]} would close in {heads['year_of_parity']}"
        )
    elif verdict == "no clear trend":
        title = f"{gap_words} shows no clear trend over {heads['years_in_trend']} years"
    else:
        title = f"{gap_words} is {verdict}"
    alt = (
        (
            "SYNTHETIC DATA, illustrative only: the teacher figures are synthetic. "
            if synthetic
            else ""
        )
        + f"{title}. Line chart of the percentage-point gap between the {words} share of each "
        f"leadership grade and of {PLURAL[comparator]}, {area}, with the verdict on the trend "
        f"of the latest {heads['years_in_trend']} years. "
        + " ".join(
            f"{PLURAL[r['grade']].capitalize()}: {r['latest_gap_pp']:+.1f} points in "
            f"{r['last_academic_year']}, changing {r['gap_change_pp_per_year']:+.2f} points a "
            f"year (95% interval {r['gap_change_ci_lower_pp']:+.2f} to "
            f"{r['gap_change_ci_upper_pp']:+.2f}), {_trend_verdict(r, horizon_year)}."
            for r in rows
        )
    )
    notes = [
        *_definition(group),
        f"Gap = {words} share of the grade minus its share of {PLURAL[comparator]}, people of "
        "known ethnicity; below 0 = under-represented. Band: how far unknown and refused "
        "ethnicity could move the head teacher gap. " + CENSUS_NOTE,
        f"Trend: least-squares line through the latest {heads['years_in_trend']} years. 'No "
        "clear trend' when the 95% interval of its slope (t, from the year-to-year scatter "
        "about the line) includes 0. A clear closing trend is extended (dashed) to parity only "
        f"up to {horizon_year}, {horizon - int(heads['last_year_start'])} years after the "
        "latest data: a description of the recent trend, not a forecast.",
        *_low_count_note(data, "points"),
    ]
    if synthetic:
        notes.insert(0, SYNTHETIC_WORKFORCE)
    spec = ChartSpec(
        name="rep_gap_trends",
        title=title,
        alt_text=alt,
        source=f"{WORKFORCE}; {OGL}.",
        notes=notes,
        synthetic=synthetic,
        generator=WORKFORCE_GENERATOR,
    )

    fig, ax = house_axes(10)
    last_observed = int(data["year_start"].max())
    extended = [r for r in rows if r["trend_clear"] and r["trend"] == "closing"]
    right = horizon if extended else last_observed
    handles, labels = [], []
    for r in rows:
        colour, marker = STAGE_STYLE[r["grade"]]
        series = data.filter(pl.col("grade") == r["grade"])
        years_ = series["year_start"].to_list()
        if r["grade"] == "Head teacher":
            ax.fill_between(
                years_,
                series["gap_pp_lower_bound"].to_list(),
                series["gap_pp_upper_bound"].to_list(),
                color=colour,
                alpha=0.12,
                linewidth=0,
            )
        (handle,) = ax.plot(
            years_, series["gap_pp"].to_list(), color=colour, linewidth=2, marker=marker
        )
        for x, y, low in zip(years_, series["gap_pp"], series["low_count"], strict=True):
            if low:
                _mark(ax, x, y, colour, marker, True, size=5)
        if r in extended:
            slope, last = r["gap_change_pp_per_year"], r["last_year_start"]
            end = min(r["parity_year_start"], horizon)
            ax.plot(
                [last, end],
                [r["fitted_latest_gap_pp"], r["fitted_latest_gap_pp"] + slope * (end - last)],
                color=colour,
                linestyle="--",
                linewidth=1.5,
            )
        handles.append(handle)
        labels.append(f"{PLURAL[r['grade']].capitalize()}: {_trend_verdict(r, horizon_year)}")
    ax.axhline(0, color=TEXT, linewidth=1)
    ax.annotate(
        "Parity", (0, 0), xycoords=("axes fraction", "data"), xytext=(2, 3),
        textcoords="offset points", fontsize=9, color=TEXT, va="bottom",
    )  # fmt: skip
    ax.set_xlim(data["year_start"].min() - 0.5, right + 0.5)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    ax.xaxis.set_major_formatter(YearFormatter())
    low_edge = min(0.0, float(data["gap_pp_lower_bound"].min()))
    ax.set_ylim(low_edge * 1.1, max(1.0, float(data["gap_pp_upper_bound"].max()) + 1))
    ax.yaxis.set_major_formatter(ExactFormatter())
    ax.set_ylabel("Gap (percentage points)")
    ax.set_xlabel("Academic year")
    ax.legend(handles, labels, loc="best", frameon=True, framealpha=1, edgecolor=GRID, fontsize=9)
    return finish(fig, ax, spec), spec, data


def _trend_verdict(row: dict, horizon_year: str) -> str:
    """How a trend reads, from the mart's flags: no clear trend, widening, narrowing without
    parity inside the horizon, or the parity year."""
    if not row["trend_clear"]:
        return "no clear trend"
    if row["trend"] == "closing":
        if row["parity_within_horizon"]:
            return f"parity {row['year_of_parity']}"
        return f"narrowing, no parity by {horizon_year}"
    return "widening" if row["trend"] == "widening" else row["trend"]


# --- 3. NPQ participants against their feeder grades ---------------------------------------------


def _npq_claim(minority: pl.DataFrame) -> str:
    """What the title may claim, from the mart's flags: more diverse than a grade only where the
    gap is positive and its sign survives unknown ethnicity (gap_sign_robust)."""
    rows = list(minority.iter_rows(named=True))
    robust = [r for r in rows if r["gap_pp"] > 0 and r["gap_sign_robust"]]
    unclear = [r for r in rows if r not in robust]

    def grades(group: list[dict]) -> str:
        names = [f"{PLURAL[r['feeder_grade']]} ({r['feeder_share_pct']:.1f}%)" for r in group]
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]

    if not unclear:
        return (
            "more ethnically diverse than every teacher grade, even with unknown ethnicity bounded"
        )
    if not robust:
        return "not clearly more ethnically diverse than any teacher grade"
    more = grades(robust) if len(robust) <= 2 else f"{len(robust)} of {len(rows)} teacher grades"
    return (
        f"more than {more}, but not clearly more than {grades(unclear)} once unknown "
        "ethnicity is bounded"
    )


def npq_pipeline(
    mart: pl.DataFrame, funding: str = "Overall", year: str | None = None
) -> tuple[Figure, ChartSpec, pl.DataFrame]:
    """Ethnic minority and female shares among NPQ participants (all courses) against each
    grade they are drawn from, one panel per group. Reads marts.rep_npq_pipeline; course rows
    have no participant share (the NPQ file does not cross course with ethnicity or sex)."""
    panels = (
        ("ethnicity_white_vs_minority", "Ethnic minority", "people of known ethnicity"),
        ("sex", "Female", "people of known sex"),
    )
    rows = mart.filter(
        (pl.col("funding") == funding)
        & (pl.col("course_code") == "All")
        & pl.struct("group_set", "group_name").is_in(
            [{"group_set": s, "group_name": g} for s, g, _ in panels]
        )
    )
    if rows.is_empty():
        raise ValueError(f"no all-course NPQ pipeline rows for funding {funding}")
    year = year or rows.sort("year_start")["academic_year"][-1]
    data = (
        rows.filter(pl.col("academic_year") == year)
        .sort("group_set", "feeder_order")
        .select(
            "academic_year",
            "funding",
            "course_name",
            "feeder_grade",
            "feeder_order",
            "group_set",
            "group_name",
            "npq_participants",
            "npq_share_pct",
            "feeder_headcount",
            "feeder_share_pct",
            "gap_pp",
            "gap_pp_lower_bound",
            "gap_pp_upper_bound",
            "gap_sign_robust",
            "low_count",
            "provenance",
        )
    )
    synthetic = _is_synthetic(data)
    minority = data.filter(pl.col("group_name") == "Ethnic minority")
    heads = minority.filter(pl.col("feeder_grade") == "Head teacher").row(0, named=True)
    title = f"NPQ participants in {year} were {heads['npq_share_pct']:.1f}% ethnic minority: " + (
        _npq_claim(minority)
    )
    alt = (
        ("SYNTHETIC DATA, illustrative only. " if synthetic else "")
        + f"{title}. Two bar charts, {year}, England, {funding.lower()} funding: the share of "
        "NPQ participants (all courses) who are ethnic minority and who are female, beside the "
        "same share in each teacher grade. "
        + " ".join(
            f"{g}: NPQ participants {d['npq_share_pct'][0]:.1f}%; "
            + "; ".join(
                f"{PLURAL[r['feeder_grade']]} {r['feeder_share_pct']:.1f}%"
                for r in d.iter_rows(named=True)
            )
            + "."
            for g, d in ((g, data.filter(pl.col("group_name") == g)) for _, g, _ in panels)
            if d.height
        )
    )
    notes = [
        *_definition("Ethnic minority", "the NPQ participant file does not have"),
        "Participants: unique people starting any NPQ; shares of people of known ethnicity or "
        "sex. The NPQ file gives course and ethnicity or sex only as separate breakdowns, so "
        "the course-level comparison (e.g. NPQH against deputy and assistant heads) cannot be "
        "made yet; marts.rep_npq_pipeline holds each course's feeder benchmark.",
        "NPQ participants include people outside state-funded schools; teachers are the "
        "state-funded workforce. " + CENSUS_NOTE,
        "*: the gap between NPQ participants and this grade could change sign once people of "
        "unknown or refused ethnicity (or sex) are counted either way (gap_sign_robust false "
        "in marts.rep_npq_pipeline).",
        *_low_count_note(data, "bars"),
    ]
    if synthetic:
        notes.insert(0, f"{SYNTHETIC_NPQ} {SYNTHETIC_WORKFORCE}")
    spec = ChartSpec(
        name="rep_npq_pipeline",
        title=title,
        alt_text=alt,
        source=f"{NPQ}; {WORKFORCE}; {OGL}.",
        notes=notes,
        synthetic=synthetic,
        generator=f"{NPQ_GENERATOR} and {WORKFORCE_GENERATOR}",
    )

    fig, axes = _panels(1, len(panels), figsize=full_column(7), sharey=True)
    for ax, (group_set, group, basis) in zip(axes, panels, strict=True):
        _panel_axes(ax, "x")
        d = data.filter((pl.col("group_set") == group_set) & (pl.col("group_name") == group))
        if d.is_empty():
            continue
        labels = ["NPQ participants", *[PLURAL[g].capitalize() for g in d["feeder_grade"]]]
        values = [float(d["npq_share_pct"][0]), *d["feeder_share_pct"].to_list()]
        colours = [ORANGE, *[DARK_BLUE] * d.height]
        lows = [False, *d["low_count"].to_list()]
        # '*': the sign of the gap to NPQ participants could reverse with unknown ethnicity
        marks = ["", *["" if r else "*" for r in d["gap_sign_robust"].fill_null(False)]]
        for i, (value, colour, low) in enumerate(zip(values, colours, lows, strict=True)):
            ax.barh(
                i,
                value,
                color="white" if low else colour,
                edgecolor=colour,
                hatch="//" if i == 0 else None,
            )
            ax.text(
                value + max(values) * 0.02, i, f"{value:.1f}%{marks[i]}", va="center", fontsize=9,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5}, zorder=4,
            )  # fmt: skip
        ax.axvline(values[0], color=ORANGE, linestyle="--", linewidth=1.2)
        ax.set_yticks(range(len(labels)), labels)
        ax.set_ylim(len(labels) - 0.5, -0.5)
        ax.tick_params(axis="y", length=0)
        ax.set_xlim(0, max(values) * 1.25)
        ax.xaxis.set_major_formatter(PERCENT)
        ax.set_xlabel(f"% of {basis}")
        ax.set_title(f"{group} share", fontsize=10, loc="left", color=TEXT)
    return finish(fig, list(axes), spec), spec, data


def _panels(
    rows: int, cols: int, figsize: tuple[float, float], sharey: bool = True
) -> tuple[Figure, list[plt.Axes]]:
    fig, axes = plt.subplots(
        rows, cols, figsize=figsize, layout="constrained", sharey=sharey, squeeze=False
    )
    return fig, [ax for row in axes for ax in row]


# --- 4. Regional small multiples -----------------------------------------------------------------


def regional_small_multiples(
    workforce: pl.DataFrame,
    group_set: str = "ethnicity_white_vs_minority",
    group: str = "Ethnic minority",
    grades: tuple[str, str] = ("Classroom teacher", "Head teacher"),
) -> tuple[Figure, ChartSpec, pl.DataFrame]:
    """One panel per area (England first, then the nine regions): the group's share among
    classroom teachers and among head teachers by year, same scale throughout. Reads
    marts.rep_workforce_by_grade."""
    rows = workforce.filter(
        (pl.col("group_set") == group_set)
        & (pl.col("group_name") == group)
        & pl.col("grade").is_in(grades)
    )
    if rows.is_empty():
        raise ValueError(f"no workforce rows for {group_set} / {group}")
    data = rows.sort("geographic_level", "area_code", "grade_order", "year_start").select(
        "academic_year",
        "year_start",
        "geographic_level",
        "area_code",
        "area_name",
        "grade",
        "group_name",
        "headcount",
        "share_of_known_pct",
        "low_count",
        "provenance",
    )
    synthetic = _is_synthetic(data)
    latest_year = data["year_start"].max()
    latest = data.filter(pl.col("year_start") == latest_year)
    wide = (
        latest.pivot(
            on="grade", index=["area_name", "geographic_level"], values="share_of_known_pct"
        )
        .with_columns((pl.col(grades[0]) - pl.col(grades[1])).alias("gap"))
        .sort("gap", descending=True)
    )
    regions = wide.filter(pl.col("geographic_level") == "Regional")
    widest = regions.row(0, named=True)
    narrowest = regions.row(-1, named=True)
    year = latest["academic_year"][0]
    words = _group_words(group)
    title = (
        f"In {year}, the {words} gap between {PLURAL[grades[0]]} and {PLURAL[grades[1]]} was "
        f"widest in {widest['area_name']} ({widest[grades[0]]:.1f}% vs {widest[grades[1]]:.1f}%)"
    )
    alt = (
        (
            "SYNTHETIC DATA, illustrative only: the teacher figures are synthetic. "
            if synthetic
            else ""
        )
        + f"{title}. Small-multiple line charts, one per area, of the {words} share of "
        f"{PLURAL[grades[0]]} and of {PLURAL[grades[1]]} (people of known ethnicity) from "
        f"{data['academic_year'].min()} to {year}. {year} by area: "
        + "; ".join(
            f"{r['area_name']} {r[grades[0]]:.1f}% vs {r[grades[1]]:.1f}%"
            for r in wide.iter_rows(named=True)
        )
        + f". Narrowest regional gap: {narrowest['area_name']}."
    )
    notes = [
        *_definition(group, "the regional workforce rows do not have"),
        f"Share of people of known ethnicity; gap: {PLURAL[grades[0]]} minus "
        f"{PLURAL[grades[1]]}, percentage points. Every year is in the chart data. " + CENSUS_NOTE,
        *_low_count_note(latest, "points shown"),
    ]
    if synthetic:
        notes.insert(0, SYNTHETIC_WORKFORCE)
    spec = ChartSpec(
        name="rep_regional_gaps",
        title=title,
        alt_text=alt,
        source=f"{WORKFORCE}; {OGL}.",
        notes=notes,
        synthetic=synthetic,
        generator=WORKFORCE_GENERATOR,
    )

    # One row per area, the two grades' shares as dots joined by the gap: every area on the same
    # scale and readable, whatever the spread between London and the rest.
    order = pl.concat(
        [wide.filter(pl.col("geographic_level") != "Regional"), regions]
    )  # England first, then regions by gap, widest first
    fig, ax = house_axes(1.0 * order.height + 3)
    ax.yaxis.grid(False)
    ax.xaxis.grid(True, color=GRID, linewidth=0.8)
    styles = {grades[0]: (DARK_BLUE, "o"), grades[1]: (DARK_PINK, "D")}
    for i, r in enumerate(order.iter_rows(named=True)):
        ax.plot([r[grades[1]], r[grades[0]]], [i, i], color=DARK_GREY, linewidth=1.5, zorder=1)
        ax.text(
            1.02, i, f"{r['gap']:.1f}", transform=ax.get_yaxis_transform(), va="center",
            fontsize=9, color=TEXT,
        )  # fmt: skip
    low_keys = {
        (a, g)
        for a, g in latest.filter(pl.col("low_count")).select("area_name", "grade").iter_rows()
    }
    for grade in grades:
        colour, marker = styles[grade]
        for i, r in enumerate(order.iter_rows(named=True)):
            _mark(ax, [r[grade]], [i], colour, marker, (r["area_name"], grade) in low_keys, 7)
        ax.plot([], [], color=colour, marker=marker, linestyle="none", label=PLURAL[grade])
    ax.text(
        1.02, -0.9, "Gap\n(pts)", transform=ax.get_yaxis_transform(), va="bottom", fontsize=9,
        color=TEXT, fontweight="bold",
    )  # fmt: skip
    ax.set_yticks(range(order.height), order["area_name"].to_list())
    ax.set_ylim(order.height - 0.5, -1.0)
    ax.tick_params(axis="y", length=0)
    ax.set_xlim(0, float(order.select(grades[0], grades[1]).max_horizontal().max()) * 1.08)
    ax.xaxis.set_major_formatter(PERCENT)
    ax.set_xlabel(f"{group} share, {year} (% of people of known ethnicity)")
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1), ncols=2, frameon=False, fontsize=9)
    return finish(fig, ax, spec), spec, data
