"""Benchmark of the record-level path: the pipeline against its floor and the pandas way.

The record-level marts of `pipelines/records/MARTS.md` are computed three ways:

- the pipeline (`python -m pipelines.cli records`): Dagster, one partition per academic year,
  contract checks, staging cubes, marts, disclosure control and publication;
- the floor (`floor.sql`): one DuckDB script straight from the Parquet files to the six marts,
  the least work that gives the same figures, so pipeline/floor is the cost of the pipeline's
  structure (checks, partitions, orchestration, publication);
- the analyst's alternative (`pandas_marts.py`): a straightforward pandas script, so
  pandas/pipeline says what the pipeline saves over the way the work would otherwise be done.

`run.py` times each as a separate process (wall time and peak memory) at several scales,
checks that they agree (`compare.py`) and writes the results beside the targets.
"""
