"""The source registry: every data set the questions need, where it comes from, and its shape.

A release lives in `data/raw/<source>/<dataset>/<release>/` beside a `manifest.json` that
records origin, licence and the sha256 of each file. Raw files are never edited: a new release
is a new folder. Synthetic companions (`data/raw/synthetic/<name>/<version>/`) fill gaps where
no published figures exist at the grain the questions need, and only those gaps: a published
row always wins over a synthetic row with the same key.

Each `Source` also records the column layout of every release it knows, and how an older layout
maps to the current one (the NPQ files changed shape between releases: separate funded and
non-funded columns became a `funding` filter).
"""

import hashlib
import json
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipelines.errors import InputError
from pipelines.manifest import parse_manifest

OGL = "Open Government Licence v3.0"
EES = "https://explore-education-statistics.service.gov.uk"
NPQ_PUBLICATION = "Teacher and leader development: ECF and NPQs"

TIME = ("time_period", "time_identifier")
NATIONAL = ("geographic_level", "country_code", "country_name")
SUB_NATIONAL = (*NATIONAL, "region_code", "region_name")
LOCAL = (*SUB_NATIONAL, "la_name", "old_la_code", "new_la_code")

MIB = 1024 * 1024
# Largest file of a data set that a fetch stores or the pipeline reads (Source.max_bytes).
# Reading a CSV verbatim costs several times its size in memory, so a larger file is refused
# before it is parsed; a data set whose published files are bigger names its own limit.
DEFAULT_MAX_BYTES = 64 * MIB


@dataclass(frozen=True)
class ReleaseShape:
    """The columns of one release as published, and how to bring it to the current layout."""

    columns: tuple[str, ...]
    to_current: Callable[[pl.DataFrame], pl.DataFrame] | None = None


@dataclass(frozen=True)
class Source:
    """One published data set: identity, download route, licence and shape."""

    name: str
    title: str
    publication: str
    data_set_id: str
    page_url: str
    download_url: str
    route: str  # ees-catalogue-csv | ees-api | gias | ofsted-mi | performance-tables | embedded
    geography: tuple[str, ...]
    filters: tuple[str, ...]
    indicators: tuple[str, ...]
    releases: dict[str, ReleaseShape] = field(default_factory=dict)
    synthetic: tuple[str, ...] = ()
    source: str = "ees"
    publisher: str = "Department for Education"
    licence: str = OGL
    time_identifier: str = "Academic year"
    in_pipeline: bool = False  # built into raw and staging tables by the pipeline today
    # "ees": EES open-data CSV, through the ingest gate and pipelines/transforms/staging.py.
    # "school_level": one row per school (GIAS, performance tables), staged by
    # pipelines/transforms/schools.py with `columns` mapping published names to ours.
    layout: str = "ees"
    signed: tuple[str, ...] = ()  # indicators that may be negative; all others are refused < 0
    columns: dict[str, str] = field(default_factory=dict)
    max_bytes: int = DEFAULT_MAX_BYTES  # per file, as stored (after any gzip transfer)

    @property
    def keys(self) -> tuple[str, ...]:
        """The grain of one row: time, geography and every filter."""
        return ("time_period", *self.geography, *self.filters)

    def folder(self, raw_root: Path) -> Path:
        return raw_root / self.source / self.name


def _catalogue(data_set_id: str) -> dict[str, str]:
    """Landing page and CSV route of a data set in the EES data catalogue."""
    page = f"{EES}/data-catalogue/data-set/{data_set_id}"
    return {"page_url": page, "download_url": f"{page}/csv"}


