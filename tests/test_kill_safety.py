"""Killing a refresh (SIGKILL) at any moment never damages the publication.

Only the publish step writes to the publication, so most kills aim at it: publishing is run
again and again in a separate process, killed at a random moment each time, and each time the
published database must open and hold exactly the previous publication. A few kills hit the
whole refresh at random moments, and after all of them a refresh must complete.
"""

import os
import random
import signal
import subprocess
import sys
import time

import duckdb

from tests.conftest import PROJECT_ROOT, Workspace

PUBLISH_ONLY = """
import sys
from pathlib import Path
import duckdb
from pipelines.publish import publish

work, marts = Path(sys.argv[1]), Path(sys.argv[2])
old = duckdb.connect(str(marts / "npq_observatory.duckdb"), read_only=True)
tables = [t for (t,) in old.sql("SELECT table_name FROM _publication ORDER BY 1").fetchall()]
old.close()
charts = sorted({p.name.split(".")[0] for p in (marts / "charts").iterdir()})
con = duckdb.connect(str(work / "working.duckdb"))
publish(con, tables, charts, work / "charts", marts)
"""


def _snapshot(db) -> dict[str, list[tuple]]:
    """Every published table's rows, in order (the publication time left out)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [t for (t,) in con.sql("SELECT table_name FROM _publication").fetchall()]
        out = {t: con.sql(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables}
        out["_publication"] = con.sql(
            "SELECT table_name, row_count FROM _publication ORDER BY 1"
        ).fetchall()
        return out
    finally:
        con.close()


def _start(args, workspace: Workspace) -> subprocess.Popen:
    return subprocess.Popen(
        args,
        cwd=PROJECT_ROOT,
        env=workspace.subprocess_env(),
        stdout=subprocess.DEVNULL,
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


def test_sigkill_at_random_moments_never_damages_the_publication(finished):
    killable = finished
    rng = random.Random(20240831)
    expected = _snapshot(killable.published_db)
    publish_only = [sys.executable, "-c", PUBLISH_ONLY, str(killable.work), str(killable.marts)]

    started = time.perf_counter()
    clean = _start(publish_only, killable)
    assert clean.wait() == 0, clean.stderr.read().decode()
    publish_seconds = time.perf_counter() - started

    killed = 0
    for _ in range(20):
        if _kill_after(_start(publish_only, killable), rng.uniform(0, publish_seconds)):
            killed += 1
        assert _snapshot(killable.published_db) == expected
    for _ in range(2):  # the whole refresh, killed somewhere in its run
        refresh = _start([sys.executable, "-m", "pipelines.cli", "run"], killable)
        killed += _kill_after(refresh, rng.uniform(3, 30))
        assert _snapshot(killable.published_db) == expected
    print(f"\n{killed} of 22 processes killed mid-run; one publish takes {publish_seconds:.1f} s")
    assert killed >= 15

    final = _start([sys.executable, "-m", "pipelines.cli", "run"], killable)
    assert final.wait(timeout=600) == 0, final.stderr.read().decode()[-2000:]
    assert _snapshot(killable.published_db) == expected
    leftovers = [p.name for p in killable.marts.iterdir() if p.name.startswith(".")]
    assert leftovers == []
