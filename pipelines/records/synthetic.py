"""Seeded synthetic record-level files in the shape of `pipelines/records/contract.py`.

SYNTHETIC RECORDS, NOT REAL PEOPLE. Every row is made up; the pseudonyms belong to nobody. The
files aggregate exactly to the project's embedded default aggregates (the synthetic workforce
and NPQ breakdown CSVs and the official NPQ national file in `data/raw/`), so the record-level
marts (MARTS.md) can be checked against the aggregate pipeline. `manifest.json` in the records
folder says `"provenance": "synthetic"`.

    generate(records_dir, scale, seed)      writes every file and the manifest
    add_year(records_dir, time_period, seed) adds one more academic year, drawn like the latest

Scale
-----
* 1: the teacher census of the latest year in the workforce file (202425) only, and NPQ
  participant records for every NPQ year (202122 to 202425).
* 2 to 10: the census of the latest `scale` years (202425, 202324, ... back to 201516 at 10);
  NPQ records for every NPQ year.
* a multiple of 10 above 10 (20, 30, ..., 100, ...): ten census years, each year's population
  replicated scale/10 times, and the NPQ records replicated scale/10 times likewise. Every
  replicate has its own pseudonyms (a pseudonym is a function of seed, kind, year, replicate
  and row number) and each replicate's NPQ records link to the same replicate's teachers.
  Scale 100 is about 51 million census rows (10 years x ~513,000 x 10).
Anything else is refused (ValueError).

Teacher census (one row per teacher, per year)
----------------------------------------------
From the latest release of `synthetic/workforce_teacher_characteristics` (rows with school_type
'Total state-funded schools' and age_group, working_pattern, qts_status and on_route 'Total').
The file has two cross-tabs per year: National grade x sex x ethnicity_major x ethnicity_minor
(minor broken down for White and Unknown only), with every 'Total' margin, and Regional
region x grade x ethnicity_major (sex 'Total'). For each grade x major the national cells
(sex x minor) and the regional cells (region) are two margins of one table: it is filled
proportionally (floor of row x column / total) and the remainders placed one by one, each row's
units in the columns still short by most (Ryser's construction), so both margins hold exactly.
Every row of the file for the year (including each 'Total' row) is then checked against the
records' counts before anything is written; a file whose regional rows do not add up to its
national rows is refused. `ethnicity_minor` is NULL for majors other than White and Unknown.
Sex values are taken as they are (the file has Female and Male; 'Not known' would become
Unknown).

NPQ participants (one row per participant per course started, per year)
-----------------------------------------------------------------------
From the official national file (latest release of `ees/npq_participants`: Overall starts,
unique participants and SWC-matched participants per year; Funded for 2021/22) and the synthetic
breakdowns (`synthetic/npq_participants_breakdowns`: National 'Course' rows by funding, Regional
'Overall' rows by funding), which must add up to the official totals (checked; refused if not).
Per year, and per funding part where the year has Funded figures (2021/22: a Funded part from
the Funded rows and a non-funded part from Overall minus Funded):

* starts by course x region: the same proportional two-margin fill, so Overall starts by
  course, by region and in total are exact, and so are 2021/22 Funded starts by course and by
  region;
* participants: in each region, `starts - unique` participants start two different courses
  (pairs drawn at random, weighted by the courses' starts in the region, from a generator keyed
  by year, part and region, not by the seed), so distinct participant_ref per year (and per
  region, and Funded 2021/22) is exact and (participant_ref, course_code) is unique;
* `funded`: per participant (both courses of a pair alike). 2021/22 from the Funded part. Other
  years: the 2021/22 share of participants funded (Funded / Overall unique participants, about
  94%) for every course up to 2023/24, when all NPQs were fully funded; from 2024/25 only NPQH,
  NPQLPM and NPQSENCO stayed funded for all state schools and the other courses were funded
  only in the top-half pupil-premium schools, so those courses get half that share. Counts
  are rounded per group of participants (region x courses x grade), not drawn;
* linkage: `npq_unique_participants_swc_eligible` participants per year (per region, and per
  funding for 2021/22) have a teacher_ref, the others NULL. Which ones is weighted by the
  course's SWC-matched share of its participants (few Early Years leaders are in the census).
  Each linked participant is given a grade by course (GRADE_MIX: NPQEL mostly heads, NPQH
  mostly deputy and assistant heads, NPQSL assistant heads and classroom teachers, specialist
  NPQs mostly classroom teachers) and, where the census of the same year is written, the
  pseudonym of a teacher of that grade in the participant's region: the j-th participant of a
  region x grade takes row (a * j + b) mod M of the M teachers there (a near M times the golden
  ratio and coprime with M; b seeded), so no teacher is linked twice. Where the year has no
  census file (the earlier years at scales below 4), linked participants still get a teacher
  pseudonym, which matches no census row. A participant with two courses has one teacher_ref.

Pseudonyms: 'T' / 'P' and 16 lower-case hex digits of a keyed 4-round Feistel permutation of a
64-bit counter (kind, year, replicate, row), with round keys from the seed. A permutation never
repeats a value, so keys are unique by construction. The same seed and scale give identical
files (rows sorted by pseudonym). The seed changes the pseudonyms and which teacher of the
region x grade each linked participant is (b); every count above, including funded and linked
participants by course, region and grade, is the same whatever the seed.

What does not reconcile: the breakdown file's per-course `npq_unique_participants` is below
the course's starts (a person starting the same course twice in a year), which the contract's
key (participant_ref, course_code) rules out: per course, distinct participants equal starts.
The census file has no 'Unknown' sex, so no record has it.
"""

import csv
import hashlib
import json
import math
import os
import random
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines import paths
from pipelines.records import contract
from pipelines.sources import latest_release_dir, verified_files

DEFAULT_SEED = 20260401
GENERATOR = "pipelines.records.synthetic"
MANIFEST = "manifest.json"
CENSUS = "teacher_census"
NPQ = "npq_participants"
MAX_CENSUS_YEARS = 10
MEMORY_LIMIT = "3GB"
THREADS = 2

WORKFORCE_DATASET = ("synthetic", "workforce_teacher_characteristics")
BREAKDOWNS_DATASET = ("synthetic", "npq_participants_breakdowns")
OFFICIAL_DATASET = ("ees", "npq_participants")

