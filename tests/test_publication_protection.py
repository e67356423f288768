"""Whole-publication disclosure control on generated publications (hypothesis) and the pilot
leak (lost = allocated - n) as its own regression test. The attacker is tests/attacker.py."""

import duckdb
import numpy as np
import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.paths import SQL_DIR
from pipelines.pilots.disclose import protect_estimates, protect_flow, protect_security
from pipelines.records.contract import REGIONS
from pipelines.records.disclose import protect
from tests.attacker import THRESHOLD, absent_rows, pilot_board, record_board

GRADES = ["Head teacher", "Deputy head teacher", "Assistant head teacher", "Classroom teacher"]
MAJORS = [
    "White",
    "Asian / Asian British",
    "Black / African / Caribbean / Black British",
    "Unknown / refused / information not yet obtained",
]


def _workforce(cube: pl.DataFrame) -> pl.DataFrame:
    with duckdb.connect() as con:
        con.execute("CREATE SCHEMA staging")
        con.register("cube", cube)
        con.execute("CREATE TABLE staging.rec_teacher_census_cube AS SELECT * FROM cube")
        con.execute((SQL_DIR / "records" / "_macros.sql").read_text())
        return con.sql((SQL_DIR / "records" / "rec_workforce_by_grade.sql").read_text()).pl()


cells = st.lists(
    st.tuples(
        st.sampled_from(GRADES),
        st.sampled_from(["Female", "Male"]),
        st.sampled_from(MAJORS),
        st.sampled_from(["White - White British", "White - Irish"]),
        st.sampled_from(sorted(REGIONS)[:3]),
        st.integers(min_value=1, max_value=60),
    ),
    min_size=4,
    max_size=30,
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cells)
def test_generated_workforce_publications_leak_nothing(rows):
    cube = (
        pl.DataFrame(
            rows,
            schema=["grade", "sex", "ethnicity_major", "minor", "region_code", "headcount"],
            orient="row",
        )
        .with_columns(
            time_period=pl.lit(202425, pl.Int32),
            ethnicity_minor=pl.when(pl.col("ethnicity_major") == "White").then(pl.col("minor")),
            headcount=pl.col("headcount").cast(pl.Int64),
        )
        .group_by(
            "time_period", "grade", "sex", "ethnicity_major", "ethnicity_minor", "region_code"
        )
        .agg(pl.col("headcount").sum())
    )
    published = protect({"rec_workforce_by_grade": _workforce(cube)})
    shown = published["rec_workforce_by_grade"].filter(pl.col("headcount_status") == "value")
    assert (shown["headcount"] >= THRESHOLD).all()
    assert not record_board(published).pins()
    assert not absent_rows(published)


@settings(max_examples=12, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=400), min_size=3, max_size=3))
def test_generated_running_totals_leak_nothing(starts):
    years = (
        pl.DataFrame(
            {"time_period": [202122, 202223, 202324], "npq_starts": starts},
            schema_overrides={"time_period": pl.Int32, "npq_starts": pl.Int64},
        )
        .with_columns(
            funding=pl.lit("Overall"),
            academic_year=pl.lit(""),
            npq_unique_participants=pl.col("npq_starts"),
            cumulative_npq_starts_in_window=pl.col("npq_starts").cum_sum(),
        )
        .with_columns(percent_of_target=pl.col("cumulative_npq_starts_in_window") * 100 / 150000)
    )
    published = protect({"rec_npq_takeup_by_year": years})
    assert not record_board(published).pins()


def _flow(cells: dict[tuple[str, str], int]) -> pl.DataFrame:
    """pilot_flow.sql's shape for one pilot, year and outcome: arm x stage, 'Total' rows."""
    rows = []
    for arm in ("treatment", "control"):
        allocated, analysed = cells[(arm, "allocated")], cells[(arm, "analysed")]
        for stage, n in (
            ("Total", allocated),
            ("analysed", analysed),
            ("lost", allocated - analysed),
        ):
            rows.append((arm, stage, n))
    frame = pl.DataFrame(rows, schema=["arm", "stage", "units"], orient="row")
    total = frame.group_by("stage").agg(pl.col("units").sum()).with_columns(arm=pl.lit("Total"))
    return (
        pl.concat([frame, total.select(frame.columns)])
        .with_columns(
            pilot_id=pl.lit("P1"),
            evaluation_year=pl.lit("2025/26"),
            unit_level=pl.lit("participant"),
            outcome_id=pl.lit("wellbeing"),
            provenance=pl.lit("synthetic"),
            percent_of_allocated=pl.col("units")
            * 100.0
            / pl.col("units").filter(pl.col("stage") == "Total").first().over("arm"),
        )
        .with_columns(pl.col("units").cast(pl.Int64))
    )


