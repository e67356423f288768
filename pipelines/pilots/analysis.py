"""The pilot marts as pure functions: staged evaluator files and the registry in, frames out.

No I/O and no Dagster; the mart assets in pipelines/defs/marts/pilots.py only read the staged
tables, call these and store the result. Every statistic comes from `pipelines/stats/`.

Analysis conventions (shared/methods/README.md):
* intention to treat: units analysed in the arm they were allocated to, complete cases of the
  outcome in the evaluation year (`measured_year` = the year), the registry's pre-specified
  covariates (plus the cohort when a year holds more than one), none added;
* one estimate per pilot x outcome x evaluation year x subgroup; subgroups are the registry's,
  each a separate restricted model, for primary outcomes only (as pre-specified subgroup
  analyses are in EEF protocols; it also keeps the run short);
* the headline effect size is on the g scale: for continuous outcomes the total-variance g
  from the unconditional model, for binary outcomes the Cox index (log odds ratio / 1.65), for
  the matched difference-in-differences the estimate over the SD of the last pre-programme
  year (an SD of school means), or over a documented pupil-level SD when the registry gives
  one for the outcome (`sd_level` says which);
* months' progress only for pupil attainment outcomes whose g is on a pupil-level SD, from the
  EEF project-report table (`MONTHS_TABLE`, named in `months_progress_table`); every headline
  row without months says why in `months_progress_note` (pipelines/stats/METHODS.md);
* CACE (2SLS, allocation as instrument) for continuous primary outcomes, all units, on the
  headline ITT's SD and variance basis: g = ITT g / compliance, SE by the delta method
  (`pipelines.stats.compliance.cace_effect_size`), so it is never more precise than the ITT;
  received = met the compliance threshold in a dosage file of the evaluation year or an
  earlier one (a year-1 CACE never counts receipt recorded in later years);
* intervals of cluster-randomised estimates (ITT g and its CACE) use t with cluster-based
  degrees of freedom (`df`: clusters - 2 - cluster-level covariates); the ITT rows also carry
  a seeded randomisation-inference p-value and interval (`randomisation_*`, re-randomised
  schools), pipelines/stats/METHODS.md "Intervals for few clusters";
* record-level results are aggregates; an estimate whose arm has fewer than
  `DEFAULT_THRESHOLD` units is withheld (`estimate_status` = "c").
"""

from dataclasses import dataclass

import numpy as np
import polars as pl
import statsmodels.api as sm

from pipelines.disclosure import DEFAULT_THRESHOLD
from pipelines.pilots.registry import Outcome, Pilot, Registry
from pipelines.stats._design import Z_95, design_matrix
from pipelines.stats.attrition import attrition_by_arm
from pipelines.stats.balance import baseline_balance
from pipelines.stats.binary import binary_outcome_effects
from pipelines.stats.compliance import cace_2sls, cace_effect_size
from pipelines.stats.costs import cost_summary
from pipelines.stats.effect_sizes import (
    cluster_randomised_effect_sizes,
    individual_randomised_effect_sizes,
    multisite_effect_sizes,
)
from pipelines.stats.missing import IMPUTATIONS, multiple_imputation_effect
from pipelines.stats.months_progress import months_progress
from pipelines.stats.power import (
    mdes_cluster,
    mdes_difference_in_differences,
    mdes_individual,
)
from pipelines.stats.quasi import difference_in_differences, propensity_match
from pipelines.stats.randomisation import t_quantile
from pipelines.stats.security import pretrend_status, security_rating
from pipelines.stats.subgroups import subgroup_interaction

SUBGROUPS = {
    "disadvantaged_school": pl.col("disadvantaged_school"),
    "global_majority": pl.col("global_majority") == "yes",
    "women": pl.col("sex") == "female",
}
SUBGROUP_COLUMNS = {
    "disadvantaged_school": "disadvantaged_school",
    "global_majority": "global_majority",
    "women": "sex",
}
PARTICIPANT_COLUMNS = (
    "participant_id",
    "arm",
    "cohort",
    "sex",
    "global_majority",
    "role",
    "years_in_role",
    "baseline_wellbeing",
    "baseline_self_efficacy",
)
SCHOOL_COLUMNS = (
    "school_id",
    "phase",
    "region_group",
    "fsm_percent",
    "disadvantaged_school",
    "pupils",
    "baseline_inspection",
)
ESTIMATE_SCHEMA = {
    "pilot_id": pl.String,
    "design": pl.String,
    "analysis_design": pl.String,
    "outcome_id": pl.String,
    "outcome_type": pl.String,
    "outcome_level": pl.String,
    "is_primary": pl.Boolean,
    "evaluation_year": pl.String,
    "subgroup": pl.String,
    "analysis": pl.String,
    "measure": pl.String,
    "model": pl.String,
    "variance": pl.String,
    "headline": pl.Boolean,
    "estimate": pl.Float64,
    "ci_lower": pl.Float64,
    "ci_upper": pl.Float64,
    "se": pl.Float64,
    "raw_estimate": pl.Float64,
    "raw_ci_lower": pl.Float64,
    "raw_ci_upper": pl.Float64,
    "raw_unit": pl.String,
    "df": pl.Float64,
    "randomisation_p_value": pl.Float64,
    "randomisation_ci_lower": pl.Float64,
    "randomisation_ci_upper": pl.Float64,
    "randomisation_draws": pl.Int64,
    "estimate_status": pl.String,
    "variance_used": pl.String,
    "sd_used": pl.Float64,
    "sd_level": pl.String,
    "icc": pl.Float64,
    "n_treatment": pl.Int64,
    "n_control": pl.Int64,
    "n_clusters_treatment": pl.Int64,
    "n_clusters_control": pl.Int64,
    "months_progress": pl.Int64,
    "months_progress_table": pl.String,
    "months_progress_note": pl.String,
    "interaction_estimate": pl.Float64,
    "interaction_p_value": pl.Float64,
    "interaction_scale": pl.String,
    "pretrend_p_value": pl.Float64,
    "pretrend_status": pl.String,
    "covariates": pl.String,
    "estimator": pl.String,
    "provenance": pl.String,
}


