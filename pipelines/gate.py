"""The EES ingest gate: the consumer-relevant rules of the EES open-data file standard.

`screen(data, meta)` reads a data file with `pipelines.ees.read_ees_csv` and returns every
`Finding` (an error or a warning naming rule, file, row and column); `accept` raises an
`InputError` for the first error, so a file that breaks the standard never reaches staging.
Sources for every rule: ../shared/reference/EES.md part B (the analysts' guide and DfE's
screener, eesyscreener).

Data file rules (`Finding.rule`):

* reader rules (`encoding`, `csv`, `row_width`, `header`, ...): raised by `read_ees_csv`.
* `required_columns`, `column_name`, `empty_column`: the five mandatory columns; no spaces in
  column names (a name that is not snake_case is a warning); an all-blank column is a warning.
  Every column name is taken literally (`pipelines.ees.col`): `*` or `^...$` is a column.
* `time_period`, `time_identifier`, `time_identifier_mix`: 4 or 6 digits (6 = consecutive
  years), a known identifier that fits the period length, one identifier group per file.
* `geographic_level`: a known level; School and Provider rows not mixed.
  `geography_ignored_rows` (warning): School, Provider, Institution or Planning area rows beside
  other levels (the table tool ignores them).
* `geography_columns`, `geography_completed`, `geography_overcompleted`: per level present,
  its code/name columns (and its parents') exist and are filled; other levels' columns blank.
* `geography_code`, `geography_country`, `geography_unknown`, `geography_consistency`,
  `observational_total`, `geography_code_length` (warning): codes have the shape of codes
  (other location codes at most 30 characters), countries come from the standard list, `x`
  goes with "Not available", within a period and level a code has one name and a name one
  code (a school, provider or institution code one name, a URN one LAESTAB: warnings), and no
  location is called Total or All.
* `indicator_values`: a number or a current GSS symbol (c, x, z, u, low, k); legacy symbols,
  null-likes and blanks are errors. `symbol_convention` (warning): a file from before EES
  reads `x` as a suppressed small count, and says so (pipelines.transforms.ees).
* `filter_values` (no blank or padded items; group items not variants of one another),
  `filter_default` (warning: no Total / declared default item).
* `duplicate_rows`: one row per time + geography + filters.

Meta file rules: `meta_columns`, `meta_col_name`, `meta_col_type`, `meta_label`,
`meta_indicator_unit`, `meta_indicator_dp`, `meta_<field>` (field set on the wrong col_type),
`meta_to_data`, `data_to_meta` (a warning when the undescribed column is constant or an
attribute of the location), `meta_observational`, `meta_filter_grouping_column`,
`meta_parent_filter`, and `meta_missing` (`screen_pair`).

Accepted departures (`ACCEPTED_DEPARTURES`): a few real published files break a rule of the
standard in a way that does not change what their rows mean. Each is listed by the sha256 of
its exact bytes with the rule, the columns and why; `screen` reports those findings as warnings
saying so. Any other file, or the same file with one byte changed, meets the rule in full.

Without a meta file the gate must guess what is an indicator: a column that is neither time
nor geography, holds no Total/All item, and where most non-blank cells are numbers (plain,
or printed as 37,440) or GSS symbols, or every non-blank cell is a symbol, current or legacy
(a column entirely suppressed) (`_guess_indicators`). Everything else is a filter. A
numeric filter taken for an indicator still passes the indicator check; a text filter is
never taken for one.

Every check on data rows is a Polars expression over whole columns; Python only loops over
columns, levels and the (small) meta file.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import polars as pl

from pipelines.ees import ROW_NUMBER, col, read_ees_csv
from pipelines.errors import InputError
from pipelines.transforms.ees import _NUMBER, EES_SYMBOLS, SYMBOL_STATUS, symbol_convention

Severity = Literal["error", "warning"]
ERROR: Severity = "error"
WARNING: Severity = "warning"


@dataclass(frozen=True)
class Finding:
    """One broken rule: where (file, row as a spreadsheet shows it, column) and why."""

    rule: str
    severity: Severity
    file: str
    row: int | None
    column: str | None
    message: str

    def describe(self) -> str:
        """One line naming severity, rule, file, row and column."""
        row = "-" if self.row is None else str(self.row)
        column = "-" if self.column is None else repr(self.column)
        return (
            f"{self.severity.upper()} [{self.rule}] {self.file} row {row} column {column}: "
            f"{self.message}"
        )

    def to_error(self) -> InputError:
        return InputError(self.file, self.message, row=self.row, column=self.column, rule=self.rule)


# --------------------------------------------------------------------------------------------
# The standard, as data
# --------------------------------------------------------------------------------------------

REQUIRED_COLUMNS = (
    "time_period",
    "time_identifier",
    "geographic_level",
    "country_code",
    "country_name",
)
TIME_COLUMNS = ("time_period", "time_identifier")
SNAKE_CASE = r"[a-z][a-z0-9_]*"

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")  # fmt: skip
_WEEKS = tuple(f"Week {n}" for n in range(1, 53))
_TERMS = ("Autumn term", "Spring term", "Summer term")
_FINANCIAL_QUARTERS = tuple(f"Financial year Q{n}" for n in range(1, 5))
_FINANCIAL_HALVES = ("Part 1 (April to September)", "Part 2 (October to March)")

# Identifiers that may share a file (eesyscreener acceptable_time_ids): one group per file.
TIME_IDENTIFIER_GROUPS: tuple[tuple[str, ...], ...] = (
    ("Autumn and spring term",), ("Calendar year",), ("Financial year",), ("Academic year",),
    ("Tax year",), ("Reporting year",), _TERMS, _WEEKS, _MONTHS, _FINANCIAL_QUARTERS,
    _FINANCIAL_HALVES,
)  # fmt: skip
FOUR_DIGIT_IDENTIFIERS = frozenset(("Calendar year", "Reporting year", *_WEEKS, *_MONTHS))
SIX_DIGIT_IDENTIFIERS = frozenset(
    i for group in TIME_IDENTIFIER_GROUPS for i in group if i not in FOUR_DIGIT_IDENTIFIERS
)

# Current GSS symbols (analysts' guide "Data symbols"); anything else that is not a number fails.
CURRENT_SYMBOLS = ("c", "x", "z", "u", "low", "k")
LEGACY_SYMBOLS = tuple(s for s in SYMBOL_STATUS if s not in CURRENT_SYMBOLS)
# A number formatted for print (37,440): not a number in an open-data file, but a sign that
# the column holds numbers.
FORMATTED_NUMBER = r"^-?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?$"
UNKNOWN_CODES = ("x", "z")  # x: location not available; z: a non-standard grouping
NOT_AVAILABLE = "Not available"
TOTALS = ("Total", "total", "All", "all")

# The standard's country list (screener app data/country.csv, universal_geog_options.csv).
COUNTRIES = {
    "E92000001": "England",
    "K02000001": "United Kingdom",
    "K03000001": "Great Britain",
    "K04000001": "England and Wales",
    "N92000002": "Northern Ireland",
    "S92000003": "Scotland",
    "W92000004": "Wales",
}
Z_COUNTRY_NAMES = (
    "England, Wales and Northern Ireland",
    "Outside of England and unknown",
    "Outside of the United Kingdom and unknown",
    "Outside of England",
    "Outside of the United Kingdom",
    "Not applicable",
    "Unknown",
)


@dataclass(frozen=True)
class Level:
    """A geographic level's own columns, and the parent columns its rows carry."""

    name: str
    code: str | None = None
    secondary: str | None = None
    parents_filled: tuple[str, ...] = ()  # must exist and be filled on this level's rows
    parents_present: tuple[str, ...] = ()  # must exist (may be blank)

    @property
    def own(self) -> tuple[str, ...]:
        return tuple(c for c in (self.code, self.name, self.secondary) if c)


