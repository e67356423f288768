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


def test_mart_suite_catches_a_decreasing_cumulative_series(published):
    import duckdb

    with duckdb.connect(str(published.published_db), read_only=True) as con:
        frame = con.sql("SELECT * FROM npq_takeup_by_year").df()
    assert validate(frame, "marts.npq_takeup_by_year").success
    row = frame.index[(frame.funding == "Overall") & (frame.academic_year == "2023/24")][0]
    frame.loc[row, "cumulative_npq_starts_in_window"] = 1_000
    result = validate(frame, "marts.npq_takeup_by_year")
    assert [f.expectation for f in result.failures] == ["expect_column_values_to_be_increasing"]


def test_mart_suite_catches_a_duplicated_grain(published):
    import duckdb

    with duckdb.connect(str(published.published_db), read_only=True) as con:
        frame = con.sql("SELECT * FROM npq_takeup_by_region").df()
    doubled = pd.concat([frame, frame.head(1)], ignore_index=True)
    result = validate(doubled, "marts.npq_takeup_by_region")
    assert "expect_compound_columns_to_be_unique" in {f.expectation for f in result.failures}


def test_share_rule_names_the_group_whose_shares_do_not_sum_to_100(tmp_path):
    suite = {
        "name": "marts.shares",
        "meta": {
            "share_totals": [
                {"share": "pct", "group_by": ["year", "grade"], "where": "known", "tolerance": 0.1}
            ]
        },
        "expectations": [
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "year"}}
        ],
    }
    (tmp_path / "marts.shares.json").write_text(json.dumps(suite))
    frame = pd.DataFrame(
        {
            "year": [2023, 2023, 2023, 2024, 2024, 2024],
            "grade": ["head"] * 6,
            "known": [True, True, False, True, True, False],
            "pct": [60.04, 39.99, 5.0, 70.0, 29.0, 1.0],
        }
    )
    result = validate(frame, "marts.shares", tmp_path)
    assert not result.success
    assert result.evaluated == 2
    [failure] = result.failures
    assert (failure.expectation, failure.column, failure.unexpected_count) == (
        "shares_sum_to_100",
        "pct",
        1,
    )
    assert failure.examples == ["2024 | head: 99.00"]

    frame.loc[4, "pct"] = 30.0
    assert validate(frame, "marts.shares", tmp_path).success

    frame.loc[4, "pct"] = None  # a withheld share: that group cannot be summed, so it is skipped
    assert validate(frame, "marts.shares", tmp_path).success

    frame["pct"] = None  # but a rule that can check no group at all fails
    assert validate(frame, "marts.shares", tmp_path).failures[0].examples == [
        "no group has every share present"
    ]


# Suites of the marts in the aggregate publication (the record-level marts have their own
# tests: tests/test_records_pipeline.py).
SHARE_MARTS = sorted(
    p.stem
    for p in EXPECTATIONS_DIR.glob("marts.*.json")
    if load_suite(p.stem)["meta"].get("share_totals") and not p.stem.startswith("marts.rec_")
)


@pytest.mark.parametrize("suite_name", SHARE_MARTS)
def test_every_share_rule_holds_on_the_published_mart_and_catches_a_shifted_share(
    published, suite_name
):
    import duckdb

    with duckdb.connect(str(published.published_db), read_only=True) as con:
        frame = con.sql(f"SELECT * FROM {suite_name.removeprefix('marts.')}").df()
    assert validate(frame, suite_name).success
    for rule in load_suite(suite_name)["meta"]["share_totals"]:
        broken = frame.copy()
        broken[rule["share"]] += 0.5  # every group's total moves by 0.5 x its size
        failures = validate(broken, suite_name).failures
        assert ("shares_sum_to_100", rule["share"]) in {(f.expectation, f.column) for f in failures}
