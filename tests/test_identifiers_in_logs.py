"""No pupil, participant, school or teacher identifier reaches run history or logs.

Evaluator and record-level files whose identifiers break their contract are run through the
command line (as `make run` and `python -m pipelines.cli records` do) with a real Dagster
instance in a temporary DAGSTER_HOME. Every refusal still names file, row and column; then
every file under DAGSTER_HOME and the working and publication folders, and everything the
commands printed, is searched for the identifiers: none may appear.
"""

import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.cli import main
from pipelines.pilots.inputs import ensure_synthetic
from pipelines.pilots.registry import load_registry
from tests.conftest import PROJECT_ROOT, Workspace
from tests.records_data import write_records

# Distinctive values, each of a shape an evaluator or a census might really send.
PILOT_IDS = {
    "participant": "TRN-4711-QZXW-0001",  # a teacher reference number in place of a pseudonym
    "school": "URN-998877-QZXW",  # a school's URN in place of its pseudonym
    "pupil": "UPN-K80120-QZXW77",  # a unique pupil number in place of its pseudonym
    "dosage": "DOSE-QZXW-515000",
}
RECORD_IDS = {
    "teacher_ref": "T-TRN-1234567-QZXW",
    "participant_ref": "NPQ-APP-77X1-QZXW",
    "linked_teacher_ref": "T-TRN-7654321-QZXW",
}


def _put(frame: pl.DataFrame, column: str, row: int, value: str) -> pl.DataFrame:
    """`value` in `column` at data row `row` (0 = the first record)."""
    return frame.with_columns(
        pl.when(pl.int_range(pl.len()) == row).then(pl.lit(value)).otherwise(column).alias(column)
    )


def _deliver(
    workspace: Workspace, pilot: str, kind: str, column: str, value: str, where=None
) -> tuple[Path, int]:
    """Deliver the pilot's first year (a copy of its synthetic files) with `value` planted in
    one row of `kind`.csv; returns the planted file and its spreadsheet row."""
    registry = load_registry(workspace.raw / "pilots" / "registry" / "pilots.yaml")
    synthetic = ensure_synthetic(workspace.work, registry)
    for delivered in (workspace.raw / "pilots").glob("P*"):
        shutil.rmtree(delivered)
    target = workspace.raw / "pilots" / pilot / "2025-26"
    shutil.copytree(synthetic / pilot / "2025-26", target)
    planted = None
    for path in sorted(target.glob("*.csv")):
        frame = pl.read_csv(path, infer_schema=False).with_columns(provenance=pl.lit("evaluator"))
        if path.stem == kind:
            rows = frame.with_row_index().filter(where if where is not None else pl.lit(True))
            row = int(rows["index"][1])
            frame = _put(frame, column, row, value)
            planted = (path, row + 2)
        frame.write_csv(path)
    assert planted is not None
    return planted


def _break_records(records: Path, collection: str, column: str, row: int, value: str) -> Path:
    """Put `value` in `column` at record `row` (1 = the first) of the 202425 file."""
    path = records / collection / "202425.parquet"
    src = f"read_parquet('{path}', file_row_number = true)"
    with duckdb.connect() as con:
        con.execute(
            f"COPY (SELECT * EXCLUDE (file_row_number) REPLACE (CASE WHEN file_row_number = "
            f"{row - 1} THEN '{value}' ELSE {column} END AS {column}) FROM {src} "
            f"ORDER BY file_row_number) TO '{path}.new' (FORMAT parquet)"
        )
    path.with_name(path.name + ".new").replace(path)
    return path


def _files_holding(roots: list[Path], needle: bytes) -> list[str]:
    return [
        str(path)
        for root in roots
        for path in sorted(root.rglob("*"))
        if path.is_file() and needle in path.read_bytes()
    ]


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    shutil.copy(PROJECT_ROOT / "instance" / "dagster.yaml", dagster_home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home))
    monkeypatch.setenv("NPQ_PSEUDONYMISATION_KEY", "k" * 40)
    return dagster_home


