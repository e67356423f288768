"""Command-line help: every subcommand describes itself, explains its arguments and gives an
example; `check` lists the data sets it knows; the exit statuses are documented."""

import argparse

import pytest

from pipelines.check import PILOTS
from pipelines.cli import build_parser
from pipelines.sources import SOURCES


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


SUBCOMMANDS = _subcommands()


@pytest.mark.parametrize("name", sorted(SUBCOMMANDS))
def test_subcommand_help_has_a_description_arguments_explained_and_an_example(name):
    parser = SUBCOMMANDS[name]
    assert parser.description and len(parser.description) > 20, name
    for action in parser._actions:
        if not isinstance(action, argparse._HelpAction):
            assert action.help, f"{name}: {action.dest} is not explained"
    text = parser.format_help()
    assert "example" in text.lower(), name
    assert f"python -m pipelines.cli {name}" in text, name


def test_check_help_lists_every_registered_data_set():
    text = SUBCOMMANDS["check"].format_help()
    for data_set in [*SOURCES, PILOTS]:
        assert data_set in text, data_set


def test_exit_statuses_are_documented_in_the_main_help():
    text = build_parser().format_help()
    for status in ("0", "1", "2", "3", "4"):
        assert f"  {status}  " in text, status
