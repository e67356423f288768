"""SYNTHETIC evaluator files for the five registered pilots, 2025/26 to 2027/28.

No pilot data exist yet. This generator writes what evaluators will deliver, in the contract of
`pipelines/pilots/contract.py`, so the pipeline, marts and notebook can be built and tested:

    generate(out_dir, truth_path)           # or: python -m pipelines.pilots.synthetic OUT TRUTH

`out_dir/<pilot>/<2025-26|2026-27|2027-28>/{participants,schools,outcomes,dosage,costs}.csv`
plus `out_dir/manifest.json`; the planted effects and design parameters go to `truth_path`, a
separate JSON file that only tests read. Same seed, same bytes. Record-level output: write it
to a working or temporary folder, never commit it.

Everything is labelled synthetic: `provenance` = "synthetic" on every row, the manifest, and
ids pseudonymised with the public `SYNTHETIC_KEY` (see `pseudonymise.py`).

What is planted (all on the standardised scale of the outcome's total SD, conditional on
nothing; `truth` records each value):
* school clustering: a school random effect (ICC) on every participant and pupil outcome;
* baseline imbalance: P4's programme schools self-select (more disadvantaged, lower baseline
  attainment); the randomised pilots have chance imbalance only;
* attrition that differs by arm: yearly loss probabilities per arm, loss is permanent;
* partial compliance: a share of the treatment arm does not take the programme up (and a
  few controls do); effects act only through taking it up, so ITT = effect x (take-up in
  treatment - take-up in control);
* planted effects per pilot x outcome (continuous: g; binary: log odds ratio; P4: points).
"""

import argparse
import json
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.pilots.contract import FILES, YEAR_FOLDERS
from pipelines.pilots.pseudonymise import SYNTHETIC_KEY, pseudonymise
from pipelines.pilots.registry import EVALUATION_YEARS, Registry, load_registry

SEED = 20250901
REGIONS = ("north", "midlands", "south", "london")
YEAR_START = {y: int(y[:4]) for y in EVALUATION_YEARS}


def _year(start: int) -> str:
    return f"{start}/{str(start + 1)[2:]}"


def _pid(kind: str, raw: int) -> str:
    return pseudonymise(raw, SYNTHETIC_KEY, kind)


def _schools(rng, n: int, first_urn: int, phase: str) -> pl.DataFrame:
    fsm = np.clip(rng.beta(2.0, 6.0, n) * 100, 1, 80)
    pupils = np.clip(rng.lognormal(5.5 if phase == "primary" else 6.9, 0.35, n), 40, 2500)
    inspection = rng.choice(
        ["outstanding", "good", "requires_improvement", "inadequate"], n, p=[0.15, 0.7, 0.12, 0.03]
    )
    return pl.DataFrame(
        {
            "urn": np.arange(first_urn, first_urn + n),
            "phase": phase,
            "region_group": rng.choice(REGIONS, n, p=[0.3, 0.25, 0.3, 0.15]),
            "fsm_percent": np.round(fsm, 1),
            "disadvantaged_school": fsm >= 32,
            "pupils": pupils.astype(int),
            "baseline_inspection": inspection,
            "u": rng.normal(size=n),  # latent school effect (standardised), not written
        }
    )


# Participant-randomised pilots: continuous outcomes have (mean, SD, planted g among takers);
# binary outcomes (base rate, planted log odds ratio among takers).
INDIVIDUAL = {
    "P1": {
        "n": 320,
        "role": "senior",
        "icc": 0.05,
        "take_up": (0.78, 0.02),
        "loss": (0.04, 0.08),
        "scale": {"wellbeing": (46.0, 8.0, 0.30), "self_efficacy": (6.0, 1.2, 0.15)},
        "binary": {"retention_in_leadership": (0.86, 0.45)},
    },
    "P2": {
        "n": 260,
        "role": "aspiring",
        "icc": 0.05,
        "take_up": (0.85, 0.0),
        "loss": (0.05, 0.09),
        "scale": {"self_efficacy": (5.6, 1.3, 0.25)},
        "binary": {"progression_to_headship": (0.08, 0.6), "retention_in_leadership": (0.88, 0.3)},
    },
    "P3": {
        "n": 220,
        "role": "head",
        "icc": 0.0,
        "take_up": (0.82, 0.03),
        "loss": (0.03, 0.06),
        "scale": {"wellbeing": (44.0, 8.5, 0.20), "self_efficacy": (6.2, 1.1, 0.25)},
        "binary": {"retention_in_leadership": (0.80, 0.55)},
        "school_scale": {"staff_retention": (0.85, 0.06, 0.15)},
    },
}
P5 = {
    "schools": 120,
    "icc": 0.15,
    "prior_r": 0.6,
    "g": 0.14,
    "take_up": (0.85, 0.0),
    "school_loss": (0.02, 0.05),
    "pupil_loss": 0.03,
}
P4 = {"pool": 500, "effect_points": 1.5, "school_sd": 4.0, "noise_sd": 1.2}


