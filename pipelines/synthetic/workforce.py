"""SYNTHETIC school workforce "Teacher characteristics" (EES data set b6542541), 2010/11-2024/25.

The official year-by-year series of teachers by grade x sex x ethnicity (DfE, School workforce
in England, "Teacher characteristics", data set b6542541-dbab-4949-bf0e-988f6d0db132) is not
available offline. This module generates a seeded, deterministic SYNTHETIC stand-in in the
published layout, calibrated to every published figure held in `shared/reference/` (section b).
Its numbers are not official statistics: the manifest says `provenance: synthetic`, and staging
keeps a synthetic row only where no published row has the same key.

Run `python -m pipelines.synthetic.workforce` to regenerate
`data/raw/synthetic/workforce_teacher_characteristics/v1/` (CSV + manifest.json). Same seed,
byte-identical file.

Schema (why)
------------
Columns follow the current national/regional file of b6542541 ("Reporting year 2024"), in its
order, without the local-authority columns (a file with no LA rows needs none; staging fills
absent geography columns with null):

    time_period, time_identifier, geographic_level, country_code, country_name, region_code,
    region_name, school_type, grade, sex, age_group, working_pattern, qts_status, on_route,
    ethnicity_major, ethnicity_minor, full_time_equivalent, headcount,
    fte_percent_within_ethnicity, headcount_percent_within_ethnicity

* `sex`, not `gender`: the current file (2010/11-2024/25) has one `sex` column for every year
  ("From the November 2024 census onwards, sex has replaced gender"). Releases up to Reporting
  year 2023 (e.g. 75f83b30, the NatReg 2020-22 metadata) call it `gender`; a loader of those
  releases renames `gender` -> `sex` (values Female / Male / Total are unchanged).
* The percentage indicators are the current file's (`*_percent_within_ethnicity`; earlier
  releases had `*_percent_within_gender_grade`). Their exact definition is not visible in the
  public previews; here a row's percentage is its count as a share of the row with the same
  year, geography, grade and sex and ethnicity Total/Total (the ethnic make-up of that cell,
  Unknown included in the denominator), rounded to 1 dp as the metadata's indicator_dp says.
  Compute shares from the counts when the denominator matters.
* `school_type` = "Total state-funded schools" only; `age_group`, `working_pattern`,
  `qts_status` and `on_route` are present and always "Total", so code written for the real file
  (which must select those Totals) runs unchanged on this one.
* Grades as published (school-level file 15fca977): Total, Head teacher, Deputy head teacher,
  Assistant head teacher, Classroom teacher. Total = sum of the four grades exactly.
* Ethnicity. Majors: White; Mixed / Multiple ethnic groups; Asian / Asian British;
  Black / African / Caribbean / Black British; Other ethnic group; Unknown / refused /
  information not yet obtained (kept as its own group). The workforce file's own labels are
  not visible in the metadata we hold, so the majors are the GSS-harmonised major groups and
  the minors are DfE's published census labels for the same code set (from the SPC ethnicity
  file): White - White British, White - Irish, White - Gypsy/Roma, White - Traveller of Irish
  heritage, White - Any other White background; and Refused / Information not yet obtained
  (the SWC wording). Minor rows are generated only where the questions need them (White
  British vs other White; refused vs not obtained), and only nationally; the other majors have
  their "Total" minor row only. Every major = sum of its minors where minors are present;
  ethnicity Total = sum of the six majors.
* Geography: National (England) and Regional (the 9 English regions, E12000001-9). Regional
  rows have sex = Total and major ethnic groups only, to keep the file small; National = sum
  of the regions exactly. Rows: national 15 years x 5 grades x 3 sexes x 14 ethnicity rows
  (3,150) + regional 15 x 9 x 5 x 7 (4,725) = 7,875; about 1.48 MB.
* `sex` values are Female, Male and Total (no unknown-sex rows are generated).
* Counts: headcount is a non-negative integer (the published file has non-integer headcounts
  before 2024/25 because of non-response weighting; anchors of that kind are matched to the
  nearest whole teacher). FTE has 2 dp, as in the 2024/25 file, and FTE <= headcount in every
  row. Numbers are written the EES way (no trailing zeros: "116618.7", "100").

Calibration
-----------
HARD (official; reproduced exactly, shares to 0.1 pp as published):
  * All-teacher headcount: 503,900 (2016/17, EFF v1.4, rounded to 100); 500,765 (2019/20,
    published 500,764.7925; the FTE/headcount split of that preview is marked uncertain);
    508,087 (2020/21, published 508,086.9256, EES data set c470cb09 preview; not in the
    reference CSV); 512,008 (2021/22, published 512,007.8697); 513,435 (2024/25).
  * All-teacher FTE: 457,300 (2016/17); 453,813.46 (2019/20, published 453,813.4645);
    461,087.51 (2020/21, published 461,087.5107); 465,526.18 (2021/22, published
    465,526.1779); 468,257.94 (2024/25).
  * 2016/17 (EFF v1.4; shares are of teachers with KNOWN ethnicity: "86.5% of all teachers ...
    around 408,800" implies a denominator of about 472,600, below the 503,900 headcount):
    all teachers White British 86.5% (408,800 of 472,600 known; 31,300 unknown), Other White
    3.8% (17,900); head teachers White British 93.1% (20,160 of 21,648 known); 380,000 female
    teachers.
SOFT (secondary sources; targets within 0.5 pp, counts within 0.5% of their base):
  * FTE 468,693 in 2023/24 (Tes on the DfE release) - matched exactly.
  * Classroom teachers 85.1% White British in 2018/19 (Schools Week) - solved for exactly.
  * Head teachers 92.9% White British in 2018/19 (Schools Week).
  * Head teachers not White British (incl. White minorities; John Howson blog, SWC-derived):
    1,473 / 1,480 / 1,512 / 1,531 / 1,530 / 1,532 / 1,564 / 1,627 (2015/16-2022/23); matched
    exactly except 2016/17 = 1,488, where the official 93.1% with ~20,160 White British heads
    rules out 1,480.
  * Refused ethnicity among heads 117 (2015/16) -> 192 (2022/23) (same blog) - exact.
  * "White" heads 19,520 (2019/20) and 19,104 (2022/23) (same blog; ambiguous, read as
    White British) - exact.
  * Women: 388,688 = 76% of teachers in 2023/24 (Tes) - count exact; women 69% of
    leadership-grade teachers in 2023/24 and 66% in 2010/11 (Tes).
  * Minority-ethnic (= not White British) head teachers 2010 -> 2020: primary 5% -> 7%,
    secondary 7% -> 9% (Tes on DfE "School leadership in England 2010 to 2020"); the all-phase
    share is checked to lie within [5, 7] in 2010/11 and [7, 9] in 2020/21.
  * London 2018 (Guardian FOI): "BAME" (read as not White) teachers 44% inner / 38% outer,
    senior leaders 31% / 25%; London-wide shares checked to lie in [38, 44] and [25, 31].
PLAUSIBILITY (Tes 2011, Nov 2010 census, approximate): about 472,000 teachers of known
  ethnicity, 93.6% of them White; 21,900 heads, 14,300 of them women.
NOT USED: the NPQ release denominators 510,265 / 511,865 / 511,952 / 511,958 (2021/22-2024/25)
  are the SWC headcount matched for the NPQ statistics, a different scope from the SWF
  headline totals. The ambiguous 67% -> 70% "women in leadership" 2010 -> 2020 (Tes says all
  leadership roles, Schools Week says heads) and SecEd's BME head shares (5.6% 2012, 6.1% 2013;
  definition unclear, inconsistent with the DfE series) are not targets.

Method
------
Totals and shares follow monotone cubics (PCHIP) through the anchors, so nothing overshoots
between them. Years before 2016/17 rest on assumed knots (2010/11: 490,000 headcount, 443,500
FTE, 74.2% women), chosen to agree with the Tes 2011 figures; they are assumptions, not
published figures. Head teachers are built from the anchored counts (known ethnicity, not
White British, refused); deputy and assistant heads from assumed paths; all teachers from the
anchored totals and shares; classroom teachers are what the leadership grades leave, so the
all-teacher anchors hold exactly. Sex and FTE are then allocated within each cell (female
totals and FTE totals exact), and each national grade x major-group count is split over the
regions by iterative proportional fitting on regional odds (London far above the rest).
Integer rounding is largest-remainder, so every Total is the exact sum of its parts. The seeded
noise (numpy `default_rng(seed)`) moves only what no anchor fixes: the mix within the
not-White-British groups, deputy and assistant head numbers, sex and FTE propensities by ethnic
group, and the regional odds. Hard and soft anchors hold for any seed by construction; the
London ranges depend on the regional noise and are checked.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.paths import PROJECT_ROOT
from pipelines.synthetic.release import write_synthetic_release

SEED = 20101130
DATASET = "workforce_teacher_characteristics"
FILE_NAME = "workforce_teacher_characteristics.csv"
OUTPUT_DIR = PROJECT_ROOT / "data" / "raw" / "synthetic" / DATASET / "v1"
SCHEMA_OF = (
    "EES data set b6542541-dbab-4949-bf0e-988f6d0db132 'Teacher characteristics' "
    "(School workforce in England, Reporting year 2024), national and regional rows"
)

YEARS = tuple(range(2010, 2025))  # first calendar year of the academic year (Nov census)
TOTAL = "Total"
SCHOOL_TYPE = "Total state-funded schools"

COLUMNS = (
    "time_period",
    "time_identifier",
    "geographic_level",
    "country_code",
    "country_name",
    "region_code",
    "region_name",
    "school_type",
    "grade",
    "sex",
    "age_group",
    "working_pattern",
    "qts_status",
    "on_route",
    "ethnicity_major",
    "ethnicity_minor",
    "full_time_equivalent",
    "headcount",
    "fte_percent_within_ethnicity",
    "headcount_percent_within_ethnicity",
)
INDICATORS = COLUMNS[-4:]

GRADES = ("Head teacher", "Deputy head teacher", "Assistant head teacher", "Classroom teacher")
H, D, A, C = range(4)
SEXES = ("Female", "Male")

# Ethnic "atoms": the finest groups generated. Every published row is a sum of atoms.
ATOMS = ("WBRI", "WIRI", "WROM", "WIRT", "WOTH", "MIXD", "AASI", "BLAC", "OOEG", "REFU", "NOBT")
WBRI, WIRI, WROM, WIRT, WOTH, MIXD, AASI, BLAC, OOEG, REFU, NOBT = range(len(ATOMS))
OTHER_WHITE = (WIRI, WROM, WIRT, WOTH)
NOT_WBRI_KNOWN = (WIRI, WROM, WIRT, WOTH, MIXD, AASI, BLAC, OOEG)  # heads' "not White British"
NOT_WHITE = (MIXD, AASI, BLAC, OOEG)
UNKNOWN = (REFU, NOBT)

WHITE = "White"
UNKNOWN_MAJOR = "Unknown / refused / information not yet obtained"
MAJORS: tuple[tuple[str, tuple[int, ...]], ...] = (
    (WHITE, (WBRI, WIRI, WROM, WIRT, WOTH)),
    ("Mixed / Multiple ethnic groups", (MIXD,)),
    ("Asian / Asian British", (AASI,)),
    ("Black / African / Caribbean / Black British", (BLAC,)),
    ("Other ethnic group", (OOEG,)),
    (UNKNOWN_MAJOR, (REFU, NOBT)),
)
MINOR_LABELS = {
    WBRI: "White - White British",
    WIRI: "White - Irish",
    WROM: "White - Gypsy/Roma",
    WIRT: "White - Traveller of Irish heritage",
    WOTH: "White - Any other White background",
    REFU: "Refused",
    NOBT: "Information not yet obtained",
}
# Majors whose minor rows are published (nationally).
MAJORS_WITH_MINORS = (WHITE, UNKNOWN_MAJOR)

REGIONS = (
    ("E12000001", "North East"),
    ("E12000002", "North West"),
    ("E12000003", "Yorkshire and The Humber"),
    ("E12000004", "East Midlands"),
    ("E12000005", "West Midlands"),
    ("E12000006", "East of England"),
    ("E12000007", "London"),
    ("E12000008", "South East"),
    ("E12000009", "South West"),
)

# ---------------------------------------------------------------------------------------------
# Published figures (anchors). Keys are the first year of the academic year (2016 = 2016/17).
# ---------------------------------------------------------------------------------------------

HEADCOUNT_ANCHORS = {2016: 503_900, 2019: 500_765, 2020: 508_087, 2021: 512_008, 2024: 513_435}
FTE_ANCHORS = {  # in hundredths of an FTE
    2016: 45_730_000,
    2019: 45_381_346,
    2020: 46_108_751,
    2021: 46_552_618,
    2023: 46_869_300,  # secondary (Tes), matched exactly
    2024: 46_825_794,
}
FTE_SECONDARY_YEARS = (2023,)
# 2016/17, Ethnicity facts and figures v1.4 (official; counts are "around", rounded).
EFF_YEAR = 2016
EFF_KNOWN_ETHNICITY = 472_600  # implied by 408,800 = 86.5%
EFF_WHITE_BRITISH = 408_800
EFF_OTHER_WHITE = 17_900
EFF_HEADS_WHITE_BRITISH = 20_160
EFF_FEMALE = 380_000
# Secondary (soft) figures.
CLASSROOM_WB_YEAR, CLASSROOM_WB_SHARE = 2018, 0.851
HEADS_WB_2018 = 0.929
HEADS_NOT_WB = {  # John Howson blog (SWC-derived); 2016 moved from 1,480 (see docstring)
    2015: 1_473,
    2016: 1_488,
    2017: 1_512,
    2018: 1_531,
    2019: 1_530,
    2020: 1_532,
    2021: 1_564,
    2022: 1_627,
}
HEADS_NOT_WB_PUBLISHED = {**HEADS_NOT_WB, 2016: 1_480}
HEADS_REFUSED = {2015: 117, 2022: 192}
HEADS_WHITE_BRITISH_BLOG = {2019: 19_520, 2022: 19_104}
FEMALE_2023 = 388_688
LEADERSHIP_FEMALE = {2010: 0.66, 2023: 0.69}

# ---------------------------------------------------------------------------------------------
# Assumptions (not published figures): knots for unanchored years and structural shares.
# ---------------------------------------------------------------------------------------------

HEADCOUNT_KNOTS = {2010: 490_000, **HEADCOUNT_ANCHORS}
FTE_KNOTS = {2010: 44_350_000, **FTE_ANCHORS}
FEMALE_SHARE_2010 = 0.742
FEMALE_SHARE_RISE_2024 = 0.0004  # 2024/25 share = 2023/24 share + this
# Teachers with unknown ethnicity, share of all teachers (2016 is fixed by the EFF figures).
UNKNOWN_SHARE_KNOTS = {2010: 18_000 / 490_000, 2020: 0.0650, 2024: 0.0690}
REFUSED_SHARE = (0.0110, 0.0150)  # of all teachers, 2010/11 -> 2024/25, linear
# All teachers, shares of those with known ethnicity.
WB_SHARE_KNOTS = {2010: 0.8990, 2024: 0.8360}  # + 2016 (EFF) + 2018 (solved)
OTHER_WHITE_SHARE_KNOTS = {2010: 0.0345, 2024: 0.0460}  # + 2016 (EFF)
OTHER_WHITE_SPLIT = ((0.330, 0.004, 0.004, 0.662), (0.240, 0.006, 0.005, 0.749))  # WIRI..WOTH
NOT_WHITE_SPLIT = ((0.165, 0.455, 0.260, 0.120), (0.195, 0.445, 0.245, 0.115))  # MIXD..OOEG
# Head teachers: known-ethnicity headcount and the "not White British" count.
HEADS_KNOWN_KNOTS = {
    2010: 21_900,  # Tes 2011 (approximate)
    2016: EFF_HEADS_WHITE_BRITISH + HEADS_NOT_WB[2016],
    2019: HEADS_WHITE_BRITISH_BLOG[2019] + HEADS_NOT_WB[2019],
    2022: HEADS_WHITE_BRITISH_BLOG[2022] + HEADS_NOT_WB[2022],
    2024: 20_450,
}
HEADS_NOT_WB_KNOTS = {2010: 1_180, **HEADS_NOT_WB, 2023: 1_668, 2024: 1_708}
HEADS_REFUSED_KNOTS = {2010: 80, **HEADS_REFUSED, 2024: 210}
HEADS_NOT_OBTAINED_SHARE = (0.0150, 0.0120)  # of known-ethnicity heads, linear
# Deputy and assistant heads: headcount, unknown shares, White British share of known.
DEPUTY_KNOTS = {2010: 21_800, 2016: 20_900, 2024: 19_600}
ASSISTANT_KNOTS = {2010: 18_500, 2016: 24_600, 2024: 30_400}
LEADER_REFUSED_SHARE = {D: (0.005, 0.007), A: (0.006, 0.008)}
LEADER_NOT_OBTAINED_SHARE = {D: (0.020, 0.018), A: (0.026, 0.023)}
LEADER_WB_SHARE = {
    D: {2010: 0.935, 2016: 0.912, 2024: 0.885},
    A: {2010: 0.925, 2016: 0.898, 2024: 0.866},
}
# Mix of the "not White British" known groups (WIRI, WROM, WIRT, WOTH, MIXD, AASI, BLAC, OOEG).
LEADER_NOT_WB_SPLIT = {
    H: (
        (0.26, 0.002, 0.002, 0.20, 0.10, 0.21, 0.15, 0.076),
        (0.20, 0.003, 0.003, 0.21, 0.12, 0.23, 0.16, 0.074),
    ),
    D: (
        (0.22, 0.002, 0.002, 0.20, 0.11, 0.23, 0.16, 0.076),
        (0.16, 0.003, 0.003, 0.22, 0.13, 0.25, 0.17, 0.064),
    ),
    A: (
        (0.20, 0.002, 0.002, 0.21, 0.11, 0.24, 0.17, 0.066),
        (0.14, 0.003, 0.003, 0.22, 0.13, 0.26, 0.18, 0.064),
    ),
}
# Women: share of each leadership grade before the common adjustment to the leadership target.
LEADERSHIP_FEMALE_2024 = 0.69 + 0.03 / 13  # the 2010/11-2023/24 pace, one more year
LEADER_FEMALE_SHARE = {H: (0.653, 0.690), D: (0.675, 0.705), A: (0.650, 0.688)}
FEMALE_PROPENSITY = (1.00, 1.00, 1.00, 1.00, 0.96, 1.02, 0.94, 1.04, 0.96, 0.92, 1.00)
# FTE per head, by grade and sex (Female, Male); rescaled each year to the FTE total.
FTE_RATIO = {H: (0.975, 0.985), D: (0.955, 0.975), A: (0.930, 0.962), C: (0.882, 0.952)}
# Regions: share of classroom teachers and of head teachers (schools); deputies and
# assistants sit halfway.
REGION_TEACHER_SHARE = (0.047, 0.131, 0.098, 0.082, 0.106, 0.110, 0.169, 0.163, 0.094)
REGION_HEAD_SHARE = (0.050, 0.140, 0.100, 0.090, 0.105, 0.120, 0.115, 0.155, 0.125)
# Relative odds of each major group (vs White) by region: White, Mixed, Asian, Black, Other,
# Unknown.
REGION_ODDS = (  # chosen so that London 2018/19 sits inside the Guardian FOI ranges
    (1.0, 0.35, 0.22, 0.08, 0.30, 0.95),
    (1.0, 0.70, 0.85, 0.22, 0.60, 0.95),
    (1.0, 0.60, 0.95, 0.18, 0.55, 0.95),
    (1.0, 0.75, 0.95, 0.35, 0.60, 0.95),
    (1.0, 0.95, 1.55, 0.60, 0.80, 1.00),
    (1.0, 0.75, 0.45, 0.35, 0.60, 0.95),
    (1.0, 7.00, 7.50, 25.0, 10.5, 1.20),
    (1.0, 0.75, 0.40, 0.25, 0.60, 0.95),
    (1.0, 0.45, 0.15, 0.08, 0.30, 0.95),
)

# ---------------------------------------------------------------------------------------------
# Small numeric helpers
# ---------------------------------------------------------------------------------------------

_X = np.array(YEARS, dtype=float)


def pchip(knots: dict[int, float], xs: np.ndarray = _X) -> np.ndarray:
    """Monotone cubic (Fritsch-Carlson / PCHIP) through the knots: no overshoot between them."""
    x = np.array(sorted(knots), dtype=float)
    y = np.array([knots[int(k)] for k in x], dtype=float)
    if len(x) == 1:
        return np.full_like(xs, y[0])
    h = np.diff(x)
    delta = np.diff(y) / h
    m = np.zeros_like(y)
    if len(x) == 2:
        m[:] = delta[0]
    else:
        for k in range(1, len(x) - 1):
            if delta[k - 1] * delta[k] > 0:
                w1, w2 = 2 * h[k] + h[k - 1], h[k] + 2 * h[k - 1]
                m[k] = (w1 + w2) / (w1 / delta[k - 1] + w2 / delta[k])
        m[0] = _edge_slope(h[0], h[1], delta[0], delta[1])
        m[-1] = _edge_slope(h[-1], h[-2], delta[-1], delta[-2])
    i = np.clip(np.searchsorted(x, xs, side="right") - 1, 0, len(x) - 2)
    t = (xs - x[i]) / h[i]
    h00, h10 = 2 * t**3 - 3 * t**2 + 1, t**3 - 2 * t**2 + t
    h01, h11 = -2 * t**3 + 3 * t**2, t**3 - t**2
    return h00 * y[i] + h10 * h[i] * m[i] + h01 * y[i + 1] + h11 * h[i] * m[i + 1]


def _edge_slope(h0: float, h1: float, d0: float, d1: float) -> float:
    m = ((2 * h0 + h1) * d0 - h0 * d1) / (h0 + h1)
    if np.sign(m) != np.sign(d0):
        return 0.0
    if np.sign(d0) != np.sign(d1) and abs(m) > abs(3 * d0):
        return 3 * d0
    return m


def linear(start: float, end: float) -> np.ndarray:
    """From `start` in 2010/11 to `end` in 2024/25, straight."""
    return np.linspace(start, end, len(YEARS))


def blend(start: tuple[float, ...], end: tuple[float, ...]) -> np.ndarray:
    """Year x component shares moving linearly from `start` to `end` (each row sums to 1)."""
    s, e = np.array(start, dtype=float), np.array(end, dtype=float)
    s, e = s / s.sum(), e / e.sum()
    w = np.linspace(0.0, 1.0, len(YEARS))[:, None]
    return (1 - w) * s + w * e


def ar1(rng: np.random.Generator, shape: tuple[int, ...], sd: float, phi: float = 0.85):
    """Smooth multiplicative noise over years (axis 0): exp of a stationary AR(1) process."""
    z = np.empty(shape)
    z[0] = rng.normal(0.0, sd, shape[1:])
    for t in range(1, shape[0]):
        z[t] = phi * z[t - 1] + rng.normal(0.0, sd * np.sqrt(1 - phi**2), shape[1:])
    return np.exp(z)


def allocate(total: int, weights: np.ndarray, caps: np.ndarray | None = None) -> np.ndarray:
    """Non-negative integers summing to `total`, proportional to `weights`, never above `caps`.

    Largest-remainder rounding with ties broken by position, so the result is deterministic.
    """
    w = np.asarray(weights, dtype=float)
    if total == 0:
        return np.zeros(w.shape, dtype=np.int64)
    cap = np.full(w.shape, total, dtype=np.int64) if caps is None else np.asarray(caps)
    if total < 0 or w.sum() <= 0 or total > cap.sum():
        raise ValueError(f"cannot allocate {total} over weights {w} with caps {caps}")
    fixed = np.zeros(w.shape, dtype=bool)
    while True:  # cells whose share would exceed their cap are pinned at the cap
        free_total = total - cap[fixed].sum()
        free_w = np.where(fixed, 0.0, w)
        raw = np.where(fixed, cap, free_total * free_w / free_w.sum() if free_w.sum() else 0.0)
        over = ~fixed & (raw > cap)
        if not over.any():
            break
        fixed |= over
    out = np.minimum(np.floor(raw + 1e-9).astype(np.int64), cap)
    left = total - int(out.sum())
    remainder = np.where(out < cap, raw - out, -np.inf)
    order = np.argsort(-remainder, kind="stable")
    for i in order:
        if left == 0:
            break
        if out[i] < cap[i]:
            out[i] += 1
            left -= 1
    if left:
        raise ValueError("allocation failed")  # unreachable when total <= sum(caps)
    return out


def _round(values: np.ndarray) -> np.ndarray:
    return np.floor(np.asarray(values) + 0.5).astype(np.int64)


# ---------------------------------------------------------------------------------------------
# The national model: counts by year x grade x sex x ethnic atom
# ---------------------------------------------------------------------------------------------


def _totals() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Headcount, FTE (hundredths) and female headcount of all teachers, by year."""
    headcount = _round(pchip(HEADCOUNT_KNOTS))
    fte = _round(pchip(FTE_KNOTS))
    i2023 = YEARS.index(2023)
    share_2016 = EFF_FEMALE / HEADCOUNT_ANCHORS[EFF_YEAR]
    share_2023 = FEMALE_2023 / headcount[i2023]
    share = pchip(
        {
            2010: FEMALE_SHARE_2010,
            EFF_YEAR: share_2016,
            2023: share_2023,
            2024: share_2023 + FEMALE_SHARE_RISE_2024,
        }
    )
    female = _round(share * headcount)
    female[YEARS.index(EFF_YEAR)] = EFF_FEMALE
    female[i2023] = FEMALE_2023
    return headcount, fte, female


