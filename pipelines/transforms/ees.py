"""Pure Polars transforms for EES files: indicator text -> value + status; conformed period.

No I/O, no Dagster. Each function takes the frame `pipelines.ees.read_ees_csv` returns.
"""

from dataclasses import dataclass

import polars as pl

from pipelines.ees import ROW_NUMBER, col
from pipelines.errors import InputError

# Published value in the cell.
VALUE = "value"

# Every symbol an EES indicator cell may hold, and the status it becomes in staging.
# A symbol never becomes 0: the value is null and the status says why.
SYMBOL_STATUS: dict[str, str] = {
    "c": "confidential",
    "x": "not_available",
    "z": "not_applicable",
    "u": "low_reliability",
    "low": "rounds_to_zero",
    "k": "rounds_to_zero",
    # Legacy symbols found in older files.
    "~": "rounds_to_zero",
    ":": "not_available",
    ".": "not_applicable",
    "..": "not_available",
    "-": "not_available",
    "n/a": "not_available",
    "null": "not_available",
    "na": "not_available",
}
MISSING = "missing"  # a blank cell


@dataclass(frozen=True)
class SymbolConvention:
    """How one family of files uses its symbols: each symbol (lower case) -> status."""

    name: str
    description: str
    statuses: dict[str, str]


EES_SYMBOLS = SymbolConvention(
    "ees",
    "the EES open-data standard (x = unavailable for other reasons, c = confidential)",
    SYMBOL_STATUS,
)
# DfE statistical releases before Explore Education Statistics marked a small count suppressed
# to protect confidentiality with `x`; the other symbols read as in the standard.
LEGACY_DFE_SYMBOLS = SymbolConvention(
    "dfe_legacy",
    "the DfE convention before EES (x = a small count suppressed for confidentiality)",
    {**SYMBOL_STATUS, "x": "confidential"},
)
SYMBOL_CONVENTIONS = {c.name: c for c in (EES_SYMBOLS, LEGACY_DFE_SYMBOLS)}
# The last period start year published before EES (launched March 2020) and its symbols:
# 2018/19 (or calendar 2018) figures and earlier came out in the older statistical releases.
LAST_LEGACY_YEAR = 2018


@dataclass(frozen=True)
class AppliedConvention:
    convention: SymbolConvention
    reason: str

    def describe(self) -> str:
        return f"symbols read by {self.convention.description}: {self.reason}"


def symbol_convention(
    frame: pl.DataFrame, file: str, declared: str | None = None
) -> AppliedConvention:
    """The symbol convention of a file: the one its metadata declares (the manifest's
    `symbol_convention`), else the one of its era, from its latest time_period."""
    if declared is not None:
        if declared not in SYMBOL_CONVENTIONS:
            raise InputError(
                file,
                f"declares symbol_convention {declared!r}; known: {', '.join(SYMBOL_CONVENTIONS)}",
                column="symbol_convention",
                rule="symbol_convention",
            )
        return AppliedConvention(SYMBOL_CONVENTIONS[declared], "declared in its metadata")
    latest = None
    if "time_period" in frame.columns:
        latest = frame.select(
            col("time_period").str.strip_chars().str.slice(0, 4).cast(pl.Int32, strict=False).max()
        ).item()
    if latest is not None and latest <= LAST_LEGACY_YEAR:
        return AppliedConvention(
            LEGACY_DFE_SYMBOLS,
            f"its latest period starts in {latest}, before EES and its symbols "
            f"(periods up to {LAST_LEGACY_YEAR})",
        )
    return AppliedConvention(EES_SYMBOLS, "the file's periods are from the EES era")


STATUSES = (VALUE, MISSING, *sorted(set(SYMBOL_STATUS.values())))

# ASCII digits only: Polars' \d also matches other scripts' digits, which do not cast.
_NUMBER = r"^-?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$"


def status_column(indicator: str) -> str:
    return f"{indicator}_status"