_REGION = ("region_code", "region_name")
_LA = ("old_la_code", "new_la_code", "la_name")

# eesyscreener data-raw/geography_df.R; analysts' guide "Allowable geographic levels".
LEVELS: dict[str, Level] = {
    "National": Level("country_name", "country_code"),
    "Regional": Level("region_name", "region_code"),
    "Local authority": Level("la_name", "new_la_code", "old_la_code", parents_filled=_REGION),
    "Local authority district": Level("lad_name", "lad_code", parents_filled=_REGION),
    "RSC region": Level("rsc_region_lead_name"),
    "Parliamentary constituency": Level("pcon_name", "pcon_code"),
    "Local skills improvement plan area": Level("lsip_name", "lsip_code"),
    "Local enterprise partnership": Level(
        "local_enterprise_partnership_name", "local_enterprise_partnership_code"
    ),
    "English devolved area": Level("english_devolved_area_name", "english_devolved_area_code"),
    "Opportunity area": Level("opportunity_area_name", "opportunity_area_code"),
    "Ward": Level("ward_name", "ward_code"),
    "MAT": Level("trust_name", "trust_id"),
    "Sponsor": Level("sponsor_name", "sponsor_id"),
    "School": Level("school_name", "school_urn", "school_laestab", parents_present=_REGION + _LA),
    "Provider": Level("provider_name", "provider_ukprn"),
    "Institution": Level("institution_name", "institution_id"),
    "Planning area": Level("planning_area_name", "planning_area_code"),
    "Police force area": Level("pfa_name", "pfa_code"),
}
GEOGRAPHY_COLUMNS = frozenset(c for level in LEVELS.values() for c in level.own)
OBSERVATIONAL_COLUMNS = frozenset((*TIME_COLUMNS, "geographic_level", *GEOGRAPHY_COLUMNS))
# School or provider names may be a file's only filter (a label column on every row).
UNIT_NAME_COLUMNS = frozenset(("school_name", "provider_name"))
# Meta filter names that look like a location column (eesyscreener check_meta_geog_catch).
LOCATION_LIKE = (
    r"(?i)(^(sch|prov|inst|estab|reg|la|local|rsc|pfa|pcon|lep|mca|oa|ward|mat)"
    r".*(name|code|urn|ukprn|number|upin|id)$)"
    r"|(^(laestab|estab|sch|school|schools|prov|provider|providers|inst|institution|"
    r"institutions|name|code|urn|ukprn|number|upin|id|region|la|lad|rsc|pcon|lep|mca|oa|ward|"
    r"mat)$)"
)

# Rows at these levels are individual units: their names and codes change over time.
UNIT_LEVELS = ("School", "Provider", "Institution")
# Levels whose names repeat across the country (many wards are called "Abbey").
SHARED_NAME_LEVELS = ("Ward",)
# Rows the EES table tool ignores when other levels share the file (check_geog_ignored_rows).
IGNORED_LEVELS = (*UNIT_LEVELS, "Planning area")
# Location codes: at most 30 characters (eesyscreener char_limits, API data standards).
LOCATION_CODE_COLUMNS = frozenset(
    c for level in LEVELS.values() for c in (level.code, level.secondary) if c
)
MAX_CODE_LENGTH = 30
# Which levels' rows may carry a level's columns (eesyscreener check_geog_overcompleted_cols).
_LOW = (*UNIT_LEVELS, "Planning area")
COMPATIBLE_LEVELS: dict[str, tuple[str, ...]] = {
    "Regional": ("Regional", "Local skills improvement plan area", "Local authority",
                 "Local enterprise partnership", "Opportunity area", "Local authority district",
                 "Parliamentary constituency", "English devolved area", "Ward", *_LOW,
                 "Police force area"),
    "Local authority": ("Local authority", "Parliamentary constituency",
                        "Local authority district", "Ward", *_LOW, "Police force area"),
    "Local authority district": ("Local authority district", "Ward", *UNIT_LEVELS,
                                 "Police force area"),
    "Local skills improvement plan area": ("Local skills improvement plan area",
                                           "Local authority district", *_LOW),
    **{level: (level, *UNIT_LEVELS) for level in (
        "RSC region", "Parliamentary constituency", "Local enterprise partnership",
        "English devolved area", "Opportunity area", "Ward", "MAT", "Sponsor", "Planning area",
        "Police force area")},
    **{level: (level,) for level in UNIT_LEVELS},
}  # fmt: skip

# Code shapes: GSS codes are a letter and 8 digits; DfE identifiers are digits.
_GSS = r"^[EKNSW][0-9]{8}$"
CODE_PATTERNS: dict[str, str] = {
    "region_code": r"^E1[23][0-9]{6}$",  # E12 regions; E13 Inner and Outer London
    "new_la_code": _GSS,
    "old_la_code": r"^[0-9]{3}$",
    "lad_code": _GSS,
    "pcon_code": _GSS,
    "ward_code": _GSS,
    "lsip_code": _GSS,
    "local_enterprise_partnership_code": _GSS,
    "pfa_code": _GSS,
    "school_urn": r"^[0-9]{6}$",
    "school_laestab": r"^[0-9]{7}$",
    "provider_ukprn": r"^[0-9]{8}$",
}

META_REQUIRED = ("col_name", "col_type", "label", "indicator_grouping", "indicator_unit",
                 "indicator_dp", "filter_hint", "filter_grouping_column")  # fmt: skip
META_OPTIONAL = ("filter_default", "parent_filter")
COL_TYPES = ("Filter", "Indicator")
INDICATOR_UNITS = ("%", "pp", "£", "£m", "numberstring")
# Meta cells that only make sense for one col_type (must be blank for the other).
INDICATOR_ONLY = ("indicator_grouping", "indicator_unit", "indicator_dp")
FILTER_ONLY = ("filter_hint", "filter_grouping_column", "filter_default")


@dataclass(frozen=True)
class Departure:
    """One rule of the standard that one published file breaks, accepted for that file only."""

    file: str  # the file's name, for the reader; the sha256 key is what identifies it
    rule: str
    columns: tuple[str, ...]
    why: str