# Pseudonym counters: kind (4 bits) | year - 1900 (8 bits) | replicate (16 bits) | row (36 bits).
KIND_TEACHER = 1
KIND_PARTICIPANT = 2
KIND_UNLINKED_TEACHER = 3  # a linked participant's teacher in a year with no census file
MAX_REPLICATES = 1 << 16
MAX_ROWS = 1 << 36
MASK32 = 0xFFFFFFFF
FMIX_1 = 0x85EBCA6B  # murmur3 fmix32 constants: the Feistel round function
FMIX_2 = 0xC2B2AE35
GOLDEN = (math.sqrt(5) - 1) / 2

# Funding rules for years without published Funded figures (see the docstring).
TARGETED_FUNDING_FROM = 202425
FUNDED_FOR_ALL_SCHOOLS = ("NPQH", "NPQLPM", "NPQSENCO")

# Grade of a linked participant by course: shares of head, deputy head, assistant head,
# classroom teacher (contract.GRADES order).
_SPECIALIST = (0.01, 0.04, 0.15, 0.80)
GRADE_MIX: dict[str, tuple[float, float, float, float]] = {
    "NPQEL": (0.75, 0.15, 0.05, 0.05),
    "NPQH": (0.05, 0.45, 0.35, 0.15),
    "NPQSL": (0.02, 0.13, 0.40, 0.45),
    "NPQEYL": (0.30, 0.15, 0.15, 0.40),
    "NPQSENCO": (0.02, 0.08, 0.25, 0.65),
    "NPQLBC": (0.01, 0.06, 0.23, 0.70),
    "NPQLT": _SPECIALIST,
    "NPQLTD": _SPECIALIST,
    "NPQLL": _SPECIALIST,
    "NPQLPM": _SPECIALIST,
}
SEX_LABELS = {"Female": "Female", "Male": "Male", "Unknown": "Unknown", "Not known": "Unknown"}
COURSE_CODES = {name: code for code, name in contract.NPQ_COURSES.items()}


# --- small integer helpers (counts only, never rows) -------------------------------------


def apportion(total: int, weights: list[float], caps: list[int] | None = None) -> list[int]:
    """`total` split in proportion to `weights` (largest remainder), no share above its cap."""
    n = len(weights)
    caps = list(caps) if caps is not None else [total] * n
    if total > sum(caps):
        raise ValueError(f"cannot place {total} in capacity {sum(caps)}")
    alloc = [0] * n
    remaining = total
    active = [i for i in range(n) if caps[i] > 0 and weights[i] > 0]
    while remaining > 0:
        if not active:  # only zero weights left: fill what room there is, in order
            active = [i for i in range(n) if alloc[i] < caps[i]]
            weights = [1.0] * n
        weight = sum(weights[i] for i in active)
        quota = {i: remaining * weights[i] / weight for i in active}
        full = [i for i in active if alloc[i] + quota[i] >= caps[i]]
        if full:
            for i in full:
                remaining -= caps[i] - alloc[i]
                alloc[i] = caps[i]
            active = [i for i in active if i not in full]
            continue
        floors = {i: int(quota[i]) for i in active}
        for i in active:
            alloc[i] += floors[i]
        left = remaining - sum(floors.values())
        order = sorted(active, key=lambda i: (-(quota[i] - floors[i]), i))
        for i in order:
            if left == 0:
                break
            if alloc[i] < caps[i]:
                alloc[i] += 1
                left -= 1
        remaining = left
        active = [i for i in active if alloc[i] < caps[i]]
    return alloc