def _leaders(rng: np.random.Generator) -> np.ndarray:
    """Year x grade(H, D, A) x atom headcounts of the three leadership grades."""
    n = len(YEARS)
    out = np.zeros((n, 3, len(ATOMS)), dtype=np.int64)
    known_h = _round(pchip(HEADS_KNOWN_KNOTS))
    not_wb_h = _round(pchip(HEADS_NOT_WB_KNOTS))
    refused_h = _round(pchip(HEADS_REFUSED_KNOTS))
    not_obtained_h = _round(linear(*HEADS_NOT_OBTAINED_SHARE) * known_h)
    deputies = _round(pchip(DEPUTY_KNOTS) * ar1(rng, (n,), 0.004))
    assistants = _round(pchip(ASSISTANT_KNOTS) * ar1(rng, (n,), 0.004))
    split = {g: blend(*LEADER_NOT_WB_SPLIT[g]) * ar1(rng, (n, 8), 0.04) for g in (H, D, A)}
    for t in range(n):
        out[t, H, WBRI] = known_h[t] - not_wb_h[t]
        out[t, H, list(NOT_WBRI_KNOWN)] = allocate(int(not_wb_h[t]), split[H][t])
        out[t, H, REFU] = refused_h[t]
        out[t, H, NOBT] = not_obtained_h[t]
        for g, total in ((D, deputies[t]), (A, assistants[t])):
            refused = _round(linear(*LEADER_REFUSED_SHARE[g])[t] * total)
            not_obtained = _round(linear(*LEADER_NOT_OBTAINED_SHARE[g])[t] * total)
            known = total - refused - not_obtained
            wb = _round(pchip(LEADER_WB_SHARE[g])[t] * known)
            out[t, g, WBRI] = wb
            out[t, g, list(NOT_WBRI_KNOWN)] = allocate(int(known - wb), split[g][t])
            out[t, g, REFU] = refused
            out[t, g, NOBT] = not_obtained
    return out


