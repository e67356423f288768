"""Disclosure control for every published table derived from record-level data.

One rule set, applied in one place:

1. Primary suppression: a count below `threshold` (zero included: "nobody in this group" can
   disclose as much as "one person") is withheld and marked `c`.
2. Secondary suppression: a withheld cell must not be recoverable from what is published. A
   table comes with its margins (rows or columns labelled `total_label`), so a row with a
   single withheld cell gives it away by subtraction, and subtler patterns give cells away
   through several rows and columns at once. `audit` asks a linear programme, for each withheld
   cell, the smallest and largest value it could take given every published cell, every
   margin and non-negativity; a cell whose range is narrower than `min_range` is recoverable.
   `protect` then withholds the smallest published cell beside it and audits again, until no
   cell is recoverable.
3. Rates are withheld (`c`) wherever a count they are built on is withheld.

Published official aggregates are never passed through here: they keep their own symbols. A
cell that already carries a symbol (status other than `value`) is treated as unknown.
"""

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy.optimize import linprog

DEFAULT_THRESHOLD = 10
SUPPRESSED = "c"


@dataclass(frozen=True)
class Rule:
    """A disclosure-control setting. `threshold`: smallest count published; `min_range`: the
    narrowest range a withheld cell may be pinned to by the published cells."""

    threshold: int = DEFAULT_THRESHOLD
    min_range: float = 1.0
    total_label: str = "Total"


def protect(
    frame: pl.DataFrame,
    *,
    row: str,
    column: str,
    count: str,
    by: list[str] | None = None,
    rates: dict[str, str | None] | None = None,
    rule: Rule = Rule(),
) -> pl.DataFrame:
    """Withhold small counts and every cell that would give one away, table by table.

    `frame` is long: one row per (`by`..., `row`, `column`) cell, margins included as cells
    labelled `rule.total_label`. Returns it with `count` null where withheld, a
    `<count>_status` column (`value` or `c`, or the symbol it came with), and `suppression`
    (`primary`, `secondary` or null).

    `rates` names the rate columns built on each cell's count, and which total is their
    denominator: "row" (the total of the cell's row), "column", or None (a denominator not in
    the table). A rate is withheld with its count, and with its denominator: a published count
    beside its published share would give the withheld total away.
    """
    status = f"{count}_status"
    if status not in frame.columns:
        frame = frame.with_columns(
            pl.when(pl.col(count).is_null())
            .then(pl.lit("missing"))
            .otherwise(pl.lit("value"))
            .alias(status)
        )
    groups = frame.partition_by(by, maintain_order=True) if by else [frame]
    return pl.concat(
        [_protect_one(g, row, column, count, status, rates or {}, rule) for g in groups]
    )


def _protect_one(
    table: pl.DataFrame,
    row: str,
    column: str,
    count: str,
    status: str,
    rates: dict[str, str | None],
    rule: Rule,
) -> pl.DataFrame:
    values = table[count].fill_null(0).to_numpy().astype(float)
    known = (table[status] == "value").to_numpy()
    primary = known & (values < rule.threshold)
    withheld = primary | ~known
    rows, cols = table[row].to_list(), table[column].to_list()
    while True:
        # Cheap first: a line (row or column, its total included) with one withheld cell
        # gives it away by subtraction. Then the full audit, stopping at the first exposure.
        exposed = _alone_in_a_line(rows, cols, withheld, rule)
        if exposed is None:
            exposed = next(
                (
                    i
                    for i, low, high in _ranges(rows, cols, values, withheld, rule)
                    if high - low < rule.min_range
                ),
                None,
            )
        if exposed is None:
            break
        withheld[_partner(exposed, rows, cols, values, withheld, rule)] = True
    secondary = withheld & known & ~primary
    hidden = withheld & known
    out = table.with_columns(
        pl.when(pl.Series(hidden)).then(None).otherwise(pl.col(count)).alias(count),
        pl.when(pl.Series(hidden)).then(pl.lit(SUPPRESSED)).otherwise(pl.col(status)).alias(status),
        suppression=pl.Series(
            [
                "primary" if p else "secondary" if s else None
                for p, s in zip(primary, secondary, strict=True)
            ],
            dtype=pl.String,
        ),
    )
    total = rule.total_label
    for rate, denominator in rates.items():
        off = withheld.copy()
        if denominator is not None:
            line = rows if denominator == "row" else cols
            other = cols if denominator == "row" else rows
            hidden_totals = {line[i] for i in range(len(line)) if other[i] == total and withheld[i]}
            off |= np.array([label in hidden_totals for label in line])
        rate_status = f"{rate}_status"
        out = out.with_columns(
            pl.when(pl.Series(off)).then(None).otherwise(pl.col(rate)).alias(rate),
            pl.when(pl.Series(off))
            .then(pl.lit(SUPPRESSED))
            .otherwise(pl.col(rate_status) if rate_status in out.columns else pl.lit("value"))
            .alias(rate_status),
        )
    return out


