"""Pilot charts: forest plot of effects, participant flow over three years, baseline balance.

Pure functions from mart frames to (figure, spec, data), called by the chart assets and by
notebooks/03_pilots.py. A count withheld by disclosure control is never drawn as 0: it is
written as "c" where its bar would be.
"""

import textwrap

import matplotlib.pyplot as plt
import polars as pl
from matplotlib.figure import Figure
from matplotlib.transforms import blended_transform_factory

from pipelines.charts.style import (
    DARK_BLUE,
    DARK_GREY,
    DARK_PINK,
    GRID,
    ORANGE,
    TEXT,
    TURQUOISE,
    ChartSpec,
    finish,
    full_column,
    house_axes,
    panel_axes,
)

SOURCE = (
    "Pilot evaluator files (pilots registered in data/raw/pilots/registry/pilots.yaml), "
    "NPQ Observatory analysis"
)
GENERATOR = "pipelines/pilots/synthetic.py"
SYNTHETIC_NOTE = (
    "SYNTHETIC pilot data (pipelines/pilots/synthetic.py, seeded) with planted effects: no "
    "pilot has been commissioned, so no real evaluator files exist yet."
)
YEAR_STYLE = {  # colour and marker, so the year is never told by colour alone
    "2025/26": (DARK_BLUE, "o"),
    "2026/27": (TURQUOISE, "s"),
    "2027/28": (ORANGE, "D"),
}
ARM_COLOURS = {"treatment": DARK_BLUE, "control": TURQUOISE, "comparison": TURQUOISE}


def _synthetic(frame: pl.DataFrame) -> bool:
    return bool((frame["provenance"] == "synthetic").any())


def _notes(frame: pl.DataFrame, *notes: str) -> list[str]:
    return [*notes, *([SYNTHETIC_NOTE] if _synthetic(frame) else [])]


ROW_STEP = 0.3  # vertical step between an outcome's evaluation years
EEF_COLUMNS = (  # header, chart-data column, x (fraction of the table panel), alignment
    ("n (T/C)", "n_label", 0.0, "left"),
    ("g [95% CI]", "g_label", 0.27, "left"),
    ("Months", "months_label", 0.74, "right"),
    ("Padlocks", "padlocks_label", 1.0, "right"),
)


def _eef_columns(data: pl.DataFrame, security: pl.DataFrame | None) -> pl.DataFrame:
    """The table beside the forest plot as text columns of the chart data."""
    if security is None:
        security = pl.DataFrame(
            schema={"pilot_id": pl.String, "evaluation_year": pl.String,
                    "primary_outcome": pl.String, "padlocks": pl.Int64,
                    "padlocks_status": pl.String}
        )  # fmt: skip
    rated = security.select(
        "pilot_id",
        "evaluation_year",
        pl.col("primary_outcome").alias("outcome_id"),
        "padlocks",
        pl.col("padlocks_status") if "padlocks_status" in security.columns else pl.lit("value"),
    ).with_columns(pl.lit(True).alias("_rated"))
    count = {
        side: pl.when(pl.col(f"n_{side}").is_not_null())
        .then(pl.col(f"n_{side}").cast(pl.String))
        .otherwise(pl.lit("c"))
        for side in ("treatment", "control")
    }
    return (
        data.join(rated, on=["pilot_id", "evaluation_year", "outcome_id"], how="left")
        .with_columns(
            pl.format("{}/{}", count["treatment"], count["control"]).alias("n_label"),
            pl.format(
                "{} [{}, {}]",
                *(
                    pl.col(c).map_elements(lambda v: f"{v:.2f}", return_dtype=pl.String)
                    for c in ("estimate", "ci_lower", "ci_upper")
                ),
            ).alias("g_label"),
            pl.when(pl.col("months_progress").is_not_null())
            .then(
                pl.format(
                    "{}{}",
                    pl.when(pl.col("months_progress") >= 0).then(pl.lit("+")).otherwise(pl.lit("")),
                    pl.col("months_progress"),
                )
            )
            .otherwise(pl.lit(""))
            .alias("months_label"),
            pl.when(pl.col("_rated").is_null())
            .then(pl.lit(""))
            .when((pl.col("padlocks_status") != "value") | pl.col("padlocks").is_null())
            .then(pl.lit("c"))
            .otherwise(pl.col("padlocks").cast(pl.String))
            .alias("padlocks_label"),
        )
        .drop("_rated", "padlocks_status")
    )


