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