RAW_COEFFICIENT = (
    "outcome units: the treatment coefficient of the covariate model, model-based 95% interval"
)
RAW_RISK_DIFFERENCE = "risk difference (proportion): linear probability model, 95% interval"
"""Every g row carries the effect in the outcome's own units beside it (`raw_*`)."""

MONTHS_TABLE = "project_report"
"""Months' progress table for project estimates: the conversion EEF uses in project evaluation
reports (shared/methods/months_progress.csv), not the Toolkit's (pipelines/stats/METHODS.md)."""

NOT_APPLICABLE = {
    "model": "not applicable",
    "variance": "not applicable",
    "variance_used": "none",
    "pretrend_status": "not applicable",
}
"""Defaults, so the grain columns are never null (binary, DiD and CACE rows have no variance
choice; a model that could not be fitted has no model)."""


@dataclass(frozen=True)
class PilotData:
    """The five staged files (all pilots) and the registry."""

    registry: Registry
    participants: pl.DataFrame
    schools: pl.DataFrame
    outcomes: pl.DataFrame
    dosage: pl.DataFrame
    costs: pl.DataFrame

    def of(self, name: str, pilot_id: str) -> pl.DataFrame:
        return getattr(self, name).filter(pl.col("pilot_id") == pilot_id)

    def provenance(self, pilot_id: str) -> str:
        values = self.of("participants", pilot_id).get_column("provenance").unique().to_list()
        return "synthetic" if "synthetic" in values or not values else values[0]

    def pilots_with_data(self) -> list[Pilot]:
        present = set(self.participants.get_column("pilot_id").unique().to_list())
        return [p for p in self.registry.pilots if p.id in present]


def _year_start(year: str) -> int:
    return int(year[:4])


def _school_baseline(data: PilotData, pilot: Pilot) -> pl.DataFrame:
    """One row per school: its characteristics in the first year it appears, and its arm."""
    return (
        data.of("schools", pilot.id)
        .sort("evaluation_year")
        .unique("school_id", keep="first", maintain_order=True)
        .select(*SCHOOL_COLUMNS, pl.col("arm").alias("school_arm"))
    )


def _measures(data: PilotData, pilot: Pilot, outcome: str, level: str) -> pl.DataFrame:
    return data.of("outcomes", pilot.id).filter(
        pl.col("outcome_id") == outcome, pl.col("unit_level") == level
    )


def unit_frame(data: PilotData, pilot: Pilot, outcome: Outcome, year: str) -> pl.DataFrame:
    """One row per unit measured (or due to be) on `outcome` in `year`, with its arm (`t`),
    status, and every covariate and subgroup column the registry may name."""
    rows = _measures(data, pilot, outcome.id, outcome.level).filter(pl.col("measured_year") == year)
    rows = rows.select("unit_id", "school_id", "value", "status")
    schools = _school_baseline(data, pilot)
    people = data.of("participants", pilot.id).select(PARTICIPANT_COLUMNS)
    if outcome.level == "participant":
        frame = rows.join(people, left_on="unit_id", right_on="participant_id", how="inner")
        frame = frame.join(schools.drop("school_arm"), on="school_id", how="left")
    elif pilot.unit_of_allocation == "school":
        frame = rows.join(schools.rename({"school_arm": "arm"}), on="school_id", how="inner")
        if outcome.level == "pupil":
            prior = _measures(data, pilot, "ks1_prior_attainment", "pupil").select(
                "unit_id", pl.col("value").alias("ks1_prior_attainment")
            )
            frame = frame.join(prior, on="unit_id", how="left")
    else:  # a school outcome in a participant-randomised pilot: schools with one participant
        single = (
            people.join(
                data.of("participants", pilot.id).select("participant_id", "school_id"),
                on="participant_id",
            )
            .group_by("school_id")
            .agg(pl.len().alias("_n"), pl.all().exclude("participant_id").first())
            .filter(pl.col("_n") == 1)
            .drop("_n")
        )
        frame = rows.join(single, on="school_id", how="inner").join(
            schools.drop("school_arm"), on="school_id", how="left"
        )
    if "cohort" in frame.columns:
        frame = frame.with_columns(("cohort " + pl.col("cohort").cast(pl.String)).alias("cohort"))
    first = min(_year_start(s) for _, s in pilot.cohorts)
    if pilot.design == "matched_difference_in_differences":
        baseline = _measures(data, pilot, "ks4_attainment", "school").filter(
            pl.col("measured_year") == f"{first - 1}/{str(first)[2:]}"
        )
        frame = frame.join(
            baseline.select("unit_id", pl.col("value").alias("baseline_ks4_attainment")),
            left_on="school_id",
            right_on="unit_id",
            how="left",
        )
    # Joins do not keep row order: sort, so the same data give the same floating-point sums.
    return (
        frame.filter(pl.col("arm").is_in(["treatment", "control", "comparison"]))
        .with_columns(
            (pl.col("arm") == "treatment").cast(pl.Int8).alias("t"),
            (pl.col("status") == "measured").alias("analysed"),
        )
        .sort("unit_id")
    )


def _covariates(frame: pl.DataFrame, pilot: Pilot) -> list[str]:
    """The registry's covariates present in the frame (plus the cohort when there are two or
    more), dropping any that does not vary among the complete cases."""
    wanted = [c for c in pilot.covariates if c in frame.columns]
    if "cohort" in frame.columns:
        wanted.append("cohort")
    usable = frame.filter(pl.col("analysed")).drop_nulls(["value", *wanted])
    return [c for c in wanted if usable.get_column(c).n_unique() > 1]


