"""Synthetic NPQ participant breakdowns in the published "NPQ participants 2024-25" schema.

SYNTHETIC DATA, NOT OFFICIAL STATISTICS. Only the national headline rows of DfE's "NPQ
participants 2024-25" file (79418e7a-43e1-495d-afaa-f1253a2fb601) are public to this project.
This module makes the breakdowns the questions need: seeded, deterministic, in the published
columns, and calibrated so every set of rows adds up exactly to the published total it breaks
down. The manifest says `provenance: synthetic`; staging adds it to every row, and a published
row always wins over a synthetic row with the same key.

What is generated (the real national Overall/Overall rows are NOT repeated):

* National rows, one per year x funding x breakdown x group.
* Regional rows (the 9 English regions) and local authority rows (the 152 LAs of
  `data/raw/reference/geography/la_region_lookup.csv`), breakdown and group "Overall".
* funding "Overall" for 2021/22 to 2024/25; "Funded" only for the years the published national
  file has a Funded total (2021/22 today). No total is invented: 2021/22 Overall rows are
  Funded + non-funded, where the non-funded total is Overall minus Funded as published.

Breakdown and group labels. Where the publication's own data files show a label, it is used
verbatim: the ECF data file of the same publication and release (Teacher and leader development:
ECF and NPQs 2022/23) uses "Phase", "School type group", "Age Category", "Gender", "Ethnicity",
"Working pattern" and the group names below. Course names follow the release text; grades follow
the School Workforce Census ("Head teacher", ...). The real NPQ file may spell them differently.

* Course: NPQ for Senior Leadership, NPQ for Headship, NPQ for Executive Leadership, NPQ for
  Leading Teaching, NPQ for Leading Teacher Development, NPQ for Leading Behaviour and Culture,
  NPQ for Leading Literacy (from 2022/23), NPQ for Early Years Leadership (from 2022/23), NPQ
  for Leading Primary Mathematics (from 2024/25), NPQ for Special Educational Needs
  Co-ordinators (from 2024/25). The Early Headship Coaching Offer is not an NPQ: not included.
* Phase: Primary, Secondary, Special, Other, Unknown.
* School type group: Academies, Free schools, Local authority maintained schools, Other types,
  Special schools, Unknown ("Special schools" and "Unknown" equal Phase "Special" and
  "Unknown" cell for cell).
* Age Category: Under 25, 25 to 29, 30 to 39, 40 to 49, 50 to 59, 60 and over, Unknown.
* Gender: Female, Male, Unknown.
* Ethnicity (major groups, ECF labels): White, Any other Mixed background, Asian or Asian
  British, Black or Black British, Any Other ethnic group, Unknown.
* Grade: Head teacher, Deputy head teacher, Assistant head teacher, Classroom teacher,
  Other / unknown.
* Working pattern: Full time, Part time, Unknown.

Rules that hold in every generated file (tests/test_synthetic_npq.py checks each):

* Within each year x funding x breakdown the groups add up exactly to the published national
  npq_starts, npq_unique_participants and npq_unique_participants_swc_eligible (for Course,
  a participant who started twice is assumed to have restarted the same course). Regions add up
  to national, LAs to their region, for all three counts and the workforce headcount.
* unique <= starts and SWC-matched <= unique in every cell; Funded <= Overall in every cell.
* teaching_workforce_headcount_swc: characteristic groups share the national headcount (a
  plausible, synthetic workforce mix); groups outside the School Workforce Census (an unknown
  phase, working pattern, ...) have headcount 0, no SWC-matched participants and percent "z".
  Course rows repeat the national headcount (a course is not a workforce characteristic).
* percent_workforce_npq_participation = SWC-matched / headcount x 100, rounded half up to 1 dp.

Anchors: real figures reproduced (ANCHORS, and the regional rows of the committed 2022/23
release file), with the published source of each. "exact" cells are reproduced exactly; "floor"
cells are funded figures that the Overall cell must not fall below; "soft" cells come from
secondary sources (news) and only steer the weights, so the synthetic value lands near them but
is not claimed as the published one. Apportionment is largest remainder, so sums are exact.

Regional anchors (the committed 2022/23-release file, superseded but the latest published at
that grain): Funded 2021/22 starts, unique and SWC-matched participants and headcounts of East
Midlands (2,594), East of England (2,751) and London (5,176) are reproduced exactly. They are
compatible with the 2024/25 national Funded total: each is about 1.02 x the region's figure in
DfE's earlier one-off note (29,153 starts), close to the 1.03 the other six regions then need.
Their non-funded starts (49, 85, 191) are reproduced exactly too (v2): staging reads that
release and derives each region's Overall starts (funded + non-funded) from it, so the synthetic
cells it does not replace must add up with it to the national total. The release implies about
930 non-funded starts nationally against the 1,785 of the 2024/25 file: the other six regions
carry the rest. In 2022/23 the three regions' Overall starts are exactly funded + non-funded,
their unique and SWC-matched participants at least the funded ones, and their headcounts
exact. (v1 treated the non-funded starts as weights only and the 2022/23 starts as floors.)
LA teacher headcounts are synthetic draws by LA type (county, metropolitan district, London
borough, unitary), summing to the region.
"""

import argparse
import csv
import datetime as dt
import json
import sys
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.ees import read_ees_csv
from pipelines.paths import PROJECT_ROOT
from pipelines.sources import sha256_of
from pipelines.synthetic.release import write_synthetic_release

SEED = 20211012
DATASET = "npq_participants_breakdowns"
VERSION = "v2"
FILE_NAME = "npq_participants_breakdowns.csv"

RAW_ROOT = PROJECT_ROOT / "data" / "raw"
NATIONAL_FILE = Path("ees/npq_participants/2024-25/npq_participants_national.csv")
REGIONAL_2022_23_FILE = Path("ees/npq_participants/2022-23/npq_participants_regional.csv")
GEOGRAPHY_DIR = Path("reference/geography")
LOOKUP_FILE = "la_region_lookup.csv"
OUTPUT_DIR = Path("synthetic") / DATASET / VERSION

