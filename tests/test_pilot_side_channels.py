"""Non-linear side channels of the pilot publication: a reader inverts published statistics
to narrow a withheld count.

Written apart from `pipelines/` on purpose (like tests/attacker.py): only textbook formulas
and the published files. For each pilot and year whose flow withholds a count, every pair
(n_treatment, n_control) of analysed units up to the published allocated counts is tried, and
kept when it reproduces the published statistics to their published precision (a figure
printed with d decimals is known to within half a unit of the d-th decimal; the database's
full-precision floats to 1e-9 relative):

- Hedges' g and its SE, participant-randomised (Hedges & Olkin 1985, small-sample J):
  SE^2 = J^2 N / (n_t n_c) + g^2 / (2 N). The conditional and unconditional rows share
  n_t and n_c but differ in g, so together they give N and n_t n_c; one row gives n_t n_c
  where N is published. The chart data of the forest plot give the SE back from the
  interval (normal, 1.96).
- MDES at analysis (Bloom 2006): M(df) sqrt(k / (p q N)), M = t(0.975, df) + t(0.8, df);
  the randomisation stage, whose counts are published, calibrates what the reader does not
  see (covariate count, pre/post correlation, school-level covariate count).
- Cluster MDES (PowerUp! CRA2_2r) with the published ICC and R2s, pupils analysed over
  schools analysed; and the t interval's `df` = schools - 2 - school-level covariates.
  (The matched design's MDES is left out: its frame is the matched schools, not the flow's.)

A withheld count whose surviving values span less than 10 and reach below 10 is a leak: the
flow's withheld cells, and on an outcome other than the flow's, the units lost on that
outcome (allocated - n, which pipelines/pilots/disclose.py protects too).
"""

import re
from itertools import product
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest
from scipy import stats

THRESHOLD = 10
ARMS = ("treatment", "control")
TABLES = ["pilot_flow", "pilot_estimates", "pilot_security"]
NUMBERS = [
    "units", "estimate", "se", "df", "ci_lower", "ci_upper", "n_treatment", "n_control",
    "mdes_at_randomisation", "mdes_at_analysis", "mdes_icc", "mdes_r2", "mdes_r2_between",
]  # fmt: skip
Z = stats.norm.ppf(0.975)


# --- reading what is published, with the precision it is published at -------------------------


def _with_tolerance(frame: pl.DataFrame, exact: bool) -> pl.DataFrame:
    """Each number column `x` gets `x_tol`: half a unit of its last printed decimal (CSV) or a
    float's rounding (database)."""
    out = []
    for name in [c for c in NUMBERS if c in frame.columns]:
        if exact:
            value = pl.col(name).cast(pl.Float64)
            # a float stored rounded to d decimals is known to half a unit of the d-th
            tol = value.abs() * 1e-9 + 1e-12
            for d in range(8, -1, -1):
                stored = (value - value.round(d)).abs() <= value.abs() * 1e-12 + 1e-13
                tol = pl.when(stored).then(0.5 * 10.0**-d).otherwise(tol)
        else:
            text = pl.col(name).cast(pl.String)
            decimals = text.str.extract(r"\.(\d+)$").str.len_chars().fill_null(0)
            value = text.cast(pl.Float64, strict=False)
            # half a unit of the last decimal, and never finer than a float carries
            tol = pl.max_horizontal(
                0.5 * pl.lit(10.0).pow(-decimals.cast(pl.Float64)), value.abs() * 1e-9 + 1e-12
            )
        out += [value.alias(name), tol.alias(f"{name}_tol")]
    return frame.with_columns(out)


def read_database(database) -> dict[str, pl.DataFrame]:
    with duckdb.connect(str(database), read_only=True) as con:
        return {
            name: _with_tolerance(con.sql(f"SELECT * FROM {name}").pl(), exact=True)
            for name in TABLES
        }


def read_exports(folder: Path) -> dict[str, pl.DataFrame]:
    return {
        name: _with_tolerance(pl.read_csv(folder / f"{name}.csv", infer_schema_length=0), False)
        for name in TABLES
    }


