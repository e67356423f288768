"""SYNTHETIC school list (GIAS) and KS4 school-level results, in the real published schemas.

School-level microdata are not part of the project's embedded default, yet the pilot
evaluations (cluster randomised trials of schools, with KS4 attainment and inspection outcomes)
need a school frame and school outcomes. This module generates both: seeded, deterministic,
in the published column names, calibrated to the published national figures held in
`shared/reference/` (README section e). They are NOT real schools and NOT official statistics:
every manifest says `provenance: synthetic`, and nothing here is copied from a real school-level
file (`shared/realdata/schools/england_ks4final.csv` was read only for its layout, symbols and
the spread of its values).

Run `python -m pipelines.synthetic.schools` to regenerate
`data/raw/synthetic/gias_establishments/v1/` and `data/raw/synthetic/ks4_school_performance/v1/`
(CSV + manifest.json each). Same seed, byte-identical files. `main` refuses to write if any
calibration check fails.

School list: `generate_schools(seed)` -> gias_establishments.csv
--------------------------------------------------------------------
A snapshot as at 31-08-2024 (the last month in which GIAS still carried Ofsted's overall
effectiveness grade; pupils and FSM from the January 2024 census) of OPEN STATE-FUNDED schools:
primary, secondary (including university technical colleges and studio schools), all-through
and special. Nursery schools, PRUs / alternative provision, middle schools, independent
schools and colleges are left out.

Columns: 25 of the 139 `edubasealldata` columns (shared/reference/schemas/
gias_edubasealldata_columns.csv), with their published names and in their published order:

    URN, LA (code), LA (name), EstablishmentNumber, EstablishmentName,
    TypeOfEstablishment (name), EstablishmentTypeGroup (name), EstablishmentStatus (name),
    OpenDate, PhaseOfEducation (name), StatutoryLowAge, StatutoryHighAge, Gender (name),
    ReligiousCharacter (name), AdmissionsPolicy (name), NumberOfPupils, PercentageFSM,
    TrustSchoolFlag (name), Trusts (code), Trusts (name), OfstedLastInsp, GOR (name),
    UrbanRural (name), GSSLACode (name), OfstedRating (name)

* Names, not codes: the "(code)" twins are left out (they add nothing the names do not say),
  except LA (code), which is the 3-digit DfE number (e.g. 201) used to join LA statistics;
  GSSLACode (name) holds the 9-character ONS code (E09000001) for the EES LA files.
* OfstedRating (name) and OfstedLastInsp are kept: GIAS still published them at the snapshot
  date (a third-party note says the rating fields were removed in January 2025; unverified),
  and the pilots need a baseline inspection grade. Values: Outstanding, Good, Requires
  improvement, Inadequate, or blank (never inspected as this URN). GIAS's separate "Special
  Measures" / "Serious Weaknesses" values are not generated (they fall under Inadequate).
  From September 2024 Ofsted no longer gives an overall grade: this column is a pre-2024/25
  baseline, not an outcome series.
* Dates are dd-mm-YYYY as in GIAS. OpenDate is filled for academies and free schools
  (conversion / opening date) and blank for maintained schools. Inspections fall on term-time
  Mondays to Thursdays, after the school opened under its URN.
* Blank cells are empty strings (GIAS writes empty cells, not symbols). The file is UTF-8 (GIAS
  itself is latin1); every value is ASCII, so the bytes are the same either way.
* GOR (name) uses GIAS's spelling "Yorkshire and the Humber" (EES: "Yorkshire and The
  Humber"). LA geography is the 2021/22 one of `data/raw/reference/geography/
  la_region_lookup.csv` (152 LAs, before the 2023 Cumbria / North Yorkshire / Somerset
  changes).
* OfficialSixthForm (name) is not included (StatutoryHighAge >= 18 says the same) to keep
  the file small.

Identifiers are invented and clearly out of the real ranges: URN 9000001-9002500 (real URNs
are 6-digit), names "Synthetic Primary School 0001", "Synthetic Secondary School 0001",
"Synthetic All-through School 0001", "Synthetic Special School 0001" (numbered within phase in
URN order), EstablishmentNumber 9001, 9002, ... within each LA (so LAESTAB = LA x 10000 + that;
outside the usual 1xxx-7xxx phase ranges, but a join on LAESTAB to a real file could still
match by chance: join on URN), Trusts (code) 900001+ named "SYNTHETIC ACADEMY TRUST nnnn"
(multi-academy) or "SYNTHETIC SINGLE ACADEMY TRUST nnnn" (upper case, as Companies House names
appear in GIAS). The LA, region and urban-rural class are real categories; nothing else is.

Scale: 2,500 schools, about 1 in 8.5 of England's ~21,300: 1,971 primary, 381 secondary (13
of them UTCs or studio schools), 25 all-through, 123 special, in proportion to the assumed national
counts of January 2022 (16,791 primary, 3,458 secondary incl. all-through, 1,044 special;
approximate, not in the reference). Trusts are whole trusts (a sample of trusts, not of
schools), so a multi-academy trust's schools are all in the file (2 to about 40 schools each).

How it is built (assumptions are listed as ASSUMED in the manifest):
* Schools by region (assumed shares), then by LA (weights by LA type: county, metropolitan
  district, London borough, unitary; City of London and Isles of Scilly tiny), phase by phase.
* Academy shares by phase (42% primary, 81% secondary, 80% all-through, 45% special) and
  type mixes within maintained / academy schools are exact (largest remainder). Special
  schools have PhaseOfEducation "Not applicable", as in GIAS. Grammar schools (AdmissionsPolicy
  "Selective", 4.7% of secondaries) only in LAs with selective schools; religious character,
  gender, age range and urban-rural class by type, phase and LA type.
* NumberOfPupils: lognormal by phase (smaller infant / junior and rural schools), scaled so
  that each phase group's mean size is the official January 2022 pupils (SPC) / the assumed
  school count: the pupil mix by phase is then the official one.
* PercentageFSM (1 dp): logit model (region, LA type, LA, urban-rural, phase, grammar, school
  noise) whose intercept is solved so that the pupil-weighted rate is 24.6% (January 2024).
* OfstedRating: inspected schools ranked on a latent score (noise, lower FSM, grammar, phase)
  and cut at exactly 13.9 / 76.6 / 7.7 / 1.8%, the published 14 / 77 / 8 / 2% at 31 August
  2024 once rounded. Most academies opened since September 2022 are not yet inspected.

KS4 results: `generate_ks4(schools, seed)` -> ks4_school_performance.csv
-------------------------------------------------------------------------
One row per school with pupils at the end of KS4 (StatutoryLowAge <= 15 and StatutoryHighAge
>= 16: secondary, all-through, UTC / studio and most special schools) and year: 2022/23,
2023/24 and 2024/25 (provisional); every such school has a row every year (no openings or
closures). Columns, from the performance-tables file `england_ks4final.csv` (one file per year
in the real download, so a year column is added):

    time_period, RECTYPE, LEA, ESTAB, URN, SCHNAME, TOTPUPS, TPUP, TFSM6CLA1A, PTFSM6CLA1A,
    ATT8SCR, ATT8SCR_FSM6CLA1A, ATT8SCR_NFSM6CLA1A, P8MEA, PTL2BASICS_95, PTL2BASICS_94,
    PTEBACC_E_PTQ_EE, EBACCAPS

* time_period is EES-style ("202324"), the key the source registry expects (time_period, URN).
* RECTYPE 1 mainstream, 2 special school (as in the real file). LEA / ESTAB / SCHNAME repeat
  the school list's LA (code), EstablishmentNumber and EstablishmentName.
* TOTPUPS is the whole school roll (2023/24 = the GIAS NumberOfPupils; other years drift by
  about 1%); TPUP is the KS4 cohort and TFSM6CLA1A its disadvantaged pupils. TPUP and
  TFSM6CLA1A are not in the reference column list (shared/reference/schemas/ks4_columns.csv)
  but are real england_ks4final columns (public code reading the file uses TPUP as "Total KS4
  cohort" and TFSM6CLA1A as "Disadvantaged pupils in KS4 cohort"); they are needed because
  TOTPUPS is not the KS4 cohort, so a pupil-weighted mean must be weighted by TPUP.
* Formats as in the real file: Attainment 8 to 1 dp, Progress 8 and EBacc APS to 2 dp,
  percentages as whole numbers with a percent sign ("43%").
* Symbols, from the real file's set: SUPP where the group has 5 or fewer pupils (TPUP <= 5:
  every measure and TFSM6CLA1A / PTFSM6CLA1A; a disadvantaged or other group of 1-5 pupils:
  its Attainment 8); NA where the group has no pupils; NE (no entries) for special schools
  whose KS4 pupils entered no qualifications (every measure); NP for every Progress 8 of
  2024/25, which "is not possible to calculate" for 2024/25 and 2025/26 (the EES national
  files publish it as `z`; the performance tables' own code for a measure not published is
  NP). TPUP and TOTPUPS are always numbers. No complementary suppression is applied.

Calibration (each checked in `calibration`, recomputed from the published cells only:
pupil-weighted over the schools with a number, weights TPUP, TFSM6CLA1A and TPUP -
TFSM6CLA1A; achieved values are listed in the manifest):
* National, each year, to the unrounded national figure (sum / pupils in the reference):
  Attainment 8 within 0.05 (and within 0.05 of the published 1-dp figure: 46.3 derived for
  2022/23, 46.1 for 2023/24, 45.9 for 2024/25); % grade 5+ and 4+ in English and maths and %
  entering the EBacc within 0.2 pp; EBacc APS within 0.01; Progress 8 within 0.01 (2022/23
  -0.026, 2023/24 -0.029); the mean KS4 cohort per school (pupils / schools) within 1%.
* 2022/23 has no Total row in the reference: its national figures are the sums of the
  "Disadvantaged" and "Disadvantaged all other" rows (revised, all state-funded). The
  disadvantaged share of the cohort (26.26%) and the Attainment 8 gap (others 50.30 minus
  disadvantaged 34.99 = 15.31) are matched; the two levels land within 0.15.
* Regional (2023/24, pupil-residency rows; here by school location): North East 43.76 and
  North West 44.31 Attainment 8 within 0.1, and their English and maths 5+ (42.1, 42.4) and
  4+ (62.4, 62.0) within 0.3 pp (offsets solved on 2023/24 and kept for the other years). The
  other regions are solved to England plus an assumed Attainment 8 gap (London +3.8, South
  East +1.2, ...), shifted together so the regions average to England.
* 2023/24 and 2024/25 have no disadvantage figures in the reference: the 2022/23 gap is kept
  and the disadvantaged share rises 0.6 pp a year (ASSUMED).

Model. A school's Attainment 8 is the pupil-weighted mix of its disadvantaged and other
pupils' means. Both share a school effect: a quality term (drawn around a value set by the
school's Ofsted grade), a contextual FSM effect (-9 points per unit of disadvantaged share
above the national), grammar (+19), girls' schools (+2), region and yearly noise; the
disadvantaged mean sits `gap` below the others'. The national level and the gap are solved
so the targets above hold on the rounded, published cells. So FSM lowers attainment twice,
through composition and context (school-level correlation of PTFSM6CLA1A and ATT8SCR about
-0.5). English and maths 5+ / 4+ and EBacc entry are logistic in Attainment 8 with school and
yearly noise (4+ >= 5+ always); EBacc APS is about 0.088 x Attainment 8; Progress 8 follows the
quality term and the disadvantaged share (about -0.74 x share, the 2022/23 P8 gap of the
reference). Special schools are modelled apart: small cohorts, Attainment 8 around 5.7
(lognormal), Progress 8 around -1.9, 28% with no entries (NE), as in the real file's spread.
Each level is solved per year by bisection on the rounded values, so the calibration holds for
any seed. Streams of random numbers are per purpose (numpy default_rng(seed, crc32(purpose))).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import math
import sys
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.paths import PROJECT_ROOT
from pipelines.synthetic.npq import allocate
from pipelines.synthetic.release import write_synthetic_release

SEED = 20240831
VERSION = "v1"
RAW_ROOT = PROJECT_ROOT / "data" / "raw"
SYNTHETIC_ROOT = RAW_ROOT / "synthetic"
LOOKUP = RAW_ROOT / "reference" / "geography" / "la_region_lookup.csv"

GIAS_DATASET = "gias_establishments"
GIAS_FILE = "gias_establishments.csv"
KS4_DATASET = "ks4_school_performance"
KS4_FILE = "ks4_school_performance.csv"
GIAS_SCHEMA_OF = (
    "Get Information About Schools 'edubasealldata{YYYYMMDD}.csv' (all establishments): a "
    "subset of its 139 columns, published names and order; snapshot imitated: 31-08-2024"
)
KS4_SCHEMA_OF = (
    "Compare school performance download 'england_ks4final.csv' (KS4 school-level performance "
    "tables): a subset of its columns with the file's symbols (SUPP, NE, NA, NP), one file "
    "per year stacked with an added EES-style time_period column"
)

URN_BASE = 9_000_000  # URNs 9000001+; real URNs are 6-digit (100000-15xxxx)
TRUST_UID_BASE = 900_000  # Trusts (code) 900001+; real group UIDs are 4-5 digits
ESTAB_BASE = 9000  # EstablishmentNumber 9001+ within each LA (see docstring)
CENSUS_DATE = dt.date(2024, 1, 18)  # spring census behind NumberOfPupils / PercentageFSM
SNAPSHOT_DATE = dt.date(2024, 8, 31)
LAST_INSPECTION_DAY = dt.date(2024, 7, 18)

# ---------------------------------------------------------------------------------------------
# Schemas
# ---------------------------------------------------------------------------------------------

GIAS_COLUMNS = (
    "URN",
    "LA (code)",
    "LA (name)",
    "EstablishmentNumber",
    "EstablishmentName",
    "TypeOfEstablishment (name)",
    "EstablishmentTypeGroup (name)",
    "EstablishmentStatus (name)",
    "OpenDate",
    "PhaseOfEducation (name)",
    "StatutoryLowAge",
    "StatutoryHighAge",
    "Gender (name)",
    "ReligiousCharacter (name)",
    "AdmissionsPolicy (name)",
    "NumberOfPupils",
    "PercentageFSM",
    "TrustSchoolFlag (name)",
    "Trusts (code)",
    "Trusts (name)",
    "OfstedLastInsp",
    "GOR (name)",
    "UrbanRural (name)",
    "GSSLACode (name)",
    "OfstedRating (name)",
)

YEAR_COLUMN = "time_period"
KS4_COLUMNS = (
    YEAR_COLUMN,
    "RECTYPE",
    "LEA",
    "ESTAB",
    "URN",
    "SCHNAME",
    "TOTPUPS",
    "TPUP",
    "TFSM6CLA1A",
    "PTFSM6CLA1A",
    "ATT8SCR",
    "ATT8SCR_FSM6CLA1A",
    "ATT8SCR_NFSM6CLA1A",
    "P8MEA",
    "PTL2BASICS_95",
    "PTL2BASICS_94",
    "PTEBACC_E_PTQ_EE",
    "EBACCAPS",
)
# Columns of the real file that the reference list (schemas/ks4_columns.csv) does not name;
# both appear in public code reading england_ks4final.csv (see the docstring).
KS4_EXTRA_COLUMNS = ("TPUP", "TFSM6CLA1A")
KS4_PERCENT_COLUMNS = ("PTFSM6CLA1A", "PTL2BASICS_95", "PTL2BASICS_94", "PTEBACC_E_PTQ_EE")
KS4_MEASURES = (
    "ATT8SCR",
    "ATT8SCR_FSM6CLA1A",
    "ATT8SCR_NFSM6CLA1A",
    "P8MEA",
    "PTL2BASICS_95",
    "PTL2BASICS_94",
    "PTEBACC_E_PTQ_EE",
    "EBACCAPS",
)
SUPP, NE, NA, NP = "SUPP", "NE", "NA", "NP"
SYMBOLS = (SUPP, NE, NA, NP)
SMALL_COHORT = 5  # a group of 5 or fewer pupils is suppressed
P8_NOT_PUBLISHED_YEARS = ("202425",)

# ---------------------------------------------------------------------------------------------
# Published figures (anchors)
# ---------------------------------------------------------------------------------------------

KS4_YEARS = ("202223", "202324", "202425")


def _ks4_anchor(
    pupils: int,
    schools: int,
    att8_sum: float,
    em95: int,
    em94: int,
    ebacc_entering: int,
    aps_sum: float,
    p8: tuple[int, float] | None,
    published: dict[str, float],
    source: str,
) -> dict:
    return {
        "pupils": pupils,
        "schools": schools,
        "att8": att8_sum / pupils,
        "em95": 100 * em95 / pupils,
        "em94": 100 * em94 / pupils,
        "ebacc_entry": 100 * ebacc_entering / pupils,
        "ebacc_aps": aps_sum / pupils,
        "p8": None if p8 is None else p8[1] / p8[0],
        "published": published,
        "source": source,
    }


KS4_REF = "shared/reference/ks4_national_headline.csv"
# 2022/23 has no Total row in the reference: the national figures are the sums of its
# "Disadvantaged" and "Disadvantaged all other" rows (which partition the cohort).
DIS_2223 = {"pupils": 159_363, "att8_sum": 5_575_875.28, "em95": 40_151, "em94": 69_151}
OTH_2223 = {"pupils": 447_552, "att8_sum": 22_511_899.35, "em95": 234_665, "em94": 325_936}
KS4_ANCHORS = {
    "202223": _ks4_anchor(
        159_363 + 447_552,
        4_030,
        5_575_875.28 + 22_511_899.35,
        40_151 + 234_665,
        69_151 + 325_936,
        44_189 + 194_134,
        473_931.49 + 1_986_799.2,
        (148_768 + 419_762, -84_562.989 + 69_582.287),
        {},
        f"{KS4_REF}: 2022/23 revised, All state-funded, Disadvantaged + Disadvantaged all "
        "other rows (EES e4fad812; derived: sum of the two rows)",
    ),
    "202324": _ks4_anchor(
        623_446,
        4_085,
        28_746_035.93,
        288_106,
        407_527,
        252_980,
        2_549_404.8,
        (585_906, -16_996.599),
        {"att8": 46.1, "em95": 46.2, "em94": 65.4, "ebacc_entry": 40.6, "ebacc_aps": 4.09},
        f"{KS4_REF}: 2023/24 provisional, State-funded schools (LA), pupil residency, "
        "National Total (EES c735030e)",
    ),
    "202425": _ks4_anchor(
        625_673,
        4_104,
        28_749_291.43,
        282_570,
        403_520,
        253_431,
        2_551_096.91,
        None,
        {"att8": 45.9, "em95": 45.2, "em94": 64.5, "ebacc_entry": 40.5, "ebacc_aps": 4.08},
        f"{KS4_REF}: 2024/25 provisional, All state-funded, National Total (EES 1b649e16); "
        "Progress 8 published as z",
    ),
}
TOLERANCE = {  # accepted distance from the target, in the figure's own unit
    "att8": 0.05,
    "em95": 0.2,
    "em94": 0.2,
    "ebacc_entry": 0.2,
    "ebacc_aps": 0.01,
    "p8": 0.01,
}
KS4_ANCHORS["202223"]["published"] = {
    "att8": 46.3,  # derived: 28,087,774.63 / 606,915 = 46.28
    "em95": 45.3,
    "em94": 65.1,
}
DISADVANTAGED_2223 = {
    "share": DIS_2223["pupils"] / (DIS_2223["pupils"] + OTH_2223["pupils"]),
    "att8_dis": DIS_2223["att8_sum"] / DIS_2223["pupils"],
    "att8_oth": OTH_2223["att8_sum"] / OTH_2223["pupils"],
}
DISADVANTAGED_2223["gap"] = DISADVANTAGED_2223["att8_oth"] - DISADVANTAGED_2223["att8_dis"]
# 2023/24 regional rows (pupil residency) of the same reference file: A8, E&M 5+, E&M 4+.
REGIONAL_2324 = {
    "North East": {"att8": 1_265_907.75 / 28_931, "em95": 42.1, "em94": 62.4},
    "North West": {"att8": 3_784_938.99 / 85_418, "em95": 42.4, "em94": 62.0},
}
# Pupils by phase, January 2022 (official SPC file, shared/reference/
# spc_pupil_ethnicity_official_national_by_phase.csv, ethnicity Total, 2021/22).
SPC_PUPILS_2122 = {"primary": 4_655_513, "secondary": 3_567_378, "special": 141_437}
FSM_JAN_2024 = 24.6  # % of pupils eligible for FSM, January 2024 (secondary source)
FSM_SOURCE = (
    "CYP Now on DfE 'Schools, pupils and their characteristics 2023/24' (secondary): "
    "'In 2023/24, 24.6% of pupils were eligible for free school meals'"
)
# Overall effectiveness at 31 August 2024 (third-party doc citing gov.uk; reference README
# section e): 14% outstanding, 77% good, 8% requires improvement, 2% inadequate (sums to
# 101 by rounding). Targets here round to exactly those whole percentages.
OFSTED_SHARES = {
    "Outstanding": 0.139,
    "Good": 0.766,
    "Requires improvement": 0.077,
    "Inadequate": 0.018,
}
OFSTED_PUBLISHED = {"Outstanding": 14, "Good": 77, "Requires improvement": 8, "Inadequate": 2}
OFSTED_SOURCE = (
    "Ofsted state-funded schools inspections and outcomes as at 31 August 2024 (third-party "
    "doc citing gov.uk; reference README section e)"
)

# ---------------------------------------------------------------------------------------------
# Assumptions (not published figures)
# ---------------------------------------------------------------------------------------------

PRIMARY, SECONDARY, ALL_THROUGH, SPECIAL = "primary", "secondary", "all-through", "special"
PHASES = (PRIMARY, SECONDARY, ALL_THROUGH, SPECIAL)
# Sample sizes (about 1 in 8.5 of England's ~21,300 open state-funded primary, secondary,
# all-through and special schools; nursery schools, PRUs / AP and middle schools left out).
PHASE_COUNTS = {PRIMARY: 1_971, SECONDARY: 381, ALL_THROUGH: 25, SPECIAL: 123}
# Open state-funded schools in England, January 2022 (approximate, assumed: not in the
# reference); with SPC_PUPILS_2122 they set the mean school size of each phase group.
NATIONAL_SCHOOLS_2122 = {"primary": 16_791, "secondary": 3_458, "special": 1_044}
PHASE_NAME = {
    PRIMARY: "Primary",
    SECONDARY: "Secondary",
    ALL_THROUGH: "All-through",
    SPECIAL: "Not applicable",
}
PHASE_LABEL = {
    PRIMARY: "Primary",
    SECONDARY: "Secondary",
    ALL_THROUGH: "All-through",
    SPECIAL: "Special",
}
ACADEMY_SHARE = {PRIMARY: 0.42, SECONDARY: 0.81, ALL_THROUGH: 0.80, SPECIAL: 0.45}

LA_MAINTAINED = "Local authority maintained schools"
ACADEMIES = "Academies"
FREE_SCHOOLS = "Free Schools"
SPECIAL_SCHOOLS = "Special schools"
TYPE_GROUP = {
    "Community school": LA_MAINTAINED,
    "Voluntary aided school": LA_MAINTAINED,
    "Voluntary controlled school": LA_MAINTAINED,
    "Foundation school": LA_MAINTAINED,
    "Community special school": SPECIAL_SCHOOLS,
    "Foundation special school": SPECIAL_SCHOOLS,
    "Academy converter": ACADEMIES,
    "Academy sponsor led": ACADEMIES,
    "Academy special converter": ACADEMIES,
    "Academy special sponsor led": ACADEMIES,
    "Free schools": FREE_SCHOOLS,
    "Free schools special": FREE_SCHOOLS,
    "University technical college": FREE_SCHOOLS,
    "Studio schools": FREE_SCHOOLS,
}
ACADEMY_TYPES = frozenset(t for t, g in TYPE_GROUP.items() if g in (ACADEMIES, FREE_SCHOOLS))
SPECIAL_TYPES = frozenset(t for t in TYPE_GROUP if "special" in t)
FOURTEEN_TO_19 = frozenset({"University technical college", "Studio schools"})
TYPE_MIX = {
    (PRIMARY, False): {
        "Community school": 0.58,
        "Voluntary controlled school": 0.20,
        "Voluntary aided school": 0.15,
        "Foundation school": 0.07,
    },
    (PRIMARY, True): {"Academy converter": 0.74, "Academy sponsor led": 0.22, "Free schools": 0.04},
    (SECONDARY, False): {
        "Community school": 0.46,
        "Foundation school": 0.27,
        "Voluntary aided school": 0.24,
        "Voluntary controlled school": 0.03,
    },
    (SECONDARY, True): {
        "Academy converter": 0.60,
        "Academy sponsor led": 0.27,
        "Free schools": 0.09,
        "University technical college": 0.025,
        "Studio schools": 0.015,
    },
    (ALL_THROUGH, False): {
        "Community school": 0.50,
        "Voluntary aided school": 0.25,
        "Foundation school": 0.25,
    },
    (ALL_THROUGH, True): {
        "Academy converter": 0.45,
        "Academy sponsor led": 0.20,
        "Free schools": 0.35,
    },
    (SPECIAL, False): {"Community special school": 0.90, "Foundation special school": 0.10},
    (SPECIAL, True): {
        "Academy special converter": 0.55,
        "Academy special sponsor led": 0.08,
        "Free schools special": 0.37,
    },
}
AGE_RANGES = {
    PRIMARY: {(3, 11): 0.35, (4, 11): 0.48, (7, 11): 0.09, (4, 7): 0.06, (3, 7): 0.02},
    SECONDARY: {(11, 16): 0.40, (11, 18): 0.57, (13, 18): 0.03},
    ALL_THROUGH: {(4, 18): 0.60, (3, 18): 0.25, (4, 16): 0.15},
    SPECIAL: {
        (2, 19): 0.30,
        (3, 19): 0.10,
        (4, 19): 0.10,
        (11, 19): 0.20,
        (11, 16): 0.07,
        (4, 11): 0.15,
        (5, 16): 0.08,
    },
}
DOES_NOT_APPLY, NONE = "Does not apply", "None"
COFE, RC = "Church of England", "Roman Catholic"
RELIGION_MIX = {
    "Community school": {DOES_NOT_APPLY: 1.0},
    "Foundation school": {DOES_NOT_APPLY: 0.86, COFE: 0.12, RC: 0.02},
    "Voluntary controlled school": {
        COFE: 0.95,
        "Methodist": 0.03,
        "Church of England/Methodist": 0.02,
    },
    "Voluntary aided school": {
        RC: 0.55,
        COFE: 0.39,
        "Jewish": 0.025,
        "Muslim": 0.01,
        "Sikh": 0.01,
        "Roman Catholic/Church of England": 0.015,
    },
    "Academy converter": {NONE: 0.62, COFE: 0.24, RC: 0.13, "Christian": 0.01},
    "Academy sponsor led": {NONE: 0.80, COFE: 0.17, RC: 0.03},
    "Free schools": {
        NONE: 0.80,
        "Christian": 0.04,
        "Muslim": 0.05,
        "Jewish": 0.04,
        "Sikh": 0.03,
        "Hindu": 0.02,
        COFE: 0.02,
    },
}
# Shares of schools by region (approximate, assumed): North East .. South West.
REGION_SHARES = {
    "E12000001": 0.053,
    "E12000002": 0.150,
    "E12000003": 0.106,
    "E12000004": 0.098,
    "E12000005": 0.110,
    "E12000006": 0.120,
    "E12000007": 0.116,
    "E12000008": 0.152,
    "E12000009": 0.095,
}
# GIAS spells one region differently from EES.
GOR_NAME = {"Yorkshire and The Humber": "Yorkshire and the Humber"}
COUNTY, METROPOLITAN, LONDON_BOROUGH, UNITARY = "E10", "E08", "E09", "E06"
LA_TYPE_SIZE = {COUNTY: 450.0, METROPOLITAN: 140.0, LONDON_BOROUGH: 75.0, UNITARY: 75.0}
TINY_LAS = {"201": 0.5, "420": 0.5}  # City of London, Isles of Scilly: one school or so each
SPARSE_REGIONS = frozenset({"E12000001", "E12000002", "E12000003", "E12000009"})
UR = {
    "A1": "(England/Wales) Urban major conurbation",
    "B1": "(England/Wales) Urban minor conurbation",
    "C1": "(England/Wales) Urban city and town",
    "C2": "(England/Wales) Urban city and town in a sparse setting",
    "D1": "(England/Wales) Rural town and fringe",
    "D2": "(England/Wales) Rural town and fringe in a sparse setting",
    "E1": "(England/Wales) Rural village",
    "E2": "(England/Wales) Rural village in a sparse setting",
    "F1": "(England/Wales) Rural hamlet and isolated dwellings",
    "F2": "(England/Wales) Rural hamlet and isolated dwellings in a sparse setting",
}
URBAN_RURAL_MIX = {  # (LA type, primary-like?) -> code shares
    (LONDON_BOROUGH, True): {"A1": 1.0},
    (LONDON_BOROUGH, False): {"A1": 1.0},
    (METROPOLITAN, True): {"A1": 0.80, "B1": 0.05, "C1": 0.08, "D1": 0.04, "E1": 0.03},
    (METROPOLITAN, False): {"A1": 0.82, "B1": 0.05, "C1": 0.10, "D1": 0.03},
    (UNITARY, True): {"C1": 0.70, "D1": 0.12, "E1": 0.15, "F1": 0.03},
    (UNITARY, False): {"C1": 0.80, "D1": 0.15, "E1": 0.05},
    (COUNTY, True): {"C1": 0.40, "D1": 0.20, "E1": 0.33, "F1": 0.07},
    (COUNTY, False): {"C1": 0.60, "D1": 0.30, "E1": 0.10},
}
# Median number on roll and log-sd by phase; multipliers for part-phase and rural schools.
SIZE_MEDIAN = {PRIMARY: 255.0, SECONDARY: 1_000.0, ALL_THROUGH: 1_350.0, SPECIAL: 115.0}
SIZE_SD = {PRIMARY: 0.42, SECONDARY: 0.33, ALL_THROUGH: 0.35, SPECIAL: 0.55}
SIZE_MEDIAN_14_19 = 380.0
SELECTIVE_SHARE = 0.047  # of secondary schools (about 163 grammar schools of ~3,450)
SELECTIVE_LAS = frozenset(
    {
        "886", "825", "887", "925", "358", "882", "319", "303", "871", "344", "330", "880",
        "879", "916", "937", "314", "302", "317", "381", "382", "815", "888", "881", "894",
        "865", "335", "308", "839",
    }
)  # fmt: skip
# FSM (logit scale) offsets.
FSM_REGION = {
    "E12000001": 0.35,
    "E12000002": 0.25,
    "E12000003": 0.15,
    "E12000004": 0.0,
    "E12000005": 0.20,
    "E12000006": -0.20,
    "E12000007": 0.20,
    "E12000008": -0.30,
    "E12000009": -0.20,
}
FSM_LA_TYPE = {METROPOLITAN: 0.20, LONDON_BOROUGH: 0.10, UNITARY: 0.05, COUNTY: -0.15}
FSM_URBAN_RURAL = {"A": 0.15, "B": 0.10, "C": 0.0, "D": -0.15, "E": -0.45, "F": -0.45}
FSM_PHASE = {PRIMARY: 0.0, SECONDARY: -0.10, ALL_THROUGH: -0.05, SPECIAL: 0.95}
FSM_GRAMMAR = -1.8
MAT_SHARE = 0.88  # academies in multi-academy trusts (the rest single-academy trusts)
MAT_SIZES = ((2, 5, 0.40), (6, 11, 0.32), (12, 25, 0.20), (26, 40, 0.08))
OPEN_YEARS_CONVERTER = {
    2011: 10, 2012: 12, 2013: 8, 2014: 6, 2015: 6, 2016: 7, 2017: 8, 2018: 8, 2019: 7,
    2020: 5, 2021: 5, 2022: 6, 2023: 7, 2024: 5,
}  # fmt: skip
OPEN_YEARS_SPONSOR = {
    2008: 2, 2009: 3, 2010: 4, 2011: 6, 2012: 10, 2013: 10, 2014: 9, 2015: 8, 2016: 8,
    2017: 8, 2018: 7, 2019: 6, 2020: 4, 2021: 4, 2022: 5, 2023: 5, 2024: 3,
}  # fmt: skip
OPEN_YEARS_FREE = {y: 1 for y in range(2012, 2024)}
NEW_ACADEMY_UNINSPECTED = 0.75  # academies opened since 1 Sep 2022: share not yet inspected

# KS4 assumptions.
DISADVANTAGED_DRIFT = {"202223": 0.0, "202324": 0.006, "202425": 0.012}  # share, vs 2022/23
TOTPUPS_DRIFT = {"202223": 0.99, "202324": 1.0, "202425": 1.01}
RATING_QUALITY = {
    "Outstanding": 0.9,
    "Good": 0.05,
    "Requires improvement": -0.6,
    "Inadequate": -0.9,
    None: 0.0,
}
SPECIAL_NO_ENTRIES = 0.28  # special schools whose KS4 pupils enter no qualifications (NE)
SPECIAL_A8_MEAN = 5.7
# Attainment 8 of each region minus England's, 2023/24 (assumed, approximate; North East
# and North West are the reference's own figures and are not in this table).
REGION_A8_GAP = {
    "Yorkshire and the Humber": -1.3,
    "East Midlands": -1.3,
    "West Midlands": -1.2,
    "East of England": 0.5,
    "London": 3.8,
    "South East": 1.2,
    "South West": -0.4,
}

# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _rng(seed: int, *parts: str) -> np.random.Generator:
    """A generator per purpose, so adding a draw never shifts another's."""
    return np.random.default_rng([seed, zlib.crc32("/".join(parts).encode())])


