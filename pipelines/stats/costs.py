"""Cost per participant, cost per pupil per year, and the EEF cost rating.

Source: shared/methods/README.md ("Cost rating") and `cost_bands.csv` [verified]: the rating
is read from the cost per pupil per year (rating 1 "Very low" up to GBP 80, 2 up to 200, 3 up
to 720, 4 up to 1,200, 5 "Very high" above). For leadership pilots the README asks for the cost
per participant and the cost per pupil in participants' schools averaged over three years,
with start-up costs spread over the three years [M]:

    cost per participant       = (start-up + sum of annual costs) / participants
    cost per pupil per year    = (start-up + sum of annual costs) / years / pupils
"""

from collections.abc import Sequence

import polars as pl

from pipelines.stats.reference_tables import reference_table


def cost_band(cost_per_pupil_per_year: float) -> tuple[int, str]:
    """(rating, label) of the EEF cost band containing the cost per pupil per year (GBP)."""
    if cost_per_pupil_per_year < 0:
        raise ValueError("a cost cannot be negative")
    bands = reference_table("cost_bands").sort("rating")
    for rating, label, upper in bands.select(
        "rating", "label", "per_pupil_per_year_max_gbp"
    ).iter_rows():
        if upper is None or cost_per_pupil_per_year <= upper:
            return int(rating), label
    raise ValueError("the cost bands table has no open top band")


def cost_summary(
    start_up_gbp: float,
    annual_costs_gbp: Sequence[float],
    participants: int,
    pupils_in_participant_schools: int,
    *,
    years: int = 3,
) -> pl.DataFrame:
    """One row: total cost, per participant, per pupil per year (start-up spread), band."""
    total = float(start_up_gbp) + float(sum(annual_costs_gbp))
    if participants <= 0 or pupils_in_participant_schools <= 0:
        raise ValueError("participants and pupils must be positive")
    per_pupil = total / years / pupils_in_participant_schools
    rating, label = cost_band(per_pupil)
    return pl.DataFrame(
        [
            {
                "total_cost_gbp": total,
                "cost_per_participant_gbp": total / participants,
                "cost_per_pupil_per_year_gbp": per_pupil,
                "years": years,
                "cost_rating": rating,
                "cost_label": label,
            }
        ]
    )
