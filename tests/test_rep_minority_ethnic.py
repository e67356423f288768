"""Both bases of 'ethnic minority' in the representation marts, named for what they hold: the
DfE / GSS convention (minority ethnic = every group except White British, White minorities
included) beside the White / ethnic minority split (White minorities excluded)."""

import duckdb
import polars as pl
import pytest

from pipelines.representation import representation_params
from pipelines.warehouse import build_from_sql, qualified, read_sql, write_frame
from tests.test_mart_sql import pupils_file

MINORITY_ETHNIC = "Minority ethnic (all except White British)"


@pytest.fixture
def pupils():
    labels = {
        "White - White British": 650,
        "White - Irish": 10,
        "White - Any other White background": 66,
        "Asian - Indian": 124,
        "Black - Black African": 150,
        "Unclassified": 16,  # people of unknown ethnicity: outside the share of known
    }
    given = pupils_file({**labels, "Total": sum(labels.values())}, "2021/22")
    con = duckdb.connect(":memory:")
    write_frame(con, "staging", "spc_pupils_ethnicity_and_language", given)
    build_from_sql(con, "marts", "rep_dim_ethnicity")
    params = {
        k: v
        for k, v in representation_params().items()
        if f"${k}" in read_sql("marts", "rep_pupils_by_ethnicity")
    }
    build_from_sql(con, "marts", "rep_pupils_by_ethnicity", params)
    yield con.sql(f"SELECT * FROM {qualified('marts', 'rep_pupils_by_ethnicity')}").pl()
    con.close()


def test_both_bases_are_published_with_names_that_say_which(pupils):
    known = 650 + 10 + 66 + 124 + 150  # the 16 unclassified pupils are outside it
    shares = {
        (r["group_set"], r["group_name"]): r["share_of_known_pct"]
        for r in pupils.filter(pl.col("phase_type_grouping") == "Total").iter_rows(named=True)
    }
    # DfE / GSS: every group except White British (Irish, other White, Indian, African)
    assert shares[("ethnicity_minority_ethnic", MINORITY_ETHNIC)] == pytest.approx(
        100 * (10 + 66 + 124 + 150) / known
    )
    assert shares[("ethnicity_minority_ethnic", "White British")] == pytest.approx(
        100 * 650 / known
    )
    # the White / ethnic minority split keeps White minorities out of the minority
    assert shares[("ethnicity_white_vs_minority", "Ethnic minority")] == pytest.approx(
        100 * (124 + 150) / known
    )
    assert ("ethnicity_minority_ethnic", "Unknown") in shares


def test_every_representation_chart_states_its_definition():
    from pipelines.charts.representation import npq_pipeline, regional_small_multiples
    from tests.test_charts import npq_pipeline_mart, workforce_mart

    _, regional, _ = regional_small_multiples(workforce_mart())
    assert any("White minorities" in n and "not counted" in n for n in regional.notes)
    _, npq, _ = npq_pipeline(npq_pipeline_mart())
    assert any("all except White British" in n for n in npq.notes)