def _assign(rng: np.random.Generator, n: int, mix: dict) -> list:
    """`n` labels in the exact proportions of `mix` (largest remainder), in random order."""
    keys = list(mix)
    counts = allocate(n, [mix[k] for k in keys]) if n else np.zeros(len(keys), np.int64)
    labels = [k for k, c in zip(keys, counts, strict=True) for _ in range(int(c))]
    return [labels[i] for i in rng.permutation(n)]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _bisect(f: Callable[[float], float], target: float, low: float, high: float) -> float:
    """x in [low, high] with f(x) nearest `target`, for f non-decreasing (steps allowed)."""
    for _ in range(60):
        mid = (low + high) / 2
        if f(mid) < target:
            low = mid
        else:
            high = mid
    return low if abs(f(low) - target) <= abs(f(high) - target) else high


def _solve_linear(
    f: Callable[[float], float], target: float, x: float, low: float, high: float
) -> float:
    """x with f(x) nearest `target`, for f close to x + constant (rounding steps allowed)."""
    best, best_error = x, math.inf
    for _ in range(15):
        error = target - f(x)
        if abs(error) < abs(best_error):
            best, best_error = x, error
        if abs(error) < 1e-3:
            break
        x = min(max(x + error, low), high)
    f(best)
    return best


def _half_up(x: np.ndarray, dp: int) -> np.ndarray:
    """Round half away from zero at `dp` decimals (as published figures are)."""
    scale = 10.0**dp
    return np.sign(x) * np.floor(np.abs(x) * scale + 0.5 + 1e-9) / scale


