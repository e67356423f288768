"""Disclosure control of the pilot marts, as relations between them (pipelines/disclosure.py).

The same units are counted in four marts: `pilot_flow` (allocated, analysed and lost per arm),
`pilot_estimates` (n per arm behind each estimate), `pilot_security` (randomised and analysed)
and `pilot_balance` (n per arm at baseline). A count withheld in one must not be worked out
from another: lost = allocated - n. So:

- the flow is protected first, over its own relations (each arm: allocated = analysed + lost;
  each stage: Total = treatment + control), every count a derived count;
- the other marts are then protected against the published flow: an estimate's n on the flow's
  outcome and unit is the flow's analysed count (the same figure); on another outcome of the
  same unit, allocated = n + lost on that outcome (never published: protected when small); a
  subgroup's n and the rest of the arm add up to the arm's n; the security table's randomised
  and analysed totals are the flow's Totals. Counts below the threshold are withheld, and
  whatever would give one away.
- Rates built on a withheld count (percent of allocated, attrition, differential attrition)
  are withheld with it.
- Statistics that are functions of the analysed numbers give them back when printed at full
  precision (an attack on the published marts recovered the arms' n exactly from the standard
  error of g beside g, from the t interval's degrees of freedom, and from the MDES at
  analysis; lost = allocated - n then followed). So where an estimate's n is withheld, its
  standard error and degrees of freedom are withheld too, and g, its interval and the
  randomisation p-value and interval are published to `STATISTIC_DP` decimal places (as EEF
  reports print them): a reader can then narrow n only to a range wider than the threshold.
  The MDES at analysis is withheld for any pilot and year whose flow withholds a count, the
  MDES at randomisation where it withholds an allocated count, and df wherever a number of
  schools is withheld.

Each count gets a `<column>_status` column: `c` withheld, `value` published, `z` no value.
"""

import polars as pl

from pipelines.disclosure import (
    PUBLICATION_RULE,
    SUPPRESSED,
    Declaration,
    Rule,
    cell_id,
    protect_publication,
    withhold,
)

FLOW_KEY = ["pilot_id", "evaluation_year", "unit_level", "outcome_id"]
STATISTIC_DP = 2
# functions of n: withheld where the estimate's n is withheld
N_REVEALING = ("se", "df")
# printed to STATISTIC_DP decimals where the estimate's n is withheld
COARSENED = (
    "estimate",
    "ci_lower",
    "ci_upper",
    "randomisation_p_value",
    "randomisation_ci_lower",
    "randomisation_ci_upper",
    "interaction_estimate",
    "interaction_p_value",
)
ARMS = ("treatment", "control")


# a matched design's comparison arm plays the control arm's part
arm_role = pl.col("arm").replace({"comparison": "control"})


def _flow_cell(arm: pl.Expr | str, stage: pl.Expr | str) -> pl.Expr:
    return cell_id("flow", *(pl.col(k) for k in FLOW_KEY), arm, stage)


def _equations(
    frame: pl.DataFrame, eq: pl.Expr, terms: list[tuple[pl.Expr, float]]
) -> pl.DataFrame:
    return pl.concat(
        [
            frame.select(eq.alias("eq"), cell.alias("cell"), coef=pl.lit(sign))
            for cell, sign in terms
        ]
    )


def _declare_flow(d: Declaration, flow: pl.DataFrame, kind_of) -> None:
    """Flow cells (`kind_of(frame)` gives each row's kind) and their two kinds of relation."""
    cells = flow.with_columns(_kind=kind_of(flow))
    for kind in cells["_kind"].unique():
        rows = cells.filter(pl.col("_kind") == kind)
        d.add_cells(rows, _flow_cell(arm_role, pl.col("stage")), "units", kind)
    lines = flow.select(FLOW_KEY).unique()
    for arm in ("treatment", "control", "Total"):
        d.add_equations(
            _equations(
                lines,
                cell_id("flow_arm", *(pl.col(k) for k in FLOW_KEY), arm),
                [
                    (_flow_cell(arm, "allocated"), -1.0),
                    (_flow_cell(arm, "analysed"), 1.0),
                    (_flow_cell(arm, "lost"), 1.0),
                ],
            )
        )
    for stage in ("allocated", "analysed", "lost"):
        d.add_equations(
            _equations(
                lines,
                cell_id("flow_stage", *(pl.col(k) for k in FLOW_KEY), stage),
                [
                    (_flow_cell("Total", stage), -1.0),
                    (_flow_cell("treatment", stage), 1.0),
                    (_flow_cell("control", stage), 1.0),
                ],
            )
        )