_ECF_REGION = (
    "the standard (EES.md B2; screener check_geog_region_for) wants LA rows to fill their "
    "region. DfE published these LA rows without it; each LA's own code and name are filled, "
    "so no row is ambiguous, and the regional rows are published separately. Staging keeps "
    "region blank on LA rows"
)
# sha256 of the exact published bytes -> the departures accepted for that file. Embedded
# copies: data/raw/ees/ecf_participants, ecf_mentors, ks4_national_char (see their manifests).
ACCEPTED_DEPARTURES: dict[str, tuple[Departure, ...]] = {
    "f625957036785f9dcf82df86a53f1632aeedf742869e6d0e2d640e7b801c78ed": (
        Departure(
            "teacher_leader_development_ecf_2024_25.csv",
            "geography_completed",
            ("region_code", "region_name"),
            _ECF_REGION,
        ),
    ),
    "0e60ecc02175bcab21ee04bff31cd9bfd2076b004d5660831771e02c3d4ab8d9": (
        Departure(
            "teacher_leader_development_ecf_mentor_2024_25.csv",
            "geography_completed",
            ("region_code", "region_name"),
            _ECF_REGION,
        ),
    ),
    "ee625dae42d892af68c8d6218a4b1fe2a44dd6d14ebaecfb8c6c3beac34b15a8": (
        Departure(
            "202324_national_char_data_revised.csv.gz",
            "data_to_meta",
            ("breakdown",),
            "the standard (EES.md B6) wants every data column in the meta file. `breakdown` "
            "is not, yet it only names the pupil characteristic a row is broken down by (it "
            "adds no split of its own: the rows are unique without it); staging reads it as "
            "a filter",
        ),
    ),
}


def _file_sha256(path: str | Path) -> str | None:
    path = Path(path)
    if not path.is_file():
        return None
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _apply_departures(data_path: str | Path, findings: list[Finding]) -> list[Finding]:
    """Findings with this file's accepted departures (if any) turned into warnings."""
    if not any(f.severity == ERROR for f in findings):
        return findings
    departures = ACCEPTED_DEPARTURES.get(_file_sha256(data_path) or "", ())
    accepted = {(d.rule, column): d for d in departures for column in d.columns}
    out = []
    for f in findings:
        match = accepted.get((f.rule, f.column)) if f.severity == ERROR else None
        if match is not None:
            message = (
                f"{f.message}; accepted for this file only (pipelines/gate.py "
                f"ACCEPTED_DEPARTURES): {match.why}"
            )
            f = Finding(f.rule, WARNING, f.file, f.row, f.column, message)
        out.append(f)
    return out


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def screen(
    data_path: str | Path, meta_path: str | Path | None = None, frame: pl.DataFrame | None = None
) -> list[Finding]:
    """Every finding for one data file (and its meta file, if given), errors and warnings.

    Pass `frame` (from `read_ees_csv`) when the file has already been read, to read it once.
    """
    file = str(data_path)
    if frame is None:
        try:
            frame = read_ees_csv(data_path)
        except InputError as err:
            return [Finding(err.rule, ERROR, err.file, err.row, err.column, err.detail)]
    columns = [c for c in frame.columns if c != ROW_NUMBER]
    findings = _check_columns(file, columns)
    if any(f.rule == "required_columns" for f in findings):
        return findings

    meta: Meta | None = None
    if meta_path is not None:
        meta, meta_findings = _read_meta(meta_path)
        findings += meta_findings
    layout = _layout(frame, columns, meta)
    if meta is not None:
        findings += _check_meta(meta)
        findings += _check_meta_against_data(meta, frame, layout, file)
    findings += _check_empty_columns(file, frame, columns)
    findings += _check_time(file, frame)
    findings += _check_geography(file, frame, layout)
    findings += _check_indicators(file, frame, layout.indicators)
    findings += _report_symbol_convention(file, frame, layout.indicators)
    findings += _check_filters(file, frame, layout, meta)
    findings += _check_duplicates(file, frame, layout)
    return _apply_departures(data_path, findings)


def screen_meta(meta_path: str | Path) -> list[Finding]:
    """The findings a meta file earns on its own (no data file to compare it with)."""
    meta, findings = _read_meta(meta_path)
    return findings if meta is None else findings + _check_meta(meta)


def meta_path_for(data_path: str | Path) -> Path | None:
    """The meta file beside a data file: x.csv -> x.meta.csv; data.csv(.gz) -> meta.csv."""
    path = Path(data_path)
    candidates = [path.with_name("meta.csv")] if path.name.startswith("data.csv") else []
    for suffix in (".csv.gz", ".csv"):
        if path.name.endswith(suffix):
            stem = path.name[: -len(suffix)]
            candidates += [path.with_name(f"{stem}.meta.csv")]
            break
    return next((c for c in candidates if c.is_file()), None)


def screen_pair(data_path: str | Path, require_meta: bool = False) -> list[Finding]:
    """Screen a data file with the meta file found beside it (`meta_path_for`).

    A missing meta file is a warning (the gate then guesses the indicators), or an error with
    `require_meta`, as for an upload to EES, where every data file needs one.
    """
    meta = meta_path_for(data_path)
    findings = screen(data_path, meta)
    if meta is None:
        missing = Finding(
            "meta_missing",
            ERROR if require_meta else WARNING,
            str(data_path),
            None,
            None,
            "has no meta file beside it (name.meta.csv, or meta.csv beside data.csv.gz)",
        )
        findings.insert(0, missing)
    return findings


def accept(
    data_path: str | Path, meta_path: str | Path | None = None, frame: pl.DataFrame | None = None
) -> list[Finding]:
    """Raise InputError for the first error finding; return the warnings when there is none."""
    findings = screen(data_path, meta_path, frame)
    for finding in findings:
        if finding.severity == ERROR:
            raise finding.to_error()
    return findings


def errors(findings: Iterable[Finding]) -> list[Finding]:
    """The error findings, in order."""
    return [f for f in findings if f.severity == ERROR]


# --------------------------------------------------------------------------------------------
# Vectorised scans
# --------------------------------------------------------------------------------------------


def _text(column: str) -> pl.Expr:
    return col(column).str.strip_chars()


@dataclass(frozen=True)
class _Hit:
    count: int
    row: int
    value: str | None


# A named check: (mask of bad rows, value shown for the first bad row).
Masks = dict[str, tuple[pl.Expr, pl.Expr]]


