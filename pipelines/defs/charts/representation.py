"""Representation charts (question 2): one asset per chart, drawn by
pipelines/charts/representation.py into the working area and published with the marts."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.charts.representation import (
    gap_trends,
    leaky_pipeline,
    npq_pipeline,
    regional_small_multiples,
)
from pipelines.defs.charts.takeup_breakdowns import _read, _save
from pipelines.defs.resources import ProjectPaths


@dg.asset(
    key=["charts", "rep_leaky_pipeline"],
    deps=[dg.AssetKey(["marts", "rep_leaky_pipeline"])],
    group_name="charts",
    kinds={"matplotlib"},
)
def rep_leaky_pipeline(duckdb: DuckDBResource, paths: ProjectPaths) -> dg.MaterializeResult:
    """One chart: the ethnic minority share at each stage from pupils to head teachers, by year.

    Source: marts.rep_leaky_pipeline (England). Teacher rows are synthetic in the embedded
    default, so the chart is stamped SYNTHETIC; pupil rows are published.
    """
    (mart,) = _read(duckdb, "rep_leaky_pipeline")
    return _save(leaky_pipeline(mart), paths)


@dg.asset(
    key=["charts", "rep_gap_trends"],
    deps=[
        dg.AssetKey(["marts", "rep_representation_gaps"]),
        dg.AssetKey(["marts", "rep_gap_trends"]),
    ],
    group_name="charts",
    kinds={"matplotlib"},
)
def rep_gap_trends(duckdb: DuckDBResource, paths: ProjectPaths) -> dg.MaterializeResult:
    """One chart: the ethnic minority gap of each leadership grade against classroom teachers by
    year, with the recent trend extended to parity or marked 'not closing'.

    Source: marts.rep_representation_gaps and marts.rep_gap_trends (England). Synthetic teacher
    rows in the embedded default: stamped SYNTHETIC.
    """
    gaps, trends = _read(duckdb, "rep_representation_gaps", "rep_gap_trends")
    return _save(gap_trends(gaps, trends), paths)


@dg.asset(
    key=["charts", "rep_npq_pipeline"],
    deps=[dg.AssetKey(["marts", "rep_npq_pipeline"])],
    group_name="charts",
    kinds={"matplotlib"},
)
def rep_npq_pipeline(duckdb: DuckDBResource, paths: ProjectPaths) -> dg.MaterializeResult:
    """One chart: ethnic minority and female shares among NPQ participants (all courses, latest
    year) against each teacher grade they are drawn from.

    Source: marts.rep_npq_pipeline (funding Overall). NPQ breakdowns and teacher rows are
    synthetic in the embedded default: stamped SYNTHETIC.
    """
    (mart,) = _read(duckdb, "rep_npq_pipeline")
    return _save(npq_pipeline(mart), paths)


@dg.asset(
    key=["charts", "rep_regional_gaps"],
    deps=[dg.AssetKey(["marts", "rep_workforce_by_grade"])],
    group_name="charts",
    kinds={"matplotlib"},
)
def rep_regional_gaps(duckdb: DuckDBResource, paths: ProjectPaths) -> dg.MaterializeResult:
    """One chart: small multiples by region of the ethnic minority share of classroom teachers
    and of head teachers, by year.

    Source: marts.rep_workforce_by_grade (England and its nine regions). Synthetic teacher rows
    in the embedded default: stamped SYNTHETIC.
    """
    (mart,) = _read(duckdb, "rep_workforce_by_grade")
    return _save(regional_small_multiples(mart), paths)