def _eef_table(ax, data: pl.DataFrame, position: dict, rows: int) -> None:
    """Year, n, g [CI], months and padlocks beside each estimate, on the forest plot's rows."""
    ax.set_axis_off()
    across = blended_transform_factory(ax.transAxes, ax.transData)
    years = list(YEAR_STYLE)
    for header, _, x, align in EEF_COLUMNS:
        ax.text(x, rows + 0.55, header, transform=across, ha=align, va="bottom", fontsize=9,
                fontweight="bold", color=TEXT)  # fmt: skip
    for r in data.iter_rows(named=True):
        k = years.index(r["evaluation_year"]) if r["evaluation_year"] in years else 0
        y = position[(r["pilot_id"], r["outcome_id"])] + (1 - k) * ROW_STEP
        for _, column, x, align in EEF_COLUMNS:
            ax.text(x, y, r[column], transform=across, ha=align, va="center", fontsize=9,
                    color=TEXT)  # fmt: skip


PRETREND_FLAGS = {"failed": "pre-trend test failed", "not testable": "pre-trend not testable"}
"""Difference-in-differences estimates whose parallel-trends check failed or could not be run
(`pretrend_status` in pilot_estimates): drawn with hollow markers and named in the label."""


def forest_plot(
    estimates: pl.DataFrame, security: pl.DataFrame | None = None
) -> tuple[Figure, ChartSpec, pl.DataFrame]:
    """Headline ITT effect (g scale) with its 95% CI per pilot x outcome x year, all units, and
    beside each estimate (on its row, the year told by marker and colour) the columns an EEF
    reader expects: n (treatment/control), g [95% CI], months' progress and padlocks
    (marts.pilot_security rates each pilot's primary outcome per year). A withheld count or
    rating reads c.

    An estimate whose pre-trend test failed or could not be run is drawn hollow, its row label
    says so, and a note explains it."""
    if "pretrend_status" not in estimates.columns:
        estimates = estimates.with_columns(pl.lit("not applicable").alias("pretrend_status"))
    data = (
        estimates.filter(
            pl.col("headline"),
            pl.col("analysis") == "itt",
            pl.col("subgroup") == "all",
            pl.col("estimate_status") == "value",
        )
        .select(
            "pilot_id",
            "outcome_id",
            "is_primary",
            "evaluation_year",
            "measure",
            "estimate",
            "ci_lower",
            "ci_upper",
            "n_treatment",
            "n_control",
            *(c for c in ("n_treatment_status", "n_control_status") if c in estimates.columns),
            "months_progress",
            "pretrend_status",
            "provenance",
        )
        .sort("pilot_id", pl.col("is_primary").not_(), "outcome_id", "evaluation_year")
    )
    data = _eef_columns(data, security)
    flagged = data.filter(pl.col("pretrend_status").is_in(list(PRETREND_FLAGS)))
    flags = {}
    for p, o, status in flagged.select("pilot_id", "outcome_id", "pretrend_status").iter_rows():
        flags.setdefault((p, o), set()).add(PRETREND_FLAGS[status])
    labels = data.select("pilot_id", "outcome_id", "is_primary").unique(maintain_order=True)
    position = {(p, o): len(labels) - i for i, (p, o, _) in enumerate(labels.iter_rows())}
    fig, (ax, table) = plt.subplots(
        1, 2, sharey=True, width_ratios=[1, 2.3], figsize=full_column(1.45 * len(labels) + 4),
        layout="constrained",
    )  # fmt: skip
    panel_axes(ax, "x")
    ax.yaxis.grid(False)
    ax.xaxis.grid(True, color=GRID, linewidth=0.8)
    ax.axvline(0, color=DARK_GREY, linewidth=1)
    for k, (year, (colour, marker)) in enumerate(YEAR_STYLE.items()):
        for hollow in (False, True):
            is_flagged = pl.col("pretrend_status").is_in(list(PRETREND_FLAGS))
            part = data.filter(
                pl.col("evaluation_year") == year, is_flagged if hollow else ~is_flagged
            )
            if part.is_empty():
                continue
            y = [
                position[(p, o)] + (1 - k) * ROW_STEP
                for p, o in zip(part["pilot_id"], part["outcome_id"], strict=True)
            ]
            ax.errorbar(
                part["estimate"], y,
                xerr=[part["estimate"] - part["ci_lower"], part["ci_upper"] - part["estimate"]],
                fmt=marker, color=colour, ecolor=colour, elinewidth=1.4, capsize=2, markersize=5,
                markerfacecolor="white" if hollow else colour, label=None if hollow else year,
            )  # fmt: skip
    ax.set_yticks(
        list(position.values()),
        [
            textwrap.fill(
                f"{p} {o.replace('_', ' ')}{' (primary)' if primary else ''}"
                + (f" [{'; '.join(sorted(flags[p, o]))}]" if (p, o) in flags else ""),
                18,
            )
            for p, o, primary in labels.iter_rows()
        ],
    )
    ax.set_xlabel("Effect size (g scale)")
    ax.legend(
        title="Evaluation year", frameon=False, loc="lower left", bbox_to_anchor=(0, 1),
        fontsize=9, ncols=1, title_fontsize=9,
    )  # fmt: skip
    _eef_table(table, data, position, len(labels))
    ax.set_ylim(0.45, len(labels) + 0.75)
    latest = data.filter(
        pl.col("is_primary"), pl.col("evaluation_year") == data["evaluation_year"].max()
    )
    clear = latest.filter((pl.col("ci_lower") > 0) | (pl.col("ci_upper") < 0))
    year = latest["evaluation_year"][0] if latest.height else "the latest year"
    title = (
        f"In {year}, {clear.height} of {latest.height} pilots' primary outcomes had a 95% "
        "interval excluding zero"
    )
    described = "; ".join(
        f"{r['pilot_id']} {r['outcome_id'].replace('_', ' ')} g = {r['estimate']:.2f} "
        f"(95% CI {r['ci_lower']:.2f} to {r['ci_upper']:.2f})"
        for r in latest.iter_rows(named=True)
    )
    spec = ChartSpec(
        name="pilot_forest_plot",
        half_page=False,
        title=title,
        alt_text=(
            f"Forest plot of intention-to-treat effects with 95% confidence intervals for the "
            f"five pilots' outcomes in 2025/26, 2026/27 and 2027/28. {title}. Primary outcomes "
            f"in {year}: {described}." + (" The data are synthetic." if _synthetic(data) else "")
        ),
        source=SOURCE + "; marts.pilot_estimates (headline rows, all units)",
        notes=_notes(
            data,
            "Intention to treat, complete cases, pre-specified covariates. Continuous outcomes: "
            "Hedges' g on the total variance of the unconditional model (Hedges 2007 for the "
            "cluster trial); binary: log odds ratio / 1.65; P4: matched difference-in-"
            "differences. Bars: 95% confidence intervals. n: units analysed, treatment/control; "
            "months: EEF months' progress where the outcome has a conversion; padlocks: EEF "
            "security rating of each pilot's primary outcome (marts.pilot_security); c: withheld "
            "by disclosure control.",
            *(
                [
                    "Hollow markers, labelled in brackets: difference-in-differences estimates "
                    "whose pre-trend test failed (p < 0.05) or could not be run (one "
                    "pre-programme period); the parallel-trends assumption behind them is not "
                    "supported, and pilot_security lowers their padlocks."
                ]
                if flags
                else []
            ),
        ),
        synthetic=_synthetic(data),
        generator=GENERATOR,
    )
    return finish(fig, ax, spec), spec, data