def _subgroups(frame: pl.DataFrame, pilot: Pilot):
    yield "all", frame
    for name in pilot.subgroups:
        if SUBGROUP_COLUMNS[name] in frame.columns:
            yield name, frame.filter(SUBGROUPS[name].fill_null(False))


def _g_rows(result: pl.DataFrame, estimator: str, level: str) -> list[dict]:
    rows = []
    for r in result.iter_rows(named=True):
        between = "between + within clusters" if r["icc"] is not None else "between + within units"
        spread = between if r["variance"] == "total" else "within clusters"
        rows.append(
            {
                "measure": "hedges_g",
                "model": r["model"],
                "variance": r["variance"],
                "headline": r["model"] == "unconditional" and r["variance"] == "total",
                "estimate": r["g"],
                "ci_lower": r["ci_lower"],
                "ci_upper": r["ci_upper"],
                "se": r["se"],
                "raw_estimate": r["beta"],
                "raw_ci_lower": r["beta_ci_lower"],
                "raw_ci_upper": r["beta_ci_upper"],
                "raw_unit": RAW_COEFFICIENT,
                "df": r["df"],
                "randomisation_p_value": r["randomisation_p_value"],
                "randomisation_ci_lower": r["randomisation_ci_lower"],
                "randomisation_ci_upper": r["randomisation_ci_upper"],
                "randomisation_draws": r["randomisation_draws"],
                "variance_used": f"{r['variance']} variance ({spread}) of the {r['model']} "
                f"model; SD {r['sd_used']:.4g}",
                "sd_used": r["sd_used"],
                "sd_level": level,
                "icc": r["icc"],
                "n_treatment": r["n_treatment"],
                "n_control": r["n_control"],
                "n_clusters_treatment": r["n_clusters_treatment"],
                "n_clusters_control": r["n_clusters_control"],
                "estimator": f"{estimator}: {r['formula']}",
            }
        )
    return rows


def _binary_rows(result: pl.DataFrame) -> list[dict]:
    rd = result.filter(measure="risk_difference").row(0, named=True)
    raw = {
        "raw_estimate": rd["estimate"],
        "raw_ci_lower": rd["ci_lower"],
        "raw_ci_upper": rd["ci_upper"],
        "raw_unit": RAW_RISK_DIFFERENCE,
    }
    return [
        {
            "measure": r["measure"],
            "model": r["model"],
            "headline": r["measure"] == "cox_index_g",
            "estimate": r["estimate"],
            "ci_lower": r["ci_lower"],
            "ci_upper": r["ci_upper"],
            "se": r["se"],
            "variance_used": r["covariance"],
            "n_treatment": r["n_treatment"],
            "n_control": r["n_control"],
            "estimator": "pipelines.stats.binary.binary_outcome_effects",
            **(raw if r["measure"] in ("cox_index_g", "risk_difference") else {}),
        }
        for r in result.iter_rows(named=True)
    ]


def _itt(frame: pl.DataFrame, pilot: Pilot, outcome: Outcome, covariates: list[str]) -> list[dict]:
    data = frame.filter(pl.col("analysed"))
    clustered = pilot.design == "cluster_randomised" and outcome.level == "pupil"
    multisite = pilot.analysis == "multisite" and outcome.level == "participant"
    if outcome.type == "binary":
        site = "school_id" if clustered else pilot.site if multisite else None
        result = binary_outcome_effects(data, "value", "t", covariates, cluster=site)
        return _binary_rows(result)
    if multisite:  # randomised individually, schools holding both arms (registry designs.yaml)
        result = multisite_effect_sizes(data, "value", "t", pilot.site, covariates, fit="profile")
        return _g_rows(result, "pipelines.stats.effect_sizes.multisite_effect_sizes", outcome.level)
    if clustered:
        result = cluster_randomised_effect_sizes(
            data, "value", "t", "school_id", covariates, fit="profile"
        )
        return _g_rows(
            result, "pipelines.stats.effect_sizes.cluster_randomised_effect_sizes", outcome.level
        )
    # a school-level outcome of a cluster trial: the schools are the units, few of them
    result = individual_randomised_effect_sizes(
        data, "value", "t", covariates, small_sample=pilot.design == "cluster_randomised"
    )
    return _g_rows(
        result, "pipelines.stats.effect_sizes.individual_randomised_effect_sizes", outcome.level
    )


def _interaction(frame: pl.DataFrame, pilot: Pilot, outcome: Outcome, subgroup: str) -> dict:
    """The treatment x subgroup interaction in the full-sample model of the design (EEF
    reports it beside the restricted subgroup estimate; pipelines/stats/subgroups.py), on the
    headline row of each subgroup estimate; the subgroup's own column leaves the covariates."""
    data = frame.filter(pl.col("analysed")).with_columns(
        SUBGROUPS[subgroup].fill_null(False).alias("_subgroup")
    )
    covariates = [c for c in _covariates(frame, pilot) if c != SUBGROUP_COLUMNS[subgroup]]
    clustered = pilot.design == "cluster_randomised" and outcome.level == "pupil"
    multisite = pilot.analysis == "multisite" and outcome.level == "participant"
    design = "cluster" if clustered else "multisite" if multisite else "individual"
    try:
        result = subgroup_interaction(
            data, "value", "t", "_subgroup", covariates, design=design,
            cluster="school_id" if clustered else pilot.site if multisite else None,
            binary=outcome.type == "binary",
        )  # fmt: skip
    except (ValueError, np.linalg.LinAlgError) as error:
        return {"interaction_scale": f"not estimable: {str(error)[:120]}"}
    return {
        "interaction_estimate": result["estimate"],
        "interaction_p_value": result["p_value"],
        "interaction_scale": f"{result['scale']}: effect in the subgroup minus the rest, "
        f"{design} model on all units",
    }