COLUMNS = (
    "time_period",
    "time_identifier",
    "geographic_level",
    "country_code",
    "country_name",
    "region_code",
    "region_name",
    "la_name",
    "old_la_code",
    "new_la_code",
    "funding",
    "breakdown",
    "group_name",
    "npq_starts",
    "npq_unique_participants",
    "npq_unique_participants_swc_eligible",
    "percent_workforce_npq_participation",
    "teaching_workforce_headcount_swc",
)
LOOKUP_COLUMNS = ("old_la_code", "new_la_code", "la_name", "region_code", "region_name")
COUNTS = ("npq_starts", "npq_unique_participants", "npq_unique_participants_swc_eligible")
HEADCOUNT = "teaching_workforce_headcount_swc"
PERCENT = "percent_workforce_npq_participation"

YEARS = ("202122", "202223", "202324", "202425")
OVERALL, FUNDED, NON_FUNDED = "Overall", "Funded", "Non-funded"
NOT_APPLICABLE = "z"  # EES symbol: a percentage of a headcount of 0

RELEASE_2023_24 = (
    "EES release text, Teacher and leader development: ECF and NPQs 2023/24 "
    "(https://explore-education-statistics.service.gov.uk/find-statistics/"
    "teacher-and-leader-development-ecf-and-npqs/2023-24)"
)
RELEASE_2022_23 = (
    "EES release text, Teacher and leader development: ECF and NPQs 2022/23, corrected "
    "(https://explore-education-statistics.service.gov.uk/find-statistics/"
    "teacher-and-leader-development-ecf-and-npqs/2022-23)"
)
SCHOOLS_WEEK_2025 = (
    "[secondary] Schools Week, 'NPQs take-up collapses after government funding cut' "
    "(https://schoolsweek.co.uk/npqs-take-up-collapses-after-government-funding-cut)"
)

# --------------------------------------------------------------------------------------------
# Labels and the synthetic shape of each breakdown
# --------------------------------------------------------------------------------------------

SL = "NPQ for Senior Leadership"
HEADSHIP = "NPQ for Headship"
EL = "NPQ for Executive Leadership"
LT = "NPQ for Leading Teaching"
LTD = "NPQ for Leading Teacher Development"
LBC = "NPQ for Leading Behaviour and Culture"
LL = "NPQ for Leading Literacy"
EYL = "NPQ for Early Years Leadership"
LPM = "NPQ for Leading Primary Mathematics"
SENCO = "NPQ for Special Educational Needs Co-ordinators"


@dataclass(frozen=True)
class Group:
    """One group of a breakdown and the assumptions that shape its synthetic counts.

    weight: relative share of starts, by year ("202122"...) or "all"; "nf" for the non-funded
    part; a course without a weight for a year did not run that year. workforce: share of the
    teaching workforce in 2021/22 and 2024/25 (linear in between). match: relative chance a
    participant is matched to the School Workforce Census (SWC). outside: the group lies outside
    the SWC (headcount 0, none matched) and holds this fraction of the unmatched participants.
    unmatched: extra weight per unit of the unmatched share (groups where non-school settings
    and unmatched participants land). same_as: copy another breakdown's group cell for cell.
    """

    label: str
    weight: dict[str, float] = field(default_factory=lambda: {"all": 0.0})
    workforce: tuple[float, float] = (0.0, 0.0)
    match: float = 1.0
    outside: float = 0.0
    unmatched: float = 0.0
    same_as: tuple[str, str] | None = None

    def runs_in(self, year: str) -> bool:
        return year in self.weight or "all" in self.weight

    def weight_for(self, year: str, component: str) -> float:
        if component == NON_FUNDED and "nf" in self.weight:
            return self.weight["nf"]
        return self.weight.get(year, self.weight.get("all", 0.0))


@dataclass(frozen=True)
class Breakdown:
    label: str
    groups: tuple[Group, ...]
    national_denominator: bool = False  # every group's headcount is the national headcount


def _y(a: float, b: float, c: float, d: float, nf: float | None = None) -> dict[str, float]:
    weights = dict(zip(YEARS, (a, b, c, d), strict=True))
    if nf is not None:
        weights["nf"] = nf
    return weights


