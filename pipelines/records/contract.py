"""The input contract for record-level files.

Two collections, one Parquet file per academic year each, under a records folder:

    <records>/teacher_census/<time_period>.parquet      e.g. teacher_census/202425.parquet
    <records>/npq_participants/<time_period>.parquet    e.g. npq_participants/202122.parquet

`time_period` is the EES six-digit academic year (202425 = 2024/25). A new year is a new
file; files already there are never rewritten.

teacher_census: one row per teacher in post in state-funded schools on census day.
npq_participants: one row per NPQ participant per course started in the year.

Identifiers are pseudonyms made with a keyed hash before the file reaches us (never a TRN,
name or date of birth): `teacher_ref` is the same person in both collections and across
years; `participant_ref` is the person in the NPQ data. Even so they identify a person: an
error about them names file, row and column, never the value (messages reach run history).
"""

from dataclasses import dataclass

GRADES = ("Head teacher", "Deputy head teacher", "Assistant head teacher", "Classroom teacher")
SEXES = ("Female", "Male", "Unknown")
ETHNICITY_MAJOR = (
    "White",
    "Mixed / Multiple ethnic groups",
    "Asian / Asian British",
    "Black / African / Caribbean / Black British",
    "Other ethnic group",
    "Unknown / refused / information not yet obtained",
)
# Recorded for White and Unknown teachers only, as in the School Workforce Census files.
ETHNICITY_MINOR = (
    "White - White British",
    "White - Irish",
    "White - Traveller of Irish heritage",
    "White - Gypsy/Roma",
    "White - Any other White background",
    "Refused",
    "Information not yet obtained",
)
REGIONS = {
    "E12000001": "North East",
    "E12000002": "North West",
    "E12000003": "Yorkshire and The Humber",
    "E12000004": "East Midlands",
    "E12000005": "West Midlands",
    "E12000006": "East of England",
    "E12000007": "London",
    "E12000008": "South East",
    "E12000009": "South West",
}
NPQ_COURSES = {
    "NPQSL": "NPQ for Senior Leadership",
    "NPQH": "NPQ for Headship",
    "NPQEL": "NPQ for Executive Leadership",
    "NPQLT": "NPQ for Leading Teaching",
    "NPQLBC": "NPQ for Leading Behaviour and Culture",
    "NPQLTD": "NPQ for Leading Teacher Development",
    "NPQLL": "NPQ for Leading Literacy",
    "NPQEYL": "NPQ for Early Years Leadership",
    "NPQLPM": "NPQ for Leading Primary Mathematics",
    "NPQSENCO": "NPQ for Special Educational Needs Co-ordinators",
}
# A pseudonym: a letter and 16 lower-case hex digits (64 bits of a keyed hash).
TEACHER_REF = r"^T[0-9a-f]{16}$"
PARTICIPANT_REF = r"^P[0-9a-f]{16}$"


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # DuckDB type the values must cast to
    allowed: tuple[str, ...] | None = None  # allowed values, if a closed list
    pattern: str | None = None  # a regular expression every value matches
    nullable: bool = False
    doc: str = ""
    identifier: bool = False  # a person's pseudonym: errors name row and column, never the value


COLLECTIONS: dict[str, dict] = {
    "teacher_census": {
        "key": ("teacher_ref",),
        "columns": (
            Column(
                "teacher_ref",
                "VARCHAR",
                pattern=TEACHER_REF,
                doc="pseudonymised teacher",
                identifier=True,
            ),
            Column("time_period", "INTEGER", doc="census year, e.g. 202425; matches the file"),
            Column("grade", "VARCHAR", allowed=GRADES, doc="post held on census day"),
            Column("sex", "VARCHAR", allowed=SEXES),
            Column("ethnicity_major", "VARCHAR", allowed=ETHNICITY_MAJOR),
            Column(
                "ethnicity_minor",
                "VARCHAR",
                allowed=ETHNICITY_MINOR,
                nullable=True,
                doc="White and Unknown teachers only; null otherwise",
            ),
            Column("region_code", "VARCHAR", allowed=tuple(REGIONS), doc="region of the school"),
        ),
    },
    "npq_participants": {
        "key": ("participant_ref", "course_code"),
        "columns": (
            Column("participant_ref", "VARCHAR", pattern=PARTICIPANT_REF, identifier=True),
            Column(
                "teacher_ref",
                "VARCHAR",
                pattern=TEACHER_REF,
                nullable=True,
                doc="the same person's census pseudonym; null when not linked",
                identifier=True,
            ),
            Column("time_period", "INTEGER", doc="academic year the course started"),
            Column("course_code", "VARCHAR", allowed=tuple(NPQ_COURSES)),
            Column("funded", "BOOLEAN", doc="the place was funded by DfE"),
            Column("region_code", "VARCHAR", allowed=tuple(REGIONS), doc="region of the school"),
        ),
    },
}


def file_name(time_period: int) -> str:
    return f"{time_period}.parquet"


def academic_year(time_period: int) -> str:
    """202425 -> '2024/25'."""
    return f"{time_period // 100}/{time_period % 100:02d}"
