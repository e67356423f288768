"""Shared fixtures: a whole pipeline run into a temporary folder, once per session."""

import os
import shutil
import warnings
from pathlib import Path

import dagster as dg
import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
REALDATA = PROJECT_ROOT.parent / "shared" / "realdata"

warnings.filterwarnings("ignore", category=dg.PreviewWarning)
warnings.filterwarnings("ignore", category=dg.BetaWarning)


class Workspace:
    """A private copy of the project's folders: raw (a copy of data/raw), work and marts."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.raw = root / "raw"
        self.work = root / "work"
        self.marts = root / "marts"
        if not self.raw.exists():
            shutil.copytree(PROJECT_ROOT / "data" / "raw", self.raw)

    @property
    def env(self) -> dict[str, str]:
        return {
            "NPQ_RAW_DIR": str(self.raw),
            "NPQ_WORK_DIR": str(self.work),
            "NPQ_MARTS_DIR": str(self.marts),
        }

    @property
    def published_db(self) -> Path:
        return self.marts / "npq_observatory.duckdb"

    def run(self, downstream_of: str | None = None) -> dg.ExecuteInProcessResult:
        """Run the refresh job in this process on this workspace: everything, or only what
        depends on the raw asset of one data set (as the raw sensor would)."""
        from pipelines.definitions import defs
        from pipelines.defs.resources import project_resources

        if not downstream_of:
            return (
                defs()
                .resolve_job_def("refresh_all")
                .execute_in_process(
                    resources=project_resources(self.raw, self.work, self.marts),
                    raise_on_error=False,
                )
            )
        # A subset run takes its resources from the definitions, so point them here.
        saved = {k: os.environ.get(k) for k in self.env}
        os.environ.update(self.env)
        try:
            definitions = defs()
            raw = dg.AssetSelection.assets(dg.AssetKey(["raw", downstream_of]))
            selection = list(raw.downstream().resolve(definitions.resolve_asset_graph()))
            return definitions.resolve_job_def("refresh_all").execute_in_process(
                raise_on_error=False, asset_selection=selection
            )
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    def subprocess_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
        return {**env, **self.env}


@pytest.fixture(scope="session")
def published(tmp_path_factory, worker_id) -> Workspace:
    """One successful run of the whole job on the embedded default data, shared by every test
    (and, under `pytest -n`, by every worker: the first builds it, the others wait for it)."""
    if worker_id == "master":  # one process
        workspace = Workspace(tmp_path_factory.mktemp("published"))
        failures = _failures(workspace.run())
        assert not failures, f"the refresh job failed on the embedded default data: {failures}"
        return workspace
    from filelock import FileLock

    root = tmp_path_factory.getbasetemp().parent / "published"
    outcome = root.with_suffix(".outcome")
    with FileLock(str(root.with_suffix(".lock"))):
        if not outcome.exists():
            root.mkdir()
            outcome.write_text(_failures(Workspace(root).run()))
    failures = outcome.read_text()
    assert not failures, f"the refresh job failed on the embedded default data: {failures}"
    return Workspace(root)


def _failures(result: dg.ExecuteInProcessResult) -> str:
    """The steps that failed and why (empty when the run succeeded)."""
    if result.success:
        return ""
    failed = [
        f"{event.step_key}: {event.event_specific_data.error.message.strip()[:500]}"
        for event in result.all_events
        if event.is_step_failure
    ]
    return "; ".join(failed) or "the run failed"


@pytest.fixture
def workspace(tmp_path) -> Workspace:
    return Workspace(tmp_path)


@pytest.fixture
def finished(published, tmp_path) -> Workspace:
    """A private copy of the finished `published` workspace (raw, working database,
    publication), for tests that change or re-run it without paying for a first run."""
    for name in ("raw", "work", "marts"):
        shutil.copytree(published.root / name, tmp_path / name, symlinks=True)
    return Workspace(tmp_path)


# Whole-pipeline tests are marked `slow`, so `pytest -m "not slow"` is a fast inner loop: every
# test needing a finished run (directly or through another fixture), plus the tests that run the
# command line end to end themselves (marked in their own files).
WHOLE_PIPELINE_FIXTURES = {"published", "finished"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if WHOLE_PIPELINE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
