"""Disclosure control for every published table derived from non-public data.

One rule set, applied in one place:

1. Primary suppression: a count below `threshold` (zero included: "nobody in this group" can
   disclose as much as "one person") is withheld and marked `c`.
2. Secondary suppression: a withheld cell must not be recoverable from what is published.
   Cells are declared with the linear relations a reader can see between them (margins,
   hierarchies, the same figure in two tables), and the engine below withholds partners until
   no withheld cell can be narrowed, from published cells, to a range narrower than
   `min_range` that reaches below the threshold. `protect` does this for one kind of table
   (rows x columns with margins); `protect_publication` for any declaration, so that a whole
   publication is protected at once.
3. Rates are withheld (`c`) wherever a count they are built on is withheld.

Published official aggregates are never withheld here: they keep their own symbols. A cell
that already carries a symbol (status other than `value`) is treated as unknown. `audit` is an
independent check: every withheld cell's range, by linear programming over rows and columns.
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
    rounding: int | None = None,
) -> pl.DataFrame:
    """Withhold small counts and every cell that would give one away, in tables with margins.

    `frame` is long: one row per (`by`..., `row`, `column`) cell, margins included as cells
    labelled `rule.total_label`; each `by` group is one table. The table is declared to the
    whole-publication engine below (each line: its inner cells add up to its total) and
    protected by it. Returns `frame` with `count` null where withheld, a `<count>_status`
    column (`value` or `c`, or the symbol it came with), and `suppression` (`primary`,
    `secondary` or null).

    `rates` names the rate columns built on each cell's count, and which total is their
    denominator: "row" (the total of the cell's row), "column", or None (a denominator not in
    the table). A rate is withheld with its count, and with its denominator: a published count
    beside its published share would give the withheld total away.

    `rounding`: publish every count rounded to this base instead of withholding small ones
    (see `protect_publication`); a cell is withheld only where the rounded figures would still
    give a small count away exactly. Rates cannot be published beside rounded counts (they
    would give the exact counts back), so `rates` must then be empty.
    """
    if rounding and rates:
        raise ValueError(
            "rates built on exact counts cannot be published beside rounded counts: compute "
            "them from the rounded counts instead"
        )
    status = f"{count}_status"
    if status not in frame.columns:
        frame = frame.with_columns(
            pl.when(pl.col(count).is_null())
            .then(pl.lit("missing"))
            .otherwise(pl.lit("value"))
            .alias(status)
        )
    key = [*(by or []), row, column]
    ids = cell_id("table", count, *(pl.col(k) for k in key))
    declaration = Declaration()
    for kind, rows in (
        ("derived", frame.filter(pl.col(status) == "value")),
        ("unknown", frame.filter(pl.col(status) != "value")),
    ):
        declaration.add_cells(
            rows.with_columns(pl.col(count).fill_null(0)),
            ids,
            count,
            kind,
            base=rounding if kind == "derived" else None,
        )
    total = rule.total_label
    for along in (column, row):
        labels = sorted(set(frame[along].to_list()) - {total})
        declaration.add_equations(
            sum_equations(
                frame,
                table="table",
                column=count,
                key=key,
                dims=[along],
                total=(total,),
                parts=[(label,) for label in labels],
            )
        )
    chosen = protect_publication(declaration, rule).select(
        pl.col("cell").alias("_cell"),
        pl.col("withheld").alias("_withheld"),
        "suppression",
        pl.col("published").alias("_published"),
    )
    out = (
        frame.with_columns(ids.alias("_cell"))
        .join(chosen, on="_cell", how="left")
        .with_columns(
            pl.col("_withheld").fill_null(False),
            pl.when(pl.col(status) == "value").then(pl.col("suppression")).alias("suppression"),
        )
    )
    hidden = pl.col("_withheld") & (pl.col(status) == "value")
    withheld = pl.col("_withheld")
    out = out.with_columns(
        pl.when(hidden)
        .then(None)
        .when(pl.col(status) == "value")
        .then(pl.col("_published"))
        .otherwise(pl.col(count))
        .alias(count),
        pl.when(hidden).then(pl.lit(SUPPRESSED)).otherwise(pl.col(status)).alias(status),
    )
    for rate, denominator in (rates or {}).items():
        off = withheld
        if denominator is not None:
            line = [*(by or []), row if denominator == "row" else column]
            other = column if denominator == "row" else row
            off = off | (withheld & (pl.col(other) == total)).any().over(line)
        rate_status = f"{rate}_status"
        out = out.with_columns(
            pl.when(off).then(None).otherwise(pl.col(rate)).alias(rate),
            pl.when(off)
            .then(pl.lit(SUPPRESSED))
            .otherwise(pl.col(rate_status) if rate_status in out.columns else pl.lit("value"))
            .alias(rate_status),
        )
    return out.drop("_cell", "_withheld", "_published")


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


# --- One protection over a whole publication ------------------------------------------------
#
# Table by table is not enough: the same people are counted in several tables (England and its
# regions, a grade and the grades it is made of, two group sets that split the same teachers,
# a year and the running total, a flow and the estimates' sample sizes). So a publication is
# declared as cells and the linear relations between them, and suppression is chosen over all
# of them at once. Each cell has a kind:
#
#   derived   a count we compute from non-public data (records, pilot files, or their
#             synthetic stand-ins): withheld below the threshold, and whenever it gives one away
#   official  a published official statistic: never withheld, never changed
#   latent    never published, but derivable (non-funded = overall - funded): protected like a
#             withheld cell when it is small, and unknown to a reader otherwise
#   unknown   published with a symbol already (no value): unknown to a reader
#   published a derived count already published (by an earlier step): fixed, like official
#   withheld  a derived count already withheld (by an earlier step): protected, never shown
#
# A withheld cell is protected when no combination of published cells pins it to a range
# narrower than `rule.min_range` (the threshold, by default) that reaches below the threshold
# (see `_exposed`): cheap rules first (an equation with one withheld cell, or whose withheld
# cells sum to less than the threshold), then a linear programme per group of linked withheld
# cells, for the smallest and largest value each can take. Last, a partner that the published
# cells pin exactly is published after all (`release_implied`): it is implied by them, so
# withholding it protects nothing. Rates, shares and other columns built from counts are not
# cells: each declaration withholds them wherever a count they are built from is withheld.

CELL_KINDS = ("derived", "official", "latent", "unknown", "published", "withheld")
PUBLICATION_RULE = Rule(min_range=float(DEFAULT_THRESHOLD))
ONE = "1"  # the constant: an equation's constant term is its coefficient on this cell


def withhold(frame: pl.DataFrame, column: str, hidden: pl.Expr) -> pl.DataFrame:
    """Withhold `column` where `hidden`; `<column>_status` says `c` (withheld), `z` (no value
    by definition) or `value`."""
    return frame.with_columns(
        pl.when(hidden).then(None).otherwise(pl.col(column)).alias(column),
        pl.when(hidden)
        .then(pl.lit(SUPPRESSED))
        .when(pl.col(column).is_null())
        .then(pl.lit("z"))
        .otherwise(pl.lit("value"))
        .alias(f"{column}_status"),
    )


def cell_id(*parts: pl.Expr | str) -> pl.Expr:
    """A cell's identity: table, column and key values joined (one string)."""
    return pl.concat_str(
        [(p if isinstance(p, pl.Expr) else pl.lit(p)).cast(pl.String).fill_null("") for p in parts],
        separator="|",
    )


