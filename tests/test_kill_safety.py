"""Killing a refresh (SIGKILL) at any moment never damages the publication.

Only the publish step writes to the publication, so most kills aim at it: publishing is run
again and again in a separate process that says when publishing begins, and is killed at a
random moment within publishing each time; each time a reader must see exactly the previous
publication (every table, every export and every chart file). A few kills hit the whole refresh
at random moments, and after all of them a refresh must complete and leave nothing behind.
(tests/test_publish_atomic.py kills publishing before each of its steps in turn.)
"""

import os
import random
import signal
import subprocess
import sys
import time

from tests.conftest import PROJECT_ROOT, Workspace
from tests.publication_view import reader_view

PUBLISH_ONLY = """
import sys
from pathlib import Path
import duckdb
from pipelines.paths import raw_dir
from pipelines.publish import publish
from pipelines.status import describe_inputs, scoreboard

work, marts = Path(sys.argv[1]), Path(sys.argv[2])
old = duckdb.connect(str(marts / "npq_observatory.duckdb"), read_only=True)
tables = [t for (t,) in old.sql("SELECT table_name FROM _publication ORDER BY 1").fetchall()]
old.close()
charts = sorted({p.name.split(".")[0] for p in (marts / "charts").iterdir()})
con = duckdb.connect(str(work / "working.duckdb"))
print("publishing", flush=True)
inputs = scoreboard(con, describe_inputs(raw_dir()), tables)  # as the publish asset does
publish(con, tables, charts, work / "charts", marts, inputs=inputs)
"""


def _start(args, workspace: Workspace) -> subprocess.Popen:
    return subprocess.Popen(
        args,
        cwd=PROJECT_ROOT,
        env=workspace.subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def _kill_after(process: subprocess.Popen, delay: float) -> bool:
    """SIGKILL the process group after `delay` s; True if it was still running."""
    try:
        process.wait(timeout=delay)
        return False
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return True


def _publishing(process: subprocess.Popen) -> float:
    """Wait until the process says publishing begins; return that moment."""
    assert process.stdout.readline().strip() == b"publishing", process.stderr.read().decode()
    return time.perf_counter()


def _leftovers(marts) -> list[str]:
    hidden = [p.name for p in marts.rglob(".*")]
    generations = sorted(p.name for p in (marts / "generations").iterdir())
    return hidden + ([f"{len(generations)} generations kept"] if len(generations) > 2 else [])


def test_sigkill_at_random_moments_never_damages_the_publication(finished):
    killable = finished
    rng = random.Random(20240831)
    expected = reader_view(killable.marts)
    assert "unreadable" not in expected
    publish_only = [sys.executable, "-c", PUBLISH_ONLY, str(killable.work), str(killable.marts)]

    durations = []
    for _ in range(2):  # the shorter of two: the first may pay for a cold disk cache
        clean = _start(publish_only, killable)
        began = _publishing(clean)
        assert clean.wait() == 0, clean.stderr.read().decode()
        durations.append(time.perf_counter() - began)
    publish_seconds = min(durations)

    killed = 0
    for _ in range(20):
        publishing = _start(publish_only, killable)
        _publishing(publishing)  # kills land within publishing, not in interpreter start-up
        if _kill_after(publishing, rng.uniform(0, 0.9 * publish_seconds)):
            killed += 1
        assert reader_view(killable.marts) == expected
    for _ in range(2):  # the whole refresh, killed somewhere in its run
        refresh = _start([sys.executable, "-m", "pipelines.cli", "run"], killable)
        killed += _kill_after(refresh, rng.uniform(3, 30))
        assert reader_view(killable.marts) == expected
    print(f"\n{killed} of 22 processes killed mid-run; one publish takes {publish_seconds:.1f} s")
    assert killed >= 15

    final = _start([sys.executable, "-m", "pipelines.cli", "run"], killable)
    assert final.wait(timeout=600) == 0, final.stderr.read().decode()[-2000:]
    assert reader_view(killable.marts) == expected
    assert _leftovers(killable.marts) == []