BREAKDOWNS: tuple[Breakdown, ...] = (
    Breakdown(
        "Course",
        (
            # Weights are rough start counts; anchored cells override or steer them (ANCHORS).
            # NPQH/NPQEL 2021/22 and NPQEL 2022/23 weights follow Schools Week figures that were
            # not found in any DfE source (3,902 / 1,056 / 1,342): plausible shape only.
            Group(SL, _y(8625, 9157, 10000, 5801, 0.30), match=0.93),
            Group(HEADSHIP, _y(3902, 4387, 4900, 4500, 0.20), match=0.92),
            Group(EL, _y(1056, 1342, 1500, 500, 0.08), match=0.85),
            Group(LT, _y(7459, 7536, 6800, 1700, 0.14), match=0.94),
            Group(LTD, _y(3800, 4000, 3900, 800, 0.10), match=0.91),
            Group(LBC, _y(4700, 5600, 6600, 1800, 0.18), match=0.93),
            Group(LL, {"202223": 3064, "202324": 4000, "202425": 900}, match=0.93),
            Group(EYL, {"202223": 3102, "202324": 5200, "202425": 2300}, match=0.30),
            Group(LPM, {"202425": 1200}, match=0.95),
            Group(SENCO, {"202425": 10537}, match=0.88),
        ),
        national_denominator=True,
    ),
    Breakdown(
        "Phase",
        (
            Group("Primary", _y(0.42, 0.43, 0.43, 0.46, 0.30), (0.489, 0.471)),
            Group("Secondary", _y(0.40, 0.39, 0.39, 0.36, 0.30), (0.440, 0.452)),
            Group("Special", _y(0.043, 0.043, 0.044, 0.05, 0.03), (0.041, 0.045), match=0.97),
            Group("Other", {"all": 0.03}, (0.030, 0.032), match=0.25, unmatched=0.45),
            Group("Unknown", outside=0.25),
        ),
    ),
    Breakdown(
        "School type group",
        (
            Group("Academies", _y(0.47, 0.49, 0.51, 0.52, 0.15), (0.545, 0.600)),
            Group("Free schools", _y(0.04, 0.04, 0.045, 0.05, 0.02), (0.035, 0.045)),
            Group(
                "Local authority maintained schools",
                _y(0.35, 0.33, 0.31, 0.30, 0.10),
                (0.385, 0.318),
            ),
            Group("Other types", {"all": 0.02}, (0.02, 0.02), match=0.15, unmatched=0.5),
            Group("Special schools", same_as=("Phase", "Special")),
            Group("Unknown", same_as=("Phase", "Unknown")),
        ),
    ),
    Breakdown(
        "Age Category",
        (
            Group("Under 25", _y(0.02, 0.02, 0.02, 0.015, 0.02), (0.055, 0.055)),
            Group("25 to 29", _y(0.16, 0.16, 0.15, 0.13, 0.14), (0.155, 0.150)),
            Group("30 to 39", _y(0.41, 0.40, 0.39, 0.37, 0.36), (0.335, 0.330)),
            Group("40 to 49", _y(0.27, 0.28, 0.29, 0.30, 0.28), (0.270, 0.275)),
            Group("50 to 59", _y(0.11, 0.12, 0.13, 0.14, 0.16), (0.160, 0.163)),
            Group("60 and over", _y(0.01, 0.01, 0.012, 0.015, 0.04), (0.025, 0.027)),
            Group("Unknown", outside=0.15),
        ),
    ),
    Breakdown(
        "Gender",
        (
            Group("Female", {"all": 0.745, "nf": 0.70}, (0.757, 0.764)),
            Group("Male", {"all": 0.245, "nf": 0.29}, (0.243, 0.236)),
            Group("Unknown", outside=0.12),
        ),
    ),
    Breakdown(
        "Ethnicity",
        (
            Group("White", _y(0.80, 0.795, 0.79, 0.78, 0.78), (0.862, 0.852)),
            Group("Any other Mixed background", {"all": 0.022}, (0.018, 0.020)),
            Group("Asian or Asian British", _y(0.06, 0.062, 0.064, 0.066, 0.06), (0.047, 0.051)),
            Group("Black or Black British", _y(0.04, 0.042, 0.044, 0.046, 0.04), (0.024, 0.027)),
            Group("Any Other ethnic group", {"all": 0.012}, (0.009, 0.010)),
            Group("Unknown", {"all": 0.03}, (0.040, 0.040), match=0.25, unmatched=0.6),
        ),
    ),
    Breakdown(
        "Grade",
        (
            Group("Head teacher", _y(0.055, 0.056, 0.058, 0.07, 0.10), (0.041, 0.041)),
            Group("Deputy head teacher", _y(0.07, 0.08, 0.075, 0.075, 0.10), (0.042, 0.042)),
            Group("Assistant head teacher", _y(0.125, 0.128, 0.125, 0.14, 0.15), (0.072, 0.073)),
            Group("Classroom teacher", _y(0.75, 0.736, 0.742, 0.715, 0.65), (0.845, 0.844)),
            Group("Other / unknown", outside=0.9),
        ),
    ),
    Breakdown(
        "Working pattern",
        (
            Group("Full time", {"all": 0.86, "nf": 0.70}, (0.765, 0.760)),
            Group("Part time", {"all": 0.11, "nf": 0.12}, (0.235, 0.240)),
            Group("Unknown", outside=0.9),
        ),
    ),
)

# --------------------------------------------------------------------------------------------
# Anchors: published figures reproduced, bounded by, or steering the synthetic cells
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Anchor:
    year: str
    funding: str
    breakdown: str
    group: str
    indicator: str  # npq_starts | npq_unique_participants | percent_workforce_npq_participation
    value: float
    kind: str  # exact | floor | soft
    source: str


# fmt: off
ANCHORS: tuple[Anchor, ...] = (
    # Funded 2021/22, as restated in the 2023/24 release (the latest non-superseded figures).
    Anchor("202122", FUNDED, "Course", SL, "npq_starts", 8625, "exact", RELEASE_2023_24),
    Anchor("202122", FUNDED, "Course", LT, "npq_starts", 7459, "exact", RELEASE_2023_24),
    Anchor("202122", FUNDED, "Working pattern", "Full time", "npq_starts", 25210, "exact",
           RELEASE_2023_24),
    Anchor("202122", FUNDED, "Working pattern", "Part time", "npq_starts", 2986, "exact",
           RELEASE_2023_24),
    # The remainder of the published funded total: 29,892 - 25,210 - 2,986.
    Anchor("202122", FUNDED, "Working pattern", "Unknown", "npq_starts", 1696, "exact",
           "[derived] national Funded 2021/22 starts minus full time and part time"),
    Anchor("202122", FUNDED, "Age Category", "30 to 39", "npq_starts", 12305, "exact",
           RELEASE_2023_24),
    Anchor("202122", FUNDED, "Age Category", "40 to 49", "npq_starts", 8093, "exact",
           RELEASE_2023_24),
    Anchor("202122", FUNDED, "Grade", "Classroom teacher", "npq_unique_participants", 21247,
           "exact", RELEASE_2022_23),
    # Funded 2022/23 figures: no Funded 2022/23 total is published, so they are lower bounds
    # of the Overall 2022/23 cells (Overall = funded + non-funded).
    Anchor("202223", OVERALL, "Course", SL, "npq_starts", 9157, "floor", RELEASE_2023_24),
    Anchor("202223", OVERALL, "Course", LT, "npq_starts", 7536, "floor", RELEASE_2023_24),
    Anchor("202223", OVERALL, "Course", HEADSHIP, "npq_starts", 4387, "floor", RELEASE_2022_23),
    Anchor("202223", OVERALL, "Course", LL, "npq_starts", 3064, "floor", RELEASE_2022_23),
    Anchor("202223", OVERALL, "Course", EYL, "npq_starts", 3102, "floor", RELEASE_2022_23),
    Anchor("202223", OVERALL, "Working pattern", "Full time", "npq_starts", 28196, "floor",
           RELEASE_2023_24),
    Anchor("202223", OVERALL, "Working pattern", "Part time", "npq_starts", 4033, "floor",
           RELEASE_2023_24),
    Anchor("202223", OVERALL, "Working pattern", "Full time", "npq_unique_participants", 27473,
           "floor", RELEASE_2022_23),
    Anchor("202223", OVERALL, "Working pattern", "Part time", "npq_unique_participants", 3931,
           "floor", RELEASE_2022_23),
    Anchor("202223", OVERALL, "Grade", "Classroom teacher", "npq_unique_participants", 24420,
           "floor", RELEASE_2022_23),
    # Funded 2022/23 percentages of each group's workforce: the same denominator, so the
    # Overall percentage is at least as high.
    Anchor("202223", OVERALL, "Grade", "Head teacher", PERCENT, 8.6, "floor", RELEASE_2022_23),
    Anchor("202223", OVERALL, "Grade", "Deputy head teacher", PERCENT, 10.3, "floor",
           RELEASE_2022_23),
    Anchor("202223", OVERALL, "Grade", "Assistant head teacher", PERCENT, 10.4, "floor",
           RELEASE_2022_23),
    Anchor("202223", OVERALL, "Working pattern", "Full time", PERCENT, 7.1, "floor",
           RELEASE_2022_23),
    Anchor("202223", OVERALL, "Working pattern", "Part time", PERCENT, 3.2, "floor",
           RELEASE_2022_23),
    # Secondary sources: steer the weights only.
    Anchor("202425", OVERALL, "Course", SENCO, "npq_starts", 10537, "soft", SCHOOLS_WEEK_2025),
    Anchor("202425", OVERALL, "Course", SL, "npq_starts", 5801, "soft", SCHOOLS_WEEK_2025),
)
# fmt: on