def test_estimates_do_not_give_away_the_lost_counts_the_flow_withholds():
    """The leak once found: flow withheld 'lost' (8 in each arm), the estimates published
    n = 153 and 151 beside allocated 161 and 159."""
    flow = protect_flow(
        _flow(
            {
                ("treatment", "allocated"): 161,
                ("treatment", "analysed"): 153,
                ("control", "allocated"): 159,
                ("control", "analysed"): 151,
            }
        )
    )
    lost = flow.filter((pl.col("stage") == "lost") & (pl.col("arm") != "Total"))
    assert set(lost["units_status"]) == {"c"}
    estimates = pl.DataFrame(
        {
            "pilot_id": "P1",
            "outcome_id": ["wellbeing", "wellbeing", "self_efficacy", "wellbeing"],
            "outcome_level": "participant",
            "evaluation_year": "2025/26",
            "subgroup": ["all", "all", "all", "women"],
            "analysis": ["itt", "itt", "itt", "itt"],
            "measure": ["hedges_g", "hedges_g", "hedges_g", "hedges_g"],
            "model": ["conditional", "unconditional", "conditional", "conditional"],
            "n_treatment": [153, 153, 155, 93],
            "n_control": [151, 151, 152, 86],
        }
    )
    protected = protect_estimates(estimates, flow)
    primary = protected.filter(
        (pl.col("outcome_id") == "wellbeing") & (pl.col("subgroup") == "all")
    )
    assert set(primary["n_treatment_status"]) == {"c"}
    assert set(primary["n_control_status"]) == {"c"}
    security = pl.DataFrame(
        {
            "pilot_id": ["P1"],
            "evaluation_year": ["2025/26"],
            "unit_level": ["participant"],
            "randomised_or_in_sample": [320],
            "analysed": [304],
            "attrition_percent": [5.0],
            "differential_attrition_pp": [0.1],
        }
    )
    tables = {
        "pilot_flow": flow,
        "pilot_estimates": protected,
        "pilot_security": protect_security(security, flow),
    }
    assert not pilot_board(tables).pins()
    # the same estimates, unprotected, are what the attacker pins
    assert pilot_board({**tables, "pilot_estimates": estimates}).pins()


def test_the_same_publication_is_always_protected_the_same_way():
    """The suppression chosen must not depend on the order rows happen to come in (a rerun
    with nothing changed publishes the same tables)."""
    rows = [
        (grade, sex, major, "White - White British", region, 1 + (i * 7) % 23)
        for i, (grade, sex, major, region) in enumerate(
            (g, s, m, r)
            for g in GRADES
            for s in ("Female", "Male")
            for m in MAJORS
            for r in sorted(REGIONS)[:4]
        )
    ]
    cube = pl.DataFrame(
        rows,
        schema=["grade", "sex", "ethnicity_major", "minor", "region_code", "headcount"],
        orient="row",
    ).with_columns(
        time_period=pl.lit(202425, pl.Int32),
        ethnicity_minor=pl.when(pl.col("ethnicity_major") == "White").then(pl.col("minor")),
        headcount=pl.col("headcount").cast(pl.Int64),
    )
    workforce = _workforce(cube)
    first = protect({"rec_workforce_by_grade": workforce})["rec_workforce_by_grade"]
    for seed in range(4):
        shuffled = workforce.sample(fraction=1.0, shuffle=True, seed=seed)
        again = protect({"rec_workforce_by_grade": shuffled})["rec_workforce_by_grade"]
        assert again.equals(first), seed


def _protected_flow(treatment: tuple[int, int], control: tuple[int, int]) -> pl.DataFrame:
    """The protected flow of one pilot and year from each arm's (allocated, analysed)."""
    cells = {}
    for arm, (allocated, analysed) in (("treatment", treatment), ("control", control)):
        cells |= {(arm, "allocated"): allocated, (arm, "analysed"): analysed}
    return protect_flow(_flow(cells))