def protect_flow(counts: pl.DataFrame, rule: Rule = PUBLICATION_RULE) -> pl.DataFrame:
    """`counts`: pilot_flow.sql's rows (stage 'Total' is the allocated count). Returns the
    flow with `units` and `percent_of_allocated` withheld where needed, their statuses and
    `suppression` (primary, secondary or null)."""
    flow = counts.with_columns(pl.col("stage").replace({"Total": "allocated"}))
    d = Declaration()
    _declare_flow(d, flow, lambda f: pl.lit("derived"))
    chosen = protect_publication(d, rule).select(
        pl.col("cell").alias("_cell"), pl.col("withheld").alias("_hidden"), "suppression"
    )
    out = flow.with_columns(_flow_cell(arm_role, pl.col("stage")).alias("_cell")).join(
        chosen, on="_cell", how="left"
    )
    allocated_hidden = (
        (pl.col("_hidden") & (pl.col("stage") == "allocated")).any().over(*FLOW_KEY, "arm")
    )
    out = withhold(out, "units", pl.col("_hidden"))
    out = withhold(out, "percent_of_allocated", pl.col("_hidden") | allocated_hidden)
    # which withheld cells are small (primary) is itself disclosive: it is not published
    return out.drop("_cell", "_hidden", "suppression")


def _published_flow(d: Declaration, flow: pl.DataFrame) -> None:
    """The flow as published: its values fixed, its withheld cells withheld and protected."""
    _declare_flow(
        d,
        flow.with_columns(pl.col("units").fill_null(0)),
        lambda f: (
            pl.when(pl.col("units_status") == SUPPRESSED)
            .then(pl.lit("withheld"))
            .otherwise(pl.lit("published"))
        ),
    )


def _choose(d: Declaration, rule: Rule) -> pl.DataFrame:
    return protect_publication(d, rule).select(
        pl.col("cell").alias("_cell"), pl.col("withheld").alias("_hidden")
    )


