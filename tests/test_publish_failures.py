"""Disk full or permission denied while publishing: a clear error, nothing half-written, and
the previous publication unchanged."""

import errno
import hashlib
import shutil

import duckdb
import pytest

import pipelines.publish as publishing
from pipelines.publish import PublishError, publish


def _digest(folder):
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def previous(published, tmp_path):
    """A copy of a good publication and of the working database it came from."""
    marts = tmp_path / "marts"
    shutil.copytree(published.marts, marts)
    work = tmp_path / "work"
    shutil.copytree(published.work, work)
    con = duckdb.connect(str(work / "working.duckdb"))
    tables = [
        t
        for (t,) in duckdb.connect(str(marts / "npq_observatory.duckdb"), read_only=True)
        .sql("SELECT table_name FROM _publication")
        .fetchall()
    ]
    charts = sorted({p.name.split(".")[0] for p in (marts / "charts").iterdir()})
    yield con, tables, charts, work / "charts", marts
    con.close()


@pytest.mark.parametrize(
    ("step", "error"),
    [
        ("_build_database", OSError(errno.ENOSPC, "No space left on device")),
        ("_write_exports", OSError(errno.ENOSPC, "No space left on device")),
        ("_copy_charts", PermissionError(errno.EACCES, "Permission denied")),
        ("_write_exports", duckdb.IOException("IO Error: No space left on device")),
    ],
    ids=["disk full in database", "disk full in exports", "permission denied", "duckdb io"],
)
def test_failed_write_leaves_previous_publication(previous, monkeypatch, step, error):
    con, tables, charts, drafts, marts = previous
    before = _digest(marts)
    real = getattr(publishing, step)

    def fail_midway(*args, **kwargs):
        real(*args, **kwargs)  # the step writes what it can, then the disk fills up
        raise error

    monkeypatch.setattr(publishing, step, fail_midway)
    with pytest.raises(PublishError) as caught:
        publish(con, tables, charts, drafts, marts)
    message = str(caught.value)
    assert str(marts) in message and "previous publication is unchanged" in message
    assert ("No space left" in message) or ("Permission denied" in message)
    assert _digest(marts) == before  # nothing half-written, nothing lost
    assert sorted(p.name for p in marts.iterdir()) == [
        "charts",
        "exports",
        "npq_observatory.duckdb",
    ]

    monkeypatch.setattr(publishing, step, real)
    publish(con, tables, charts, drafts, marts)  # the next attempt succeeds
    assert sorted(p.name for p in marts.iterdir()) == [
        "charts",
        "exports",
        "npq_observatory.duckdb",
    ]


def test_output_folder_that_cannot_be_created_is_a_clear_error(previous, tmp_path):
    con, tables, charts, drafts, _ = previous
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where the output folder should be")
    with pytest.raises(PublishError, match="could not write the publication in"):
        publish(con, tables, charts, drafts, blocker / "marts")
    assert blocker.read_text() == "a file where the output folder should be"