def _npq_2022_23_to_current(frame: pl.DataFrame) -> pl.DataFrame:
    """2022/23 layout (funded and non-funded starts in separate columns) -> `funding` rows.

    Non-funded rows carry only starts: that release published no non-funded participant counts.
    Overall rows are not derived: a sum would be ours, not DfE's.
    """
    shared = [c for c in frame.columns if c in (*TIME, *LOCAL, "breakdown", "group_name")]
    funded = frame.select(
        *shared,
        funding=pl.lit("Funded"),
        npq_starts=pl.col("npq_funded_starts"),
        npq_unique_participants=pl.col("npq_unique_funded_participants"),
        npq_unique_participants_swc_eligible=pl.col("npq_unique_funded_participants_swc_eligible"),
        percent_workforce_npq_participation=pl.col("percent_workforce_npq_participation"),
        teaching_workforce_headcount_swc=pl.col("teaching_workforce_headcount_swc21"),
    )
    non_funded = frame.select(
        *shared,
        funding=pl.lit("Non-funded"),
        npq_starts=pl.col("npq_non_funded_starts"),
        npq_unique_participants=pl.lit("x"),
        npq_unique_participants_swc_eligible=pl.lit("x"),
        percent_workforce_npq_participation=pl.lit("x"),
        teaching_workforce_headcount_swc=pl.col("teaching_workforce_headcount_swc21"),
    )
    extra = [
        c
        for c in frame.columns
        if c.startswith("_") or c.startswith("source_") or c == "provenance"
    ]
    return pl.concat(
        [funded.hstack(frame.select(extra)), non_funded.hstack(frame.select(extra))],
        how="vertical",
    )


_NPQ_PARTICIPANTS_INDICATORS = (
    "npq_starts",
    "npq_unique_participants",
    "npq_unique_participants_swc_eligible",
    "percent_workforce_npq_participation",
    "teaching_workforce_headcount_swc",
)

NPQ_PARTICIPANTS = Source(
    name="npq_participants",
    title="NPQ participants",
    publication=NPQ_PUBLICATION,
    data_set_id="79418e7a-43e1-495d-afaa-f1253a2fb601",
    **_catalogue("79418e7a-43e1-495d-afaa-f1253a2fb601"),
    route="ees-catalogue-csv",
    geography=LOCAL,
    filters=("funding", "breakdown", "group_name"),
    indicators=_NPQ_PARTICIPANTS_INDICATORS,
    releases={
        "2024/25": ReleaseShape(
            (*TIME, *LOCAL, "funding", "breakdown", "group_name", *_NPQ_PARTICIPANTS_INDICATORS)
        ),
        "2022/23": ReleaseShape(
            (
                *TIME,
                *LOCAL,
                "breakdown",
                "group_name",
                "npq_funded_starts",
                "npq_unique_funded_participants",
                "npq_unique_funded_participants_swc_eligible",
                "npq_non_funded_starts",
                "percent_workforce_npq_participation",
                "teaching_workforce_headcount_swc21",
            ),
            to_current=_npq_2022_23_to_current,
        ),
    },
    synthetic=("npq_participants_breakdowns",),
    in_pipeline=True,
)

NPQ_COMPLETIONS = Source(
    name="npq_completions",
    title="NPQ completions",
    publication=NPQ_PUBLICATION,
    data_set_id="21ee618f-a51d-4ac9-a00d-247f2a535d60",
    **_catalogue("21ee618f-a51d-4ac9-a00d-247f2a535d60"),
    route="ees-catalogue-csv",
    geography=SUB_NATIONAL,
    filters=("funding", "breakdown", "group_name"),
    indicators=(
        "npq_starts",
        "npq_completed",
        "npq_passed",
        "percentage_completion_rate",
        "percentage_pass_rate",
    ),
    in_pipeline=True,
)

NPQ_WORKFORCE = Source(
    name="npq_workforce",
    title="NPQ workforce (cumulative participants as a share of teachers)",
    publication=NPQ_PUBLICATION,
    data_set_id="ab82133c-7624-4130-a336-c0e0cfa97e34",
    **_catalogue("ab82133c-7624-4130-a336-c0e0cfa97e34"),
    route="ees-catalogue-csv",
    geography=NATIONAL,
    filters=("funding",),
    indicators=("npq_participants", "total_teachers", "percentage"),
    in_pipeline=True,
)

NPQ_SCHOOL_COVERAGE = Source(
    name="npq_school_coverage",
    title="NPQ school coverage",
    publication=NPQ_PUBLICATION,
    data_set_id="2f9b4aa1-face-4b44-bb79-8202fd5457bf",
    **_catalogue("2f9b4aa1-face-4b44-bb79-8202fd5457bf"),
    route="ees-catalogue-csv",
    geography=NATIONAL,
    filters=("breakdown", "group_name", "cum_disc"),
    indicators=(
        "total_schools",
        "npq_schools",
        "funded_npq_schools",
        "non_funded_npq_schools",
        "perc_npq_schools",
        "perc_funded_npq_schools",
        "perc_non_funded_npq_schools",
    ),
    in_pipeline=True,
)