SOFT_TOLERANCE = 0.05  # a soft anchor's synthetic cell lies within 5% of it
MAX_OUTSIDE = 0.93  # groups outside the SWC hold at most this share of unmatched participants

# Regions: a plausible teacher headcount (synthetic, used only as weights; the published
# regional headcounts of the 2022/23 release replace it where they exist) and 2021/22 funded
# starts from DfE's one-off note "Participation in the reformed NPQs in the academic year 2021
# to 2022" ([secondary], via https://johnohowson.com/tag/npq), used as participation weights.
REGION_TEACHERS = {
    "E12000001": 25500,
    "E12000002": 73500,
    "E12000003": 54500,
    "E12000004": 42800,
    "E12000005": 60500,
    "E12000006": 57700,
    "E12000007": 80400,
    "E12000008": 87000,
    "E12000009": 48000,
}
REGION_FUNDED_2021_22_ONE_OFF = {
    "E12000001": 1561,
    "E12000002": 4267,
    "E12000003": 2853,
    "E12000004": 2528,
    "E12000005": 3439,
    "E12000006": 2693,
    "E12000007": 5065,
    "E12000008": 4162,
    "E12000009": 2582,
}
# Synthetic LA teacher headcount by LA type (new code prefix), before lognormal noise.
LA_TYPE_TEACHERS = {"E10": 9000.0, "E08": 3800.0, "E09": 2700.0, "E06": 1900.0}
LA_TINY = {"E09000001": 25.0, "E06000053": 30.0}  # City of London, Isles of Scilly

# --------------------------------------------------------------------------------------------
# Integer apportionment
# --------------------------------------------------------------------------------------------

_BIG = 1 << 40  # "no cap": far above any count, and safe to sum


def allocate(
    total: int,
    weights: Sequence[float] | np.ndarray,
    *,
    fixed: dict[int, int] | None = None,
    floors: Sequence[int] | np.ndarray | None = None,
    caps: Sequence[int] | np.ndarray | None = None,
) -> np.ndarray:
    """Share the integer `total` in proportion to `weights`, exactly (largest remainder).

    `fixed` cells get exactly their value; the others get at least `floors` and at most `caps`
    (a zero weight gets its floor). Raises ValueError when no such split exists.
    """
    w = np.asarray(weights, dtype=float)
    n = w.size
    if np.any(~np.isfinite(w)) or np.any(w < 0):
        raise ValueError("weights must be finite and non-negative")
    lo = np.zeros(n, np.int64) if floors is None else np.asarray(floors, np.int64).copy()
    hi = np.full(n, _BIG, np.int64) if caps is None else np.asarray(caps, np.int64).copy()
    out = np.zeros(n, np.int64)
    free = np.ones(n, bool)
    for i, value in (fixed or {}).items():
        if value < 0:
            raise ValueError(f"fixed cell {i} is negative ({value})")
        out[i], free[i] = value, False
    rest = int(total) - int(out.sum())
    idx = np.flatnonzero(free)
    lo_f, w_f = lo[idx], w[idx]
    if w_f.size and 0 < w_f.max() < 1e-150:
        # Only proportions matter; rescale vanishing weights so rest / sum cannot overflow.
        w_f = w_f / w_f.max()
    hi_f = np.where(w_f > 0, hi[idx], lo_f)
    if np.any(lo_f > hi_f) or not lo_f.sum() <= rest <= hi_f.sum():
        raise ValueError(f"cannot share {rest} between floors {lo_f.sum()} and caps {hi_f.sum()}")
    if idx.size == 0:
        return out

    def filled(scale: float) -> np.ndarray:
        return np.clip(scale * w_f, lo_f, hi_f)

    low, high = 0.0, rest / w_f.sum() if w_f.sum() > 0 else 1.0
    while filled(high).sum() < rest:
        high *= 2.0
    for _ in range(200):
        mid = (low + high) / 2.0
        if filled(mid).sum() < rest:
            low = mid
        else:
            high = mid
    x = filled(high)
    base = np.clip(np.floor(x + 1e-9).astype(np.int64), lo_f, hi_f)
    frac = x - base
    short = rest - int(base.sum())
    if short > 0:
        order = [i for i in np.argsort(-frac, kind="stable") if base[i] < hi_f[i]]
        if len(order) < short:
            raise ValueError("largest remainder ran out of cells below their caps")
        base[order[:short]] += 1
    elif short < 0:
        order = [i for i in np.argsort(frac, kind="stable") if base[i] > lo_f[i]]
        base[order[:-short]] -= 1
    out[idx] = base
    return out


def _rng(seed: int, *parts: str) -> np.random.Generator:
    """A generator per purpose, so adding a breakdown never shifts another's draws."""
    return np.random.default_rng([seed, zlib.crc32("/".join(parts).encode())])


def _noise(seed: int, sd: float, n: int, *parts: str) -> np.ndarray:
    return _rng(seed, *parts).lognormal(0.0, sd, n) if sd > 0 else np.ones(n)


@dataclass(frozen=True)
class Counts:
    starts: int
    unique: int
    swc: int

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(self.starts + other.starts, self.unique + other.unique, self.swc + other.swc)

    def __sub__(self, other: "Counts") -> "Counts":
        return Counts(self.starts - other.starts, self.unique - other.unique, self.swc - other.swc)