FLOW_STAGES = (
    ("allocated", "Allocated"),
    ("received", "Received"),
    ("lost", "Lost"),
    ("analysed", "Analysed"),
)
"""The CONSORT stages, top to bottom. marts.pilot_flow does not yet record who received the
programme, so that row reads n/r (not recorded) rather than a number."""


def participant_flow(flow: pl.DataFrame) -> tuple[Figure, ChartSpec, pl.DataFrame]:
    """Allocated and analysed units per arm and year, one panel per pilot (primary unit)."""
    primary_level = (
        flow.group_by("pilot_id")
        .agg(pl.col("unit_level").filter(pl.col("unit_level") != "school").first().alias("lvl"),
             pl.col("unit_level").first().alias("any"))
        .with_columns(pl.coalesce("lvl", "any").alias("unit_level"))
        .select("pilot_id", "unit_level")
    )  # fmt: skip
    data = (
        flow.join(primary_level, on=["pilot_id", "unit_level"])
        .filter(pl.col("arm") != "Total")
        .select("pilot_id", "unit_level", "evaluation_year", "arm", "stage", "units",
                "units_status", "percent_of_allocated", "provenance")
        .sort("pilot_id", "evaluation_year", "arm", "stage")
    )  # fmt: skip
    pilots = data["pilot_id"].unique().sort().to_list()
    years = sorted(data["evaluation_year"].unique().to_list())
    counts = {
        (r["pilot_id"], r["evaluation_year"], r["arm"], r["stage"]): r["units"]
        for r in data.iter_rows(named=True)
    }
    fig, axes = plt.subplots(
        len(pilots), 1, figsize=full_column(3.4 * len(pilots) + 1), layout="constrained",
        squeeze=False,
    )  # fmt: skip
    axes = list(axes[:, 0])
    box = {"boxstyle": "round,pad=0.3", "facecolor": "white", "edgecolor": DARK_GREY}
    arrow = {"arrowstyle": "-|>", "color": DARK_GREY, "linewidth": 0.8, "shrinkA": 7, "shrinkB": 7}
    for ax, pilot in zip(axes, pilots, strict=True):
        ax.set_axis_off()
        part = data.filter(pl.col("pilot_id") == pilot)
        arms = sorted(part["arm"].unique().to_list(), key=lambda a: a != "treatment")
        ax.set_xlim(-0.55, len(years))
        ax.set_ylim(-0.5, len(FLOW_STAGES) + 0.1)
        ax.set_title(
            f"{pilot} ({part['unit_level'][0]}s; T treatment, C {arms[-1]})",
            fontsize=10, loc="left", color=TEXT, fontweight="bold",
        )  # fmt: skip
        for k, (stage, label) in enumerate(FLOW_STAGES):
            y = len(FLOW_STAGES) - 1 - k
            ax.text(-0.5, y, label, ha="left", va="center", fontsize=9, color=TEXT)
            for j, year in enumerate(years):
                for a, arm in enumerate(arms):
                    x = j + 0.3 + 0.4 * a
                    letter = "T" if arm == "treatment" else "C"
                    if stage == "received":
                        value = "n/r"
                    elif (pilot, year, arm, stage) not in counts:
                        continue
                    else:
                        n = counts[(pilot, year, arm, stage)]
                        value = "c" if n is None else f"{n:,}"
                    ax.text(x, y, f"{letter} {value}", ha="center", va="center", fontsize=9,
                            color=TEXT, bbox=box)  # fmt: skip
                    if k:
                        ax.annotate("", (x, y), (x, y + 1), arrowprops=arrow)
        for j, year in enumerate(years):
            ax.text(j + 0.5, len(FLOW_STAGES) - 0.45, year, ha="center", va="bottom",
                    fontsize=9, color=TEXT, fontweight="bold")  # fmt: skip
    totals = flow.filter(pl.col("arm") == "Total", pl.col("stage") == "analysed").join(
        primary_level, on=["pilot_id", "unit_level"]
    )
    last = totals.filter(pl.col("evaluation_year") == totals["evaluation_year"].max())
    shares = last["percent_of_allocated"].drop_nulls()
    title = (
        f"In {last['evaluation_year'][0]}, {shares.min():.0f}% to {shares.max():.0f}% of those "
        "allocated were followed up, pilot by pilot"
    )
    spec = ChartSpec(
        name="pilot_participant_flow",
        half_page=False,
        title=title,
        alt_text=(
            "Participant flow diagrams in the CONSORT style, one row per pilot and a column per "
            f"evaluation year: units allocated, lost to follow-up and analysed in each arm. "
            f"{title}: "
            + "; ".join(
                f"{r['pilot_id']} {r['percent_of_allocated']:.0f}%"
                for r in last.sort("pilot_id").iter_rows(named=True)
                if r["percent_of_allocated"] is not None
            )
            + ". Counts below 10, and any count that would reveal one, are withheld (c)."
        ),
        source=SOURCE + "; marts.pilot_flow (after disclosure control)",
        notes=_notes(
            data,
            "Units on each pilot's primary outcome: participants (P1-P3), schools (P4), pupils "
            "(P5). Cohorts starting in later years add to the allocated count. c: withheld "
            "by disclosure control (fewer than 10, or would reveal such a count). n/r: not "
            "recorded (marts.pilot_flow has no received-the-programme stage yet).",
        ),
        synthetic=_synthetic(data),
        generator=GENERATOR,
    )
    finish(fig, axes, spec)
    return fig, spec, data