def _scan(frame: pl.DataFrame, masks: Masks) -> dict[str, _Hit]:
    """Evaluate every named check in one pass; return the checks some row breaks, with how
    many rows broke them, the first such row and its value."""
    if not masks:
        return {}
    bad = frame.select(
        mask.fill_null(False).alias(str(i)) for i, (mask, _) in enumerate(masks.values())
    )
    out = bad.select(
        e for c in bad.columns for e in (col(c).sum(), col(c).arg_max().alias(f"i{c}"))
    ).row(0)
    hits = {}
    for i, (key, (_, value)) in enumerate(masks.items()):
        count, index = out[2 * i : 2 * i + 2]
        if count:  # index is then the first bad row; its value is computed for that row only
            first = frame.slice(index, 1).select(col(ROW_NUMBER), value.cast(pl.String))
            hits[key] = _Hit(int(count), int(first[0, 0]), first[0, 1])
    return hits


def _findings(
    file: str,
    hits: dict[str, _Hit],
    texts: dict[str, tuple[str, str, str]],
    severity: Severity = ERROR,
) -> list[Finding]:
    """Findings for scan hits; `texts` maps a check to (rule, column, message)."""
    found = []
    for key, hit in hits.items():
        rule, column, text = texts[key]
        rows = "1 row" if hit.count == 1 else f"{hit.count} rows"
        found.append(
            Finding(rule, severity, file, hit.row, column, f"{hit.value!r} {text} ({rows})")
        )
    return found


# --------------------------------------------------------------------------------------------
# Which column is what
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """The role of every data column."""

    columns: tuple[str, ...]
    observational: frozenset[str]  # time and geography columns
    indicators: tuple[str, ...]
    filters: tuple[str, ...]  # filters and filter groups
    others: tuple[str, ...]  # in neither the meta file nor the standard

    @property
    def key(self) -> list[str]:
        """The columns that identify a row: time, geography, filters (and unknowns)."""
        obs = [c for c in self.columns if c in self.observational]
        return obs + [c for c in (*self.filters, *self.others) if c not in obs]


def _layout(frame: pl.DataFrame, columns: Sequence[str], meta: Meta | None) -> Layout:
    observational = {c for c in columns if c in OBSERVATIONAL_COLUMNS}
    if meta is None:
        rest = [c for c in columns if c not in observational]
        indicators = _guess_indicators(frame, rest)
        filters = tuple(c for c in rest if c not in indicators)
        return Layout(tuple(columns), frozenset(observational), indicators, filters, ())
    if meta.sole_filter_is_unit_name():
        observational -= UNIT_NAME_COLUMNS
    indicators = tuple(c for c in meta.names("Indicator") if c in columns)
    filters = tuple(
        c
        for c in dict.fromkeys((*meta.names("Filter"), *meta.groups()))
        if c in columns and c not in observational and c not in indicators
    )
    others = tuple(
        c for c in columns if c not in observational and c not in indicators and c not in filters
    )
    return Layout(tuple(columns), frozenset(observational), indicators, filters, others)


def _guess_indicators(frame: pl.DataFrame, candidates: Sequence[str]) -> tuple[str, ...]:
    """Without a meta file: columns with no Total/All item where most non-blank cells are
    numbers (plain, or formatted as 37,440) or GSS symbols, and at least one is a number."""
    if not candidates:
        return ()
    stats = frame.select(
        pl.struct(
            numbers=(
                _text(c).str.contains(_NUMBER) | _text(c).str.contains(FORMATTED_NUMBER)
            ).sum(),
            symbols=_text(c).is_in(CURRENT_SYMBOLS).sum(),
            legacy=_text(c).str.to_lowercase().is_in(LEGACY_SYMBOLS).sum(),
            totals=_text(c).is_in(TOTALS).sum(),
            filled=col(c).is_not_null().sum(),
        ).alias(c)
        for c in candidates
    ).row(0, named=True)
    return tuple(
        c
        for c, s in stats.items()
        if not s["totals"]
        and (
            (s["numbers"] > 0 and 2 * (s["numbers"] + s["symbols"]) > s["filled"])
            # Every value suppressed or missing: no filter is made only of symbols.
            or (s["filled"] > 0 and s["symbols"] + s["legacy"] == s["filled"])
        )
    )


# --------------------------------------------------------------------------------------------
# Columns and time
# --------------------------------------------------------------------------------------------


def _check_columns(file: str, columns: Sequence[str]) -> list[Finding]:
    found = [
        Finding("required_columns", ERROR, file, 1, name, "is a required column and is missing")
        for name in REQUIRED_COLUMNS
        if name not in columns
    ]
    found += [
        Finding("column_name", ERROR, file, 1, name, "contains a space; column names cannot")
        for name in columns
        if any(ch.isspace() for ch in name)
    ]
    # eesyscreener check_col_snake_case / check_col_var_start: a warning, so a name such as `*`
    # (older KS4 subject files) is reported and read as the ordinary column it is.
    found += [
        Finding(
            "column_name",
            WARNING,
            file,
            1,
            name,
            "is not snake_case (lower-case letters, digits and _, starting with a letter)",
        )
        for name in columns
        if not re.fullmatch(SNAKE_CASE, name) and not any(ch.isspace() for ch in name)
    ]
    return found


def _check_empty_columns(file: str, frame: pl.DataFrame, columns: Sequence[str]) -> list[Finding]:
    filled = frame.select(col(c).is_not_null().any() for c in columns).row(0)
    return [
        Finding("empty_column", WARNING, file, 1, name, "has no value on any row")
        for name, any_value in zip(columns, filled, strict=True)
        if not any_value
    ]


def _check_time(file: str, frame: pl.DataFrame) -> list[Finding]:
    period, identifier = _text("time_period"), _text("time_identifier")
    start = period.str.slice(0, 4).cast(pl.Int32, strict=False)
    end = period.str.slice(4, 2).cast(pl.Int32, strict=False)
    four = period.str.contains(r"^[0-9]{4}$")
    six = period.str.contains(r"^[0-9]{6}$")
    group_of = {i: n for n, group in enumerate(TIME_IDENTIFIER_GROUPS) for i in group}
    group = identifier.replace_strict(group_of, default=None, return_dtype=pl.Int32)
    masks: Masks = {
        "format": (period.is_null() | ~(four | six), period),
        "consecutive": (six & ((start + 1) % 100 != end), period),
        "identifier": (identifier.is_null() | group.is_null(), identifier),
        "length": (
            (four & identifier.is_in(list(SIX_DIGIT_IDENTIFIERS)))
            | (six & identifier.is_in(list(FOUR_DIGIT_IDENTIFIERS))),
            pl.format("{} {}", period, identifier),
        ),
        "mix": (group != group.drop_nulls().first(), identifier),
    }
    texts = {
        "format": ("time_period", "time_period", "is not 4 digits (2024) or 6 digits (202425)"),
        "consecutive": ("time_period", "time_period", "is not two consecutive years (202425)"),
        "identifier": ("time_identifier", "time_identifier", "is not an allowed time_identifier"),
        "length": (
            "time_identifier",
            "time_identifier",
            "does not fit the period's length (4 digits: calendar and reporting years, months, "
            "weeks; 6 digits: academic, financial and tax years, terms, quarters)",
        ),
        "mix": (
            "time_identifier_mix",
            "time_identifier",
            "is from another time_identifier group than the first row's; one group per file",
        ),
    }
    return _findings(file, _scan(frame, masks), texts)


