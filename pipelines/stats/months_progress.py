"""EEF months' progress from an effect size: pupil attainment outcomes only.

Source: shared/methods/README.md ("Months' progress") and `months_progress.csv`: round g to
2 decimal places, find |g| in the table's bands (inclusive; the top band is open), negative
effects map to negative months. Table "toolkit" is the Teaching and Learning Toolkit
conversion [verified]; "project_report" differs only in the zero band [unverified]. Never
applied to leader or teacher outcomes (retention, wellbeing, progression): those return None.
"""

from decimal import ROUND_HALF_UP, Decimal

import polars as pl

from pipelines.stats.reference_tables import reference_table


def _hundredths(value: float) -> int:
    """|value| rounded half away from zero to 2 dp, as whole hundredths (no binary drift)."""
    rounded = Decimal(repr(abs(value))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return int(rounded * 100)


def months_progress(
    g: float | None, *, is_pupil_attainment: bool, table: str = "toolkit"
) -> int | None:
    """Months' progress for effect size `g`; None when g is missing or not pupil attainment."""
    if not is_pupil_attainment or g is None or g != g:
        return None
    bands = reference_table("months_progress").filter(pl.col("table") == table)
    if bands.is_empty():
        raise ValueError(f"no months' progress table named {table!r}")
    size = _hundredths(g)
    sign = -1 if g < 0 else 1
    for months, es_from, es_to in bands.select("months", "es_from", "es_to").iter_rows():
        low = max(round(es_from * 100), 0)
        high = round(es_to * 100) if es_to is not None else None
        if size >= low and (high is None or size <= high):
            return sign * int(months) if months else 0
    raise ValueError(f"effect size {g} falls in no band of the {table!r} table")