def _role(rng, kind: str, n: int) -> np.ndarray:
    if kind == "head":
        return np.full(n, "headteacher")
    if kind == "aspiring":
        return rng.choice(["assistant_head", "middle_leader", "deputy_head"], n, p=[0.4, 0.4, 0.2])
    return rng.choice(["deputy_head", "assistant_head", "headteacher"], n, p=[0.45, 0.4, 0.15])


def _allocate(rng, strata: np.ndarray) -> np.ndarray:
    """1:1 allocation within strata (a random half, odd units to a coin toss)."""
    arm = np.zeros(len(strata), dtype=int)
    for stratum in np.unique(strata):
        idx = np.flatnonzero(strata == stratum)
        idx = rng.permutation(idx)
        half = len(idx) // 2 + (rng.random() < 0.5 if len(idx) % 2 else 0)
        arm[idx[:half]] = 1
    return arm


def _lost(rng, arm: np.ndarray, loss: tuple[float, float], years: int) -> np.ndarray:
    """Year index (1..years) from which each unit is lost; years + 1 when never lost."""
    p = np.where(arm == 1, loss[0], loss[1])
    first = rng.geometric(p)
    return np.minimum(first, years + 1)


def _participant_pilot(pilot, registry, rng, files, truth):
    cfg = INDIVIDUAL[pilot.id]
    pilot_truth = {
        "design": pilot.design,
        "icc": cfg["icc"],
        "take_up": cfg["take_up"],
        "loss_per_year": {"treatment": cfg["loss"][0], "control": cfg["loss"][1]},
        "outcomes": {},
    }
    compliance_gap = cfg["take_up"][0] - cfg["take_up"][1]
    for cohort, starts in pilot.cohorts:
        n = cfg["n"]
        base = 9_000_000 + 100_000 * int(pilot.id[1:]) + 10_000 * cohort
        n_schools = n if cfg["role"] == "head" else int(n * 0.7)
        schools = _schools(rng, n_schools, base, "primary")
        schools = schools.with_columns(
            pl.Series("phase", rng.choice(["primary", "secondary"], n_schools, p=[0.75, 0.25]))
        )
        school_of = np.arange(n) if cfg["role"] == "head" else rng.integers(0, n_schools, n)
        sch = schools.to_dict(as_series=False)
        role = _role(rng, cfg["role"], n)
        region = np.array(sch["region_group"])[school_of]
        phase = np.array(sch["phase"])[school_of]
        strata = {
            "P1": [f"{r}|{p}" for r, p in zip(region, phase, strict=True)],
            "P2": list(role),
            "P3": list(phase),
        }[pilot.id]
        arm = _allocate(rng, np.array(strata))
        take = rng.random(n) < np.where(arm == 1, cfg["take_up"][0], cfg["take_up"][1])
        x = rng.normal(size=n)  # standardised baseline of the primary scale
        u = np.array(sch["u"])[school_of]
        female = rng.random(n) < 0.62
        gm = rng.random(n) < (1.0 if pilot.id == "P2" else 0.12)
        ids = [_pid("participant", base + i) for i in range(n)]
        sids = [_pid("school", urn) for urn in sch["urn"]]
        start = YEAR_START[starts]
        years_followed = 2028 - start
        lost_from = _lost(rng, arm, cfg["loss"], years_followed)
        files["participants"][starts].append(
            pl.DataFrame(
                {
                    "pilot_id": pilot.id,
                    "evaluation_year": starts,
                    "participant_id": ids,
                    "school_id": [sids[s] for s in school_of],
                    "cohort": cohort,
                    "arm": np.where(arm == 1, "treatment", "control"),
                    "allocated_on": f"{start}-10-0{1 + cohort}",
                    "stratum": strata,
                    "role": role,
                    "sex": np.where(female, "female", "male"),
                    "global_majority": np.where(gm, "yes", "no"),
                    "years_in_role": rng.integers(0, 15, n),
                    "baseline_wellbeing": np.round(46 + 8 * x, 1).clip(14, 70),
                    "baseline_self_efficacy": np.round(
                        6 + 1.2 * (0.5 * x + 0.87 * rng.normal(size=n)), 2
                    ).clip(1, 9),
                }
            )
        )
        for k in range(1, years_followed + 1):
            year = _year(start + k - 1)
            active = np.unique(school_of)
            files["schools"][year].append(
                schools[active].with_columns(
                    pl.lit(pilot.id).alias("pilot_id"),
                    pl.lit(year).alias("evaluation_year"),
                    pl.Series("school_id", [sids[s] for s in active]),
                    pl.lit("not_allocated").alias("arm"),
                )
            )
            status = np.where(
                lost_from <= k, np.where(arm == 1, "withdrawn", "lost_to_follow_up"), "measured"
            )
            for outcome, (mean, sd, g) in cfg["scale"].items():
                resid = np.sqrt(1 - 0.36 - cfg["icc"])
                z = g * take + 0.6 * x + np.sqrt(cfg["icc"]) * u + resid * rng.normal(size=n)
                _add_outcomes(
                    files,
                    pilot.id,
                    year,
                    "participant",
                    ids,
                    school_of,
                    sids,
                    outcome,
                    year,
                    np.round(mean + sd * z, 2),
                    status,
                )
            for outcome, (rate, log_or) in cfg["binary"].items():
                lin = np.log(rate / (1 - rate)) + 0.4 * x + 0.3 * u
                if outcome == "progression_to_headship":
                    lin = lin + 0.5 * (k - 1)
                p1 = 1 / (1 + np.exp(-(lin + log_or)))
                p0 = 1 / (1 + np.exp(-lin))
                p = np.where(take, p1, p0)
                value = (rng.random(n) < p).astype(float)
                _add_outcomes(
                    files,
                    pilot.id,
                    year,
                    "participant",
                    ids,
                    school_of,
                    sids,
                    outcome,
                    year,
                    value,
                    status,
                )
                key = f"{outcome}|cohort{cohort}|{year}"
                pilot_truth["outcomes"][key] = {
                    "type": "binary",
                    "log_odds_ratio_if_taken_up": log_or,
                    "itt_risk_difference": float(np.mean(p1 - p0) * compliance_gap),
                }
            for outcome, (mean, sd, g) in cfg.get("school_scale", {}).items():
                z = g * take + 0.5 * u + np.sqrt(0.75) * rng.normal(size=n)
                _add_outcomes(
                    files,
                    pilot.id,
                    year,
                    "school",
                    sids,
                    school_of,
                    sids,
                    outcome,
                    year,
                    np.round(np.clip(mean + sd * z, 0, 1), 4),
                    status,
                    unit_index=school_of,
                )
            if k <= 2:
                _add_dosage(files, rng, pilot.id, year, "participant", ids, arm, take)
            files["costs"][year].append(
                _costs(
                    pilot,
                    year,
                    int(np.sum(arm == 1) if k <= 2 else 0),
                    start == 2025 and k == 1,
                    int(np.sum(np.array(sch["pupils"])[school_of][arm == 1])),
                )
            )
    for outcome, (_, _, g) in cfg["scale"].items():
        pilot_truth["outcomes"][outcome] = {
            "type": "scale",
            "g_if_taken_up": g,
            "itt_g_total": g * compliance_gap,
            "itt_g_conditional": g * compliance_gap / np.sqrt(1 - 0.36),
        }
    truth[pilot.id] = pilot_truth


