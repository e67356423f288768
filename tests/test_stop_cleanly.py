"""`make dev` and `make daemon` stop cleanly: after SIGTERM (or Ctrl-C's SIGINT) to the process
group, every process they started is gone within a bound."""

import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

pytestmark = pytest.mark.slow

STOPPED_WITHIN = 45.0  # seconds after the signal
STARTUP_LIMIT = 120.0


def _children() -> dict[int, int]:
    """pid -> parent pid of every process."""
    out = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            out[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return out


def _descendants(root: int) -> set[int]:
    parents = _children()
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":  # a zombie has stopped; only its parent's reaping is pending
            alive.add(pid)
    return alive


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(target: str, tmp_path: Path, workspace) -> subprocess.Popen:
    env = {k: v for k, v in workspace.subprocess_env().items() if k != "MAKEFLAGS"}
    return subprocess.Popen(
        ["make", "-s", target, f"DAGSTER_HOME={tmp_path / 'dagster_home'}", f"PORT={_free_port()}"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, as a terminal gives a command
    )


def _wait_for(process: subprocess.Popen, marker: str) -> set[int]:
    """Wait until a descendant's command line contains `marker`; return all descendants."""
    deadline = time.monotonic() + STARTUP_LIMIT
    while time.monotonic() < deadline:
        assert process.poll() is None, "the command ended before it started its services"
        pids = _descendants(process.pid)
        for pid in pids:
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            if marker.encode() in command:
                time.sleep(5)  # let it start the helpers it starts next
                return _descendants(process.pid)
        time.sleep(1)
    os.killpg(process.pid, signal.SIGKILL)
    pytest.fail(f"no process running {marker!r} after {STARTUP_LIMIT} s")


def _stops(process: subprocess.Popen, started: set[int], signum: int) -> None:
    before = _descendants(process.pid) | started
    os.killpg(process.pid, signum)
    deadline = time.monotonic() + STOPPED_WITHIN
    while time.monotonic() < deadline and _alive(before | {process.pid}):
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=0.5)
    left = _alive(before | {process.pid})
    for pid in left:  # do not leave them running for the rest of the suite
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    assert not left, f"{len(left)} processes still running {STOPPED_WITHIN} s after the signal"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_make_daemon_stops_with_everything_it_started(signum, tmp_path, workspace):
    process = _start("daemon", tmp_path, workspace)
    started = _wait_for(process, "dagster-daemon run")
    _stops(process, started, signum)


def test_make_dev_stops_with_everything_it_started(tmp_path, workspace):
    process = _start("dev", tmp_path, workspace)
    started = _wait_for(process, "dagster._daemon run")
    _stops(process, started, signal.SIGTERM)