def _date(d: dt.date | None) -> str | None:
    return None if d is None else d.strftime("%d-%m-%Y")


def label(period: str) -> str:
    """ "202324" -> "2023/24"."""
    return f"{period[:4]}/{period[4:]}"


def read_la_lookup(path: Path = LOOKUP) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# ---------------------------------------------------------------------------------------------
# The school list (GIAS)
# ---------------------------------------------------------------------------------------------


def _la_weights(las: list[dict[str, str]], seed: int) -> np.ndarray:
    noise = _rng(seed, "la-size").lognormal(0.0, 0.25, len(las))
    base = np.array(
        [TINY_LAS.get(la["old_la_code"], LA_TYPE_SIZE[la["new_la_code"][:3]]) for la in las]
    )
    return base * noise


def _school_las(las: list[dict[str, str]], seed: int) -> list[tuple[str, int]]:
    """(phase, LA index) of every school: phase counts split by region, then by LA."""
    weights = _la_weights(las, seed)
    regions = list(REGION_SHARES)
    out: list[tuple[str, int]] = []
    for phase in PHASES:
        per_region = allocate(PHASE_COUNTS[phase], [REGION_SHARES[r] for r in regions])
        for region, count in zip(regions, per_region, strict=True):
            idx = [i for i, la in enumerate(las) if la["region_code"] == region]
            jitter = _rng(seed, "la-phase", phase, region).lognormal(0.0, 0.15, len(idx))
            per_la = allocate(int(count), weights[idx] * jitter)
            out.extend((phase, i) for i, c in zip(idx, per_la, strict=True) for _ in range(c))
    return out