def _split(
    total: Counts,
    weights: np.ndarray,
    match: np.ndarray,
    *,
    outside: np.ndarray | None = None,
    fixed: dict[str, dict[int, int]] | None = None,
    floors: dict[str, np.ndarray] | None = None,
) -> list[Counts]:
    """Split one total into cells: starts, then repeat starts (starts - unique), then SWC.

    `fixed` and `floors` are keyed by "starts", "unique" and "swc"; a floor on unique or SWC
    must leave room below the starts (the caller raises the starts floor to match).
    """
    n = weights.size
    fixed = fixed or {}
    floors = floors or {}
    zero = np.zeros(n, np.int64)
    starts = allocate(
        total.starts, weights, fixed=fixed.get("starts"), floors=floors.get("starts", zero)
    )
    repeats = allocate(
        total.starts - total.unique,
        starts.astype(float),
        fixed={i: int(starts[i]) - v for i, v in fixed.get("unique", {}).items()},
        # A cell with starts has at least one participant, and no fewer than its floor.
        caps=np.maximum(np.minimum(starts - 1, starts - floors.get("unique", zero)), 0),
    )
    unique = starts - repeats
    in_swc = np.ones(n, bool) if outside is None else ~outside
    swc = allocate(
        total.swc,
        unique * match * in_swc,
        fixed=fixed.get("swc"),
        floors=floors.get("swc", zero),
        caps=np.where(in_swc, unique, 0),
    )
    return [Counts(int(s), int(u), int(m)) for s, u, m in zip(starts, unique, swc, strict=True)]


def _swc_floor(percent: float, headcount: int) -> int:
    """The fewest SWC-matched participants whose percentage (1 dp, half up) is `percent`."""
    tenths = round(percent * 10)
    return ((2 * tenths - 1) * headcount + 1999) // 2000


def _starts_floor(unique: int, repeats_rate: float) -> int:
    """A starts floor that leaves room for the repeat starts above a floor on unique."""
    return unique + int(2 * repeats_rate * unique) + 2


def _percent(swc: int, headcount: int) -> str:
    if headcount <= 0:
        return NOT_APPLICABLE
    tenths = (2000 * swc + headcount) // (2 * headcount)  # half up, in integers
    return f"{tenths // 10}.{tenths % 10}"


def _share(pair: tuple[float, float], year: str) -> float:
    t = YEARS.index(year) / (len(YEARS) - 1)
    return pair[0] + (pair[1] - pair[0]) * t


# --------------------------------------------------------------------------------------------
# Inputs: the published totals, the regional rows of the 2022/23 release, the LA lookup
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Published:
    totals: dict[tuple[str, str], Counts]  # (year, funding) -> national Overall/Overall row
    headcount: dict[str, int]  # year -> national teaching workforce headcount
    regional: dict[tuple[str, str], dict[str, int]]  # (year, region_code) -> 2022/23 release


def _int(value: str | None) -> int:
    if value is None or not value.strip().lstrip("-").isdigit():
        raise ValueError(f"expected a whole number, got {value!r}")
    return int(value)


def read_published(raw_root: Path = RAW_ROOT) -> Published:
    """National totals of the real 2024-25 file and regional rows of the 2022/23 release."""
    national = read_ees_csv(raw_root / NATIONAL_FILE).filter(
        (pl.col("geographic_level") == "National")
        & (pl.col("breakdown") == OVERALL)
        & (pl.col("group_name") == OVERALL)
    )
    totals: dict[tuple[str, str], Counts] = {}
    headcount: dict[str, int] = {}
    for row in national.iter_rows(named=True):
        key = (row["time_period"], row["funding"])
        totals[key] = Counts(*(_int(row[c]) for c in COUNTS))
        headcount[row["time_period"]] = _int(row[HEADCOUNT])
    missing = [y for y in YEARS if (y, OVERALL) not in totals]
    if missing:
        raise ValueError(f"{NATIONAL_FILE} has no Overall total for {missing}")
    regional: dict[tuple[str, str], dict[str, int]] = {}
    path = raw_root / REGIONAL_2022_23_FILE
    for row in read_ees_csv(path).iter_rows(named=True):
        if row["geographic_level"] == "Regional" and row["breakdown"] == OVERALL:
            regional[(row["time_period"], row["region_code"])] = {
                "funded_starts": _int(row["npq_funded_starts"]),
                "funded_unique": _int(row["npq_unique_funded_participants"]),
                "funded_swc": _int(row["npq_unique_funded_participants_swc_eligible"]),
                "non_funded_starts": _int(row["npq_non_funded_starts"]),
                "headcount": _int(row["teaching_workforce_headcount_swc21"]),
            }
    return Published(totals, headcount, regional)


def read_la_lookup(raw_root: Path = RAW_ROOT) -> list[dict[str, str]]:
    path = raw_root / GEOGRAPHY_DIR / LOOKUP_FILE
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or tuple(rows[0]) != LOOKUP_COLUMNS:
        raise ValueError(f"{path} must have the columns {', '.join(LOOKUP_COLUMNS)}")
    return rows


def components(published: Published, year: str) -> dict[str, Counts]:
    """The totals generated for a year: Funded and non-funded where a Funded total is
    published (Overall is then their sum), else Overall alone."""
    overall = published.totals[(year, OVERALL)]
    funded = published.totals.get((year, FUNDED))
    if funded is None:
        return {OVERALL: overall}
    return {FUNDED: funded, NON_FUNDED: overall - funded}


# --------------------------------------------------------------------------------------------
# National rows by breakdown
# --------------------------------------------------------------------------------------------

Cells = dict[tuple[str, str, str], Counts]  # (breakdown, group, funding) -> counts


def anchor_value(counts: Counts, headcount: int, anchor: "Anchor") -> float:
    """The synthetic cell an anchor speaks about."""
    if anchor.indicator == "npq_starts":
        return counts.starts
    if anchor.indicator == "npq_unique_participants":
        return counts.unique
    return float(_percent(counts.swc, headcount))


def _anchors_for(year: str, component: str, breakdown: str) -> list[Anchor]:
    return [
        a for a in ANCHORS if a.year == year and a.funding == component and a.breakdown == breakdown
    ]


