"""Provenance told truthfully in the publication: published rows reach the marts and say so,
and the real-data scoreboard (status, `_inputs`, README) gives each mart's shares.

Expected figures are read here from the raw files, independently of the pipeline."""

import csv

import duckdb
import pytest

from tests.conftest import PROJECT_ROOT

RAW = PROJECT_ROOT / "data" / "raw"
REGIONAL_2022_23 = RAW / "ees" / "npq_participants" / "2022-23" / "npq_participants_regional.csv"
WORKFORCE = RAW / "ees" / "npq_workforce" / "2024-25" / "npq_workforce_national.csv"


def _csv_row(path, **match) -> dict[str, str]:
    with path.open(encoding="utf-8", newline="") as handle:
        (row,) = [r for r in csv.DictReader(handle) if all(r[k] == v for k, v in match.items())]
    return row


@pytest.fixture(scope="module")
def db(published):
    con = duckdb.connect(str(published.published_db), read_only=True)
    yield con
    con.close()


def test_published_regional_starts_reach_the_region_mart(db):
    cell = _csv_row(REGIONAL_2022_23, time_period="202223", region_name="East Midlands")
    expected = int(cell["npq_funded_starts"]) + int(cell["npq_non_funded_starts"])
    assert db.sql(
        "SELECT npq_starts, provenance FROM npq_takeup_by_region WHERE funding = 'Overall' "
        "AND academic_year = '2022/23' AND region_name = 'East Midlands'"
    ).fetchall() == [(expected, "derived")]


def test_rows_equal_to_published_values_say_published(db):
    cell = _csv_row(REGIONAL_2022_23, time_period="202122", region_name="East Midlands")
    assert db.sql(
        "SELECT npq_starts, percent_workforce_npq_participation, provenance "
        "FROM npq_takeup_by_region WHERE funding = 'Funded' AND academic_year = '2021/22' "
        "AND region_name = 'East Midlands'"
    ).fetchall() == [
        (
            int(cell["npq_funded_starts"]),
            float(cell["percent_workforce_npq_participation"]),
            "published",
        )
    ]


def test_leaky_pipeline_pupil_rows_say_published_like_their_source(db):
    pupils = db.sql(
        "SELECT DISTINCT l.provenance, p.provenance FROM rep_leaky_pipeline AS l "
        "JOIN rep_pupils_by_ethnicity AS p USING (time_period, group_set, group_name) "
        "WHERE l.stage = 'Pupils' AND p.phase_type_grouping = 'Total'"
    ).fetchall()
    assert pupils == [("published", "published")]


def test_cumulative_headline_beside_the_annual_rate(db):
    cell = _csv_row(WORKFORCE, time_period="202425", funding="Overall")
    assert db.sql(
        "SELECT cumulative_unique_participants_since_2021, cumulative_total_teachers, "
        "cumulative_percent_teachers_started_since_2021, provenance FROM npq_takeup_by_year "
        "WHERE funding = 'Overall' AND academic_year = '2024/25'"
    ).fetchall() == [
        (int(cell["npq_participants"]), int(cell["total_teachers"]), 19.9, "published")
    ]
    # The annual rate of the same year is another figure, named as such.
    ((annual,),) = db.sql(
        "SELECT annual_percent_workforce_npq_participation FROM npq_takeup_by_year "
        "WHERE funding = 'Overall' AND academic_year = '2024/25'"
    ).fetchall()
    assert annual < 19.9


def test_every_take_up_rate_says_which_rate_it_is(db):
    for table in ("npq_takeup_by_region", "npq_takeup_by_la", "npq_takeup_by_characteristic"):
        kinds = db.sql(f"SELECT DISTINCT participation_rate_kind FROM {table}").fetchall()
        assert kinds == [("annual",)], table


def test_scoreboard_in_inputs_status_and_readme(published, db):
    from pipelines.status import status_report

    board = db.sql(
        "SELECT data_set, rows, published_pct, derived_pct, synthetic_pct FROM _inputs "
        "WHERE kind = 'mart' ORDER BY data_set"
    ).fetchall()
    tables = db.sql("SELECT table_name FROM _publication ORDER BY 1").fetchall()
    assert [(r[0],) for r in board] == tables
    for name, rows, *shares in board:
        counted = db.sql(f"SELECT count(*) FROM {name}").fetchall()[0][0]
        assert rows == counted, name
        if shares[0] is not None:
            assert sum(shares) == pytest.approx(100.0), name
    region = next(r for r in board if r[0] == "npq_takeup_by_region")
    assert region[2] > 0 and region[3] > 0  # published and derived rows now reach it

    report, _ = status_report(published.marts, published.raw)
    lines = report.split("Real-data scoreboard")[1].splitlines()
    for name, rows, *shares in board:
        line = next(x for x in lines if x.split()[:1] == [name])
        cells = ["-" if v is None else f"{v:.1f}%" for v in shares]
        assert line.split()[1:] == [str(rows), *cells], line

    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    for name, _, *shares in board:
        cells = " | ".join("-" if v is None else f"{v:.1f}%" for v in shares)
        line = f"| `{name}` | {cells} |"
        assert line in readme, f"README scoreboard needs: {line} (as `status` prints it)"


