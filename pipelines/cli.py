"""Command line for people without the Dagster UI.

    python -m pipelines.cli run      rebuild everything from data/raw/ and publish
                      [--question takeup|representation|pilots]  only one question's assets
    python -m pipelines.cli records  build the marts from record-level files (new years only)
                      [--full]       restage every year
    python -m pipelines.cli charts   redraw the chart pack from the published marts
    python -m pipelines.cli fetch    download new releases of registered data sets into data/raw/
    python -m pipelines.cli gate F   screen EES files (or DfE's screener corpus) with the gate
    python -m pipelines.cli status   last publication, its inputs, what is synthetic or stale
    python -m pipelines.cli check DATA_SET FILE...
                                     would these files be accepted as releases of DATA_SET?
    python -m pipelines.cli plan     minimum detectable effect size of a planned pilot trial

`run`, `records` and `charts` hold an exclusive lock on the working area (pipelines/lock.py):
while another refresh holds it they say who (pid, command, since when) and exit with status 4,
or wait for it with `--wait [SECONDS]`.

Exit status 0 on success; on failure, one clear message per problem and status 1 (`status`
exits 3 when data/raw/ has changed since the publication, and a refresh exits 4 when another
holds the lock; 2 is a wrong command line). `python -m pipelines.cli COMMAND --help` explains
each command's arguments with examples.
"""

import argparse
import os
import sys
import tempfile
import textwrap
import time
import traceback
from pathlib import Path

import dagster as dg

from pipelines import paths
from pipelines.lock import RefreshLocked
from pipelines.warehouse import qualified

# Commands that write the working area or the publication: one at a time (pipelines/lock.py).
LOCKED = ("run", "records", "charts")


def _instance() -> dg.DagsterInstance:
    # A configured DAGSTER_HOME keeps run history for the UI; otherwise runs are throwaway.
    if os.environ.get("DAGSTER_HOME"):
        return dg.DagsterInstance.get()
    return dg.DagsterInstance.ephemeral()


# Marts and charts of each question, by name prefix; `run --question` rebuilds them, what they
# read, and the publication (the other questions' marts are republished as they were).
QUESTIONS = {
    "takeup": ("npq_", "dim_npq_", "release_changes"),
    "representation": ("rep_",),
    "pilots": ("pilot_",),
}


def question_selection(definitions: dg.Definitions, question: str) -> list[dg.AssetKey]:
    graph = definitions.resolve_asset_graph()
    own = [
        key
        for key in graph.get_all_asset_keys()
        if key.path[0] in ("marts", "charts") and key.path[-1].startswith(QUESTIONS[question])
    ]
    selection = dg.AssetSelection.assets(*own).upstream() | dg.AssetSelection.assets(
        dg.AssetKey(["publish", "npq_observatory"])
    )
    return sorted(selection.resolve(graph), key=lambda k: k.to_user_string())


def _run_config(log_level: str) -> dict:
    """Console logging at `log_level`, and live step progress (pipelines/progress.py)."""
    return {"loggers": {"console": {"config": {"log_level": log_level}}, "progress": {}}}


def run(log_level: str, question: str | None = None) -> int:
    from pipelines.definitions import defs

    started = time.perf_counter()
    definitions = defs()
    job = definitions.resolve_job_def("refresh_all")
    selection = question_selection(definitions, question) if question else None
    with _instance() as instance:
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config=_run_config(log_level),
            asset_selection=selection,
        )
    _report_failures(result)
    from pipelines.progress import summary

    line = summary(result, time.perf_counter() - started)
    if not result.success:
        print(
            f"Refresh FAILED: {line} The last good publication in {paths.marts_dir()} is "
            "unchanged.",
            file=sys.stderr,
        )
        return 1
    marts = paths.marts_dir()
    print(f"Refresh complete: {line}")
    print(f"  published database: {marts / paths.PUBLISHED_DB_NAME}")
    print(f"  exports (Parquet, CSV): {marts / 'exports'}")
    print(f"  chart pack: {marts / 'charts'}")
    return 0


