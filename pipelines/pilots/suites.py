"""Expectation suites for the staged pilot files, written from the contract.

    python -m pipelines.pilots.suites      # rewrites expectations/staging.pilot_<file>.json

The suites are committed (they are what the blocking checks run); a test regenerates them in
memory and fails if a committed suite and the contract have drifted apart.
"""

import json
from pathlib import Path

from pipelines.paths import EXPECTATIONS_DIR
from pipelines.pilots.contract import FILES, FileContract
from pipelines.pilots.inputs import LOAD_COLUMNS


def _expect(kind: str, **kwargs) -> dict:
    return {"type": f"expect_{kind}", "kwargs": kwargs}


def suite(contract: FileContract) -> dict:
    """The suite for `staging.pilot_<name>`: columns, key, nulls, allowed values, ranges."""
    name = f"staging.pilot_{contract.name}"
    expectations = [
        _expect("table_row_count_to_be_between", min_value=1),
        _expect(
            "table_columns_to_match_set",
            column_set=[*contract.column_names, *LOAD_COLUMNS],
            exact_match=True,
        ),
        _expect(
            "compound_columns_to_be_unique",
            column_list=list(contract.key),
            ignore_row_if="never",
        ),
    ]
    for column in contract.columns:
        if not column.nullable:
            expectations.append(_expect("column_values_to_not_be_null", column=column.name))
        if column.allowed is not None:
            expectations.append(
                _expect(
                    "column_values_to_be_in_set", column=column.name, value_set=list(column.allowed)
                )
            )
        if column.pattern is not None:
            expectations.append(
                _expect("column_values_to_match_regex", column=column.name, regex=column.pattern)
            )
        if column.minimum is not None or column.maximum is not None:
            bounds = {"min_value": column.minimum, "max_value": column.maximum}
            expectations.append(
                _expect(
                    "column_values_to_be_between",
                    column=column.name,
                    **{k: v for k, v in bounds.items() if v is not None},
                )
            )
    return {
        "name": name,
        "meta": {
            "table": name,
            "grain": contract.grain,
            "generated_by": "pipelines/pilots/suites.py from pipelines/pilots/contract.py",
            "blocking": True,
        },
        "expectations": expectations,
    }


def write_suites(folder: Path = EXPECTATIONS_DIR) -> list[Path]:
    written = []
    for contract in FILES.values():
        data = suite(contract)
        path = folder / f"{data['name']}.json"
        path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_suites():
        print(f"wrote {path}")