WORKFORCE_TEACHER_CHARACTERISTICS = Source(
    name="workforce_teacher_characteristics",
    title="Teacher characteristics",
    publication="School workforce in England",
    data_set_id="b6542541-dbab-4949-bf0e-988f6d0db132",
    **_catalogue("b6542541-dbab-4949-bf0e-988f6d0db132"),
    route="ees-catalogue-csv",
    geography=LOCAL,
    # From the November 2024 census `sex` replaces `gender`.
    filters=(
        "school_type",
        "grade",
        "sex",
        "age_group",
        "working_pattern",
        "qts_status",
        "on_route",
        "ethnicity_major",
        "ethnicity_minor",
    ),
    indicators=(
        "full_time_equivalent",
        "headcount",
        "fte_percent_within_ethnicity",
        "headcount_percent_within_ethnicity",
    ),
    synthetic=("workforce_teacher_characteristics",),
    in_pipeline=True,
)

WORKFORCE_TEACHER_CHARACTERISTICS_SCHOOL = Source(
    name="workforce_teacher_characteristics_school",
    title="Teacher characteristics - school level",
    publication="School workforce in England",
    data_set_id="15fca977-837e-4a82-8e24-bd9ee9fb5515",
    **_catalogue("15fca977-837e-4a82-8e24-bd9ee9fb5515"),
    route="ees-catalogue-csv",
    geography=(*LOCAL, "school_laestab", "school_urn", "school_name"),
    filters=(
        "school_type",
        "grade",
        "sex",
        "age_group",
        "working_pattern",
        "qts_status",
        "on_route",
        "ethnicity_major",
    ),
    indicators=(
        "full_time_equivalent",
        "headcount",
        "fte_school_percent",
        "headcount_school_percent",
    ),
)

SPC_PUPILS_ETHNICITY = Source(
    name="spc_pupils_ethnicity_and_language",
    title="Pupil characteristics - ethnicity and language",
    publication="Schools, pupils and their characteristics",
    data_set_id="04ead355-2db9-48c8-87ab-fcc2477bda73",
    page_url=f"{EES}/find-statistics/school-pupils-and-their-characteristics",
    download_url=f"{EES}/data-catalogue/data-set/04ead355-2db9-48c8-87ab-fcc2477bda73/csv",
    route="ees-catalogue-csv",
    geography=NATIONAL,
    filters=("phase_type_grouping", "ethnicity", "language"),
    indicators=("headcount", "percent_of_pupils"),
    releases={
        "2021/22": ReleaseShape(
            (
                *TIME,
                *NATIONAL,
                "phase_type_grouping",
                "ethnicity",
                "language",
                "headcount",
                "percent_of_pupils",
            )
        ),
        # The 2020/21 file (9a52da0e) named the phase column `Phase-type_grouping`.
        "2020/21": ReleaseShape(
            (
                *TIME,
                *NATIONAL,
                "Phase-type_grouping",
                "ethnicity",
                "language",
                "headcount",
                "percent_of_pupils",
            ),
            to_current=lambda f: f.rename({"Phase-type_grouping": "phase_type_grouping"}),
        ),
    },
    in_pipeline=True,
)

KS4_NATIONAL = Source(
    name="ks4_national_characteristics",
    title="KS4 national characteristics summary",
    publication="Key stage 4 performance",
    data_set_id="1b649e16-01e8-435b-a814-56be2faf9054",
    **_catalogue("1b649e16-01e8-435b-a814-56be2faf9054"),
    route="ees-api",
    geography=NATIONAL,
    filters=("version", "establishment_type_group", "breakdown_topic", "breakdown"),
    indicators=(
        "school_count",
        "pupil_count",
        "attainment8_average",
        "engmath_95_percent",
        "engmath_94_percent",
        "progress8_average",
    ),
    signed=("progress8_average",),
)

