"""Progress on the command line: a line per finished step, as it finishes, and a summary.

Each line says which step it is of how many ("step 12 of 140"), the time since the run
started and the step's name (an asset key, `layer/name`); an expectation-suite step says
whether its check passed and, when it failed, which expectations failed. `summary(result)`
is the closing line: assets built, checks passed, marts published, time.
"""

import ast
import logging
import sys
import time

import dagster as dg


def step_name(step_key: str) -> str:
    """`marts__npq_takeup_by_year` -> `marts/npq_takeup_by_year`."""
    return step_key.replace("__", "/")


def check_line(evaluation) -> str:
    """`check passed` or `check FAILED`, with what the check says (its description)."""
    verdict = "check passed" if evaluation.passed else "check FAILED"
    return f"{verdict}: {evaluation.description}" if evaluation.description else verdict


def failed_expectations(evaluation) -> list[str]:
    """The failing expectations of a failed check, one per line (from its metadata)."""
    failures = evaluation.metadata.get("failures")
    text = getattr(failures, "value", None) or getattr(failures, "md_str", None) or ""
    return [line.removeprefix("- ") for line in str(text).splitlines() if line.strip()]


class _StepLines(logging.Handler):
    def __init__(self, stream=None) -> None:
        super().__init__()
        self.started = time.perf_counter()
        self.total: int | None = None
        self.finished = 0
        self.checks: dict[str, object] = {}  # step key -> its check evaluation
        self.stream = stream

    def _print(self, text: str, error: bool = False) -> None:
        stream = self.stream or (sys.stderr if error else sys.stdout)
        print(text, file=stream, flush=True)

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        if event is None:
            # A step whose upstream failed is not run: Dagster says so in a plain message.
            if meta.get("step_key") and "Not executing" in (meta.get("orig_message") or ""):
                self._step(meta["step_key"], "STEP_SKIPPED")
            return
        kind = event.event_type_value
        if kind == "ENGINE_EVENT" and self.total is None:
            keys = (event.event_specific_data.metadata or {}).get("step_keys")
            if keys is not None:
                self.total = len(ast.literal_eval(keys.value))
        elif kind == "ASSET_CHECK_EVALUATION":
            self.checks[event.step_key] = event.event_specific_data
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED"):
            self._step(event.step_key, kind)

    def _step(self, step_key: str, kind: str) -> None:
        self.finished += 1
        of = f" of {self.total}" if self.total else ""
        elapsed = time.perf_counter() - self.started
        head = f"  step {self.finished:>3}{of}  {elapsed:6.1f} s  "
        name = step_name(step_key)
        evaluation = self.checks.pop(step_key, None)
        if kind == "STEP_SKIPPED":
            self._print(f"{head}skipped  {name} (an upstream step failed)")
            return
        ok = kind == "STEP_SUCCESS"
        if evaluation is None:
            self._print(f"{head}{'done  ' if ok else 'FAILED'}   {name}", error=not ok)
            return
        ok = ok and evaluation.passed
        line = f"{head}{'done  ' if ok else 'FAILED'}   {name}: {check_line(evaluation)}"
        self._print(line, error=not ok)
        for expectation in [] if evaluation.passed else failed_expectations(evaluation):
            self._print(f"      failed expectation: {expectation}", error=True)


@dg.logger(description="Prints one line per finished step (used by `python -m pipelines.cli`).")
def progress_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    # Dagster may build a run's loggers more than once; one handler per run keeps the count.
    log = logging.getLogger(f"npq_observatory.progress.{init_context.run_id}")
    log.setLevel(logging.DEBUG)
    log.propagate = False
    if not log.handlers:
        log.handlers = [_StepLines()]
    return log


def summary(result: dg.ExecuteInProcessResult, elapsed: float) -> str:
    """Assets built, checks passed (of run), marts published, time."""
    built = {e.asset_key for e in result.get_asset_materialization_events()}
    evaluations = result.get_asset_check_evaluations()
    passed = sum(e.passed for e in evaluations)
    published = 0
    for event in result.get_asset_materialization_events():
        if event.asset_key == dg.AssetKey(["publish", "npq_observatory"]):
            tables = event.materialization.metadata.get("tables")
            tables = getattr(tables, "value", tables) or 0  # {table: rows}, or a count
            published = len(tables) if isinstance(tables, dict) else int(tables)
    return (
        f"{len(built)} assets built, {passed} of {len(evaluations)} checks passed, "
        f"{published} marts published, in {elapsed:.1f} s."
    )