# --------------------------------------------------------------------------------------------
# Geography
# --------------------------------------------------------------------------------------------


def _check_geography(file: str, frame: pl.DataFrame, layout: Layout) -> list[Finding]:
    columns, observational = layout.columns, layout.observational
    level = _text("geographic_level")
    present = [v for v in frame.select(level.unique()).to_series().to_list() if v in LEVELS]
    found: list[Finding] = []
    masks: Masks = {"level": (level.is_null() | ~level.is_in(list(LEVELS)), level)}
    texts = {"level": ("geographic_level", "geographic_level", "is not an allowed level")}

    # The columns each level present needs, and the cells its rows must fill.
    for name in ("country_code", "country_name"):
        masks[f"fill|{name}"] = (col(name).is_null(), level)
        texts[f"fill|{name}"] = ("geography_completed", name, "row has no country")
    for lv in present:
        spec = LEVELS[lv]
        found += [
            Finding("geography_columns", ERROR, file, 1, name, f"is missing; {lv} rows need it")
            for name in (*spec.own, *spec.parents_filled, *spec.parents_present)
            if name not in columns
        ]
        for name in (*spec.own, *spec.parents_filled):
            # new_la_code may be blank for legacy local authorities (analysts' guide).
            if name in columns and name != "new_la_code":
                masks[f"fill|{lv}|{name}"] = ((level == lv) & col(name).is_null(), level)
                texts[f"fill|{lv}|{name}"] = ("geography_completed", name, "row leaves it blank")

    # A level's columns filled on rows of levels they do not apply to.
    for owner, compatible in COMPATIBLE_LEVELS.items():
        wrong = [lv for lv in present if lv not in compatible]
        for name in LEVELS[owner].own if wrong else ():
            if name in observational:
                masks[f"over|{name}"] = (
                    level.is_in(wrong) & col(name).is_not_null(),
                    pl.format("{}: {}", level, col(name)),
                )
                texts[f"over|{name}"] = (
                    "geography_overcompleted",
                    name,
                    f"row fills it; {owner} columns stay blank on rows of that level",
                )

    # Code shapes, the country list, unknown locations, Total/All locations.
    for name, pattern in CODE_PATTERNS.items():
        if name in columns:
            code = _text(name)
            masks[f"code|{name}"] = (~code.str.contains(pattern) & ~code.is_in(UNKNOWN_CODES), code)
            texts[f"code|{name}"] = ("geography_code", name, "is not a code (nor x/z)")
    for name in sorted(LOCATION_CODE_COLUMNS & observational - set(CODE_PATTERNS)):
        length = _text(name).str.len_chars()
        masks[f"long|{name}"] = (length > MAX_CODE_LENGTH, pl.format("{} characters", length))
        texts[f"long|{name}"] = (
            "geography_code_length",
            name,
            f"is too long for a location code (the standard allows {MAX_CODE_LENGTH} characters)",
        )
    code, name = _text("country_code"), _text("country_name")
    known = (
        (name == code.replace_strict(COUNTRIES, default=None))
        | ((code == "z") & name.is_in(Z_COUNTRY_NAMES))
    ).fill_null(False)
    masks["country"] = (code.is_not_null() & (code != "x") & ~known, pl.format("{} {}", code, name))
    texts["country"] = ("geography_country", "country_code", "is not a country of the standard")
    for spec in LEVELS.values():
        if spec.code in columns and spec.name in columns:
            code, name = _text(spec.code), _text(spec.name)
            masks[f"na|{spec.code}"] = (
                (code == "x") != (name == NOT_AVAILABLE),
                pl.format("{} {}", code, name),
            )
            texts[f"na|{spec.code}"] = (
                "geography_unknown",
                spec.code,
                f"breaks the unknown-location rule: code 'x' goes with name {NOT_AVAILABLE!r}",
            )
    for name in sorted(GEOGRAPHY_COLUMNS & observational):
        masks[f"total|{name}"] = (_text(name).is_in(TOTALS), col(name))
        texts[f"total|{name}"] = ("observational_total", name, "is not a location")

    hits = _scan(frame, masks)
    long_codes = {k: hits.pop(k) for k in list(hits) if k.startswith("long|")}
    found += _findings(file, hits, texts)
    # A warning, as in the screener (an API data set rule); consumers' code columns overflow.
    found += _findings(file, long_codes, texts, WARNING)
    found += _check_geography_consistency(file, frame, layout)
    if "School" in present and "Provider" in present:
        row = frame.filter(level == "Provider")[ROW_NUMBER].min()
        message = "mixes Provider rows with School rows; EES needs separate files"
        found.append(Finding("geographic_level", ERROR, file, row, "geographic_level", message))
    ignored = [lv for lv in present if lv in IGNORED_LEVELS]
    if ignored and len(ignored) < len(present):
        rows = frame.filter(level.is_in(ignored))[ROW_NUMBER]
        message = (
            f"{', '.join(ignored)} rows ({rows.len()} rows) sit beside other levels: the EES table "
            "tool ignores them, and they must not be added to the other levels' totals"
        )
        found.append(
            Finding(
                "geography_ignored_rows", WARNING, file, rows.min(), "geographic_level", message
            )
        )
    return found


def _check_geography_consistency(file: str, frame: pl.DataFrame, layout: Layout) -> list[Finding]:
    """Within one time period, a code has one name and a name one code (per column pair).

    Ward names repeat across districts, and so do school and provider names: for those levels
    only the code's side is checked (a URN, UKPRN or LAESTAB has one name, and a URN one
    LAESTAB and back). Those are warnings: DfE's screener passes a provider with two names in
    a period (its pass/prov_level_diff_names.csv; names change mid-year, providers merge), but
    a consumer joining on the code must know. The unknown codes x/z cover many names and are
    left out. Messages about school, provider and institution rows name the period and
    columns, never a value.
    """
    found: list[Finding] = []
    for lv, spec in LEVELS.items():
        if spec.name not in layout.observational:
            continue
        pairs: list[tuple[str, str, bool]] = []  # (key column, other column, both directions)
        one_way = lv in SHARED_NAME_LEVELS or lv in UNIT_LEVELS
        for code_column in (spec.code, spec.secondary):
            if code_column in layout.observational:
                pairs.append((code_column, spec.name, not one_way))
        if lv == "School" and {"school_urn", "school_laestab"} <= layout.observational:
            pairs.append(("school_urn", "school_laestab", True))
        for key_column, other_column, both in pairs:
            directions = [(key_column, other_column)]
            directions += [(other_column, key_column)] if both else []
            for key, other in directions:
                finding = _first_clash(file, frame, key, other, hide=lv in UNIT_LEVELS)
                found += [finding] if finding else []
    return found