@dataclass
class Declaration:
    """A publication's cells (`cell`, `value`, `kind`, `base`) and equations (`eq`, `cell`,
    `coef`: sum of coef x cell = 0 for each `eq`), added table by table. `base`, for derived
    cells only, chooses rounding to that base instead of suppression for the cell's table."""

    cells: list[pl.DataFrame]
    equations: list[pl.DataFrame]

    def __init__(self) -> None:
        self.cells = [
            pl.DataFrame(
                {"cell": [ONE], "value": [1.0], "kind": ["official"], "base": [None]},
                schema_overrides={"base": pl.Int64},
            )
        ]
        self.equations = []

    def add_cells(
        self, frame: pl.DataFrame, cell: pl.Expr, value: str, kind: str, base: int | None = None
    ) -> None:
        if kind not in CELL_KINDS:
            raise ValueError(f"unknown cell kind {kind!r}")
        if base is not None and (kind != "derived" or base < 2):
            raise ValueError("only derived cells can be rounded, to a base of 2 or more")
        self.cells.append(
            frame.select(
                cell.alias("cell"),
                pl.col(value).cast(pl.Float64).alias("value"),
                pl.lit(kind).alias("kind"),
                pl.lit(base, pl.Int64).alias("base"),
            )
        )

    def add_equations(self, frame: pl.DataFrame) -> None:
        """`frame` has `eq`, `cell` and `coef` (a total -1, its parts +1)."""
        self.equations.append(frame.select("eq", "cell", pl.col("coef").cast(pl.Float64)))

    def frames(self) -> tuple[pl.DataFrame, pl.DataFrame]:
        # one canonical order, so that the same publication is always protected the same way
        cells = pl.concat(self.cells).unique("cell", keep="first", maintain_order=True).sort("cell")
        equations = (
            pl.concat(self.equations)
            if self.equations
            else pl.DataFrame(schema={"eq": pl.String, "cell": pl.String, "coef": pl.Float64})
        )
        # an equation naming a cell the publication does not have is dropped whole: its
        # combination has no row, so there is nothing to relate
        missing = equations.join(cells, on="cell", how="anti").select("eq").unique()
        equations = equations.join(missing, on="eq", how="anti")
        return cells, equations


