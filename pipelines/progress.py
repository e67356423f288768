"""Progress on the command line: one line per finished step, as it finishes."""

import logging
import sys
import time

import dagster as dg


class _StepLines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.started = time.perf_counter()

    def emit(self, record: logging.LogRecord) -> None:
        event = (getattr(record, "dagster_meta", None) or {}).get("dagster_event")
        if event is None:
            return
        elapsed = time.perf_counter() - self.started
        if event.event_type_value == "STEP_SUCCESS":
            print(f"  {elapsed:6.1f} s  done    {event.step_key}", flush=True)
        elif event.event_type_value == "STEP_FAILURE":
            print(f"  {elapsed:6.1f} s  FAILED  {event.step_key}", file=sys.stderr, flush=True)


@dg.logger(description="Prints one line per finished step (used by `python -m pipelines.cli`).")
def progress_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    log = logging.getLogger("npq_observatory.progress")
    log.setLevel(logging.DEBUG)
    log.propagate = False
    log.handlers = [_StepLines()]
    return log