def _first_clash(
    file: str, frame: pl.DataFrame, key: str, other: str, hide: bool
) -> Finding | None:
    """The first row (in file order) where `key` pairs with another `other` than on its
    first row in the same period."""
    pairs = frame.select(
        ROW_NUMBER, period=_text("time_period"), key=_text(key), other=_text(other)
    ).filter(
        pl.col("key").is_not_null()
        & pl.col("other").is_not_null()
        & ~pl.col("key").is_in(UNKNOWN_CODES)
        & ~pl.col("other").is_in(UNKNOWN_CODES)
    )
    clash = pairs.with_columns(earlier=pl.col("other").first().over("period", "key")).filter(
        pl.col("other") != pl.col("earlier")
    )
    if not clash.height:
        return None
    first = clash.row(0, named=True)
    count = clash.select(pl.struct("period", "key").n_unique()).item()
    if hide:
        message = (
            f"has another {other} here than on an earlier row with the same {key} in "
            f"{first['period']} ({count} {key}(s) like this)"
        )
    else:
        message = (
            f"{first['key']!r} has {other} {first['other']!r} here but "
            f"{first['earlier']!r} on an earlier row of {first['period']} "
            f"({count} {key}(s) like this)"
        )
    severity = WARNING if hide else ERROR
    return Finding("geography_consistency", severity, file, first[ROW_NUMBER], key, message)


# --------------------------------------------------------------------------------------------
# Indicators, filters, duplicates
# --------------------------------------------------------------------------------------------


def _check_indicators(file: str, frame: pl.DataFrame, indicators: Sequence[str]) -> list[Finding]:
    masks: Masks = {}
    for name in indicators:
        cell = _text(name)
        ok = cell.str.contains(_NUMBER) | cell.is_in(CURRENT_SYMBOLS)
        masks[name] = (~ok.fill_null(False), col(name).fill_null(""))
    texts = {}
    hits = _scan(frame, masks)
    for name, hit in hits.items():
        value = (hit.value or "").strip().lower()
        why = (
            "is blank"
            if not value
            else "is a legacy or null-like symbol"
            if value in LEGACY_SYMBOLS
            else "has thousands separators"
            if re.search(FORMATTED_NUMBER, value)
            else "is neither a number nor a symbol"
        )
        allowed = ", ".join(CURRENT_SYMBOLS)
        texts[name] = ("indicator_values", name, f"{why}: indicators hold a number or {allowed}")
    return _findings(file, hits, texts)


def _report_symbol_convention(
    file: str, frame: pl.DataFrame, indicators: Sequence[str]
) -> list[Finding]:
    """Say so when a symbol reads otherwise than in the EES standard because of the file's
    era (older DfE files used `x` for a suppressed small count): a warning at its first cell."""
    applied = symbol_convention(frame, file)
    statuses = applied.convention.statuses
    differ = [s for s, status in statuses.items() if EES_SYMBOLS.statuses.get(s) != status]
    if not differ or not indicators:
        return []
    masks: Masks = {
        name: (_text(name).str.to_lowercase().is_in(differ), _text(name)) for name in indicators
    }
    hits = _scan(frame, masks)
    found = []
    for name, hit in hits.items():
        symbol = (hit.value or "").lower()
        rows = "1 row" if hit.count == 1 else f"{hit.count} rows"
        message = f"{hit.value!r} read as {statuses[symbol]} ({rows}); {applied.describe()}"
        found.append(Finding("symbol_convention", WARNING, file, hit.row, name, message))
    return found


def _check_filters(
    file: str, frame: pl.DataFrame, layout: Layout, meta: Meta | None
) -> list[Finding]:
    masks: Masks = {}
    texts = {}
    for name in layout.filters:
        masks[f"blank|{name}"] = (col(name).is_null(), pl.lit(""))
        texts[f"blank|{name}"] = ("filter_values", name, "blank filter item (use Total)")
        masks[f"pad|{name}"] = (col(name) != _text(name), col(name))
        texts[f"pad|{name}"] = ("filter_values", name, "has leading or trailing spaces")
    found = _findings(file, _scan(frame, masks), texts)
    if meta is None or not layout.filters:
        return found
    # Each filter and group needs its default item: Total unless the meta names another.
    defaults = {name: meta.defaults.get(name) or "Total" for name in layout.filters}
    present = frame.select(
        (_text(name) == value).any().alias(name) for name, value in defaults.items()
    ).row(0, named=True)
    found += [
        Finding(
            "filter_default",
            WARNING,
            file,
            None,
            name,
            f"has no {value!r} item, so its aggregate is not marked",
        )
        for name, value in defaults.items()
        if not present[name]
    ]
    return found


def _check_duplicates(file: str, frame: pl.DataFrame, layout: Layout) -> list[Finding]:
    """One row per time period, location and filter combination."""
    key = layout.key
    # Name the first row that repeats an earlier one: that is the row to remove.
    dupes = frame.filter(~pl.struct(col(c) for c in key).is_first_distinct())
    if not dupes.height:
        return []
    message = (
        f"repeats the time, location and filters of an earlier row ({dupes.height} such rows; "
        f"key: {', '.join(key)})"
    )
    return [Finding("duplicate_rows", ERROR, file, dupes[ROW_NUMBER].min(), None, message)]


# --------------------------------------------------------------------------------------------
# Meta file
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Meta:
    """A parsed .meta.csv: every standard column as text (blank = null), plus ROW_NUMBER."""

    file: str
    frame: pl.DataFrame

    def names(self, col_type: str) -> list[str]:
        rows = self.frame.filter(col("col_type") == col_type)
        return rows["col_name"].drop_nulls().to_list()

    def groups(self) -> list[str]:
        """The filter_grouping_column of each Filter row that has one."""
        rows = self.frame.filter(col("col_type") == "Filter")
        return rows["filter_grouping_column"].drop_nulls().to_list()

    @property
    def defaults(self) -> dict[str, str]:
        rows = self.frame.filter(col("col_name").is_not_null())
        return dict(zip(rows["col_name"], rows["filter_default"], strict=True))

    def sole_filter_is_unit_name(self) -> bool:
        """A school or provider name as the only filter (or its group) is a label column."""
        filters = self.names("Filter")
        groups = self.frame.filter(col("col_type") == "Filter")["filter_grouping_column"]
        return len(filters) == 1 and (
            filters[0] in UNIT_NAME_COLUMNS or groups[0] in UNIT_NAME_COLUMNS
        )