def _open_date(rng: np.random.Generator, type_name: str) -> dt.date:
    if type_name.startswith("Free schools") or type_name in FOURTEEN_TO_19:
        years = OPEN_YEARS_FREE
    elif "sponsor" in type_name:
        years = OPEN_YEARS_SPONSOR
    else:
        years = OPEN_YEARS_CONVERTER
    keys = list(years)
    p = np.array([years[k] for k in keys], float)
    year = int(rng.choice(keys, p=p / p.sum()))
    if years is OPEN_YEARS_FREE:
        return dt.date(year, 9, 1)
    last_month = 8 if year == 2024 else 12
    return dt.date(year, int(rng.integers(1, last_month + 1)), 1)


def _term_day(d: dt.date) -> dt.date:
    """The first term-time Monday-to-Thursday on or after `d` (no summer or Christmas break)."""
    if d.month == 8 or (d.month == 7 and d.day > 23):
        d = dt.date(d.year, 9, 4)
    elif (d.month == 12 and d.day >= 20) or (d.month == 1 and d.day < 6):
        d = dt.date(d.year + (d.month == 12), 1, 8)
    while d.weekday() > 3:
        d += dt.timedelta(days=1)
    return d


def _inspection_date(rng: np.random.Generator, rating: str, earliest: dt.date) -> dt.date:
    """Date of the last inspection: a window by grade, never before `earliest`."""
    if rating == "Outstanding" and rng.random() < 0.35:
        start, end = dt.date(2009, 9, 1), dt.date(2016, 7, 15)
    elif rating in ("Requires improvement", "Inadequate"):
        start, end = dt.date(2022, 9, 1), LAST_INSPECTION_DAY
    else:
        start, end = dt.date(2017, 9, 1), LAST_INSPECTION_DAY
    start = max(start, earliest)
    if start > end:
        start, end = earliest, LAST_INSPECTION_DAY
    day = start + dt.timedelta(days=int(rng.integers(0, (end - start).days + 1)))
    return _term_day(day)


def _trusts(
    academies: list[int], region_of: list[str], seed: int
) -> dict[int, tuple[int, str, bool]]:
    """school index -> (trust UID, trust name, multi-academy?) for every academy."""
    out: dict[int, tuple[int, str, bool]] = {}
    uid = TRUST_UID_BASE
    for region in REGION_SHARES:
        members = [i for i in academies if region_of[i] == region]
        rng = _rng(seed, "trusts", region)
        members = [members[j] for j in rng.permutation(len(members))]
        n_sat = round((1 - MAT_SHARE) * len(members))
        groups = [[i] for i in members[:n_sat]]
        rest = members[n_sat:]
        while rest:
            lo, hi, _ = MAT_SIZES[int(rng.choice(len(MAT_SIZES), p=[p for *_, p in MAT_SIZES]))]
            size = int(rng.integers(lo, hi + 1))
            if len(rest) - size < 2:  # no one-school "multi-academy" trust at the end
                size = len(rest)
            groups.append(rest[:size])
            rest = rest[size:]
        for group in sorted(groups, key=min):
            uid += 1
            multi = len(group) > 1
            kind = "ACADEMY TRUST" if multi else "SINGLE ACADEMY TRUST"
            name = f"SYNTHETIC {kind} {uid - TRUST_UID_BASE:04d}"
            for i in group:
                out[i] = (uid, name, multi)
    return out