def _partner(
    cell: int,
    rows: list[str],
    cols: list[str],
    values: np.ndarray,
    withheld: np.ndarray,
    rule: Rule,
) -> int:
    """The published cell to withhold next to protect `cell`: the smallest in its row or
    column (inner cells before margins), so as little as possible is lost."""
    line = [
        j
        for j in range(len(values))
        if not withheld[j] and (rows[j] == rows[cell] or cols[j] == cols[cell])
    ]
    if not line:  # nothing left beside it: widen to the whole table
        line = [j for j in range(len(values)) if not withheld[j]]
    if not line:
        raise ValueError("disclosure control: every cell is withheld and one is still exposed")
    total = rule.total_label
    return min(line, key=lambda j: (rows[j] == total or cols[j] == total, values[j], j))


def _alone_in_a_line(
    rows: list[str], cols: list[str], withheld: np.ndarray, rule: Rule
) -> int | None:
    for key in (rows, cols):
        other = cols if key is rows else rows
        lines: dict[str, list[int]] = {}
        for i, label in enumerate(key):
            lines.setdefault(label, []).append(i)
        for members in lines.values():
            if not any(other[i] == rule.total_label for i in members) or len(members) < 2:
                continue
            hidden = [i for i in members if withheld[i]]
            if len(hidden) == 1:
                return hidden[0]
    return None


def audit(
    rows: list[str],
    cols: list[str],
    values: np.ndarray,
    withheld: np.ndarray,
    rule: Rule = Rule(),
) -> list[tuple[int, float, float]]:
    """For each withheld cell: (index, smallest, largest) value it could take given the
    published cells, the additive margins (row and column totals) and non-negativity."""
    return list(_ranges(rows, cols, values, withheld, rule))


def _ranges(
    rows: list[str], cols: list[str], values: np.ndarray, withheld: np.ndarray, rule: Rule
) -> Iterator[tuple[int, float, float]]:
    hidden = [i for i in range(len(values)) if withheld[i]]
    if not hidden:
        return
    position = {i: k for k, i in enumerate(hidden)}
    equations, constants = [], []
    total = rule.total_label
    # Each line (a row, or a column) : inner cells sum to the line's total cell.
    for key, other in ((rows, cols), (cols, rows)):
        for label in set(key):
            members = [i for i in range(len(values)) if key[i] == label]
            totals = [i for i in members if other[i] == total]
            inner = [i for i in members if other[i] != total]
            if len(totals) != 1 or not inner:
                continue
            coefficients = np.zeros(len(hidden))
            constant = 0.0
            for i, sign in [(totals[0], -1.0), *((i, 1.0) for i in inner)]:
                if withheld[i]:
                    coefficients[position[i]] += sign
                else:
                    constant -= sign * values[i]
            if coefficients.any():
                equations.append(coefficients)
                constants.append(constant)
    if not equations:
        yield from ((i, 0.0, np.inf) for i in hidden)
        return
    a_eq, b_eq = np.array(equations), np.array(constants)
    for i in hidden:
        objective = np.zeros(len(hidden))
        objective[position[i]] = 1.0
        low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        high = linprog(-objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        if low.status == 2 or high.status == 2:
            raise ValueError(
                "disclosure audit: the table's cells do not add up to its totals, so its "
                "margins cannot be trusted to protect anything"
            )
        smallest = low.fun if low.status == 0 else 0.0
        largest = -high.fun if high.status == 0 else np.inf  # unbounded: never recoverable
        yield i, smallest, largest