def _read_meta(path: str | Path) -> tuple[Meta | None, list[Finding]]:
    """Parse a meta file; with findings for what makes it unusable (then Meta is None)."""
    file = str(path)
    try:
        raw = Path(path).read_bytes()
        text = raw.decode("utf-8-sig")
        records = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except OSError as err:
        return None, [Finding("meta_readable", ERROR, file, None, None, f"cannot be read: {err}")]
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        return None, [Finding("meta_encoding", ERROR, file, line, None, "is not UTF-8")]
    except csv.Error as err:
        return None, [Finding("meta_csv", ERROR, file, None, None, f"is not valid CSV ({err})")]

    lines = [(n, r) for n, r in enumerate(records, start=1) if any(c.strip() for c in r)]
    if len(lines) < 2:
        return None, [Finding("meta_columns", ERROR, file, 1, None, "describes no column")]
    header = [h.strip() for h in lines[0][1]]
    found = [
        Finding("meta_columns", ERROR, file, 1, name, "is a required meta column and is missing")
        for name in META_REQUIRED
        if name not in header
    ]
    unusable = bool(found)
    found += [
        Finding("meta_columns", ERROR, file, 1, name, "is not a meta column")
        for name in header
        if name not in (*META_REQUIRED, *META_OPTIONAL)
    ]
    for line, record in lines[1:]:
        if len(record) != len(header):
            message = f"has {len(record)} fields where the header has {len(header)}"
            found.append(Finding("meta_csv", ERROR, file, line, None, message))
            unusable = True
            break
    if unusable:
        return None, found
    frame = pl.DataFrame(
        [[line, *(cell.strip() or None for cell in record)] for line, record in lines[1:]],
        schema={ROW_NUMBER: pl.Int64, **dict.fromkeys(header, pl.String)},
        orient="row",
    ).with_columns(pl.lit(None, pl.String).alias(c) for c in META_OPTIONAL if c not in header)
    return Meta(file, frame), found


def _check_meta(meta: Meta) -> list[Finding]:
    """Rules on the meta file on its own."""
    col_name, col_type, label, dp = (
        col(c) for c in ("col_name", "col_type", "label", "indicator_dp")
    )
    is_filter, is_indicator = col_type == "Filter", col_type == "Indicator"
    masks: Masks = {
        "no col_name": (col_name.is_null(), label),
        "col_name spaces": (col_name.str.contains(r"\s"), col_name),
        "col_name twice": (col_name.is_duplicated() & col_name.is_not_null(), col_name),
        "col_type": (~col_type.is_in(COL_TYPES).fill_null(False), col_type.fill_null("")),
        "no label": (label.is_null(), col_name),
        "label twice": (label.is_duplicated() & label.is_not_null(), label),
        "unit": (
            is_indicator & ~col("indicator_unit").is_in(INDICATOR_UNITS),
            col("indicator_unit"),
        ),
        "dp": (is_indicator & ~dp.str.contains(r"^[0-9]+$"), dp),
    }
    texts = {
        "no col_name": ("meta_col_name", "col_name", "(label) has no col_name"),
        "col_name spaces": ("meta_col_name", "col_name", "contains spaces"),
        "col_name twice": ("meta_col_name", "col_name", "is described twice"),
        "col_type": ("meta_col_type", "col_type", "is not Filter or Indicator"),
        "no label": ("meta_label", "label", "(col_name) has no label"),
        "label twice": ("meta_label", "label", "labels two columns"),
        "unit": (
            "meta_indicator_unit",
            "indicator_unit",
            f"is not blank or {', '.join(INDICATOR_UNITS)}",
        ),
        "dp": ("meta_indicator_dp", "indicator_dp", "is not a whole number of 0 or more"),
    }
    for name in INDICATOR_ONLY:
        masks[f"filter|{name}"] = (is_filter & col(name).is_not_null(), col(name))
        texts[f"filter|{name}"] = (f"meta_{name}", name, "is set on a Filter row")
    for name in FILTER_ONLY:
        masks[f"indicator|{name}"] = (is_indicator & col(name).is_not_null(), col(name))
        texts[f"indicator|{name}"] = (f"meta_{name}", name, "is set on an Indicator row")
    found = _findings(meta.file, _scan(meta.frame, masks), texts)
    blank_dp = {"dp": (is_indicator & dp.is_null(), col_name)}
    blank_text = {"dp": ("meta_indicator_dp", "indicator_dp", "(col_name) has no decimal places")}
    return found + _findings(meta.file, _scan(meta.frame, blank_dp), blank_text, WARNING)


def _check_meta_against_data(
    meta: Meta, data: pl.DataFrame, layout: Layout, data_file: str
) -> list[Finding]:
    """The meta and data files describe the same columns, and filter groups make sense."""
    file, frame, columns = meta.file, meta.frame, layout.columns
    found: list[Finding] = []
    filters = set(meta.names("Filter")) | set(meta.groups())
    if meta.sole_filter_is_unit_name():
        filters -= UNIT_NAME_COLUMNS
    for line, name in frame.select(ROW_NUMBER, "col_name").drop_nulls().iter_rows():
        if name not in columns:
            found.append(
                Finding("meta_to_data", ERROR, file, line, name, "is not in the data file")
            )
        elif name in layout.observational or (name in filters and re.search(LOCATION_LIKE, name)):
            message = "is (or looks like) a time or geography column, not a filter or indicator"
            found.append(Finding("meta_observational", ERROR, file, line, name, message))
    found += _check_undescribed(data, layout, data_file)

    for line, name in frame.select(ROW_NUMBER, "parent_filter").drop_nulls().iter_rows():
        if name not in columns:
            message = "is a parent_filter but not a column of the data"
            found.append(Finding("meta_parent_filter", ERROR, file, line, name, message))

    # Filter groups: a data column, grouping one filter, with no more items than that filter.
    groups = meta.groups()
    rows = frame.filter((col("col_type") == "Filter") & col("filter_grouping_column").is_not_null())
    for line, filter_name, group in rows.select(
        ROW_NUMBER, "col_name", "filter_grouping_column"
    ).iter_rows():
        problem = None
        if group not in columns:
            problem = "is a filter_grouping_column but not a column of the data"
        elif groups.count(group) > 1:
            problem = "groups more than one filter"
        elif filter_name in columns:
            n_group, n_filter = data.select(col(group).n_unique(), col(filter_name).n_unique()).row(
                0
            )
            if n_group > n_filter:
                problem = f"has more items ({n_group}) than its filter {filter_name!r} ({n_filter})"
        if problem:
            found.append(Finding("meta_filter_grouping_column", ERROR, file, line, group, problem))

    # Group items that differ only in spaces or punctuation are one item mistyped.
    for group in dict.fromkeys(g for g in groups if g in columns):
        items = data.select(col(group).drop_nulls().unique()).with_columns(
            squashed=col(group).str.replace_all(r"[^0-9A-Za-z]", "")
        )
        variants = items.filter(col("squashed").is_duplicated())[group].sort().to_list()
        if variants:
            row = data.filter(col(group).is_in(variants))[ROW_NUMBER].min()
            message = f"has items that differ only in spaces or punctuation: {variants[:4]}"
            found.append(Finding("filter_values", ERROR, data_file, row, group, message))

    groupings = frame["indicator_grouping"].drop_nulls().unique()
    if groupings.str.replace_all(r"[^0-9A-Za-z]", "").n_unique() < groupings.len():
        message = f"has groupings that differ only in spaces or punctuation: {sorted(groupings)}"
        found.append(
            Finding("meta_indicator_grouping", WARNING, file, None, "indicator_grouping", message)
        )
    return found