KS4_SCHOOL_LEVEL = Source(
    name="ks4_school_performance",
    title="KS4 school-level performance tables (england_ks4final)",
    publication="Compare school and college performance",
    data_set_id="england_ks4final",
    page_url="https://www.compare-school-performance.service.gov.uk/download-data",
    download_url="https://www.compare-school-performance.service.gov.uk/download-data",
    route="performance-tables",
    source="performance_tables",
    time_identifier="Academic year",
    geography=("URN",),
    filters=(),
    indicators=(
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
    ),
    synthetic=("ks4_school_performance",),
    layout="school_level",
    signed=("P8MEA",),
    columns={
        "time_period": "time_period",
        "RECTYPE": "record_type",
        "LEA": "la_code",
        "ESTAB": "establishment_number",
        "URN": "urn",
        "SCHNAME": "school_name",
        "TOTPUPS": "pupils_on_roll",
        "TPUP": "ks4_pupils",
        "TFSM6CLA1A": "ks4_disadvantaged_pupils",
        "PTFSM6CLA1A": "ks4_disadvantaged_pct",
        "ATT8SCR": "attainment8",
        "ATT8SCR_FSM6CLA1A": "attainment8_disadvantaged",
        "ATT8SCR_NFSM6CLA1A": "attainment8_not_disadvantaged",
        "P8MEA": "progress8",
        "PTL2BASICS_95": "engmath_95_pct",
        "PTL2BASICS_94": "engmath_94_pct",
        "PTEBACC_E_PTQ_EE": "ebacc_entered_pct",
        "EBACCAPS": "ebacc_aps",
    },
    in_pipeline=True,
)

OFSTED_OUTCOMES = Source(
    name="ofsted_school_inspections",
    title="Monthly management information: Ofsted school inspection outcomes",
    publication="Ofsted",
    data_set_id="ofsted-mi-school-inspections",
    page_url="https://www.gov.uk/government/statistical-data-sets/monthly-management-information-ofsteds-school-inspections-outcomes",
    download_url="https://www.gov.uk/government/statistical-data-sets/monthly-management-information-ofsteds-school-inspections-outcomes",
    route="ofsted-mi",
    source="ofsted",
    publisher="Ofsted",
    geography=("URN",),
    filters=("Ofsted phase", "Inspection type"),
    indicators=(
        "Overall effectiveness",
        "Quality of education",
        "Effectiveness of leadership and management",
    ),
)

GIAS = Source(
    name="gias_establishments",
    title="Get Information About Schools: all establishments (edubasealldata)",
    publication="Get Information About Schools",
    data_set_id="edubasealldata",
    page_url="https://get-information-schools.service.gov.uk/Downloads",
    download_url="https://ea-edubase-api-prod.azurewebsites.net/edubase/downloads/public/edubasealldata{date}.csv",
    route="gias",
    source="gias",
    time_identifier="Calendar year",
    geography=("URN", "LA (code)", "LA (name)", "GOR (name)"),
    filters=(
        "TypeOfEstablishment (name)",
        "EstablishmentTypeGroup (name)",
        "EstablishmentStatus (name)",
        "PhaseOfEducation (name)",
    ),
    indicators=("NumberOfPupils", "PercentageFSM"),
    synthetic=("gias_establishments",),
    layout="school_level",
    columns={
        "URN": "urn",
        "LA (code)": "la_code",
        "LA (name)": "la_name",
        "EstablishmentNumber": "establishment_number",
        "EstablishmentName": "establishment_name",
        "TypeOfEstablishment (name)": "establishment_type",
        "EstablishmentTypeGroup (name)": "establishment_type_group",
        "EstablishmentStatus (name)": "establishment_status",
        "OpenDate": "open_date",
        "PhaseOfEducation (name)": "phase",
        "StatutoryLowAge": "statutory_low_age",
        "StatutoryHighAge": "statutory_high_age",
        "Gender (name)": "gender",
        "ReligiousCharacter (name)": "religious_character",
        "AdmissionsPolicy (name)": "admissions_policy",
        "NumberOfPupils": "pupils_on_roll",
        "PercentageFSM": "fsm_pct",
        "TrustSchoolFlag (name)": "trust_flag",
        "Trusts (code)": "trust_code",
        "Trusts (name)": "trust_name",
        "OfstedLastInsp": "ofsted_last_inspection",
        "GOR (name)": "region_name",
        "UrbanRural (name)": "urban_rural",
        "GSSLACode (name)": "la_gss_code",
        "OfstedRating (name)": "ofsted_rating",
    },
    in_pipeline=True,
    # The full list: every establishment ever open (about 50,000 rows of some 130 columns).
    max_bytes=128 * MIB,
)

