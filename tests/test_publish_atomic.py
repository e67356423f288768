"""Publishing is atomic as a whole: killed at any write or rename, a reader sees exactly the
previous publication or exactly the new one (database, every export, every chart file), never
parts of both; and the next publication completes and leaves nothing behind.

A driver process runs `publish` in a forked child with every file-system write or rename
(os.replace, os.rename, os.symlink, os.mkdir, os.unlink, os.rmdir, shutil copies and removals)
and every DuckDB write statement counted; the child SIGKILLs itself before step k: for every k
from where the new generation is renamed into place to the end, and for a regular sample of
the writes that build it before.
"""

import json
import shutil
import subprocess
import sys

import duckdb
import pytest

from tests.conftest import PROJECT_ROOT
from tests.publication_view import reader_view

DRIVER = r"""
import json, os, shutil, signal, sys
from pathlib import Path

import duckdb
import pipelines.publish as publishing

work, pristine, trial = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
tables, charts = json.loads(sys.argv[4]), json.loads(sys.argv[5])


class Counted:
    # The working connection, with each write statement counted as a step.
    def __init__(self, con, step):
        self._con, self._step = con, step

    def execute(self, *args, **kwargs):
        self._step()
        return self._con.execute(*args, **kwargs)

    def executemany(self, *args, **kwargs):
        self._step()
        return self._con.executemany(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._con, name)


def publish_killed_at(stop_at):
    steps = 0

    def step():
        nonlocal steps
        steps += 1
        if steps == stop_at:
            os.kill(os.getpid(), signal.SIGKILL)

    def counted(real):
        def wrapper(*args, **kwargs):
            step()
            return real(*args, **kwargs)
        return wrapper

    for name in ("replace", "rename", "symlink", "link", "mkdir", "unlink", "remove", "rmdir"):
        setattr(os, name, counted(getattr(os, name)))
    for name in ("copy2", "copyfile", "copytree", "rmtree", "move"):
        setattr(shutil, name, counted(getattr(shutil, name)))
    con = duckdb.connect(str(work / "working.duckdb"))
    publishing.publish(Counted(con, step), tables, charts, work / "charts", trial)
    con.close()
    return steps


for line in sys.stdin:
    command, stop_at = line.split()
    if command == "fresh":
        if trial.exists():
            shutil.rmtree(trial)
        # Publishing never writes into an existing file: links to the previous one will do.
        shutil.copytree(pristine, trial, symlinks=True, copy_function=os.link)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        steps = publish_killed_at(int(stop_at))
        os.write(write, str(steps).encode())
        os._exit(0)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    steps = os.read(read, 100).decode() or "-"
    os.close(read)
    print(status, steps, flush=True)
"""


class Driver:
    def __init__(self, workspace, pristine, trial, tables, charts) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                DRIVER,
                str(workspace.work),
                str(pristine),
                str(trial),
                json.dumps(tables),
                json.dumps(charts),
            ],
            cwd=PROJECT_ROOT,
            env=workspace.subprocess_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def publish(self, stop_at: int = 0, fresh: bool = True) -> tuple[bool, int | None]:
        """Publish into the trial folder (a fresh copy of the previous publication, or as
        left by the last trial), killed before step `stop_at` (0: never). Returns whether it
        finished and how many steps it took."""
        self.process.stdin.write(f"{'fresh' if fresh else 'again'} {stop_at}\n")
        self.process.stdin.flush()
        status, steps = self.process.stdout.readline().split()
        return status == "0", None if steps == "-" else int(steps)

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=60)