def _check_undescribed(data: pl.DataFrame, layout: Layout, data_file: str) -> list[Finding]:
    """Data columns the meta file does not describe.

    Harmless when constant, or an attribute of the location (one value per time period and
    location, such as a school's type): a warning. Otherwise an error: the column may split
    rows in a way no consumer can interpret.
    """
    if not layout.others:
        return []
    location = [c for c in layout.columns if c in layout.observational]
    per_location = (
        data.group_by(col(c) for c in location)
        .agg(col(c).n_unique() for c in layout.others)
        .select(col(c).max() for c in layout.others)
        .row(0, named=True)
    )
    overall = data.select(col(c).n_unique() for c in layout.others).row(0, named=True)
    found = []
    for name in layout.others:
        if overall[name] == 1:
            continue
        if per_location[name] == 1:
            message = "is not in the meta file; it is an attribute of the location, not a filter"
            found.append(Finding("data_to_meta", WARNING, data_file, 1, name, message))
        else:
            message = "is not in the meta file, and it varies within a time period and location"
            found.append(Finding("data_to_meta", ERROR, data_file, 1, name, message))
    return found


# --------------------------------------------------------------------------------------------
# Screener corpus report
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Screened:
    """One file's result in a report."""

    path: Path
    expected: str  # "pass", "fail" or "" (a plain file)
    findings: tuple[Finding, ...]

    @property
    def rejected(self) -> bool:
        return any(f.severity == ERROR for f in self.findings)

    @property
    def rules(self) -> list[str]:
        return sorted({f.rule for f in errors(self.findings)})


def is_meta_file(path: Path) -> bool:
    return ".meta." in path.name or path.name in ("meta.csv", "meta.csv.gz")


def data_files(folder: Path) -> list[Path]:
    """The data files of a folder: *.csv and *.csv.gz that are not meta files. Each pairs
    with its stem's .meta.csv, as in eesyscreener's own tests of this corpus."""
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.name.endswith((".csv", ".csv.gz")) and not is_meta_file(p)
    )


def screen_files(
    paths: Iterable[Path], expected: str = "", require_meta: bool = False
) -> list[Screened]:
    """Screen data files with their meta files; a meta file whose data file is not in the
    list is screened on its own."""
    paths = list(paths)
    paired = {meta_path_for(p) for p in paths if not is_meta_file(p)}
    results = []
    for path in paths:
        if not is_meta_file(path):
            results.append(Screened(path, expected, tuple(screen_pair(path, require_meta))))
        elif path not in paired:
            results.append(Screened(path, expected, tuple(screen_meta(path))))
    return results


def screen_target(target: str | Path | Sequence[str | Path]) -> list[Screened]:
    """A screener corpus folder (pass/, pass-warn-api/, fail/), any folder, or a list of files.

    Corpus files are screened as uploads: a data file without its meta file is rejected.
    """
    if isinstance(target, (str, Path)) and Path(target).is_dir():
        folder = Path(target)
        parts = {name: folder / name for name in ("pass", "pass-warn-api", "fail")}
        if not any(p.is_dir() for p in parts.values()):
            files = sorted(p for p in folder.rglob("*") if p.name.endswith((".csv", ".csv.gz")))
            return screen_files(files)
        return [
            result
            for name, part in parts.items()
            if part.is_dir()
            for result in screen_files(data_files(part), "fail" if name == "fail" else "pass", True)
        ]
    paths = [target] if isinstance(target, (str, Path)) else list(target)
    return screen_files(Path(p) for p in paths)


def screener_report(target: str | Path | Sequence[str | Path]) -> str:
    """The gate's results as text: on the screener corpus, the pass rates of pass/ and
    pass-warn-api/ (must be 100%), the reject rate of fail/, how many fail/ files each rule
    caught, and the fail/ files let through with the screener rule they target; on other
    files, each file's findings."""
    return format_report(screen_target(target))


def target_rule(path: Path) -> str:
    """The screener rule a corpus file tests, read from its name (col_name_completed.csv)."""
    return path.name.removesuffix(".gz").removesuffix(".csv")


def format_report(results: Sequence[Screened]) -> str:
    lines: list[str] = []
    passing = [r for r in results if r.expected == "pass"]
    failing = [r for r in results if r.expected == "fail"]
    for folder in dict.fromkeys(r.path.parent.name for r in passing):
        part = [r for r in passing if r.path.parent.name == folder]
        accepted = [r for r in part if not r.rejected]
        share = 100 * len(accepted) / len(part)
        lines.append(f"{folder}/: {len(accepted)}/{len(part)} accepted ({share:.0f}%)")
        lines += [
            f"  WRONGLY REJECTED {r.path.name}: {errors(r.findings)[0].describe()}"
            for r in part
            if r.rejected
        ]
    if failing:
        rejected = [r for r in failing if r.rejected]
        share = 100 * len(rejected) / len(failing)
        lines += [
            "",
            f"fail/: {len(rejected)}/{len(failing)} data files rejected ({share:.0f}%); each "
            "screened with its .meta.csv, a data file without one counts as rejected "
            "(meta_missing)",
            "",
        ]
        caught = Counter(rule for r in rejected for rule in r.rules)
        first = Counter(errors(r.findings)[0].rule for r in rejected)
        lines.append(f"  {'rule':30} {'fail/ files caught':>18} {'as first error':>15}")
        for rule, count in sorted(caught.items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"  {rule:30} {count:>18} {first[rule]:>15}")
        missed = [r for r in failing if not r.rejected]
        lines += ["", f"fail/ files NOT rejected ({len(missed)}), with the screener rule targeted:"]
        for r in missed:
            lines.append(f"  {r.path.name:58} -> {target_rule(r.path)}{_warned(r)}")
        if not missed:
            lines.append("  (none)")
        lines += ["", "fail/ files rejected, with their first error:"]
        lines += [f"  {errors(r.findings)[0].describe()}" for r in rejected]
    for r in results:
        if not r.expected:
            lines.append(f"{'REJECTED' if r.rejected else 'accepted'} {r.path}")
            lines += [f"  {finding.describe()}" for finding in r.findings]
    return "\n".join(lines)


def _warned(result: Screened) -> str:
    rules = sorted({f.rule for f in result.findings if f.severity == WARNING})
    return f"  (gate warnings: {', '.join(rules)})" if rules else ""


def main(argv: Sequence[str]) -> int:
    """`python -m pipelines.gate FOLDER | FILE...`: print the report. Exit 1 when a file is
    rejected that should pass (corpus: pass/ files; otherwise any file)."""
    if not argv:
        print("usage: python -m pipelines.gate SCREENER_FOLDER | FILE...", file=sys.stderr)
        return 2
    results = screen_target(argv[0] if len(argv) == 1 else list(argv))
    print(format_report(results))
    return int(any(r.rejected and r.expected != "fail" for r in results))


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