def _add_outcomes(
    files,
    pilot_id,
    year,
    level,
    ids,
    school_of,
    sids,
    outcome,
    measured,
    values,
    status,
    unit_index=None,
):
    if unit_index is not None:  # school-level outcome: one row per school, first unit's draw
        _, first = np.unique(unit_index, return_index=True)
        ids = [ids[unit_index[i]] for i in first]
        school_of, values, status = unit_index[first], values[first], status[first]
    files["outcomes"][year].append(
        pl.DataFrame(
            {
                "pilot_id": pilot_id,
                "evaluation_year": year,
                "unit_level": level,
                "unit_id": list(ids),
                "school_id": [sids[s] for s in school_of],
                "outcome_id": outcome,
                "measured_year": measured,
                "value": np.where(status == "measured", values, np.nan),
                "status": status,
            }
        ).with_columns(pl.col("value").fill_nan(None))
    )


def _add_dosage(files, rng, pilot_id, year, level, ids, arm, take):
    rows = np.flatnonzero((arm == 1) | take)
    offered = np.full(len(rows), 10)
    attended = np.where(take[rows], rng.integers(7, 11, len(rows)), rng.integers(0, 5, len(rows)))
    files["dosage"][year].append(
        pl.DataFrame(
            {
                "pilot_id": pilot_id,
                "evaluation_year": year,
                "unit_level": level,
                "unit_id": [ids[i] for i in rows],
                "sessions_offered": offered,
                "sessions_attended": attended,
                "received_intervention": take[rows],
            }
        )
    )


