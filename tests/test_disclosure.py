"""Disclosure control: no published cell below the threshold, no withheld cell recoverable."""

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from pipelines.disclosure import Rule, audit, protect

TOTAL = "Total"


def _long(inner: np.ndarray) -> pl.DataFrame:
    """A table with its row, column and grand totals, one row per cell."""
    n_rows, n_cols = inner.shape
    full = np.zeros((n_rows + 1, n_cols + 1), dtype=int)
    full[:n_rows, :n_cols] = inner
    full[:n_rows, n_cols] = inner.sum(axis=1)
    full[n_rows, :n_cols] = inner.sum(axis=0)
    full[n_rows, n_cols] = inner.sum()
    rows = [f"r{i}" for i in range(n_rows)] + [TOTAL]
    cols = [f"k{j}" for j in range(n_cols)] + [TOTAL]
    return pl.DataFrame(
        {
            "row": [r for r in rows for _ in cols],
            "col": [c for _ in rows for c in cols],
            "n": full.ravel().astype(float),
        }
    )


def _ranges_from_scratch(full: np.ndarray, hidden: np.ndarray) -> list[tuple[float, float]]:
    """An attacker's view, written independently of the module: every published cell and
    every additive relation of the table, unknowns non-negative. Returns (min, max) of each
    withheld cell, in row-major order."""
    ranges = _bounded_ranges(full, hidden, {}, 1)
    return [ranges[cell] for cell in sorted(ranges)]


tables = st.integers(1, 5).flatmap(
    lambda r: st.integers(1, 5).flatmap(
        lambda c: st.lists(
            st.one_of(st.integers(0, 12), st.integers(0, 200)), min_size=r * c, max_size=r * c
        ).map(lambda v: np.array(v).reshape(r, c))
    )
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inner=tables, threshold=st.integers(1, 12))
def test_no_small_cell_published_and_none_recoverable(inner, threshold):
    rule = Rule(threshold=threshold)
    table = _long(inner)
    out = protect(table, row="row", column="col", count="n", rule=rule)

    published = out.filter(pl.col("n_status") == "value")
    assert (published["n"] >= threshold).all()
    # what is published is what was counted
    original = table.join(published, on=["row", "col"], suffix="_pub")
    assert (original["n"] == original["n_pub"]).all()
    # an attacker holding every published cell and total cannot pin down a withheld one
    full = table["n"].to_numpy().reshape(inner.shape[0] + 1, inner.shape[1] + 1)
    hidden = (out["n_status"] == "c").to_numpy().reshape(full.shape)
    for low, high in _ranges_from_scratch(full, hidden):
        # nothing that could be a small count is pinned to within `min_range`
        assert high - low >= rule.min_range or low >= threshold


def test_a_lone_small_cell_is_protected_by_a_partner():
    inner = np.array([[3, 40, 50], [60, 70, 80]])
    out = protect(_long(inner), row="row", column="col", count="n", rule=Rule(threshold=5))
    kinds = dict(
        out.filter(pl.col("suppression").is_not_null())
        .select(pl.concat_str("row", "col", separator=":"), "suppression")
        .iter_rows()
    )
    assert kinds["r0:k0"] == "primary"
    assert list(kinds.values()).count("secondary") >= 3  # its row, its column, the corner


def test_audit_finds_a_cell_given_away_by_its_total():
    table = _long(np.array([[3, 40], [60, 70]]))
    withheld = (table["n"] == 3).to_numpy()
    ((_cell, low, high),) = audit(
        table["row"].to_list(), table["col"].to_list(), table["n"].to_numpy(), withheld
    )
    assert (low, high) == (3.0, 3.0)  # recoverable by subtraction


def test_rates_go_with_their_counts_and_their_denominators():
    table = _long(np.array([[2, 40], [60, 70]])).with_columns(share=pl.lit(0.5))
    out = protect(
        table,
        row="row",
        column="col",
        count="n",
        rates={"share": "row"},
        rule=Rule(threshold=5),
    )
    withheld_rows = out.filter(pl.col("n_status") == "c")
    assert withheld_rows["share"].null_count() == withheld_rows.height
    assert set(out.filter(pl.col("share").is_null())["share_status"]) == {"c"}
    hidden_totals = set(out.filter((pl.col("col") == TOTAL) & (pl.col("n_status") == "c"))["row"])
    on_hidden_total = out.filter(pl.col("row").is_in(hidden_totals) & (pl.col("col") != TOTAL))
    assert on_hidden_total["share"].null_count() == on_hidden_total.height


def test_symbols_already_present_are_kept_and_by_groups_are_separate():
    a = _long(np.array([[20, 40], [60, 70]])).with_columns(year=pl.lit("2023/24"))
    b = _long(np.array([[1, 40], [60, 70]])).with_columns(year=pl.lit("2024/25"))
    table = pl.concat([a, b]).with_columns(
        n_status=pl.when(
            (pl.col("year") == "2023/24") & (pl.col("row") == "r0") & (pl.col("col") == "k0")
        )
        .then(pl.lit("low"))
        .otherwise(pl.lit("value"))
    )
    out = protect(table, row="row", column="col", count="n", by=["year"], rule=Rule(threshold=5))
    first = out.filter(pl.col("year") == "2023/24")
    assert first.filter((pl.col("row") == "r0") & (pl.col("col") == "k0"))["n_status"][0] == "low"
    assert out.filter(pl.col("year") == "2024/25")["suppression"].drop_nulls().len() >= 4