@pytest.fixture
def change(finished):
    """A previous publication, and a working area whose next publication differs from it in
    one table (so its exports too) and one chart file."""
    con = duckdb.connect(str(finished.published_db), read_only=True)
    tables = [t for (t,) in con.sql("SELECT table_name FROM _publication ORDER BY 1").fetchall()]
    con.close()
    charts = sorted({p.name.split(".")[0] for p in (finished.marts / "charts").iterdir()})
    with duckdb.connect(str(finished.work / "working.duckdb")) as con:
        con.execute(f"INSERT INTO marts.{tables[0]} SELECT * FROM marts.{tables[0]} LIMIT 1")
    draft = sorted((finished.work / "charts").glob(f"{charts[0]}.*"))[0]
    draft.write_bytes(draft.read_bytes() + b"\n")
    return finished, tables, charts


WRITE_STRIDE = 7


def _leftovers(marts) -> list[str]:
    hidden = [p.name for p in marts.rglob(".*")]
    generations = marts / "generations"
    kept = sorted(p.name for p in generations.iterdir()) if generations.exists() else []
    return hidden + ([f"{len(kept)} generations"] if len(kept) > 2 else [])


def test_kill_at_every_publishing_step_shows_the_previous_or_the_new_publication(change, tmp_path):
    workspace, tables, charts = change
    previous = reader_view(workspace.marts)
    assert "unreadable" not in previous
    driver = Driver(workspace, workspace.marts, tmp_path / "trial", tables, charts)
    try:
        finished, steps = driver.publish()
        assert finished
        new = reader_view(tmp_path / "trial")
        assert "unreadable" not in new
        assert new["tables"] != previous["tables"]
        assert new["exports"] != previous["exports"]
        assert new["charts"] != previous["charts"]
        assert steps > 2 * len(tables) + len(charts)  # every export and chart file counted

        # Every step of the last part (generation renamed into place, the switch, the clean-up:
        # where a reader could be shown a mix) and a regular sample of the writes that build
        # the hidden generation (a kill there can only leave the previous publication); every
        # write would repeat the whole build hundreds of times.
        tail = 40
        kills = sorted({1, *range(1, steps - tail, WRITE_STRIDE), *range(steps - tail, steps + 1)})
        kills = [k for k in kills if k >= 1]
        seen, fresh = [], True
        for stop_at in kills:
            # Before the switch a kill leaves the previous publication (and what the killed run
            # wrote, which the next trial must cope with); after it, start again from a copy.
            finished, _ = driver.publish(stop_at, fresh=fresh)
            assert not finished, f"not killed before step {stop_at}"
            view = reader_view(tmp_path / "trial")
            seen.append("previous" if view == previous else "new" if view == new else "mixed")
            assert seen[-1] != "mixed", (
                f"killed before step {stop_at} of {steps}, a reader sees neither the previous "
                f"nor the new publication: {view.get('unreadable') or _differences(view, new)}"
            )
            fresh = seen[-1] == "new"
            if stop_at % 10 == 0 or stop_at > steps - 12:
                fresh = True
                # The next publication completes from what the kill left, and cleans up (a
                # sample of steps, and every step of the switch and the clean-up at the end).
                assert driver.publish(fresh=False)[0]
                assert reader_view(tmp_path / "trial") == new
                assert _leftovers(tmp_path / "trial") == [], f"after a kill before {stop_at}"
        # One switch, from the previous publication to the new one, never back.
        switched = seen.index("new") if "new" in seen else len(seen)
        assert seen == ["previous"] * switched + ["new"] * (len(kills) - switched)
        assert switched > 0 and kills[switched] > steps - tail  # the switch is in the tail
        print(
            f"\n{steps} steps, {len(kills)} killed; the new publication is visible from step "
            f"{kills[switched]}"
        )
    finally:
        driver.close()


def _differences(view: dict, new: dict) -> list[str]:
    return [key for key in ("tables", "_publication", "exports", "charts") if view[key] != new[key]]


def test_stable_paths_lead_to_one_complete_generation(published):
    marts = published.marts
    current = (marts / "current").resolve()
    assert current.parent == (marts / "generations").resolve()
    for name in ("npq_observatory.duckdb", "exports", "charts"):
        assert (marts / name).is_symlink()
        assert (marts / name).resolve() == current / name
    assert shutil.disk_usage(current)  # the generation exists