def split_indicators(
    frame: pl.DataFrame,
    indicators: list[str],
    file: str,
    row_column: str = ROW_NUMBER,
    symbols: dict[str, str] | None = None,
) -> pl.DataFrame:
    """Replace each indicator's text with a Float64 value and a `<indicator>_status` column.

    `symbols` maps each allowed symbol (lower case) to its status; by default the convention
    of the file's era (`symbol_convention`): EES symbols, or the legacy DfE ones.
    Raises InputError naming file, row and column for the first cell that is neither a number
    nor a known symbol (for example text in a count column).
    """
    for name in indicators:
        if name not in frame.columns:
            raise InputError(
                file, "is missing an indicator column", row=1, column=name, rule="required_columns"
            )
    if symbols is None:
        symbols = symbol_convention(frame, file).convention.statuses
    exprs: list[pl.Expr] = []
    for name in indicators:
        cell = col(name).str.strip_chars()
        is_number = cell.str.contains(_NUMBER)
        symbol = cell.str.to_lowercase()
        status = (
            pl.when(cell.is_null())
            .then(pl.lit(MISSING))
            .when(is_number)
            .then(pl.lit(VALUE))
            .otherwise(symbol.replace_strict(symbols, default=None, return_dtype=pl.String))
        )
        exprs.append(pl.when(is_number).then(cell).otherwise(None).cast(pl.Float64).alias(name))
        exprs.append(status.alias(status_column(name)))

    out = frame.with_columns(exprs)
    for name in indicators:
        bad = out.filter(pl.col(status_column(name)).is_null())
        if bad.height:
            first = bad.row(0, named=True)
            text = frame.filter(pl.col(row_column) == first[row_column])[name][0]
            raise InputError(
                file,
                f"holds {text!r}, which is neither a number nor an allowed symbol "
                f"({', '.join(sorted(symbols))})",
                row=first[row_column],
                column=name,
                rule="indicator_symbols",
            )
    return out


def check_non_negative(
    frame: pl.DataFrame, indicators: list[str], file: str, row_column: str = ROW_NUMBER
) -> pl.DataFrame:
    """Refuse the first negative value among `indicators` (counts, shares, rates), naming
    file, row and column. Indicators that may be negative are simply not listed."""
    for name in indicators:
        bad = frame.filter(col(name) < 0)
        if bad.height:
            raise InputError(
                file,
                f"holds {bad[name][0]:g}: a count or share cannot be negative",
                row=bad[row_column][0],
                column=name,
                rule="negative_value",
            )
    return frame


def conform_period(frame: pl.DataFrame, file: str, row_column: str = ROW_NUMBER) -> pl.DataFrame:
    """Add `academic_year` ("2023/24") and `year_start` (2023) from an academic-year time_period.

    Raises InputError for a time_period that is not six consecutive-year digits, or a
    time_identifier other than "Academic year".
    """
    period = pl.col("time_period").str.strip_chars()
    start = period.str.slice(0, 4).cast(pl.Int32, strict=False)
    end = period.str.slice(4, 2).cast(pl.Int32, strict=False)
    checked = frame.with_columns(
        _ok_period=period.str.contains(r"^\d{6}$") & ((start + 1) % 100 == end),
        _ok_identifier=pl.col("time_identifier").str.strip_chars() == "Academic year",
    )
    for flag, column, message in (
        (
            "_ok_period",
            "time_period",
            "is not a six-digit academic year of consecutive years (e.g. 202324)",
        ),
        ("_ok_identifier", "time_identifier", "is not 'Academic year'"),
    ):
        bad = checked.filter(~pl.col(flag).fill_null(False))
        if bad.height:
            raise InputError(
                file,
                f"{bad[column][0]!r} {message}",
                row=bad[row_column][0],
                column=column,
                rule="time_period",
            )
    return checked.drop("_ok_period", "_ok_identifier").with_columns(
        academic_year=pl.format("{}/{}", start, period.str.slice(4, 2)),
        year_start=start,
    )