def _report_failures(result: dg.ExecuteInProcessResult) -> None:
    # Steps were reported as they finished (pipelines/progress.py); failures again, in full.
    for event in result.all_events:
        if event.event_type == dg.DagsterEventType.STEP_FAILURE:
            error = event.event_specific_data.error
            message = error.cause.message if error.cause else error.message
            print(f"  FAILED  {event.step_key}: {message.strip()}", file=sys.stderr)
    for evaluation in result.get_asset_check_evaluations():
        if not evaluation.passed:
            print(
                f"  CHECK FAILED  {evaluation.asset_key.to_user_string()} "
                f"{evaluation.check_name}: {evaluation.description}",
                file=sys.stderr,
            )


def charts(log_level: str) -> int:
    """Redraw every chart from the published marts and swap in the new chart pack.

    The charts read a scratch copy of the published database, so the pack always shows the
    marts that passed their checks and were published, whatever is in the working area; the
    published database itself is not touched.
    """
    import duckdb

    from pipelines.publish import publish_charts

    published, marts = paths.published_db_path(), paths.marts_dir()
    if not published.exists():
        print(
            f"charts failed: there is no publication at {published}; run "
            "`python -m pipelines.cli run` (or `make run`) first.",
            file=sys.stderr,
        )
        return 1
    started = time.perf_counter()
    paths.work_dir().mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="charts-", dir=paths.work_dir()) as scratch:
        _copy_published_marts(duckdb, published, Path(scratch) / paths.WORKING_DB_NAME)
        saved = os.environ.get("NPQ_WORK_DIR")
        os.environ["NPQ_WORK_DIR"] = scratch  # the chart assets read and draw here
        try:
            from pipelines.definitions import defs
            from pipelines.defs.publish.npq_observatory import CHARTS

            definitions = defs()
            selection = [dg.AssetKey(["charts", name]) for name in CHARTS]
            with _instance() as instance:
                result = definitions.resolve_job_def("refresh_all").execute_in_process(
                    instance=instance,
                    raise_on_error=False,
                    asset_selection=selection,
                    run_config=_run_config(log_level),
                )
        finally:
            if saved is None:
                os.environ.pop("NPQ_WORK_DIR", None)
            else:
                os.environ["NPQ_WORK_DIR"] = saved
        _report_failures(result)
        if not result.success:
            print(f"Chart pack not rebuilt; {marts / 'charts'} is unchanged.", file=sys.stderr)
            return 1
        pack = publish_charts(CHARTS, Path(scratch) / "charts", marts)
    print(f"Chart pack redrawn from {published} in {time.perf_counter() - started:.1f} s: {pack}")
    return 0


def records(log_level: str, full: bool = False) -> int:
    """Stage the academic years whose record-level files are new or changed (all with
    `full`), rebuild the record-level marts and publish them after disclosure control."""
    import duckdb

    from pipelines.records import inputs

    started = time.perf_counter()
    folder = inputs.resolve(paths.records_dir(), paths.work_dir())
    current = inputs.fingerprints(folder)
    database = paths.work_dir() / paths.RECORDS_DB_NAME
    staged: dict[str, str] = {}
    if database.exists() and not full:
        with duckdb.connect(str(database), read_only=True) as con:
            known = con.sql(
                "SELECT count(*) FROM duckdb_tables() "
                "WHERE schema_name = 'staging' AND table_name = 'rec_years'"
            ).fetchall()[0][0]
            if known:
                rows = con.sql("SELECT time_period, fingerprint FROM staging.rec_years").fetchall()
                staged = {str(year): fingerprint for year, fingerprint in rows}
    changed = sorted(
        {y for y, f in current.items() if staged.get(y) != f} | (set(staged) - set(current))
    )
    from pipelines.defs.records.assets import RECORD_YEARS, record_definitions

    # Only the record-level definitions: loading the whole code location (charts, pilots)
    # would cost seconds this job never uses.
    definitions = record_definitions()
    job = definitions.resolve_job_def("refresh_records")
    graph = definitions.resolve_asset_graph()
    selection = [
        key
        for key in dg.AssetSelection.groups("records").resolve(graph)
        if changed or key != dg.AssetKey(["staging", "rec_record_years"])
    ]
    tags = (
        {
            "dagster/asset_partition_range_start": changed[0],
            "dagster/asset_partition_range_end": changed[-1],
        }
        if changed
        else {}
    )
    print(
        f"Records in {folder} ({inputs.provenance(folder)}): {len(current)} academic years; "
        f"staging {len(changed)}: {', '.join(changed) or 'none (nothing changed)'}"
    )
    with _instance() as instance:
        known_keys = set(instance.get_dynamic_partitions(RECORD_YEARS.name))
        instance.add_dynamic_partitions(
            RECORD_YEARS.name,
            [y for y in sorted(set(current) | set(staged)) if y not in known_keys],
        )
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            asset_selection=selection,
            tags=tags,
            run_config=_run_config(log_level),
        )
    _report_failures(result)
    elapsed = time.perf_counter() - started
    if not result.success:
        print(
            f"Record-level refresh failed after {elapsed:.1f} s; the last publication in "
            f"{paths.marts_dir() / 'records'} is unchanged.",
            file=sys.stderr,
        )
        return 1
    print(f"Record-level refresh complete in {elapsed:.1f} s: {paths.marts_dir() / 'records'}")
    return 0


