"""The Great Expectations runner: suites load from expectations/ and report failures usefully."""

import json

import pandas as pd
import pytest

from pipelines.paths import EXPECTATIONS_DIR
from pipelines.quality.runner import load_suite, validate


@pytest.fixture
def suite_dir(tmp_path):
    suite = {
        "name": "staging.example",
        "expectations": [
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "provenance"}},
            {
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "n", "min_value": 0},
            },
        ],
    }
    (tmp_path / "staging.example.json").write_text(json.dumps(suite))
    return tmp_path


def test_valid_frame_passes(suite_dir):
    result = validate(
        pd.DataFrame({"provenance": ["published"], "n": [3]}), "staging.example", suite_dir
    )
    assert result.success
    assert result.evaluated == 2
    assert result.failures == []


def test_invalid_frame_names_expectation_column_and_values(suite_dir):
    frame = pd.DataFrame({"provenance": ["published", None], "n": [-5, 2]})
    result = validate(frame, "staging.example", suite_dir)
    assert not result.success
    failed = {(f.expectation, f.column) for f in result.failures}
    assert failed == {
        ("expect_column_values_to_not_be_null", "provenance"),
        ("expect_column_values_to_be_between", "n"),
    }
    between = next(f for f in result.failures if f.column == "n")
    assert between.unexpected_count == 1
    assert "-5" in between.examples[0]
    assert "2 of 2 expectations failed" in result.summary()


@pytest.mark.parametrize("path", sorted(EXPECTATIONS_DIR.glob("*.json")), ids=lambda p: p.stem)
def test_every_suite_is_named_after_its_file(path):
    suite = load_suite(path.stem)
    assert suite["name"] == path.stem
    assert suite["expectations"], f"{path.name} has no expectations"
