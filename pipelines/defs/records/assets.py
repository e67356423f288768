"""The record-level path: teacher census and NPQ participant records -> marts -> publication.

staging (one partition per academic year; a new year costs one partition)
    rec_teacher_census_cube   census file of the year -> headcount by grade, sex, ethnicity, region
    rec_npq_cube              NPQ file of the year, linked to that year's census -> starts
    rec_npq_unique            distinct participants per year and funding
marts (unpartitioned; SQL in pipelines/sql/records/, definitions in pipelines/records/MARTS.md)
publish/npq_records          disclosure control (pipelines/records/disclose.py), then
                             data/marts/records/npq_records.duckdb and its exports

Every file is checked against pipelines/records/contract.py before it is read; a breach fails
the step with the file, row and column, and the last publication stays. The path has its own
working database (records.duckdb) and job (refresh_records), run by
`python -m pipelines.cli records`, which stages only the years whose files changed.
"""

import importlib
import threading
import warnings
from pathlib import Path

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from pipelines.defs.resources import ProjectPaths
from pipelines.dictionary import definition_metadata, described
from pipelines.paths import SQL_DIR
from pipelines.quality.checks import check_table
from pipelines.records import inputs
from pipelines.records.check import check_records_file

RECORD_YEARS = dg.DynamicPartitionsDefinition(name="record_years")
RECORDS_GROUP = "records"
RECORDS_SQL = SQL_DIR / "records"
RECORD_MARTS = [
    "rec_npq_takeup_by_year",
    "rec_npq_takeup_by_course",
    "rec_npq_takeup_by_region",
    "rec_workforce_by_grade",
    "rec_npq_pipeline",
    "rec_linkage",
]
PUBLISHED_NAME = "npq_records.duckdb"

_TABLES = {
    "rec_teacher_census_cube": "time_period INTEGER, grade VARCHAR, sex VARCHAR, "
    "ethnicity_major VARCHAR, ethnicity_minor VARCHAR, region_code VARCHAR, headcount BIGINT",
    "rec_npq_cube": "time_period INTEGER, course_code VARCHAR, funded BOOLEAN, "
    "region_code VARCHAR, linked BOOLEAN, grade VARCHAR, sex VARCHAR, ethnicity_major VARCHAR, "
    "ethnicity_minor VARCHAR, npq_starts BIGINT",
    "rec_npq_unique": "time_period INTEGER, funding VARCHAR, npq_unique_participants BIGINT",
    "rec_years": "time_period INTEGER, fingerprint VARCHAR, provenance VARCHAR",
}


def _sql(name: str) -> str:
    return (RECORDS_SQL / f"{name}.sql").read_text(encoding="utf-8")


def _escaped(path: Path) -> str:
    # A view cannot take parameters: the path goes in as a literal, quotes doubled.
    return str(path).replace("'", "''")


def records_folder(paths: ProjectPaths) -> Path:
    return inputs.resolve(Path(paths.records_dir), Path(paths.work_dir))


def ensure_tables(con) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS staging")
    for table, columns in _TABLES.items():
        con.execute(f"CREATE TABLE IF NOT EXISTS staging.{table} ({columns})")


def _stage_year(
    con, year: str, census: Path | None, npq: Path | None, fingerprint: str | None, provenance: str
) -> dict:
    """Replace one year's rows of the staging tables, in one transaction. `fingerprint` is
    None for a year whose files are gone: its rows are removed."""
    rows = {
        "teacher_census": check_records_file(con, "teacher_census", census) if census else 0,
        "npq_participants": check_records_file(con, "npq_participants", npq) if npq else 0,
    }
    con.execute("BEGIN TRANSACTION")
    try:
        for table in _TABLES:
            con.execute(f"DELETE FROM staging.{table} WHERE time_period = ?", [int(year)])
        if census:
            con.execute(
                f"INSERT INTO staging.rec_teacher_census_cube {_sql('stage_teacher_census')}",
                {"file": str(census)},
            )
        if npq:
            census_rows = (
                f"read_parquet('{_escaped(census)}')"
                if census
                else "(SELECT NULL::VARCHAR AS teacher_ref, NULL::VARCHAR AS grade, NULL::VARCHAR "
                "AS sex, NULL::VARCHAR AS ethnicity_major, NULL::VARCHAR AS ethnicity_minor "
                "WHERE false)"
            )
            con.execute(
                "CREATE OR REPLACE TEMP VIEW _census AS SELECT teacher_ref, grade, sex, "
                f"ethnicity_major, ethnicity_minor FROM {census_rows}"
            )
            con.execute(
                f"INSERT INTO staging.rec_npq_cube {_sql('stage_npq_participants')}",
                {"file": str(npq)},
            )
            con.execute(
                f"INSERT INTO staging.rec_npq_unique {_sql('stage_npq_unique')}",
                {"file": str(npq)},
            )
        if fingerprint is not None:
            con.execute(
                "INSERT INTO staging.rec_years VALUES (?, ?, ?)",
                [int(year), fingerprint, provenance],
            )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return rows


