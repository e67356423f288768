"""The pilot registry: five pilot interventions described as data in a YAML file.

`data/raw/pilots/registry/pilots.yaml` (under NPQ_RAW_DIR) is edited by evaluators; this module
reads it with PyYAML's safe loader and checks every entry. A problem raises `RegistryError`
naming the file, the line, the entry (its position and pilot id) and the field, e.g.

    file .../pilots.yaml, row 57, column 'design': entry 3 (pilot 'P3'): 'rct' is not one of
    [...] [rule: registry]

("row" is the line in the YAML file). The allowed values are documented in
data/raw/pilots/CONTRACT.md.

`designs.yaml` beside it says how each pilot is analysed (`ANALYSES`): a participant-
randomised pilot whose schools hold both arms is a multisite design (random school intercept
and school-by-treatment slope), which `design` alone cannot say. A pilot it does not list is
analysed as its design implies (`DEFAULT_ANALYSIS`); a file that is absent lists none.
"""

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from pipelines.errors import InputError
from pipelines.paths import raw_dir
from pipelines.stats.security import DESIGN_PADLOCKS

EVALUATION_YEARS = ("2025/26", "2026/27", "2027/28")
DESIGNS = ("individual_randomised", "cluster_randomised", "matched_difference_in_differences")
UNITS = {
    "individual_randomised": "participant",
    "cluster_randomised": "school",
    "matched_difference_in_differences": "school",
}
OUTCOME_LEVELS = ("participant", "school", "pupil")
OUTCOME_TYPES = ("binary", "scale", "school_mean", "proportion")
SUBGROUPS = ("disadvantaged_school", "global_majority", "women")
ARM_IDS = ("treatment", "control", "comparison")
PILOT_FIELDS = (
    "id",
    "name",
    "aim",
    "design",
    "unit_of_allocation",
    "allocation_ratio",
    "stratified_by",
    "arms",
    "cohorts",
    "evaluation_years",
    "primary_outcomes",
    "secondary_outcomes",
    "covariates",
    "subgroups",
    "cost_per_participant_gbp",
)
assert set(DESIGNS) <= set(DESIGN_PADLOCKS), "every registry design needs a padlock rule"

ANALYSES = {
    "individual_randomised": ("individual", "multisite"),
    "cluster_randomised": ("cluster",),
    "matched_difference_in_differences": ("matched_difference_in_differences",),
}
"""Analysis designs allowed for each registry design; the first is the default."""
DEFAULT_ANALYSIS = {design: allowed[0] for design, allowed in ANALYSES.items()}
SITE_COLUMNS = ("school_id",)
"""Columns a multisite analysis may group units by."""
DESIGN_FIELDS = ("analysis", "site", "reason")


class RegistryError(InputError):
    """An entry of the pilot registry that cannot be accepted."""


def registry_path() -> Path:
    return raw_dir() / "pilots" / "registry" / "pilots.yaml"


def designs_path(registry: Path) -> Path:
    """The analysis designs file beside a registry file."""
    return Path(registry).with_name("designs.yaml")


@dataclass(frozen=True)
class PupilLevelSD:
    """A documented pupil-level standard deviation of an outcome, with where it comes from.

    Needed to put an effect on a school-level (school-mean) attainment outcome on the pupil
    scale that EEF months' progress assumes; see pipelines/stats/METHODS.md.
    """

    value: float
    source: str


@dataclass(frozen=True)
class Outcome:
    id: str
    label: str
    level: str
    type: str
    pupil_attainment: bool
    pupil_level_sd: PupilLevelSD | None = None


@dataclass(frozen=True)
class Pilot:
    id: str
    name: str
    aim: str
    design: str
    unit_of_allocation: str
    allocation_ratio: str
    stratified_by: tuple[str, ...]
    arms: tuple[tuple[str, str], ...]
    cohorts: tuple[tuple[int, str], ...]
    evaluation_years: tuple[str, ...]
    primary_outcomes: tuple[str, ...]
    secondary_outcomes: tuple[str, ...]
    covariates: tuple[str, ...]
    subgroups: tuple[str, ...]
    cost_per_participant_gbp: float
    analysis: str = ""
    """How the pilot is analysed (`ANALYSES`); set from designs.yaml or the default."""
    site: str | None = None
    """The column grouping units into sites, for a multisite analysis."""

    @property
    def outcomes(self) -> tuple[str, ...]:
        return self.primary_outcomes + self.secondary_outcomes


