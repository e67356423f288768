"""The pilot registry (YAML) and the threat judgements file: content and error messages."""

import re
from pathlib import Path

import polars as pl
import pytest
import yaml

from pipelines.paths import PROJECT_ROOT
from pipelines.pilots.registry import RegistryError, load_registry
from pipelines.stats.security import THREATS, load_threat_judgements, security_rating

REGISTRY = PROJECT_ROOT / "data" / "raw" / "pilots" / "registry" / "pilots.yaml"
THREATS_FILE = REGISTRY.with_name("threat_judgements.csv")


def test_registry_describes_the_five_pilots_of_the_issue():
    registry = load_registry(REGISTRY)
    assert [p.id for p in registry.pilots] == ["P1", "P2", "P3", "P4", "P5"]
    designs = {p.design for p in registry.pilots}
    assert designs == {
        "cluster_randomised",
        "individual_randomised",
        "matched_difference_in_differences",
    }
    for pilot in registry.pilots:
        assert pilot.evaluation_years == ("2025/26", "2026/27", "2027/28")
        assert pilot.primary_outcomes and pilot.cost_per_participant_gbp > 0
        assert set(pilot.outcomes) <= registry.outcomes.keys()
    cluster = next(p for p in registry.pilots if p.design == "cluster_randomised")
    assert cluster.unit_of_allocation == "school"
    assert registry.outcomes["ks2_attainment"].pupil_attainment
    assert not registry.outcomes["retention_in_leadership"].pupil_attainment
    frame = registry.to_frame()
    assert frame.height == 5 and frame["pilot_id"].is_unique().all()


def _edit(tmp_path: Path, change) -> Path:
    data = yaml.safe_load(REGISTRY.read_text())
    change(data)
    path = tmp_path / "pilots.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _line_of(path: Path, text: str, occurrence: int = 1) -> int:
    hits = [i for i, line in enumerate(path.read_text().splitlines(), start=1) if text in line]
    return hits[occurrence - 1]


def test_unknown_design_names_file_line_entry_and_field(tmp_path):
    path = _edit(tmp_path, lambda d: d["pilots"][2].update(design="rct"))
    with pytest.raises(RegistryError) as error:
        load_registry(path)
    message = str(error.value)
    assert str(path) in message
    assert "entry 3 (pilot 'P3')" in message and "column 'design'" in message
    assert f"row {_line_of(path, 'design: rct')}" in message


@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        (lambda d: d["pilots"][0].pop("aim"), "aim", "is missing"),
        (lambda d: d["pilots"][1].update(primary_outcomes=["happiness"]), "primary_outcomes",
         "'happiness' is not one of"),
        (lambda d: d["pilots"][4].update(unit_of_allocation="participant"),
         "unit_of_allocation", "allocates by school"),
        (lambda d: d["pilots"][3].update(evaluation_years=["2025/26"]), "evaluation_years",
         "three evaluation years"),
        (lambda d: d["pilots"][0].update(cost_per_participant_gbp="a lot"),
         "cost_per_participant_gbp", "positive number"),
        (lambda d: d["pilots"][0].update(subgroups=["left_handed"]), "subgroups",
         "'left_handed' is not one of"),
        (lambda d: d["pilots"][1].update(id="P1"), "id", "already used by entry 1"),
        (lambda d: d["pilots"][4]["arms"].pop(), "arms", "arms must be"),
    ],
)  # fmt: skip
def test_invalid_entries_are_refused_with_the_field_named(tmp_path, change, field, fragment):
    path = _edit(tmp_path, change)
    with pytest.raises(RegistryError, match=re.escape(fragment)) as error:
        load_registry(path)
    assert f"column '{field}'" in str(error.value)
    assert re.search(r"row \d+", str(error.value))


def test_outcome_catalogue_errors_name_the_outcome(tmp_path):
    path = _edit(tmp_path, lambda d: d["outcomes"]["wellbeing"].update(level="county"))
    with pytest.raises(RegistryError, match=r"outcome 'wellbeing'.*'county'"):
        load_registry(path)


def test_broken_yaml_names_the_line(tmp_path):
    path = tmp_path / "pilots.yaml"
    path.write_text("pilots:\n  - id: P1\n    name: [unclosed\n")
    with pytest.raises(RegistryError, match=r"row \d+.*not valid YAML"):
        load_registry(path)


def test_shipped_threat_judgements_cover_every_pilot_and_give_a_rating():
    judgements = load_threat_judgements(THREATS_FILE)
    registry = load_registry(REGISTRY)
    current = judgements.filter("is_current")
    for pilot in registry.pilots:
        mine = current.filter(pilot_id=pilot.id)
        assert sorted(mine["threat"].to_list()) == sorted(THREATS)
        rating = security_rating(pilot.design, 8.0, mine, pretrend="passed")
        assert 0 <= rating["padlocks"] <= rating["interim_padlocks"]
    assert judgements["rationale"].str.contains("ILLUSTRATIVE").all()


# --- analysis designs (designs.yaml beside the registry) -------------------------------------

DESIGNS = REGISTRY.with_name("designs.yaml")


def test_registry_says_which_analysis_design_each_pilot_has():
    registry = load_registry(REGISTRY)
    analyses = {p.id: (p.analysis, p.site) for p in registry.pilots}
    # P1 and P2 leaders are randomised individually, but their schools hold both arms
    assert analyses == {
        "P1": ("multisite", "school_id"),
        "P2": ("multisite", "school_id"),
        "P3": ("individual", None),
        "P4": ("matched_difference_in_differences", None),
        "P5": ("cluster", None),
    }
    frame = registry.to_frame()
    assert frame.filter(pilot_id="P1")["analysis_design"][0] == "multisite"
    assert frame["analysis_design"].null_count() == 0


def test_without_a_designs_file_each_pilot_is_analysed_as_its_design_implies(tmp_path):
    path = _edit(tmp_path, lambda d: None)
    assert not path.with_name("designs.yaml").exists()
    analyses = {p.id: p.analysis for p in load_registry(path).pilots}
    assert analyses["P1"] == "individual" and analyses["P5"] == "cluster"
    assert load_registry(path).to_frame().schema["site"] == pl.String


def _designs(tmp_path: Path, change) -> Path:
    path = _edit(tmp_path, lambda d: None)
    data = yaml.safe_load(DESIGNS.read_text())
    change(data["designs"])
    target = path.with_name("designs.yaml")
    target.write_text(yaml.safe_dump(data, sort_keys=False))
    return target


@pytest.mark.parametrize(
    ("change", "field", "needle", "occurrence", "text"),
    [
        (lambda d: d["P1"].update(analysis="cluster"), "analysis", "analysis: cluster", 1,
         "'cluster' is not an analysis for the design individual_randomised"),
        # no site to point at: the first line of P2's entry
        (lambda d: d["P2"].pop("site"), "site", "analysis: multisite", 2, "a multisite analysis"),
        (lambda d: d["P3"].update(site="school_id"), "site", "site: school_id", 3,
         "only a multisite analysis has a site"),
        (lambda d: d.update(P9={"analysis": "individual", "reason": "x"}), "P9", "P9:", 1,
         "is not a pilot of the registry"),
    ],
)  # fmt: skip
def test_bad_design_entry_names_file_line_and_field(
    tmp_path, change, field, needle, occurrence, text
):
    path = _designs(tmp_path, change)
    with pytest.raises(RegistryError) as error:
        load_registry(path.with_name("pilots.yaml"))
    message = str(error.value)
    assert str(path) in message and text in message
    assert f"column '{field}'" in message
    assert f"row {_line_of(path, needle, occurrence)}," in message