def _balance_title(data: pl.DataFrame) -> str:
    """The balance claim, from the mart's WWC bands: how many characteristics (as randomised, or
    after matching) fail the 0.25 SD standard, the largest of them, and how many matching made
    worse (larger absolute difference after than before)."""
    shown = data.filter(pl.col("sample") != "before matching")
    fails = shown.filter(pl.col("wwc_band") == "fails").sort(pl.col("smd").abs(), descending=True)
    keys = ["pilot_id", "unit_level", "covariate"]
    matched = data.filter(pl.col("sample") == "after matching").join(
        data.filter(pl.col("sample") == "before matching").select(
            *keys, pl.col("smd").alias("smd_before")
        ),
        on=keys,
    )
    worse = matched.filter(pl.col("smd").abs() > pl.col("smd_before").abs()).height
    worse_words = f"; {worse} got worse after matching" if worse else ""
    if fails.is_empty():
        return (
            f"All {shown.height} baseline characteristics are within 0.25 SD between arms"
            + worse_words
        )
    top = fails.row(0, named=True)
    return (
        f"{fails.height} of {shown.height} baseline characteristics fail the 0.25 SD balance "
        f"standard, largest {top['pilot_id']} {top['covariate'].replace('_', ' ')} "
        f"({top['unit_level']}) {top['smd']:+.2f} SD" + worse_words
    )


