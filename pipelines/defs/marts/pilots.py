"""Pilot marts (question 3): registry, flow, balance, estimates, security rating, costs.

The flow is SQL (pipelines/sql/marts/pilot_flow.sql) passed through disclosure control before it
is stored; the others are modelling, done by pipelines/pilots/analysis.py with the statistics in
pipelines/stats/. Every mart carries `provenance` (synthetic while on the generated default) and
sits behind a blocking expectation suite.
"""

from pathlib import Path

import dagster as dg
import polars as pl
import yaml
from dagster_duckdb import DuckDBResource

from pipelines.defs.marts.takeup import mart_suite
from pipelines.defs.raw.pilots import PILOT_TAGS, registry_file
from pipelines.defs.resources import ProjectPaths
from pipelines.dictionary import definition_metadata, described
from pipelines.pilots.registry import load_registry
from pipelines.warehouse import qualified, read_sql, sql_description, table_metadata, write_frame

STAGED = ("participants", "schools", "outcomes", "dosage", "costs")

# mart -> the tables it reads (layer/name)
PILOT_MARTS: dict[str, list[str]] = {
    "pilot_registry": ["staging/pilot_participants"],
    "pilot_flow": [
        "marts/pilot_registry",
        "staging/pilot_outcomes",
        "staging/pilot_participants",
        "staging/pilot_schools",
    ],
    "pilot_balance": [
        "marts/pilot_flow",
        "staging/pilot_outcomes",
        "staging/pilot_participants",
        "staging/pilot_schools",
    ],
    "pilot_estimates": [
        "marts/pilot_flow",
        "staging/pilot_dosage",
        "staging/pilot_outcomes",
        "staging/pilot_participants",
        "staging/pilot_schools",
    ],
    "pilot_security": [
        "marts/pilot_flow",
        "staging/pilot_outcomes",
        "staging/pilot_participants",
        "staging/pilot_schools",
    ],
    "pilot_costs": ["staging/pilot_costs", "staging/pilot_participants"],
}


def _analysis():
    """pipelines/pilots/analysis.py, imported when a pilot mart is built: it loads statsmodels,
    linearmodels and scipy (seconds), which loading the code location must not pay for."""
    from pipelines.pilots import analysis

    return analysis


def _data(con, paths: ProjectPaths):
    frames = {
        name: con.sql(f"SELECT * FROM {qualified('staging', f'pilot_{name}')}").pl()
        for name in STAGED
    }
    return _analysis().PilotData(load_registry(registry_file(paths)), **frames)


def _store(con, name: str, frame: pl.DataFrame) -> dg.MaterializeResult:
    write_frame(con, "marts", name, frame)
    return dg.MaterializeResult(
        metadata=described(table_metadata(con, "marts", name), con, "marts", name)
    )


def _spec(name: str, description: str) -> dict:
    return {
        "key": ["marts", name],
        "deps": [dg.AssetKey(dep.split("/")) for dep in PILOT_MARTS[name]],
        "group_name": "marts",
        "tags": PILOT_TAGS,
        "description": description,
        "metadata": definition_metadata(name),
    }


@dg.asset(
    kinds={"duckdb", "polars"},
    **_spec(
        "pilot_registry",
        "One row per registered pilot: aim, design, unit of allocation, arms, cohorts, the "
        "three evaluation years, outcomes, covariates, subgroups, planned cost per participant."
        "\n\nSource: data/raw/pilots/registry/pilots.yaml (ILLUSTRATIVE pilots, checked by "
        "pipelines/pilots/registry.py); `provenance` says whether the pilot's data are "
        "synthetic or delivered by its evaluator.",
    ),
)
def pilot_registry(duckdb: DuckDBResource, paths: ProjectPaths) -> dg.MaterializeResult:
    status = yaml.safe_load(registry_file(paths).read_text(encoding="utf-8")).get("provenance")
    with duckdb.get_connection() as con:
        return _store(
            con, "pilot_registry", _analysis().registry_frame(_data(con, paths), status or "")
        )


@dg.asset(
    kinds={"duckdb", "sql"},
    **_spec(
        "pilot_flow",
        sql_description("marts", "pilot_flow")
        + "\n\nSQL: pipelines/sql/marts/pilot_flow.sql; then pipelines/disclosure.protect "
        "(counts below 10 withheld as `c`, secondary suppression audited so no withheld cell "
        "can be recovered from the margins; percentages withheld with their counts).",
    ),
)
def pilot_flow(duckdb: DuckDBResource) -> dg.MaterializeResult:
    from pipelines.pilots.disclose import protect_flow

    with duckdb.get_connection() as con:
        counts = con.sql(read_sql("marts", "pilot_flow")).pl()
        return _store(con, "pilot_flow", protect_flow(counts))


def _flow(con) -> pl.DataFrame:
    """The flow as stored (after disclosure control): what the other pilot marts' counts are
    protected against."""
    return con.sql(f"SELECT * FROM {qualified('marts', 'pilot_flow')}").pl()


