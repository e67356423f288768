"""Question 1 marts against published figures, and the claims-check verdicts."""

import duckdb
import pytest


@pytest.fixture(scope="module")
def db(published):
    con = duckdb.connect(str(published.published_db), read_only=True)
    yield con
    con.close()


def rows(db, sql, params=None):
    return db.sql(sql, params=params).fetchall()


def test_target_window_totals(db):
    ((cumulative, percent, gap),) = rows(
        db,
        "SELECT cumulative_npq_starts_in_window, percent_of_target, gap_to_target "
        "FROM npq_takeup_by_year WHERE funding = 'Overall' AND academic_year = '2023/24'",
    )
    assert cumulative == 31_677 + 38_906 + 43_840 == 114_423
    assert round(percent, 1) == 76.3
    assert gap == 35_577


def test_pace_required_against_pace_achieved(db):
    got = {
        r[0]: r[1:]
        for r in rows(
            db,
            "SELECT academic_year, pace_achieved_per_year, pace_required_per_remaining_year, "
            "year_target_reached_at_observed_pace FROM npq_takeup_by_year "
            "WHERE funding = 'Overall' AND in_target_window",
        )
    }
    # After two years 70,583 had started: the last year needed 79,417 on its own.
    assert got["2022/23"][0] == pytest.approx(70_583 / 2)
    assert got["2022/23"][1] == pytest.approx(150_000 - 70_583)
    # At the pace of the whole window (38,141 a year) the target falls in the fourth year.
    assert got["2023/24"][0] == pytest.approx(114_423 / 3)
    assert got["2023/24"][1] is None  # no window years left
    assert got["2023/24"][2] == "2024/25"


def test_funded_variant_is_beside_overall(db):
    assert rows(
        db,
        "SELECT academic_year, npq_starts, npq_unique_participants FROM npq_takeup_by_year "
        "WHERE funding = 'Funded'",
    ) == [("2021/22", 29_892, 29_732)]


def test_course_starts_add_up_to_published_starts(db):
    totals = dict(
        rows(
            db,
            "SELECT academic_year, sum(npq_starts) FROM npq_takeup_by_course "
            "WHERE funding = 'Overall' GROUP BY ALL",
        )
    )
    assert totals == {"2021/22": 31_677, "2022/23": 38_906, "2023/24": 43_840, "2024/25": 29_818}
    # Courses appear only from the year they were offered: absent, never zero.
    assert rows(
        db,
        "SELECT min(year_start) FROM npq_takeup_by_course WHERE course_code = 'NPQSENCO'",
    ) == [(2024,)]
    unmapped = rows(db, "SELECT count(*) FROM npq_takeup_by_course WHERE course_code IS NULL")
    assert unmapped == [(0,)]


def test_breakdowns_are_labelled_synthetic(db):
    for table in (
        "npq_takeup_by_course",
        "npq_takeup_by_la",
        "npq_takeup_by_characteristic",
    ):
        assert rows(db, f"SELECT DISTINCT provenance FROM {table}") == [("synthetic",)], table
    # Regions: the 2022/23 release's rows are published (Overall starts derived from them);
    # every region and year it does not cover is synthetic.
    assert rows(
        db,
        "SELECT DISTINCT provenance FROM npq_takeup_by_region "
        "WHERE academic_year NOT IN ('2021/22', '2022/23') "
        "OR region_name NOT IN ('East Midlands', 'East of England', 'London')",
    ) == [("synthetic",)]


def test_regions_add_up_and_lagging_regions_are_flagged(db):
    for year, starts in rows(
        db,
        "SELECT academic_year, sum(npq_starts) FROM npq_takeup_by_region "
        "WHERE funding = 'Overall' GROUP BY ALL",
    ):
        national = rows(
            db,
            "SELECT npq_starts FROM npq_takeup_by_year WHERE funding = 'Overall' "
            "AND academic_year = $y",
            {"y": year},
        )
        assert [(starts,)] == national
    inconsistent = rows(
        db,
        "SELECT count(*) FROM npq_takeup_by_region WHERE lags_national "
        "<> (percent_workforce_npq_participation < national_percent_workforce_npq_participation)",
    )
    assert inconsistent == [(0,)]