@pytest.mark.slow
def test_identifiers_breaking_the_contract_are_never_logged(tmp_path, home, monkeypatch, capsys):
    workspace = Workspace(tmp_path / "workspace")
    for name, value in workspace.env.items():
        monkeypatch.setenv(name, value)
    records = write_records(tmp_path / "records", census_years=(202425,), npq_years=(202425,))
    monkeypatch.setenv("NPQ_RECORDS_DIR", str(records))
    printed = []

    def refused(argv: list[str], file: Path, row: int, column: str) -> None:
        assert main(argv) == 1
        out, err = capsys.readouterr()
        printed.append(out + err)
        assert f"file {file}, row {row}, column '{column}'" in err, err

    pilot_cases = [
        ("P2", "participants", "participant_id", PILOT_IDS["participant"], None),
        ("P2", "schools", "school_id", PILOT_IDS["school"], None),
        ("P5", "outcomes", "unit_id", PILOT_IDS["pupil"], pl.col("unit_level") == "pupil"),
        ("P2", "dosage", "unit_id", PILOT_IDS["dosage"], None),
    ]
    for pilot, kind, column, value, where in pilot_cases:
        path, row = _deliver(workspace, pilot, kind, column, value, where)
        refused(["run", "--question", "pilots"], path, row, column)

    # Each records run gets its own working folder: a failed step leaves its DuckDB connection
    # open until garbage collection, which a second run in this process would trip over.
    work_dirs = [tmp_path / f"records_work_{n}" for n in range(3)]
    record_cases = [
        ("teacher_census", "teacher_ref", 3, RECORD_IDS["teacher_ref"]),
        ("npq_participants", "participant_ref", 2, RECORD_IDS["participant_ref"]),
        ("npq_participants", "teacher_ref", 4, RECORD_IDS["linked_teacher_ref"]),
    ]
    for work, (collection, column, row, value) in zip(work_dirs, record_cases, strict=True):
        write_records(records, census_years=(202425,), npq_years=(202425,))  # whole again
        monkeypatch.setenv("NPQ_WORK_DIR", str(work))
        refused(["records"], _break_records(records, collection, column, row, value), row, column)

    searched = [home, workspace.work, workspace.marts, *work_dirs]
    # The search looks where refusals land: run history records each one.
    assert _files_holding([home], b"column 'participant_id'")
    assert _files_holding([home], b"column 'teacher_ref'")
    leaks = {
        value: _files_holding(searched, value.encode())
        + [f"output of run {n}" for n, text in enumerate(printed) if value in text]
        for value in (*PILOT_IDS.values(), *RECORD_IDS.values())
    }
    assert {value: where for value, where in leaks.items() if where} == {}


# --- the contract checks themselves ----------------------------------------------------------


def test_the_pilot_contract_marks_exactly_the_columns_that_get_pseudonymised():
    from pipelines.pilots.contract import FILES
    from pipelines.pilots.inputs import IDENTIFIERS

    marked = {kind: {c.name for c in f.columns if c.identifier} for kind, f in FILES.items()}
    assert marked == {kind: set(columns) for kind, columns in IDENTIFIERS.items()}


@pytest.mark.parametrize(
    ("kind", "header", "line", "column"),
    [
        (
            "schools",
            "pilot_id,evaluation_year,school_id",
            "P1,2025/26,URN-998877-QZXW",
            "school_id",
        ),
        ("dosage", "pilot_id,evaluation_year,unit_level,unit_id", "P1,2025/26,school,", "unit_id"),
    ],
)
def test_a_pilot_identifier_error_names_row_and_column_not_the_value(
    tmp_path, kind, header, line, column
):
    from pipelines.errors import InputError
    from pipelines.pilots.contract import FILES, validate_file

    names = FILES[kind].column_names
    good = {c.name: "x" for c in FILES[kind].columns}
    cells = dict(zip(header.split(","), line.split(","), strict=True))
    path = tmp_path / f"{kind}.csv"
    path.write_text(
        ",".join(names) + "\n" + ",".join({**good, **cells}.get(n, "") for n in names) + "\n"
    )
    with pytest.raises(InputError) as caught:
        validate_file(path)
    assert (caught.value.row, caught.value.column) == (2, column)
    if cells[column]:
        assert "value not shown" in str(caught.value)
        assert cells[column] not in str(caught.value)


def test_an_unreadable_pilot_file_is_refused_without_quoting_its_cells(tmp_path):
    from pipelines.errors import InputError
    from pipelines.pilots.contract import validate_file

    path = tmp_path / "participants.csv"
    path.write_text('pilot_id,participant_id\nP1,"TRN-4711-QZXW-0002\n')
    with pytest.raises(InputError) as caught:
        validate_file(path)
    assert str(path) in str(caught.value) and caught.value.row == 2
    chain = [caught.value, caught.value.__cause__, caught.value.__context__]
    assert not [e for e in chain if e is not None and "QZXW" in str(e)]