# --- the provenance rule over every mart --------------------------------------------------------

# Published marts with no provenance column, and why none is needed.
UNLABELLED = {
    "dim_npq_course": "the project's own list of NPQ courses (no statistics)",
    "npq_policy_breaks": "policy dates from pipelines/policy.py (no statistics)",
    "release_changes": "differences between published releases, each figure as published",
}
SHARE_WORDS = ("percent", "pct", "perc_", "percentage", "share", "rate")


def _indicator_columns(con, table: str) -> list[tuple[str, str]]:
    """The numeric indicator columns of a staging table (those with a `<name>_status`, or the
    mapped indicators of a school-level source), each with its type."""
    from pipelines.sources import SOURCES

    types = dict(
        con.sql(f"SELECT column_name, column_type FROM (DESCRIBE staging.{table})").fetchall()
    )
    source = SOURCES.get(table)
    mapped = {source.columns.get(i, i) for i in source.indicators} if source else set()
    numeric = ("DOUBLE", "FLOAT", "BIGINT", "INTEGER", "HUGEINT", "SMALLINT")
    return [
        (name, kind)
        for name, kind in types.items()
        if (kind in numeric or kind.startswith("DECIMAL"))
        and (f"{name}_status" in types or name in mapped)
    ]


def _perturb_synthetic_rows(con) -> list[str]:
    """Change every synthetic indicator value in staging (shares x 0.97, counts + 1, which keeps
    every range a suite checks); published rows are untouched. Returns the tables changed."""
    changed = []
    tables = [
        r[0]
        for r in con.sql(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'staging'"
        ).fetchall()
    ]
    for table in tables:
        columns = {r[0] for r in con.sql(f"DESCRIBE staging.{table}").fetchall()}
        if "provenance" not in columns or table.startswith("pilot_"):
            continue
        sets = [
            f'"{name}" = "{name}" * 0.97'
            if any(w in name.lower() for w in SHARE_WORDS)
            else f'"{name}" = "{name}" + 1'
            for name, _ in _indicator_columns(con, table)
        ]
        if sets:
            con.execute(
                f"UPDATE staging.{table} SET {', '.join(sets)} WHERE provenance = 'synthetic'"
            )
            changed.append(table)
    return changed


def _rows(con, table: str) -> set[tuple]:
    def norm(value):
        if isinstance(value, float):
            return round(value, 6)
        if isinstance(value, (list, dict)):
            return repr(value)
        return value

    return {tuple(map(norm, row)) for row in con.sql(f"SELECT * FROM marts.{table}").fetchall()}


def test_no_published_or_derived_row_depends_on_a_synthetic_input(finished):
    """Rebuild every mart after changing every synthetic input value: a row labelled
    published or derived must come out unchanged (its inputs were all published), and
    every mart says which rows are which."""
    import os

    import dagster as dg

    from pipelines.definitions import defs
    from pipelines.defs.publish.npq_observatory import MARTS

    database = finished.work / "working.duckdb"
    con = duckdb.connect(str(database))
    try:
        labelled = {}  # mart -> (its published and derived rows, provenance column index)
        for mart in MARTS:
            columns = [r[0] for r in con.sql(f"DESCRIBE marts.{mart}").fetchall()]
            if "provenance" not in columns:
                assert mart in UNLABELLED, f"{mart} has no provenance column"
                continue
            index = columns.index("provenance")
            labelled[mart] = ({r for r in _rows(con, mart) if r[index] != "synthetic"}, index)
        assert {"npq_participants", "workforce_teacher_characteristics"} <= set(
            _perturb_synthetic_rows(con)
        )
    finally:
        con.close()

    saved = {k: os.environ.get(k) for k in finished.env}
    os.environ.update(finished.env)
    try:
        definitions = defs()
        keys = [dg.AssetKey(["marts", m]) for m in MARTS]
        result = definitions.resolve_job_def("refresh_all").execute_in_process(
            raise_on_error=False, asset_selection=keys
        )
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    built = {e.asset_key for e in result.get_asset_materialization_events()}
    assert set(keys) <= built, sorted(k.to_user_string() for k in set(keys) - built)

    con = duckdb.connect(str(database), read_only=True)
    try:
        changed = {}
        for mart, (kept, index) in labelled.items():
            after = _rows(con, mart)
            moved = sorted(kept - after, key=str)
            if moved:
                changed[mart] = (len(moved), moved[0][index], moved[0][:6])
        # Pilot inputs are synthetic from end to end: so is every pilot mart row.
        for mart in (m for m in MARTS if m.startswith("pilot_")):
            assert con.sql(f"SELECT DISTINCT provenance FROM marts.{mart}").fetchall() == [
                ("synthetic",)
            ], mart
    finally:
        con.close()
    assert not changed, changed
