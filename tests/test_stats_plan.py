"""The MDES planner on the command line (`python -m pipelines.cli plan`)."""

import re

import pytest

from pipelines.cli import main
from pipelines.stats.power import mdes_cluster, plan_mdes, units_for_mdes


def _numbers(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"\d+(?:\.\d+)?", text)]


def test_plan_prints_the_cluster_trial_mdes_and_the_schools_needed(capsys):
    argv = "plan --units 40 --cluster-size 25 --icc 0.15 --r2 0.5 --attrition 0.2 --target 0.2"
    assert main(argv.split()) == 0
    first, second = capsys.readouterr().out.strip().splitlines()
    # 20% of 25 pupils lost: 40 schools of 20 analysed
    expected = mdes_cluster(40, 20, 0.15, r2_level1=0.5, r2_level2=0.5)
    assert _numbers(first)[0] == pytest.approx(expected, abs=5e-4)
    needed = units_for_mdes(0.2, cluster_size=25, icc=0.15, r2=0.5, attrition=0.2)
    assert _numbers(second)[:2] == [needed, needed * 25]
    assert "clusters" in second


def test_plan_of_a_participant_trial(capsys):
    assert main(["plan", "--units", "400", "--r2", "0.3"]) == 0
    out = capsys.readouterr().out
    assert _numbers(out)[0] == pytest.approx(plan_mdes(400, r2=0.3), abs=5e-4)
    assert "participants" in out


def test_plan_refuses_an_impossible_input_in_one_line(capsys):
    assert main(["plan", "--units", "40", "--attrition", "1.5"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("plan failed: attrition must be a share")
    assert "Traceback" not in err


def test_plan_help_shows_an_example(capsys):
    with pytest.raises(SystemExit):
        main(["plan", "--help"])
    assert "python -m pipelines.cli plan --units" in capsys.readouterr().out
