"""Do two implementations of the record-level marts give the same figures?

A benchmark is only worth reading if the things timed compute the same thing, so the runner
checks the floor against pandas and the pipeline against the floor before it reports a time.
`assert_marts_equal(a, b)` loads the six marts of `pipelines/records/MARTS.md` from two
outputs and raises `MartsDiffer`, naming the mart, the column and the first differing row (by
its grain), unless:

- both hold exactly the columns MARTS.md lists (in any order),
- the same rows after sorting by the grain columns,
- integers, text and booleans equal (NULL equals NULL only),
- doubles equal to 1e-9 relative (NULL equals NULL only, NaN equals NaN only),
- each column of the same kind (integer, double, text, boolean) on both sides.

An output is a DuckDB database file (the marts as tables in schema `marts` if there is one,
else `main`) or a folder of `<mart>.parquet` files.

    python -m pipelines.bench.compare OUTPUT_A OUTPUT_B
"""

import math
import sys
from pathlib import Path

REL_TOL = 1e-9

# mart -> (grain columns, every column), as in pipelines/records/MARTS.md.
MARTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "rec_npq_takeup_by_year": (
        ("time_period", "funding"),
        (
            "time_period",
            "academic_year",
            "funding",
            "npq_starts",
            "npq_unique_participants",
            "cumulative_npq_starts_in_window",
            "percent_of_target",
        ),
    ),
    "rec_npq_takeup_by_course": (
        ("time_period", "funding", "course_code"),
        (
            "time_period",
            "academic_year",
            "funding",
            "course_code",
            "npq_starts",
            "percent_of_year_starts",
        ),
    ),
    "rec_npq_takeup_by_region": (
        ("time_period", "funding", "region_code"),
        (
            "time_period",
            "academic_year",
            "funding",
            "region_code",
            "npq_starts",
            "teachers_headcount",
            "starts_per_1000_teachers",
        ),
    ),
    "rec_workforce_by_grade": (
        ("time_period", "area_code", "grade", "group_set", "group_name"),
        (
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
        ),
    ),
    "rec_npq_pipeline": (
        ("time_period", "course_code", "group_set", "group_name"),
        (
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
        ),
    ),
    "rec_linkage": (
        ("time_period",),
        (
            "time_period",
            "academic_year",
            "npq_starts",
            "linked_starts",
            "linked_pct",
            "census_available",
        ),
    ),
}


class MartsDiffer(AssertionError):
    """Two outputs disagree; the message says where."""


def _kind(value_type) -> str:
    """'integer', 'double', 'text', 'boolean' or the type's own name, for a pyarrow type."""
    import pyarrow as pa

    if pa.types.is_integer(value_type):
        return "integer"
    if pa.types.is_floating(value_type):
        return "double"
    if pa.types.is_string(value_type) or pa.types.is_large_string(value_type):
        return "text"
    if pa.types.is_string_view(value_type):
        return "text"
    if pa.types.is_boolean(value_type):
        return "boolean"
    if pa.types.is_null(value_type):
        return "null"
    return str(value_type)


def load_marts(output: Path | str) -> dict:
    """{mart: pyarrow.Table} from a DuckDB file or a folder of Parquet files."""
    import duckdb

    output = Path(output)
    marts = {}
    if output.is_dir():
        for mart in MARTS:
            file = output / f"{mart}.parquet"
            if not file.exists():
                raise MartsDiffer(f"{output}: no {file.name}")
            marts[mart] = duckdb.read_parquet(str(file)).to_arrow_table()
        return marts
    with duckdb.connect(str(output), read_only=True) as con:
        tables = {
            (schema, name)
            for schema, name in con.sql(
                "SELECT schema_name, table_name FROM duckdb_tables()"
                " UNION ALL SELECT schema_name, view_name FROM duckdb_views() WHERE NOT internal"
            ).fetchall()
        }
        schema = "marts" if any(s == "marts" for s, _ in tables) else "main"
        for mart in MARTS:
            if (schema, mart) not in tables:
                raise MartsDiffer(f"{output}: no table {schema}.{mart}")
            marts[mart] = con.sql(f'SELECT * FROM "{schema}"."{mart}"').to_arrow_table()
    return marts


