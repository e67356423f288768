"""Small record-level files that meet the contract, written with DuckDB, for unit tests.

Values are drawn from seeded hashes; nothing here reconciles to published totals (the
synthetic generator's own tests cover that)."""

from pathlib import Path

import duckdb

from pipelines.records.contract import ETHNICITY_MAJOR, GRADES, NPQ_COURSES, REGIONS, SEXES


def _list(values) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def _pick(values, salt: str) -> str:
    return f"{_list(values)}[1 + (hash(i, '{salt}') % {len(values)})::INTEGER]"


def write_records(
    root: Path, census_years=(202324, 202425), npq_years=(202223, 202324, 202425), n=5000
) -> Path:
    for sub in ("teacher_census", "npq_participants"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as con:
        for year in census_years:
            con.execute(f"""
                COPY (
                    SELECT 'T' || left(md5(i::VARCHAR || '-' || {year}), 16) AS teacher_ref,
                           {year}::INTEGER AS time_period,
                           {_pick(GRADES, "g")} AS grade,
                           {_pick(SEXES[:2], "s")} AS sex,
                           {_pick(ETHNICITY_MAJOR, "e")} AS ethnicity_major,
                           CASE WHEN ethnicity_major = 'White'
                                THEN {_pick(["White - White British", "White - Irish"], "m")}
                           END AS ethnicity_minor,
                           {_pick(list(REGIONS), "r")} AS region_code
                    FROM range({n}) AS t (i)
                ) TO '{root}/teacher_census/{year}.parquet' (FORMAT parquet)
            """)
        for year in npq_years:
            con.execute(f"""
                COPY (
                    SELECT 'P' || left(md5('p' || i::VARCHAR || '-' || {year}), 16)
                               AS participant_ref,
                           -- one start in five is by someone not in the census (unlinked)
                           'T' || left(md5((CASE WHEN i % 5 = 0 THEN i + 10 * {n} ELSE i * 7 END)
                                           ::VARCHAR || '-' || {year}), 16) AS teacher_ref,
                           {year}::INTEGER AS time_period,
                           {_pick(list(NPQ_COURSES), "c")} AS course_code,
                           hash(i, 'f') % 3 > 0 AS funded,
                           {_pick(list(REGIONS), "q")} AS region_code
                    FROM range({n // 10}) AS t (i)
                ) TO '{root}/npq_participants/{year}.parquet' (FORMAT parquet)
            """)
    return root