def generate_schools(seed: int = SEED, lookup: Path = LOOKUP) -> pl.DataFrame:
    """A GIAS-like list of open state-funded schools (see the module docstring)."""
    las = read_la_lookup(lookup)
    placed = _school_las(las, seed)
    n = len(placed)
    phase = [p for p, _ in placed]
    la = [las[i] for _, i in placed]
    region = [x["region_code"] for x in la]
    la_type = [x["new_la_code"][:3] for x in la]

    # Types: exact academy and type mixes within each phase.
    type_name: list[str] = [""] * n
    for ph in PHASES:
        idx = [i for i in range(n) if phase[i] == ph]
        rng = _rng(seed, "type", ph)
        n_acad = round(ACADEMY_SHARE[ph] * len(idx))
        is_acad = _assign(rng, len(idx), {True: n_acad, False: len(idx) - n_acad})
        for academy in (True, False):
            sub = [i for i, a in zip(idx, is_acad, strict=True) if a is academy]
            for i, t in zip(sub, _assign(rng, len(sub), TYPE_MIX[(ph, academy)]), strict=True):
                type_name[i] = t

    # Grammar schools: secondaries (not 14-19) in selective LAs.
    selective = np.zeros(n, bool)
    candidates = [
        i
        for i in range(n)
        if phase[i] == SECONDARY
        and type_name[i] not in FOURTEEN_TO_19
        and la[i]["old_la_code"] in SELECTIVE_LAS
    ]
    n_grammar = min(len(candidates), round(SELECTIVE_SHARE * PHASE_COUNTS[SECONDARY]))
    rng = _rng(seed, "selective")
    selective[[candidates[j] for j in rng.permutation(len(candidates))[:n_grammar]]] = True

    # Ages, sixth form, gender, religion, admissions.
    low = np.zeros(n, np.int64)
    high = np.zeros(n, np.int64)
    for ph in PHASES:
        idx = [i for i in range(n) if phase[i] == ph and type_name[i] not in FOURTEEN_TO_19]
        for i, (a, b) in zip(
            idx, _assign(_rng(seed, "ages", ph), len(idx), AGE_RANGES[ph]), strict=True
        ):
            low[i], high[i] = a, b
    for i in range(n):
        if type_name[i] in FOURTEEN_TO_19:
            low[i], high[i] = 14, 19
    rng = _rng(seed, "gender")
    gender = []
    for i in range(n):
        if selective[i]:
            p_girls, p_boys = 0.33, 0.30
        elif phase[i] == SECONDARY and type_name[i] not in FOURTEEN_TO_19:
            p_girls, p_boys = 0.065, 0.045
        elif phase[i] == SPECIAL:
            p_girls, p_boys = 0.0, 0.03
        else:
            p_girls, p_boys = 0.0, 0.0
        u = rng.random()
        gender.append("Girls" if u < p_girls else "Boys" if u < p_girls + p_boys else "Mixed")
    rng = _rng(seed, "religion")
    religion = []
    for i in range(n):
        mix = RELIGION_MIX.get(type_name[i])
        if mix is None:  # special schools, UTCs, studio schools
            religion.append(
                DOES_NOT_APPLY
                if type_name[i] in TYPE_GROUP and TYPE_GROUP[type_name[i]] == SPECIAL_SCHOOLS
                else NONE
            )
            continue
        keys = list(mix)
        p = np.array([mix[k] for k in keys])
        religion.append(keys[int(rng.choice(len(keys), p=p / p.sum()))])
    admissions = [
        "Selective"
        if selective[i]
        else "Non-selective"
        if phase[i] in (SECONDARY, ALL_THROUGH)
        else "Not applicable"
        for i in range(n)
    ]

    # Urban / rural.
    urban_rural = [""] * n
    for key, mix in URBAN_RURAL_MIX.items():
        t, primary_like = key
        idx = [
            i
            for i in range(n)
            if la_type[i] == t and (phase[i] in (PRIMARY, SPECIAL)) == primary_like
        ]
        for i, code in zip(
            idx, _assign(_rng(seed, "urban-rural", *map(str, key)), len(idx), mix), strict=True
        ):
            urban_rural[i] = code
    draw = _rng(seed, "sparse").random(n)
    for i in range(n):
        code = urban_rural[i]
        eligible = region[i] in SPARSE_REGIONS and la_type[i] in (COUNTY, UNITARY)
        if eligible and code[0] in "CDEF" and draw[i] < (0.05 if code[0] == "C" else 0.20):
            urban_rural[i] = code[0] + "2"

    # Size (number on roll), then phase pupil shares calibrated to the official 2021/22 ones.
    rng = _rng(seed, "size")
    z = rng.standard_normal(n)
    size = np.zeros(n)
    for i in range(n):
        median = SIZE_MEDIAN_14_19 if type_name[i] in FOURTEEN_TO_19 else SIZE_MEDIAN[phase[i]]
        m = median * math.exp(SIZE_SD[phase[i]] * z[i])
        if phase[i] == PRIMARY:
            years = high[i] - max(low[i], 4) + (0.5 if low[i] == 3 else 0.0)
            m *= years / 7.0
            m *= {"E": 0.55, "F": 0.45, "D": 0.85}.get(urban_rural[i][0], 1.0)
        elif phase[i] == SECONDARY and type_name[i] not in FOURTEEN_TO_19:
            m *= {(11, 16): 0.92, (11, 18): 1.08, (13, 18): 0.85}[(int(low[i]), int(high[i]))]
            m *= 0.8 if urban_rural[i][0] in "EF" else 1.0
        size[i] = m
    group = np.array([p if p in (PRIMARY, SPECIAL) else SECONDARY for p in phase])
    for g, pupils in SPC_PUPILS_2122.items():
        mask = group == g
        size[mask] *= pupils / NATIONAL_SCHOOLS_2122[g] / size[mask].mean()
    pupils_on_roll = np.maximum(np.rint(size).astype(np.int64), 8)

    # FSM: logit model, base solved so the pupil-weighted rate is the January 2024 one.
    la_effect = {
        x["old_la_code"]: v
        for x, v in zip(las, _rng(seed, "fsm-la").normal(0.0, 0.22, len(las)), strict=True)
    }
    noise = _rng(seed, "fsm-school").normal(0.0, 0.5, n)
    linear = np.array(
        [
            FSM_REGION[region[i]]
            + FSM_LA_TYPE[la_type[i]]
            + la_effect[la[i]["old_la_code"]]
            + FSM_URBAN_RURAL[urban_rural[i][0]]
            + FSM_PHASE[phase[i]]
            + (FSM_GRAMMAR if selective[i] else 0.0)
            + (0.2 if type_name[i] in FOURTEEN_TO_19 else 0.0)
            + noise[i]
            for i in range(n)
        ]
    )

    def fsm_at(base: float) -> np.ndarray:
        return _half_up(100 * _sigmoid(base + linear), 1)

    def fsm_mean(base: float) -> float:
        return float((fsm_at(base) * pupils_on_roll).sum() / pupils_on_roll.sum())

    fsm = fsm_at(_bisect(fsm_mean, FSM_JAN_2024, -5.0, 3.0))

    # Academies: open date and trust.
    rng = _rng(seed, "open-date")
    opened: list[dt.date | None] = [
        _open_date(rng, type_name[i]) if type_name[i] in ACADEMY_TYPES else None for i in range(n)
    ]
    academies = [i for i in range(n) if type_name[i] in ACADEMY_TYPES]
    trusts = _trusts(academies, region, seed)

    # Ofsted: inspected schools ranked on a latent score and cut at the published shares.
    rng = _rng(seed, "ofsted")
    latent = (
        rng.standard_normal(n)
        - 0.30 * (linear - linear.mean())
        + np.array(
            [{SPECIAL: 0.30, SECONDARY: -0.25, ALL_THROUGH: -0.25}.get(p, 0.0) for p in phase]
        )
        + 1.0 * selective
    )
    earliest = [
        dt.date(2000, 1, 1) if opened[i] is None else opened[i] + dt.timedelta(days=200)
        for i in range(n)
    ]
    recent = dt.date(2022, 9, 1)
    draw = rng.random(n)
    uninspected = [
        earliest[i] > LAST_INSPECTION_DAY
        or (opened[i] is not None and opened[i] >= recent and draw[i] < NEW_ACADEMY_UNINSPECTED)
        for i in range(n)
    ]
    order = [int(i) for i in np.argsort(-latent, kind="stable") if not uninspected[i]]
    grades = list(OFSTED_SHARES)
    cut = np.repeat(np.arange(len(grades)), allocate(len(order), list(OFSTED_SHARES.values())))
    rating: list[str | None] = [None] * n
    inspected_on: list[dt.date | None] = [None] * n
    dates_rng = _rng(seed, "ofsted-date")
    for pos, i in enumerate(order):
        rating[i] = grades[int(cut[pos])]
        inspected_on[i] = _inspection_date(dates_rng, rating[i], earliest[i])

    # URNs in random order; names numbered within phase in URN order.
    perm = _rng(seed, "urn").permutation(n)
    urn = np.empty(n, np.int64)
    urn[perm] = URN_BASE + 1 + np.arange(n)
    number: dict[int, int] = {}
    seen = dict.fromkeys(PHASES, 0)
    for i in perm:
        seen[phase[i]] += 1
        number[int(i)] = seen[phase[i]]
    estab: dict[int, int] = {}
    per_la: dict[str, int] = {}
    for i in perm:
        code = la[i]["old_la_code"]
        per_la[code] = per_la.get(code, 0) + 1
        estab[int(i)] = ESTAB_BASE + per_la[code]

    rows = []
    for i in range(n):
        trust = trusts.get(i)
        multi = trust is not None and trust[2]
        rows.append(
            (
                int(urn[i]),
                int(la[i]["old_la_code"]),
                la[i]["la_name"],
                estab[i],
                f"Synthetic {PHASE_LABEL[phase[i]]} School {number[i]:04d}",
                type_name[i],
                TYPE_GROUP[type_name[i]],
                "Open",
                _date(opened[i]),
                PHASE_NAME[phase[i]],
                int(low[i]),
                int(high[i]),
                gender[i],
                religion[i],
                admissions[i],
                int(pupils_on_roll[i]),
                float(fsm[i]),
                "Not applicable"
                if trust is None
                else "Supported by a multi-academy trust"
                if multi
                else "Supported by a single-academy trust",
                None if trust is None else trust[0],
                None if trust is None else trust[1],
                _date(inspected_on[i]),
                GOR_NAME.get(la[i]["region_name"], la[i]["region_name"]),
                UR[urban_rural[i]],
                la[i]["new_la_code"],
                rating[i],
            )
        )
    schema = dict.fromkeys(GIAS_COLUMNS, pl.String)
    for c in ("URN", "LA (code)", "EstablishmentNumber", "StatutoryLowAge", "StatutoryHighAge"):
        schema[c] = pl.Int64
    schema["NumberOfPupils"] = pl.Int64
    schema["Trusts (code)"] = pl.Int64
    schema["PercentageFSM"] = pl.Float64
    return pl.DataFrame(rows, schema=schema, orient="row").sort("URN")