def _national(
    published: Published, year: str, seed: int
) -> tuple[Cells, dict[tuple[str, str], int]]:
    parts = components(published, year)
    hc_total = published.headcount[year]
    cells: Cells = {}
    headcounts: dict[tuple[str, str], int] = {}
    for b in BREAKDOWNS:
        groups = [
            g
            for g in b.groups
            if (g.same_as is None and g.runs_in(year))
            or (g.same_as is not None and (*g.same_as, next(iter(parts))) in cells)
        ]
        labels = [g.label for g in groups]
        n = len(groups)
        linked = {i: g.same_as for i, g in enumerate(groups) if g.same_as is not None}

        # Teaching workforce headcount of each group (shared by every funding component).
        if b.national_denominator:
            hc = np.full(n, hc_total, np.int64)
        else:
            shares = np.array([_share(g.workforce, year) for g in groups])
            shares *= _noise(seed, 0.01, n, "hc", year, b.label)
            hc = allocate(hc_total, shares, fixed={i: headcounts[src] for i, src in linked.items()})
        for i, label in enumerate(labels):
            headcounts[(b.label, label)] = int(hc[i])

        for component, total in parts.items():
            anchors = _anchors_for(year, component, b.label)
            for a in anchors:
                if a.group not in labels:
                    raise ValueError(f"anchor for a group that does not run: {a}")
            unmatched = 1.0 - total.swc / total.unique
            outside = np.array([g.outside > 0 for g in groups])
            soft = {labels.index(a.group): a.value for a in anchors if a.kind == "soft"}
            inside = np.array(
                [
                    soft.get(i, g.weight_for(year, component)) + g.unmatched * unmatched
                    for i, g in enumerate(groups)
                ]
            )
            sd = np.array([0.015 if i in soft else 0.06 for i in range(n)])
            inside *= np.exp(_rng(seed, "w", year, component, b.label).normal(0.0, sd))
            inside = np.where(outside, 0.0, inside)
            out_share = np.array([g.outside * unmatched for g in groups])
            out_share *= _noise(seed, 0.05, n, "out", year, component, b.label)
            # Groups outside the SWC hold only unmatched participants: keep them well inside
            # the unmatched share, so the groups in the SWC can hold every matched one.
            if out_share.sum() > MAX_OUTSIDE * unmatched:
                out_share *= MAX_OUTSIDE * unmatched / out_share.sum()
            weights = inside / inside.sum() * (1.0 - out_share.sum()) + out_share
            match = np.array([g.match for g in groups]) * _noise(
                seed, 0.02, n, "match", year, component, b.label
            )

            fixed: dict[str, dict[int, int]] = {"starts": {}, "unique": {}, "swc": {}}
            floors = {k: np.zeros(n, np.int64) for k in ("starts", "unique", "swc")}
            repeats_rate = (total.starts - total.unique) / total.unique
            for a in anchors:
                i = labels.index(a.group)
                if a.indicator == PERCENT:  # a floor on SWC-matched participants
                    swc_floor = _swc_floor(a.value, int(hc[i]))
                    floors["swc"][i] = max(floors["swc"][i], swc_floor)
                    floors["unique"][i] = max(floors["unique"][i], swc_floor)
                elif a.kind == "exact" and a.indicator == "npq_starts":
                    fixed["starts"][i] = int(a.value)
                elif a.kind == "exact":
                    fixed["unique"][i] = int(a.value)
                    fixed["starts"][i] = int(a.value) + round(repeats_rate * a.value)
                elif a.kind == "floor" and a.indicator == "npq_starts":
                    floors["starts"][i] = max(floors["starts"][i], int(a.value))
                elif a.kind == "floor":
                    floors["unique"][i] = max(floors["unique"][i], int(a.value))
            floors["starts"] = np.maximum(
                floors["starts"],
                [_starts_floor(int(u), repeats_rate) if u else 0 for u in floors["unique"]],
            )
            for i in np.flatnonzero(outside):  # pinned, so fixed cells cannot inflate them
                fixed["starts"].setdefault(int(i), round(float(out_share[i]) * total.starts))
            for i, (src_breakdown, src_group) in linked.items():
                src = cells[(src_breakdown, src_group, component)]
                fixed["starts"][i], fixed["unique"][i] = src.starts, src.unique
                fixed["swc"][i] = src.swc

            split = _split(
                total,
                weights,
                match,
                outside=outside | (hc == 0),
                fixed=fixed,
                floors=floors,
            )
            for label, counts in zip(labels, split, strict=True):
                cells[(b.label, label, component)] = counts
            for a in anchors:
                got = split[labels.index(a.group)]
                if (
                    a.kind == "floor"
                    and anchor_value(got, int(hc[labels.index(a.group)]), a) < a.value
                ):
                    raise ValueError(f"floor not met: {a}")
    return cells, headcounts


# --------------------------------------------------------------------------------------------
# Regional and local authority rows (breakdown Overall)
# --------------------------------------------------------------------------------------------


def _region_headcounts(
    published: Published, regions: list[str], seed: int
) -> dict[str, np.ndarray]:
    """Teaching workforce headcount by region and year: published where the 2022/23 release
    shows it, a plausible synthetic share elsewhere, always summing to the national figure."""
    out: dict[str, np.ndarray] = {}
    weights = np.array([REGION_TEACHERS[r] for r in regions], float)
    for year in YEARS:
        fixed = {
            i: published.regional[(year, r)]["headcount"]
            for i, r in enumerate(regions)
            if (year, r) in published.regional
        }
        out[year] = allocate(published.headcount[year], weights, fixed=fixed)
        weights = out[year] * _noise(seed, 0.004, len(regions), "region-hc", year)
    return out


def _la_sizes(las: list[dict[str, str]], seed: int) -> np.ndarray:
    base = np.array(
        [LA_TINY.get(la["new_la_code"], LA_TYPE_TEACHERS[la["new_la_code"][:3]]) for la in las]
    )
    noise = _noise(seed, 0.35, len(las), "la-size")
    tiny = np.array([la["new_la_code"] in LA_TINY for la in las])
    return np.where(tiny, base, base * noise)