def two_way(rows: list[int], cols: list[int]) -> list[list[int]]:
    """A non-negative integer table with exactly these row and column sums, close to
    proportional: floor(row x col / total), then the remainders (at most one unit per cell)
    placed row by row in the columns still short by most (Ryser), ties to the larger
    fractional part."""
    total = sum(rows)
    if total != sum(cols):
        raise ValueError(f"margins differ: rows add up to {total}, columns to {sum(cols)}")
    if total == 0:
        return [[0] * len(cols) for _ in rows]
    table = [[r * c // total for c in cols] for r in rows]
    frac = [[r * c % total for c in cols] for r in rows]
    row_short = [r - sum(line) for r, line in zip(rows, table, strict=True)]
    col_short = [c - sum(line[j] for line in table) for j, c in enumerate(cols)]
    for i in sorted(range(len(rows)), key=lambda i: (-row_short[i], i)):
        if row_short[i] == 0:
            continue
        best = sorted(
            (j for j in range(len(cols)) if col_short[j] > 0),
            key=lambda j: (-col_short[j], -frac[i][j], j),
        )[: row_short[i]]
        if len(best) < row_short[i]:
            raise ValueError("no integer table has these margins")  # cannot happen
        for j in best:
            table[i][j] += 1
            col_short[j] -= 1
        row_short[i] = 0
    if any(col_short):
        raise ValueError("no integer table has these margins")
    return table


def _round_half_up(x: float) -> int:
    return math.floor(x + 0.5)


# --- pseudonyms in SQL ----------------------------------------------------------------------


def _round_keys(seed: int) -> list[int]:
    return [
        int.from_bytes(hashlib.sha256(f"{GENERATOR}:{seed}:{i}".encode()).digest()[:4], "big")
        for i in range(4)
    ]


def _counter_base(kind: int, time_period: int) -> int:
    year = time_period // 100 - 1900
    if not 0 <= year < 256:
        raise ValueError(f"time_period {time_period} is outside the years a pseudonym can hold")
    return (kind << 60) | (year << 52)


def _feistel(source: str, column: str, keys: list[int], out: str) -> str:
    """`source` plus a column `out`: a keyed permutation of the UBIGINT column `column`
    (4 Feistel rounds over 32-bit halves, round function murmur3's fmix32 of half xor key).
    Each step is its own projection so no expression is evaluated twice."""
    q = f"SELECT *, {column} >> 32 AS _fl, {column} & {MASK32}::UBIGINT AS _fr FROM ({source})"
    for key in keys:
        q = f"SELECT *, xor(_fr, {key}::UBIGINT) AS _f0 FROM ({q})"
        q = (
            f"SELECT * EXCLUDE (_f0), (xor(_f0, _f0 >> 16) * {FMIX_1}::UBIGINT) "
            f"& {MASK32}::UBIGINT AS _f1 FROM ({q})"
        )
        q = (
            f"SELECT * EXCLUDE (_f1), (xor(_f1, _f1 >> 13) * {FMIX_2}::UBIGINT) "
            f"& {MASK32}::UBIGINT AS _f2 FROM ({q})"
        )
        q = (
            f"SELECT * EXCLUDE (_fl, _fr, _f2), _fr AS _fl, "
            f"xor(_fl, xor(_f2, _f2 >> 16)) AS _fr FROM ({q})"
        )
    return f"SELECT * EXCLUDE (_fl, _fr), (_fl << 32) | _fr AS {out} FROM ({q})"


def _ref(prefix: str, column: str) -> str:
    """'T' or 'P' and the 16 lower-case hex digits of a UBIGINT (NULL stays NULL)."""
    hexed = f"lower(to_hex({column}))"
    return (
        f"CASE WHEN {column} >= {1 << 60}::UBIGINT THEN '{prefix}' || {hexed} "
        f"ELSE '{prefix}' || lpad({hexed}, 16, '0') END"
    )


def _sql_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


# --- reading the default aggregates -------------------------------------------------------


def _csv(raw_root: Path, dataset: tuple[str, str]) -> Path:
    folder = latest_release_dir(raw_root / dataset[0] / dataset[1])
    csvs = [f.path for f in verified_files(folder) if f.path.suffix == ".csv"]
    if len(csvs) != 1:
        raise ValueError(f"{folder} should hold one CSV, holds {len(csvs)}")
    return csvs[0]


def _read_workforce(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Table `workforce`: the rows this generator reproduces, sex mapped to the contract."""
    columns = {
        r[0] for r in con.sql(f"DESCRIBE SELECT * FROM read_csv({_sql_path(path)})").fetchall()
    }
    sex = "sex" if "sex" in columns else "gender"
    mapping = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in SEX_LABELS.items())
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE workforce AS
        SELECT CAST(time_period AS INTEGER) AS time_period, geographic_level, region_code,
               grade, CASE {sex} WHEN 'Total' THEN 'Total' {mapping} ELSE {sex} END AS sex,
               ethnicity_major, ethnicity_minor, TRY_CAST(headcount AS BIGINT) AS headcount,
               headcount AS headcount_text
        FROM read_csv({_sql_path(path)}, all_varchar = true)
        WHERE school_type = 'Total state-funded schools' AND age_group = 'Total'
          AND working_pattern = 'Total' AND qts_status = 'Total' AND on_route = 'Total'
          AND geographic_level IN ('National', 'Regional')"""
    )
    bad = con.sql(
        "SELECT time_period, headcount_text FROM workforce WHERE headcount IS NULL LIMIT 1"
    ).fetchall()
    if bad:
        raise ValueError(f"{path}: headcount {bad[0][1]!r} in {bad[0][0]} is not a whole number")


@dataclass
class NpqPart:
    """One funding part of a year: margins for starts, participants and linked participants."""

    funded: bool | None  # None: decided per participant by the funding rules
    course_starts: dict[str, int]
    region_starts: dict[str, int]
    region_unique: dict[str, int]
    region_eligible: dict[str, int]
    course_link_rate: dict[str, float]


def _npq_figures(
    con: duckdb.DuckDBPyConnection, official: Path, breakdowns: Path
) -> tuple[dict[int, list[NpqPart]], dict[tuple[int, str], tuple[int, int, int]]]:
    """Per NPQ year, its funding parts (after checking the breakdowns against the official
    totals), and the official national totals {(year, funding): (starts, unique, matched)}."""
    measures = (
        "TRY_CAST(npq_starts AS BIGINT), TRY_CAST(npq_unique_participants AS BIGINT), "
        "TRY_CAST(npq_unique_participants_swc_eligible AS BIGINT)"
    )
    totals: dict[tuple[int, str], tuple[int, int, int]] = {}
    for year, funding, *values in con.sql(
        f"SELECT CAST(time_period AS INTEGER), funding, {measures} "
        f"FROM read_csv({_sql_path(official)}, all_varchar = true) "
        "WHERE geographic_level = 'National' AND breakdown = 'Overall' "
        "AND group_name = 'Overall' AND funding IN ('Overall', 'Funded')"
    ).fetchall():
        if None in values:
            raise ValueError(f"{official}: {year} {funding} totals are not whole numbers")
        totals[(year, funding)] = tuple(values)
    rows = con.sql(
        f"SELECT CAST(time_period AS INTEGER), funding, geographic_level, region_code, "
        f"group_name, {measures} FROM read_csv({_sql_path(breakdowns)}, all_varchar = true) "
        "WHERE funding IN ('Overall', 'Funded') AND ((geographic_level = 'National' AND "
        "breakdown = 'Course') OR (geographic_level = 'Regional' AND breakdown = 'Overall'))"
    ).fetchall()
    course: dict[tuple[int, str], dict[str, tuple[int, int, int]]] = {}
    region: dict[tuple[int, str], dict[str, tuple[int, int, int]]] = {}
    for year, funding, level, region_code, group, *values in rows:
        if None in values:
            raise ValueError(f"{breakdowns}: {year} {funding} {group} is not a whole number")
        if level == "National":
            if group not in COURSE_CODES:
                raise ValueError(f"{breakdowns}: course {group!r} is not in contract.NPQ_COURSES")
            course.setdefault((year, funding), {})[COURSE_CODES[group]] = tuple(values)
        else:
            if region_code not in contract.REGIONS:
                raise ValueError(f"{breakdowns}: region {region_code!r} is not in the contract")
            region.setdefault((year, funding), {})[region_code] = tuple(values)

    def check(year: int, funding: str) -> None:
        starts, unique, eligible = totals[(year, funding)]
        by_course = course.get((year, funding))
        by_region = region.get((year, funding))
        if not by_course or not by_region:
            raise ValueError(f"{breakdowns} has no Course or regional rows for {year} {funding}")
        got = (
            sum(v[0] for v in by_course.values()),
            sum(v[0] for v in by_region.values()),
            sum(v[1] for v in by_region.values()),
            sum(v[2] for v in by_region.values()),
        )
        if got != (starts, starts, unique, eligible):
            raise ValueError(
                f"{breakdowns} does not add up to {official} for {year} {funding}: starts by "
                f"course {got[0]}, by region {got[1]}, unique {got[2]}, SWC-matched {got[3]}; "
                f"official {starts} starts, {unique} unique, {eligible} SWC-matched"
            )

    def rates(year: int, funding: str) -> dict[str, float]:
        rows = course.get((year, funding)) or course[(year, "Overall")]
        return {c: (v[2] / v[1] if v[1] else 1.0) for c, v in rows.items()}

    years: dict[int, list[NpqPart]] = {}
    for year in sorted(y for y, f in totals if f == "Overall"):
        check(year, "Overall")
        overall_c = course[(year, "Overall")]
        overall_r = region[(year, "Overall")]
        if (year, "Funded") not in totals:
            years[year] = [
                NpqPart(
                    None,
                    {c: v[0] for c, v in overall_c.items()},
                    {r: v[0] for r, v in overall_r.items()},
                    {r: v[1] for r, v in overall_r.items()},
                    {r: v[2] for r, v in overall_r.items()},
                    rates(year, "Overall"),
                )
            ]
            continue
        check(year, "Funded")
        funded_c = course[(year, "Funded")]
        funded_r = region[(year, "Funded")]
        rest_c = {c: v[0] - funded_c.get(c, (0, 0, 0))[0] for c, v in overall_c.items()}
        rest_r = {
            r: tuple(a - b for a, b in zip(v, funded_r.get(r, (0, 0, 0)), strict=True))
            for r, v in overall_r.items()
        }
        if any(v < 0 for v in rest_c.values()) or any(min(v) < 0 for v in rest_r.values()):
            raise ValueError(f"{breakdowns}: a {year} Funded figure exceeds its Overall figure")
        if set(funded_c) - set(overall_c) or set(funded_r) - set(overall_r):
            raise ValueError(f"{breakdowns}: {year} has Funded rows without Overall rows")
        years[year] = [
            NpqPart(
                True,
                {c: v[0] for c, v in funded_c.items()},
                {r: v[0] for r, v in funded_r.items()},
                {r: v[1] for r, v in funded_r.items()},
                {r: v[2] for r, v in funded_r.items()},
                rates(year, "Funded"),
            ),
            NpqPart(
                False,
                rest_c,
                {r: v[0] for r, v in rest_r.items()},
                {r: v[1] for r, v in rest_r.items()},
                {r: v[2] for r, v in rest_r.items()},
                rates(year, "Overall"),
            ),
        ]
    return years, totals


def _funded_share(totals: dict[tuple[int, str], tuple[int, int, int]], year: int) -> float:
    """Share of participants funded in the latest year (up to `year`) with Funded figures."""
    known = sorted(y for y, f in totals if f == "Funded")
    if not known:
        return 1.0
    ref = max((y for y in known if y <= year), default=known[0])
    return totals[(ref, "Funded")][1] / totals[(ref, "Overall")][1]


# --- census cells ---------------------------------------------------------------------------


@dataclass
class CensusCell:
    region_code: str
    grade: str
    sex: str
    major: str
    minor: str | None
    n: int
    start: int = 0  # row number of the cell's first teacher in the year


def _census_cells(con: duckdb.DuckDBPyConnection, year: int) -> list[CensusCell]:
    rows = con.sql(
        "SELECT geographic_level, region_code, grade, sex, ethnicity_major, ethnicity_minor, "
        f"headcount FROM workforce WHERE time_period = {year}"
    ).fetchall()
    national: dict[tuple[str, str, str, str], int] = {}
    regional: dict[tuple[str, str, str], int] = {}
    sexes: set[str] = set()
    for level, region_code, grade, sex, major, minor, n in rows:
        if "Total" in (grade, major):
            continue
        if grade not in contract.GRADES or major not in contract.ETHNICITY_MAJOR:
            raise ValueError(f"workforce {year}: grade {grade!r} or group {major!r} unknown")
        if level == "National" and sex != "Total":
            if sex not in contract.SEXES:
                raise ValueError(f"workforce {year}: sex {sex!r} has no contract value")
            if minor != "Total" and minor not in contract.ETHNICITY_MINOR:
                raise ValueError(f"workforce {year}: ethnicity_minor {minor!r} unknown")
            sexes.add(sex)
            national[(grade, sex, major, minor)] = n
        elif level == "Regional" and sex == "Total" and minor == "Total":
            if region_code not in contract.REGIONS:
                raise ValueError(f"workforce {year}: region {region_code!r} unknown")
            regional[(region_code, grade, major)] = n
    if not national or not regional:
        raise ValueError(f"workforce {year}: no national or no regional rows")
    sex_order = [s for s in contract.SEXES if s in sexes]
    minor_order = ["Total", *contract.ETHNICITY_MINOR]
    cells: list[CensusCell] = []
    for grade in contract.GRADES:
        for major in contract.ETHNICITY_MAJOR:
            lines: list[tuple[str, str | None, int]] = []
            for sex in sex_order:
                minors = [
                    (m, national[(grade, sex, major, m)])
                    for m in minor_order[1:]
                    if (grade, sex, major, m) in national
                ]
                if minors:
                    lines += [(sex, m, n) for m, n in minors]
                else:
                    lines.append((sex, None, national.get((grade, sex, major, "Total"), 0)))
            cols = [regional.get((r, grade, major), 0) for r in contract.REGIONS]
            if sum(n for *_, n in lines) != sum(cols):
                raise ValueError(
                    f"workforce {year}: {grade} / {major}: regional rows add up to {sum(cols)}, "
                    f"national rows to {sum(n for *_, n in lines)}"
                )
            table = two_way([n for *_, n in lines], cols)
            for (sex, minor, _), counts in zip(lines, table, strict=True):
                for region_code, n in zip(contract.REGIONS, counts, strict=True):
                    if n:
                        cells.append(CensusCell(region_code, grade, sex, major, minor, n))
    minor_rank = {m: i for i, m in enumerate(contract.ETHNICITY_MINOR)}
    cells.sort(
        key=lambda c: (
            c.region_code,
            contract.GRADES.index(c.grade),
            contract.SEXES.index(c.sex),
            contract.ETHNICITY_MAJOR.index(c.major),
            -1 if c.minor is None else minor_rank[c.minor],
        )
    )
    start = 0
    for cell in cells:
        cell.start = start
        start += cell.n
    if start >= MAX_ROWS:
        raise ValueError(f"workforce {year}: {start} teachers is more than a pseudonym can number")
    return cells


def _load_census_cells(
    con: duckdb.DuckDBPyConnection, scratch: Path, year: int, cells: list[CensusCell]
) -> None:
    _load_table(
        con,
        scratch,
        "census_cells",
        "region_code VARCHAR, grade VARCHAR, sex VARCHAR, ethnicity_major VARCHAR, "
        "ethnicity_minor VARCHAR, n BIGINT, start BIGINT",
        [(c.region_code, c.grade, c.sex, c.major, c.minor, c.n, c.start) for c in cells],
    )
    # Every row of the file for the year, 'Total' meaning any, must equal the records' count.
    wrong = con.sql(
        f"""SELECT w.geographic_level, w.region_code, w.grade, w.sex, w.ethnicity_major,
               w.ethnicity_minor, w.headcount, coalesce(sum(c.n), 0) AS records
        FROM workforce w LEFT JOIN census_cells c
          ON (w.geographic_level = 'National' OR c.region_code = w.region_code)
         AND (w.grade = 'Total' OR c.grade = w.grade)
         AND (w.sex = 'Total' OR c.sex = w.sex)
         AND (w.ethnicity_major = 'Total' OR c.ethnicity_major = w.ethnicity_major)
         AND (w.ethnicity_minor = 'Total' OR c.ethnicity_minor = w.ethnicity_minor)
        WHERE w.time_period = {year}
        GROUP BY ALL HAVING coalesce(sum(c.n), 0) <> w.headcount"""
    ).fetchall()
    if wrong:
        raise ValueError(
            f"workforce {year}: {len(wrong)} rows of the file cannot be reproduced together, "
            f"e.g. {wrong[0][:-2]} holds {wrong[0][-2]}, the records {wrong[0][-1]}"
        )


# --- NPQ cells ------------------------------------------------------------------------------


@dataclass
class NpqCell:
    funded: bool
    region_code: str
    course1: str
    course2: str | None
    linkable: bool
    grade: str | None
    n: int
    p_start: int = 0  # participant number of the cell's first participant in the year
    j_start: int = 0  # number of the first linked participant within region x grade
    blk_start: int | None = None  # census rows of the region x grade: first row, count
    blk_size: int | None = None
    a: int | None = None
    b: int | None = None


def _pairs(counts: dict[str, int], pairs: int, rng: random.Random) -> dict[tuple[str, str], int]:
    """`pairs` pairs of two different courses drawn from `counts` (weighted by what is left);
    falls back to the two largest when a draw would leave no way to finish."""
    left = dict(counts)
    drawn: dict[tuple[str, str], int] = {}

    def feasible(k: int) -> bool:
        return sum(min(v, k) for v in left.values()) >= 2 * k

    if not feasible(pairs):
        raise ValueError(f"cannot form {pairs} pairs of different courses from {counts}")
    for k in range(pairs, 0, -1):
        courses = [c for c in left if left[c] > 0]
        a = rng.choices(courses, weights=[left[c] for c in courses])[0]
        others = [c for c in courses if c != a]
        b = rng.choices(others, weights=[left[c] for c in others])[0] if others else None
        if b is not None:
            left[a] -= 1
            left[b] -= 1
            if not feasible(k - 1):
                left[a] += 1
                left[b] += 1
                b = None
        if b is None:
            a, b = sorted(left, key=lambda c: (-left[c], c))[:2]
            left[a] -= 1
            left[b] -= 1
        drawn[(a, b)] = drawn.get((a, b), 0) + 1
    return drawn


def _npq_cells(
    year: int,
    parts: list[NpqPart],
    funded_share: float,
    blocks: dict[tuple[str, str], tuple[int, int]] | None,
    seed: int,
) -> list[NpqCell]:
    """Participant cells of one year; `blocks` (census rows by region x grade) when the
    year's census is written."""
    order = list(contract.NPQ_COURSES)
    cells: list[NpqCell] = []
    for part in parts:
        part_cells: list[NpqCell] = []
        courses = [c for c in order if part.course_starts.get(c, 0) > 0]
        regions = [r for r in contract.REGIONS if part.region_starts.get(r, 0) > 0]
        table = two_way(
            [part.course_starts[c] for c in courses], [part.region_starts[r] for r in regions]
        )
        for j, region_code in enumerate(regions):
            counts = {c: table[i][j] for i, c in enumerate(courses)}
            starts, unique = part.region_starts[region_code], part.region_unique[region_code]
            eligible = part.region_eligible.get(region_code, 0)
            if not 0 <= starts - unique <= unique or not 0 <= eligible <= unique:
                raise ValueError(
                    f"NPQ {year} {region_code}: {starts} starts, {unique} participants and "
                    f"{eligible} SWC-matched do not fit one or two courses per participant"
                )
            rng = random.Random(f"{GENERATOR}:{year}:{part.funded}:{region_code}:pairs")
            pairs = _pairs(counts, starts - unique, rng)
            groups: dict[tuple[str, str | None], int] = {}
            for (a, b), n in pairs.items():
                groups[(a, b)] = n
                counts[a] -= n
                counts[b] -= n
            for c in courses:
                if counts[c]:
                    groups[(c, None)] = counts[c]
            keys = sorted(groups, key=lambda g: (order.index(g[0]), g[1] or ""))
            linked = apportion(
                eligible,
                [groups[g] * part.course_link_rate.get(g[0], 1.0) for g in keys],
                [groups[g] for g in keys],
            )
            for (c1, c2), n_linked in zip(keys, linked, strict=True):
                by_grade = apportion(n_linked, list(GRADE_MIX[c1]))
                for grade, n in zip(contract.GRADES, by_grade, strict=True):
                    if n:
                        part_cells.append(
                            NpqCell(bool(part.funded), region_code, c1, c2, True, grade, n)
                        )
                if groups[(c1, c2)] > n_linked:
                    n = groups[(c1, c2)] - n_linked
                    part_cells.append(
                        NpqCell(bool(part.funded), region_code, c1, c2, False, None, n)
                    )
        if part.funded is None:  # the funding rules, per participant group
            split = []
            for cell in part_cells:
                share = funded_share
                if year >= TARGETED_FUNDING_FROM and cell.course1 not in FUNDED_FOR_ALL_SCHOOLS:
                    share /= 2
                funded = _round_half_up(cell.n * share)
                if funded:
                    split.append(NpqCell(**{**cell.__dict__, "funded": True, "n": funded}))
                if cell.n - funded:
                    split.append(
                        NpqCell(**{**cell.__dict__, "funded": False, "n": cell.n - funded})
                    )
            part_cells = split
        cells += part_cells
    if blocks is not None:
        _fit_capacity(year, cells, blocks)
    cells.sort(
        key=lambda c: (
            c.region_code,
            not c.funded,
            order.index(c.course1),
            c.course2 or "",
            not c.linkable,
            contract.GRADES.index(c.grade) if c.grade else 9,
        )
    )
    p_start = 0
    j_next: dict[tuple[str, str], int] = {}
    for cell in cells:
        cell.p_start = p_start
        p_start += cell.n
        if cell.linkable and blocks is not None:
            key = (cell.region_code, cell.grade)
            cell.j_start = j_next.get(key, 0)
            j_next[key] = cell.j_start + cell.n
            cell.blk_start, cell.blk_size = blocks[key]
            cell.a, cell.b = _affine(blocks[key][1], seed, year, key)
    if p_start >= MAX_ROWS:
        raise ValueError(f"NPQ {year}: {p_start} participants is more than a pseudonym can number")
    return cells


def _fit_capacity(
    year: int, cells: list[NpqCell], blocks: dict[tuple[str, str], tuple[int, int]]
) -> None:
    """Move linked participants of a region x grade with fewer teachers than participants to
    the region's grade with most teachers to spare (does not happen with the default data)."""
    need: dict[tuple[str, str], int] = {}
    for cell in cells:
        if cell.linkable:
            need[(cell.region_code, cell.grade)] = (
                need.get((cell.region_code, cell.grade), 0) + cell.n
            )
    for (region_code, grade), n in sorted(need.items()):
        excess = n - blocks.get((region_code, grade), (0, 0))[1]
        for cell in list(reversed(cells)):  # a snapshot: moved cells are appended
            if excess <= 0:
                break
            if not cell.linkable or (cell.region_code, cell.grade) != (region_code, grade):
                continue
            spare = {
                g: blocks.get((region_code, g), (0, 0))[1] - need.get((region_code, g), 0)
                for g in contract.GRADES
                if g != grade
            }
            target = max(spare, key=lambda g: (spare[g], g))
            moved = min(excess, cell.n, spare[target])
            if moved <= 0:
                raise ValueError(
                    f"NPQ {year} {region_code}: more linked participants than teachers"
                )
            cell.n -= moved
            cells.append(NpqCell(**{**cell.__dict__, "grade": target, "n": moved}))
            need[(region_code, grade)] -= moved
            need[(region_code, target)] = need.get((region_code, target), 0) + moved
            excess -= moved
        if excess > 0:
            raise ValueError(f"NPQ {year} {region_code}: more linked participants than teachers")
    cells[:] = [c for c in cells if c.n > 0]


def _affine(size: int, seed: int, year: int, key: tuple[str, str]) -> tuple[int, int]:
    """j -> (a * j + b) mod size, a permutation of the block's rows that spreads neighbours."""
    a = max(1, round(size * GOLDEN))
    while math.gcd(a, size) != 1:
        a += 1
    b = random.Random(f"{seed}:{year}:{key[0]}:{key[1]}:link").randrange(size)
    return a, b


def _load_npq_cells(con: duckdb.DuckDBPyConnection, scratch: Path, cells: list[NpqCell]) -> None:
    _load_table(
        con,
        scratch,
        "npq_cells",
        "funded BOOLEAN, region_code VARCHAR, course1 VARCHAR, course2 VARCHAR, "
        "linkable BOOLEAN, n BIGINT, p_start BIGINT, j_start BIGINT, blk_start BIGINT, "
        "blk_size BIGINT, a BIGINT, b BIGINT",
        [
            (
                c.funded,
                c.region_code,
                c.course1,
                c.course2,
                c.linkable,
                c.n,
                c.p_start,
                c.j_start,
                c.blk_start,
                c.blk_size,
                c.a,
                c.b,
            )
            for c in cells
        ],
    )


def _load_table(
    con: duckdb.DuckDBPyConnection, scratch: Path, name: str, columns: str, rows: list[tuple]
) -> None:
    """A small temporary table of cells (hundreds of rows), through a CSV in `scratch`."""
    path = scratch / f"{name}.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)  # None -> '' -> NULL (no value here is an empty text)
    spec = ", ".join(f"'{n}': '{t}'" for n, t in (c.split() for c in columns.split(", ")))
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM read_csv({_sql_path(path)}, "
        f"header = false, nullstr = '', columns = {{{spec}}})"
    )
    path.unlink()


# --- writing --------------------------------------------------------------------------------


def _connect(temp_dir: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    con.execute(f"SET threads = {THREADS}")
    con.execute(f"SET temp_directory = {_sql_path(temp_dir)}")
    con.execute("SET enable_progress_bar = false")
    con.execute("SET preserve_insertion_order = true")
    return con


def _copy(con: duckdb.DuckDBPyConnection, query: str, target: Path) -> int:
    """Write `query` to `target` as Parquet through a temporary name; return its rows."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        rows = con.execute(
            f"COPY ({query}) TO {_sql_path(partial)} (FORMAT parquet, COMPRESSION zstd)"
        ).fetchall()[0][0]
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return rows


def _census_query(year: int, replicates: int, keys: list[int]) -> str:
    base = _counter_base(KIND_TEACHER, year)
    source = f"""
        SELECT e.*, ({base}::UBIGINT | (t.rep::UBIGINT << 36) | e.row::UBIGINT) AS ctr
        FROM (SELECT region_code, grade, sex, ethnicity_major, ethnicity_minor,
                     unnest(range(start, start + n)) AS row FROM census_cells) e
        CROSS JOIN range({replicates}) t(rep)"""
    return f"""SELECT {_ref("T", "h")} AS teacher_ref, CAST({year} AS INTEGER) AS time_period,
        grade, sex, ethnicity_major, ethnicity_minor, region_code
        FROM ({_feistel(source, "ctr", keys, "h")}) ORDER BY h"""


def _npq_query(year: int, replicates: int, keys: list[int]) -> str:
    rep = "(t.rep::UBIGINT << 36)"
    p_base = _counter_base(KIND_PARTICIPANT, year)
    t_base = _counter_base(KIND_TEACHER, year)
    u_base = _counter_base(KIND_UNLINKED_TEACHER, year)
    source = f"""
        SELECT e.funded, e.region_code, e.course1, e.course2,
            {p_base}::UBIGINT | {rep} | (e.p_start + e.i)::UBIGINT AS pctr,
            CASE WHEN NOT e.linkable THEN NULL
                 WHEN e.blk_size IS NULL
                     THEN {u_base}::UBIGINT | {rep} | (e.p_start + e.i)::UBIGINT
                 ELSE {t_base}::UBIGINT | {rep}
                     | (e.blk_start + (e.a * (e.j_start + e.i) + e.b) % e.blk_size)::UBIGINT
            END AS tctr
        FROM (SELECT *, unnest(range(n)) AS i FROM npq_cells) e
        CROSS JOIN range({replicates}) t(rep)"""
    hashed = _feistel(_feistel(source, "pctr", keys, "ph"), "tctr", keys, "th")
    return f"""SELECT participant_ref, teacher_ref, time_period, course_code, funded, region_code
        FROM (SELECT {_ref("P", "ph")} AS participant_ref, {_ref("T", "th")} AS teacher_ref,
                     CAST({year} AS INTEGER) AS time_period, funded, region_code, ph,
                     unnest(CASE WHEN course2 IS NULL THEN [course1]
                                 ELSE [course1, course2] END) AS course_code
              FROM ({hashed}))
        ORDER BY ph, course_code"""


def _existing_files(records_dir: Path) -> dict[str, dict[int, Path]]:
    found: dict[str, dict[int, Path]] = {}
    for collection in contract.COLLECTIONS:
        folder = records_dir / collection
        found[collection] = (
            {int(p.stem): p for p in sorted(folder.glob("*.parquet")) if p.stem.isdigit()}
            if folder.exists()
            else {}
        )
    return found


def _write_manifest(records_dir: Path, manifest: dict) -> None:
    target = records_dir / MANIFEST
    partial = target.with_name(f".{MANIFEST}.{os.getpid()}.partial")
    partial.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, target)


def _check_scale(scale: int) -> int:
    """Replicates per census year for an allowed scale; ValueError otherwise."""
    if isinstance(scale, bool) or not isinstance(scale, int):
        raise ValueError(f"scale must be a whole number, got {scale!r}")
    if 1 <= scale <= MAX_CENSUS_YEARS:
        return 1
    if scale > MAX_CENSUS_YEARS and scale % MAX_CENSUS_YEARS == 0:
        if scale // MAX_CENSUS_YEARS >= MAX_REPLICATES:
            raise ValueError(f"scale {scale} is too large (at most {10 * (MAX_REPLICATES - 1)})")
        return scale // MAX_CENSUS_YEARS
    raise ValueError(
        f"scale {scale} is not allowed: use 1 to 10 (census years) or a multiple of 10 above "
        "10 (ten census years, each replicated scale/10 times)"
    )


def generate(
    records_dir: Path, scale: int, seed: int = DEFAULT_SEED, *, raw_root: Path | None = None
) -> dict:
    """Write synthetic teacher_census and npq_participants files and `manifest.json` into
    `records_dir` (which must hold no record files yet); return the manifest."""
    replicates = _check_scale(scale)
    records_dir = Path(records_dir)
    raw_root = Path(raw_root) if raw_root is not None else paths.raw_dir()
    present = _existing_files(records_dir)
    if any(present.values()):
        raise FileExistsError(
            f"{records_dir} already holds record files: files are never rewritten, "
            "generate into an empty folder"
        )
    sources = {
        "workforce": _csv(raw_root, WORKFORCE_DATASET),
        "npq_breakdowns": _csv(raw_root, BREAKDOWNS_DATASET),
        "npq_official": _csv(raw_root, OFFICIAL_DATASET),
    }
    keys = _round_keys(seed)
    records_dir.mkdir(parents=True, exist_ok=True)
    temp_dir = Path(tempfile.mkdtemp(prefix=".synthetic-", dir=records_dir))
    files: dict[str, int] = {}
    try:
        with _connect(temp_dir) as con:
            _read_workforce(con, sources["workforce"])
            census_years = [
                r[0]
                for r in con.sql(
                    "SELECT DISTINCT time_period FROM workforce ORDER BY 1 DESC"
                ).fetchall()
            ][: min(scale, MAX_CENSUS_YEARS)]
            if len(census_years) < min(scale, MAX_CENSUS_YEARS):
                raise ValueError(
                    f"scale {scale} needs {min(scale, MAX_CENSUS_YEARS)} census years; "
                    f"{sources['workforce']} has {len(census_years)}"
                )
            npq_years, totals = _npq_figures(
                con, sources["npq_official"], sources["npq_breakdowns"]
            )
            blocks_by_year: dict[int, dict[tuple[str, str], tuple[int, int]]] = {}
            for year in sorted(census_years):
                cells = _census_cells(con, year)
                _load_census_cells(con, temp_dir, year, cells)
                blocks: dict[tuple[str, str], tuple[int, int]] = {}
                for c in cells:
                    start, size = blocks.get((c.region_code, c.grade), (c.start, 0))
                    blocks[(c.region_code, c.grade)] = (start, size + c.n)
                blocks_by_year[year] = blocks
                expected = sum(c.n for c in cells) * replicates
                path = records_dir / CENSUS / contract.file_name(year)
                rows = _copy(con, _census_query(year, replicates, keys), path)
                if rows != expected:
                    raise RuntimeError(f"{path}: wrote {rows} rows, expected {expected}")
                files[f"{CENSUS}/{path.name}"] = rows
            for year, parts in npq_years.items():
                cells = _npq_cells(
                    year, parts, _funded_share(totals, year), blocks_by_year.get(year), seed
                )
                _load_npq_cells(con, temp_dir, cells)
                expected = sum(c.n * (2 if c.course2 else 1) for c in cells) * replicates
                path = records_dir / NPQ / contract.file_name(year)
                rows = _copy(con, _npq_query(year, replicates, keys), path)
                if rows != expected:
                    raise RuntimeError(f"{path}: wrote {rows} rows, expected {expected}")
                files[f"{NPQ}/{path.name}"] = rows
    except BaseException:
        for relative in files:  # no half-written set of years is left behind
            (records_dir / relative).unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(temp_dir, ignore_errors=True)
    manifest = {
        "provenance": "synthetic",
        "generator": GENERATOR,
        "seed": seed,
        "scale": scale,
        "replicates": replicates,
        "census_years": sorted(census_years),
        "npq_years": sorted(npq_years),
        "description": "SYNTHETIC RECORDS, NOT REAL PEOPLE: seeded, aggregating exactly to "
        "the embedded default aggregates (see pipelines/records/synthetic.py)",
        "sources": {
            name: str(path.relative_to(raw_root)) if path.is_relative_to(raw_root) else str(path)
            for name, path in sources.items()
        },
        "files": dict(sorted(files.items())),
    }
    _write_manifest(records_dir, manifest)
    return manifest


def _check_time_period(time_period: int) -> None:
    if (
        isinstance(time_period, bool)
        or not isinstance(time_period, int)
        or not 100000 <= time_period <= 999999
        or time_period % 100 != (time_period // 100 + 1) % 100
    ):
        raise ValueError(f"time_period {time_period!r} is not an academic year like 202526")


def add_year(records_dir: Path, time_period: int, seed: int = DEFAULT_SEED) -> list[Path]:
    """Write teacher_census and npq_participants files for `time_period`, drawn like the
    latest year present: the same rows with new pseudonyms (deterministic from seed and
    time_period), NPQ records linked to the new census where the latest NPQ year was linked to
    its census. Updates the manifest; returns the files written."""
    _check_time_period(time_period)
    records_dir = Path(records_dir)
    manifest_path = records_dir / MANIFEST
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    if manifest.get("provenance") != "synthetic":
        raise ValueError(f"{records_dir} is not a synthetic records folder made by generate()")
    present = _existing_files(records_dir)
    if any(time_period in files for files in present.values()):
        raise FileExistsError(f"{records_dir} already has files for {time_period}")
    if not present[CENSUS] and not present[NPQ]:
        raise ValueError(f"{records_dir} holds no year to draw {time_period} like")
    keys = _round_keys(seed)
    written: list[Path] = []
    drawn_like: dict[str, int] = {}
    temp_dir = Path(tempfile.mkdtemp(prefix=".synthetic-", dir=records_dir))
    try:
        with _connect(temp_dir) as con:
            census_source = None
            if present[CENSUS]:
                latest = max(present[CENSUS])
                drawn_like[CENSUS] = latest
                census_source = _sql_path(present[CENSUS][latest])
                con.execute(
                    "CREATE TEMP TABLE teacher_map AS SELECT teacher_ref AS old_ref, "
                    f"{_counter_base(KIND_TEACHER, time_period)}::UBIGINT "
                    "| (row_number() OVER (ORDER BY teacher_ref) - 1)::UBIGINT AS ctr "
                    f"FROM read_parquet({census_source})"
                )
                renamed = _feistel(
                    f"SELECT c.*, m.ctr FROM read_parquet({census_source}) c "
                    "JOIN teacher_map m ON m.old_ref = c.teacher_ref",
                    "ctr",
                    keys,
                    "h",
                )
                query = f"""SELECT {_ref("T", "h")} AS teacher_ref,
                    CAST({time_period} AS INTEGER) AS time_period, grade, sex,
                    ethnicity_major, ethnicity_minor, region_code
                    FROM ({renamed}) ORDER BY h"""
                path = records_dir / CENSUS / contract.file_name(time_period)
                manifest["files"][f"{CENSUS}/{path.name}"] = _copy(con, query, path)
                written.append(path)
            if present[NPQ]:
                latest = max(present[NPQ])
                drawn_like[NPQ] = latest
                linked = drawn_like.get(CENSUS) == latest
                source = _sql_path(present[NPQ][latest])
                p_base = _counter_base(KIND_PARTICIPANT, time_period)
                u_base = _counter_base(KIND_UNLINKED_TEACHER, time_period)
                mapped = "m.ctr" if linked else "NULL::UBIGINT"
                join = "LEFT JOIN teacher_map m ON m.old_ref = n.teacher_ref" if linked else ""
                inner = f"""SELECT n.course_code, n.funded, n.region_code,
                    {p_base}::UBIGINT | (dense_rank() OVER (ORDER BY n.participant_ref)
                        - 1)::UBIGINT AS pctr,
                    CASE WHEN n.teacher_ref IS NULL THEN NULL
                         ELSE coalesce({mapped}, {u_base}::UBIGINT
                             | (dense_rank() OVER (ORDER BY n.teacher_ref) - 1)::UBIGINT)
                    END AS tctr
                    FROM read_parquet({source}) n {join}"""
                hashed = _feistel(_feistel(inner, "pctr", keys, "ph"), "tctr", keys, "th")
                query = f"""SELECT {_ref("P", "ph")} AS participant_ref,
                    {_ref("T", "th")} AS teacher_ref,
                    CAST({time_period} AS INTEGER) AS time_period, course_code, funded,
                    region_code FROM ({hashed}) ORDER BY ph, course_code"""
                path = records_dir / NPQ / contract.file_name(time_period)
                manifest["files"][f"{NPQ}/{path.name}"] = _copy(con, query, path)
                written.append(path)
    except BaseException:
        for path in written:  # the new year is added whole or not at all
            path.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(temp_dir, ignore_errors=True)
    manifest["files"] = dict(sorted(manifest["files"].items()))
    manifest.setdefault("added_years", []).append(
        {"time_period": time_period, "seed": seed, "drawn_like": drawn_like}
    )
    _write_manifest(records_dir, manifest)
    return written