def _costs(pilot, year, participants, first_year, pupils):
    delivery = round(pilot.cost_per_participant_gbp * participants * 0.55)
    rows = [
        ("delivery", delivery),
        ("materials", round(pilot.cost_per_participant_gbp * participants * 0.10)),
        ("staff_time", round(pilot.cost_per_participant_gbp * participants * 0.35)),
        ("start_up", round(pilot.cost_per_participant_gbp * 40) if first_year else 0),
    ]
    return pl.DataFrame(
        {
            "pilot_id": pilot.id,
            "evaluation_year": year,
            "cost_category": [c for c, _ in rows],
            "amount_gbp": [float(a) for _, a in rows],
            "participants": participants,
            "pupils_in_participant_schools": pupils,
        }
    )


def _cluster_pilot(pilot, rng, files, truth):
    cfg = P5
    m = cfg["schools"]
    schools = _schools(rng, m, 9_500_000, "primary")
    sch = schools.to_dict(as_series=False)
    arm = _allocate(rng, np.array(sch["region_group"]))
    take = rng.random(m) < np.where(arm == 1, cfg["take_up"][0], cfg["take_up"][1])
    sids = [_pid("school", urn) for urn in sch["urn"]]
    lead_ids = [_pid("participant", 9_500_000 + j) for j in range(m)]
    lost_from = _lost(rng, arm, cfg["school_loss"], 3)
    resid = np.sqrt(1 - cfg["prior_r"] ** 2 - cfg["icc"])
    u = np.array(sch["u"])
    files["participants"]["2025/26"].append(
        pl.DataFrame(
            {
                "pilot_id": pilot.id,
                "evaluation_year": "2025/26",
                "participant_id": lead_ids,
                "school_id": sids,
                "cohort": 1,
                "arm": np.where(arm == 1, "treatment", "control"),
                "allocated_on": "2025-07-14",
                "stratum": sch["region_group"],
                "role": "headteacher",
                "sex": np.where(rng.random(m) < 0.7, "female", "male"),
                "global_majority": np.where(rng.random(m) < 0.06, "yes", "no"),
                "years_in_role": rng.integers(0, 20, m),
                "baseline_wellbeing": None,
                "baseline_self_efficacy": None,
            }
        )
    )
    pupil_counter = 0
    for k, year in enumerate(EVALUATION_YEARS, start=1):
        files["schools"][year].append(
            schools.with_columns(
                pl.lit(pilot.id).alias("pilot_id"),
                pl.lit(year).alias("evaluation_year"),
                pl.Series("school_id", sids),
                pl.Series("arm", np.where(arm == 1, "treatment", "control")),
            )
        )
        size = np.clip((np.array(sch["pupils"]) / 7 * rng.uniform(0.8, 1.2, m)).astype(int), 5, 90)
        school_of = np.repeat(np.arange(m), size)
        n = len(school_of)
        pupil_ids = [_pid("pupil", 9_700_000 + pupil_counter + i) for i in range(n)]
        pupil_counter += n
        prior = rng.normal(size=n)
        z = (
            cfg["g"] * take[school_of]
            + cfg["prior_r"] * prior
            + np.sqrt(cfg["icc"]) * u[school_of]
            + resid * rng.normal(size=n)
        )
        status = np.where(
            lost_from[school_of] <= k,
            "withdrawn",
            np.where(rng.random(n) < cfg["pupil_loss"], "lost_to_follow_up", "measured"),
        )
        _add_outcomes(
            files,
            pilot.id,
            year,
            "pupil",
            pupil_ids,
            school_of,
            sids,
            "ks2_attainment",
            year,
            np.round(104 + 6.5 * z, 1),
            status,
        )
        _add_outcomes(
            files,
            pilot.id,
            year,
            "pupil",
            pupil_ids,
            school_of,
            sids,
            "ks1_prior_attainment",
            _year(YEAR_START[year] - 4),
            np.round(16 + 3 * prior, 1),
            np.full(n, "measured"),
        )
        school_status = np.where(lost_from <= k, "withdrawn", "measured")
        retention = np.clip(0.86 + 0.05 * (0.5 * u + rng.normal(size=m)), 0, 1)
        good = (
            rng.random(m) < np.where(np.array(sch["baseline_inspection"]) == "good", 0.85, 0.6)
        ).astype(float)
        for outcome, values in (
            ("staff_retention", np.round(retention, 4)),
            ("inspection_good_or_better", good),
        ):
            _add_outcomes(
                files,
                pilot.id,
                year,
                "school",
                sids,
                np.arange(m),
                sids,
                outcome,
                year,
                values,
                school_status,
            )
        _add_dosage(files, rng, pilot.id, year, "school", sids, arm, take)
        files["costs"][year].append(
            _costs(
                pilot, year, int(arm.sum()), k == 1, int(np.sum(np.array(sch["pupils"])[arm == 1]))
            )
        )
    gap = cfg["take_up"][0] - cfg["take_up"][1]
    truth[pilot.id] = {
        "design": pilot.design,
        "icc_unconditional": cfg["icc"],
        "icc_conditional": cfg["icc"] / (1 - cfg["prior_r"] ** 2),
        "take_up": cfg["take_up"],
        "school_loss_per_year": {
            "treatment": cfg["school_loss"][0],
            "control": cfg["school_loss"][1],
        },
        "outcomes": {
            "ks2_attainment": {
                "type": "scale",
                "g_if_taken_up": cfg["g"],
                "itt_g_total": cfg["g"] * gap,
                "sd_total": 6.5,
                "realised_take_up_gap": float(take[arm == 1].mean() - take[arm == 0].mean()),
            }
        },
    }