def _all_teachers(
    rng: np.random.Generator, headcount: np.ndarray, leaders: np.ndarray
) -> np.ndarray:
    """Year x atom headcounts of all teachers; classroom teachers are what leaders leave."""
    n = len(YEARS)
    t16, t18 = YEARS.index(EFF_YEAR), YEARS.index(CLASSROOM_WB_YEAR)
    unknown_knots = {**UNKNOWN_SHARE_KNOTS, EFF_YEAR: 1 - EFF_KNOWN_ETHNICITY / headcount[t16]}
    unknown = _round(pchip(unknown_knots) * headcount)
    unknown[t16] = headcount[t16] - EFF_KNOWN_ETHNICITY
    known = headcount - unknown
    refused = _round(linear(*REFUSED_SHARE) * headcount)

    # Solve the 2018/19 White British knot so that classroom teachers are 85.1% White British.
    lead18 = leaders[t18]
    lead_known = lead18[:, :REFU].sum()
    classroom_known = known[t18] - lead_known
    wb18 = round(CLASSROOM_WB_SHARE * classroom_known) + lead18[:, WBRI].sum()
    wb_knots = {**WB_SHARE_KNOTS, EFF_YEAR: EFF_WHITE_BRITISH / EFF_KNOWN_ETHNICITY}
    wb_knots[CLASSROOM_WB_YEAR] = wb18 / known[t18]
    wb = _round(pchip(wb_knots) * known)
    wb[t16], wb[t18] = EFF_WHITE_BRITISH, wb18
    ow_knots = {**OTHER_WHITE_SHARE_KNOTS, EFF_YEAR: EFF_OTHER_WHITE / EFF_KNOWN_ETHNICITY}
    other_white = _round(pchip(ow_knots) * known)
    other_white[t16] = EFF_OTHER_WHITE
    ow_split = blend(*OTHER_WHITE_SPLIT) * ar1(rng, (n, 4), 0.04)
    nw_split = blend(*NOT_WHITE_SPLIT) * ar1(rng, (n, 4), 0.03)

    out = np.zeros((n, len(ATOMS)), dtype=np.int64)
    for t in range(n):
        out[t, WBRI] = wb[t]
        out[t, list(OTHER_WHITE)] = allocate(int(other_white[t]), ow_split[t])
        out[t, list(NOT_WHITE)] = allocate(int(known[t] - wb[t] - other_white[t]), nw_split[t])
        out[t, REFU] = refused[t]
        out[t, NOBT] = unknown[t] - refused[t]
    return out


