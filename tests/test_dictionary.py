"""The data dictionary (pipelines/dictionary.py): every published column is described once, in
the YAML beside its mart, and the description reaches the DuckDB column comments, the Dagster
column schema and the EES `.meta.csv` beside each CSV export, whose numbers are rounded to the
stated decimal places while the database keeps full precision."""

import csv
import re
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest
from dagster_duckdb import DuckDBResource

from pipelines import dictionary
from pipelines.dictionary import META_COLUMNS, OBSERVATIONAL, DictionaryError
from pipelines.publish import publish


def _tables(database: Path) -> dict[str, list[tuple[str, str | None]]]:
    """Every table of a published database: its (column, comment) pairs in order."""
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.sql(
            "SELECT table_name, column_name, comment FROM duckdb_columns() "
            "WHERE database_name = current_database() ORDER BY table_name, column_index"
        ).fetchall()
    tables: dict[str, list] = {}
    for table, column, comment in rows:
        tables.setdefault(table, []).append((column, comment))
    return tables


def _assert_described(database: Path) -> int:
    """The dictionary test over one published database; returns the columns it checked."""
    tables = _tables(database)
    assert tables, f"{database} has no tables"
    problems = []
    for table, columns in tables.items():
        gaps = dictionary.gaps(table, [c for c, _ in columns])
        if gaps["undescribed"]:
            problems.append(f"{table}: no description for {gaps['undescribed']}")
        if gaps["not_in_table"]:
            problems.append(f"{table}: described but not in the table {gaps['not_in_table']}")
        uncommented = [c for c, comment in columns if not comment]
        if uncommented:
            problems.append(f"{table}: no column comment on {uncommented}")
    assert not problems, "\n".join(problems)
    return sum(len(columns) for columns in tables.values())


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.yml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        ("  - name: a\n    description: A.\n    unit: furlongs\n", "unit 'furlongs'"),
        ("  - name: a\n    description: A.\n    unit: count\n", "needs `dp`"),
        ("  - name: a\n    description: A.\n    unit: code\n    dp: 1\n", "takes no `dp`"),
        ("  - name: a\n    unit: code\n", "no description"),
        ("  - name: a\n    description: A.\n    unit: code\n" * 2, "listed twice"),
        ("  - name: a\n    description: A.\n    unit: code\n    units: x\n", "unknown keys"),
    ],
    ids=[
        "unknown unit",
        "indicator without dp",
        "filter with dp",
        "no description",
        "twice",
        "misspelt key",
    ],
)
def test_a_bad_dictionary_entry_is_a_clear_error(tmp_path, columns, message):
    _write(tmp_path, "t", f"name: t\ncolumns:\n{columns}")
    with pytest.raises(DictionaryError, match=re.escape(message)) as error:
        dictionary.load((tmp_path,))
    assert "t.yml, column entry" in str(error.value) and "(a)" in str(error.value)


def test_a_shared_column_needs_listing_and_may_be_narrowed(tmp_path):
    _write(
        tmp_path,
        "t",
        "name: t\ncolumns:\n  - name: provenance\n  - name: npq_starts\n"
        "    description: Starts of one course.\n",
    )
    table = dictionary.load((tmp_path,))["t"]
    shared = {c["name"]: c for c in dictionary._read(dictionary.SHARED_FILE)["columns"]}
    assert table.columns["provenance"].description == " ".join(
        shared["provenance"]["description"].split()
    )
    assert table.columns["npq_starts"].description == "Starts of one course."
    assert table.columns["npq_starts"].unit == shared["npq_starts"]["unit"]


def test_the_unconditional_effect_size_is_explained_as_an_sd_basis():
    model = dictionary.load()["pilot_estimates"].columns["model"]
    text = model.description.lower()
    assert "unconditional" in text and "sd" in text
    assert 'not mean "unadjusted"' in text or 'not "unadjusted"' in text
    assert model.label != "Model"  # the label says what the column is, not its name


def _mart_frame(table: str) -> pl.DataFrame:
    """A table with the described columns of `table`: numbers with many decimals in the
    indicator columns, text in the others (made-up values for a test of the mechanism)."""
    columns = dictionary.load()[table].columns.values()
    return pl.DataFrame(
        {
            c.name: [123.456789, 0.0049999] if c.col_type == "Indicator" else ["a", "b"]
            for c in columns
        }
    )


def test_publish_carries_the_dictionary_into_comments_meta_and_rounded_exports(tmp_path):
    con = duckdb.connect()
    con.execute("CREATE SCHEMA marts")
    con.register("frame", _mart_frame("pilot_costs"))
    con.execute("CREATE TABLE marts.pilot_costs AS SELECT * FROM frame")
    release = publish(con, ["pilot_costs"], [], tmp_path / "charts", tmp_path / "marts")
    con.close()
    described = dictionary.load()["pilot_costs"].columns

    _assert_described(release.database)
    with duckdb.connect(str(release.database), read_only=True) as pub:
        full = pub.sql("SELECT cost_per_pupil_per_year_gbp FROM pilot_costs").fetchall()
        table_comment = pub.sql(
            "SELECT comment FROM duckdb_tables() WHERE table_name = '_publication'"
        ).fetchall()
    assert table_comment == [(dictionary.load()["_publication"].description,)]
    assert full == [(123.456789,), (0.0049999,)]  # the database keeps full precision

    exported = pl.read_csv(release.exports / "pilot_costs.csv", infer_schema=False)
    assert exported["cost_per_pupil_per_year_gbp"].to_list() == ["123.46", "0.0"]
    assert exported["start_up_gbp"].to_list() == ["123.0", "0.0"]  # 0 dp
    parquet = pl.read_parquet(release.exports / "pilot_costs.parquet")
    assert parquet["cost_per_pupil_per_year_gbp"].to_list() == [123.46, 0.0]

    with (release.exports / "pilot_costs.meta.csv").open(newline="", encoding="utf-8") as f:
        meta = list(csv.DictReader(f))
    assert list(meta[0]) == META_COLUMNS
    rows = {row["col_name"]: row for row in meta}
    assert list(rows) == list(described)
    assert rows["cost_per_pupil_per_year_gbp"] | {} == {
        "col_name": "cost_per_pupil_per_year_gbp",
        "col_type": "Indicator",
        "label": described["cost_per_pupil_per_year_gbp"].label,
        "indicator_grouping": "",
        "indicator_unit": "£",
        "indicator_dp": "2",
        "filter_hint": "",
        "filter_grouping_column": "",
    }
    assert rows["cost_label"]["col_type"] == "Filter"
    assert rows["cost_label"]["indicator_dp"] == "" and rows["cost_label"]["filter_hint"]


