"""Command-line progress: "step k of N" with the time and the name, checks passed or failed with
the failing expectation, and a closing summary line."""

import re

import dagster as dg

from pipelines.progress import progress_logger, summary


@dg.asset(key=["staging", "toy"])
def toy() -> int:
    return 1


@dg.asset(key=["marts", "toy_mart"], deps=[toy])
def toy_mart() -> None:
    return None


@dg.asset_check(asset=toy, name="expectation_suite", blocking=True)
def toy_suite() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=False,
        description="1 of 3 expectations failed",
        metadata={"failures": dg.MetadataValue.md("- expect_column_values_to_not_be_null(x)")},
    )


@dg.asset_check(asset=toy_mart, name="expectation_suite")
def toy_mart_suite() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True, description="2 expectations met")


def _run(capsys):
    definitions = dg.Definitions(
        assets=[toy, toy_mart],
        asset_checks=[toy_suite, toy_mart_suite],
        loggers={"progress": progress_logger},
        executor=dg.in_process_executor,
    )
    job = definitions.resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(
        run_config={"loggers": {"progress": {}}},
        raise_on_error=False,
        instance=dg.DagsterInstance.ephemeral(),
    )
    captured = capsys.readouterr()
    return result, captured.out, captured.err


def test_each_step_says_k_of_n_the_time_and_its_name(capsys):
    _, out, err = _run(capsys)
    lines = [line for line in (out + err).splitlines() if "step " in line]
    total = int(re.search(r"step +1 of (\d+) ", lines[0]).group(1))
    assert total == len(lines) >= 3
    numbers = sorted(int(re.search(r"step +(\d+) of", line).group(1)) for line in lines)
    assert numbers == list(range(1, total + 1))
    assert all(re.search(r" of \d+ +\d+\.\d s ", line) for line in lines)
    assert any("staging/toy" in line for line in lines)


def test_a_failed_check_shows_its_failing_expectation_on_stderr(capsys):
    result, out, err = _run(capsys)
    assert not result.success
    failed = next(line for line in err.splitlines() if "staging/toy_expectation_suite" in line)
    assert "FAILED" in failed and "check FAILED: 1 of 3 expectations failed" in failed
    assert "failed expectation: expect_column_values_to_not_be_null(x)" in err
    skipped = [line for line in out.splitlines() if "skipped" in line]
    assert any("marts/toy_mart" in line for line in skipped)  # downstream of a blocking check


def test_a_passed_check_says_passed(capsys):
    @dg.asset_check(asset=toy, name="expectation_suite")
    def passing() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=True, description="3 expectations met")

    definitions = dg.Definitions(
        assets=[toy], asset_checks=[passing], loggers={"progress": progress_logger}
    )
    result = definitions.resolve_implicit_global_asset_job_def().execute_in_process(
        run_config={"loggers": {"progress": {}}}, instance=dg.DagsterInstance.ephemeral()
    )
    out = capsys.readouterr().out
    assert result.success
    assert "check passed: 3 expectations met" in out


def test_summary_line_counts_assets_checks_and_time(capsys):
    result, _, _ = _run(capsys)
    line = summary(result, 12.34)
    assert line == "1 assets built, 0 of 1 checks passed, 0 marts published, in 12.3 s."