# ---------------------------------------------------------------------------------------------
# KS4 school-level results (performance tables)
# ---------------------------------------------------------------------------------------------


class _Year:
    """One year's unrounded school values and what is published of them."""

    def __init__(self, period: str, n: int) -> None:
        self.period = period
        self.pupils = np.zeros(n, np.int64)
        self.disadvantaged = np.zeros(n, np.int64)
        self.roll = np.zeros(n, np.int64)
        self.att8 = np.zeros(n)
        self.att8_dis = np.zeros(n)
        self.att8_oth = np.zeros(n)
        self.em95 = np.zeros(n)
        self.em94 = np.zeros(n)
        self.ebacc = np.zeros(n)
        self.aps = np.zeros(n)
        self.p8 = np.zeros(n)

    @property
    def others(self) -> np.ndarray:
        return self.pupils - self.disadvantaged


def solve_target(period: str, key: str) -> float:
    """What a measure is solved to: the unrounded national figure, moved (if need be) to within
    0.8 x its tolerance of the published rounded figure, so that both checks hold."""
    anchor = KS4_ANCHORS[period]
    exact, published = anchor[key], anchor["published"].get(key)
    if published is None:
        return exact
    margin = 0.8 * TOLERANCE[key]
    return min(max(exact, published - margin), published + margin)


def _weighted(values: np.ndarray, weights: np.ndarray, mask: np.ndarray) -> float:
    w = weights * mask
    return float((values * w).sum() / w.sum())


def ks4_schools(schools: pl.DataFrame) -> pl.DataFrame:
    """Schools with pupils at the end of KS4 (age range covering 15 to 16)."""
    return schools.filter(
        (pl.col("StatutoryLowAge") <= 15) & (pl.col("StatutoryHighAge") >= 16)
    ).sort("URN")


def _ks4_model(schools: pl.DataFrame, seed: int) -> tuple[pl.DataFrame, dict[str, _Year], dict]:
    """Every school-year value before formatting, calibrated (see the docstring)."""
    frame = ks4_schools(schools)
    n = frame.height
    special = frame["TypeOfEstablishment (name)"].is_in(list(SPECIAL_TYPES)).to_numpy()
    grammar = (frame["AdmissionsPolicy (name)"] == "Selective").to_numpy()
    girls = (frame["Gender (name)"] == "Girls").to_numpy()
    low = frame["StatutoryLowAge"].to_numpy()
    high = frame["StatutoryHighAge"].to_numpy()
    roll = frame["NumberOfPupils"].to_numpy().astype(float)
    fsm = frame["PercentageFSM"].to_numpy() / 100
    region = frame["GOR (name)"].to_list()
    ratings = frame["OfstedRating (name)"].to_list()

    # Pupils per year group: years below 11 weigh less (smaller primary phases in all-through
    # schools; younger special-school classes), sixth-form years about half a year group.
    below = np.clip(11 - low, 0, None)
    main = 16 - np.maximum(low, 11)
    post = np.clip(np.minimum(high, 19) - 16, 0, None)
    w_below = np.where(special, 0.5, 0.4)
    w_post = np.where(special, 0.8, np.where(low >= 14, 1.2, 0.55))
    cohort = roll / (w_below * below + main + w_post * post)

    quality = np.array([RATING_QUALITY[r] for r in ratings]) + _rng(seed, "ks4-quality").normal(
        0.0, 0.8, n
    )
    # Disadvantaged (FSM in the last 6 years, or looked after) share of the KS4 cohort: a
    # little above the school's current FSM rate.
    z = _rng(seed, "ks4-dis").standard_normal(n)
    base_share = np.where(
        special,
        np.clip(fsm + 0.05 + 0.05 * z, 0.02, 0.95),
        np.clip(1.10 * fsm + 0.015 + 0.03 * z, 0.01, 0.95),
    )
    no_entries = special & (_rng(seed, "ks4-ne").random(n) < SPECIAL_NO_ENTRIES)
    special_a8 = SPECIAL_A8_MEAN * np.exp(
        0.9 * _rng(seed, "ks4-special").standard_normal(n) - 0.405
    )
    special_p8 = -1.9 + 0.45 * _rng(seed, "ks4-special-p8").standard_normal(n)
    u95 = _rng(seed, "ks4-em95").normal(0, 0.25, n)
    u94 = _rng(seed, "ks4-em94").normal(0, 0.20, n)
    u_ebacc = _rng(seed, "ks4-ebacc").normal(0, 0.9, n)
    region_names = sorted(set(region))
    solved_regions = dict.fromkeys(region_names, 0.0)
    in_region = {r: np.array([g == r for g in region]) for r in region_names}

    share_target = {y: DISADVANTAGED_2223["share"] + DISADVANTAGED_DRIFT[y] for y in KS4_YEARS}
    years: dict[str, _Year] = {}
    noise: dict[str, dict[str, np.ndarray]] = {}
    for y in KS4_YEARS:
        rng = _rng(seed, "ks4-year", y)
        yr = _Year(y, n)
        anchor = KS4_ANCHORS[y]
        mean_cohort = anchor["pupils"] / anchor["schools"]
        expected = cohort * np.exp(rng.normal(0, 0.06, n))
        yr.pupils = np.maximum(allocate(round(mean_cohort * n), expected), 1)
        yr.roll = np.maximum(
            np.rint(roll * TOTPUPS_DRIFT[y] * np.exp(rng.normal(0, 0.02, n))).astype(np.int64),
            yr.pupils,
        )
        # Disadvantaged pupils: the shares move together (logit shift) to the national share.
        jitter = rng.normal(0, 0.08, n)

        def dis_total(shift: float, yr: _Year = yr, jitter: np.ndarray = jitter) -> float:
            return float((_sigmoid(_logit(base_share) + shift + jitter) * yr.pupils).sum())

        target = round(share_target[y] * yr.pupils.sum())
        shift = _bisect(dis_total, target, -3.0, 3.0)
        yr.disadvantaged = allocate(
            target, _sigmoid(_logit(base_share) + shift + jitter) * yr.pupils, caps=yr.pupils
        )
        noise[y] = {
            "school": rng.normal(0, 1.2, n),
            "dis": rng.normal(0, 1.5, n),
            "em95": rng.normal(0, 0.15, n),
            "em94": rng.normal(0, 0.10, n),
            "ebacc": rng.normal(0, 0.20, n),
            "aps": rng.normal(0, 0.05, n),
            "p8": rng.normal(0, 0.12, n),
            "special": rng.normal(0, 0.25, n),
        }
        years[y] = yr

    def published(yr: _Year) -> dict[str, np.ndarray]:
        big = yr.pupils > SMALL_COHORT
        scored = big & ~no_entries
        return {
            "all": scored,
            "dis": scored & (yr.disadvantaged > SMALL_COHORT),
            "oth": scored & (yr.others > SMALL_COHORT),
        }

    def attainment(yr: _Year, level: float, gap: float) -> None:
        y = yr.period
        share = yr.disadvantaged / yr.pupils
        effect = (
            4.8 * quality
            - 9.0 * (share - share_target[y])
            + 19.0 * grammar
            + 2.0 * girls
            + sum(v * in_region[r] for r, v in solved_regions.items())
            + noise[y]["school"]
        )
        oth = level + effect + gap * share_target[y]
        dis = level + effect - gap * (1 - share_target[y]) + noise[y]["dis"]
        oth, dis = np.clip(oth, 0, 90), np.clip(dis, 0, 90)
        sp = special_a8 * np.exp(noise[y]["special"])
        sp_dis = 0.85 * sp
        sp_oth = np.where(
            yr.others > 0,
            (yr.pupils * sp - yr.disadvantaged * sp_dis) / np.maximum(yr.others, 1),
            sp,
        )
        yr.att8_dis = np.where(special, sp_dis, dis)
        yr.att8_oth = np.where(special, np.clip(sp_oth, 0, 90), oth)
        yr.att8 = (yr.disadvantaged * yr.att8_dis + yr.others * yr.att8_oth) / yr.pupils

    def a8_stats(yr: _Year) -> tuple[float, float, float]:
        m = published(yr)
        overall = _weighted(_half_up(yr.att8, 1), yr.pupils, m["all"])
        dis = _weighted(_half_up(yr.att8_dis, 1), yr.disadvantaged, m["dis"])
        oth = _weighted(_half_up(yr.att8_oth, 1), yr.others, m["oth"])
        return overall, dis, oth

    def solve_level(yr: _Year, gap: float) -> float:
        target = solve_target(yr.period, "att8")

        def overall(level: float) -> float:
            attainment(yr, level, gap)
            return a8_stats(yr)[0]

        level = _solve_linear(overall, target, target, 0.0, 90.0)
        attainment(yr, level, gap)
        return level

    def solve_2223() -> float:
        """The gap such that published others minus disadvantaged is the reference's."""
        yr = years["202223"]

        def published_gap(gap: float) -> float:
            solve_level(yr, gap)
            _, dis, oth = a8_stats(yr)
            return oth - dis

        gap = _solve_linear(published_gap, DISADVANTAGED_2223["gap"], 15.0, 0.0, 40.0)
        solve_level(yr, gap)
        return gap

    # Regional offsets solved on 2023/24: North East and North West to the reference, the
    # other regions to England + their assumed gap, shifted together so that the regions
    # average to England; then every year is calibrated nationally.
    gap = solve_2223()
    for _ in range(8):
        yr = years["202324"]
        solve_level(yr, gap)
        mask = published(yr)["all"]
        att8 = _half_up(yr.att8, 1)
        weight = {r: float((yr.pupils * (mask & in_region[r])).sum()) for r in region_names}
        got = {r: _weighted(att8, yr.pupils, mask & in_region[r]) for r in region_names}
        national = solve_target("202324", "att8")
        target = {r: REGIONAL_2324[r]["att8"] for r in region_names if r in REGIONAL_2324}
        free = [r for r in region_names if r not in target]
        target |= {r: national + REGION_A8_GAP[r] for r in free}
        shift = (
            national * sum(weight.values()) - sum(weight[r] * target[r] for r in target)
        ) / sum(weight[r] for r in free)
        for r in region_names:
            solved_regions[r] += target[r] + (shift if r in free else 0.0) - got[r]
        gap = solve_2223()
    levels = {y: solve_level(years[y], gap) for y in KS4_YEARS}

    # English and maths: logistic in Attainment 8; the national level solved per year, and
    # North East / North West offsets solved on 2023/24 (kept for the other years).
    em_offset = {key: np.zeros(n) for key in ("em95", "em94")}

    def english_maths(yr: _Year) -> None:
        y, nz, mask = yr.period, noise[yr.period], published(yr)["all"]
        a8c = yr.att8 - 46.0

        def pct(values: np.ndarray) -> float:
            return _weighted(_half_up(100 * values, 0), yr.pupils, mask)

        def em95(a: float) -> np.ndarray:
            return _sigmoid(a + 0.095 * a8c + u95 + nz["em95"] + em_offset["em95"])

        yr.em95 = em95(_bisect(lambda a: pct(em95(a)), solve_target(y, "em95"), -8.0, 8.0))

        def em94(d: float) -> np.ndarray:
            x = _logit(yr.em95) + d + u94 + nz["em94"] + em_offset["em94"]
            return np.maximum(_sigmoid(x), yr.em95)

        yr.em94 = em94(_bisect(lambda d: pct(em94(d)), solve_target(y, "em94"), -2.0, 6.0))

    yr = years["202324"]
    for _ in range(6):
        english_maths(yr)
        mask = published(yr)["all"]
        for key in em_offset:
            values = _half_up(100 * getattr(yr, key), 0)
            for name, anchor in REGIONAL_2324.items():
                got = _weighted(values, yr.pupils, mask & in_region[name]) / 100
                step = _logit(np.array(anchor[key] / 100)) - _logit(np.array(got))
                em_offset[key] += float(step) * in_region[name]

    # EBacc entry, EBacc APS, Progress 8: each level solved per year.
    for y, yr in years.items():
        english_maths(yr)
        anchor, nz, mask = KS4_ANCHORS[y], noise[y], published(yr)["all"]
        a8c = yr.att8 - 46.0

        def pct(values: np.ndarray, yr: _Year = yr, mask: np.ndarray = mask) -> float:
            return _weighted(_half_up(100 * values, 0), yr.pupils, mask)

        def ebacc(a: float, a8c: np.ndarray = a8c, nz: dict = nz) -> np.ndarray:
            x = a + 0.05 * a8c + u_ebacc + nz["ebacc"] + 1.5 * grammar - 4.0 * special
            return _sigmoid(x)

        ae = _bisect(lambda a, f=ebacc: pct(f(a)), solve_target(y, "ebacc_entry"), -8.0, 8.0)
        yr.ebacc = ebacc(ae)

        def aps(r: float, yr: _Year = yr, nz: dict = nz) -> np.ndarray:
            return np.clip(r * yr.att8 + 0.6 * (yr.ebacc - 0.4) + nz["aps"], 0.0, 9.0)

        def aps_mean(r: float, f: Callable = aps, yr: _Year = yr, mask: np.ndarray = mask) -> float:
            return _weighted(_half_up(f(r), 2), yr.pupils, mask)

        yr.aps = aps(_bisect(aps_mean, solve_target(y, "ebacc_aps"), 0.0, 0.2))

        if anchor["p8"] is not None:
            share = yr.disadvantaged / yr.pupils

            def p8(
                a: float,
                share: np.ndarray = share,
                nz: dict = nz,
                mean_share: float = share_target[y],
            ) -> np.ndarray:
                main_p8 = (
                    a
                    - 0.74 * (share - mean_share)
                    + 0.40 * quality
                    + 0.35 * grammar
                    + 0.15 * girls
                    + nz["p8"]
                )
                return np.clip(
                    np.where(special, special_p8 + nz["special"] * 0.6, main_p8), -4.5, 3.0
                )

            def p8_mean(
                a: float, f: Callable = p8, yr: _Year = yr, mask: np.ndarray = mask
            ) -> float:
                return _weighted(_half_up(f(a), 2), yr.pupils, mask)

            yr.p8 = p8(_bisect(p8_mean, anchor["p8"], -3.0, 3.0))

    params = {"gap": gap, "levels": levels, "regions": dict(solved_regions)}
    flags = {"no_entries": no_entries}
    return frame, years, {**params, **flags}