def _did_pilot(pilot, rng, files, truth):
    cfg = P4
    n = cfg["pool"]
    schools = _schools(rng, n, 9_600_000, "secondary")
    sch = schools.to_dict(as_series=False)
    fsm = np.array(sch["fsm_percent"])
    level = 50 - 0.3 * (fsm - 25) + cfg["school_sd"] * rng.normal(size=n)
    score = -2.6 + 0.05 * (fsm - 25) - 0.10 * (level - 50)
    treated = rng.random(n) < 1 / (1 + np.exp(-score))
    sids = [_pid("school", urn) for urn in sch["urn"]]
    arm_label = np.where(treated, "treatment", "comparison")
    leaders = np.repeat(np.flatnonzero(treated), rng.integers(1, 3, treated.sum()))
    lead_ids = [_pid("participant", 9_650_000 + i) for i in range(len(leaders))]
    files["participants"]["2025/26"].append(
        pl.DataFrame(
            {
                "pilot_id": pilot.id,
                "evaluation_year": "2025/26",
                "participant_id": lead_ids,
                "school_id": [sids[s] for s in leaders],
                "cohort": 1,
                "arm": "treatment",
                "allocated_on": "2025-09-01",
                "stratum": "none",
                "role": rng.choice(["headteacher", "deputy_head"], len(leaders)),
                "sex": np.where(rng.random(len(leaders)) < 0.55, "female", "male"),
                "global_majority": np.where(rng.random(len(leaders)) < 0.1, "yes", "no"),
                "years_in_role": rng.integers(1, 20, len(leaders)),
                "baseline_wellbeing": None,
                "baseline_self_efficacy": None,
            }
        )
    )
    year_effect = {s: 0.4 * (s - 2021) + rng.normal(0, 0.5) for s in range(2021, 2028)}
    for k, year in enumerate(EVALUATION_YEARS, start=1):
        files["schools"][year].append(
            schools.with_columns(
                pl.lit(pilot.id).alias("pilot_id"),
                pl.lit(year).alias("evaluation_year"),
                pl.Series("school_id", sids),
                pl.Series("arm", arm_label),
            )
        )
        measured = range(2021, 2026) if k == 1 else [YEAR_START[year]]
        for s in measured:
            post = s >= 2025
            value = (
                level
                + year_effect[s]
                + cfg["effect_points"] * (treated & post)
                + cfg["noise_sd"] * rng.normal(size=n)
            )
            _add_outcomes(
                files,
                pilot.id,
                year,
                "school",
                sids,
                np.arange(n),
                sids,
                "ks4_attainment",
                _year(s),
                np.round(np.clip(value, 0, 90), 2),
                np.full(n, "measured"),
            )
            retention = np.clip(0.84 + 0.05 * rng.normal(size=n), 0, 1)
            _add_outcomes(
                files,
                pilot.id,
                year,
                "school",
                sids,
                np.arange(n),
                sids,
                "staff_retention",
                _year(s),
                np.round(retention, 4),
                np.full(n, "measured"),
            )
        take = np.ones(len(leaders), dtype=bool) & (rng.random(len(leaders)) < 0.9)
        if k <= 2:
            _add_dosage(
                files,
                rng,
                pilot.id,
                year,
                "participant",
                lead_ids,
                np.ones(len(leaders), dtype=int),
                take,
            )
        files["costs"][year].append(
            _costs(
                pilot,
                year,
                len(leaders) if k <= 2 else 0,
                k == 1,
                int(np.sum(np.array(sch["pupils"])[treated])),
            )
        )
    truth[pilot.id] = {
        "design": pilot.design,
        "first_treated_year": "2025/26",
        "n_treated": int(treated.sum()),
        "n_pool": n,
        "selection": "more disadvantaged and lower-attaining schools opt in",
        "outcomes": {
            "ks4_attainment": {"type": "school_mean", "did_effect_points": cfg["effect_points"]}
        },
    }