def _copy_published_marts(duckdb, published: Path, target: Path) -> None:
    """The published tables as schema `marts` of a new database, where chart assets look."""
    with duckdb.connect(str(target)) as con:
        con.execute("ATTACH ? AS pub (READ_ONLY)", [str(published)])
        con.execute("CREATE SCHEMA marts")
        tables = con.sql(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'pub' "
            "AND NOT starts_with(table_name, '_')"
        ).fetchall()
        for (table,) in tables:
            name = qualified("marts", table)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM {qualified('pub', table)}")


def fetch(names: list[str] | None) -> int:
    from pipelines.errors import InputError
    from pipelines.fetch import FetchError, fetch_all, http_session

    try:
        results = fetch_all(paths.raw_dir(), http_session(), names)
    except (FetchError, InputError) as err:
        print(f"Fetch failed: {err}", file=sys.stderr)
        return 1
    for name, result in results:
        print(f"  {result.status:<9} {name}: {result.release_dir}")
    if any(r.status == "new" for _, r in results):
        print("New releases stored; run `make run` to rebuild the marts from them.")
    return 0


def status() -> int:
    from pipelines.status import status_report

    report, up_to_date = status_report(paths.marts_dir(), paths.raw_dir())
    print(report)
    return 0 if up_to_date else 3


def check(source: str, files: list[str]) -> int:
    from pipelines.check import check_file
    from pipelines.gate import ERROR

    failed = False
    for file in files:
        findings = check_file(source, file)
        for finding in findings:
            print(finding.describe(), file=sys.stderr if finding.severity == ERROR else sys.stdout)
        failed |= any(f.severity == ERROR for f in findings)
        if not any(f.severity == ERROR for f in findings):
            print(f"OK {file}: accepted as a release of {source}")
    return 1 if failed else 0


PLAN_EXAMPLE = """examples:
  python -m pipelines.cli plan --units 40 --cluster-size 25 --icc 0.15 --r2 0.5 --attrition 0.1
      MDES of 40 schools of 25 pupils, pre-test explaining half the variance, 10% of pupils lost
  python -m pipelines.cli plan --units 400 --r2 0.3 --target 0.2
      MDES of 400 randomised participants, and the participants needed for an MDES of 0.2"""