def _fmt_number(values: np.ndarray, dp: int) -> list[str]:
    rounded = _half_up(values, dp)
    return [f"{v:.{dp}f}" for v in rounded]


def _fmt_percent(values: np.ndarray) -> list[str]:
    return [f"{int(v)}%" for v in _half_up(100 * values, 0)]


def generate_ks4(schools: pl.DataFrame, seed: int = SEED) -> pl.DataFrame:
    """KS4 results of the schools with a KS4 cohort, in the performance-tables layout.

    Every measure column is text, as in the published file: numbers, percentages written
    "43%", or a symbol (SUPP, NE, NA, NP). See the module docstring for the rules.
    """
    frame, years, info = _ks4_model(schools, seed)
    no_entries = info["no_entries"]
    special = frame["TypeOfEstablishment (name)"].is_in(list(SPECIAL_TYPES)).to_numpy()
    parts = []
    for y, yr in years.items():
        small = yr.pupils <= SMALL_COHORT
        cells: dict[str, list[str]] = {
            "TFSM6CLA1A": [str(v) for v in yr.disadvantaged],
            "PTFSM6CLA1A": _fmt_percent(yr.disadvantaged / yr.pupils),
            "ATT8SCR": _fmt_number(yr.att8, 1),
            "ATT8SCR_FSM6CLA1A": _fmt_number(yr.att8_dis, 1),
            "ATT8SCR_NFSM6CLA1A": _fmt_number(yr.att8_oth, 1),
            "P8MEA": _fmt_number(yr.p8, 2),
            "PTL2BASICS_95": _fmt_percent(yr.em95),
            "PTL2BASICS_94": _fmt_percent(yr.em94),
            "PTEBACC_E_PTQ_EE": _fmt_percent(yr.ebacc),
            "EBACCAPS": _fmt_number(yr.aps, 2),
        }
        for i in range(frame.height):
            if small[i]:
                for c in cells:
                    cells[c][i] = SUPP
                continue
            if no_entries[i]:
                for c in KS4_MEASURES:
                    cells[c][i] = NE
            else:
                for c, group in (
                    ("ATT8SCR_FSM6CLA1A", yr.disadvantaged[i]),
                    ("ATT8SCR_NFSM6CLA1A", yr.others[i]),
                ):
                    if group == 0:
                        cells[c][i] = NA
                    elif group <= SMALL_COHORT:
                        cells[c][i] = SUPP
        if y in P8_NOT_PUBLISHED_YEARS:
            cells["P8MEA"] = [NP] * frame.height
        parts.append(
            pl.DataFrame(
                {
                    YEAR_COLUMN: [y] * frame.height,
                    "RECTYPE": np.where(special, 2, 1).astype(np.int64),
                    "LEA": frame["LA (code)"],
                    "ESTAB": frame["EstablishmentNumber"],
                    "URN": frame["URN"],
                    "SCHNAME": frame["EstablishmentName"],
                    "TOTPUPS": yr.roll,
                    "TPUP": yr.pupils,
                    **cells,
                }
            )
        )
    return pl.concat(parts).select(KS4_COLUMNS)


def ks4_numeric(ks4: pl.DataFrame) -> pl.DataFrame:
    """The measure columns as numbers (percent signs dropped; symbols become null)."""
    text = [c for c in (*KS4_MEASURES, "TFSM6CLA1A", "PTFSM6CLA1A") if ks4.schema[c] == pl.String]
    return ks4.with_columns(
        pl.col(c).str.strip_suffix("%").cast(pl.Float64, strict=False) for c in text
    )


# ---------------------------------------------------------------------------------------------
# Calibration report: every figure the files are calibrated to, and what they achieve
# ---------------------------------------------------------------------------------------------

MEASURE_COLUMN = {
    "att8": "ATT8SCR",
    "em95": "PTL2BASICS_95",
    "em94": "PTL2BASICS_94",
    "ebacc_entry": "PTEBACC_E_PTQ_EE",
    "ebacc_aps": "EBACCAPS",
    "p8": "P8MEA",
}
MEASURE_NAME = {
    "att8": "Attainment 8, pupil-weighted mean",
    "em95": "% grade 5+ in English and maths",
    "em94": "% grade 4+ in English and maths",
    "ebacc_entry": "% entering the EBacc",
    "ebacc_aps": "EBacc APS, pupil-weighted mean",
    "p8": "Progress 8, pupil-weighted mean",
}


def _check(
    kind: str, name: str, source: str, target: float, achieved: float, low: float, high: float
) -> dict:
    return {
        "kind": kind,
        "name": name,
        "source": source,
        "target": round(float(target), 4),
        "achieved": round(float(achieved), 4),
        "low": round(float(low), 4),
        "high": round(float(high), 4),
        "ok": bool(low - 1e-9 <= achieved <= high + 1e-9),
    }


def weighted_mean(frame: pl.DataFrame, column: str, weight: str | pl.Expr = "TPUP") -> float:
    """Mean of the published (numeric) cells of `column`, weighted by `weight`."""
    w = pl.col(weight) if isinstance(weight, str) else weight
    rows = frame.filter(pl.col(column).is_not_null())
    return rows.select((pl.col(column) * w).sum() / w.sum()).item()