def _security(randomised: int, analysed: int, **mdes: float) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "pilot_id": ["P1"],
            "evaluation_year": ["2025/26"],
            "unit_level": ["participant"],
            "randomised_or_in_sample": [randomised],
            "analysed": [analysed],
            **{k: [v] for k, v in mdes.items()},
        }
    )


def _estimate(**columns) -> pl.DataFrame:
    """One whole-sample ITT hedges_g row of P1 2025/26 on the flow's outcome."""
    return pl.DataFrame(
        {
            "pilot_id": "P1",
            "outcome_id": "wellbeing",
            "outcome_level": "participant",
            "evaluation_year": "2025/26",
            "subgroup": "all",
            "analysis": "itt",
            "measure": "hedges_g",
            "model": "conditional",
            **columns,
        }
    )


def _hedges_se(g: float, n_t: np.ndarray, n_c: np.ndarray) -> np.ndarray:
    """The textbook standard error of Hedges' g (small-sample corrected) for two groups."""
    n = n_t + n_c
    j = 1 - 3 / (4 * (n - 2) - 1)
    return np.sqrt(j**2 * n / (n_t * n_c) + g**2 / (2 * n))


def test_an_interval_does_not_give_back_the_n_the_flow_withholds():
    """g's standard error is a function of the arms' n: printed at full precision beside g,
    it gives n back exactly, and with it lost = allocated - n. Withheld n brings the standard
    error, df and MDES at analysis down with it, and g and its interval to 2 decimals."""
    allocated = {"treatment": 110, "control": 110}
    flow = _protected_flow((110, 107), (110, 101))
    g = 0.2137
    se = float(_hedges_se(g, np.array([107.0]), np.array([101.0]))[0])
    estimates = _estimate(
        estimate=g, ci_lower=g - 1.96 * se, ci_upper=g + 1.96 * se, se=se, df=206.0,
        n_treatment=107, n_control=101,
    )  # fmt: skip
    row = protect_estimates(estimates, flow).row(0, named=True)

    # the attacker: every pair of arm sizes that reproduces what is printed
    n_t, n_c = np.meshgrid(np.arange(2.0, 111), np.arange(2.0, 111), indexing="ij")
    half = 0.5 * 10.0 ** -max(len(repr(row[c]).split(".")[-1]) for c in ("ci_lower", "ci_upper"))
    printed_se = (row["ci_upper"] - row["ci_lower"]) / (2 * 1.96)
    fits = np.zeros(n_t.shape, dtype=bool)
    for g_seen in np.linspace(row["estimate"] - half, row["estimate"] + half, 5):
        fits |= np.abs(_hedges_se(g_seen, n_t, n_c) - printed_se) <= half / 1.96 + 1e-12
    lost_t = allocated["treatment"] - n_t[fits]
    assert lost_t.max() - lost_t.min() >= 10 or lost_t.min() >= 10
    assert row["n_treatment_status"] == row["se_status"] == row["df_status"] == "c"
    assert row["se"] is None and row["df"] is None

    security = _security(220, 208, mdes_at_randomisation=0.38, mdes_at_analysis=0.3912345)
    shown = protect_security(security, flow).row(0, named=True)
    assert shown["mdes_at_analysis"] is None and shown["mdes_at_analysis_status"] == "c"
    assert shown["mdes_at_randomisation"] == 0.38


def test_mdes_at_randomisation_and_df_go_with_the_counts_they_are_built_from():
    """The MDES at randomisation is a function of the numbers randomised, and a cluster
    interval's df of the number of schools: withheld where those are."""
    flow = _protected_flow((8, 7), (150, 140))
    security = _security(158, 147, mdes_at_randomisation=0.61, mdes_at_analysis=0.63)
    shown = protect_security(security, flow).row(0, named=True)
    assert shown["mdes_at_randomisation_status"] == "c"
    assert shown["mdes_at_randomisation"] is None

    big = _protected_flow((300, 280), (300, 270))
    estimates = _estimate(
        estimate=0.2, ci_lower=0.05, ci_upper=0.35, se=0.0765,
        df=11.0,  # 15 schools - 2 - 2 covariates
        n_treatment=280, n_control=270,
        n_clusters_treatment=7,  # below 10: withheld
        n_clusters_control=8,
    )  # fmt: skip
    row = protect_estimates(estimates, big).row(0, named=True)
    assert row["n_treatment_status"] == "value"
    assert row["n_clusters_treatment_status"] == "c"
    assert row["df"] is None and row["df_status"] == "c"
