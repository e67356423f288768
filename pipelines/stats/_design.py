"""Shared input handling: complete cases, a 0/1 treatment and a numeric design matrix."""

from collections.abc import Sequence

import numpy as np
import pandas as pd
import polars as pl

Frame = pl.DataFrame | pd.DataFrame

Z_95 = 1.959963984540054
"""Two-sided 95% normal quantile (EEF intervals use 1.96)."""


def to_polars(df: Frame) -> pl.DataFrame:
    return df if isinstance(df, pl.DataFrame) else pl.from_pandas(df)


def complete_cases(df: Frame, columns: Sequence[str]) -> pl.DataFrame:
    """The rows with every named column present (complete-case analysis, as ITT in EEF)."""
    frame = to_polars(df)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KeyError(f"columns not in the data: {missing}")
    frame = frame.select(list(dict.fromkeys(columns)))
    numeric = [c for c in frame.columns if frame.schema[c].is_numeric()]
    if numeric:
        frame = frame.filter(~pl.any_horizontal([pl.col(c).is_nan() for c in numeric]))
    return frame.drop_nulls()


def treatment_indicator(frame: pl.DataFrame, treatment: str) -> np.ndarray:
    """The treatment column as 0/1 floats; refuses anything that is not two values 0/1."""
    values = frame.get_column(treatment).cast(pl.Float64).to_numpy()
    if not np.isin(values, (0.0, 1.0)).all():
        raise ValueError(f"treatment column '{treatment}' must hold only 0/1 (or booleans)")
    if values.min() == values.max():
        raise ValueError(f"treatment column '{treatment}' has only one arm in the data")
    return values


def covariate_matrix(frame: pl.DataFrame, covariates: Sequence[str]) -> tuple[np.ndarray, list]:
    """Numeric covariates as they are; text or categorical ones as dummies (first level dropped).

    Returns the matrix (rows x columns) and the column names.
    """
    blocks: list[np.ndarray] = []
    names: list[str] = []
    for name in covariates:
        column = frame.get_column(name)
        if column.dtype.is_numeric() or column.dtype == pl.Boolean:
            blocks.append(column.cast(pl.Float64).to_numpy().reshape(-1, 1))
            names.append(name)
        else:
            text = column.cast(pl.String)
            for level in sorted(text.unique().to_list())[1:]:
                blocks.append((text == level).cast(pl.Float64).to_numpy()[:, None])
                names.append(f"{name}[{level}]")
    if not blocks:
        return np.empty((frame.height, 0)), names
    return np.hstack(blocks), names


def design_matrix(
    frame: pl.DataFrame, treatment: str, covariates: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Outcome-free design: [intercept, treatment, covariates...]; returns (X, t, names)."""
    t = treatment_indicator(frame, treatment)
    covs, cov_names = covariate_matrix(frame, covariates)
    x = np.column_stack([np.ones(frame.height), t, covs])
    return x, t, ["const", treatment, *cov_names]