def rec_record_years(
    context: dg.AssetExecutionContext, records_duckdb: DuckDBResource, paths: ProjectPaths
) -> dg.MaterializeResult:
    """One academic year of record-level files, checked and staged (one partition per year).

    Reads <records>/teacher_census/<year>.parquet and <records>/npq_participants/<year>.parquet
    (either may be absent), checks each against pipelines/records/contract.py, and replaces
    that year's rows of staging.rec_teacher_census_cube, staging.rec_npq_cube (NPQ starts
    linked to the same year's census) and staging.rec_npq_unique. Records themselves are not
    copied: the cubes hold every figure the marts need.
    """
    # Great Expectations takes seconds to import and the checks after this step need it:
    # import it beside the staging queries, which spend their time in DuckDB, not Python.
    threading.Thread(target=importlib.import_module, args=("great_expectations",)).start()
    records = records_folder(paths)
    files, prints = inputs.record_files(records), inputs.fingerprints(records)
    provenance = inputs.provenance(records)
    staged = {}
    with records_duckdb.get_connection() as con:
        ensure_tables(con)
        for year in context.partition_keys:
            census = files["teacher_census"].get(year)
            npq = files["npq_participants"].get(year)
            staged[year] = _stage_year(con, year, census, npq, prints.get(year), provenance)
            context.log.info(f"staged {year}: {staged[year]}")
    return dg.MaterializeResult(
        metadata={
            "records_folder": str(records),
            "provenance": provenance,
            "records_read": sum(sum(r.values()) for r in staged.values()),
        }
    )


# One run stages every chosen year (a single-run backfill policy, still marked beta).
with warnings.catch_warnings():
    warnings.simplefilter("ignore", dg.BetaWarning)
    rec_record_years = dg.asset(
        key=["staging", "rec_record_years"],
        partitions_def=RECORD_YEARS,
        backfill_policy=dg.BackfillPolicy.single_run(),
        group_name=RECORDS_GROUP,
        kinds={"duckdb", "parquet"},
    )(rec_record_years)


def record_mart(name: str) -> dg.AssetsDefinition:
    sql = _sql(name)

    @dg.asset(
        key=["marts", name],
        deps=[dg.AssetKey(["staging", "rec_record_years"])]
        + (
            [dg.AssetKey(["marts", "rec_workforce_by_grade"])] if name == "rec_npq_pipeline" else []
        ),
        group_name=RECORDS_GROUP,
        kinds={"duckdb"},
        description=f"{sql.splitlines()[0].removeprefix('-- ')}\n\nSQL: pipelines/sql/records/"
        f"{name}.sql; definition: pipelines/records/MARTS.md. Before disclosure control; the "
        f"column schema describes the published form (pipelines/sql/records/{name}.yml).",
        metadata=definition_metadata(name),
    )
    def _mart(records_duckdb: DuckDBResource) -> dg.MaterializeResult:
        with records_duckdb.get_connection() as con:
            con.execute(_sql("_macros"))
            con.execute("CREATE SCHEMA IF NOT EXISTS marts")
            con.execute(f"CREATE OR REPLACE TABLE marts.{name} AS {sql}")
            rows = con.sql(f"SELECT count(*) FROM marts.{name}").fetchall()[0][0]
            metadata = described({"dagster/row_count": rows}, con, "marts", name)
        return dg.MaterializeResult(metadata=metadata)

    return _mart


def record_suite(schema: str, name: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(["marts", name])
        if schema == "marts"
        else dg.AssetKey(["staging", "rec_record_years"]),
        name=f"expectation_suite_{name}" if schema == "staging" else "expectation_suite",
        blocking=True,
        description=f"Expectation suite expectations/{schema}.{name}.json (blocking).",
    )
    def _suite(records_duckdb: DuckDBResource) -> dg.AssetCheckResult:
        return check_table(records_duckdb, schema, name)

    return _suite


