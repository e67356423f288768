"""A notebook holding the published database open never blocks a refresh, and keeps its snapshot."""

import subprocess
import sys

import duckdb

from tests.conftest import PROJECT_ROOT


def test_open_reader_does_not_block_refresh(finished):
    workspace = finished  # a good publication is already in place
    reader = duckdb.connect(str(workspace.published_db), read_only=True)
    try:
        before = reader.sql("SELECT published_at FROM _publication").fetchall()
        done = subprocess.run(
            [sys.executable, "-m", "pipelines.cli", "run", "--question", "takeup"],
            cwd=PROJECT_ROOT,
            env=workspace.subprocess_env(),
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        assert "Refresh complete" in done.stdout
        # The open reader still sees its consistent snapshot of the old publication.
        assert reader.sql("SELECT published_at FROM _publication").fetchall() == before
        assert reader.sql("SELECT count(*) FROM npq_takeup_by_year").fetchall() == [(5,)]
    finally:
        reader.close()
    with duckdb.connect(str(workspace.published_db), read_only=True) as fresh:
        after = fresh.sql("SELECT published_at FROM _publication").fetchall()
        assert fresh.sql("SELECT count(*) FROM npq_takeup_by_year").fetchall() == [(5,)]
    assert after > before  # a new connection sees the new publication
