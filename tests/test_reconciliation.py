"""Back-tests: every published headline figure in the reference tables reappears exactly in
staging (and, for take-up, in the published mart). Fails CI when a transcription or a
transform drifts from what DfE published."""

import csv
from pathlib import Path

import duckdb
import pytest

from pipelines.sources import SOURCES
from pipelines.transforms.ees import SYMBOL_STATUS
from tests.conftest import PROJECT_ROOT

REFERENCE = PROJECT_ROOT.parent / "shared" / "reference"

# reference table -> staged source
TABLES = {
    "npq_participants_national.csv": "npq_participants",
    "npq_completions_national.csv": "npq_completions",
    "npq_workforce_cumulative.csv": "npq_workforce",
    "npq_school_coverage.csv": "npq_school_coverage",
    "spc_pupil_ethnicity_official_national_by_phase.csv": "spc_pupils_ethnicity_and_language",
}


def _reference_rows(name: str) -> list[dict]:
    path = REFERENCE / name
    if not path.exists():
        pytest.skip(f"reference folder absent ({REFERENCE}): back-tests need ../shared/reference")
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def working(published) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(Path(published.work) / "working.duckdb"), read_only=True)
    yield con
    con.close()


@pytest.mark.parametrize("table", sorted(TABLES))
def test_every_published_figure_reappears_in_staging(table, working):
    source = SOURCES[TABLES[table]]
    rows = _reference_rows(table)
    key_columns = [c for c in source.keys if c in rows[0]]
    checked = 0
    for row in rows:
        where = " AND ".join(
            f"{c} IS NULL" if row[c] == "" else f"{c} = $k{i}" for i, c in enumerate(key_columns)
        )
        params = {f"k{i}": row[c] for i, c in enumerate(key_columns) if row[c] != ""}
        for indicator in source.indicators:
            staged = working.sql(
                f"SELECT {indicator}, {indicator}_status FROM staging.{source.name} WHERE {where}",
                params=params,
            ).fetchall()
            assert len(staged) == 1, f"{table}: {row} matched {len(staged)} staging rows"
            value, status = staged[0]
            published = row[indicator]
            if published.lower() in SYMBOL_STATUS:
                assert value is None and status == SYMBOL_STATUS[published.lower()]
            else:
                assert status == "value"
                assert value == float(published), f"{table} {indicator}: {value} != {published}"
            checked += 1
    assert checked == len(rows) * len(source.indicators)


def test_takeup_mart_carries_every_published_start(published):
    rows = _reference_rows("npq_participants_national.csv")
    with duckdb.connect(str(published.published_db), read_only=True) as con:
        for row in rows:
            staged = con.sql(
                "SELECT npq_starts, npq_unique_participants FROM npq_takeup_by_year "
                "WHERE time_period = $p AND funding = $f",
                params={"p": row["time_period"], "f": row["funding"]},
            ).fetchall()
            assert staged == [(int(row["npq_starts"]), int(row["npq_unique_participants"]))]