def protect_publication(declaration: Declaration, rule: Rule = PUBLICATION_RULE) -> pl.DataFrame:
    """Choose the cells to withhold over the whole declaration. Returns the cells with
    `withheld` (bool), `suppression` (`primary`, `secondary` or null), `given_away`: a
    derived cell that official or already-published cells alone pin down (withholding it
    would hide nothing, so it is published; the caller says where else it can be read), and
    `published`: the figure to print (null when withheld).

    Rounding (a derived cell declared with a `base`): the cell is published rounded half up
    to a multiple of its base, so a reader knows only that the count lies within half a base
    of it; small counts are not withheld for being small. Rounded cells are unknowns bounded
    by that interval in the audit, and one is exposed only when the published figures give
    it away exactly (a range under 1) while it could be below the threshold; then a partner
    is withheld, as for suppression."""
    cells, equations = declaration.frames()
    system = _System(cells, equations, rule)
    system.solve()
    system.release_implied()
    withheld = system.withheld & ~system.given_away
    published = np.where(system.rounded, system.shown, system.value)
    return cells.with_columns(
        withheld=pl.Series(withheld),
        published=pl.Series(np.where(withheld, np.nan, published)).fill_nan(None),
        given_away=pl.Series(system.given_away),
        suppression=pl.Series(
            [
                "primary" if p else "secondary" if s else None
                for p, s in zip(system.primary & withheld, system.secondary & withheld, strict=True)
            ],
            dtype=pl.String,
        ),
    )


