"""Run a long-lived Dagster command (`dg dev`, `dagster-daemon run`) so that it stops cleanly.

    python -m pipelines.serve COMMAND [ARG...]

Dagster's services start helpers (webserver, daemon, code servers) that do not all stop when
their parent is interrupted or terminated, and a process started in the background ignores
Ctrl-C. This wrapper starts COMMAND in a process group of its own with the default signal
handling, and on Ctrl-C (SIGINT), SIGTERM or SIGHUP it asks the whole group to stop (SIGINT,
as Ctrl-C would), then terminates (SIGTERM) and finally kills (SIGKILL) whatever is left of
it, so nothing outlives `make dev` or `make daemon`. When COMMAND ends by itself, any helper
it left behind is stopped the same way.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time

GRACE_SECONDS = 15.0
"""How long the group has to stop after SIGINT, and again after SIGTERM, before harsher steps."""


def _default_signals() -> None:
    # Runs in the child before exec: undo an inherited "ignore SIGINT" (background jobs).
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)


def _alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _signal_group(group: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signum)


def _wait_group(child: subprocess.Popen, group: int, seconds: float) -> bool:
    """Reap the child and wait until nothing is left in its group; True if it emptied."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        child.poll()
        if not _alive(group):
            return True
        time.sleep(0.2)
    child.poll()
    return not _alive(group)


def stop_group(child: subprocess.Popen, grace: float = GRACE_SECONDS) -> None:
    """SIGINT the child's group, then SIGTERM, then SIGKILL, until no process of it is left."""
    group = child.pid
    for signum in (signal.SIGINT, signal.SIGTERM):
        _signal_group(group, signum)
        if _wait_group(child, group, grace):
            return
        print(
            f"serve: processes of `{child.args[0]}` still running after "
            f"{signal.Signals(signum).name}; escalating",
            file=sys.stderr,
            flush=True,
        )
    _signal_group(group, signal.SIGKILL)
    _wait_group(child, group, grace)


def serve(command: list[str], grace: float = GRACE_SECONDS) -> int:
    child = subprocess.Popen(command, start_new_session=True, preexec_fn=_default_signals)
    received: list[int] = []

    def stop(signum, _frame) -> None:
        received.append(signum)

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, stop)
    while child.poll() is None and not received:
        time.sleep(0.2)
    if received:
        print(
            f"serve: {signal.Signals(received[0]).name} received; stopping `{command[0]}` "
            "and everything it started",
            file=sys.stderr,
            flush=True,
        )
    stop_group(child, grace)
    if received:
        return 128 + received[0]
    return child.returncode or 0


def main(argv: list[str] | None = None) -> int:
    command = list(sys.argv[1:] if argv is None else argv)
    if not command:
        print(__doc__, file=sys.stderr)
        return 2
    return serve(command)


if __name__ == "__main__":
    sys.exit(main())