def _by_sex(rng: np.random.Generator, grades: np.ndarray, female_total: np.ndarray) -> np.ndarray:
    """Year x grade x sex x atom headcounts from year x grade x atom and the female totals."""
    n = len(YEARS)
    out = np.zeros((n, 4, 2, len(ATOMS)), dtype=np.int64)
    propensity = np.array(FEMALE_PROPENSITY) * np.exp(rng.normal(0.0, 0.01, len(ATOMS)))
    lead_target = pchip({**LEADERSHIP_FEMALE, 2024: LEADERSHIP_FEMALE_2024})
    for t in range(n):
        size = grades[t].sum(axis=1)
        base = np.array([linear(*LEADER_FEMALE_SHARE[g])[t] for g in (H, D, A)])
        lead_female = _round(lead_target[t] * size[:3].sum())
        female = np.zeros(4, dtype=np.int64)
        female[:3] = allocate(int(lead_female), base * size[:3])
        female[C] = female_total[t] - female[:3].sum()
        for g in range(4):
            out[t, g, 0] = allocate(int(female[g]), grades[t, g] * propensity, caps=grades[t, g])
            out[t, g, 1] = grades[t, g] - out[t, g, 0]
    return out


def _fte(rng: np.random.Generator, cells: np.ndarray, fte_total: np.ndarray) -> np.ndarray:
    """FTE in hundredths for year x grade x sex x atom headcounts; never above headcount."""
    effect = np.exp(rng.normal(0.0, 0.004, len(ATOMS)))
    ratio = np.array([FTE_RATIO[g] for g in range(4)])  # grade x sex
    out = np.zeros_like(cells)
    for t in range(len(YEARS)):
        weights = cells[t] * ratio[:, :, None] * effect[None, None, :]
        out[t] = allocate(
            int(fte_total[t]), weights.ravel(), caps=(cells[t] * 100).ravel()
        ).reshape(cells[t].shape)
    return out