class _System:
    def __init__(self, cells: pl.DataFrame, equations: pl.DataFrame, rule: Rule) -> None:
        from scipy.sparse import csr_matrix

        self.rule = rule
        index = cells.select("cell").with_row_index("i")
        eqs = equations.join(index, on="cell").with_columns(
            pl.col("eq").rank("dense").cast(pl.Int64).alias("r") - 1
        )
        self.n = cells.height
        self.value = cells["value"].fill_null(0.0).to_numpy()
        kind = cells["kind"].to_numpy()
        self.derived = kind == "derived"
        latent = kind == "latent"
        small = self.value < rule.threshold
        earlier = kind == "withheld"
        base = cells["base"].fill_null(0).to_numpy()
        self.rounded = self.derived & (base > 1)
        step = np.where(self.rounded, base, 1)
        self.shown = np.floor(self.value / step + 0.5) * step  # rounded half up
        # what a reader knows of a rounded cell: within half a base of the figure shown
        self.lower = np.maximum(0.0, self.shown - step // 2)
        self.upper = self.shown + (step + 1) // 2 - 1
        self.primary = self.derived & small & ~self.rounded
        self.withheld = self.primary | latent | earlier | (kind == "unknown")
        # cells whose range must stay wide: every withheld derived cell, small latent ones
        self.guard = self.primary | (latent & small) | earlier | (self.rounded & small)
        rows = eqs["r"].to_numpy()
        self.a = csr_matrix(
            (eqs["coef"].to_numpy(), (rows, eqs["i"].to_numpy())),
            shape=(int(rows.max()) + 1 if len(rows) else 0, self.n),
        )
        self.at = self.a.T.tocsr()
        # how many equations each cell is the total of (its coefficient is negative there)
        self.margin = np.asarray((self.a < 0).sum(axis=0)).ravel()
        self.safe: set[int] = set()
        self.given_away = np.zeros(self.n, dtype=bool)

    @property
    def secondary(self) -> np.ndarray:
        return self.withheld & self.derived & ~self.primary

    @property
    def hidden(self) -> np.ndarray:
        """Cells a reader does not know exactly: withheld, or shown rounded."""
        return self.withheld | self.rounded

    def _exposed(self, cell: int, low: float, high: float) -> bool:
        if self.rounded[cell] and not self.withheld[cell]:
            return high - low < 1 - 1e-6 and low < self.rule.threshold  # recovered exactly
        return _exposed(low, high, self.rule)

    def solve(self) -> None:
        # One exposure at a time: each partner withheld may free other cells too.
        while True:
            found = self._cheap() or self._lp()
            if found is None:
                return
            cell, row = found
            partner = self._partner(cell, row)
            if partner is None:  # pinned by fixed figures alone: already published by them
                self.given_away[cell] = True
                self.guard[cell] = False
                continue
            self.withheld[partner] = True
            self.safe.discard(partner)  # a rounded cell withheld is held to the wider range
            self.guard |= self.withheld & self.derived & ~self.given_away

    def release_implied(self) -> None:
        """Publish the secondary cells the published ones pin exactly: each is implied by
        them, so showing it tells a reader nothing new, and withholding it protects nothing."""
        secondary = self.secondary
        implied = []
        for cells, ranges in self._groups():
            todo = [(p, int(c)) for p, c in enumerate(cells) if secondary[c]]
            solver = ranges() if todo else None
            if solver is not None:
                implied += [c for p, c in todo if np.ptp(solver.of(p)) < 1e-6]
        self.withheld[implied] = False

    def _groups(self):
        """Each group of unknowns linked through shared equations: its cells, and a function
        giving the HiGHS ranges over the group's equations (None when it has none)."""
        columns = np.flatnonzero(self.hidden)
        if not len(columns):
            return
        hidden = self.a[:, columns].tocsc()
        _, label = connected_components_of((hidden != 0).astype(np.int8))
        constants = -(self.a @ np.where(self.hidden, 0.0, self.value))
        bounded = self.rounded & ~self.withheld
        lower = np.where(bounded, self.lower, 0.0)[columns]
        upper = np.where(bounded, self.upper, np.inf)[columns]
        for component in np.unique(label):
            members = np.flatnonzero(label == component)

            def ranges(members=members):
                rows = np.unique(hidden[:, members].nonzero()[0])
                if not len(rows):
                    return None
                return _Ranges(
                    hidden[rows][:, members], constants[rows], lower[members], upper[members]
                )

            yield columns[members], ranges

    def _cheap(self) -> tuple[int, int | None] | None:
        """A cell an equation gives away on its own (and that equation): the only withheld
        cell in it, when small, or one of withheld cells (all on one side) whose sum is less
        than the threshold."""
        hidden = self.a[:, self.withheld].tocsr()
        columns = np.flatnonzero(self.withheld)
        known = self.a @ np.where(self.hidden, 0.0, self.value)  # sum over exact published cells
        positive = np.asarray((hidden > 0).sum(axis=1)).ravel()
        negative = np.asarray((hidden < 0).sum(axis=1)).ravel()
        # an equation with a rounded cell in it is left to the linear programme
        rounded = np.asarray((self.a[:, self.rounded & ~self.withheld] != 0).sum(axis=1)).ravel()
        for r in np.flatnonzero(((positive + negative) > 0) & (rounded == 0)):
            start, end = hidden.indptr[r], hidden.indptr[r + 1]
            members = columns[hidden.indices[start:end]]
            if len(members) == 1:  # pinned to one value: exposed when that is small
                m, pinned = members[0], -known[r] / hidden.data[start]
                if self.guard[m] and pinned < self.rule.threshold:
                    return int(m), int(r)
            elif positive[r] == 0 or negative[r] == 0:
                bound = abs(known[r]) / np.abs(hidden.data[start:end])  # each in [0, bound]
                for m, b in zip(members, bound, strict=True):
                    if self.guard[m] and b < self.rule.min_range:
                        return int(m), int(r)
        return None

    def _lp(self) -> tuple[int, None] | None:
        """The first exposed cell, by linear programming over each group of linked withheld
        cells. Withholding more only widens every range, so a cell found safe stays safe and
        is not audited again."""
        for cells, ranges in self._groups():
            todo = [
                (p, int(c)) for p, c in enumerate(cells) if self.guard[c] and c not in self.safe
            ]
            solver = ranges() if todo else None
            for position, cell in todo:
                if solver is not None and self._exposed(cell, *solver.of(position)):
                    return cell, None
                self.safe.add(cell)
        return None

    def _cost(self, j: int) -> tuple:
        """Partners by preference: a cell at or above the threshold (a small one would need
        protecting in turn), then one that is the total of as few equations as possible
        (margins and national figures are what readers need most), then the smallest."""
        return (self.value[j] < self.rule.threshold, self.margin[j], self.value[j], j)

    def _partner(self, cell: int, row: int | None) -> int | None:
        """The published derived cell to withhold next to an exposed one: the smallest in the
        equation that gives it away (or, found by the linear programme, in any equation with
        it; then outwards through withheld cells), so as little as possible is lost."""
        if row is not None:
            near = self.a[row].indices
            candidates = [j for j in near if self.derived[j] and not self.withheld[j]]
            if candidates:
                return min(candidates, key=self._cost)
        frontier, seen = {cell}, {cell}
        while frontier:
            rows = np.unique(np.concatenate([self.at[c].indices for c in frontier]))
            near = set(np.unique(self.a[rows].indices).tolist()) if len(rows) else set()
            candidates = [j for j in near if self.derived[j] and not self.withheld[j]]
            if candidates:
                return min(candidates, key=self._cost)
            frontier = {j for j in near - seen if self.hidden[j]}
            seen |= frontier
        return None


def connected_components_of(incidence) -> tuple[int, np.ndarray]:
    """Groups of unknowns linked through shared equations (`incidence`: equations x cells)."""
    from scipy.sparse.csgraph import connected_components

    return connected_components(incidence.T @ incidence, directed=False)


def _exposed(low: float, high: float, rule: Rule) -> bool:
    """A withheld cell is exposed when a reader can narrow it to a range narrower than
    `rule.min_range` that reaches below the threshold: it could be a small count, and the
    reader knows it to within less than the threshold. (A cell known to be large discloses
    no small count, whatever its range.)"""
    return high - low < rule.min_range and low < rule.threshold


class _Ranges:
    """The smallest and largest value each unknown can take, given `a x = b` and
    `lower <= x <= upper` (x >= 0 when no bounds are given): one HiGHS model, re-solved with a
    new objective for each unknown (warm-started)."""

    def __init__(self, a, b: np.ndarray, lower=None, upper=None) -> None:
        import highspy

        a = a.tocsc()
        n = a.shape[1]
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = n, a.shape[0]
        lp.col_cost_ = np.zeros(n)
        lp.col_lower_ = np.zeros(n) if lower is None else np.asarray(lower, dtype=float)
        lp.col_upper_ = (
            np.full(n, highspy.kHighsInf)
            if upper is None
            else np.where(np.isinf(upper), highspy.kHighsInf, upper).astype(float)
        )
        lp.row_lower_ = lp.row_upper_ = np.asarray(b, dtype=float)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_, lp.a_matrix_.index_ = a.indptr, a.indices
        lp.a_matrix_.value_ = a.data.astype(float)
        self.highs = highspy.Highs()
        self.highs.silent()
        self.highs.passModel(lp)
        self.status = highspy.HighsModelStatus
        self.last: int | None = None

    def _optimum(self, column: int, sign: float) -> float | None:
        if self.last is not None and self.last != column:
            self.highs.changeColCost(self.last, 0.0)
        self.highs.changeColCost(column, sign)
        self.last = column
        self.highs.run()
        status = self.highs.getModelStatus()
        if status == self.status.kInfeasible:
            raise ValueError(
                "disclosure audit: the publication's cells do not add up as declared, so its "
                "relations cannot be trusted to protect anything"
            )
        if status != self.status.kOptimal:
            return None  # unbounded
        return sign * self.highs.getInfo().objective_function_value

    def of(self, column: int) -> tuple[float, float]:
        low = self._optimum(column, 1.0)
        high = self._optimum(column, -1.0)
        return (0.0 if low is None else low), (np.inf if high is None else high)


def sum_equations(
    frame: pl.DataFrame,
    *,
    table: str,
    column: str,
    key: list[str],
    dims: list[str],
    total: tuple,
    parts: list[tuple],
    name: str = "",
) -> pl.DataFrame:
    """Equations `total = sum(parts)` along `dims` (one or more key columns), one per
    combination of the other key columns that has the total. `total` and each part are
    tuples of values of `dims`."""
    other = [k for k in key if k not in dims]
    labels = {tuple(total): -1.0, **{tuple(p): 1.0 for p in parts}}
    coef = pl.lit(None, pl.Float64)
    for values, sign in labels.items():
        match = pl.all_horizontal([pl.col(d) == v for d, v in zip(dims, values, strict=True)])
        coef = pl.when(match).then(pl.lit(sign)).otherwise(coef)
    tagged = frame.select(*key).with_columns(coef=coef).filter(pl.col("coef").is_not_null())
    has_total = tagged.filter(pl.col("coef") < 0).select(other).unique()
    tagged = tagged.join(has_total, on=other, how="semi") if other else tagged
    eq_parts = [pl.lit(f"{name or table}|{column}|{'/'.join(dims)}|{total}")] + [
        pl.col(k).cast(pl.String).fill_null("") for k in other
    ]
    return tagged.select(
        cell_id(table, column, *(pl.col(k).cast(pl.String) for k in key)).alias("cell"),
        pl.col("coef"),
        cell_id(*eq_parts).alias("eq"),
    )