def _add_plan_parser(commands) -> None:
    plan_parser = commands.add_parser(
        "plan",
        help="minimum detectable effect size (MDES) of a planned trial, and the sample needed",
        description="Minimum detectable effect size (SD units; 80%% power, 5%% two-sided by "
        "default) of a participant-randomised trial, or of a cluster-randomised one when "
        "--cluster-size is given (PowerUp! CRA2_2r; pipelines/stats/power.py), after "
        "attrition; with --target, also the fewest units to randomise for that MDES.",
        epilog=PLAN_EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    plan_parser.add_argument(
        "--units", type=int, required=True,
        help="participants randomised, or clusters (schools) randomised with --cluster-size",
    )  # fmt: skip
    plan_parser.add_argument(
        "--cluster-size",
        type=float,
        help="mean participants (pupils) per cluster, before attrition",
    )
    plan_parser.add_argument(
        "--icc", type=float, default=0.0,
        help="share of outcome variance between clusters (cluster trials; default 0)",
    )  # fmt: skip
    plan_parser.add_argument(
        "--r2", type=float, default=0.0,
        help="share of (within-cluster) outcome variance explained by covariates (default 0)",
    )  # fmt: skip
    plan_parser.add_argument(
        "--r2-between", type=float,
        help="share of between-cluster variance explained by covariates (default: --r2)",
    )  # fmt: skip
    plan_parser.add_argument(
        "--attrition", type=float, default=0.0,
        help="share of participants lost between randomisation and analysis (default 0)",
    )  # fmt: skip
    plan_parser.add_argument(
        "--p-treated", type=float, default=0.5, help="share of units allocated to treatment"
    )
    plan_parser.add_argument(
        "--cluster-covariates", type=int, default=0,
        help="cluster-level covariates in the model (each costs a degree of freedom)",
    )  # fmt: skip
    plan_parser.add_argument("--power", type=float, default=0.8, help="power (default 0.8)")
    plan_parser.add_argument(
        "--alpha", type=float, default=0.05, help="two-sided significance level (default 0.05)"
    )
    plan_parser.add_argument(
        "--target", type=float, help="a target MDES: report the fewest units needed for it"
    )


def plan(args: argparse.Namespace) -> int:
    from pipelines.stats.power import plan_mdes, units_for_mdes

    design = {
        "cluster_size": args.cluster_size,
        "icc": args.icc,
        "r2": args.r2,
        "r2_between": args.r2_between,
        "attrition": args.attrition,
        "p_treated": args.p_treated,
        "n_cluster_covariates": args.cluster_covariates,
        "alpha": args.alpha,
        "power": args.power,
    }
    unit = "participants" if args.cluster_size is None else "clusters"
    mdes = plan_mdes(args.units, **design)
    print(f"MDES {mdes:.3f} SD with {args.units} {unit} randomised")
    if args.target is not None:
        needed = units_for_mdes(args.target, **design)
        extra = "" if args.cluster_size is None else f" ({needed * args.cluster_size:g} pupils)"
        print(f"{needed} {unit} randomised{extra} for an MDES of {args.target:g}")
    return 0


EXIT_STATUSES = """exit status:
  0  success
  1  failure: one clear message per problem (the last publication is left in place)
  2  the command line itself is wrong (unknown command or argument)
  3  status: data/raw/ has changed since the publication (a refresh is due)
  4  run, records, charts: another refresh holds the lock (see --wait)"""


def _examples(*pairs: tuple[str, str]) -> str:
    return "examples:\n" + "\n".join(
        f"  python -m pipelines.cli {command}\n      {what}" for command, what in pairs
    )


def _check_epilog() -> str:
    from pipelines.check import PILOTS
    from pipelines.sources import SOURCES

    names = sorted([*SOURCES, PILOTS])
    return (
        "registered data sets:\n"
        + "\n".join(f"  {name}" for name in names)
        + "\n\n"
        + _examples(
            (
                "check npq_participants new/npq_participants.csv",
                "would this file be accepted as a release of npq_participants?",
            ),
            ("check pilots data/raw/pilots/P1/2025-26/*.csv", "check an evaluator's files"),
        )
    )


def _command(commands, name: str, summary: str, description: str, epilog: str):
    return commands.add_parser(
        name,
        help=summary,
        description=textwrap.fill(description, 88),
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.cli",
        description=__doc__.split("\n")[0],
        epilog=EXIT_STATUSES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    log_level = {"default": "WARNING", "help": "Dagster console log level (default WARNING)"}
    run_parser = _command(
        commands,
        "run",
        "rebuild every asset and publish",
        "Rebuild every asset from data/raw/ (raw, staging, marts, charts), run every "
        "expectation suite, and publish the marts, exports and chart pack together. Prints "
        "one line per step, a summary line, and where it published; a failure leaves the "
        "last publication in place.",
        _examples(
            ("run", "rebuild everything (what `make run` does)"),
            ("run --question pilots", "rebuild the pilot marts and charts only, then republish"),
        ),
    )
    run_parser.add_argument("--log-level", **log_level)
    run_parser.add_argument(
        "--question",
        choices=sorted(QUESTIONS),
        help="rebuild one question's marts and charts (and what they read), then republish",
    )
    charts_parser = _command(
        commands,
        "charts",
        "redraw the chart pack from the published marts",
        "Redraw every chart from the published database alone (after a change of chart code "
        "or style) and swap the new pack in; the database is not touched.",
        _examples(("charts", "redraw the chart pack of the current publication")),
    )
    charts_parser.add_argument("--log-level", **log_level)
    records_parser = _command(
        commands,
        "records",
        "build the marts from record-level files (new or changed years only)",
        "Stage the academic years whose record-level files (data/raw/records/, or "
        "NPQ_RECORDS_DIR) are new or changed, rebuild the record-level marts and publish them "
        "after disclosure control. With no files, synthetic records are generated.",
        _examples(
            ("records", "stage new or changed years only"),
            ("records --full", "restage every year"),
        ),
    )
    records_parser.add_argument("--full", action="store_true", help="restage every year")
    records_parser.add_argument("--log-level", **log_level)
    fetch_parser = _command(
        commands,
        "fetch",
        "download new releases into data/raw/",
        "Download the latest release of registered data sets; a release already stored "
        "(same sha256) is not stored again, a new one becomes a new folder in data/raw/.",
        _examples(
            ("fetch", "every registered data set"),
            ("fetch npq_participants", "one data set"),
        ),
    )
    fetch_parser.add_argument("names", nargs="*", help="data sets to fetch (default: all)")
    gate_parser = _command(
        commands,
        "gate",
        "screen EES files with the ingest gate",
        "Check files against the consumer-relevant rules of the EES open-data standard; on "
        "DfE's screener corpus, print pass and reject rates per rule.",
        _examples(
            ("gate data/raw/ees/npq_completions/2024-25", "screen a release folder"),
            ("gate some.csv", "screen one file"),
        ),
    )
    gate_parser.add_argument("targets", nargs="+", help="a screener corpus folder, or files")
    check_parser = _command(
        commands,
        "check",
        "would these files be accepted as releases of a data set?",
        "Read each file as a release of DATA_SET with the pipeline's own readers and checks, "
        "and print every problem with its file, row and column (nothing is stored).",
        _check_epilog(),
    )
    check_parser.add_argument(
        "data_set", help="the registered data set they are releases of (listed below)"
    )
    check_parser.add_argument("files", nargs="+", help="CSV files")
    _command(
        commands,
        "status",
        "last publication, its inputs, which are synthetic, what is stale",
        "The last publication, every input it read (its release and whether it is published "
        "or synthetic), and which data sets have changed in data/raw/ since. Exits 3 when "
        "something is stale.",
        _examples(("status", "what is published and whether a refresh is due")),
    )
    _add_plan_parser(commands)
    for writer in (run_parser, charts_parser, records_parser):
        writer.add_argument(
            "--wait",
            nargs="?",
            type=float,
            const=float("inf"),
            default=0.0,
            metavar="SECONDS",
            help="if another refresh holds the lock, wait for it (at most SECONDS)",
        )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command in LOCKED:
            from pipelines.lock import refresh_lock

            with refresh_lock(paths.work_dir(), wait=args.wait):
                return _dispatch(args)
        return _dispatch(args)
    except RefreshLocked as err:
        print(f"{args.command} refused: {err}", file=sys.stderr)
        return 4
    except (ValueError, OSError) as err:
        # A problem the user can act on: one line, no traceback.
        print(f"{args.command} failed: {err}", file=sys.stderr)
        return 1


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "status":
        return status()
    if args.command == "check":
        return check(args.data_set, args.files)
    if args.command == "gate":
        from pipelines import gate

        return gate.main(args.targets)
    if args.command == "run":
        return run(args.log_level, args.question)
    if args.command == "fetch":
        return fetch(args.names or None)
    if args.command == "charts":
        return charts(args.log_level)
    if args.command == "records":
        return records(args.log_level, args.full)
    if args.command == "plan":
        return plan(args)
    return 2


def _leave(code: int) -> None:
    """Exit without the interpreter's final teardown.

    Every DuckDB connection is closed by then (each is opened in a `with` block), but with
    Great Expectations loaded, DuckDB's module-level type objects outlive the teardown of its
    bindings, which then prints dozens of "nanobind: leaked ..." lines after the result.
    Logs and output are flushed first; nothing else runs at exit in this command.
    """
    import logging

    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    try:
        status = main()
    except Exception:
        traceback.print_exc()
        status = 1
    _leave(status)
