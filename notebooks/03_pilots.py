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
# # Five pilot interventions over three years: reach, attrition, balance, impact, cost
#
# **What you can ask here.** How many schools and participants did each pilot reach and keep?
# Were the arms balanced at baseline? What effect did each pilot have, with what uncertainty,
# and how secure is that finding? What did it cost per participant? Set `PILOT` in the
# parameters cell below to look at one pilot only.
#
# The recommendations behind this project ask for five pilot interventions going beyond the
# NPQs, tracked and evaluated over 2025/26 to 2027/28. **No pilot has been commissioned yet:
# every number below comes from SYNTHETIC evaluator files** (generated, seeded, with planted
# effects) unless the `provenance` column says `evaluator`. The notebook shows what evaluators
# will get when real files arrive in `data/raw/pilots/<pilot_id>/<year>/`.
#
# Every number is read from the **published** marts (`data/marts/npq_observatory.duckdb`,
# opened read-only); run `python -m pipelines.cli run` first, or set `NPQ_MARTS_DIR`. Charts
# are drawn by the same functions as the chart pack (`pipelines/charts/pilots.py`).


# %% tags=["parameters"]
# Parameters: every cell below reads these (papermill can inject others).
PILOT = None  # one pilot id from the registry (e.g. "P2"), or None for all five

# %%
import io

import duckdb
import matplotlib.pyplot as plt
import polars as pl
from IPython.display import Image, Markdown, display

from pipelines.charts.pilots import balance_plot, forest_plot, participant_flow
from pipelines.paths import published_db_path

pl.Config.set_tbl_rows(40)
pl.Config.set_tbl_cols(16)
pl.Config.set_fmt_str_lengths(70)

MARTS = (
    "pilot_registry",
    "pilot_flow",
    "pilot_balance",
    "pilot_estimates",
    "pilot_security",
    "pilot_costs",
)
db = published_db_path()
with duckdb.connect(str(db), read_only=True) as con:
    marts = {name: con.sql(f"SELECT * FROM {name}").pl() for name in MARTS}
if PILOT is not None:
    marts = {name: frame.filter(pl.col("pilot_id") == PILOT) for name, frame in marts.items()}
    if marts["pilot_registry"].is_empty():
        raise ValueError(f"PILOT = {PILOT!r} is not in pilot_registry")
registry, flow, balance, estimates, security, costs = (marts[name] for name in MARTS)


def say(text: str) -> None:
    display(Markdown(text))


def show(figure: plt.Figure) -> Image:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(figure)
    return Image(data=buffer.getvalue(), format="png")


synthetic = registry.filter(pl.col("provenance") == "synthetic")["pilot_id"].to_list()
say(
    f"Read `{db}`. Pilots on **SYNTHETIC** data: {', '.join(synthetic) or 'none'}; "
    f"on evaluator data: "
    f"{', '.join(registry.filter(pl.col('provenance') == 'evaluator')['pilot_id']) or 'none'}."
)

# %% [markdown]
# ## 1. The five pilots (registry)

# %%
registry.select(
    "pilot_id", "pilot_name", "design", "unit_of_allocation", "primary_outcomes",
    "subgroups", "cost_per_participant_gbp", "provenance",
)  # fmt: skip

# %% [markdown]
# ## 2. Reach and attrition (CONSORT flow)
#
# `pilot_flow`: units allocated, analysed and lost on each pilot's primary outcome, by arm and
# year, **after disclosure control**: a count below 10, and any count that would reveal one
# through the totals, is withheld (`c`, null in the table), with its percentage.

# %%
figure, spec, _ = participant_flow(flow)
say(f"**{spec.title}.** {spec.alt_text}")
show(figure)

# %%
withheld = flow.filter(pl.col("units_status") == "c").height
say(f"{withheld} of {flow.height} flow cells are withheld by disclosure control.")
flow.filter(pl.col("arm") == "Total", pl.col("stage") == "analysed").select(
    "pilot_id", "evaluation_year", "unit_level", "units", "percent_of_allocated", "units_status"
)