def protect_estimates(
    estimates: pl.DataFrame, flow: pl.DataFrame, rule: Rule = PUBLICATION_RULE
) -> pl.DataFrame:
    """`pilot_estimates` with `n_treatment` / `n_control` withheld wherever, beside the
    published flow, they would give a withheld count away (module docstring)."""
    key = ["pilot_id", "outcome_id", "evaluation_year", "subgroup", "analysis"]
    d = Declaration()
    _published_flow(d, flow)
    samples = estimates.unique(key).with_columns(pl.col("outcome_level").alias("unit_level"))
    flow_lines = flow.select(
        "pilot_id", "evaluation_year", "unit_level", pl.col("outcome_id").alias("flow_outcome")
    ).unique()
    samples = samples.join(flow_lines, on=["pilot_id", "evaluation_year", "unit_level"], how="left")

    def n_cell(arm: str, subgroup: pl.Expr | None = None) -> pl.Expr:
        return cell_id(
            "n",
            *(pl.col(k) for k in key[:3]),
            subgroup if subgroup is not None else pl.col("subgroup"),
            pl.col("analysis"),
            arm,
        )

    for arm, column in zip(ARMS, ("n_treatment", "n_control"), strict=True):
        d.add_cells(samples, n_cell(arm), column, "derived")
        whole = samples.filter(pl.col("subgroup") == "all")
        flow_key = [pl.col("pilot_id"), pl.col("evaluation_year"), pl.col("unit_level"),
                    pl.col("flow_outcome")]  # fmt: skip
        same = whole.filter(pl.col("flow_outcome") == pl.col("outcome_id"))
        d.add_equations(
            _equations(
                same,
                cell_id("n=analysed", n_cell(arm)),
                [(n_cell(arm), 1.0), (cell_id("flow", *flow_key, arm, "analysed"), -1.0)],
            )
        )
        other = whole.filter(
            pl.col("flow_outcome").is_not_null() & (pl.col("flow_outcome") != pl.col("outcome_id"))
        ).with_columns(_lost=pl.lit(None, pl.Float64))
        lost = cell_id("lost_on", n_cell(arm))
        # lost on another outcome = allocated - n: its value is the flow's allocated minus n
        allocated = flow.filter((arm_role == arm) & (pl.col("stage") == "allocated")).select(
            "pilot_id",
            "evaluation_year",
            "unit_level",
            pl.col("outcome_id").alias("flow_outcome"),
            pl.col("units").alias("_allocated"),
        )
        other = other.join(
            allocated, on=["pilot_id", "evaluation_year", "unit_level", "flow_outcome"], how="left"
        )
        other = other.with_columns(_lost=pl.col("_allocated") - pl.col(column))
        d.add_cells(other.filter(pl.col("_lost").is_not_null()), lost, "_lost", "latent")
        d.add_equations(
            _equations(
                other,
                cell_id("allocated=n+lost", n_cell(arm)),
                [
                    (cell_id("flow", *flow_key, arm, "allocated"), -1.0),
                    (n_cell(arm), 1.0),
                    (lost, 1.0),
                ],
            )
        )
        parts = samples.filter(pl.col("subgroup") != "all").join(
            whole.select(*key[:3], "analysis", pl.col(column).alias("_all")),
            on=[*key[:3], "analysis"],
        )
        rest = cell_id("rest", n_cell(arm))
        parts = parts.with_columns(_rest=pl.col("_all") - pl.col(column))
        d.add_cells(parts, rest, "_rest", "latent")
        d.add_equations(
            _equations(
                parts,
                cell_id("subgroup+rest", n_cell(arm)),
                [(n_cell(arm, pl.lit("all")), -1.0), (n_cell(arm), 1.0), (rest, 1.0)],
            )
        )
    chosen = _choose(d, rule)
    # Every outcome of a pilot and year is measured on (nearly) the same units, so any n of
    # an arm whose flow withholds a count stands in for that count: withheld with it.
    arm_hidden = (
        flow.with_columns(arm_role)
        .filter(pl.col("arm") != "Total")
        .group_by("pilot_id", "evaluation_year", "arm")
        .agg((pl.col("units_status") == SUPPRESSED).any().alias("_flow_hidden"))
    )
    out = estimates
    for arm, column in zip(ARMS, ("n_treatment", "n_control"), strict=True):
        clusters = column.replace("n_", "n_clusters_")
        out = (
            out.with_columns(n_cell(arm).alias("_cell"))
            .join(chosen, on="_cell", how="left")
            .join(
                arm_hidden.filter(pl.col("arm") == arm).drop("arm"),
                on=["pilot_id", "evaluation_year"],
                how="left",
            )
        )
        hidden = pl.col("_hidden").fill_null(False) | pl.col("_flow_hidden").fill_null(False)
        out = withhold(out, column, hidden)
        if clusters in out.columns:  # schools are counted units too
            small = (pl.col(clusters) < rule.threshold).fill_null(False)
            out = withhold(out, clusters, hidden | small)
        out = out.drop("_cell", "_hidden", "_flow_hidden")
    n_hidden = (pl.col("n_treatment_status") == SUPPRESSED) | (
        pl.col("n_control_status") == SUPPRESSED
    )
    for clusters in ("n_clusters_treatment_status", "n_clusters_control_status"):
        if clusters in out.columns:  # df = schools - 2 - covariates gives schools back
            n_hidden = n_hidden | (pl.col(clusters) == SUPPRESSED)
    for column in N_REVEALING:
        if column in out.columns:
            out = withhold(out, column, n_hidden)
    return out.with_columns(
        pl.when(n_hidden).then(pl.col(c).round(STATISTIC_DP)).otherwise(pl.col(c)).alias(c)
        for c in COARSENED
        if c in out.columns
    )