def calibration(schools: pl.DataFrame, ks4: pl.DataFrame) -> list[dict]:
    """Every anchor with its target, accepted range and the value the files achieve.

    Computed from the published cells only (what a user of the files can recompute): KS4
    means are over schools whose value is a number, weighted by the KS4 cohort (TPUP); the
    disadvantaged and other pupils' means by TFSM6CLA1A and TPUP - TFSM6CLA1A.
    """
    checks: list[dict] = []
    pupils = schools.group_by(
        pl.when(pl.col("PhaseOfEducation (name)") == "Primary")
        .then(pl.lit(PRIMARY))
        .when(pl.col("PhaseOfEducation (name)") == "Not applicable")
        .then(pl.lit(SPECIAL))
        .otherwise(pl.lit(SECONDARY))
        .alias("group")
    ).agg(pl.col("NumberOfPupils").sum())
    by_group = dict(pupils.iter_rows())
    spc_total = sum(SPC_PUPILS_2122.values())
    for group, official in SPC_PUPILS_2122.items():
        share = 100 * official / spc_total
        checks.append(
            _check(
                "hard",
                f"GIAS: % of pupils in {group} schools (phase mix of pupils, January 2022)",
                "shared/reference/spc_pupil_ethnicity_official_national_by_phase.csv "
                "(official SPC 2021/22 headcounts)",
                share,
                100 * by_group[group] / sum(by_group.values()),
                share - 0.05,
                share + 0.05,
            )
        )
    fsm = schools.select(
        (pl.col("PercentageFSM") * pl.col("NumberOfPupils")).sum() / pl.col("NumberOfPupils").sum()
    ).item()
    checks.append(
        _check(
            "soft",
            "GIAS: % of pupils eligible for FSM, January 2024 (pupil-weighted PercentageFSM)",
            FSM_SOURCE,
            FSM_JAN_2024,
            fsm,
            FSM_JAN_2024 - 0.05,
            FSM_JAN_2024 + 0.05,
        )
    )
    rated = schools.filter(pl.col("OfstedRating (name)").is_not_null())
    for grade, published in OFSTED_PUBLISHED.items():
        share = 100 * rated.filter(pl.col("OfstedRating (name)") == grade).height / rated.height
        checks.append(
            _check(
                "soft",
                f"GIAS: % of inspected schools rated {grade} (whole %)",
                OFSTED_SOURCE,
                published,
                share,
                published - 0.5,
                published + 0.5 - 1e-6,
            )
        )

    numeric = ks4_numeric(ks4)
    for y in KS4_YEARS:
        anchor = KS4_ANCHORS[y]
        rows = numeric.filter(pl.col(YEAR_COLUMN) == y)
        mean_cohort = anchor["pupils"] / anchor["schools"]
        checks.append(
            _check(
                "hard",
                f"KS4 {label(y)}: mean KS4 cohort per school (TPUP; pupils / schools)",
                anchor["source"],
                mean_cohort,
                rows["TPUP"].mean(),
                0.99 * mean_cohort,
                1.01 * mean_cohort,
            )
        )
        for key, tol in TOLERANCE.items():
            target = anchor[key]
            if target is None:
                continue
            achieved = weighted_mean(rows, MEASURE_COLUMN[key])
            low, high = target - tol, target + tol
            published = anchor["published"].get(key)
            if published is not None:  # also within tolerance of the published rounded figure
                low, high = max(low, published - tol), min(high, published + tol)
            checks.append(
                _check(
                    "hard",
                    f"KS4 {label(y)}: {MEASURE_NAME[key]}",
                    anchor["source"],
                    target,
                    achieved,
                    low,
                    high,
                )
            )
    rows = numeric.filter(pl.col(YEAR_COLUMN) == "202223")
    with_counts = rows.filter(pl.col("TFSM6CLA1A").is_not_null())
    share = 100 * with_counts["TFSM6CLA1A"].sum() / with_counts["TPUP"].sum()
    target = 100 * DISADVANTAGED_2223["share"]
    dis = weighted_mean(rows, "ATT8SCR_FSM6CLA1A", "TFSM6CLA1A")
    oth = weighted_mean(rows, "ATT8SCR_NFSM6CLA1A", pl.col("TPUP") - pl.col("TFSM6CLA1A"))
    source = KS4_ANCHORS["202223"]["source"]
    checks += [
        _check(
            "hard",
            "KS4 2022/23: % of the KS4 cohort disadvantaged",
            source,
            target,
            share,
            target - 0.2,
            target + 0.2,
        ),
        _check(
            "hard",
            "KS4 2022/23: Attainment 8 gap, other minus disadvantaged pupils",
            source,
            DISADVANTAGED_2223["gap"],
            oth - dis,
            DISADVANTAGED_2223["gap"] - 0.05,
            DISADVANTAGED_2223["gap"] + 0.05,
        ),
        _check(
            "soft",
            "KS4 2022/23: Attainment 8 of disadvantaged pupils (published 35.0)",
            source,
            DISADVANTAGED_2223["att8_dis"],
            dis,
            DISADVANTAGED_2223["att8_dis"] - 0.15,
            DISADVANTAGED_2223["att8_dis"] + 0.15,
        ),
        _check(
            "soft",
            "KS4 2022/23: Attainment 8 of other pupils (published 50.3)",
            source,
            DISADVANTAGED_2223["att8_oth"],
            oth,
            DISADVANTAGED_2223["att8_oth"] - 0.15,
            DISADVANTAGED_2223["att8_oth"] + 0.15,
        ),
    ]
    rows = numeric.filter(pl.col(YEAR_COLUMN) == "202324").join(
        schools.select("URN", "GOR (name)"), on="URN"
    )
    source = f"{KS4_REF}: 2023/24 regional rows (pupil residency; here by school location)"
    for region, anchor in REGIONAL_2324.items():
        in_region = rows.filter(pl.col("GOR (name)") == region)
        checks.append(
            _check(
                "soft",
                f"KS4 2023/24: {region} Attainment 8, pupil-weighted mean",
                source,
                anchor["att8"],
                weighted_mean(in_region, "ATT8SCR"),
                anchor["att8"] - 0.1,
                anchor["att8"] + 0.1,
            )
        )
        for key in ("em95", "em94"):
            checks.append(
                _check(
                    "soft",
                    f"KS4 2023/24: {region} {MEASURE_NAME[key]}",
                    source,
                    anchor[key],
                    weighted_mean(in_region, MEASURE_COLUMN[key]),
                    anchor[key] - 0.3,
                    anchor[key] + 0.3,
                )
            )
    return checks


def _describe(check: dict) -> str:
    return (
        f"{check['kind'].upper()}: {check['name']} = {check['target']:g} [{check['source']}]; "
        f"achieved {check['achieved']:g} (accepted {check['low']:g} to {check['high']:g})"
    )


ASSUMED = (
    "ASSUMED (not published): sample of 2,500 schools (1,971 primary, 381 secondary, 25 "
    "all-through, 123 special, about 1 in 8.5 of England's); national school counts of "
    "January 2022 (16,791 primary, 3,458 secondary incl. all-through, 1,044 special); academy "
    "shares by phase (42% primary, 81% secondary, 80% all-through, 45% special); type, age "
    "range, religious character, gender and urban-rural mixes; regional shares of schools; "
    "LA sizes; 4.7% of secondaries selective; trust sizes; Ofsted inspection dates",
    "ASSUMED (not published): KS4 disadvantaged share +0.6 pp a year after 2022/23; the "
    "2022/23 disadvantaged gap kept for 2023/24 and 2024/25; regional Attainment 8 gaps other "
    "than North East and North West; special schools' results (28% with no entries, "
    "Attainment 8 around 5.7, Progress 8 around -1.9); school effects and noise",
)


def write(root: Path = SYNTHETIC_ROOT, seed: int = SEED) -> tuple[Path, Path]:
    """Regenerate `root/gias_establishments/v1/` and `root/ks4_school_performance/v1/`."""
    schools = generate_schools(seed)
    ks4 = generate_ks4(schools, seed)
    checks = calibration(schools, ks4)
    failed = [c["name"] for c in checks if not c["ok"]]
    if failed:
        raise ValueError(f"calibration failed: {failed}")
    gias_checks = [_describe(c) for c in checks if c["name"].startswith("GIAS")]
    ks4_checks = [_describe(c) for c in checks if c["name"].startswith("KS4")]
    gias = write_synthetic_release(
        schools,
        root / GIAS_DATASET / VERSION,
        GIAS_FILE,
        dataset=GIAS_DATASET,
        generator="pipelines.synthetic.schools",
        seed=seed,
        schema_of=GIAS_SCHEMA_OF,
        calibrated_to=[*gias_checks, ASSUMED[0]],
        description=(
            f"SYNTHETIC, NOT OFFICIAL STATISTICS, NOT REAL SCHOOLS. {schools.height:,} open "
            "state-funded schools in England (primary, secondary, all-through, special) in a "
            "subset of the GIAS edubasealldata columns, as at 31-08-2024 (pupils and FSM: "
            "January 2024 census). URNs 9000001+, names 'Synthetic <Phase> School NNNN', "
            "EstablishmentNumber 9001+ and trust codes 900001+ are invented. LA and region "
            "are real geography. Seeded; calibrated to the figures in calibrated_to."
        ),
    )
    ks4_path = write_synthetic_release(
        ks4,
        root / KS4_DATASET / VERSION,
        KS4_FILE,
        dataset=KS4_DATASET,
        generator="pipelines.synthetic.schools",
        seed=seed,
        schema_of=KS4_SCHEMA_OF,
        calibrated_to=[*ks4_checks, ASSUMED[1]],
        description=(
            "SYNTHETIC, NOT OFFICIAL STATISTICS, NOT REAL SCHOOLS. KS4 school-level results "
            "2022/23, 2023/24 and 2024/25 (provisional) of the synthetic schools in "
            f"{GIAS_DATASET}/{VERSION} with a KS4 cohort (secondary, all-through, UTC, studio "
            "and special), in england_ks4final.csv columns plus time_period. Symbols: SUPP (5 "
            "or fewer pupils), NE (no entries), NA (no pupils in the group), NP (not "
            "published: every Progress 8 of 2024/25). Percentages are written '43%'. "
            "Calibrated to the national figures in calibrated_to."
        ),
    )
    return gias, ks4_path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.synthetic.schools",
        description="Regenerate the synthetic school list (GIAS) and KS4 school results.",
    )
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--root", type=Path, default=SYNTHETIC_ROOT)
    args = parser.parse_args(argv)
    for path in write(args.root, args.seed):
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
