"""The data contract for the files pilot evaluators deliver each year.

Layout: `<pilots raw folder>/<pilot_id>/<year folder>/<file>.csv`, year folder `2025-26`,
`2026-27` or `2027-28`; five files per pilot and year (`FILES`). Human-readable version:
data/raw/pilots/CONTRACT.md (a test keeps the two in step). `validate_file` reads one file
with every column as text, checks columns, types, allowed values, ranges and the key, and
raises `InputError` naming file, row (as a spreadsheet shows it: header = row 1) and column.
An error about an identifier column (a participant, school or pupil) never quotes its value:
messages end up in run history and logs, which are not the place for personal data.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipelines.ees import read_text_csv
from pipelines.errors import InputError
from pipelines.pilots.registry import EVALUATION_YEARS

YEAR_FOLDERS = {year: year.replace("/", "-") for year in EVALUATION_YEARS}
ACADEMIC_YEAR = r"^20\d\d/\d\d$"
PSEUDONYM = r"^[0-9a-f]{16}$"
PROVENANCE = ("synthetic", "evaluator")


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str  # text | integer | decimal | boolean | date
    description: str
    nullable: bool = False
    allowed: tuple[str, ...] | None = None
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    identifier: bool = False  # identifies a person or school: errors never quote the value


@dataclass(frozen=True)
class FileContract:
    name: str
    grain: str
    key: tuple[str, ...]
    columns: tuple[Column, ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _common() -> tuple[Column, ...]:
    return (
        Column("pilot_id", "text", "Pilot id from the registry", pattern=r"^P\d+$"),
        Column("evaluation_year", "text", "Year of delivery", allowed=EVALUATION_YEARS),
    )


_PROVENANCE = Column(
    "provenance",
    "text",
    "synthetic for generated data, evaluator for delivered data",
    allowed=PROVENANCE,
)
ARMS = ("treatment", "control", "comparison")

PARTICIPANTS = FileContract(
    "participants",
    "one row per participant enrolled or randomised in this year's cohort",
    ("pilot_id", "participant_id"),
    (
        *_common(),
        Column(
            "participant_id",
            "text",
            "Keyed-hash pseudonym (HMAC-SHA256, 16 hex)",
            pattern=PSEUDONYM,
            identifier=True,
        ),
        Column(
            "school_id",
            "text",
            "Keyed-hash pseudonym of the school's URN",
            pattern=PSEUDONYM,
            identifier=True,
        ),
        Column("cohort", "integer", "Cohort number in the registry", minimum=1, maximum=9),
        Column("arm", "text", "Allocated (or, for P4, observed) arm", allowed=ARMS),
        Column("allocated_on", "date", "Date of randomisation or enrolment (YYYY-MM-DD)"),
        Column("stratum", "text", "Randomisation stratum ('none' if unstratified)"),
        Column(
            "role",
            "text",
            "Post at baseline",
            allowed=("headteacher", "deputy_head", "assistant_head", "middle_leader", "teacher"),
        ),
        Column("sex", "text", "Sex as recorded", allowed=("female", "male", "not_recorded")),
        Column(
            "global_majority",
            "text",
            "From a global majority (ethnic minority) background",
            allowed=("yes", "no", "not_recorded"),
        ),
        Column(
            "years_in_role",
            "integer",
            "Completed years in the baseline post",
            minimum=0,
            maximum=45,
        ),
        Column(
            "baseline_wellbeing",
            "decimal",
            "WEMWBS at baseline",
            nullable=True,
            minimum=14,
            maximum=70,
        ),
        Column(
            "baseline_self_efficacy",
            "decimal",
            "Self-efficacy at baseline",
            nullable=True,
            minimum=1,
            maximum=9,
        ),
        _PROVENANCE,
    ),
)

SCHOOLS = FileContract(
    "schools",
    "one row per school taking part in the pilot in this year",
    ("pilot_id", "evaluation_year", "school_id"),
    (
        *_common(),
        Column(
            "school_id",
            "text",
            "Keyed-hash pseudonym of the URN",
            pattern=PSEUDONYM,
            identifier=True,
        ),
        Column(
            "arm",
            "text",
            "School's arm; 'not_allocated' when participants are allocated",
            allowed=(*ARMS, "not_allocated"),
        ),
        Column(
            "phase",
            "text",
            "Phase of education",
            allowed=("primary", "secondary", "all_through", "special"),
        ),
        Column(
            "region_group",
            "text",
            "Region group used as a stratifier",
            allowed=("north", "midlands", "south", "london"),
        ),
        Column("fsm_percent", "decimal", "Pupils eligible for FSM, %", minimum=0, maximum=100),
        Column("disadvantaged_school", "boolean", "FSM share in the top fifth nationally"),
        Column("pupils", "integer", "Pupils on roll (January census)", minimum=1, maximum=4000),
        Column(
            "baseline_inspection",
            "text",
            "Last graded inspection before the pilot",
            allowed=("outstanding", "good", "requires_improvement", "inadequate", "not_inspected"),
        ),
        _PROVENANCE,
    ),
)

OUTCOMES = FileContract(
    "outcomes",
    "one row per unit x outcome x year measured (long format); baselines and, for P4, the "
    "pre-programme series included",
    ("pilot_id", "unit_level", "unit_id", "outcome_id", "measured_year"),
    (
        *_common(),
        Column(
            "unit_level",
            "text",
            "What the row measures",
            allowed=("participant", "school", "pupil"),
        ),
        Column(
            "unit_id",
            "text",
            "Pseudonym of the participant, school or pupil",
            pattern=PSEUDONYM,
            identifier=True,
        ),
        Column(
            "school_id",
            "text",
            "Pseudonym of the unit's school",
            pattern=PSEUDONYM,
            identifier=True,
        ),
        Column("outcome_id", "text", "Outcome id from the registry (or ks1_prior_attainment)"),
        Column(
            "measured_year", "text", "Academic year the measure refers to", pattern=ACADEMIC_YEAR
        ),
        Column("value", "decimal", "The measure; empty unless status is 'measured'", nullable=True),
        Column(
            "status",
            "text",
            "Whether the measure was collected",
            allowed=("measured", "withdrawn", "lost_to_follow_up", "left_post"),
        ),
        _PROVENANCE,
    ),
)

DOSAGE = FileContract(
    "dosage",
    "one row per allocated unit of the treatment arm (and any control unit that received the "
    "programme) per year",
    ("pilot_id", "evaluation_year", "unit_level", "unit_id"),
    (
        *_common(),
        Column("unit_level", "text", "participant or school", allowed=("participant", "school")),
        Column("unit_id", "text", "Pseudonym", pattern=PSEUDONYM, identifier=True),
        Column("sessions_offered", "integer", "Sessions offered this year", minimum=0, maximum=100),
        Column(
            "sessions_attended", "integer", "Sessions attended (<= offered)", minimum=0, maximum=100
        ),
        Column(
            "received_intervention",
            "boolean",
            "Met the pre-specified compliance threshold (used for CACE)",
        ),
        _PROVENANCE,
    ),
)

COSTS = FileContract(
    "costs",
    "one row per pilot x year x cost category",
    ("pilot_id", "evaluation_year", "cost_category"),
    (
        *_common(),
        Column(
            "cost_category",
            "text",
            "Kind of cost",
            allowed=("start_up", "delivery", "materials", "staff_time"),
        ),
        Column("amount_gbp", "decimal", "Cost in pounds (cash prices)", minimum=0),
        Column(
            "participants", "integer", "Participants receiving the programme this year", minimum=0
        ),
        Column(
            "pupils_in_participant_schools", "integer", "Pupils on roll in their schools", minimum=0
        ),
        _PROVENANCE,
    ),
)

FILES = {c.name: c for c in (PARTICIPANTS, SCHOOLS, OUTCOMES, DOSAGE, COSTS)}

_PARSERS = {
    "integer": lambda s: s.cast(pl.Int64, strict=False),
    "decimal": lambda s: s.cast(pl.Float64, strict=False),
    "boolean": lambda s: s.str.to_lowercase().replace_strict(
        {"true": True, "false": False}, default=None, return_dtype=pl.Boolean
    ),
    "date": lambda s: s.str.to_date("%Y-%m-%d", strict=False),
    "text": lambda s: s,
}


WITHHELD = "the identifier (value not shown)"


def shown(column: Column, value: object) -> str:
    """A cell as an error message quotes it: an identifier's value is never shown."""
    return WITHHELD if column.identifier else repr(value)