def _mi(
    frame: pl.DataFrame, pilot: Pilot, outcome: Outcome, covariates: list[str], itt: dict
) -> list[dict]:
    """Multiple-imputation sensitivity analysis of a continuous primary outcome beside its
    complete-case ITT (pipelines/stats/missing.py): every unit due to be measured, missing
    outcomes imputed under MAR, the ITT's own estimator on each completed set, Rubin's rules;
    on the headline ITT's g scale (its SD). No row when no outcome is missing."""
    data = frame.with_columns(
        pl.when(pl.col("analysed")).then(pl.col("value")).otherwise(None).alias("value")
    )
    if data.get_column("value").null_count() == 0 or itt.get("raw_estimate") is None:
        return []
    clustered = pilot.design == "cluster_randomised" and outcome.level == "pupil"
    multisite = pilot.analysis == "multisite" and outcome.level == "participant"

    def analyse(completed: pl.DataFrame) -> tuple[float, float, float | None]:
        if clustered:
            result = cluster_randomised_effect_sizes(
                completed, "value", "t", "school_id", covariates, fit="profile",
                randomisation_draws=0,
            )  # fmt: skip
        elif multisite:
            result = multisite_effect_sizes(
                completed, "value", "t", pilot.site, covariates, fit="profile"
            )
        else:
            result = individual_randomised_effect_sizes(
                completed, "value", "t", covariates, randomisation_draws=0
            )
        row = result.row(0, named=True)
        return row["beta"], row["beta_se"], itt.get("df")

    pooled = multiple_imputation_effect(data, "value", "t", covariates, analyse)
    scale = itt["estimate"] / itt["raw_estimate"]  # the headline's g per outcome unit
    dof = pooled.df if np.isfinite(pooled.df) else None
    return [
        {
            "analysis": "mi_sensitivity",
            "measure": "hedges_g",
            "model": itt["model"],
            "variance": itt["variance"],
            "headline": False,
            "estimate": pooled.estimate * scale,
            "ci_lower": pooled.ci_lower * scale,
            "ci_upper": pooled.ci_upper * scale,
            "se": pooled.se * scale,
            "df": dof,
            "raw_estimate": pooled.estimate,
            "raw_ci_lower": pooled.ci_lower,
            "raw_ci_upper": pooled.ci_upper,
            "raw_unit": "outcome units: treatment coefficient pooled over the imputations",
            "variance_used": f"SD of the headline ITT effect size ({itt['sd_used']:.4g}); "
            "Rubin's rules variance (within + between imputations), Barnard-Rubin df",
            "sd_used": itt["sd_used"],
            "sd_level": itt.get("sd_level"),
            "icc": itt.get("icc"),
            "estimator": "pipelines.stats.missing.multiple_imputation_effect: missing "
            f"outcomes imputed under MAR ({IMPUTATIONS} imputations, chained equations with "
            "predictive mean matching, statsmodels MICEData), each analysed as the ITT, "
            "pooled by Rubin's rules; sensitivity analysis beside the complete-case ITT",
        }
    ]


def _received(data: PilotData, pilot: Pilot, year: str) -> pl.DataFrame:
    """Receipt per unit up to and including `year`: the CACE of an evaluation year counts only
    the intervention received by then."""
    return (
        data.of("dosage", pilot.id)
        .filter(pl.col("evaluation_year") <= year)
        .group_by("unit_level", "unit_id")
        .agg(pl.col("received_intervention").any().alias("received"))
    )


def _cace(
    data: PilotData,
    frame: pl.DataFrame,
    pilot: Pilot,
    outcome: Outcome,
    year: str,
    covariates,
    itt: dict,
) -> list[dict]:
    received = _received(data, pilot, year)
    if outcome.level == "participant" and pilot.unit_of_allocation == "participant":
        key, level = "unit_id", "participant"
    elif pilot.unit_of_allocation == "school" and outcome.level in ("pupil", "school"):
        key, level = "school_id", "school"
    else:
        return []
    joined = frame.filter(pl.col("analysed")).join(
        received.filter(pl.col("unit_level") == level).select(
            pl.col("unit_id").alias(key), "received"
        ),
        on=key,
        how="left",
    )
    joined = joined.with_columns(pl.col("received").fill_null(False).cast(pl.Int8)).sort("unit_id")
    # clustered by school: pupils of a cluster trial, participants of a multisite pilot
    clustered = outcome.level == "pupil" or pilot.analysis == "multisite"
    sd = itt["sd_used"]
    result = cace_2sls(
        joined, "value", "t", "received", covariates, sd=sd,
        cluster=(pilot.site or "school_id") if clustered else None,
    ).row(0, named=True)  # fmt: skip
    g, se = cace_effect_size(
        itt["estimate"], itt["se"], result["first_stage"], result["compliance_variance"] / sd**2
    )
    g, se = float(g), float(se)
    per_g = itt["raw_estimate"] / itt["estimate"]  # outcome units per unit of the ITT's g
    dof = itt.get("df")  # a cluster trial's headline df; None: normal quantile
    quantile = Z_95 if dof is None else t_quantile(dof)
    return [
        {
            "analysis": "cace",
            "measure": "cace_g",
            "model": "2SLS, allocation instruments receipt",
            "headline": False,
            "estimate": g,
            "ci_lower": g - quantile * se,
            "ci_upper": g + quantile * se,
            "se": se,
            "raw_estimate": g * per_g,
            "raw_ci_lower": (g - quantile * se) * per_g,
            "raw_ci_upper": (g + quantile * se) * per_g,
            "raw_unit": "outcome units: the ITT coefficient over the compliance, on the CACE "
            "g's interval",
            "df": dof,
            "variance_used": f"headline ITT g over compliance ({result['first_stage']:.3f}); "
            f"ITT variance plus compliance uncertainty (delta method, {result['covariance']}); "
            f"SD of the headline ITT effect size ({sd:.4g})",
            "sd_used": sd,
            "sd_level": outcome.level,
            "n_treatment": int(joined.get_column("t").sum()),
            "n_control": int((joined.get_column("t") == 0).sum()),
            "estimator": "pipelines.stats.compliance.cace_2sls (linearmodels IV2SLS); "
            f"compliance {result['compliance_treatment']:.2f} treatment, "
            f"{result['compliance_control']:.2f} control",
        }
    ]


