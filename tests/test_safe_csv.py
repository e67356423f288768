"""Exported CSVs are safe to open in a spreadsheet: no text cell starts a formula."""

import csv

import duckdb
import polars as pl

from pipelines.safe_csv import safe_frame, safe_select, write_safe_csv

DANGEROUS = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=x", "\r=x", '=HYPERLINK("http://e.x")']
HARMLESS = ["London", "2023/24", "a=b", "", "NPQ for Headship (NPQH)"]
# Spreadsheets skip leading spaces, and some read full-width signs (typed with an East Asian
# input method) as formula starters too.
EDGES = [
    " =1+1",
    "   +SUM(A1)",
    "\u00a0=1+1",  # no-break space
    "\u3000=1+1",  # ideographic space
    "\n=1+1",
    "\uff1d1+1",  # full-width =
    "\uff0bSUM(A1)",  # full-width +
    "\uff0d2+3",  # full-width -
    "\uff20cmd",  # full-width @
    "\ufe661+1",  # small =
    " \uff1dHYPERLINK(1)",
]
EDGE_HARMLESS = ["a\uff1db", " London", "Total \u2013 all", "\u00a0"]


def test_leading_spaces_and_full_width_formula_starters_are_quoted():
    frame = pl.DataFrame({"text": [*EDGES, *EDGE_HARMLESS]})
    assert safe_frame(frame)["text"].to_list() == [f"'{v}" for v in EDGES] + EDGE_HARMLESS


def test_categorical_and_enum_columns_are_quoted():
    values = [*DANGEROUS, *EDGES, *HARMLESS]
    frame = pl.DataFrame(
        {
            "cat": pl.Series(values, dtype=pl.Categorical),
            "enum": pl.Series(values, dtype=pl.Enum(list(dict.fromkeys(values)))),
        }
    )
    safe = safe_frame(frame)
    expected = [f"'{v}" for v in [*DANGEROUS, *EDGES]] + HARMLESS
    assert safe["cat"].cast(pl.String).to_list() == expected
    assert safe["enum"].cast(pl.String).to_list() == expected


def test_duckdb_export_quotes_edges_and_enum_columns(tmp_path):
    values = [*DANGEROUS, *EDGES, *HARMLESS, *EDGE_HARMLESS]
    con = duckdb.connect()
    con.execute("CREATE TYPE label_kind AS ENUM (SELECT DISTINCT unnest(?::VARCHAR[]))", [values])
    con.execute("CREATE TABLE t (plain VARCHAR, kind label_kind)")
    con.executemany("INSERT INTO t VALUES (?, ?)", [(v, v) for v in values])
    out = tmp_path / "t.csv"
    con.execute(f"COPY ({safe_select(con, 't')}) TO '{out}' (FORMAT csv, HEADER)")
    con.close()
    with out.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    expected = [f"'{v}" for v in [*DANGEROUS, *EDGES]] + HARMLESS + EDGE_HARMLESS
    assert [r["plain"] for r in rows] == expected
    assert [r["kind"] for r in rows] == expected


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


def test_every_text_column_is_checked_whatever_comes_before_it(tmp_path):
    frame = pl.DataFrame(
        {
            "n": [1, -2],
            "cat": pl.Series(["=1+1", "ok"], dtype=pl.Categorical),
            "text": ["@cmd", "ok"],
        }
    )
    safe = safe_frame(frame)
    assert safe.schema == frame.schema  # a categorical stays categorical, numbers stay numbers
    assert safe.rows() == [(1, "'=1+1", "'@cmd"), (-2, "ok", "ok")]
    out = tmp_path / "t.csv"
    write_safe_csv(frame, out)
    assert out.read_text(encoding="utf-8").splitlines() == [
        "n,cat,text",
        "1,'=1+1,'@cmd",
        "-2,ok,ok",
    ]


def test_duckdb_export_handles_a_quote_in_a_column_name(tmp_path):
    con = duckdb.connect()
    con.execute('CREATE TABLE t ("say ""hi""" VARCHAR)')
    con.execute("INSERT INTO t VALUES ('=1+1'), ('hi')")
    out = tmp_path / "t.csv"
    con.execute(f"COPY ({safe_select(con, 't')}) TO '{out}' (FORMAT csv, HEADER)")
    con.close()
    with out.open(newline="", encoding="utf-8") as f:
        assert list(csv.reader(f)) == [['say "hi"'], ["'=1+1"], ["hi"]]


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
