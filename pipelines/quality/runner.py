"""Run an expectation suite from `expectations/` on a table and report it to Dagster.

Great Expectations is imported lazily, inside `validate`, because the import alone takes
seconds; assets that never validate do not pay for it.
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


def validate(frame: "pd.DataFrame", suite_name: str, folder: Path = EXPECTATIONS_DIR) -> Validation:
    """Validate a pandas frame against a stored suite in an ephemeral GX context."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    suite = gx.ExpectationSuite(**load_suite(suite_name, folder))
    batch = (
        context.data_sources.add_pandas(suite_name)
        .add_dataframe_asset(suite_name)
        .add_batch_definition_whole_dataframe(suite_name)
        .get_batch(batch_parameters={"dataframe": frame})
    )
    # The cheap pass first; only a failing suite is run again for the rows to show.
    result = batch.validate(suite, result_format="BOOLEAN_ONLY")
    if not result.success:
        result = batch.validate(suite, result_format="SUMMARY")
    failures = [
        Failure(
            expectation=r.expectation_config.type,
            column=r.expectation_config.kwargs.get("column"),
            unexpected_count=r.result.get("unexpected_count"),
            examples=[str(v) for v in r.result.get("partial_unexpected_list") or []],
        )
        for r in result.results
        if not r.success
    ]
    return Validation(suite_name, bool(result.success), len(result.results), failures)