def _did(
    data: PilotData,
    pilot: Pilot,
    outcome: Outcome,
    year: str,
    units: pl.DataFrame,
    matched_on: list[str],
):
    """Matched difference-in-differences for one outcome and year (pre-years + that year).

    The model has unit and period fixed effects and no covariates (`covariates` = "none"); the
    covariates the comparison schools were matched on are named in `estimator`. The pre-trend
    test's status (`pretrend_status`) flags a failed or impossible test."""
    first = min(_year_start(s) for _, s in pilot.cohorts)
    panel = (
        _measures(data, pilot, outcome.id, outcome.level)
        .filter(pl.col("status") == "measured")
        .with_columns(pl.col("measured_year").str.slice(0, 4).cast(pl.Int64).alias("year"))
        .filter((pl.col("year") < first) | (pl.col("measured_year") == year))
        .join(
            units.filter(pl.col("match_weight") > 0).select("school_id", "treated", "match_weight"),
            left_on="unit_id",
            right_on="school_id",
        )
        .sort("unit_id", "year")
    )
    result = difference_in_differences(
        panel, "value", "unit_id", "year", "treated", first, weights="match_weight"
    ).row(0, named=True)
    documented = outcome.pupil_level_sd
    if documented is not None:  # standardise by the documented pupil-level SD instead
        sd, level = documented.value, "pupil"
        basis = f"documented pupil-level SD of the outcome ({sd:.4g}; {documented.source})"
    else:
        sd, level = result["sd_used"], outcome.level
        basis = f"SD of the outcome in the last pre-programme year ({sd:.4g})"
        if outcome.type == "school_mean":
            basis = f"SD of school means in the last pre-programme year ({sd:.4g})"
    common = {
        "model": "two-way fixed effects, matched",
        "n_treatment": result["n_units_treated"],
        "n_control": result["n_units_comparison"],
        "pretrend_p_value": result["pretrend_p_value"],
        "pretrend_status": pretrend_status(result["pretrend_p_value"], pilot.design),
        "covariates": "none",
        "estimator": "pipelines.stats.quasi.difference_in_differences: "
        + result["estimator"]
        + f"; unit and period fixed effects; matched on {', '.join(matched_on)}"
        + "".join(
            f"; not matched on {c} (regression to the mean)"
            for c in pilot.covariates
            if c in OUTCOME_BASELINES
        ),
    }
    raw_did = {
        "raw_estimate": result["estimate"],
        "raw_ci_lower": result["ci_lower"],
        "raw_ci_upper": result["ci_upper"],
        "raw_unit": "outcome points: the difference-in-differences estimate",
    }
    return [
        {
            **common,
            "measure": "did_points",
            "headline": False,
            "estimate": result["estimate"],
            "ci_lower": result["ci_lower"],
            "ci_upper": result["ci_upper"],
            "se": result["se"],
            "variance_used": "none: outcome points",
            **raw_did,
        },
        {
            **common,
            "measure": "did_g",
            "headline": True,
            "estimate": result["estimate"] / sd,
            "ci_lower": result["ci_lower"] / sd,
            "ci_upper": result["ci_upper"] / sd,
            "se": result["se"] / sd,
            **raw_did,
            "variance_used": basis,
            "sd_used": sd,
            "sd_level": level,
        },
    ]


OUTCOME_BASELINES = {"baseline_ks4_attainment": "ks4_attainment"}
"""Covariates that are a difference-in-differences outcome in the reference (last
pre-programme) year. Matching on them invites regression to the mean (Daw & Hatfield 2018,
Health Services Research 53(6)): comparison schools picked for a bad reference year rebound
afterwards, biasing the estimate; the unit fixed effects absorb level differences anyway. So
they are not matched on; the balance table still reports them (pipelines/stats/METHODS.md)."""


def matched_units(data: PilotData, pilot: Pilot) -> tuple[pl.DataFrame, list[str]]:
    """The schools of a matched design with their propensity-score match weights, and the
    covariates matched on: the registry's, except reference-year outcomes
    (`OUTCOME_BASELINES`)."""
    outcome = data.registry.outcomes[pilot.primary_outcomes[0]]
    units = (
        unit_frame(data, pilot, outcome, pilot.cohorts[0][1])
        .unique("school_id", keep="first", maintain_order=True)
        .sort("school_id")
    )
    units = units.with_columns(pl.col("t").alias("treated"))
    covariates = [c for c in pilot.covariates if c in units.columns and c not in OUTCOME_BASELINES]
    return propensity_match(units, "treated", covariates), covariates