@dataclass(frozen=True)
class Registry:
    path: Path
    evaluation_years: tuple[str, ...]
    outcomes: dict[str, Outcome]
    pilots: tuple[Pilot, ...]

    def pilot(self, pilot_id: str) -> Pilot:
        for pilot in self.pilots:
            if pilot.id == pilot_id:
                return pilot
        raise KeyError(f"no pilot {pilot_id!r} in {self.path}")

    def to_frame(self) -> pl.DataFrame:
        """One row per pilot (lists kept as list columns): the registry mart's content."""
        return pl.DataFrame(
            [
                {
                    "pilot_id": p.id,
                    "pilot_name": p.name,
                    "aim": p.aim,
                    "design": p.design,
                    "unit_of_allocation": p.unit_of_allocation,
                    "allocation_ratio": p.allocation_ratio,
                    "stratified_by": list(p.stratified_by),
                    "arms": [a for a, _ in p.arms],
                    "cohort_starts": [s for _, s in p.cohorts],
                    "evaluation_years": list(p.evaluation_years),
                    "primary_outcomes": list(p.primary_outcomes),
                    "secondary_outcomes": list(p.secondary_outcomes),
                    "covariates": list(p.covariates),
                    "subgroups": list(p.subgroups),
                    "cost_per_participant_gbp": p.cost_per_participant_gbp,
                    "analysis_design": p.analysis,
                    "site": p.site,
                }
                for p in self.pilots
            ]
        ).with_columns(pl.col("analysis_design", "site").cast(pl.String))


def _lines(node: yaml.Node) -> dict:
    """Line numbers (1-based) of a composed YAML tree, as nested dicts/lists mirroring it."""
    if isinstance(node, yaml.MappingNode):
        return {
            "_line": node.start_mark.line + 1,
            **{k.value: (k.start_mark.line + 1, _lines(v)) for k, v in node.value},
        }
    if isinstance(node, yaml.SequenceNode):
        return {"_line": node.start_mark.line + 1, "_items": [_lines(v) for v in node.value]}
    return {"_line": node.start_mark.line + 1}


class _Checker:
    def __init__(self, path: Path, lines: dict) -> None:
        self.path = path
        self.lines = lines

    def fail(self, message: str, *, field: str, where: dict, entry: str = "") -> None:
        line = where.get(field, (where.get("_line"),))[0] if field in where else where["_line"]
        prefix = f"{entry}: " if entry else ""
        raise RegistryError(self.path, prefix + message, row=line, column=field, rule="registry")

    def text(self, mapping: dict, field: str, where: dict, entry: str = "") -> str:
        value = mapping.get(field)
        if not isinstance(value, str) or not value.strip():
            self.fail("must be non-empty text", field=field, where=where, entry=entry)
        return value.strip()

    def text_list(self, mapping, field, where, entry="", allowed=None, empty_ok=True) -> tuple:
        value = mapping.get(field)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail("must be a list of names", field=field, where=where, entry=entry)
        if not value and not empty_ok:
            self.fail("must name at least one", field=field, where=where, entry=entry)
        if len(set(value)) != len(value):
            self.fail("lists a name twice", field=field, where=where, entry=entry)
        for item in value:
            if allowed is not None and item not in allowed:
                self.fail(
                    f"{item!r} is not one of {sorted(allowed)}",
                    field=field,
                    where=where,
                    entry=entry,
                )
        return tuple(value)


def _outcome(checker: _Checker, key: str, spec: Any, where: dict) -> Outcome:
    entry = f"outcome '{key}'"
    if not isinstance(spec, dict):
        checker.fail("must be a mapping of label, level, type", field=key, where=where)
    inner = where[key][1]
    level, kind = spec.get("level"), spec.get("type")
    if level not in OUTCOME_LEVELS:
        checker.fail(
            f"{level!r} is not one of {list(OUTCOME_LEVELS)}",
            field="level",
            where=inner,
            entry=entry,
        )
    if kind not in OUTCOME_TYPES:
        checker.fail(
            f"{kind!r} is not one of {list(OUTCOME_TYPES)}", field="type", where=inner, entry=entry
        )
    attainment = spec.get("pupil_attainment")
    if not isinstance(attainment, bool):
        checker.fail("must be true or false", field="pupil_attainment", where=inner, entry=entry)
    pupil_sd = None
    if "pupil_level_sd" in spec:
        given = spec["pupil_level_sd"]
        value = given.get("value") if isinstance(given, dict) else None
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            checker.fail(
                "must be a mapping with a positive `value` and its `source`",
                field="pupil_level_sd",
                where=inner,
                entry=entry,
            )
        source = checker.text(given, "source", inner, entry)
        pupil_sd = PupilLevelSD(float(value), source)
    label = checker.text(spec, "label", inner, entry)
    return Outcome(key, label, level, kind, attainment, pupil_sd)


