"""Run an expectation suite from `expectations/` on a table and report it to Dagster.

Great Expectations is imported lazily, inside `validate`, because the import alone takes
seconds; assets that never validate do not pay for it.

GX has no expectation for "shares within a group sum to 100", so a suite states those rules
in its meta, under `share_totals`:

    {"share": "share_of_all_pct", "group_by": ["time_period", "grade", "group_set"],
     "where": "group_set <> 'ethnicity_unknown_detail'", "tolerance": 0.1}

For each rule the runner sums the share per group in DuckDB and validates the totals with
GX's `expect_column_values_to_be_between` (100 +/- tolerance). A group with a withheld
(null) share is skipped: its total cannot be known.
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.paths import EXPECTATIONS_DIR

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Failure:
    expectation: str
    column: str | None
    unexpected_count: int | None
    examples: list

    def describe(self) -> str:
        where = f" on '{self.column}'" if self.column else ""
        count = f": {self.unexpected_count} unexpected" if self.unexpected_count else ""
        sample = f" e.g. {self.examples[:3]}" if self.examples else ""
        return f"{self.expectation}{where}{count}{sample}"


@dataclass(frozen=True)
class Validation:
    suite: str
    success: bool
    evaluated: int
    failures: list[Failure]

    def summary(self) -> str:
        if self.success:
            return f"{self.suite}: all {self.evaluated} expectations met"
        lines = "; ".join(f.describe() for f in self.failures)
        return (
            f"{self.suite}: {len(self.failures)} of {self.evaluated} expectations failed: {lines}"
        )


def load_suite(name: str, folder: Path = EXPECTATIONS_DIR) -> dict:
    """The suite `<folder>/<name>.json` as a dict (name, expectations)."""
    return json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))


SHARE_TOTAL = "shares_sum_to_100"


def share_totals(frame: "pd.DataFrame", rule: dict) -> "pd.DataFrame":
    """One row per group of `rule["group_by"]`: the group's key as text and its share total."""
    import duckdb

    share = _quoted(rule["share"])
    keys = ", ".join(_quoted(k) for k in rule["group_by"])
    key_text = " || ' | ' || ".join(
        f"coalesce(CAST({_quoted(k)} AS VARCHAR), 'null')" for k in rule["group_by"]
    )
    where = rule.get("where", "true")
    with duckdb.connect() as con:
        con.register("frame", frame)
        return con.sql(
            f"SELECT {key_text} AS group_key, sum({share}) AS share_total FROM frame "
            f"WHERE {where} GROUP BY {keys} HAVING count({share}) = count(*) ORDER BY 1"
        ).df()


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def validate(frame: "pd.DataFrame", suite_name: str, folder: Path = EXPECTATIONS_DIR) -> Validation:
    """Validate a pandas frame against a stored suite in an ephemeral GX context."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    stored = load_suite(suite_name, folder)
    source = context.data_sources.add_pandas(suite_name)

    def run(name: str, data: "pd.DataFrame", suite) -> list:
        batch = (
            source.add_dataframe_asset(name)
            .add_batch_definition_whole_dataframe(name)
            .get_batch(batch_parameters={"dataframe": data})
        )
        # The cheap pass first; only a failing suite is run again for the rows to show.
        result = batch.validate(suite, result_format="BOOLEAN_ONLY")
        if not result.success:
            result = batch.validate(suite, result_format="SUMMARY")
        return result.results

    results = [(r, None, None) for r in run(suite_name, frame, gx.ExpectationSuite(**stored))]
    for i, rule in enumerate(stored.get("meta", {}).get("share_totals", [])):
        tolerance = rule.get("tolerance", 0.1)
        totals_suite = gx.ExpectationSuite(
            name=f"{suite_name}.{SHARE_TOTAL}.{i}",
            expectations=[
                gx.expectations.ExpectColumnValuesToBeBetween(
                    column="share_total", min_value=100 - tolerance, max_value=100 + tolerance
                )
            ],
        )
        totals = share_totals(frame, rule)
        results += [(r, rule, totals) for r in run(f"{suite_name}.{i}", totals, totals_suite)]
        if totals.empty:
            results.append((None, rule, totals))

    failures = [_failure(*r) for r in results if r[0] is None or not r[0].success]
    return Validation(suite_name, not failures, len(results), failures)


def _failure(result, rule: dict | None, totals: "pd.DataFrame | None") -> Failure:
    if rule is None:
        return Failure(
            expectation=result.expectation_config.type,
            column=result.expectation_config.kwargs.get("column"),
            unexpected_count=result.result.get("unexpected_count"),
            examples=[str(v) for v in result.result.get("partial_unexpected_list") or []],
        )
    if result is None:  # a share rule that found no complete group to check
        return Failure(SHARE_TOTAL, rule["share"], None, ["no group has every share present"])
    tolerance = rule.get("tolerance", 0.1)
    off = totals[(totals.share_total - 100).abs() > tolerance]
    return Failure(
        expectation=SHARE_TOTAL,
        column=rule["share"],
        unexpected_count=len(off),
        examples=[f"{k}: {t:.2f}" for k, t in zip(off.group_key, off.share_total, strict=True)],
    )