def read_forest_plot(charts: Path, tables: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """The published flow beside the forest plot's chart data: headline g per outcome with its
    interval; the SE is the interval's half-width over 1.96 (participant designs). No other
    estimate or MDES is used."""
    chart = _with_tolerance(pl.read_csv(charts / "pilot_forest_plot.csv", infer_schema_length=0),
                            exact=False)  # fmt: skip
    estimates = chart.filter(pl.col("measure") == "hedges_g").select(
        "pilot_id", "outcome_id", "evaluation_year", "estimate", "estimate_tol",
        ((pl.col("ci_upper") - pl.col("ci_lower")) / (2 * Z)).alias("se"),
        ((pl.col("ci_upper_tol") + pl.col("ci_lower_tol")) / (2 * Z)).alias("se_tol"),
        pl.lit("itt").alias("analysis"), pl.lit("all").alias("subgroup"),
        pl.lit("hedges_g").alias("measure"), pl.lit(None, pl.Float64).alias("df"),
        pl.col("n_treatment_status"), pl.col("n_control_status"),
    )  # fmt: skip
    participant = tables["pilot_flow"].filter(pl.col("unit_level") == "participant")
    estimates = estimates.join(
        participant.select("pilot_id").unique(), on="pilot_id", how="semi"
    ).with_columns(pl.lit("participant").alias("outcome_level"))
    empty = tables["pilot_security"].clear()
    return {"pilot_flow": tables["pilot_flow"], "pilot_estimates": estimates,
            "pilot_security": empty}  # fmt: skip


# --- the flow ------------------------------------------------------------------------------------


def _flow(tables) -> pl.DataFrame:
    return tables["pilot_flow"].with_columns(
        pl.col("arm").replace({"comparison": "control"}),
        pl.col("stage").replace({"Total": "allocated"}),
        pl.when(pl.col("units_status") == "value").then(pl.col("units")).alias("units"),
    )


def _counts(flow: pl.DataFrame, pilot: str, year: str, level: str) -> dict[tuple, int | None]:
    rows = flow.filter(
        (pl.col("pilot_id") == pilot)
        & (pl.col("evaluation_year") == year)
        & (pl.col("unit_level") == level)
    )
    return {
        (r["arm"], r["stage"]): None if r["units"] is None else int(r["units"])
        for r in rows.iter_rows(named=True)
    }


def _grid(counts: dict) -> tuple[np.ndarray, np.ndarray]:
    """Every (n_t, n_c) a reader cannot rule out from the flow alone: analysed counts up to the
    allocated ones, equal to any published analysed count."""
    axes = []
    for arm in ARMS:
        shown = counts.get((arm, "analysed"))
        top = counts[(arm, "allocated")]
        axes.append(np.array([shown]) if shown is not None else np.arange(2, top + 1))
    n_t, n_c = np.meshgrid(*axes, indexing="ij")
    n_t, n_c = n_t.ravel().astype(float), n_c.ravel().astype(float)
    total = counts.get(("Total", "analysed"))
    if total is not None:
        keep = (n_t + n_c) == total
        n_t, n_c = n_t[keep], n_c[keep]
    return n_t, n_c


def _bounds(counts: dict, n_t: np.ndarray, n_c: np.ndarray, channel: str, where: tuple) -> list:
    """Ranges of the withheld flow cells over the surviving pairs; the leaks among them."""
    if not len(n_t):
        return []
    implied = {
        ("treatment", "analysed"): n_t,
        ("control", "analysed"): n_c,
        ("Total", "analysed"): n_t + n_c,
    }
    for arm in (*ARMS, "Total"):
        implied[(arm, "lost")] = counts[(arm, "allocated")] - implied[(arm, "analysed")]
    leaks = []
    for cell, values in implied.items():
        if counts.get(cell) is not None:
            continue  # published anyway
        low, high = int(values.min()), int(values.max())
        if high - low < THRESHOLD and low < THRESHOLD:
            leaks.append((channel, *where, *cell, low, high))
    return leaks


def _withheld_lines(flow: pl.DataFrame) -> list[tuple[str, str, str]]:
    return (
        flow.filter(pl.col("units").is_null())
        .select("pilot_id", "evaluation_year", "unit_level")
        .unique()
        .sort("pilot_id", "evaluation_year", "unit_level")
        .rows()
    )


def _multiplier(df):
    df = np.asarray(df, dtype=float)
    return stats.t.ppf(0.975, df) + stats.t.ppf(0.8, df)


def _span(fn, *params: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Least and greatest of fn over the corners of the box of (value, tolerance) params (fn
    monotone or linear in each)."""
    values = [fn(*corner) for corner in product(*[(v - t, v + t) for v, t in params])]
    return np.minimum.reduce(values), np.maximum.reduce(values)


def _fits(span: tuple[np.ndarray, np.ndarray], value: float, tol: float) -> np.ndarray:
    low, high = span
    return (high >= value - tol) & (low <= value + tol)


# --- channel 1: Hedges' g and its standard error --------------------------------------------


def hedges_pairs(rows: pl.DataFrame, counts: dict) -> tuple[np.ndarray, np.ndarray]:
    """Pairs reproducing every participant-design hedges_g row (normal interval) in `rows`."""
    n_t, n_c = _grid(counts)
    n = n_t + n_c
    j = 1 - 3 / (4 * (n - 2) - 1)
    keep = np.ones(len(n), dtype=bool)
    for g, g_tol, se, se_tol in rows.select("estimate", "estimate_tol", "se", "se_tol").rows():
        span = _span(lambda g: np.sqrt(j**2 * n / (n_t * n_c) + g**2 / (2 * n)), (g, g_tol))
        keep &= _fits(span, se, se_tol)
    return n_t[keep], n_c[keep]


def hedges_channel(tables, flow) -> list[tuple]:
    """Each outcome of a pilot and year measured on the flow's unit: its hedges_g rows (all
    units, ITT, normal interval) where its n is withheld. On the flow's outcome the pairs bound
    the flow's cells; on another, the units lost on that outcome (allocated - n)."""
    estimates = tables["pilot_estimates"]
    if "se_status" in estimates.columns:  # a withheld SE is still half the interval / 1.96
        from_interval = pl.col("se").is_null() & pl.col("ci_upper").is_not_null()
        estimates = estimates.with_columns(
            pl.when(from_interval)
            .then((pl.col("ci_upper") - pl.col("ci_lower")) / (2 * Z))
            .otherwise(pl.col("se"))
            .alias("se"),
            pl.when(from_interval)
            .then((pl.col("ci_upper_tol") + pl.col("ci_lower_tol")) / (2 * Z))
            .otherwise(pl.col("se_tol"))
            .alias("se_tol"),
        )
    rows = estimates.filter(
        (pl.col("measure") == "hedges_g")
        & (pl.col("analysis") == "itt")
        & (pl.col("subgroup") == "all")
        & pl.col("df").is_null()
        & pl.col("se").is_not_null()
        & ((pl.col("n_treatment_status") != "value") | (pl.col("n_control_status") != "value"))
    )
    flow_outcome = dict(flow.select("pilot_id", "outcome_id").unique().rows())
    levels = set(flow.select("pilot_id", "unit_level").unique().rows())
    leaks = []
    for (pilot, year, outcome), group in rows.group_by("pilot_id", "evaluation_year", "outcome_id"):
        level = group["outcome_level"][0]
        if (pilot, level) not in levels:
            continue
        counts = _counts(flow, pilot, year, level)
        if outcome != flow_outcome[pilot]:  # only the allocated counts carry over
            counts = {cell: v for cell, v in counts.items() if cell[1] == "allocated"}
            counts |= {(arm, stage): None for arm in (*ARMS, "Total") for stage in
                       ("analysed", "lost")}  # fmt: skip
        found = hedges_pairs(group, counts)
        leaks += _bounds(counts, *found, "se of hedges_g", (pilot, year, outcome))
    return leaks


# --- channel 2: MDES at analysis -------------------------------------------------------------


def _individual(n_t, n_c, r2, k):
    n = n_t + n_c
    return _multiplier(n - k - 2) * np.sqrt((1 - r2) * n / (n_t * n_c))


def _cluster(j_t, j_c, pupils, icc, r2, r2_between, covariates):
    j = j_t + j_c
    pq_j = j_t * j_c / j
    variance = icc * (1 - r2_between) / pq_j + (1 - icc) * (1 - r2) / (pq_j * pupils / j)
    return _multiplier(j - covariates - 2) * np.sqrt(variance)


def mdes_pairs(tables, pilot: str, year: str, level: str, counts: dict, flow: pl.DataFrame):
    """Pairs reproducing mdes_at_analysis, after calibrating the unseen inputs on
    mdes_at_randomisation (whose counts are the published allocated ones)."""
    sec = tables["pilot_security"].filter(
        (pl.col("pilot_id") == pilot) & (pl.col("evaluation_year") == year)
    )
    mdes = ["mdes_at_randomisation", "mdes_at_analysis", "mdes_basis"]
    if (
        sec.is_empty()
        or not set(mdes) <= set(sec.columns)
        or sec.select(mdes).null_count().sum_horizontal()[0]
    ):
        return None
    row = sec.row(0, named=True)
    basis = row["mdes_basis"] or ""
    at = {stage: (row[f"mdes_at_{stage}"], row[f"mdes_at_{stage}_tol"])
          for stage in ("randomisation", "analysis")}  # fmt: skip
    a_t, a_c = counts[("treatment", "allocated")], counts[("control", "allocated")]
    n_t, n_c = _grid(counts)
    keep = np.zeros(len(n_t), dtype=bool)
    if "mdes_individual" in basis and row["unit_level"] == level:
        r2 = (row["mdes_r2"], row["mdes_r2_tol"])
        for k in range(0, 60):
            if _fits(_span(lambda r, k=k: _individual(a_t, a_c, r, k), r2), *at["randomisation"]):
                keep |= _fits(
                    _span(lambda r, k=k: _individual(n_t, n_c, r, k), r2), *at["analysis"]
                )
    elif "mdes_cluster" in basis and level == "school" and row["unit_level"] == "pupil":
        pupils = _counts(flow, pilot, year, "pupil")
        if pupils.get(("Total", "analysed")) is None:
            return None
        inputs = [(row[c], row[f"{c}_tol"]) for c in ("mdes_icc", "mdes_r2", "mdes_r2_between")]
        for cov in range(0, 30):

            def at_randomisation(icc, r2, r2b, cov=cov):
                return _cluster(a_t, a_c, pupils[("Total", "allocated")], icc, r2, r2b, cov)

            def at_analysis(icc, r2, r2b, cov=cov):
                return _cluster(n_t, n_c, pupils[("Total", "analysed")], icc, r2, r2b, cov)

            if _fits(_span(at_randomisation, *inputs), *at["randomisation"]):
                keep |= _fits(_span(at_analysis, *inputs), *at["analysis"])
    else:
        return None
    return n_t[keep], n_c[keep]


# --- channel 3: degrees of freedom of a cluster trial's t interval --------------------------


def df_pairs(tables, pilot: str, year: str, level: str, counts: dict, flow=None):
    """Schools analysed = df + 2 + school-level covariates (the count the MDES basis states)."""
    if level != "school":
        return None
    est = tables["pilot_estimates"].filter(
        (pl.col("pilot_id") == pilot)
        & (pl.col("evaluation_year") == year)
        & (pl.col("outcome_level") == "pupil")
        & (pl.col("analysis") == "itt")
        & (pl.col("subgroup") == "all")
        & pl.col("df").is_not_null()
    )
    sec = tables["pilot_security"].filter(
        (pl.col("pilot_id") == pilot) & (pl.col("evaluation_year") == year)
    )
    if est.is_empty() or sec.is_empty():
        return None
    found = re.search(r"(\d+) school-level covariate", sec["mdes_basis"][0] or "")
    if not found:
        return None
    schools = est["df"].unique().to_numpy() + 2 + int(found.group(1))
    n_t, n_c = _grid(counts)
    keep = np.isin(n_t + n_c, schools)
    return n_t[keep], n_c[keep]


# --- the attack --------------------------------------------------------------------------------

LINE_CHANNELS = {"mdes_at_analysis": mdes_pairs, "df": df_pairs}


def side_channel_leaks(tables: dict[str, pl.DataFrame]) -> list[tuple]:
    flow = _flow(tables)
    leaks = hedges_channel(tables, flow)
    for pilot, year, level in _withheld_lines(flow):
        counts = _counts(flow, pilot, year, level)
        for channel, attack in LINE_CHANNELS.items():
            found = attack(tables, pilot, year, level, counts, flow)
            if found is not None:
                leaks += _bounds(counts, *found, channel, (pilot, year, level))
    return leaks


def calibration(tables: dict[str, pl.DataFrame]) -> set[str]:
    """Each channel, blind to the analysed counts, must find them where they are published
    (so an attack that finds nothing has not just got its formula wrong). Returns the
    channels that did, somewhere."""
    flow = _flow(tables)
    hits = set()
    lines = flow.select("pilot_id", "evaluation_year", "unit_level").unique().rows()
    for (pilot, year, level), (channel, attack) in product(sorted(lines), LINE_CHANNELS.items()):
        counts = _counts(flow, pilot, year, level)
        hidden = {cell: None if cell[1] != "allocated" else v for cell, v in counts.items()}
        found = attack(tables, pilot, year, level, hidden, flow)
        if found is None or not len(found[0]):
            continue
        n_t, n_c = found
        agree = np.ones(len(n_t), dtype=bool)
        for arm, values in (("treatment", n_t), ("control", n_c), ("Total", n_t + n_c)):
            if counts.get((arm, "analysed")) is not None:
                agree &= values == counts[(arm, "analysed")]
        published = [c for c in counts if c[1] == "analysed" and counts[c] is not None]
        if published and agree.any():
            hits.add(channel)
    # Hedges' g: rows whose n are published, inverted with the n hidden
    shown = tables["pilot_estimates"].filter(
        (pl.col("measure") == "hedges_g")
        & (pl.col("analysis") == "itt")
        & (pl.col("subgroup") == "all")
        & pl.col("df").is_null()
        & (pl.col("n_treatment_status") == "value")
        & (pl.col("n_control_status") == "value")
    )
    for (pilot, year, _), rows in shown.group_by("pilot_id", "evaluation_year", "outcome_id"):
        level = rows["outcome_level"][0]
        counts = _counts(flow, pilot, year, level)
        if not counts:
            continue
        hidden = {cell: None if cell[1] != "allocated" else v for cell, v in counts.items()}
        n_t, n_c = hedges_pairs(rows, hidden)
        truth = (rows["n_treatment"][0], rows["n_control"][0])
        if any((t, c) == truth for t, c in zip(n_t, n_c, strict=True)):
            hits.add("se of hedges_g")
    return hits


CHANNELS = ["se of hedges_g", "mdes_at_analysis", "df"]


@pytest.fixture(scope="module")
def database(published):
    return read_database(published.published_db)


def test_the_attack_reproduces_published_counts(database):
    """Where the flow publishes analysed counts, each channel, blind to them, finds them
    (a channel whose statistic is withheld on every line has nothing to calibrate on)."""
    estimates = database["pilot_estimates"]
    expected = set(CHANNELS)
    cluster_df = estimates.filter((pl.col("outcome_level") == "pupil") & pl.col("df").is_not_null())
    if cluster_df.is_empty():
        expected.discard("df")
    assert calibration(database) == expected


@pytest.mark.parametrize("channel", CHANNELS)
def test_the_database_narrows_no_withheld_pilot_count_through(database, channel):
    leaks = [leak for leak in side_channel_leaks(database) if leak[0] == channel]
    assert not leaks, f"{len(leaks)} withheld counts narrowed below 10: {leaks}"


def test_the_exports_narrow_no_withheld_pilot_count(published):
    """The CSV exports, read at the decimals they print."""
    leaks = side_channel_leaks(read_exports(published.marts / "exports"))
    assert not leaks, f"{len(leaks)} withheld counts narrowed below 10: {leaks}"


def test_the_forest_plot_data_narrow_no_withheld_pilot_count(published):
    """The chart data of the forest plot (its interval gives the SE back) beside the flow."""
    flow = read_exports(published.marts / "exports")
    leaks = side_channel_leaks(read_forest_plot(published.marts / "charts", flow))
    assert not leaks, f"{len(leaks)} withheld counts narrowed below 10: {leaks}"