def test_la_rows_add_up_to_their_regions(db):
    mismatches = rows(
        db,
        "SELECT count(*) FROM (SELECT time_period, funding, region_code, sum(npq_starts) AS s "
        "FROM npq_takeup_by_la GROUP BY ALL) la JOIN npq_takeup_by_region r "
        "USING (time_period, funding, region_code) WHERE la.s <> r.npq_starts",
    )
    assert mismatches == [(0,)]


def test_completion_lag_is_flagged(db):
    got = {
        r[0]: r[1:]
        for r in rows(
            db,
            "SELECT start_cohort, percentage_completion_rate, percentage_completion_rate_status, "
            "cohort_complete FROM npq_completions_by_cohort "
            "WHERE funding = 'Overall' AND breakdown = 'Overall'",
        )
    }
    assert got["2021/22"] == (84.6, "value", True)
    assert got["2022/23"] == (81.7, "value", True)
    assert got["2023/24"] == (39.7, "value", False)  # completion to date, not a low rate
    assert got["2024/25"] == (None, "rounds_to_zero", False)  # published as 'low', never 0


def test_school_coverage(db):
    got = rows(
        db,
        "SELECT academic_year, perc_npq_schools FROM npq_school_coverage "
        "WHERE cumulative_or_in_year = 'Cumulative' ORDER BY year_start",
    )
    assert got == [("2021/22", 47.4), ("2022/23", 71.1), ("2023/24", 83.3), ("2024/25", 88.4)]


def test_policy_breaks_are_data(db):
    got = rows(db, "SELECT break_id, academic_year FROM npq_policy_breaks ORDER BY ALL")
    assert got == [
        ("funding_narrowed", "2024/25"),
        ("target_window_end", "2024/25"),
        ("target_window_start", "2021/22"),
    ]


def test_claims_check_verdicts(db):
    got = {
        r[0]: r[1:]
        for r in rows(db, "SELECT claim_id, published_value, verdict FROM npq_claims_check")
    }
    # February 2024 Schools Week article
    assert got["sw_2024_02_funded_participants"] == (None, "cannot check: no published figure")
    assert got["sw_2024_02_npqh_2021_22"] == (None, "cannot check: no published figure")
    assert got["sw_2024_02_npqel_2021_22"] == (None, "cannot check: no published figure")
    assert got["sw_2024_02_npqh_2022_23"] == (4_387, "close, within revision")
    assert got["sw_2024_02_npqel_2022_23"] == (None, "cannot check: no published figure")
    assert got["sw_2024_02_still_needed"] == (150_000 - 70_583, "does not match")
    # Other statements
    assert got["sw_2023_07_courses_two_years"] == (70_583, "does not match")
    assert got["tes_2022_funded_starts_year_one"] == (29_892, "close, within revision")
    assert got["sw_2025_starts_2023_24"] == (43_840, "matches")
    assert got["sw_2025_starts_2024_25"] == (29_818, "matches")
    assert got["sw_2025_funded_2023_24"] == (None, "cannot check: no published figure")


def test_claims_never_use_synthetic_figures(db):
    # NPQH 2021/22 exists in the synthetic course breakdown, but a claim is only checked
    # against published figures.
    synthetic_npqh = rows(
        db,
        "SELECT npq_starts FROM npq_takeup_by_course WHERE course_code = 'NPQH' "
        "AND funding = 'Funded' AND academic_year = '2021/22'",
    )
    assert synthetic_npqh, "the synthetic breakdown should hold an NPQH 2021/22 row"
    assert rows(
        db,
        "SELECT published_value FROM npq_claims_check WHERE claim_id = 'sw_2024_02_npqh_2021_22'",
    ) == [(None,)]


def test_release_changes_show_the_2022_23_correction(db):
    got = dict(
        rows(
            db,
            "SELECT figure, old_value || ' -> ' || new_value FROM release_changes "
            "WHERE data_set = 'npq_release_text_figures' AND change = 'revised' "
            "AND old_release LIKE '%original%' AND figure LIKE '%measure=npq_funded_starts'",
        )
    )
    course = "time_period=202223; funding=Funded; breakdown=Course; group_name=NPQ for {}; "
    assert got[course.format("Senior Leadership") + "measure=npq_funded_starts"] == "8956 -> 8969"
    assert got[course.format("Headship") + "measure=npq_funded_starts"] == "4363 -> 4387"
    assert got[course.format("Early Years Leadership") + "measure=npq_funded_starts"] == (
        "2213 -> 3102"
    )