# Real files embedded from a public DfE analysts' repository; the manifest of each
# release names it (`origin`). The EES data set id of the ECF participants file is known only by
# its first 8 hex digits, so no catalogue URL is built for these.
_ECF_ORIGIN = (
    "https://github.com/dfe-analytical-services/hackathon-2025-llm-stats-qa/tree/"
    "d77d7b73673d3fc860341f21cb1fcaa7a6d4e655/Data"
)
_ECF_PARTICIPANTS_INDICATORS = (
    "total_ects_count",
    "cumulative_ects",
    "count_swfc_ects",
    "breakdown_percent_ect",
    "breakdown_percent_swfc_ect",
    "programme_percent_ect",
    "programme_percent_swfc_ect",
)

ECF_PARTICIPANTS = Source(
    name="ecf_participants",
    title="ECF participants (early career teachers starting induction)",
    publication=NPQ_PUBLICATION,
    data_set_id="69eb39b1",
    page_url=_ECF_ORIGIN,
    download_url=_ECF_ORIGIN,
    route="embedded",
    geography=LOCAL,
    filters=("programme", "breakdown", "group_name"),
    indicators=_ECF_PARTICIPANTS_INDICATORS,
    releases={
        "2024/25": ReleaseShape(
            (*TIME, *LOCAL, "programme", "breakdown", "group_name", *_ECF_PARTICIPANTS_INDICATORS)
        )
    },
    in_pipeline=True,
)

ECF_MENTORS = Source(
    name="ecf_mentors",
    title="ECF mentors trained (provider-led)",
    publication=NPQ_PUBLICATION,
    data_set_id="teacher_leader_development_ecf_mentor_2024_25",
    page_url=_ECF_ORIGIN,
    download_url=_ECF_ORIGIN,
    route="embedded",
    geography=LOCAL,
    filters=("breakdown", "group_name"),
    indicators=("total_mentors_trained_count_provider_led", "breakdown_percent_mentor"),
    in_pipeline=True,
)

ECF_RETENTION = Source(
    name="ecf_retention",
    title="ECF retention (early career teachers retained one to three years after induction)",
    publication=NPQ_PUBLICATION,
    data_set_id="teacher_leader_development_ecf_retention_2024_25",
    page_url=_ECF_ORIGIN,
    download_url=_ECF_ORIGIN,
    route="embedded",
    geography=SUB_NATIONAL,
    filters=("programme", "breakdown", "group_name"),
    indicators=(
        "count_swfc_ects",
        "count_one_year_retention",
        "count_two_year_retention",
        "count_three_year_retention",
        "percent_one_year_retention",
        "percent_two_year_retention",
        "percent_three_year_retention",
    ),
    in_pipeline=True,
)

# The 2023/24 revised national characteristics file in its own (pre-2024/25) layout: one filter
# column per pupil characteristic, `breakdown` naming the one that is not Total. KS4_NATIONAL
# above is the 2024/25 data set in the harmonised layout (not embedded).
_KS4_CHAR_FILTERS = (
    "version",
    "establishment_type_group",
    "breakdown",
    "sex",
    "ethnicity_major",
    "ethnicity_minor",
    "free_school_meals",
    "sen_provision",
    "sen_status",
    "sen_primary_need",
    "disadvantage",
    "first_language",
    "admission_type",
    "religious_denomination",
)
_KS4_CHAR_INDICATORS = (
    "t_schools",
    "t_pupils",
    "t_att8",
    "avg_att8",
    "t_entbasics",
    "pt_entbasics",
    "t_l2basics_95",
    "pt_l2basics_95",
    "t_l2basics_94",
    "pt_l2basics_94",
    "t_ebacc_e_ptq_ee",
    "pt_ebacc_e_ptq_ee",
    "t_ebacc_95",
    "pt_ebacc_95",
    "t_ebacc_94",
    "pt_ebacc_94",
    "t_ebaccaps",
    "avg_ebaccaps",
    "t_inp8calc",
    "t_p8score",
    "avg_p8score",
    "p8score_ci_low",
    "p8score_ci_upp",
)

