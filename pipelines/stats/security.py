"""EEF security rating (padlocks, 0 to 5) from design, attrition and reviewer threat judgements.

Source: shared/methods/README.md ("Security rating") and `padlocks_2019.csv` (EEF 2019
classification; structure verified, thresholds to verify). Steps:

1. design padlocks: randomised 5; regression discontinuity / difference-in-differences /
   matched difference-in-differences 4; matching or regression on observed confounders 3;
   only some confounders 2; none 1; no comparator 0.
2. attrition padlocks (participant or pupil level, randomisation to analysis): the highest
   rating whose `attrition_max_percent` is not exceeded; above 50% scores 0. Then one padlock
   less when overall and differential attrition together are "high attrition" on the What
   Works Clearinghouse cautious boundary (Standards Handbook v5.0;
   `pipelines.stats.attrition.wwc_attrition_band`): the EEF bands judge overall attrition
   only, and differential attrition threatens the comparison even when overall is low.
3. interim rating = the lower of the two, after the pre-trend adjustment of a
   difference-in-differences design (`pretrend_adjustment`): its 4 padlocks rest on parallel
   trends, so a pre-trend test that fails (joint Wald test of the event-study leads,
   p < `PRETREND_ALPHA`) removes 2 (the design then addresses only some confounders: 2
   padlocks), and a test that cannot be run (fewer than two pre-programme periods) removes 1
   (the assumption is unchecked: no better than matching on observables, 3 padlocks). EEF 2019
   classification ("comparison design that addresses selection on unobservables"); Roth
   (2022) on what a passed test does not prove.
4. threat adjustment, only downwards and at most two, from reviewer judgements (Low /
   Moderate / High, with the direction of the suspected bias) of the seven threats in
   `THREATS`:
   * none: up to 2 Moderate, not both in the same known direction;
   * minus one: 3 or 4 Moderate with no two in the same known direction, or 2 Moderate in the
     same direction, or 1 High with all others Low;
   * minus two: 1 High and any Moderate, 2 or more High, 3 or more Moderate with two in the
     same known direction, or 5 or more Moderate.
   The README lists "1 High and 2 Moderate" for minus two and says nothing of 1 High with 1
   Moderate, nor of 3-4 Moderate with a shared direction or 5+ Moderate: those cases take the
   larger adjustment here (conservative), and `rule` on the result names the case applied.

Threat judgements are human inputs kept in a CSV with who, when and why
(`load_threat_judgements`); the latest judgement per pilot and threat counts, earlier ones stay
as the audit trail.
"""

from collections import Counter
from pathlib import Path

import polars as pl

from pipelines.errors import InputError
from pipelines.stats.attrition import wwc_attrition_band
from pipelines.stats.reference_tables import reference_table

DESIGN_PADLOCKS = {
    "cluster_randomised": 5,
    "individual_randomised": 5,
    "regression_discontinuity": 4,
    "difference_in_differences": 4,
    "matched_difference_in_differences": 4,
    "matching": 3,
    "regression_on_observables": 3,
    "partial_confounder_adjustment": 2,
    "unadjusted_comparison": 1,
    "no_comparator": 0,
}

THREATS = (
    "confounding",
    "concurrent_interventions",
    "experimental_effects_and_contamination",
    "implementation_fidelity_and_compliance",
    "missing_data",
    "measurement_of_outcomes",
    "selective_reporting",
)
JUDGEMENTS = ("Low", "Moderate", "High")
DIRECTIONS = ("favours_intervention", "favours_control", "unknown")
THREAT_COLUMNS = (
    "pilot_id",
    "threat",
    "judgement",
    "direction",
    "reviewer",
    "judged_on",
    "rationale",
)


def design_padlocks(design: str) -> int:
    if design not in DESIGN_PADLOCKS:
        raise ValueError(f"unknown design {design!r}; known: {sorted(DESIGN_PADLOCKS)}")
    return DESIGN_PADLOCKS[design]


def attrition_padlocks(attrition_percent: float) -> int:
    """Highest padlocks whose attrition threshold is not exceeded (padlocks_2019.csv)."""
    if not 0 <= attrition_percent <= 100:
        raise ValueError(f"attrition must be a percentage, not {attrition_percent}")
    bands = (
        reference_table("padlocks_2019")
        .drop_nulls("attrition_max_percent")
        .sort("padlocks", descending=True)
    )
    for padlocks, limit in bands.select("padlocks", "attrition_max_percent").iter_rows():
        if attrition_percent <= limit:
            return int(padlocks)
    return 0


PRETREND_ALPHA = 0.05
PRETREND_ADJUSTMENT = {"passed": 0, "not testable": 1, "failed": 2}
PRETREND_DESIGNS = ("difference_in_differences", "matched_difference_in_differences")


def pretrend_status(p_value: float | None, design: str = "matched_difference_in_differences"):
    """ "passed", "failed" (p < PRETREND_ALPHA), "not testable" (no p-value: fewer than two
    pre-programme periods), or "not applicable" for designs without a pre-trend test."""
    if design not in PRETREND_DESIGNS:
        return "not applicable"
    if p_value is None or p_value != p_value:
        return "not testable"
    return "failed" if p_value < PRETREND_ALPHA else "passed"


