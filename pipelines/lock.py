"""One refresh at a time: an exclusive lock on the working area.

Every entry point that writes (the command line's `run`, `records` and `charts`, `make run`,
and every Dagster run, through the working-database resources) takes `refresh.lock` in the
working folder with `fcntl.flock` before it writes anything. A second refresh is told who holds
the lock (pid, command, since when) and stops, or waits when asked to. The operating system
drops the lock when its holder exits, however it exits (a SIGKILL included), so a killed
refresh never leaves a stale lock behind.

Within one process the lock is re-entrant: the command line takes it, then runs Dagster in the
same process, whose resources take it again.
"""

import fcntl
import json
import os
import shlex
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

LOCK_NAME = "refresh.lock"
POLL_SECONDS = 0.2

_held: dict[Path, int] = {}  # lock file -> how many times this process holds it
_guard = threading.Lock()


class RefreshLocked(RuntimeError):
    """Another refresh holds the lock on the working area."""


def _holder(lock_file: Path) -> str:
    """Who holds the lock, as its holder wrote it down."""
    for _ in range(10):  # the holder writes its details just after taking the lock
        try:
            text = lock_file.read_text(encoding="utf-8").strip()
        except OSError:
            text = ""
        if text:
            try:
                who = json.loads(text)
                return f"pid {who['pid']} (`{who['command']}`) since {who['since']}"
            except (ValueError, KeyError, TypeError):
                break
        time.sleep(0.05)
    return "a process that did not say who it is"


@contextmanager
def refresh_lock(work_dir: Path, *, wait: float = 0.0) -> Iterator[Path]:
    """Hold the exclusive refresh lock on `work_dir` for the duration of the block.

    `wait` is how many seconds to wait for another holder to finish (0: do not wait;
    `float("inf")`: as long as it takes). Raises RefreshLocked naming the holder otherwise.
    """
    work_dir.mkdir(parents=True, exist_ok=True)
    lock_file = (work_dir / LOCK_NAME).resolve()
    with _guard:
        if _held.get(lock_file):
            _held[lock_file] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield lock_file
        finally:
            with _guard:
                _held[lock_file] -= 1
        return

    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _acquire(fd, lock_file, wait)
        since = datetime.now(UTC).isoformat(timespec="seconds")
        who = {"pid": os.getpid(), "command": shlex.join(sys.argv) or "python", "since": since}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(who) + "\n").encode(), 0)
        with _guard:
            _held[lock_file] = 1
        try:
            yield lock_file
        finally:
            with _guard:
                _held.pop(lock_file, None)
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _acquire(fd: int, lock_file: Path, wait: float) -> None:
    deadline = time.monotonic() + wait
    told = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            holder = _holder(lock_file)
            if time.monotonic() >= deadline:
                raise RefreshLocked(
                    f"another refresh holds the lock {lock_file}: {holder}. Wait for it to "
                    "finish, or run again with --wait to queue behind it."
                ) from None
            if not told:
                print(
                    f"waiting for the refresh lock {lock_file}, held by {holder}", file=sys.stderr
                )
                told = True
            time.sleep(min(POLL_SECONDS, max(deadline - time.monotonic(), 0)))


class LockedDuckDBResource(DuckDBResource):
    """The working database, opened only while this run holds the refresh lock.

    The lock is taken when the run's resources are set up, before any step runs, and released
    when the run ends: a Dagster run (launched from the UI, a schedule or a sensor) and a
    command-line refresh never write the working area at the same time. `lock_wait_seconds`
    says how long a run waits for another refresh (default: not at all)."""

    lock_wait_seconds: float = 0.0

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator["DuckDBResource"]:
        with (
            refresh_lock(Path(self.database).parent, wait=self.lock_wait_seconds),
            super().yield_for_execution(context) as resource,
        ):
            yield resource
