"""Every notebook runs top to bottom against a real publication (executed with nbmake)."""

import subprocess
import sys
from pathlib import Path

import jupytext
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.py"))


@pytest.mark.parametrize("source", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes(source, published, tmp_path):
    notebook = tmp_path / f"{source.stem}.ipynb"
    jupytext.write(jupytext.read(source), notebook)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbmake",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(tmp_path),
            str(notebook),
        ],
        cwd=tmp_path,
        env=published.subprocess_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "1 passed" in done.stdout


def test_there_is_a_notebook():
    assert NOTEBOOKS, "no notebooks found"


# Non-default parameters for each notebook, and text its output can only show if every cell
# that reads them used them.
PARAMETERS = {
    "01_npq_takeup": (
        {"FUNDING": "Funded", "REGION": "North East"},
        ["North East, funded:"],
    ),
    "02_representation": (
        {"AREA": "London", "COMPARATOR": "All teachers"},
        ["(London), ethnic minority people were", "London, against all teachers:"],
    ),
    "03_pilots": ({"PILOT": "P2"}, ["Pilots on **SYNTHETIC** data: P2;"]),
}


def _output_text(notebook) -> str:
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts.extend(str(v) for v in output.get("data", {}).values())
    return "\n".join(parts)


def execute_with(source: Path, parameters: dict, workdir: Path):
    import nbformat
    import papermill

    notebook = workdir / f"{source.stem}.ipynb"
    jupytext.write(jupytext.read(source), notebook)
    executed = workdir / f"{source.stem}.executed.ipynb"
    papermill.execute_notebook(
        str(notebook),
        str(executed),
        parameters=parameters,
        kernel_name="python3",
        cwd=str(workdir),
        progress_bar=False,
    )
    return nbformat.read(executed, as_version=4)


@pytest.mark.parametrize("source", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_follows_its_parameters(source, published, tmp_path, monkeypatch):
    notebook = jupytext.read(source)
    tagged = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "one cell tagged `parameters`"
    kinds = [c.cell_type for c in notebook.cells]
    assert notebook.cells.index(tagged[0]) == kinds.index("code"), "parameters come first"
    first = notebook.cells[0].source
    assert "What you can ask here" in first
    assert "Caveats" in notebook.cells[-1].source
    parameters, expected = PARAMETERS[source.stem]
    for name in parameters:
        assert f"{name} = " in tagged[0].source
    for key, value in published.env.items():
        monkeypatch.setenv(key, value)
    text = _output_text(execute_with(source, parameters, tmp_path))
    for phrase in expected:
        assert phrase in text, phrase
