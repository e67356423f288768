"""Disk full or permission denied while publishing: a clear error, nothing half-written, and
the previous publication unchanged."""

import errno
import hashlib
import shutil

import duckdb
import pytest

import pipelines.publish as publishing
from pipelines.publish import PublishError, publish

# What a publication folder holds: stable paths, the link to the current generation, and the
# generations themselves.
LAYOUT = ["charts", "current", "exports", "generations", "npq_observatory.duckdb"]


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
    shutil.copytree(published.marts, marts, symlinks=True)
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
    assert sorted(p.name for p in marts.iterdir()) == LAYOUT
    assert len(list((marts / "generations").iterdir())) == 1

    monkeypatch.setattr(publishing, step, real)
    release = publish(con, tables, charts, drafts, marts)  # the next attempt succeeds
    assert sorted(p.name for p in marts.iterdir()) == LAYOUT
    assert (marts / "current").resolve() == release.generation
    assert len(list((marts / "generations").iterdir())) == 2  # the new one and the one before


def test_publication_from_before_generations_is_adopted_without_a_change_for_readers(
    previous, tmp_path
):
    """A folder published with real files at the stable paths (no generations yet)."""
    con, tables, charts, drafts, marts = previous
    unversioned = tmp_path / "unversioned"
    unversioned.mkdir()
    for part in ("npq_observatory.duckdb", "exports", "charts"):
        source = (marts / part).resolve()
        if source.is_dir():
            shutil.copytree(source, unversioned / part)
        else:
            shutil.copy2(source, unversioned / part)
    before = {part: _digest_part(unversioned / part) for part in ("exports", "charts")}
    publish(con, tables, charts, drafts, unversioned)
    assert sorted(p.name for p in unversioned.iterdir()) == LAYOUT
    for part in ("npq_observatory.duckdb", "exports", "charts"):
        assert (unversioned / part).is_symlink()
    # The adopted publication is kept as the previous generation, unchanged.
    [adopted] = [p for p in (unversioned / "generations").iterdir() if "unversioned" in p.name]
    assert {part: _digest_part(adopted / part) for part in ("exports", "charts")} == before
    assert _digest_part(unversioned / "exports") == before["exports"]  # same marts again


def _digest_part(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_output_folder_that_cannot_be_created_is_a_clear_error(previous, tmp_path):
    con, tables, charts, drafts, _ = previous
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where the output folder should be")
    with pytest.raises(PublishError, match="could not write the publication in"):
        publish(con, tables, charts, drafts, blocker / "marts")
    assert blocker.read_text() == "a file where the output folder should be"