KS4_NATIONAL_CHAR = Source(
    name="ks4_national_char",
    title="KS4 national characteristics data (2023/24 revised; 2018/19 to 2023/24)",
    publication="Key stage 4 performance",
    data_set_id="202324_national_char_data_revised",
    page_url=_ECF_ORIGIN,
    download_url=_ECF_ORIGIN,
    route="embedded",
    geography=NATIONAL,
    filters=_KS4_CHAR_FILTERS,
    indicators=_KS4_CHAR_INDICATORS,
    releases={
        "2023/24": ReleaseShape((*TIME, *NATIONAL, *_KS4_CHAR_FILTERS, *_KS4_CHAR_INDICATORS))
    },
    signed=("t_p8score", "avg_p8score", "p8score_ci_low", "p8score_ci_upp"),
    in_pipeline=True,
)

SOURCES: dict[str, Source] = {
    s.name: s
    for s in (
        NPQ_PARTICIPANTS,
        NPQ_COMPLETIONS,
        NPQ_WORKFORCE,
        NPQ_SCHOOL_COVERAGE,
        WORKFORCE_TEACHER_CHARACTERISTICS,
        WORKFORCE_TEACHER_CHARACTERISTICS_SCHOOL,
        SPC_PUPILS_ETHNICITY,
        KS4_NATIONAL,
        KS4_SCHOOL_LEVEL,
        OFSTED_OUTCOMES,
        GIAS,
        ECF_PARTICIPANTS,
        ECF_MENTORS,
        ECF_RETENTION,
        KS4_NATIONAL_CHAR,
    )
}


@dataclass(frozen=True)
class RawFile:
    path: Path
    sha256: str
    provenance: str
    release: str
    manifest: dict


def sha256_of(path: Path) -> str:
    with path.open("rb") as handle:  # in blocks: a file of any size costs no memory to hash
        return hashlib.file_digest(handle, "sha256").hexdigest()


def max_bytes_for(dataset: str) -> int:
    """The largest file of `dataset` that is read: its source's `max_bytes`, else the default
    (synthetic companions and compiled tables share their data set's name or have none)."""
    source = SOURCES.get(dataset)
    return source.max_bytes if source is not None else DEFAULT_MAX_BYTES


def read_manifest(folder: Path, release: bool = False) -> dict:
    manifest_path = folder / "manifest.json"
    if not manifest_path.exists():
        raise InputError(
            manifest_path, "is missing: every raw release needs a manifest", rule="manifest"
        )
    if not _is_regular_file_within(manifest_path, folder):
        raise InputError(
            manifest_path,
            "is not a regular file inside its release folder: refused unread",
            rule="manifest",
        )
    # UTF-8 JSON of the shape the loaders rely on, or one InputError naming line and field.
    return parse_manifest(manifest_path, release=release)


def _is_regular_file_within(path: Path, folder: Path) -> bool:
    """True if `path` (symlinks followed) is a regular file inside `folder`. Never opens it."""
    if not path.resolve().is_relative_to(folder.resolve()):
        return False
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False


def entry_path(folder: Path, manifest_text: str, index: int, entry: dict) -> Path:
    """The file a manifest entry names, refused unless it is a regular file inside `folder`.

    Checked without opening the file: an absolute path, `..` segments, a symlink resolving
    elsewhere, or a FIFO, device or folder is refused with the manifest, the entry's line and
    the entry named."""
    manifest_path = folder / "manifest.json"
    name = entry.get("path") if isinstance(entry, dict) else None
    encoded = json.dumps(name)
    row = next((n for n, line in enumerate(manifest_text.splitlines(), 1) if encoded in line), None)

    def refuse(why: str) -> InputError:
        return InputError(
            manifest_path,
            f"entry {name!r} {why}: every file of a release must be a regular file inside "
            "its release folder; refused before anything was read",
            row=row,
            column=f"files[{index}].path",
            rule="manifest",
        )

    if not isinstance(name, str) or not name.strip():
        raise refuse("is not a file name")
    relative = Path(name)
    if relative.is_absolute():
        raise refuse("is an absolute path")
    if ".." in relative.parts:
        raise refuse("goes outside its release folder (`..`)")
    path = folder / relative
    if not path.resolve().is_relative_to(folder.resolve()):
        raise refuse("is a symlink that resolves outside its release folder")
    if not path.exists():
        raise InputError(path, "is listed in the manifest but missing", rule="manifest")
    if not stat.S_ISREG(path.stat().st_mode):
        raise refuse("is not a regular file (a FIFO, device or folder)")
    return path


