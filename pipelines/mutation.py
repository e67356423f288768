"""Mutation testing (`make mutation`) of the modules where a silent bug does most harm.

Each module is mutated by mutmut (one small change at a time: a comparison flipped, a constant
changed, a line dropped) and only its own fast unit tests are run against each mutant; a mutant
the tests do not notice "survives". Each module runs in its own copy of the project under
`data/work/mutation/<module>/` (NPQ_MUTATION_DIR to move it), so the checkout is never touched,
and the whole-pipeline tests (marked `slow`) are never run. The score per module is printed and
written to `report.md` there, with the diff of every surviving mutant.

    python -m pipelines.mutation                      # every module below
    python -m pipelines.mutation pipelines/safe_csv.py pipelines/stats/attrition.py

Score = mutants killed (a test failed or timed out) / mutants made. A mutant in a function no
selected test reaches counts as not killed ("no tests").
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STATS_TESTS = ["tests/test_stats_methods.py", "tests/test_stats_effect_sizes.py"]

# module -> the fast unit tests that guard it
TARGETS: dict[str, list[str]] = {
    "pipelines/safe_csv.py": ["tests/test_safe_csv.py"],
    "pipelines/disclosure.py": ["tests/test_disclosure.py"],
    "pipelines/gate.py": ["tests/test_gate.py"],
    "pipelines/ees.py": ["tests/test_ees_reader.py"],
    "pipelines/transforms/ees.py": ["tests/test_ees_reader.py"],
    **{
        f"pipelines/stats/{name}.py": STATS_TESTS
        for name in (
            "attrition",
            "balance",
            "binary",
            "compliance",
            "costs",
            "effect_sizes",
            "months_progress",
            "power",
            "quasi",
            "security",
        )
    },
}
KILLED = {"killed", "timeout", "caught by type check"}
COPIED = ("pipelines", "tests", "expectations", "data/raw")


def _workdir(base: Path, module: str, tests: list[str]) -> Path:
    work = base / module.removesuffix(".py").replace("/", ".")
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    skip = shutil.ignore_patterns("__pycache__", "records", ".pytest_cache")
    for name in COPIED:
        shutil.copytree(ROOT / name, work / name, ignore=skip)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    if "mutmut" in project.get("tool", {}):
        raise SystemExit("pyproject.toml has a [tool.mutmut] table: this runner writes its own")
    settings = {
        "source_paths": ["pipelines/"],
        "only_mutate": [module],
        "also_copy": ["data/raw/", "expectations/"],
        "pytest_add_cli_args": ["-p", "no:cacheprovider", "-m", "not slow", "-x", "-q"],
        "pytest_add_cli_args_test_selection": tests,
        # Polars' thread pool does not survive fork() from a process that has used it: fork
        # each mutant from a server that has only collected the tests.
        "process_isolation": "forkserver",
        "timeout_constant": 20.0,
    }
    table = "\n".join(f"{key} = {json.dumps(value)}" for key, value in settings.items())
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    (work / "pyproject.toml").write_text(f"{text}\n[tool.mutmut]\n{table}\n", encoding="utf-8")
    return work


def _mutmut(work: Path, *args: str) -> str:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "mutmut"), *args],
        cwd=work,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    return done.stdout + done.stderr


def run_module(base: Path, module: str, children: int) -> dict:
    work = _workdir(base, module, TARGETS[module])
    log = _mutmut(work, "run", "--max-children", str(children))
    (work / "run.log").write_text(log, encoding="utf-8")
    statuses = dict(
        re.findall(
            r"^\s*(\S+__mutmut_\d+): (.+?)\s*$", _mutmut(work, "results", "--all", "true"), re.M
        )
    )
    counts: dict[str, int] = {}
    for status in statuses.values():
        counts[status] = counts.get(status, 0) + 1
    killed = sum(n for s, n in counts.items() if s in KILLED)
    survivors = {
        name: _mutmut(work, "show", name).strip()
        for name, status in sorted(statuses.items())
        if status not in KILLED
    }
    return {
        "module": module,
        "tests": TARGETS[module],
        "total": len(statuses),
        "killed": killed,
        "counts": counts,
        "score": killed / len(statuses) if statuses else None,
        "survivors": survivors,
        "log_tail": log[-2000:] if not statuses else "",
    }


def report(results: list[dict]) -> str:
    lines = [
        "# Mutation testing report",
        "",
        "Made by `make mutation` (`python -m pipelines.mutation`, mutmut). Score = killed "
        "(a test failed or timed out) / mutants made.",
        "",
        "| module | tests | mutants | killed | score | not killed |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        score = "n/a" if r["score"] is None else f"{100 * r['score']:.1f}%"
        others = ", ".join(f"{s}: {n}" for s, n in sorted(r["counts"].items()) if s not in KILLED)
        lines.append(
            f"| `{r['module']}` | {', '.join(r['tests'])} | {r['total']} | {r['killed']} | "
            f"{score} | {others or '-'} |"
        )
    for r in results:
        if r["log_tail"]:
            lines += [
                "",
                f"## `{r['module']}`: no mutants reported",
                "",
                "```",
                r["log_tail"],
                "```",
            ]
        if r["survivors"]:
            lines += ["", f"## `{r['module']}`: mutants not killed", ""]
            for diff in r["survivors"].values():
                lines += ["```diff", diff, "```", ""]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    modules = (argv if argv is not None else sys.argv[1:]) or list(TARGETS)
    unknown = [m for m in modules if m not in TARGETS]
    if unknown:
        print(f"no tests declared for {', '.join(unknown)}; known: {', '.join(TARGETS)}")
        return 2
    base = Path(os.environ.get("NPQ_MUTATION_DIR", ROOT / "data" / "work" / "mutation"))
    children = int(os.environ.get("MUTATION_CHILDREN", "2"))
    results = []
    for module in modules:
        print(f"mutating {module} against {', '.join(TARGETS[module])} ...", flush=True)
        result = run_module(base, module, children)
        results.append(result)
        score = "n/a" if result["score"] is None else f"{100 * result['score']:.1f}%"
        print(f"  {module}: {result['killed']}/{result['total']} killed, score {score}", flush=True)
    (base / "report.md").write_text(report(results), encoding="utf-8")
    print(f"report: {base / 'report.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