def _pilot(checker: _Checker, index: int, spec: Any, where: dict, outcomes, years) -> Pilot:
    entry = f"entry {index + 1}"
    if not isinstance(spec, dict):
        checker.fail(
            "must be a mapping of fields", field="pilots", where=checker.lines, entry=entry
        )
    if isinstance(spec.get("id"), str):
        entry += f" (pilot '{spec['id']}')"
    for name in PILOT_FIELDS:
        if name not in spec:
            checker.fail("is missing", field=name, where=where, entry=entry)
    unknown = sorted(set(spec) - set(PILOT_FIELDS))
    if unknown:
        checker.fail(
            f"unknown field (allowed: {list(PILOT_FIELDS)})",
            field=unknown[0],
            where=where,
            entry=entry,
        )
    design = checker.text(spec, "design", where, entry)
    if design not in DESIGNS:
        checker.fail(
            f"{design!r} is not one of {list(DESIGNS)}", field="design", where=where, entry=entry
        )
    unit = checker.text(spec, "unit_of_allocation", where, entry)
    if unit != UNITS[design]:
        checker.fail(
            f"a {design} pilot allocates by {UNITS[design]}, not {unit!r}",
            field="unit_of_allocation",
            where=where,
            entry=entry,
        )

    arms = spec["arms"]
    if not isinstance(arms, list) or not all(isinstance(a, dict) for a in arms):
        checker.fail("must be a list of {id, label}", field="arms", where=where, entry=entry)
    arm_ids = [a.get("id") for a in arms]
    second_arm = "comparison" if design == "matched_difference_in_differences" else "control"
    expected = {"treatment", second_arm}
    if set(arm_ids) != expected or len(arm_ids) != 2:
        checker.fail(
            f"arms must be {sorted(expected)} for a {design} pilot, not {arm_ids}",
            field="arms",
            where=where,
            entry=entry,
        )
    if not all(isinstance(a.get("label"), str) and a["label"].strip() for a in arms):
        checker.fail("every arm needs a label", field="arms", where=where, entry=entry)

    cohorts = spec["cohorts"]
    if not isinstance(cohorts, list) or not cohorts:
        checker.fail("must list at least one cohort", field="cohorts", where=where, entry=entry)
    parsed_cohorts = []
    for number, cohort in enumerate(cohorts, start=1):
        if not isinstance(cohort, dict) or cohort.get("cohort") != number:
            checker.fail(
                f"cohorts must be numbered 1, 2, ... in order (item {number})",
                field="cohorts",
                where=where,
                entry=entry,
            )
        if cohort.get("starts") not in years:
            checker.fail(
                f"cohort {number} starts {cohort.get('starts')!r}, not one of {list(years)}",
                field="cohorts",
                where=where,
                entry=entry,
            )
        parsed_cohorts.append((number, cohort["starts"]))

    pilot_years = checker.text_list(spec, "evaluation_years", where, entry, allowed=years)
    if pilot_years != tuple(years):
        checker.fail(
            f"must be the three evaluation years {list(years)}",
            field="evaluation_years",
            where=where,
            entry=entry,
        )
    primary = checker.text_list(spec, "primary_outcomes", where, entry, outcomes, empty_ok=False)
    secondary = checker.text_list(spec, "secondary_outcomes", where, entry, outcomes)
    if set(primary) & set(secondary):
        checker.fail(
            "an outcome cannot be both primary and secondary",
            field="secondary_outcomes",
            where=where,
            entry=entry,
        )
    cost = spec["cost_per_participant_gbp"]
    if isinstance(cost, bool) or not isinstance(cost, int | float) or cost <= 0:
        checker.fail(
            "must be a positive number of pounds",
            field="cost_per_participant_gbp",
            where=where,
            entry=entry,
        )
    return Pilot(
        id=checker.text(spec, "id", where, entry),
        name=checker.text(spec, "name", where, entry),
        aim=checker.text(spec, "aim", where, entry),
        design=design,
        unit_of_allocation=unit,
        allocation_ratio=str(spec["allocation_ratio"]),
        stratified_by=checker.text_list(spec, "stratified_by", where, entry),
        arms=tuple((a["id"], a["label"]) for a in arms),
        cohorts=tuple(parsed_cohorts),
        evaluation_years=pilot_years,
        primary_outcomes=primary,
        secondary_outcomes=secondary,
        covariates=checker.text_list(spec, "covariates", where, entry),
        subgroups=checker.text_list(spec, "subgroups", where, entry, allowed=SUBGROUPS),
        cost_per_participant_gbp=float(cost),
    )


