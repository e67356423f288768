"""One refresh at a time: every entry point takes an exclusive lock on the working area.

A second refresh (command line or Dagster run) says who holds the lock (pid, command, since
when) and stops with a non-zero status, or waits for it when asked to.
"""

import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from pipelines.defs.raw.ees import raw_asset
from pipelines.defs.resources import project_resources
from pipelines.lock import LOCK_NAME, RefreshLocked, refresh_lock
from pipelines.sources import NPQ_WORKFORCE
from tests.conftest import PROJECT_ROOT, Workspace

HOLDER = """
import sys, time
from pathlib import Path
from pipelines.lock import refresh_lock
with refresh_lock(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


class Holder:
    """Another process holding the lock on `work` for `seconds`."""

    def __init__(self, work: Path, seconds: float) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(work), str(seconds)],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout.readline().strip() == "held"

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()


@pytest.fixture
def holder(tmp_path):
    work = tmp_path / "work"
    holding = Holder(work, 600)
    yield holding
    holding.stop()


def test_second_holder_is_told_who_holds_the_lock(tmp_path, holder):
    with pytest.raises(RefreshLocked) as caught, refresh_lock(tmp_path / "work"):
        pass
    message = str(caught.value)
    assert f"pid {holder.pid}" in message
    assert "-c" in message  # the holder's command line
    assert "since 20" in message  # when it took the lock (ISO time)
    assert str(tmp_path / "work" / LOCK_NAME) in message
    assert "--wait" in message


def test_waiting_takes_the_lock_once_it_is_released(tmp_path):
    work = tmp_path / "work"
    Holder(work, 1.5)
    started = time.monotonic()
    with refresh_lock(work, wait=30):
        waited = time.monotonic() - started
    assert waited > 0.5
    with refresh_lock(work):  # released again
        pass


def test_waiting_gives_up_after_the_time_asked(tmp_path, holder):
    started = time.monotonic()
    with (
        pytest.raises(RefreshLocked, match=f"pid {holder.pid}"),
        refresh_lock(tmp_path / "work", wait=1),
    ):
        pass
    assert 0.9 < time.monotonic() - started < 10


def test_lock_is_reentrant_within_one_process(tmp_path):
    with refresh_lock(tmp_path / "work"), refresh_lock(tmp_path / "work"):
        pass
    with refresh_lock(tmp_path / "work"):
        pass


def _cli(workspace: Workspace, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *args],
        cwd=PROJECT_ROOT,
        env=workspace.subprocess_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.parametrize("command", ["run", "records", "charts"])
def test_command_line_refresh_refuses_while_another_holds_the_lock(tmp_path, holder, command):
    workspace = Workspace(tmp_path)
    done = _cli(workspace, command)
    assert done.returncode != 0
    assert f"pid {holder.pid}" in done.stderr and "holds the lock" in done.stderr
    assert "Traceback" not in done.stderr
    assert not workspace.marts.exists()  # nothing written


def test_command_line_waits_when_asked(tmp_path):
    workspace = Workspace(tmp_path)
    holder = Holder(workspace.work, 600)
    waiting = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "charts", "--wait"],
        cwd=PROJECT_ROOT,
        env=workspace.subprocess_env(),
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = waiting.stderr.readline()
        assert "waiting for the refresh lock" in first and f"pid {holder.pid}" in first
        time.sleep(1)
        assert waiting.poll() is None  # still waiting while the lock is held
    finally:
        holder.stop()
    assert waiting.wait(timeout=120) == 1
    # Once it has the lock, `charts` goes on and stops with its own message (no publication).
    assert "there is no publication" in waiting.stderr.read()


def test_dagster_run_refuses_while_another_holds_the_lock(tmp_path, holder):
    raw = Workspace(tmp_path).raw
    resources = project_resources(raw, tmp_path / "work", tmp_path / "marts")
    result = dg.materialize([raw_asset(NPQ_WORKFORCE)], resources=resources, raise_on_error=False)
    assert not result.success
    messages = " ".join(
        (e.event_specific_data.error.cause or e.event_specific_data.error).message
        for e in result.all_events
        if e.is_failure and getattr(e.event_specific_data, "error", None)
    )
    assert f"pid {holder.pid}" in messages
    holder.stop()
    result = dg.materialize([raw_asset(NPQ_WORKFORCE)], resources=resources, raise_on_error=False)
    assert result.success