def estimates(data: PilotData) -> pl.DataFrame:
    """One row per pilot x outcome x evaluation year x subgroup x analysis x measure (x model
    x variance for continuous outcomes)."""
    rows = []
    for pilot in data.pilots_with_data():
        provenance = data.provenance(pilot.id)
        matched, matched_on = (
            matched_units(data, pilot)
            if pilot.design == "matched_difference_in_differences"
            else (None, [])
        )
        for outcome_id in pilot.outcomes:
            outcome = data.registry.outcomes[outcome_id]
            for year in pilot.evaluation_years:
                frame = unit_frame(data, pilot, outcome, year)
                if frame.filter(pl.col("analysed")).is_empty():
                    continue
                primary = outcome.id in pilot.primary_outcomes
                for subgroup, part in _subgroups(frame, pilot) if primary else [("all", frame)]:
                    covariates = _covariates(part, pilot)
                    context = {
                        "pilot_id": pilot.id,
                        "design": pilot.design,
                        "analysis_design": pilot.analysis,
                        "outcome_id": outcome.id,
                        "outcome_type": outcome.type,
                        "outcome_level": outcome.level,
                        "is_primary": primary,
                        "evaluation_year": year,
                        "subgroup": subgroup,
                        "analysis": "itt",
                        "covariates": ", ".join(covariates) or "none",
                        "provenance": provenance,
                    }
                    try:
                        if matched is not None:
                            keep = part.get_column("school_id").unique().implode()
                            found = _did(
                                data, pilot, outcome, year,
                                matched.filter(pl.col("school_id").is_in(keep)), matched_on,
                            )  # fmt: skip
                        else:
                            found = _itt(part, pilot, outcome, covariates)
                            headline = next(r for r in found if r["headline"])
                            if primary and subgroup == "all" and outcome.type != "binary":
                                found += _cace(
                                    data, part, pilot, outcome, year, covariates, headline
                                )
                                found += _mi(part, pilot, outcome, covariates, headline)
                    except (ValueError, np.linalg.LinAlgError) as error:
                        found = [
                            {
                                "measure": "not_estimable",
                                "headline": True,
                                "estimate_status": "not_estimable",
                                "estimator": str(error)[:200],
                            }
                        ]
                    if subgroup != "all" and matched is None:
                        interaction = _interaction(frame, pilot, outcome, subgroup)
                        for row in found:
                            if row.get("headline") and row.get("estimate") is not None:
                                row.update(interaction)
                    for row in found:
                        rows.append({**context, **NOT_APPLICABLE, **row})
    frame = pl.DataFrame(rows, schema=ESTIMATE_SCHEMA)
    small = (pl.col("n_treatment") < DEFAULT_THRESHOLD) | (pl.col("n_control") < DEFAULT_THRESHOLD)
    frame = frame.with_columns(
        pl.when(pl.col("estimate_status").is_not_null())
        .then(pl.col("estimate_status"))
        .when(small.fill_null(False))
        .then(pl.lit("c"))
        .otherwise(pl.lit("value"))
        .alias("estimate_status")
    ).with_columns(
        pl.when(pl.col("estimate_status") == "c").then(None).otherwise(pl.col(c)).alias(c)
        for c in (
            "estimate",
            "ci_lower",
            "ci_upper",
            "se",
            "raw_estimate",
            "raw_ci_lower",
            "raw_ci_upper",
            "randomisation_p_value",
            "randomisation_ci_lower",
            "randomisation_ci_upper",
            "interaction_estimate",
            "interaction_p_value",
        )
    )
    months = [
        _months(row, data.registry.outcomes[row["outcome_id"]])
        for row in frame.select("headline", "estimate", "sd_used", "sd_level", "outcome_id")
        .iter_rows(named=True)
    ]  # fmt: skip
    return frame.with_columns(
        pl.Series("months_progress", [m[0] for m in months], dtype=pl.Int64),
        pl.Series("months_progress_table", [m[1] for m in months], dtype=pl.String),
        pl.Series("months_progress_note", [m[2] for m in months], dtype=pl.String),
    ).sort(
        "pilot_id", "outcome_id", "evaluation_year", "subgroup", "analysis", "measure", "model",
        "variance", nulls_last=True,
    )  # fmt: skip


def _months(row: dict, outcome: Outcome) -> tuple[int | None, str | None, str | None]:
    """(months, table, note) for one estimate row: months only for the headline g of a pupil
    attainment outcome standardised by a pupil-level SD (EEF months' progress converts
    pupil-level effect sizes); otherwise none, and headline rows say why."""
    if not row["headline"]:
        return None, None, None
    if not outcome.pupil_attainment:
        return None, None, "no months: not a pupil attainment outcome"
    if row["estimate"] is None:
        return None, None, "no months: no published estimate"
    if row["sd_level"] != "pupil":
        return (
            None,
            None,
            (
                f"no months: g divides by an SD of {outcome.level}-level values "
                f"({row['sd_used']:.4g}), not a pupil-level SD; months' progress converts "
                "pupil-level effect sizes and no documented pupil-level SD is recorded for this "
                "outcome"
            ),
        )
    months = months_progress(row["estimate"], is_pupil_attainment=True, table=MONTHS_TABLE)
    return (
        months,
        MONTHS_TABLE,
        (
            f"g on a pupil-level SD ({row['sd_used']:.4g}); EEF {MONTHS_TABLE.replace('_', '-')} "
            "months' progress table"
        ),
    )


BALANCE_NUMERIC = (
    "baseline_wellbeing",
    "baseline_self_efficacy",
    "years_in_role",
    "fsm_percent",
    "pupils",
    "ks1_prior_attainment",
    "baseline_ks4_attainment",
)
BALANCE_FLAGS = {
    "female": pl.col("sex") == "female",
    "global_majority_background": pl.col("global_majority") == "yes",
    "disadvantaged_school": pl.col("disadvantaged_school"),
}


def _balance_table(frame: pl.DataFrame, **kwargs) -> pl.DataFrame:
    flags = {
        k: v
        for k, v in BALANCE_FLAGS.items()
        if all(c in frame.columns for c in v.meta.root_names())
    }
    frame = frame.with_columns(expr.cast(pl.Float64).alias(name) for name, expr in flags.items())
    candidates = [c for c in (*BALANCE_NUMERIC, *flags) if c in frame.columns]
    usable = [
        c for c in candidates
        if frame.get_column(c).drop_nulls().n_unique() > 1
        and frame.drop_nulls(c).get_column("t").n_unique() == 2
    ]  # fmt: skip
    return baseline_balance(frame, "t", usable, **kwargs)