def _regions(
    rng: np.random.Generator, headcount: np.ndarray, fte: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Split national year x grade x major headcount and FTE over the 9 regions."""
    n, n_regions, n_majors = len(YEARS), len(REGIONS), len(MAJORS)
    odds = np.array(REGION_ODDS) * np.exp(rng.normal(0.0, 0.04, (n_regions, n_majors)))
    drift = ar1(rng, (n, n_regions, n_majors), 0.015)
    teacher, head = np.array(REGION_TEACHER_SHARE), np.array(REGION_HEAD_SHARE)
    grade_share = {H: head, D: (head + teacher) / 2, A: (head + teacher) / 2, C: teacher}
    hc = np.zeros((n, n_regions, 4, n_majors), dtype=np.int64)
    ft = np.zeros_like(hc)
    for t in range(n):
        for g in range(4):
            column = headcount[t, g]
            rows = grade_share[g] / grade_share[g].sum() * column.sum()
            table = grade_share[g][:, None] * odds * drift[t]
            for _ in range(500):  # iterative proportional fitting to both margins
                table *= (rows / table.sum(axis=1))[:, None]
                sums = table.sum(axis=0)
                table *= np.divide(column, sums, out=np.zeros(len(column)), where=sums > 0)
                if np.abs(table.sum(axis=1) - rows).max() < 1e-6:
                    break
            for j in range(n_majors):
                hc[t, :, g, j] = allocate(int(column[j]), table[:, j])
                ft[t, :, g, j] = allocate(
                    int(fte[t, g, j]), hc[t, :, g, j], caps=hc[t, :, g, j] * 100
                )
    return hc, ft


def model(seed: int = SEED) -> dict[str, np.ndarray]:
    """Every generated count as arrays (national: year x grade x sex x atom; FTE in 1/100)."""
    rng = np.random.default_rng(seed)
    headcount, fte_total, female = _totals()
    leaders = _leaders(rng)
    everyone = _all_teachers(rng, headcount, leaders)
    classroom = everyone - leaders.sum(axis=1)
    if (classroom < 0).any():
        raise ValueError("classroom teachers came out negative: leadership paths too large")
    grades = np.concatenate([leaders, classroom[:, None, :]], axis=1)
    cells = _by_sex(rng, grades, female)
    fte = _fte(rng, cells, fte_total)
    major_hc = _to_majors(cells.sum(axis=2))
    major_fte = _to_majors(fte.sum(axis=2))
    region_hc, region_fte = _regions(rng, major_hc, major_fte)
    return {
        "headcount": cells,
        "fte": fte,
        "region_headcount": region_hc,
        "region_fte": region_fte,
    }


def _to_majors(atoms: np.ndarray) -> np.ndarray:
    """Sum the last (atom) axis into the six major groups."""
    return np.stack([atoms[..., list(parts)].sum(axis=-1) for _, parts in MAJORS], axis=-1)


# ---------------------------------------------------------------------------------------------
# The published layout
# ---------------------------------------------------------------------------------------------


def _ethnicity_rows(minors: bool) -> list[tuple[str, str, tuple[int, ...]]]:
    """(ethnicity_major, ethnicity_minor, atoms) in file order."""
    rows = [(TOTAL, TOTAL, tuple(range(len(ATOMS))))]
    for major, parts in MAJORS:
        rows.append((major, TOTAL, parts))
        if minors and major in MAJORS_WITH_MINORS:
            rows += [(major, MINOR_LABELS[a], (a,)) for a in parts]
    return rows


def _percent(part: int, whole: int) -> float:
    """part / whole as a percentage rounded half-up to 1 dp, in exact integer arithmetic."""
    if whole <= 0:
        raise ValueError("a percentage needs a positive denominator")
    return ((2000 * part + whole) // (2 * whole)) / 10


def academic_year(year: int) -> str:
    """2016 -> "201617", the EES time_period of the academic year starting in `year`."""
    return f"{year}{(year + 1) % 100:02d}"


def generate(seed: int = SEED) -> pl.DataFrame:
    """The synthetic teacher characteristics table (typed: counts Int64, FTE and % Float64)."""
    m = model(seed)
    grade_sel = [(TOTAL, [H, D, A, C])] + [(GRADES[g], [g]) for g in range(4)]
    sex_sel = [(TOTAL, [0, 1]), (SEXES[0], [0]), (SEXES[1], [1])]
    records: list[tuple] = []

    def emit(geo: tuple, grade: str, sex: str, hc: np.ndarray, ft: np.ndarray, rows) -> None:
        """One row per ethnicity row; `hc`/`ft` are counts by atom (national) or major."""
        hc_all, ft_all = int(hc.sum()), int(ft.sum())
        for major, minor, parts in rows:
            h, f = int(hc[list(parts)].sum()), int(ft[list(parts)].sum())
            pct = (_percent(f, ft_all), _percent(h, hc_all))
            records.append((*geo, grade, sex, major, minor, f / 100, h, *pct))

    national_rows = _ethnicity_rows(minors=True)
    # Regional counts are by major group: ethnicity rows address majors by position.
    regional_rows = [
        (major, minor, tuple(range(len(MAJORS))) if major == TOTAL else (j - 1,))
        for j, (major, minor, _) in enumerate(_ethnicity_rows(minors=False))
    ]
    for t, year in enumerate(YEARS):
        national = (academic_year(year), "National", None, None)
        for grade, gs in grade_sel:
            for sex, ss in sex_sel:
                hc = m["headcount"][t][gs][:, ss].sum(axis=(0, 1))
                ft = m["fte"][t][gs][:, ss].sum(axis=(0, 1))
                emit(national, grade, sex, hc, ft, national_rows)
        for r, (code, name) in enumerate(REGIONS):
            regional = (academic_year(year), "Regional", code, name)
            for grade, gs in grade_sel:
                hc = m["region_headcount"][t, r][gs].sum(axis=0)
                ft = m["region_fte"][t, r][gs].sum(axis=0)
                emit(regional, grade, TOTAL, hc, ft, regional_rows)

    frame = pl.DataFrame(
        records,
        schema={
            "time_period": pl.String,
            "geographic_level": pl.String,
            "region_code": pl.String,
            "region_name": pl.String,
            "grade": pl.String,
            "sex": pl.String,
            "ethnicity_major": pl.String,
            "ethnicity_minor": pl.String,
            "full_time_equivalent": pl.Float64,
            "headcount": pl.Int64,
            "fte_percent_within_ethnicity": pl.Float64,
            "headcount_percent_within_ethnicity": pl.Float64,
        },
        orient="row",
    )
    constant = {
        "time_identifier": "Academic year",
        "country_code": "E92000001",
        "country_name": "England",
        "school_type": SCHOOL_TYPE,
        **dict.fromkeys(("age_group", "working_pattern", "qts_status", "on_route"), TOTAL),
    }
    return frame.with_columns(pl.lit(v).alias(k) for k, v in constant.items()).select(COLUMNS)


def to_published_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Every column as text, numbers written the EES way (no trailing ".0")."""
    decimals = [name for name in INDICATORS if frame.schema[name] == pl.Float64]
    return frame.with_columns(
        *(pl.col(n).round(2).cast(pl.String).str.replace(r"\.0$", "") for n in decimals),
        pl.col("headcount").cast(pl.String),
    )


# ---------------------------------------------------------------------------------------------
# Calibration report: every figure the file is calibrated to, and what it achieves
# ---------------------------------------------------------------------------------------------

# Where each all-teacher total comes from, and how the published value was brought to the
# file's precision (whole teachers, FTE to 2 dp).
TOTALS_NOTES = {
    2016: ("Ethnicity facts and figures v1.4 (official)", "rounded to 100", "rounded to 100"),
    2019: (
        "SWF EES data set f4b4a1ad preview (official; FTE/headcount split uncertain)",
        "published 500,764.7925 (weighted): nearest teacher",
        "published 453,813.4645",
    ),
    2020: (
        "SWF EES data set c470cb09 preview (official; not in the reference CSV)",
        "published 508,086.9256 (weighted): nearest teacher",
        "published 461,087.5107",
    ),
    2021: (
        "SWF EES data set 75f83b30 preview (official)",
        "published 512,007.8697 (weighted): nearest teacher",
        "published 465,526.1779",
    ),
    2024: ("SWF EES data set b6542541 preview (official)", "", ""),
}
EFF = "Ethnicity facts and figures v1.4 (official)"
SCHOOLS_WEEK = "Schools Week citing the 2018 school teacher workforce (secondary)"
HOWSON = "John Howson blog, SWC-derived (secondary)"
TES_2023 = "Tes on School workforce Nov 2023 (secondary)"
TES_2011 = "Tes 17 Jun 2011 on the Nov 2010 census (secondary, approximate)"
DFE_LEADERSHIP_2010_2020 = "Tes on DfE 'School leadership in England 2010 to 2020' (secondary)"
GUARDIAN = "Guardian FOI 2018, inner / outer London ('BAME' read as not White; secondary)"
OTHER_WHITE_LABELS = tuple(MINOR_LABELS[a] for a in OTHER_WHITE)
LEADERSHIP = GRADES[:3]


def _national(frame: pl.DataFrame, year: int, grade: str, sex: str = TOTAL) -> pl.DataFrame:
    return frame.filter(
        pl.col("geographic_level") == "National",
        pl.col("time_period") == academic_year(year),
        pl.col("grade") == grade,
        pl.col("sex") == sex,
    )


def _count(rows: pl.DataFrame, major: str = TOTAL, minor: str = TOTAL, col: str = "headcount"):
    picked = rows.filter(pl.col("ethnicity_major") == major, pl.col("ethnicity_minor") == minor)
    if picked.height != 1:
        raise ValueError(f"expected one row for {major} / {minor}, found {picked.height}")
    return picked[col][0]


def _known(rows: pl.DataFrame) -> int:
    return _count(rows) - _count(rows, UNKNOWN_MAJOR)


def white_british_share(frame: pl.DataFrame, year: int, grade: str) -> float:
    """% White British among teachers of known ethnicity (the EFF denominator)."""
    rows = _national(frame, year, grade)
    return 100 * _count(rows, WHITE, MINOR_LABELS[WBRI]) / _known(rows)


def other_white_share(frame: pl.DataFrame, year: int, grade: str) -> float:
    rows = _national(frame, year, grade)
    return 100 * sum(_count(rows, WHITE, label) for label in OTHER_WHITE_LABELS) / _known(rows)


def white_share(frame: pl.DataFrame, year: int, grade: str) -> float:
    rows = _national(frame, year, grade)
    return 100 * _count(rows, WHITE) / _known(rows)


def not_white_british(frame: pl.DataFrame, year: int, grade: str) -> int:
    rows = _national(frame, year, grade)
    return _known(rows) - _count(rows, WHITE, MINOR_LABELS[WBRI])


def female_share(frame: pl.DataFrame, year: int, grades: tuple[str, ...]) -> float:
    female = sum(_count(_national(frame, year, g, SEXES[0])) for g in grades)
    return 100 * female / sum(_count(_national(frame, year, g)) for g in grades)


def london_not_white_share(frame: pl.DataFrame, year: int, grades: tuple[str, ...]) -> float:
    """% not White among London teachers of known ethnicity in `grades`."""
    rows = frame.filter(
        pl.col("region_name") == "London",
        pl.col("time_period") == academic_year(year),
        pl.col("grade").is_in(grades),
        pl.col("ethnicity_minor") == TOTAL,
    )

    def total(major: str) -> int:
        return int(rows.filter(pl.col("ethnicity_major") == major)["headcount"].sum())

    known = total(TOTAL) - total(UNKNOWN_MAJOR)
    return 100 * (known - total(WHITE)) / known


def label(year: int) -> str:
    """2016 -> "2016/17"."""
    return f"{year}/{(year + 1) % 100:02d}"


def _check(
    kind: str,
    name: str,
    source: str,
    target: float,
    achieved: float,
    low: float,
    high: float,
    ok: bool | None = None,
) -> dict:
    return {
        "kind": kind,
        "name": name,
        "source": source,
        "target": target,
        "achieved": round(float(achieved), 2),
        "low": round(float(low), 2),
        "high": round(float(high), 2),
        "ok": bool(low <= achieved <= high) if ok is None else ok,
    }


def _fmt(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,.2f}"


def calibration(frame: pl.DataFrame) -> list[dict]:
    """Every anchor with its target, tolerance and the value `frame` achieves.

    kind "hard": official figure, exact (counts) or equal at the published 1 dp (shares);
    "soft": secondary figure, within 0.5 pp (counts: within 0.5% of their base);
    "range": inside a published bracket; "plausibility": approximate figures, 1 pp / 1%.
    """
    checks: list[dict] = []

    def hard_count(name: str, source: str, target: float, achieved: float) -> None:
        checks.append(_check("hard", name, source, target, achieved, target, target))

    def hard_share(name: str, source: str, target: float, achieved: float) -> None:
        ok = math.floor(achieved * 10 + 0.5) == round(target * 10)  # equal once rounded
        checks.append(_check("hard", name, source, target, achieved, target, target, ok))

    def soft(name: str, source: str, target: float, achieved: float, width: float = 0.5):
        checks.append(
            _check("soft", name, source, target, achieved, target - width, target + width)
        )

    def bracket(kind: str, name: str, source: str, achieved: float, low: float, high: float):
        checks.append(_check(kind, name, source, (low + high) / 2, achieved, low, high))

    for year, value in HEADCOUNT_ANCHORS.items():
        achieved = _count(_national(frame, year, TOTAL))
        note = TOTALS_NOTES[year][1]
        name = f"All teachers headcount {label(year)}" + (f" ({note})" if note else "")
        hard_count(name, TOTALS_NOTES[year][0], value, achieved)
    for year, value in FTE_ANCHORS.items():
        achieved = _count(_national(frame, year, TOTAL), col="full_time_equivalent")
        if year in FTE_SECONDARY_YEARS:
            width = 0.005 * value / 100
            soft(f"All teachers FTE {label(year)}", TES_2023, value / 100, achieved, width)
            continue
        note = TOTALS_NOTES[year][2]
        name = f"All teachers FTE {label(year)}" + (f" ({note})" if note else "")
        hard_count(name, TOTALS_NOTES[year][0], value / 100, achieved)

    y, heads = EFF_YEAR, GRADES[H]
    everyone = _national(frame, y, TOTAL)
    hard_share(
        f"All teachers % White British (known ethnicity) {label(y)}",
        EFF,
        round(100 * EFF_WHITE_BRITISH / EFF_KNOWN_ETHNICITY, 1),
        white_british_share(frame, y, TOTAL),
    )
    hard_count(
        f"All teachers White British headcount {label(y)} (around)",
        EFF,
        EFF_WHITE_BRITISH,
        _count(everyone, WHITE, MINOR_LABELS[WBRI]),
    )
    hard_share(
        f"All teachers % Other White (known ethnicity) {label(y)}",
        EFF,
        3.8,
        other_white_share(frame, y, TOTAL),
    )
    other_white = sum(_count(everyone, WHITE, m) for m in OTHER_WHITE_LABELS)
    hard_count(
        f"All teachers Other White headcount {label(y)} (around)", EFF, EFF_OTHER_WHITE, other_white
    )
    hard_share(
        f"Head teachers % White British (known ethnicity) {label(y)}",
        EFF,
        93.1,
        white_british_share(frame, y, heads),
    )
    hard_count(
        f"Head teachers White British headcount {label(y)} (around)",
        EFF,
        EFF_HEADS_WHITE_BRITISH,
        _count(_national(frame, y, heads), WHITE, MINOR_LABELS[WBRI]),
    )
    hard_count(
        f"Female teachers headcount {label(y)}",
        EFF,
        EFF_FEMALE,
        _count(_national(frame, y, TOTAL, SEXES[0])),
    )

    y = CLASSROOM_WB_YEAR
    soft(
        f"Classroom teachers % White British (known ethnicity) {label(y)}",
        SCHOOLS_WEEK,
        100 * CLASSROOM_WB_SHARE,
        white_british_share(frame, y, GRADES[C]),
    )
    soft(
        f"Head teachers % White British (known ethnicity) {label(y)}",
        SCHOOLS_WEEK,
        100 * HEADS_WB_2018,
        white_british_share(frame, y, heads),
    )
    for y, value in HEADS_NOT_WB_PUBLISHED.items():
        base = _known(_national(frame, y, heads))
        soft(
            f"Head teachers not White British {label(y)}",
            HOWSON,
            value,
            not_white_british(frame, y, heads),
            0.005 * base,
        )
    for y, value in HEADS_REFUSED.items():
        rows = _national(frame, y, heads)
        soft(
            f"Head teachers refused ethnicity {label(y)}",
            HOWSON,
            value,
            _count(rows, UNKNOWN_MAJOR, MINOR_LABELS[REFU]),
            0.005 * _count(rows),
        )
    for y, value in HEADS_WHITE_BRITISH_BLOG.items():
        rows = _national(frame, y, heads)
        soft(
            f"Head teachers 'White' (read as White British) {label(y)}",
            HOWSON,
            value,
            _count(rows, WHITE, MINOR_LABELS[WBRI]),
            0.005 * _known(rows),
        )
    soft(
        "Female teachers headcount 2023/24",
        TES_2023,
        FEMALE_2023,
        _count(_national(frame, 2023, TOTAL, SEXES[0])),
        0.005 * _count(_national(frame, 2023, TOTAL)),
    )
    soft("Female teachers % 2023/24", TES_2023, 76.0, female_share(frame, 2023, (TOTAL,)))
    for y, share in LEADERSHIP_FEMALE.items():
        soft(
            f"Leadership grades % female {label(y)}",
            TES_2023,
            100 * share,
            female_share(frame, y, LEADERSHIP),
        )

    for y, low, high in ((2010, 5.0, 7.0), (2020, 7.0, 9.0)):
        bracket(
            "range",
            f"Head teachers % not White British {label(y)} (between the "
            "primary and secondary shares)",
            DFE_LEADERSHIP_2010_2020,
            100 - white_british_share(frame, y, heads),
            low,
            high,
        )
    for grades, who, low, high in (
        (GRADES, "teachers", 38.0, 44.0),
        (LEADERSHIP, "leadership grades", 25.0, 31.0),
    ):
        bracket(
            "range",
            f"London {who} % not White (known ethnicity) 2018/19",
            GUARDIAN,
            london_not_white_share(frame, 2018, grades),
            low,
            high,
        )

    everyone, heads10 = _national(frame, 2010, TOTAL), _national(frame, 2010, heads)
    for name, target, achieved, width in (
        ("Teachers of known ethnicity 2010/11", 472_000, _known(everyone), 4_720),
        (
            "All teachers % White (known ethnicity) 2010/11",
            93.6,
            white_share(frame, 2010, TOTAL),
            1.0,
        ),
        ("Head teachers of known ethnicity 2010/11", 21_900, _known(heads10), 219),
        ("Head teachers % female 2010/11", 65.3, female_share(frame, 2010, (heads,)), 1.0),
    ):
        bracket("plausibility", name, TES_2011, achieved, target - width, target + width)
        checks[-1]["target"] = target
    return checks


def _describe(check: dict) -> str:
    accepted = (
        ""
        if check["low"] == check["high"]
        else f" (accepted {_fmt(check['low'])} to {_fmt(check['high'])})"
    )
    return (
        f"{check['kind'].upper()}: {check['name']} = {_fmt(check['target'])} "
        f"[{check['source']}]; achieved {_fmt(check['achieved'])}{accepted}"
    )


def main(folder: Path = OUTPUT_DIR, seed: int = SEED) -> Path:
    """Regenerate the committed synthetic release (CSV + manifest.json)."""
    frame = generate(seed)
    checks = calibration(frame)
    failed = [c["name"] for c in checks if not c["ok"]]
    if failed:
        raise ValueError(f"calibration failed: {failed}")
    path = write_synthetic_release(
        to_published_text(frame),
        folder,
        FILE_NAME,
        dataset=DATASET,
        generator="pipelines.synthetic.workforce",
        seed=seed,
        schema_of=SCHEMA_OF,
        calibrated_to=[_describe(c) for c in checks]
        + [
            "NOT USED: NPQ release denominators 510,265 / 511,865 / 511,952 / 511,958 "
            "(SWC headcount matched for the NPQ statistics; a different scope)",
            "ASSUMED (not published): 2010/11 knots of 490,000 headcount, 443,500 FTE, "
            "74.2% female; regional splits; deputy and assistant head numbers",
        ],
        description=(
            "SYNTHETIC, NOT OFFICIAL STATISTICS. Teachers by grade x sex x ethnicity, England "
            "and its 9 regions, 2010/11-2024/25, in the layout of the School workforce 'Teacher "
            "characteristics' file (b6542541). National rows: grade (incl. Total) x sex "
            "(incl. Total) x major ethnic groups, with White and Unknown minor groups. "
            "Regional rows: grade x major ethnic group, sex Total. Seeded and calibrated to "
            "the published totals and shares listed in calibrated_to; everything between "
            "them is modelled. A published row with the same key always replaces these."
        ),
    )
    print(f"wrote {path} ({path.stat().st_size:,} bytes, {frame.height:,} rows)")
    return path


if __name__ == "__main__":
    main()