@dg.asset(
    kinds={"duckdb", "polars"},
    **_spec(
        "pilot_balance",
        "One row per pilot x sample x unit level x covariate: baseline means and SDs by arm, "
        "standardised mean difference (denominator stated), variance ratio, WWC band.\n\n"
        "Source: staging.pilot_participants, pilot_schools, pilot_outcomes; "
        "pipelines/stats/balance.py. The matched pilot is shown before and after propensity "
        "matching (pipelines/stats/quasi.py), on the pre-matching denominators. "
        "`n_treatment_status` / `n_control_status`: `c` where the n is below 10 and withheld.",
    ),
)
def pilot_balance(duckdb: DuckDBResource, paths: ProjectPaths) -> dg.MaterializeResult:
    with duckdb.get_connection() as con:
        from pipelines.pilots.disclose import protect_balance

        return _store(con, "pilot_balance", protect_balance(_analysis().balance(_data(con, paths))))


@dg.asset(
    kinds={"duckdb", "polars"},
    **_spec(
        "pilot_estimates",
        "One row per pilot x outcome x evaluation year x subgroup x analysis (ITT, CACE) x "
        "measure (x model x variance): effect with 95% CI, the variance used, ICC, n by arm, "
        "months' progress for pupil attainment only.\n\nSource: the staged pilot files; "
        "pipelines/pilots/analysis.py calling pipelines/stats/ (Hedges' g, Hedges 2007 for "
        "cluster trials, binary outcomes, matched difference-in-differences, CACE). `headline` "
        "marks the row on the g scale shown in the forest plot. Estimates on fewer than 10 "
        "units in an arm are withheld. Cluster designs: `df` (schools - 2 - school-level "
        "covariates) behind the t interval, and `randomisation_p_value`, "
        "`randomisation_ci_lower` / `_upper` over `randomisation_draws` re-randomisations of "
        "the schools (pipelines/stats/METHODS.md).\n\nDisclosure control "
        "(pipelines/pilots/disclose.py): `n_treatment_status` / `n_control_status` (and "
        "`n_clusters_*_status`) say `value`, `c` (withheld: below 10, or it would give a count "
        "withheld in pilot_flow away) or `z` (no value).",
    ),
)
def pilot_estimates(duckdb: DuckDBResource, paths: ProjectPaths) -> dg.MaterializeResult:
    with duckdb.get_connection() as con:
        from pipelines.pilots.disclose import protect_estimates

        estimates = _analysis().estimates(_data(con, paths))
        return _store(con, "pilot_estimates", protect_estimates(estimates, _flow(con)))


@dg.asset(
    kinds={"duckdb", "polars"},
    **_spec(
        "pilot_security",
        "One row per pilot x evaluation year: EEF padlock rating with its inputs (design, "
        "attrition on the primary outcome, interim rating, threat counts and adjustment), and "
        "the minimum detectable effect size of the primary outcome at randomisation and at "
        "analysis (`mdes_*`; 80% power, 5% two-sided; ICC and R2 estimated on the analysed "
        "units, formula and scale in `mdes_basis`; pipelines/stats/power.py).\n\n"
        "Source: the staged pilot files (attrition, randomisation to analysis) and the reviewer "
        "judgements in data/raw/pilots/registry/threat_judgements.csv (ILLUSTRATIVE; latest per "
        "pilot and threat); pipelines/stats/security.py.\n\nDisclosure control "
        "(pipelines/pilots/disclose.py): `randomised_or_in_sample`, `analysed` and the "
        "attrition rates, WWC attrition band and padlocks built on them are withheld (their "
        "`<column>_status` says `c`) where pilot_flow withholds a count they would give away.",
    ),
)
def pilot_security(duckdb: DuckDBResource, paths: ProjectPaths) -> dg.MaterializeResult:
    from pipelines.stats.security import load_threat_judgements

    judgements = load_threat_judgements(
        Path(paths.raw_dir) / "pilots" / "registry" / "threat_judgements.csv"
    )
    with duckdb.get_connection() as con:
        from pipelines.pilots.disclose import protect_security

        security = _analysis().security(_data(con, paths), judgements)
        return _store(con, "pilot_security", protect_security(security, _flow(con)))


@dg.asset(
    kinds={"duckdb", "polars"},
    **_spec(
        "pilot_costs",
        "One row per pilot: start-up and yearly costs, cost per participant, cost per pupil per "
        "year (start-up spread over three years) and the EEF cost band.\n\nSource: "
        "staging.pilot_costs and the treated participants in staging.pilot_participants; "
        "pipelines/stats/costs.py; the registry's planned cost per participant beside it.",
    ),
)
def pilot_costs(duckdb: DuckDBResource, paths: ProjectPaths) -> dg.MaterializeResult:
    with duckdb.get_connection() as con:
        return _store(con, "pilot_costs", _analysis().costs(_data(con, paths)))


defs = dg.Definitions(
    assets=[
        pilot_registry,
        pilot_flow,
        pilot_balance,
        pilot_estimates,
        pilot_security,
        pilot_costs,
    ],
    asset_checks=[mart_suite(name) for name in PILOT_MARTS],
)
