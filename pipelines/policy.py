"""Policy facts the take-up marts measure against, with their sources.

The 150,000 target counts NPQ courses started (DfE: "an ambitious target of 150,000 courses
being taken" between autumn 2021 and spring 2024), funded by GBP 184m announced on 2 June 2021.
"""

TARGET_PLACES = 150_000
TARGET_FUNDING_GBP = 184_000_000
# The target window: academic years starting 2021 (autumn 2021) to 2023 (2023/24, spring 2024).
WINDOW_FIRST_YEAR_START = 2021
WINDOW_LAST_YEAR_START = 2023
TARGET_SOURCE = (
    "DfE Teacher CPD design history, 'Capping funded spaces' "
    "(https://teacher-cpd.design-history.education.gov.uk/register-for-an-npq/capping-funded-spaces)"
)


def takeup_params() -> dict:
    """Bound parameters for the take-up SQL."""
    return {
        "target_places": TARGET_PLACES,
        "window_first": WINDOW_FIRST_YEAR_START,
        "window_last": WINDOW_LAST_YEAR_START,
    }
