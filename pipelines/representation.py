"""Parameters of the representation marts (question 2), in one place.

LOW_COUNT_THRESHOLD: a share or gap resting on fewer people than this is flagged `low_count`
in every representation mart and greyed out on the charts. The inputs are published aggregate
counts (or synthetic stand-ins in the published schema), not record-level data, so nothing is
suppressed here: the project's disclosure control (suppress to `c`, with secondary suppression)
applies to marts built from record-level inputs; published aggregates keep their own symbols.
Set `NPQ_LOW_COUNT_THRESHOLD` to change it for a run.

TREND_WINDOW_YEARS: how many of the latest years the gap trend (and its year of parity) is
fitted to; "the current trend" means these years.

TREND_HORIZON_YEARS: how far past the latest year a trend line may be extended; a parity year
beyond it is not stated ("not within the horizon"), and no chart draws the line past it.

A trend is called clear only when the 95% interval of its slope excludes 0 (t critical values
for 1 to TREND_WINDOW_YEARS - 2 degrees of freedom are passed to the SQL as a list).
"""

import os

from scipy import stats

LOW_COUNT_THRESHOLD = 10
TREND_WINDOW_YEARS = 5
TREND_HORIZON_YEARS = 10


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
        "trend_horizon_years": TREND_HORIZON_YEARS,
        "t_critical_95": [
            float(stats.t.ppf(0.975, df)) for df in range(1, max(TREND_WINDOW_YEARS - 1, 2))
        ],
    }
