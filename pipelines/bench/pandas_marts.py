"""The six record-level marts the way an analyst would write them in pandas.

This is the benchmark's "straightforward alternative" (pipelines/bench/__init__.py): read every
Parquet file with `pd.read_parquet`, concatenate, derive the group columns on the record-level
frames, then `groupby`, `merge` and `transform`, as in a notebook. It is idiomatic and not
deliberately slow (vectorised throughout, no row loops, counts before reshaping), nor
micro-optimised (no column pruning on read, no categoricals, no chunking): the pipeline's
advantage over it is measured against ordinary good practice. Definitions:
pipelines/records/MARTS.md; the marts are written as `<out>/<mart>.parquet`.

    python -m pipelines.bench.pandas_marts RECORDS_DIR OUT_DIR
"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd

ENGLAND = "E92000001"
UNKNOWN_ETHNICITY = "Unknown / refused / information not yet obtained"
LEADERSHIP = ("Head teacher", "Deputy head teacher", "Assistant head teacher")
TARGET_WINDOW = (202122, 202223, 202324)
TARGET_PLACES = 150000
GROUP_SETS = ("sex", "ethnicity_major", "ethnicity_white_british")


def read_collection(records: Path, collection: str) -> pd.DataFrame:
    files = sorted((records / collection).glob("*.parquet"))
    frame = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    frame["time_period"] = frame["time_period"].astype("int32")
    return frame


def academic_year(time_period: pd.Series) -> pd.Series:
    return (time_period // 100).astype(str) + "/" + (time_period % 100).astype(str).str.zfill(2)


def add_groups(frame: pd.DataFrame) -> pd.DataFrame:
    """One column per group set (`<set>` the group, `<set>_known` whether it is known)."""
    major = frame["ethnicity_major"]
    frame["sex_known"] = frame["sex"] != "Unknown"
    frame["ethnicity_major_known"] = major != UNKNOWN_ETHNICITY
    frame["ethnicity_white_british_known"] = major != UNKNOWN_ETHNICITY
    frame["ethnicity_major"] = major.replace(UNKNOWN_ETHNICITY, "Unknown / refused / not obtained")
    frame["ethnicity_white_british"] = np.select(
        [
            frame["ethnicity_minor"] == "White - White British",
            major == "White",
            major == UNKNOWN_ETHNICITY,
        ],
        ["White British", "Other White", "Unknown"],
        default="Ethnic minority",
    )
    return frame


def with_funding(npq: pd.DataFrame) -> pd.DataFrame:
    """Every start once as 'Overall' and the funded ones again as 'Funded'."""
    return pd.concat(
        [npq.assign(funding="Overall"), npq[npq["funded"]].assign(funding="Funded")],
        ignore_index=True,
    )


def takeup_by_year(npq: pd.DataFrame) -> pd.DataFrame:
    years = (
        with_funding(npq)
        .groupby(["time_period", "funding"])
        .agg(
            npq_starts=("participant_ref", "size"),
            npq_unique_participants=("participant_ref", "nunique"),
        )
        .reset_index()
        .sort_values(["funding", "time_period"])
    )
    in_window = years[years["time_period"].isin(TARGET_WINDOW)].copy()
    in_window["cumulative_npq_starts_in_window"] = in_window.groupby("funding")[
        "npq_starts"
    ].cumsum()
    years = years.merge(
        in_window[["time_period", "funding", "cumulative_npq_starts_in_window"]],
        on=["time_period", "funding"],
        how="left",
    )
    years["cumulative_npq_starts_in_window"] = years["cumulative_npq_starts_in_window"].astype(
        "Int64"
    )
    years["percent_of_target"] = (
        years["cumulative_npq_starts_in_window"].astype("float64") * 100.0 / TARGET_PLACES
    )
    years.insert(1, "academic_year", academic_year(years["time_period"]))
    return years


def takeup_by_course(npq: pd.DataFrame) -> pd.DataFrame:
    courses = (
        with_funding(npq)
        .groupby(["time_period", "funding", "course_code"])
        .size()
        .rename("npq_starts")
        .reset_index()
    )
    year_total = courses.groupby(["time_period", "funding"])["npq_starts"].transform("sum")
    courses["percent_of_year_starts"] = courses["npq_starts"] * 100.0 / year_total
    courses.insert(1, "academic_year", academic_year(courses["time_period"]))
    return courses


def takeup_by_region(npq: pd.DataFrame, census: pd.DataFrame) -> pd.DataFrame:
    regions = (
        with_funding(npq)
        .groupby(["time_period", "funding", "region_code"])
        .size()
        .rename("npq_starts")
        .reset_index()
    )
    teachers = (
        census.groupby(["time_period", "region_code"])
        .size()
        .rename("teachers_headcount")
        .reset_index()
    )
    regions = regions.merge(teachers, on=["time_period", "region_code"], how="left")
    # NULL without a census for the year; 0 for a region with no teachers in that census.
    has_census = regions["time_period"].isin(census["time_period"].unique())
    regions["teachers_headcount"] = (
        regions["teachers_headcount"].fillna(0).astype("Int64").where(has_census, pd.NA)
    )
    per_1000 = regions["npq_starts"] * 1000.0 / regions["teachers_headcount"].astype("float64")
    regions["starts_per_1000_teachers"] = per_1000.where(regions["teachers_headcount"] > 0)
    regions.insert(1, "academic_year", academic_year(regions["time_period"]))
    return regions


def workforce_by_grade(census: pd.DataFrame) -> pd.DataFrame:
    frames = []
    for group_set in GROUP_SETS:
        counts = (
            census.groupby(["time_period", "region_code", "grade", group_set, f"{group_set}_known"])
            .size()
            .rename("headcount")
            .reset_index()
            .rename(
                columns={
                    "region_code": "area_code",
                    group_set: "group_name",
                    f"{group_set}_known": "group_is_known",
                }
            )
        )
        by_grade = pd.concat(
            [
                counts,
                counts[counts["grade"].isin(LEADERSHIP)].assign(grade="Leadership"),
                counts.assign(grade="All teachers"),
            ],
            ignore_index=True,
        )
        by_area = pd.concat([by_grade, by_grade.assign(area_code=ENGLAND)], ignore_index=True)
        summed = (
            by_area.groupby(["time_period", "area_code", "grade", "group_name", "group_is_known"])[
                "headcount"
            ]
            .sum()
            .reset_index()
        )
        summed["group_set"] = group_set
        frames.append(summed)
    workforce = pd.concat(frames, ignore_index=True)
    line = ["time_period", "area_code", "grade", "group_set"]
    workforce["denominator_all_headcount"] = workforce.groupby(line)["headcount"].transform("sum")
    workforce["known_headcount"] = workforce["headcount"].where(workforce["group_is_known"], 0)
    workforce["denominator_known_headcount"] = workforce.groupby(line)["known_headcount"].transform(
        "sum"
    )
    workforce["share_of_all_pct"] = (
        workforce["headcount"] * 100.0 / workforce["denominator_all_headcount"]
    )
    known_share = workforce["headcount"] * 100.0 / workforce["denominator_known_headcount"]
    workforce["share_of_known_pct"] = known_share.where(
        workforce["group_is_known"] & (workforce["denominator_known_headcount"] > 0)
    )
    workforce.insert(1, "academic_year", academic_year(workforce["time_period"]))
    columns = [
        "time_period",
        "academic_year",
        "area_code",
        "grade",
        "group_set",
        "group_name",
        "group_is_known",
        "headcount",
        "denominator_all_headcount",
        "denominator_known_headcount",
        "share_of_all_pct",
        "share_of_known_pct",
    ]
    return workforce[columns]


def linked_starts(npq: pd.DataFrame, census: pd.DataFrame) -> pd.DataFrame:
    """NPQ starts whose teacher_ref is in the same year's census, with that census row's
    characteristics."""
    characteristics = census[
        ["time_period", "teacher_ref"] + [c for s in GROUP_SETS for c in (s, f"{s}_known")]
    ]
    return npq.dropna(subset=["teacher_ref"]).merge(
        characteristics, on=["time_period", "teacher_ref"], how="inner"
    )


def npq_pipeline(linked: pd.DataFrame, workforce: pd.DataFrame) -> pd.DataFrame:
    frames = []
    for group_set in GROUP_SETS:
        keys = ["time_period", "course_code", group_set, f"{group_set}_known"]
        counts = linked.groupby(keys).size().rename("npq_starts").reset_index()
        all_courses = (
            counts.groupby(keys[:1] + keys[2:])["npq_starts"]
            .sum()
            .reset_index()
            .assign(course_code="All NPQs")
        )
        both = pd.concat([counts, all_courses], ignore_index=True).rename(
            columns={group_set: "group_name", f"{group_set}_known": "group_is_known"}
        )
        both["group_set"] = group_set
        frames.append(both)
    pipeline = pd.concat(frames, ignore_index=True)
    pipeline["known_starts"] = pipeline["npq_starts"].where(pipeline["group_is_known"], 0)
    pipeline["npq_known_starts"] = pipeline.groupby(["time_period", "course_code", "group_set"])[
        "known_starts"
    ].transform("sum")
    share = pipeline["npq_starts"] * 100.0 / pipeline["npq_known_starts"]
    pipeline["npq_share_of_known_pct"] = share.where(
        pipeline["group_is_known"] & (pipeline["npq_known_starts"] > 0)
    )
    england = workforce[workforce["area_code"] == ENGLAND]
    keys = ["time_period", "group_set", "group_name"]
    for grade, column in (
        ("Head teacher", "head_teacher_share_of_known_pct"),
        ("All teachers", "all_teachers_share_of_known_pct"),
    ):
        shares = england.loc[england["grade"] == grade, [*keys, "share_of_known_pct"]]
        pipeline = pipeline.merge(
            shares.rename(columns={"share_of_known_pct": column}), on=keys, how="left"
        )
    pipeline["gap_to_heads_pp"] = (
        pipeline["npq_share_of_known_pct"] - pipeline["head_teacher_share_of_known_pct"]
    )
    pipeline.insert(1, "academic_year", academic_year(pipeline["time_period"]))
    columns = [
        "time_period",
        "academic_year",
        "course_code",
        "group_set",
        "group_name",
        "group_is_known",
        "npq_starts",
        "npq_known_starts",
        "npq_share_of_known_pct",
        "head_teacher_share_of_known_pct",
        "all_teachers_share_of_known_pct",
        "gap_to_heads_pp",
    ]
    return pipeline[columns]


def linkage(npq: pd.DataFrame, census: pd.DataFrame, linked: pd.DataFrame) -> pd.DataFrame:
    years = npq.groupby("time_period").size().rename("npq_starts").reset_index()
    linked_per_year = linked.groupby("time_period").size().rename("linked_starts")
    years = years.merge(linked_per_year, on="time_period", how="left")
    years["linked_starts"] = years["linked_starts"].fillna(0).astype("int64")
    years["linked_pct"] = years["linked_starts"] * 100.0 / years["npq_starts"]
    years["census_available"] = years["time_period"].isin(census["time_period"].unique())
    years.insert(1, "academic_year", academic_year(years["time_period"]))
    return years


def build(records: Path) -> dict[str, pd.DataFrame]:
    census = add_groups(read_collection(records, "teacher_census"))
    npq = read_collection(records, "npq_participants")
    npq["funded"] = npq["funded"].astype(bool)
    linked = linked_starts(npq, census)
    workforce = workforce_by_grade(census)
    return {
        "rec_npq_takeup_by_year": takeup_by_year(npq),
        "rec_npq_takeup_by_course": takeup_by_course(npq),
        "rec_npq_takeup_by_region": takeup_by_region(npq, census),
        "rec_workforce_by_grade": workforce,
        "rec_npq_pipeline": npq_pipeline(linked, workforce),
        "rec_linkage": linkage(npq, census, linked),
    }


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    records, out = Path(args[0]), Path(args[1])
    out.mkdir(parents=True, exist_ok=True)
    for name, mart in build(records).items():
        mart.to_parquet(out / f"{name}.parquet", index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