def test_inconsistent_totals_are_refused():
    table = _long(np.array([[3, 40], [60, 70]])).with_columns(
        n=pl.when((pl.col("row") == "r0") & (pl.col("col") == TOTAL))
        .then(999.0)
        .otherwise(pl.col("n"))
    )
    with pytest.raises(ValueError, match="do not add up"):
        protect(table, row="row", column="col", count="n", rule=Rule(threshold=5))


def _bounded_ranges(full: np.ndarray, hidden: np.ndarray, rounded: dict, base: int):
    """(min, max) of each withheld or rounded cell by linear programming over every relation
    of the table; a rounded cell is known to lie within half a base of its published value
    (rounded half up, never below zero), a withheld one only to be non-negative."""
    n_rows, n_cols = full.shape[0] - 1, full.shape[1] - 1
    unknown = sorted(set(zip(*np.nonzero(hidden), strict=True)) | set(rounded))
    index = {cell: k for k, cell in enumerate(unknown)}
    equations, constants = [], []

    def relation(cells, total):
        a, b = np.zeros(len(index)), 0.0
        for cell, sign in [*((c, 1.0) for c in cells), (total, -1.0)]:
            if cell in index:
                a[index[cell]] += sign
            else:
                b -= sign * full[cell]
        equations.append(a)
        constants.append(b)

    for i in range(n_rows + 1):
        relation([(i, j) for j in range(n_cols)], (i, n_cols))
    for j in range(n_cols + 1):
        relation([(i, j) for i in range(n_rows)], (n_rows, j))
    bounds = [
        (max(0, rounded[c] - base // 2), rounded[c] + (base + 1) // 2 - 1)
        if c in rounded and not hidden[c]
        else (0, None)
        for c in unknown
    ]
    out = {}
    for cell, k in index.items():
        c = np.zeros(len(index))
        c[k] = 1
        lo = linprog(c, A_eq=equations, b_eq=constants, bounds=bounds, method="highs")
        hi = linprog(-c, A_eq=equations, b_eq=constants, bounds=bounds, method="highs")
        assert lo.status == 0
        out[cell] = (lo.fun, np.inf if hi.status == 3 else -hi.fun)
    return out


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inner=tables, base=st.sampled_from([3, 5, 10]))
def test_rounding_to_a_base_publishes_rounded_counts_none_exactly_recoverable(inner, base):
    rule = Rule(threshold=10)
    table = _long(inner)
    out = protect(table, row="row", column="col", count="n", rule=rule, rounding=base)

    joined = table.join(out, on=["row", "col"], suffix="_pub")
    shown = joined.filter(pl.col("n_status") == "value")
    # every figure shown is a multiple of the base, within half a base of the count
    assert (shown["n_pub"] % base == 0).all()
    assert ((shown["n_pub"] - shown["n"]).abs() <= base / 2).all()
    # no small count can be recovered exactly, rounded or withheld
    full = table["n"].to_numpy().reshape(inner.shape[0] + 1, inner.shape[1] + 1)
    status = out["n_status"].to_numpy().reshape(full.shape)
    published = out["n"].to_numpy().reshape(full.shape)
    hidden = status == "c"
    rounded = {c: published[c] for c in zip(*np.nonzero(~hidden), strict=True)}
    for cell, (low, high) in _bounded_ranges(full, hidden, rounded, base).items():
        if hidden[cell]:
            assert high - low >= rule.min_range or low >= rule.threshold, cell
        else:
            assert high - low >= 1 - 1e-6 or low >= rule.threshold, cell


def test_rounding_needs_no_suppression_in_a_table_that_protects_itself():
    inner = np.array([[3, 40, 52], [61, 70, 80]])
    out = protect(_long(inner), row="row", column="col", count="n", rounding=5)
    assert (out["n_status"] == "value").all()
    assert out.filter((pl.col("row") == "r0") & (pl.col("col") == "k0"))["n"][0] == 5


def test_rates_cannot_be_published_beside_rounded_counts():
    table = _long(np.array([[2, 40], [60, 70]])).with_columns(share=pl.lit(0.5))
    with pytest.raises(ValueError, match="rounded"):
        protect(table, row="row", column="col", count="n", rates={"share": "row"}, rounding=5)


def test_rounding_that_would_give_counts_back_exactly_is_backed_by_suppression():
    inner = np.array([[7, 2], [6, 11]])
    table = _long(inner)
    full = table["n"].to_numpy().reshape(3, 3)
    everything = {c: np.floor(full[c] / 5 + 0.5) * 5 for c in np.ndindex(full.shape)}
    # rounded to 5 alone, the margins give every cell back exactly
    naive = _bounded_ranges(full, np.zeros(full.shape, dtype=bool), everything, 5)
    assert naive[(0, 1)] == (2.0, 2.0)

    out = protect(table, row="row", column="col", count="n", rounding=5)
    hidden = (out["n_status"] == "c").to_numpy().reshape(full.shape)
    assert hidden.any()
    shown = out["n"].to_numpy().reshape(full.shape)
    rounded = {c: shown[c] for c in zip(*np.nonzero(~hidden), strict=True)}
    for cell, (low, high) in _bounded_ranges(full, hidden, rounded, 5).items():
        assert high - low >= (Rule().min_range if hidden[cell] else 1) or low >= 10, cell