def verified_files(folder: Path) -> list[RawFile]:
    """The files of one release folder, each checked against the sha256 in its manifest.

    Every entry must name a regular file inside the release folder (`entry_path`); all
    entries are checked before any file is read."""
    manifest = read_manifest(folder, release=True)
    text = (folder / "manifest.json").read_text(encoding="utf-8")
    entries = manifest.get("files", [])
    paths = [entry_path(folder, text, index, entry) for index, entry in enumerate(entries)]
    files = []
    for path, entry in zip(paths, entries, strict=True):
        actual = sha256_of(path)
        if actual != entry["sha256"]:
            raise InputError(
                path,
                f"does not match its manifest (sha256 {actual[:12]}... expected "
                f"{entry['sha256'][:12]}...): raw files are never edited; add a new release",
                rule="checksum",
            )
        files.append(RawFile(path, actual, entry["provenance"], manifest["release"], manifest))
    if not files:
        raise InputError(folder / "manifest.json", "lists no files", rule="manifest")
    return files


def release_dirs(folder: Path) -> list[Path]:
    """A data set's release folders, oldest first (folder names sort by release, then date);
    hidden folders (a fetch in progress) are not releases."""
    if not folder.exists():
        return []
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def latest_release_dir(folder: Path) -> Path:
    """The newest release folder of a data set."""
    releases = release_dirs(folder)
    if not releases:
        raise InputError(folder, "holds no release folder", rule="manifest")
    return releases[-1]


def input_files(source: Source, raw_root: Path) -> list[RawFile]:
    """What the pipeline reads for a source: every published release, oldest first (staging
    keeps the newest release's row for each key, so a row only an older release published is
    still read), then synthetic companions (used only where no published row has the key)."""
    published = source.folder(raw_root)
    if published.exists() or not source.synthetic:
        latest_release_dir(published)  # refuses a data set with no release
        files = [f for folder in release_dirs(published) for f in verified_files(folder)]
    else:
        files = []  # nothing published at this grain yet: the synthetic companion stands in
    for name in source.synthetic:
        companion = raw_root / "synthetic" / name
        if companion.exists():
            files += verified_files(latest_release_dir(companion))
    if not files:
        raise InputError(published, "holds no release and no synthetic companion", rule="manifest")
    return files


def to_current_layout(source: Source, release: str, frame: pl.DataFrame) -> pl.DataFrame:
    """Bring one release's rows to the current column layout, if that release had another."""
    shape = source.releases.get(release)
    if shape is None or shape.to_current is None:
        return frame
    return shape.to_current(frame)


@dataclass(frozen=True)
class CompiledSource:
    """A table of published figures compiled from several public sources, one source per row.

    Each row keeps its `source_url`; `confidence` is derived from the row's own tags (official,
    secondary, derived, unverified) so that an uncertain figure stays marked downstream.
    """

    name: str
    description: str
    default_confidence: str  # for rows whose tags say nothing more specific
    source: str = "compiled"

    def folder(self, raw_root: Path) -> Path:
        return raw_root / self.source / self.name


COMPILED: dict[str, CompiledSource] = {
    s.name: s
    for s in (
        CompiledSource(
            "npq_release_text_figures",
            "NPQ figures quoted in EES release text, incl. superseded values",
            "official",
        ),
        CompiledSource(
            "npq_target_and_funding_policy",
            "The 150,000 target, GBP 184m, window and funding changes",
            "secondary",
        ),
        CompiledSource(
            "npq_claims",
            "Published statements about NPQ take-up to check against the data",
            "secondary",
        ),
        CompiledSource(
            "npq_media_and_claim_checks",
            "Published statements about NPQ take-up, with whether each was found",
            "secondary",
        ),
        CompiledSource(
            "swf_leadership_diversity",
            "Headline ethnicity and sex shares of school leaders and teachers",
            "secondary",
        ),
        CompiledSource("swf_teacher_totals", "Teacher FTE and headcount totals", "secondary"),
        CompiledSource(
            "spc_white_british_share", "White British share of pupils by phase", "secondary"
        ),
    )
}

# School lists behind NPQ funding eligibility (not EES open data; staged by
# pipelines/eligibility.py into one school-level frame). Not a compiled table of figures.
NPQ_ELIGIBILITY = CompiledSource(
    "npq_eligibility",
    "NPQ funding eligibility lists: high pupil premium 2021/22, PP50 autumn 2024, January and "
    "autumn 2025, RISE schools autumn 2025",
    "official",
    source="dfe",
)