def _sorted_rows(table, grain: tuple[str, ...], columns: tuple[str, ...]) -> list[tuple]:
    rows = list(zip(*(table.column(c).to_pylist() for c in columns), strict=True))
    positions = [columns.index(c) for c in grain]
    # NULL sorts first; the values of one column share a type, so the rest compare.
    return sorted(
        rows,
        key=lambda row: tuple(
            (row[i] is not None, row[i] if row[i] is not None else 0) for i in positions
        ),
    )


def _doubles_equal(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if a == b:
        return True
    return abs(a - b) <= REL_TOL * max(abs(a), abs(b))


def compare_mart(mart: str, a, b, a_name: str = "a", b_name: str = "b") -> None:
    """Raise MartsDiffer at the first difference between two pyarrow tables of one mart."""
    grain, columns = MARTS[mart]
    for table, name in ((a, a_name), (b, b_name)):
        missing = [c for c in columns if c not in table.column_names]
        extra = [c for c in table.column_names if c not in columns]
        if missing or extra:
            raise MartsDiffer(
                f"{mart}: {name} has columns {table.column_names}; "
                f"missing {missing}, unexpected {extra}"
            )
    kinds = {}
    for column in columns:
        kind_a = _kind(a.schema.field(column).type)
        kind_b = _kind(b.schema.field(column).type)
        # An all-NULL column may come back typed NULL; it matches any kind.
        if kind_a != kind_b and "null" not in (kind_a, kind_b):
            raise MartsDiffer(
                f"{mart}.{column}: {a_name} is {a.schema.field(column).type} ({kind_a}), "
                f"{b_name} is {b.schema.field(column).type} ({kind_b})"
            )
        kinds[column] = kind_a if kind_a != "null" else kind_b
    rows_a = _sorted_rows(a, grain, columns)
    rows_b = _sorted_rows(b, grain, columns)
    positions = [columns.index(c) for c in grain]
    if len(rows_a) != len(rows_b):
        keys_a = {tuple(r[i] for i in positions) for r in rows_a}
        keys_b = {tuple(r[i] for i in positions) for r in rows_b}
        only_a = sorted(keys_a - keys_b, key=str)[:3]
        only_b = sorted(keys_b - keys_a, key=str)[:3]
        raise MartsDiffer(
            f"{mart}: {a_name} has {len(rows_a)} rows, {b_name} {len(rows_b)}; "
            f"grain {grain}: only in {a_name} {only_a}, only in {b_name} {only_b}"
        )
    for number, (row_a, row_b) in enumerate(zip(rows_a, rows_b, strict=True)):
        for index, column in enumerate(columns):
            x, y = row_a[index], row_b[index]
            same = _doubles_equal(x, y) if kinds[column] == "double" else x == y
            if not same:
                key_a = dict(zip(grain, (row_a[i] for i in positions), strict=True))
                key_b = dict(zip(grain, (row_b[i] for i in positions), strict=True))
                where = (
                    f"row {key_a}"
                    if key_a == key_b
                    else f"sorted row {number}: {a_name} {key_a}, {b_name} {key_b}"
                )
                raise MartsDiffer(
                    f"{mart}.{column}: first difference at {where}: {a_name} {x!r}, {b_name} {y!r}"
                )


def assert_marts_equal(
    a: Path | str, b: Path | str, a_name: str | None = None, b_name: str | None = None
) -> None:
    """Raise MartsDiffer unless the six marts of outputs `a` and `b` are equal (see above)."""
    a_name = a_name or str(a)
    b_name = b_name or str(b)
    marts_a, marts_b = load_marts(a), load_marts(b)
    for mart in MARTS:
        compare_mart(mart, marts_a[mart], marts_b[mart], a_name, b_name)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    try:
        assert_marts_equal(args[0], args[1])
    except MartsDiffer as error:
        print(f"DIFFERENT: {error}", file=sys.stderr)
        return 1
    print(f"The six marts agree: {args[0]} and {args[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
