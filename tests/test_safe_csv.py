"""Exported CSVs are safe to open in a spreadsheet: no text cell starts a formula."""

import csv

import duckdb
import polars as pl

from pipelines.safe_csv import safe_frame, safe_select

DANGEROUS = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=x", "\r=x", '=HYPERLINK("http://e.x")']
HARMLESS = ["London", "2023/24", "a=b", "", "NPQ for Headship (NPQH)"]


def test_frame_quotes_formula_like_text_and_keeps_numbers():
    frame = pl.DataFrame({"text": [*DANGEROUS, *HARMLESS], "n": range(12)}).with_columns(
        neg=-pl.col("n").cast(pl.Float64)
    )
    safe = safe_frame(frame)
    assert safe["text"].to_list() == [f"'{v}" for v in DANGEROUS] + HARMLESS
    assert safe["neg"].to_list() == frame["neg"].to_list()  # a negative number stays a number


def test_duckdb_export_quotes_the_same_cells(tmp_path):
    con = duckdb.connect()
    con.execute('CREATE TABLE t (label VARCHAR, "odd name" VARCHAR, value DOUBLE)')
    con.executemany(
        "INSERT INTO t VALUES (?, ?, ?)", [(v, v, -1.5) for v in [*DANGEROUS, *HARMLESS]]
    )
    out = tmp_path / "t.csv"
    con.execute(f"COPY ({safe_select(con, 't')}) TO '{out}' (FORMAT csv, HEADER)")
    with out.open(newline="") as f:
        rows = list(csv.DictReader(f))
    expected = [f"'{v}" for v in DANGEROUS] + HARMLESS
    assert [r["label"] for r in rows] == expected
    assert [r["odd name"] for r in rows] == expected
    assert {r["value"] for r in rows} == {"-1.5"}


def test_no_published_csv_cell_starts_a_formula(published):
    csvs = [*published.marts.joinpath("exports").glob("*.csv")]
    csvs += [*published.marts.joinpath("charts").glob("*.csv")]
    assert csvs
    for path in csvs:
        frame = pl.read_csv(path, infer_schema=False)
        for name in frame.columns:
            cells = frame[name].drop_nulls()
            numeric = cells.str.contains(r"^-?[0-9.]+([eE][-+]?[0-9]+)?$")
            risky = cells.filter(~numeric & cells.str.contains(r"^[=+\-@\t\r]"))
            assert risky.is_empty(), f"{path.name} column {name}: {risky.head(3).to_list()}"