# %% [markdown]
# ## 3. Baseline balance
#
# Standardised mean differences (pooled SD; the denominator is stated on each row). The
# matched pilot (P4, schools opting in) is shown before and after propensity-score matching.

# %%
figure, spec, _ = balance_plot(balance)
say(f"**{spec.title}.** {spec.alt_text}")
show(figure)

# %% [markdown]
# ## 4. Impact: effect sizes with 95% confidence intervals
#
# Intention to treat. The headline row of each estimate is on the g scale; months' progress
# is given for pupil attainment outcomes only. Subgroup estimates (primary outcomes only) are
# separate restricted models, reported with their numbers.

# %%
figure, spec, _ = forest_plot(estimates)
say(f"**{spec.title}.** {spec.alt_text}")
show(figure)

# %%
estimates.filter(pl.col("headline"), pl.col("is_primary")).select(
    "pilot_id", "outcome_id", "evaluation_year", "subgroup", "measure", "estimate",
    "ci_lower", "ci_upper", "icc", "n_treatment", "n_control", "months_progress",
    "variance_used",
)  # fmt: skip

# %%
cace = estimates.filter(pl.col("analysis") == "cace")
say(
    "Complier average causal effects (2SLS, allocation as the instrument, same SD as the ITT "
    f"effect): {cace.height} estimates; they exceed the ITT effects because not everyone "
    "allocated to the programme took it up."
)
cace.select("pilot_id", "outcome_id", "evaluation_year", "estimate", "ci_lower", "ci_upper")

# %% [markdown]
# ## 5. Security rating and cost
#
# Padlocks from the design, attrition on the primary outcome and reviewers' threat judgements
# (`data/raw/pilots/registry/threat_judgements.csv`; the shipped judgements are ILLUSTRATIVE).

# %%
security.select(
    "pilot_id", "evaluation_year", "design_padlocks", "attrition_percent",
    "attrition_padlocks", "threat_adjustment", "threat_rule", "padlocks",
)  # fmt: skip

# %%
costs.select(
    "pilot_id", "total_cost_gbp", "cost_per_participant_gbp",
    "planned_cost_per_participant_gbp", "cost_per_pupil_per_year_gbp", "cost_rating",
    "cost_label", "provenance",
)  # fmt: skip

# %% [markdown]
# ## 6. Power: minimum detectable effect sizes
#
# The smallest effect on the primary outcome each pilot could detect (80% power, 5% two-sided),
# with the units randomised and with the units analysed; the ICC and R-squared are estimated
# on the analysed units (`mdes_basis` names the formula and scale;
# `pipelines/stats/power.py`). An MDES above the effect a pilot hopes for means a null result
# says little. Computed from **SYNTHETIC** files while `provenance` says so.

# %%
security.select(
    "pilot_id", "evaluation_year", "mdes_at_randomisation", "mdes_at_analysis", "mdes_icc",
    "mdes_r2", "mdes_r2_between", "provenance",
)  # fmt: skip

# %% [markdown]
# Planning a trial: the same formulas, given the design (`python -m pipelines.cli plan` does
# this on the command line). Below, a cluster trial of 40 schools of 25 pupils with an ICC of
# 0.15, a pre-test explaining half the variance and 10% of pupils lost; then the schools needed
# for an MDES of 0.2.

# %%
from pipelines.stats.power import plan_mdes, units_for_mdes

design = {"cluster_size": 25, "icc": 0.15, "r2": 0.5, "attrition": 0.1}
say(
    f"MDES with 40 schools: **{plan_mdes(40, **design):.3f} SD**; schools needed for an MDES "
    f"of 0.2: **{units_for_mdes(0.2, **design)}**."
)

# %% [markdown]
# ## Caveats
#
# - Unless `provenance` says `evaluator`, every pilot figure above is **SYNTHETIC**: generated
#   with planted effects to show what evaluators will get, not evidence about any programme.
# - Counts below 10, and any count that would reveal one, are withheld (`c`); estimates on
#   fewer than 10 units in an arm are withheld with them.
# - Subgroup estimates are separate restricted models with their own numbers: read them as
#   exploratory. The shipped threat judgements behind the padlocks are illustrative.