def protect_security(
    security: pl.DataFrame, flow: pl.DataFrame, rule: Rule = PUBLICATION_RULE
) -> pl.DataFrame:
    """`pilot_security` with its randomised and analysed totals (the flow's Totals on the
    primary outcome) and the attrition rates built on them withheld with the flow's."""
    totals = flow.filter(pl.col("arm") == "Total").select(
        "pilot_id", "evaluation_year", "unit_level", "stage", pl.col("units_status") == SUPPRESSED
    )
    arms = (
        flow.filter(pl.col("arm") != "Total")
        .group_by("pilot_id", "evaluation_year", "unit_level")
        .agg((pl.col("units_status") == SUPPRESSED).any().alias("_arm_hidden"))
    )
    out = security
    for column, stage in (("randomised_or_in_sample", "allocated"), ("analysed", "analysed")):
        hidden = (
            totals.filter(pl.col("stage") == stage).drop("stage").rename({"units_status": "_h"})
        )
        out = out.join(hidden, on=["pilot_id", "evaluation_year", "unit_level"], how="left")
        small = pl.col(column) < rule.threshold
        out = withhold(out, column, pl.col("_h").fill_null(False) | small.fill_null(False))
        out = out.drop("_h")
    out = out.join(arms, on=["pilot_id", "evaluation_year", "unit_level"], how="left").with_columns(
        pl.col("_arm_hidden").fill_null(False)
    )
    either = (pl.col("randomised_or_in_sample_status") == SUPPRESSED) | (
        pl.col("analysed_status") == SUPPRESSED
    )
    for rate in ("attrition_percent",):
        if rate in out.columns:
            out = withhold(out, rate, either)
    if "mdes_at_analysis" in out.columns:  # a function of the analysed numbers of every level
        year_hidden = flow.group_by("pilot_id", "evaluation_year").agg(
            (pl.col("units_status") == SUPPRESSED).any().alias("_year_hidden")
        )
        out = out.join(year_hidden, on=["pilot_id", "evaluation_year"], how="left")
        out = withhold(out, "mdes_at_analysis", pl.col("_year_hidden").fill_null(False))
        out = out.drop("_year_hidden")
    if "mdes_at_randomisation" in out.columns:  # a function of the numbers randomised
        allocated_hidden = (
            flow.filter(pl.col("stage") == "allocated")
            .group_by("pilot_id", "evaluation_year")
            .agg((pl.col("units_status") == SUPPRESSED).any().alias("_allocated_hidden"))
        )
        out = out.join(allocated_hidden, on=["pilot_id", "evaluation_year"], how="left")
        hidden = pl.col("_allocated_hidden").fill_null(False)
        out = withhold(out, "mdes_at_randomisation", hidden).drop("_allocated_hidden")
    # the arms' rates, and the WWC attrition band and padlocks judged from them, bound a
    # withheld arm's lost count: withheld with it
    for rate in (
        "differential_attrition_pp",
        "attrition_treatment_percent",
        "attrition_control_percent",
        "wwc_attrition",
        "attrition_padlocks",
        "padlocks",
    ):
        if rate in out.columns:
            out = withhold(out, rate, either | pl.col("_arm_hidden"))
    return out.drop("_arm_hidden")


def protect_balance(balance: pl.DataFrame, rule: Rule = PUBLICATION_RULE) -> pl.DataFrame:
    """`pilot_balance`'s n per arm: withheld below the threshold (a baseline sample is not
    a margin of any other published count)."""
    out = balance
    for column in ("n_treatment", "n_control"):
        out = withhold(out, column, (pl.col(column) < rule.threshold).fill_null(False))
    return out