def balance(data: PilotData) -> pl.DataFrame:
    """One row per pilot x sample x unit level x covariate: means, SDs, SMD (denominator
    stated), variance ratio and WWC band by arm, at allocation (before and after matching for
    the matched design)."""
    parts = []
    for pilot in data.pilots_with_data():
        first = pilot.cohorts[0][1]
        context = {"pilot_id": pilot.id, "provenance": data.provenance(pilot.id)}
        schools = _school_baseline(data, pilot)
        if pilot.design == "individual_randomised":
            people = (
                data.of("participants", pilot.id)
                .join(schools, on="school_id", how="left")
                .sort("participant_id")
            )
            people = people.with_columns((pl.col("arm") == "treatment").cast(pl.Int8).alias("t"))
            tables = [("as randomised", "participant", _balance_table(people))]
        elif pilot.design == "cluster_randomised":
            units = schools.sort("school_id").with_columns(
                (pl.col("school_arm") == "treatment").cast(pl.Int8).alias("t")
            )
            outcome = data.registry.outcomes[pilot.primary_outcomes[0]]
            pupils = pl.concat(
                [unit_frame(data, pilot, outcome, year) for year in pilot.evaluation_years]
            ).select("t", "ks1_prior_attainment")
            tables = [
                ("as randomised", "school", _balance_table(units)),
                ("as randomised", "pupil", _balance_table(pupils)),
            ]
        else:
            matched, _ = matched_units(data, pilot)
            before = _balance_table(matched)
            denominators = dict(
                zip(
                    before["covariate"],
                    np.sqrt((before["sd_treatment"] ** 2 + before["sd_control"] ** 2) / 2),
                    strict=True,
                )
            )
            after = _balance_table(
                matched.filter(pl.col("match_weight") > 0),
                weights="match_weight",
                fixed_denominators=denominators,
            )
            tables = [("before matching", "school", before), ("after matching", "school", after)]
        for sample, level, table in tables:
            parts.append(
                table.with_columns(
                    pl.lit(context["pilot_id"]).alias("pilot_id"),
                    pl.lit(sample).alias("sample"),
                    pl.lit(level).alias("unit_level"),
                    pl.lit(first).alias("allocated_from"),
                    pl.lit(context["provenance"]).alias("provenance"),
                )
            )
    frame = pl.concat(parts, how="diagonal_relaxed")
    leading = ["pilot_id", "sample", "unit_level", "covariate"]
    return frame.select(*leading, pl.exclude(leading)).sort(leading)


def attrition(data: PilotData, pilot: Pilot, year: str) -> pl.DataFrame:
    """Attrition on the primary outcome in `year`, by arm (randomisation to analysis)."""
    outcome = data.registry.outcomes[pilot.primary_outcomes[0]]
    frame = unit_frame(data, pilot, outcome, year)
    return attrition_by_arm(frame, "arm", "analysed")


MDES_SETTINGS = "80% power, 5% two-sided"


def _share_explained(conditional: float, unconditional: float) -> float:
    """1 - conditional / unconditional variance, kept in [0, 0.99] (a covariate cannot explain
    a negative share, and PowerUp! needs 1 - R2 > 0)."""
    if not unconditional > 0:
        return 0.0
    return float(min(max(1 - conditional / unconditional, 0.0), 0.99))


def mdes(frame: pl.DataFrame, pilot: Pilot, outcome: Outcome, covariates: list[str]) -> dict:
    """MDES of the primary outcome at randomisation and at analysis, for one evaluation year
    (EEF reports both: shared/methods/README.md; formulas in pipelines/stats/power.py).

    `frame` is `unit_frame` (every unit due to be measured, `analysed` marking those that
    were), restricted for the matched design to its matched schools. The ICC and the shares of
    variance the covariates explain are estimated on the analysed units and used at both
    stages, so the two MDES differ by the units lost alone (no protocol assumptions are
    registered). In SD units of the outcome (for a binary outcome: of the 0/1 outcome, not the
    Cox index). Returns the `mdes_*` columns of `pilot_security`.
    """
    analysed = frame.filter(pl.col("analysed")).drop_nulls(["value", *covariates])
    stages = {"randomisation": frame, "analysis": analysed}
    if pilot.design == "matched_difference_in_differences":
        pairs = analysed.drop_nulls("baseline_ks4_attainment")
        r = float(np.corrcoef(pairs["value"], pairs["baseline_ks4_attainment"])[0, 1])
        found = {
            stage: mdes_difference_in_differences(rows.height, r, p_treated=float(rows["t"].mean()))
            for stage, rows in stages.items()
        }
        basis = (
            f"pipelines.stats.power.mdes_difference_in_differences (change scores, McKenzie "
            f"2012): matched schools included and analysed; correlation {r:.3f} of a school's "
            "outcome between the last pre-programme year and this year (analysed schools); "
            "ignores match weights and earlier pre-programme years"
        )
        icc = r2 = r2_between = None
    elif pilot.design == "cluster_randomised" and outcome.level == "pupil":
        result = cluster_randomised_effect_sizes(
            analysed, "value", "t", "school_id", covariates, fit="profile", randomisation_draws=0
        )
        rows = {r["model"]: r for r in result.filter(variance="total").iter_rows(named=True)}
        cond, uncond = rows["conditional"], rows["unconditional"]
        icc = float(uncond["icc"])
        r2 = _share_explained(cond["within_variance"], uncond["within_variance"])
        r2_between = _share_explained(cond["between_variance"], uncond["between_variance"])
        clusters = cond["n_clusters_treatment"] + cond["n_clusters_control"]
        level2 = int(clusters - 2 - cond["df"])

        def cluster_mdes(rows: pl.DataFrame) -> float:
            schools = rows.group_by("school_id").agg(pl.col("t").first(), pl.len())
            return mdes_cluster(
                schools.height, rows.height / schools.height, icc,
                p_treated=float(schools["t"].mean()), r2_level1=r2, r2_level2=r2_between,
                n_cluster_covariates=level2,
            )  # fmt: skip

        found = {stage: cluster_mdes(rows) for stage, rows in stages.items()}
        basis = (
            "pipelines.stats.power.mdes_cluster (PowerUp! CRA2_2r, Dong & Maynard 2013): "
            "schools randomised with their pupils due to be tested, then schools and pupils "
            f"analysed; ICC {icc:.3f} (empty model), R2 within {r2:.2f} and between "
            f"{r2_between:.2f} (covariate model against the empty one), {level2} school-level "
            "covariate(s); total SD"
        )
    else:  # participants (or schools as units) randomised individually
        x, _, _ = design_matrix(analysed, "t", covariates)
        y = analysed.get_column("value").cast(pl.Float64).to_numpy()
        k = x.shape[1] - 2
        # share of the residual variance (given allocation) the covariates explain, adjusted
        r2 = _share_explained(sm.OLS(y, x).fit().mse_resid, sm.OLS(y, x[:, :2]).fit().mse_resid)
        found = {
            stage: mdes_individual(
                rows.height, p_treated=float(rows["t"].mean()), r2=r2, n_covariates=k
            )
            for stage, rows in stages.items()
        }
        unit = "participants" if outcome.level == "participant" else f"{outcome.level}s"
        scale = "SD of the 0/1 outcome" if outcome.type == "binary" else "SD of the outcome"
        basis = (
            "pipelines.stats.power.mdes_individual (Bloom 2006): "
            f"{unit} randomised, then {unit} analysed; R2 {r2:.2f} (share of the residual "
            f"variance the covariates explain, adjusted, analysed units); {scale}"
        )
        icc = r2_between = None
    return {
        "mdes_at_randomisation": found["randomisation"],
        "mdes_at_analysis": found["analysis"],
        "mdes_icc": icc,
        "mdes_r2": r2,
        "mdes_r2_between": r2_between,
        "mdes_basis": f"{basis}; {MDES_SETTINGS}",
    }


