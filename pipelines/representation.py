"""Parameters of the representation marts (question 2), in one place.

LOW_COUNT_THRESHOLD: a share or gap resting on fewer people than this is flagged `low_count`
in every representation mart and greyed out on the charts. The inputs are published aggregate
counts (or synthetic stand-ins in the published schema), not record-level data, so nothing is
suppressed here: the project's disclosure control (suppress to `c`, with secondary suppression)
applies to marts built from record-level inputs; published aggregates keep their own symbols.
Set `NPQ_LOW_COUNT_THRESHOLD` to change it for a run.

TREND_WINDOW_YEARS: how many of the latest years the gap trend (and its year of parity) is
fitted to; "the current trend" means these years.
"""

import os

LOW_COUNT_THRESHOLD = 10
TREND_WINDOW_YEARS = 5


def low_count_threshold() -> int:
    """The low-count threshold: NPQ_LOW_COUNT_THRESHOLD if set, else LOW_COUNT_THRESHOLD."""
    value = os.environ.get("NPQ_LOW_COUNT_THRESHOLD", "").strip()
    if not value:
        return LOW_COUNT_THRESHOLD
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"NPQ_LOW_COUNT_THRESHOLD must be a whole number >= 1, got {value!r}")
    return int(value)


def representation_params() -> dict:
    """Bound parameters for the representation SQL."""
    return {
        "low_count_threshold": low_count_threshold(),
        "trend_window_years": TREND_WINDOW_YEARS,
    }