def balance_plot(balance: pl.DataFrame) -> tuple[Figure, ChartSpec, pl.DataFrame]:
    """Standardised mean differences at baseline per pilot x covariate, with the WWC bands."""
    data = balance.select(
        "pilot_id", "sample", "unit_level", "covariate", "smd", "smd_denominator",
        "n_treatment", "n_control", "wwc_band", "provenance",
        *(c for c in ("n_treatment_status", "n_control_status") if c in balance.columns),
    ).sort("pilot_id", "unit_level", "covariate", "sample")  # fmt: skip
    rows = data.select("pilot_id", "unit_level", "covariate").unique(maintain_order=True)
    position = {tuple(r): len(rows) - i for i, r in enumerate(rows.iter_rows())}
    fig, ax = house_axes(0.5 * len(rows) + 6)
    ax.yaxis.grid(False)
    ax.axvspan(-0.05, 0.05, color=TURQUOISE, alpha=0.12, linewidth=0)
    for edge in (-0.25, 0.25):
        ax.axvline(edge, color=DARK_GREY, linestyle="--", linewidth=0.9)
    ax.axvline(0, color=DARK_GREY, linewidth=0.8)
    styles = {
        "as randomised": (DARK_BLUE, "o", "full"),
        "before matching": (DARK_PINK, "o", "none"),
        "after matching": (DARK_PINK, "D", "full"),
    }
    for sample, (colour, marker, fill) in styles.items():
        part = data.filter(pl.col("sample") == sample)
        if part.is_empty():
            continue
        y = [position[k] for k in part.select("pilot_id", "unit_level", "covariate").iter_rows()]
        ax.plot(part["smd"], y, linestyle="none", marker=marker, fillstyle=fill, color=colour,
                markersize=6, label=sample)  # fmt: skip
    ax.set_yticks(
        list(position.values()),
        [f"{p} {c.replace('_', ' ')} ({lvl})" for p, lvl, c in position],
        fontsize=9,
    )
    ax.set_xlabel("Difference in SD, treatment minus control")
    ax.legend(frameon=True, framealpha=1, edgecolor=GRID, fontsize=9, loc="upper right")
    failing = {
        tuple(k)
        for k in data.filter(pl.col("sample") != "before matching", pl.col("wwc_band") == "fails")
        .select("pilot_id", "unit_level", "covariate")
        .iter_rows()
    }
    for key, label in zip(position, ax.get_yticklabels(), strict=True):
        if key in failing:  # a characteristic failing the 0.25 SD standard reads in bold pink
            label.set_color(DARK_PINK)
            label.set_fontweight("bold")
    title = _balance_title(data)
    before = data.filter(pl.col("sample") == "before matching")
    matched_note = (
        f"; before matching, the largest difference in the matched pilot was "
        f"{before['smd'].abs().max():.2f} SD"
        if before.height
        else ""
    )
    spec = ChartSpec(
        name="pilot_balance",
        half_page=False,
        title=title,
        alt_text=(
            "Dot plot of standardised mean differences between arms at baseline, one row per "
            f"pilot and characteristic, with the 0.05 and 0.25 SD bands. {title}{matched_note}."
        ),
        source=SOURCE + "; marts.pilot_balance",
        notes=_notes(
            data,
            "What Works Clearinghouse bands: within 0.05 SD (shaded) satisfies; 0.05 to 0.25 "
            "SD needs statistical adjustment; beyond 0.25 SD (dashed) fails (labels in bold). "
            "Matched pilot: "
            "open circles before, diamonds after propensity-score matching.",
        ),
        synthetic=_synthetic(data),
        generator=GENERATOR,
    )
    return finish(fig, ax, spec), spec, data