def load_registry(path: Path | None = None) -> Registry:
    """Read and validate the registry; raises `RegistryError` naming file, line, entry, field."""
    path = Path(path) if path else registry_path()
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
        tree = yaml.compose(text, Loader=yaml.SafeLoader)
    except OSError as error:
        raise RegistryError(path, f"cannot read the registry: {error}", rule="registry") from error
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise RegistryError(
            path, f"not valid YAML: {error}", row=mark.line + 1 if mark else None, rule="registry"
        ) from error
    if not isinstance(data, dict):
        raise RegistryError(path, "must be a YAML mapping at the top level", rule="registry")
    lines = _lines(tree)
    checker = _Checker(path, lines)
    for field in ("evaluation_years", "outcomes", "pilots"):
        if field not in data:
            raise RegistryError(path, "is missing", column=field, rule="registry")
    years = checker.text_list(data, "evaluation_years", lines)
    if years != EVALUATION_YEARS:
        checker.fail(f"must be {list(EVALUATION_YEARS)}", field="evaluation_years", where=lines)
    if not isinstance(data["outcomes"], dict) or not data["outcomes"]:
        checker.fail("must map outcome ids to their description", field="outcomes", where=lines)
    outcome_lines = lines["outcomes"][1]
    outcomes = {
        key: _outcome(checker, key, spec, outcome_lines) for key, spec in data["outcomes"].items()
    }
    if not isinstance(data["pilots"], list) or not data["pilots"]:
        checker.fail("must be a list of pilots", field="pilots", where=lines)
    items = lines["pilots"][1]["_items"]
    pilots = tuple(
        _pilot(checker, i, spec, items[i], outcomes, years) for i, spec in enumerate(data["pilots"])
    )
    pilots = _with_analysis_designs(designs_path(path), pilots)
    seen: dict[str, int] = {}
    for i, pilot in enumerate(pilots):
        if pilot.id in seen:
            checker.fail(
                f"pilot id {pilot.id!r} already used by entry {seen[pilot.id] + 1}",
                field="id",
                where=items[i],
                entry=f"entry {i + 1}",
            )
        seen[pilot.id] = i
    return Registry(path, years, outcomes, pilots)


def _with_analysis_designs(path: Path, pilots: tuple[Pilot, ...]) -> tuple[Pilot, ...]:
    """The pilots with their analysis design from `path` (designs.yaml), or the default for
    their design where it lists none; raises `RegistryError` naming file, line, entry, field."""
    defaults = tuple(dataclasses.replace(p, analysis=DEFAULT_ANALYSIS[p.design]) for p in pilots)
    if not path.exists():
        return defaults
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
        tree = yaml.compose(text, Loader=yaml.SafeLoader)
    except OSError as error:
        raise RegistryError(path, f"cannot read the designs: {error}", rule="registry") from error
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise RegistryError(
            path, f"not valid YAML: {error}", row=mark.line + 1 if mark else None, rule="registry"
        ) from error
    if not isinstance(data, dict) or not isinstance(data.get("designs"), dict):
        raise RegistryError(
            path, "must map `designs` to one entry per pilot id", column="designs", rule="registry"
        )
    lines = _lines(tree)
    checker = _Checker(path, lines["designs"][1])
    by_id = {p.id: p for p in defaults}
    for pilot_id, spec in data["designs"].items():
        entry = f"pilot {pilot_id!r}"
        where = checker.lines
        if pilot_id not in by_id:
            checker.fail(f"is not a pilot of the registry {sorted(by_id)}", field=pilot_id,
                         where=where)  # fmt: skip
        if not isinstance(spec, dict):
            checker.fail("must be a mapping of analysis, site, reason", field=pilot_id,
                         where=where)  # fmt: skip
        inner = where[pilot_id][1]
        unknown = sorted(set(spec) - set(DESIGN_FIELDS))
        if unknown:
            checker.fail(f"unknown field (allowed: {list(DESIGN_FIELDS)})", field=unknown[0],
                         where=inner, entry=entry)  # fmt: skip
        pilot = by_id[pilot_id]
        analysis = checker.text(spec, "analysis", inner, entry)
        if analysis not in ANALYSES[pilot.design]:
            checker.fail(
                f"{analysis!r} is not an analysis for the design {pilot.design} "
                f"(one of {list(ANALYSES[pilot.design])})",
                field="analysis", where=inner, entry=entry,
            )  # fmt: skip
        checker.text(spec, "reason", inner, entry)
        site = spec.get("site")
        if analysis == "multisite" and site not in SITE_COLUMNS:
            checker.fail(f"a multisite analysis needs `site`, one of {list(SITE_COLUMNS)}",
                         field="site", where=inner, entry=entry)  # fmt: skip
        if analysis != "multisite" and site is not None:
            checker.fail("only a multisite analysis has a site", field="site", where=inner,
                         entry=entry)  # fmt: skip
        by_id[pilot_id] = dataclasses.replace(pilot, analysis=analysis, site=site)
    return tuple(by_id[p.id] for p in pilots)