def generate(
    out_dir: Path, truth_path: Path, *, seed: int = SEED, registry: Registry | None = None
) -> dict:
    """Write every pilot file for all five pilots and three years; return the truth dict."""
    registry = registry or load_registry()
    out_dir, truth_path = Path(out_dir), Path(truth_path)
    if truth_path.resolve().is_relative_to(out_dir.resolve()):
        raise ValueError("keep the truth file outside the folder of evaluator files")
    files = {name: {year: [] for year in EVALUATION_YEARS} for name in FILES}
    truth: dict = {"synthetic": True, "seed": seed, "pilots": {}}
    for index, pilot in enumerate(registry.pilots):
        rng = np.random.default_rng([seed, index])
        if pilot.design == "individual_randomised":
            _participant_pilot(pilot, registry, rng, files, truth["pilots"])
        elif pilot.design == "cluster_randomised":
            _cluster_pilot(pilot, rng, files, truth["pilots"])
        else:
            _did_pilot(pilot, rng, files, truth["pilots"])

    written = []
    for name, contract in FILES.items():
        for year, parts in files[name].items():
            empty = pl.DataFrame(schema=dict.fromkeys(contract.column_names, pl.String))
            if name == "costs" and parts:  # two cohorts active in one year: one row per key
                parts = [
                    pl.concat(parts)
                    .group_by(list(contract.key))
                    .agg(
                        pl.col("amount_gbp", "participants", "pupils_in_participant_schools").sum()
                    )
                ]
            frame = (
                pl.concat(parts or [empty], how="diagonal_relaxed")
                .with_columns(pl.lit("synthetic").alias("provenance"))
                .select(contract.column_names)
                .sort(list(contract.key))
            )
            for pilot_id, part in frame.group_by("pilot_id", maintain_order=True):
                folder = out_dir / str(pilot_id[0]) / YEAR_FOLDERS[year]
                folder.mkdir(parents=True, exist_ok=True)
                part.write_csv(folder / f"{name}.csv")
                written.append(str((folder / f"{name}.csv").relative_to(out_dir)))
            for pilot in registry.pilots:  # a pilot with nothing new this year: header only
                path = out_dir / pilot.id / YEAR_FOLDERS[year] / f"{name}.csv"
                if not path.exists():
                    path.parent.mkdir(parents=True, exist_ok=True)
                    frame.clear().write_csv(path)
                    written.append(str(path.relative_to(out_dir)))
    manifest = {
        "provenance": "synthetic",
        "warning": "SYNTHETIC record-level data for illustrative pilots; not real people or "
        "schools. Ids are pseudonymised with a public synthetic key. Do not commit.",
        "generator": "pipelines.pilots.synthetic",
        "seed": seed,
        "files": sorted(written),
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    truth_path.parent.mkdir(parents=True, exist_ok=True)
    truth_path.write_text(json.dumps(truth, indent=2, default=float) + "\n")
    return truth


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path, help="folder for the evaluator files")
    parser.add_argument("truth_path", type=Path, help="JSON file for the planted effects")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    generate(args.out_dir, args.truth_path, seed=args.seed)
    print(f"SYNTHETIC pilot files written to {args.out_dir}; truth in {args.truth_path}")


if __name__ == "__main__":
    main()
