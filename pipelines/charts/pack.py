"""The chart pack: every published chart, the marts it reads and the function that draws it.

`draw(name, read)` draws one from a function returning a mart as a frame (the published database
or the working one); the pack-wide rule tests use it.
"""

from collections.abc import Callable

import polars as pl
from matplotlib.figure import Figure

from pipelines.charts.pilots import balance_plot, forest_plot, participant_flow
from pipelines.charts.representation import (
    gap_trends,
    leaky_pipeline,
    npq_pipeline,
    regional_small_multiples,
)
from pipelines.charts.style import ChartSpec
from pipelines.charts.takeup import cumulative_starts
from pipelines.charts.takeup_breakdowns import (
    completion_by_cohort,
    participation_by_region,
    starts_by_course,
)
from pipelines.charts.what_it_would_have_taken import shortfall_by_region

Drawn = tuple[Figure, ChartSpec, pl.DataFrame]

PACK: dict[str, tuple[tuple[str, ...], Callable[..., Drawn]]] = {
    "npq_cumulative_starts": (("npq_takeup_by_year", "npq_policy_breaks"), cumulative_starts),
    "npq_starts_by_course": (("npq_takeup_by_course", "npq_policy_breaks"), starts_by_course),
    "npq_participation_by_region": (
        ("npq_takeup_by_region", "npq_policy_breaks"),
        participation_by_region,
    ),
    "npq_completion_by_cohort": (("npq_completions_by_cohort",), completion_by_cohort),
    "npq_what_it_would_have_taken": (("npq_what_it_would_have_taken",), shortfall_by_region),
    "rep_leaky_pipeline": (("rep_leaky_pipeline",), leaky_pipeline),
    "rep_gap_trends": (("rep_representation_gaps", "rep_gap_trends"), gap_trends),
    "rep_npq_pipeline": (("rep_npq_pipeline",), npq_pipeline),
    "rep_regional_gaps": (("rep_workforce_by_grade",), regional_small_multiples),
    "pilot_forest_plot": (("pilot_estimates", "pilot_security"), forest_plot),
    "pilot_participant_flow": (("pilot_flow",), participant_flow),
    "pilot_balance": (("pilot_balance",), balance_plot),
}


def draw(name: str, read: Callable[[str], pl.DataFrame]) -> Drawn:
    """Draw one chart of the pack from the marts `read(mart)` returns."""
    marts, function = PACK[name]
    return function(*(read(mart) for mart in marts))
