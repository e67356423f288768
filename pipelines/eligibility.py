"""NPQ funding eligibility lists: DfE's school lists -> one school-level eligibility frame.

The lists (data/raw/dfe/npq_eligibility/<release>/) are plain CSVs of schools, one file per list
and cohort, with their own column names: the 2021/22 high pupil premium list has URNs only;
the PP50 lists (autumn 2024, January and autumn 2025) add LA, name, type and district; the RISE
list adds region and phase. The manifest names each file's `list`, `cohort` and
`cohort_start`.

`load_lists` reads each list with its headers named as ours (`COLUMNS`); `stage_eligibility`
types the URN, drops rows that repeat an earlier row exactly (the autumn 2024 list repeats
seven schools) and refuses a URN listed twice with different details. Region is the list's own
where it has one; otherwise it is the region of the school's LA (data/raw/reference/geography,
the 2021/22 published geography, plus the two LAs created in 2023: `NEW_LAS`), and
`region_from` says which. Nothing is filled that the list does not
give: a URN-only list has no LA, type or phase.
"""

from pathlib import Path

import polars as pl

from pipelines.ees import ROW_NUMBER, read_text_csv
from pipelines.errors import InputError
from pipelines.raw import load_files
from pipelines.sources import NPQ_ELIGIBILITY, latest_release_dir, verified_files

GEOGRAPHY = Path("reference") / "geography"

# Published column names (compared in lower case) -> ours.
COLUMNS = {
    "urn": "urn",
    "school urn": "urn",
    "school name": "school_name",
    "local authority": "la_name",
    "administrative district": "district",
    "school type": "school_type",
    "phase of education": "phase",
    "region": "region_name",
}
ATTRIBUTES = ("school_name", "la_name", "district", "school_type", "phase", "region_name")
# Cumbria was replaced in April 2023 by two unitary authorities, both in the North West;
# the 2021/22 lookup predates them.
NEW_LAS = {"Cumberland": "North West", "Westmorland and Furness": "North West"}
LOAD = ("source_file", "source_row", "source_sha256", "provenance")
STAGED = (
    "list",
    "cohort",
    "cohort_start",
    "urn",
    *ATTRIBUTES,
    "region_from",
    *LOAD,
)


def load_lists(raw_root: Path) -> pl.DataFrame:
    """Every list of the latest release, verbatim (text), checked against its manifest's
    sha256, with load columns and the list, cohort and cohort_start its manifest gives it."""
    files = verified_files(latest_release_dir(NPQ_ELIGIBILITY.folder(raw_root)))
    described = pl.DataFrame(
        [
            {
                "source_file": f.path.name,
                **{k: e.get(k) for k in ("list", "cohort", "cohort_start")},
            }
            for f in files
            for e in f.manifest["files"]
            if e["path"] == f.path.name
        ],
        schema={k: pl.String for k in ("source_file", "list", "cohort", "cohort_start")},
    )
    for column in ("list", "cohort", "cohort_start"):
        missing = described.filter(pl.col(column).is_null())
        if missing.height:
            raise InputError(
                files[0].path.parent / "manifest.json",
                f"entry {missing['source_file'][0]!r} does not say its {column}",
                column=column,
                rule="manifest",
            )
    return load_files(files, _read_list).join(described, on="source_file", how="left")


def _read_list(path: Path) -> pl.DataFrame:
    """One list, cells verbatim, its columns named as ours (each list spells its headers its
    own way, and a database cannot hold `URN` beside `urn`); `urn_header` keeps the published
    name of the URN column for error messages. A column no list has had is refused."""
    frame = read_text_csv(path)
    data = [c for c in frame.columns if c != ROW_NUMBER]
    for name in data:
        if name.strip().lower() not in COLUMNS:
            raise InputError(
                path,
                "is a column no eligibility list has had: update pipelines/eligibility.py "
                "COLUMNS before accepting this list",
                row=1,
                column=name,
                rule="schema",
            )
    renames = {c: COLUMNS[c.strip().lower()] for c in data}
    if "urn" not in renames.values():
        raise InputError(path, "has no URN column", row=1, column="URN", rule="required_columns")
    header = next(c for c, ours in renames.items() if ours == "urn")
    return frame.rename(renames).with_columns(urn_header=pl.lit(header))


def load_la_regions(raw_root: Path) -> pl.DataFrame:
    """The published LA -> region lookup (data/raw/reference/geography), checked."""
    (lookup,) = verified_files(raw_root / GEOGRAPHY)
    return read_text_csv(lookup.path).select("la_name", "region_name")


def _one_file(part: pl.DataFrame, file: str) -> pl.DataFrame:
    urn_column = part["urn_header"][0]
    typed = part.with_columns(urn=pl.col("urn").str.strip_chars().cast(pl.Int64, strict=False))
    bad = part.filter(typed["urn"].is_null())
    if bad.height:
        raise InputError(
            file, "holds a URN that is not a whole number", row=bad["source_row"][0],
            column=urn_column, rule="column_type",
        )  # fmt: skip
    # Exact repeats of an earlier row are dropped; the same URN with other details is an error.
    typed = typed.unique(subset=["urn", *ATTRIBUTES], keep="first", maintain_order=True)
    clash = typed.filter(pl.col("urn").is_duplicated())
    if clash.height:
        raise InputError(
            file, "lists a school twice with different details", row=clash["source_row"][1],
            column=urn_column, rule="duplicate_rows",
        )  # fmt: skip
    return typed.select("urn", *ATTRIBUTES, *LOAD, "list", "cohort", "cohort_start")


def stage_eligibility(raw: pl.DataFrame, la_regions: pl.DataFrame) -> pl.DataFrame:
    """The eligibility frame: one row per list x cohort x school. `raw` is every file of the
    release as text with load columns and the manifest's list, cohort and cohort_start;
    `la_regions` has la_name and region_name."""
    raw = raw.with_columns(
        pl.lit(None, pl.String).alias(c) for c in ATTRIBUTES if c not in raw.columns
    )
    parts = [
        _one_file(raw.filter(pl.col("source_file") == file), file)
        for file in raw["source_file"].unique(maintain_order=True).to_list()
    ]
    frame = pl.concat(parts, how="vertical")
    lookup = pl.concat(
        [
            la_regions.select("la_name", "region_name").unique(),
            pl.DataFrame({"la_name": list(NEW_LAS), "region_name": list(NEW_LAS.values())}),
        ]
    ).rename({"region_name": "la_region"})
    frame = frame.join(lookup, on="la_name", how="left")
    # A list's own region names are written as in the published geography ("Yorkshire and
    # the Humber" -> "Yorkshire and The Humber").
    spelling = dict(
        lookup.select(pl.col("la_region").str.to_lowercase().alias("key"), "la_region")
        .unique()
        .iter_rows()
    )
    frame = frame.with_columns(
        region_name=pl.col("region_name")
        .str.to_lowercase()
        .replace_strict(spelling, default=pl.col("region_name"))
    )
    return (
        frame.with_columns(
            region_from=pl.when(pl.col("region_name").is_not_null())
            .then(pl.lit("list"))
            .when(pl.col("la_region").is_not_null())
            .then(pl.lit("la_region_lookup")),
            region_name=pl.coalesce("region_name", "la_region"),
            cohort_start=pl.col("cohort_start").str.to_date("%Y-%m-%d"),
            source_row=pl.col("source_row").cast(pl.Int64),
        )
        .select(STAGED)
        .sort("cohort_start", "list", "urn")
    )