def validate_frame(frame: pl.DataFrame, contract: FileContract, path: Path | str) -> pl.DataFrame:
    """Check an all-text frame against `contract`; return it typed (columns in contract order)."""

    def fail(message: str, index: int | None = None, column: str | None = None):
        row = None if index is None else index + 2
        raise InputError(path, message, row=row, column=column, rule="pilot contract")

    missing = [c for c in contract.column_names if c not in frame.columns]
    if missing:
        fail(f"missing column(s) {missing}; expected {contract.column_names}")
    extra = [c for c in frame.columns if c not in contract.column_names]
    if extra:
        fail(f"unexpected column(s) {extra}; expected {contract.column_names}")
    typed = {}
    for col in contract.columns:
        raw = frame.get_column(col.name).cast(pl.String)
        blank = raw.is_null() | (raw.str.strip_chars() == "")
        if not col.nullable and blank.any():
            fail("empty value in a required column", blank.arg_true()[0], col.name)
        values = _PARSERS[col.dtype](raw.str.strip_chars())
        bad = values.is_null() & ~blank
        if bad.any():
            i = bad.arg_true()[0]
            fail(f"{shown(col, raw[i])} is not a valid {col.dtype}", i, col.name)
        if col.allowed is not None:
            bad = ~values.is_in(list(col.allowed)) & ~blank
            if bad.any():
                i = bad.arg_true()[0]
                fail(f"{shown(col, raw[i])} is not one of {list(col.allowed)}", i, col.name)
        if col.pattern is not None:
            bad = ~values.str.contains(col.pattern) & ~blank
            if bad.any():
                i = bad.arg_true()[0]
                fail(f"{shown(col, raw[i])} does not match {col.pattern}", i, col.name)
        outside = pl.repeat(False, len(values), eager=True)
        if col.minimum is not None:
            outside = outside | (values < col.minimum).fill_null(False)
        if col.maximum is not None:
            outside = outside | (values > col.maximum).fill_null(False)
        if outside.any():
            i = outside.arg_true()[0]
            fail(f"{shown(col, raw[i])} is outside {col.minimum} to {col.maximum}", i, col.name)
        typed[col.name] = values
    result = pl.DataFrame(typed)
    duplicated = result.select(pl.struct(list(contract.key)).is_duplicated()).to_series()
    if duplicated.any():
        i = duplicated.arg_true()[0]
        fail(f"duplicate key {list(contract.key)}", i, contract.key[-1])
    if contract is OUTCOMES:
        bad = (result["status"] == "measured") != result["value"].is_not_null()
        if bad.any():
            fail(
                "value must be filled exactly when status is 'measured'", bad.arg_true()[0], "value"
            )
    if contract is DOSAGE:
        bad = result["sessions_attended"] > result["sessions_offered"]
        if bad.any():
            fail("more sessions attended than offered", bad.arg_true()[0], "sessions_attended")
    return result


def validate_file(path: Path, kind: str | None = None) -> pl.DataFrame:
    """Read `path` (all columns as text) and validate it against its contract.

    A file that cannot be read as CSV (encoding, quoting, ragged rows) is refused with the
    EES reader's finding, which names row and column and, unlike the CSV parser's own
    message, quotes no cell.
    """
    path = Path(path)
    contract = FILES.get(kind or path.stem)
    if contract is None:
        raise InputError(
            path, f"unknown pilot file; expected one of {sorted(FILES)}.csv", rule="pilot contract"
        )
    try:
        frame = pl.read_csv(path, infer_schema=False)
    except (pl.exceptions.ComputeError, OSError):
        read_text_csv(path)  # raises the finding with its row and column
        raise InputError(path, "cannot be read as CSV", rule="pilot contract") from None
    return validate_frame(frame, contract, path)


def year_folder(year: str) -> str:
    if not re.match(ACADEMIC_YEAR, year) or year not in YEAR_FOLDERS:
        raise ValueError(f"not an evaluation year: {year!r}")
    return YEAR_FOLDERS[year]
