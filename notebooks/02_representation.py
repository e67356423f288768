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
# # Representation gaps: pupils, teachers, leaders and the NPQ pipeline
#
# **What you can ask here.** Are leaders from ethnic minority backgrounds and women
# under-represented at each step to headship, in England or in one region? Against which
# comparator (classroom teachers, all teachers, pupils) is the gap widest, could unknown
# ethnicity reverse it, and is it closing? Is NPQ participation widening or narrowing it? Set
# `AREA` and `COMPARATOR` in the parameters cell below to ask it of another area or comparator.
#
# **How to read it.** Every number below is read from the **published** marts
# (`data/marts/npq_observatory.duckdb`, opened read-only, so it never blocks a refresh); run
# `python -m pipelines.cli run` first, or set `NPQ_MARTS_DIR` to read a publication elsewhere.
# Sentences with numbers are computed from those tables, and the charts are drawn by the same
# functions as the published chart pack (`pipelines/charts/representation.py`). Caveats sit
# next to the numbers they qualify.
#
# **Words.** *Ethnic minority* means every known group outside White (the "global majority");
# *Other White* (Irish, Gypsy/Roma, Traveller of Irish heritage, any other White background) is
# kept apart from it and from White British. *Unknown* (refused or not obtained) is its own group,
# never pooled into another. Shares of a known group are of people whose ethnicity (or sex) is
# known, DfE's basis for teacher headlines; the pupil headline (White British share) is of all
# pupils, Unclassified included, as DfE publishes it.


# %% tags=["parameters"]
# Parameters: the gap sections below read these (papermill can inject others).
AREA = "England"  # "England" or a region name (area_name in rep_representation_gaps)
COMPARATOR = "Classroom teacher"  # "Classroom teacher", "All teachers" or "Pupils"

# %%
import io
import re

import duckdb
import matplotlib.pyplot as plt
import polars as pl
from IPython.display import Image, Markdown, display

from pipelines.charts.representation import (
    MINORITY_ETHNIC,
    gap_trends,
    leaky_pipeline,
    npq_pipeline,
    regional_small_multiples,
)
from pipelines.paths import published_db_path

pl.Config.set_tbl_rows(40)
pl.Config.set_tbl_cols(20)
pl.Config.set_fmt_str_lengths(80)

MARTS = (
    "rep_workforce_by_grade",
    "rep_pupils_by_ethnicity",
    "rep_representation_gaps",
    "rep_leaky_pipeline",
    "rep_gap_trends",
    "rep_npq_pipeline",
    "rep_published_checks",
)
db = published_db_path()
with duckdb.connect(str(db), read_only=True) as con:
    marts = {name: con.sql(f"SELECT * FROM {name}").pl() for name in MARTS}
    published_at = con.sql("SELECT max(published_at) FROM _publication").fetchall()[0][0]
workforce, pupils, gaps, leaky, trends, npq, checks = (marts[name] for name in MARTS)


def say(text: str) -> None:
    """Show a sentence computed from the data."""
    display(Markdown(text))