def pretrend_adjustment(design: str, status: str | None) -> tuple[int, str]:
    """(padlocks to remove from the design rating, rule) for the pre-trend test's status."""
    if design not in PRETREND_DESIGNS:
        return 0, "not applicable: no pre-trend test for this design"
    if status not in PRETREND_ADJUSTMENT:
        raise ValueError(f"pre-trend status must be one of {list(PRETREND_ADJUSTMENT)}")
    removed = PRETREND_ADJUSTMENT[status]
    reasons = {
        "passed": f"pre-trend test passed (p >= {PRETREND_ALPHA}): no change",
        "not testable": "pre-trend test not testable (fewer than two pre-programme periods): "
        "parallel trends unchecked, minus 1",
        "failed": f"pre-trend test failed (p < {PRETREND_ALPHA}): parallel trends rejected, "
        "minus 2",
    }
    return removed, reasons[status]


def threat_adjustment(judgements: pl.DataFrame) -> tuple[int, str]:
    """(padlocks to remove, rule) from one pilot's current judgements (`judgement`, `direction`)."""
    counts = Counter(judgements.get_column("judgement").to_list())
    high, moderate = counts["High"], counts["Moderate"]
    directions = Counter(
        judgements.filter(
            (pl.col("judgement") == "Moderate") & (pl.col("direction") != "unknown")
        ).get_column("direction")
    )
    shared = any(n >= 2 for n in directions.values())
    if high >= 2:
        return 2, "2 or more High"
    if high == 1:
        if moderate == 0:
            return 1, "1 High, all others Low"
        return 2, f"1 High and {moderate} Moderate"
    if moderate <= 2:
        if moderate == 2 and shared:
            return 1, "2 Moderate in the same direction"
        return 0, f"{moderate} Moderate, directions unknown or opposite"
    if moderate <= 4:
        if shared:
            return 2, f"{moderate} Moderate, two or more in the same direction"
        return 1, f"{moderate} Moderate, directions unknown or opposite"
    return 2, f"{moderate} Moderate"


def security_rating(
    design: str,
    attrition_percent: float,
    judgements: pl.DataFrame,
    *,
    pretrend: str | None = None,
    differential_attrition_pp: float | None = None,
) -> dict:
    """The rating with every input: design, pre-trend adjustment (difference-in-differences:
    `pretrend` is the status of `pretrend_status`), attrition, interim, threat counts,
    adjustment."""
    by_design = design_padlocks(design)
    if design in PRETREND_DESIGNS and pretrend is None:
        raise ValueError(f"a {design} rating needs the pre-trend test's status")
    removed, pretrend_rule = pretrend_adjustment(design, pretrend)
    by_attrition = attrition_padlocks(attrition_percent)
    wwc = "unknown"
    if (
        differential_attrition_pp is not None
        and differential_attrition_pp == differential_attrition_pp
    ):
        wwc = wwc_attrition_band(attrition_percent, differential_attrition_pp)
        if wwc == "high":
            by_attrition = max(by_attrition - 1, 0)
    interim = min(max(by_design - removed, 0), by_attrition)
    missing = set(THREATS) - set(judgements.get_column("threat").to_list())
    if missing:
        raise ValueError(f"no judgement for threat(s): {sorted(missing)}")
    adjustment, rule = threat_adjustment(judgements)
    counts = Counter(judgements.get_column("judgement").to_list())
    return {
        "design": design,
        "design_padlocks": by_design,
        "pretrend_status": pretrend if design in PRETREND_DESIGNS else "not applicable",
        "pretrend_adjustment": removed,
        "pretrend_rule": pretrend_rule,
        "attrition_percent": float(attrition_percent),
        "differential_attrition_pp": differential_attrition_pp,
        "wwc_attrition": wwc,
        "attrition_padlocks": by_attrition,
        "interim_padlocks": interim,
        "threats_high": counts["High"],
        "threats_moderate": counts["Moderate"],
        "threat_adjustment": adjustment,
        "threat_rule": rule,
        "padlocks": max(interim - adjustment, 0),
    }


def load_threat_judgements(path: Path) -> pl.DataFrame:
    """Read and validate the reviewer judgements; errors name file, row and column.

    Returns every row (the audit trail) with `is_current` marking the latest judgement per
    pilot x threat (by `judged_on`, later rows winning ties).
    """
    try:
        frame = pl.read_csv(path, infer_schema=False)
    except (pl.exceptions.ComputeError, OSError) as error:
        raise InputError(path, f"cannot read the judgements file: {error}") from error
    missing = [c for c in THREAT_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(path, f"missing column(s) {missing}", rule="contract")
    allowed = {"threat": THREATS, "judgement": JUDGEMENTS, "direction": DIRECTIONS}
    for index, row in enumerate(frame.iter_rows(named=True)):
        line = index + 2
        for column in THREAT_COLUMNS:
            if row[column] is None or not row[column].strip():
                raise InputError(path, "empty value", row=line, column=column, rule="contract")
        for column, values in allowed.items():
            if row[column] not in values:
                raise InputError(
                    path,
                    f"{row[column]!r} is not one of {list(values)}",
                    row=line,
                    column=column,
                    rule="contract",
                )
    frame = frame.with_row_index("_row").with_columns(
        pl.col("judged_on").str.to_date("%Y-%m-%d", strict=False)
    )
    bad = frame.filter(pl.col("judged_on").is_null())
    if bad.height:
        raise InputError(
            path,
            "judged_on must be a date YYYY-MM-DD",
            row=int(bad["_row"][0]) + 2,
            column="judged_on",
            rule="contract",
        )
    latest = (
        frame.sort("judged_on", "_row")
        .group_by("pilot_id", "threat", maintain_order=True)
        .agg(pl.col("_row").last())
    )
    return (
        frame.with_columns(
            pl.col("_row").is_in(latest.get_column("_row").implode()).alias("is_current")
        )
        .sort("_row")
        .drop("_row")
    )