def security(data: PilotData, judgements: pl.DataFrame) -> pl.DataFrame:
    """One row per pilot x evaluation year: the padlock rating and every input to it."""
    rows = []
    current = judgements.filter(pl.col("is_current"))
    for pilot in data.pilots_with_data():
        mine = current.filter(pl.col("pilot_id") == pilot.id)
        outcome = data.registry.outcomes[pilot.primary_outcomes[0]]
        matched = pilot.design == "matched_difference_in_differences"
        units, matched_on = matched_units(data, pilot) if matched else (None, [])
        for year in pilot.evaluation_years:
            frame = unit_frame(data, pilot, outcome, year)
            if frame.is_empty():
                continue  # no delivery for that year yet
            if matched:
                keep = units.filter(pl.col("match_weight") > 0)["school_id"].implode()
                frame = frame.filter(pl.col("school_id").is_in(keep))
            table = attrition(data, pilot, year)
            overall = table.filter(pl.col("arm") == "overall").row(0, named=True)
            status = None
            if matched:  # the primary outcome's pre-trend test, as in pilot_estimates
                did = _did(data, pilot, outcome, year, units, matched_on)
                status = did[0]["pretrend_status"]
            rates = dict(zip(table["arm"], table["attrition_percent"], strict=True))
            rating = security_rating(
                pilot.design,
                overall["attrition_percent"],
                mine,
                pretrend=status,
                differential_attrition_pp=overall["differential_attrition_pp"],
            )
            rows.append(
                {
                    "pilot_id": pilot.id,
                    "evaluation_year": year,
                    "primary_outcome": outcome.id,
                    "unit_level": outcome.level,
                    "randomised_or_in_sample": overall["randomised"],
                    "analysed": overall["analysed"],
                    "attrition_treatment_percent": rates.get("treatment"),
                    "attrition_control_percent": rates.get("control", rates.get("comparison")),
                    **rating,
                    **mdes(frame, pilot, outcome, _covariates(frame, pilot)),
                    "judgements_as_of": str(mine.get_column("judged_on").max()),
                    "reviewers": ", ".join(sorted(set(mine.get_column("reviewer").to_list()))),
                    "provenance": data.provenance(pilot.id),
                }
            )
    return pl.DataFrame(rows)


def costs(data: PilotData) -> pl.DataFrame:
    """One row per pilot: costs over the three years, per participant, per pupil per year
    (start-up spread over three years) and the EEF cost band."""
    rows = []
    for pilot in data.pilots_with_data():
        frame = data.of("costs", pilot.id)
        start_up = frame.filter(pl.col("cost_category") == "start_up")["amount_gbp"].sum()
        annual = (
            frame.filter(pl.col("cost_category") != "start_up")
            .group_by("evaluation_year")
            .agg(pl.col("amount_gbp").sum())
            .sort("evaluation_year")
        )
        participants = data.of("participants", pilot.id).filter(pl.col("arm") == "treatment").height
        pupils = int(frame["pupils_in_participant_schools"].max() or 0)
        summary = cost_summary(start_up, annual["amount_gbp"].to_list(), participants, pupils)
        by_year = dict(zip(annual["evaluation_year"], annual["amount_gbp"], strict=True))
        rows.append(
            {
                "pilot_id": pilot.id,
                "start_up_gbp": float(start_up),
                **{
                    f"annual_cost_{y[:4]}_{y[5:]}_gbp": float(by_year.get(y, 0.0))
                    for y in pilot.evaluation_years
                },
                "participants_treated": participants,
                "pupils_in_participant_schools": pupils,
                **summary.row(0, named=True),
                "planned_cost_per_participant_gbp": pilot.cost_per_participant_gbp,
                "provenance": data.provenance(pilot.id),
            }
        )
    return pl.DataFrame(rows)


def registry_frame(data: PilotData, registry_provenance: str) -> pl.DataFrame:
    """One row per registered pilot, with where its data come from."""
    present = {p.id for p in data.pilots_with_data()}
    return data.registry.to_frame().with_columns(
        pl.lit(registry_provenance).alias("registry_provenance"),
        pl.col("pilot_id")
        .map_elements(
            lambda p: data.provenance(p) if p in present else "no data",
            return_dtype=pl.String,
        )
        .alias("provenance"),
    )