@dg.asset(
    key=["publish", "npq_records"],
    deps=[dg.AssetKey(["marts", m]) for m in RECORD_MARTS],
    group_name=RECORDS_GROUP,
    kinds={"duckdb", "parquet"},
)
def npq_records(records_duckdb: DuckDBResource, paths: ProjectPaths) -> dg.MaterializeResult:
    """The record-level marts after disclosure control, published atomically to
    data/marts/records/ (npq_records.duckdb, exports/). Counts below 10 and whatever would
    give them away, here or beside the aggregate publication, are withheld as `c`
    (pipelines/records/disclose.py); the columns disclosure control adds (statuses,
    `headcount_published_in`) are defined in pipelines/records/MARTS.md."""
    from pipelines.publish import publish
    from pipelines.records.disclose import ROUNDING, protect, publication_key
    from pipelines.warehouse import write_frame

    records = records_folder(paths)
    provenance, prints = inputs.provenance(records), inputs.fingerprints(records)
    with records_duckdb.get_connection() as con:
        marts = {name: con.sql(f"SELECT * FROM marts.{name}").pl() for name in RECORD_MARTS}
        elsewhere = _aggregate_workforce(Path(paths.marts_dir))
        key = publication_key({**marts, "_elsewhere": elsewhere})
        protected = _last_disclosed(con, key)
        afresh = protected is None
        if afresh:  # suppression is chosen over the whole publication at once
            protected = protect(marts, elsewhere=elsewhere, rounding=ROUNDING)
            for name, frame in protected.items():
                write_frame(con, "disclosed", name, frame)
            write_frame(con, "disclosed", "_input_key", pl.DataFrame({"input_key": [key]}))
        release = publish(
            con,
            RECORD_MARTS,
            [],
            Path(paths.work_dir) / "charts",
            Path(paths.marts_dir) / "records",
            inputs=[
                {
                    "data_set": "records",
                    "releases": ",".join(prints),
                    "provenance": provenance,
                    "fingerprint": "|".join(prints.values()),
                }
            ],
            schema="disclosed",
            database_name=PUBLISHED_NAME,
        )
    withheld = {
        name: sum(int((frame[c] == "c").sum()) for c in frame.columns if c.endswith("_status"))
        for name, frame in protected.items()
    }
    return dg.MaterializeResult(
        metadata={
            "database": dg.MetadataValue.path(str(release.database)),
            "tables": release.tables,
            "values_withheld": withheld,
            "protected_afresh": afresh,
            "provenance": provenance,
        }
    )


def _aggregate_workforce(marts_dir: Path) -> pl.DataFrame:
    """The aggregate publication's teacher counts (rep_workforce_by_grade), which the
    record-level publication is protected together with; empty before the first `run`."""
    import duckdb

    from pipelines.paths import PUBLISHED_DB_NAME

    columns = "time_period, area_code, grade, group_set, group_name, headcount, provenance"
    database = marts_dir / PUBLISHED_DB_NAME
    if database.exists():
        with duckdb.connect(str(database), read_only=True) as con:
            tables = {t for (t,) in con.sql("SHOW TABLES").fetchall()}
            if "rep_workforce_by_grade" in tables:
                return con.sql(f"SELECT {columns} FROM rep_workforce_by_grade").pl()
    return pl.DataFrame(
        schema={c: pl.Int64 if c == "headcount" else pl.String for c in columns.split(", ")}
    )


def _last_disclosed(con, key: str) -> dict | None:
    """The last run's protected marts, if they were protected from the same marts."""
    present = {
        name
        for (name,) in con.sql(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'disclosed'"
        ).fetchall()
    }
    if not {*RECORD_MARTS, "_input_key"} <= present:
        return None
    if con.sql("SELECT input_key FROM disclosed._input_key").fetchall() != [(key,)]:
        return None
    return {name: con.sql(f"SELECT * FROM disclosed.{name}").pl() for name in RECORD_MARTS}


refresh_records = dg.define_asset_job(
    "refresh_records",
    selection=dg.AssetSelection.groups(RECORDS_GROUP),
    description="Stage the chosen academic years of record-level files, rebuild the "
    "record-level marts and publish them after disclosure control.",
)

defs = dg.Definitions(
    assets=[rec_record_years, *(record_mart(m) for m in RECORD_MARTS), npq_records],
    asset_checks=[
        *(record_suite("marts", m) for m in RECORD_MARTS),
        *(
            record_suite("staging", t)
            for t in ("rec_teacher_census_cube", "rec_npq_cube", "rec_npq_unique")
        ),
    ],
    jobs=[refresh_records],
)


def record_definitions() -> dg.Definitions:
    """The record-level path alone, with the project's resources, executor and loggers: what
    `python -m pipelines.cli records` runs (the code location holds the same assets)."""
    from pipelines.defs.resources import project_resources
    from pipelines.progress import progress_logger

    return dg.Definitions.merge(
        defs,
        dg.Definitions(
            resources=project_resources(),
            executor=dg.in_process_executor,
            loggers={"console": dg.colored_console_logger, "progress": progress_logger},
        ),
    )