def _geography(
    published: Published, las: list[dict[str, str]], seed: int
) -> list[tuple[str, str, str | None, str, Counts, int]]:
    """Rows (year, region_code, new_la_code or None, funding, counts, headcount)."""
    regions = sorted({la["region_code"] for la in las})
    if len(regions) != len(REGION_TEACHERS):
        raise ValueError(f"the LA lookup has {len(regions)} regions, expected 9")
    members = {r: [i for i, la in enumerate(las) if la["region_code"] == r] for r in regions}
    region_hc = _region_headcounts(published, regions, seed)
    sizes = _la_sizes(las, seed)
    la_effect = _noise(seed, 0.15, len(las), "la-effect")
    la_nf_effect = _noise(seed, 0.5, len(las), "la-nf-effect")
    region_effect = np.array(
        [REGION_FUNDED_2021_22_ONE_OFF[r] / REGION_TEACHERS[r] for r in regions]
    )
    base_nf = np.mean(
        [
            v["non_funded_starts"] / v["headcount"]
            for (y, _), v in published.regional.items()
            if y == YEARS[0]
        ]
        or [0.002]
    )
    rows = []
    for year in YEARS:
        hc_r = region_hc[year]
        la_hc = np.zeros(len(las), np.int64)
        drift = _noise(seed, 0.01, len(las), "la-hc", year)
        for j, r in enumerate(regions):
            m = members[r]
            la_hc[m] = allocate(int(hc_r[j]), sizes[m] * drift[m])
        per_component: dict[str, tuple[list[Counts], dict[str, list[Counts]]]] = {}
        for component, total in components(published, year).items():
            key = (year, component)
            fixed: dict[str, dict[int, int]] = {"starts": {}, "unique": {}, "swc": {}}
            floors = {k: np.zeros(len(regions), np.int64) for k in ("starts", "unique", "swc")}
            if component == NON_FUNDED:
                effect = np.array(
                    [
                        published.regional[(year, r)]["non_funded_starts"] / hc_r[j]
                        if (year, r) in published.regional
                        else base_nf
                        for j, r in enumerate(regions)
                    ]
                )
                effect *= _noise(seed, 0.25, len(regions), "region-nf", *key)
                effect_la = la_nf_effect
            else:
                effect = region_effect * _noise(seed, 0.03, len(regions), "region", *key)
                effect_la = la_effect
            for j, r in enumerate(regions):
                anchor = published.regional.get((year, r))
                if anchor is None:
                    continue
                if component == FUNDED:  # the 2022/23 release's funded cells, exactly
                    fixed["starts"][j] = anchor["funded_starts"]
                    fixed["unique"][j] = anchor["funded_unique"]
                    fixed["swc"][j] = anchor["funded_swc"]
                elif component == NON_FUNDED:  # its non-funded starts, exactly
                    fixed["starts"][j] = anchor["non_funded_starts"]
                elif component == OVERALL:  # starts = funded + non-funded; participants >= funded
                    fixed["starts"][j] = anchor["funded_starts"] + anchor["non_funded_starts"]
                    floors["unique"][j] = anchor["funded_unique"]
                    floors["swc"][j] = anchor["funded_swc"]
            repeats_rate = (total.starts - total.unique) / total.unique
            floors["starts"] = np.maximum(
                floors["starts"],
                [_starts_floor(int(u), repeats_rate) if u else 0 for u in floors["unique"]],
            )
            match = _noise(seed, 0.02, len(regions), "region-match", *key)
            region_cells = _split(total, hc_r * effect, match, fixed=fixed, floors=floors)
            la_cells: dict[str, list[Counts]] = {}
            year_noise = _noise(seed, 0.05, len(las), "la-year", *key)
            la_match = _noise(seed, 0.04, len(las), "la-match", *key)
            for j, r in enumerate(regions):
                m = members[r]
                la_cells[r] = _split(
                    region_cells[j], la_hc[m] * effect_la[m] * year_noise[m], la_match[m]
                )
            per_component[component] = (region_cells, la_cells)

        for funding in (OVERALL, FUNDED):
            if funding in per_component:
                region_cells, la_cells = per_component[funding]
            elif funding == OVERALL:
                f_reg, f_la = per_component[FUNDED]
                n_reg, n_la = per_component[NON_FUNDED]
                region_cells = [a + b for a, b in zip(f_reg, n_reg, strict=True)]
                la_cells = {
                    r: [a + b for a, b in zip(f_la[r], n_la[r], strict=True)] for r in regions
                }
            else:
                continue
            for j, r in enumerate(regions):
                rows.append((year, r, None, funding, region_cells[j], int(hc_r[j])))
                for k, i in enumerate(members[r]):
                    code = las[i]["new_la_code"]
                    rows.append((year, r, code, funding, la_cells[r][k], int(la_hc[i])))
    return rows


# --------------------------------------------------------------------------------------------
# The file
# --------------------------------------------------------------------------------------------


def generate(seed: int = SEED, raw_root: Path = RAW_ROOT) -> pl.DataFrame:
    """The synthetic breakdown rows, in the published column order. Same seed, same frame."""
    published = read_published(raw_root)
    las = read_la_lookup(raw_root)
    by_code = {la["new_la_code"]: la for la in las}
    region_names = {la["region_code"]: la["region_name"] for la in las}
    records: list[dict[str, object]] = []

    def record(year, level, region, la, funding, breakdown, group, counts, hc) -> None:
        records.append(
            {
                "time_period": year,
                "time_identifier": "Academic year",
                "geographic_level": level,
                "country_code": "E92000001",
                "country_name": "England",
                "region_code": region,
                "region_name": region_names[region] if region else None,
                "la_name": la["la_name"] if la else None,
                "old_la_code": la["old_la_code"] if la else None,
                "new_la_code": la["new_la_code"] if la else None,
                "funding": funding,
                "breakdown": breakdown,
                "group_name": group,
                "npq_starts": counts.starts,
                "npq_unique_participants": counts.unique,
                "npq_unique_participants_swc_eligible": counts.swc,
                PERCENT: _percent(counts.swc, hc),
                HEADCOUNT: hc,
            }
        )

    national: dict[str, tuple[Cells, dict[tuple[str, str], int]]] = {
        year: _national(published, year, seed) for year in YEARS
    }
    for b in BREAKDOWNS:
        for g in b.groups:
            for funding in (OVERALL, FUNDED):
                for year in YEARS:
                    cells, headcounts = national[year]
                    if (b.label, g.label) not in headcounts:
                        continue
                    parts = components(published, year)
                    if funding in parts:
                        counts = cells[(b.label, g.label, funding)]
                    elif funding == OVERALL:
                        counts = (
                            cells[(b.label, g.label, FUNDED)]
                            + cells[(b.label, g.label, NON_FUNDED)]
                        )
                    else:
                        continue
                    hc = headcounts[(b.label, g.label)]
                    record(year, "National", None, None, funding, b.label, g.label, counts, hc)

    geography = _geography(published, las, seed)
    for level, want_la in (("Regional", False), ("Local authority", True)):
        for year, region, code, funding, counts, hc in sorted(
            (r for r in geography if (r[2] is not None) == want_la),
            key=lambda r: (r[1], r[2] or "", r[3] != OVERALL, r[0]),
        ):
            la = by_code[code] if code else None
            record(year, level, region, la, funding, OVERALL, OVERALL, counts, hc)

    schema = {c: pl.String for c in COLUMNS}
    for c in (*COUNTS, HEADCOUNT):
        schema[c] = pl.Int64
    return pl.DataFrame(records, schema=schema, orient="row")