def test_sql_mart_assets_publish_a_described_column_schema(tmp_path):
    from pipelines.defs.marts.takeup import sql_mart

    assets = [sql_mart("npq_policy_breaks", []), sql_mart("dim_npq_course", [])]
    result = dg.materialize(
        assets, resources={"duckdb": DuckDBResource(database=str(tmp_path / "w.duckdb"))}
    )
    for event in result.get_asset_materialization_events():
        table = event.asset_key.path[-1]
        schema = event.materialization.metadata["dagster/column_schema"].value
        described = dictionary.load()[table].columns
        assert [c.name for c in schema.columns] == list(described)
        for column in schema.columns:
            assert column.description == described[column.name].description
            assert column.type and column.tags["unit"] == described[column.name].unit


def test_every_mart_asset_definition_carries_its_column_schema():
    from pipelines.definitions import defs

    graph = defs().resolve_asset_graph()
    marts = [key for key in graph.get_all_asset_keys() if key.path[0] == "marts"]
    assert len(marts) > 20
    missing = []
    for key in marts:
        schema = graph.get(key).metadata.get("dagster/column_schema")
        described = dictionary.load().get(key.path[-1])
        if schema is None or described is None:
            missing.append(key.to_user_string())
            continue
        columns = getattr(schema, "schema", schema).columns
        assert {c.name: c.description for c in columns} == {
            c.name: c.description for c in described.columns.values()
        }
    assert not missing, f"mart assets without a described column schema: {missing}"


def test_every_published_column_is_described(published):
    """Walk the published database of a whole run: every table, every column."""
    checked = _assert_described(published.published_db)
    print(f"described columns in {published.published_db.name}: {checked}")


def _assert_exports(exports: Path, database: Path) -> None:
    """Beside every CSV export its EES metadata file, one row per filter or indicator with a
    unique label; numbers rounded to the stated places, the database at full precision."""
    csvs = sorted(p for p in exports.glob("*.csv") if not p.name.endswith(".meta.csv"))
    assert csvs
    con = duckdb.connect(str(database), read_only=True)
    kept_precision = 0
    for path in csvs:
        table = path.stem
        meta = pl.read_csv(exports / f"{table}.meta.csv", infer_schema=False).fill_null("")
        data = pl.read_csv(path, infer_schema=False)
        assert meta.columns == META_COLUMNS, table
        assert meta["col_name"].to_list() == [c for c in data.columns if c not in OBSERVATIONAL]
        assert meta["label"].n_unique() == meta.height and meta["label"].str.len_chars().min() > 0
        for row in meta.filter(pl.col("col_type") == "Indicator").iter_rows(named=True):
            assert row["indicator_dp"], f"{table}.{row['col_name']}: no decimal places"
            places = int(row["indicator_dp"])
            cells = data[row["col_name"]].drop_nulls()
            numbers = cells.filter(cells.str.contains(r"^-?[0-9]+(\.[0-9]+)?$"))
            if places == 0:  # a whole number written as a DOUBLE ends in .0
                numbers = numbers.str.replace(r"\.0$", "")
            decimals = numbers.str.extract(r"\.([0-9]+)$").str.len_chars().fill_null(0)
            too_many = numbers.filter(decimals > places)
            assert too_many.is_empty(), f"{table}.{row['col_name']}: {too_many.head(3).to_list()}"
            column = '"' + row["col_name"] + '"'
            kept_precision += con.sql(
                f"SELECT count(*) FROM {table} WHERE {column} <> round({column}, {places})"
            ).fetchall()[0][0]
    con.close()
    assert kept_precision > 0  # the database holds more decimals than the exports show


def test_every_csv_export_has_an_ees_meta_file_and_is_rounded(published):
    _assert_exports(published.marts / "exports", published.published_db)


@pytest.mark.slow
def test_every_record_level_published_column_is_described(tmp_path, monkeypatch):
    """The record-level publication (after disclosure control), from a run of its path."""
    from pipelines.cli import main
    from tests.records_data import write_records

    write_records(tmp_path / "records", n=3000)
    for name in ("RECORDS", "WORK", "MARTS"):
        monkeypatch.setenv(f"NPQ_{name}_DIR", str(tmp_path / name.lower()))
    assert main(["records"]) == 0
    publication = tmp_path / "marts" / "records"
    checked = _assert_described(publication / "npq_records.duckdb")
    print(f"described columns in npq_records.duckdb: {checked}")
    _assert_exports(publication / "exports", publication / "npq_records.duckdb")
