"""Command line: one question's refresh selects that question's assets and nothing else."""

import pytest

from pipelines.cli import QUESTIONS, main, question_selection
from pipelines.definitions import defs


@pytest.mark.parametrize("question", sorted(QUESTIONS))
def test_question_selects_its_marts_their_inputs_and_publish(question):
    keys = {k.to_user_string() for k in question_selection(defs(), question)}
    own = QUESTIONS[question]
    others = tuple(p for q, prefixes in QUESTIONS.items() if q != question for p in prefixes)
    assert "publish/npq_observatory" in keys
    built = [k for k in keys if k.split("/")[0] in ("marts", "charts")]
    assert any(k.split("/")[-1].startswith(own) for k in built)
    # another question's marts appear only where this question reads them
    for key in built:
        name = key.split("/")[-1]
        if name.startswith(others) and not name.startswith(own):
            assert key == "marts/dim_npq_course", key  # the course list, read by rep_npq_pipeline
    assert all(k.startswith(("raw/", "staging/", "marts/", "charts/", "publish/")) for k in keys)


def test_unknown_data_set_is_one_line_not_a_traceback(capsys):
    assert main(["check", "no_such_data_set", "x.csv"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("check failed: unknown data set 'no_such_data_set'")
    assert "Traceback" not in err