def calibrated_to() -> list[str]:
    return [
        f"{NATIONAL_FILE.as_posix()}: national Overall 2021/22 to 2024/25 and Funded 2021/22 "
        "npq_starts, npq_unique_participants, npq_unique_participants_swc_eligible and "
        "teaching_workforce_headcount_swc (every breakdown, every region and LA sum to these)",
        f"{REGIONAL_2022_23_FILE.as_posix()}: Funded 2021/22 East Midlands, East of England "
        "and London starts, unique and SWC-matched participants and headcounts (exact); "
        "Non-funded 2021/22 starts (exact), so Overall 2021/22 starts = funded + non-funded; "
        "2022/23 headcounts and Overall starts = funded + non-funded starts (exact); funded "
        "unique and SWC-matched participants (lower bounds of the Overall 2022/23 cells)",
        *(
            f"{a.kind}: {a.year} {a.funding} {a.breakdown} / {a.group} {a.indicator} = "
            f"{a.value:,} ({a.source})"
            for a in ANCHORS
        ),
    ]


def write(seed: int = SEED, raw_root: Path = RAW_ROOT, folder: Path | None = None) -> Path:
    """Write `data/raw/synthetic/npq_participants_breakdowns/<VERSION>/` (or `folder`) and its
    manifest from the published files under `raw_root`."""
    return write_synthetic_release(
        generate(seed, raw_root),
        folder or raw_root / OUTPUT_DIR,
        FILE_NAME,
        dataset=DATASET,
        generator="pipelines.synthetic.npq",
        seed=seed,
        schema_of=(
            "NPQ participants 2024-25 (79418e7a-43e1-495d-afaa-f1253a2fb601), "
            "Teacher and leader development: ECF and NPQs"
        ),
        calibrated_to=calibrated_to(),
        description=(
            "SYNTHETIC national breakdowns (course, phase, school type, age, gender, "
            "ethnicity, grade, working pattern) and regional and local authority rows of NPQ "
            "starts and participants, 2021/22 to 2024/25, in the published column layout. "
            "Not official statistics: every group sums exactly to the published national "
            "total it breaks down, and the real cells listed in calibrated_to are reproduced; "
            "all other cells are seeded draws."
        ),
    )


# --------------------------------------------------------------------------------------------
# The LA -> region lookup (published geography codes)
# --------------------------------------------------------------------------------------------

SPC_SOURCE = {
    "source": "ees",
    "dataset": "la_region_lookup",
    "publication": "Schools, pupils and their characteristics",
    "publisher": "Department for Education",
    "release": "2021/22",
    "data_set_id": "spc_pupils_ethnicity_and_language (underlying file, 2021/22 release)",
    "data_set_title": "Pupil characteristics - ethnicity and language",
    "source_url": (
        "https://explore-education-statistics.service.gov.uk/find-statistics/"
        "school-pupils-and-their-characteristics/2021-22"
    ),
    "download_url": (
        "https://explore-education-statistics.service.gov.uk/find-statistics/"
        "school-pupils-and-their-characteristics/2021-22"
    ),
    "licence": "Open Government Licence v3.0",
    "licence_url": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
}


def build_la_lookup(spc_path: Path) -> tuple[pl.DataFrame, str]:
    """Distinct LA geography (five columns) of the latest year in the SPC ethnicity file,
    and that year."""
    frame = read_ees_csv(spc_path).filter(pl.col("geographic_level") == "Local authority")
    latest = frame["time_period"].max()
    lookup = (
        frame.filter(pl.col("time_period") == latest)
        .select(LOOKUP_COLUMNS)
        .unique()
        .sort("region_code", "old_la_code")
    )
    if lookup["new_la_code"].n_unique() != lookup.height:
        raise ValueError(f"{spc_path}: an LA code has more than one name or region")
    return lookup, latest


def write_la_lookup(spc_path: Path, raw_root: Path = RAW_ROOT) -> Path:
    lookup, latest = build_la_lookup(spc_path)
    year = f"{latest[:4]}/{latest[4:]}"
    folder = raw_root / GEOGRAPHY_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOOKUP_FILE
    lookup.write_csv(path, line_terminator="\n")
    manifest = {
        **SPC_SOURCE,
        "note": (
            "Lists the local authority codes used in DfE's 2021/22 Schools, pupils and their "
            "characteristics file: old 3-digit LA code, new 9-character ONS code, LA name, "
            "region code and region name (published geography; no statistics). The synthetic "
            "NPQ generator reads it so it runs without the shared real-data folder. LA "
            "boundaries are those of 2021/22 (before the 2023 Cumbria, North Yorkshire and "
            "Somerset reorganisations)."
        ),
        "files": [
            {
                "path": LOOKUP_FILE,
                "sha256": sha256_of(path),
                "bytes": path.stat().st_size,
                "rows": lookup.height,
                "provenance": "published",
                "retrieved_at": dt.date.today().isoformat(),
                "extract": (
                    "The five geography columns (old_la_code, new_la_code, la_name, "
                    f"region_code, region_name) of the Local authority rows for {year}, "
                    "distinct, sorted by region_code and old_la_code, from the published "
                    "underlying file spc_pupils_ethnicity_and_language.csv as kept in "
                    "dfe-analytical-services/explore-education-statistics-api-mock@978fc998 "
                    "(src/data/spc_pupils_ethnicity_and_language/data.csv.gz)."
                ),
            }
        ],
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.synthetic.npq",
        description="Regenerate the synthetic NPQ participant breakdowns (and, with "
        "--la-lookup-from, the LA -> region lookup they use).",
    )
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--la-lookup-from",
        type=Path,
        metavar="SPC_CSV_GZ",
        help="rebuild data/raw/reference/geography/ from the SPC ethnicity and language file",
    )
    args = parser.parse_args(argv)
    if args.la_lookup_from is not None:
        print(write_la_lookup(args.la_lookup_from))
    print(write(args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