def show(figure: plt.Figure) -> Image:
    """The chart as the chart pack saves it (title, source line and notes included)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return Image(data=buffer.getvalue(), format="png")


def provenance_note(frame: pl.DataFrame, what: str) -> str:
    counts = dict(frame.group_by("provenance").len().iter_rows())
    parts = ", ".join(f"{n:,} {p}" for p, n in sorted(counts.items()))
    if "synthetic" not in counts:
        return f"{what}: {frame.height:,} rows ({parts}); no synthetic input."
    return (
        f"**{what}: {counts['synthetic']:,} of {frame.height:,} rows are SYNTHETIC** ({parts}). "
        "The teacher workforce by grade x sex x ethnicity is a synthetic stand-in "
        "(`pipelines/synthetic/workforce.py`) calibrated to every published total and headline "
        "share we hold, and the NPQ ethnicity and sex breakdowns are synthetic too "
        "(`pipelines/synthetic/npq.py`). Read the teacher and NPQ numbers as illustrations of "
        "the method, not as official statistics, until the real files are fetched."
    )


say(
    f"Read `{db}`, published {published_at}: "
    + ", ".join(f"`{name}` ({marts[name].height:,} rows)" for name in MARTS)
    + "."
)

# %% [markdown]
# ## 1. Published headline figures reproduced
#
# `rep_published_checks`: every published headline on representation that names a grade, a
# group and a basis the marts have, with the mart value rounded as the figure was published.

# %%
summary = checks.group_by("confidence", "verdict", "provenance").len().sort("confidence", "verdict")
official = checks.filter(pl.col("confidence") == "official")
say(
    f"{official.filter(pl.col('verdict') == 'matches').height} of {official.height} official "
    "figures are reproduced exactly, for example: "
    + "; ".join(
        f"{r['population']}, {r['measure']} {r['academic_year']}: published {r['published_text']},"
        f" mart {r['mart_value_rounded']:g}"
        for r in official.filter(
            pl.col("measure").str.contains("percent|share")
            & pl.col("population").is_in(["Pupils: Total", "Head teacher"])
            & pl.col("academic_year").is_in(["2015/16", "2016/17", "2021/22"])
        ).iter_rows(named=True)
    )
    + "."
)
say(
    "**Caveat.** Pupil figures are published, so their match confirms the pipeline. Teacher "
    "figures are synthetic, calibrated to these very headlines: their match shows the "
    "calibration held, not that an official series confirms it. Secondary-source figures (news, "
    "blogs) are checked too and may differ: "
    + "; ".join(
        f"{r['population']} {r['measure']} {r['academic_year']}: published "
        f"{r['published_text']}, mart {r['mart_value_rounded']:g}"
        for r in checks.filter(pl.col("verdict") == "does not match").iter_rows(named=True)
    )
    + ". Not checkable (no mart row for the year): "
    + "; ".join(
        f"{r['population']} {r['measure']} {r['academic_year']} ({r['confidence']})"
        for r in checks.filter(pl.col("mart_value").is_null()).iter_rows(named=True)
    )
    + "."
)
summary

# %% [markdown]
# ## 2. The leaky pipeline
#
# `rep_leaky_pipeline`: one row per year x group x stage, from pupils to classroom teachers,
# assistant heads, deputy heads and head teachers. The pupil stage exists only in years with a
# pupil census file (2015/16 to 2021/22 in the embedded data) and never for sex.

# %%
say(provenance_note(leaky, "Leaky pipeline"))
figure, spec, chart_data = leaky_pipeline(leaky)
year = re.search(r"\d{4}/\d{2}", spec.title).group(0)  # the year the title speaks of
steps = leaky.filter(  # the chart's group: minority ethnic, all except White British
    (pl.col("academic_year") == year)
    & (pl.col("group_set") == "ethnicity_minority_ethnic")
    & (pl.col("group_name") == MINORITY_ETHNIC)
).sort("stage_order")
moves = steps.filter(pl.col("step_change_pp").is_not_null())
biggest = moves.sort("step_change_pp").row(0, named=True)
teacher_steps = moves.filter(pl.col("previous_stage") != "Pupils")
say(
    f"**{spec.title}.** Step by step in {year}: "
    + "; ".join(
        f"{r['stage'].lower()} {r['share_pct']:.1f}%"
        + (f" ({r['step_change_pp']:+.1f} points)" if r["step_change_pp"] is not None else "")
        for r in steps.iter_rows(named=True)
    )
    + f". The biggest single fall is from {biggest['previous_stage'].lower()} to "
    f"{biggest['stage'].lower()}s ({biggest['step_change_pp']:+.1f} points); among teachers "
    + (
        "the share falls again at every step to headship."
        if (teacher_steps["step_change_pp"] < 0).all()
        else "it does not fall at every step: "
        + "; ".join(
            f"{r['previous_stage'].lower()} to {r['stage'].lower()} {r['step_change_pp']:+.1f}"
            for r in teacher_steps.filter(pl.col("step_change_pp") >= 0).iter_rows(named=True)
        )
        + "."
    )
    + (" **The teacher figures are synthetic.**" if spec.synthetic else "")
)
say(
    "**Caveat.** Pupils are counted in January, teachers in November, and the 2015/16 and "
    "2016/17 pupil totals cover a narrower population than later years (percentages stay "
    "comparable). Both censuses count whole populations: year-to-year movement is change in "
    "the population or in recording, not sampling noise, so no intervals are drawn."
)
show(figure)

# %%
women = leaky.filter(
    (pl.col("group_set") == "sex")
    & (pl.col("group_name") == "Female")
    & (pl.col("year_start") == leaky["year_start"].max())
).sort("stage_order")
say(
    f"Women, {women['academic_year'][0]}: "
    + "; ".join(f"{r['stage'].lower()} {r['share_pct']:.1f}%" for r in women.iter_rows(named=True))
    + ". The pupil file has no sex breakdown, so this chain starts at classroom teachers."
)

# %% [markdown]
# ## 3. Gaps and how far unknown ethnicity could move them
#
# `rep_representation_gaps`: a group's share at a grade minus its share among classroom
# teachers, all teachers or pupils (percentage points), and the ratio of the two. The bounds
# put every teacher of unknown ethnicity at the grade outside the group and every unknown in
# the comparator inside it (and the reverse): the range the gap could take.

# %%
latest = gaps["year_start"].max()
table = gaps.filter(
    (pl.col("area_name") == AREA)
    & (pl.col("group_set") == "ethnicity_white_vs_minority")
    & (pl.col("group_name") == "Ethnic minority")
    & (pl.col("year_start") == latest)
).select(
    "academic_year",
    "grade",
    "comparator",
    "grade_share_pct",
    "comparator_share_pct",
    "gap_pp",
    "representation_ratio",
    "gap_pp_lower_bound",
    "gap_pp_upper_bound",
    "gap_sign_robust",
    "low_count",
    "provenance",
)
heads = table.filter(
    (pl.col("grade") == "Head teacher") & (pl.col("comparator") == COMPARATOR)
).row(0, named=True)
fragile = table.filter(~pl.col("gap_sign_robust"))
say(
    f"In {heads['academic_year']} ({AREA}), ethnic minority people were "
    f"{heads['grade_share_pct']:.1f}% of head teachers against "
    f"{heads['comparator_share_pct']:.1f}% of {COMPARATOR.lower()}: a "
    f"gap of {heads['gap_pp']:+.1f} points (ratio {heads['representation_ratio']:.2f}). Even if "
    "every unknown fell on the side that narrows it most, the gap would be "
    f"{heads['gap_pp_upper_bound' if heads['gap_pp'] < 0 else 'gap_pp_lower_bound']:+.1f} "
    "points."
    + (
        " **Not robust to unknown ethnicity** (the sign could flip): "
        + "; ".join(f"{r['grade']} vs {r['comparator']}" for r in fragile.iter_rows(named=True))
        + "."
        if fragile.height
        else " Every gap in this table keeps its sign whatever the unknowns are."
    )
)
table

# %% [markdown]
# ## 4. Is the gap closing?
#
# `rep_gap_trends`: the least-squares change of each gap per year over the latest five years
# and, where it is closing, the academic year the straight line reaches parity; otherwise "not
# closing". A straight line through five census years describes the recent trend; it is not a
# forecast.

# %%
figure, spec, chart_data = gap_trends(gaps, trends)
national = trends.filter(
    (pl.col("area_name") == AREA)
    & (pl.col("group_set") == "ethnicity_white_vs_minority")
    & (pl.col("group_name") == "Ethnic minority")
)
say(
    f"**{spec.title}.** {AREA}, against {COMPARATOR.lower()}: "
    + "; ".join(
        f"{r['grade'].lower()} {r['latest_gap_pp']:+.1f} points, "
        f"{r['gap_change_pp_per_year']:+.2f} a year, {r['year_of_parity']}"
        for r in national.filter(pl.col("comparator") == COMPARATOR).iter_rows(named=True)
    )
    + ". Against pupils: "
    + "; ".join(
        f"{r['grade'].lower()} {r['year_of_parity']}"
        for r in national.filter(pl.col("comparator") == "Pupils").iter_rows(named=True)
    )
    + " (the pupil comparison ends in 2021/22, the last pupil file embedded)."
    + (" **The teacher figures are synthetic.**" if spec.synthetic else "")
)
show(figure)

# %% [markdown]
# ## 5. The NPQ pipeline against the grades it draws from
#
# `rep_npq_pipeline`: a group's share among NPQ participants against its share at the feeder
# grade (NPQH: deputy and assistant heads; NPQEL: head teachers; NPQSL and the specialist NPQs:
# classroom teachers, since the census has no middle-leader grade). A ratio above 1 means the
# pipeline is more diverse than the grade it draws from.

# %%
say(provenance_note(npq, "NPQ pipeline"))
figure, spec, chart_data = npq_pipeline(npq)
say(
    f"**{spec.title}.** Against deputy and assistant heads (the NPQH feeder), the ethnic "
    "minority share among all participants differs by "
    + "; ".join(
        f"{r['gap_pp']:+.1f} points (bounds {r['gap_pp_lower_bound']:+.1f} to "
        f"{r['gap_pp_upper_bound']:+.1f})"
        for r in chart_data.filter(
            (pl.col("feeder_grade") == "Deputy and assistant heads")
            & (pl.col("group_name") == "Ethnic minority")
        ).iter_rows(named=True)
    )
    + "."
)
unknown_npq = npq.filter(
    (pl.col("course_code") == "All")
    & (pl.col("funding") == "Overall")
    & (pl.col("feeder_grade") == "All teachers")
    & (pl.col("group_set") == "ethnicity_white_vs_minority")
    & (pl.col("group_name") == "Unknown")
).sort("year_start")
say(
    "**Caveats.** (1) The NPQ file gives course and ethnicity or sex only as separate "
    "breakdowns, so a course's own mix (NPQH participants against deputy and assistant heads) "
    "cannot be computed; the course rows carry the feeder benchmark and "
    "`npq_share_status = 'not_available'`. (2) Ethnicity is unknown for "
    + "; ".join(
        f"{r['npq_share_pct']:.1f}% of participants in {r['academic_year']}"
        for r in unknown_npq.iter_rows(named=True)
    )
    + ", far more than for teachers: see the bounds, which are wide. (3) Participants include "
    "people outside state-funded schools."
)
show(figure)

# %%
npq.filter(
    (pl.col("academic_year") == chart_data["academic_year"][0])
    & (pl.col("funding") == "Overall")
    & (pl.col("group_name") == "Ethnic minority")
).select(
    "course_code",
    "feeder_grade",
    "npq_share_pct",
    "npq_share_status",
    "feeder_share_pct",
    "gap_pp",
    "representation_ratio",
    "provenance",
)

# %% [markdown]
# ## 6. Regions
#
# `rep_workforce_by_grade` and `rep_representation_gaps` at regional level (teachers only: the
# embedded pupil file is national). Regional rows have major ethnic groups only, so the White
# British split is national.

# %%
figure, spec, chart_data = regional_small_multiples(workforce)
low = chart_data.filter(pl.col("low_count"))
say(
    f"**{spec.title}.** "
    + (
        f"{low.height} regional points rest on fewer than the low-count threshold of people "
        "and are drawn hollow: "
        + ", ".join(
            sorted({f"{r['area_name']} {r['grade'].lower()}" for r in low.iter_rows(named=True)})
        )
        + "."
        if low.height
        else "No regional point rests on a low count."
    )
    + (" **The teacher figures are synthetic.**" if spec.synthetic else "")
)
show(figure)

# %%
gaps.filter(
    (pl.col("year_start") == latest)
    & (pl.col("grade") == "Head teacher")
    & (pl.col("comparator") == COMPARATOR)
    & (pl.col("group_name") == "Ethnic minority")
).sort("gap_pp").select(
    "area_name", "grade_share_pct", "comparator_share_pct", "gap_pp", "low_count", "provenance"
)

# %% [markdown]
# ## Caveats
#
# - Teachers by grade, sex and ethnicity are **synthetic** where `provenance` says so:
#   calibrated to every published total held, not evidence about any school or region.
# - Pupils are counted in January and teachers in November; the pupil series ends in 2021/22.
# - Unknown ethnicity is its own group; the bounds in section 3 show how far it could move a
#   gap. Small counts are flagged `low_count`.
# - A trend line through five census years describes the recent past; it is not a forecast.
