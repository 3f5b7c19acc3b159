"""`python -m harness check` on small scripts covering each diagnosis, on two interpreters."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Set

import pytest

from harness import discovery

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "check"
TIMEOUT = 4.0
pytestmark = pytest.mark.slow


def _interpreters() -> List[str]:
    found, _ = discovery.discover()
    cpython = [i for i in found if i.implementation == "cpython"]
    if len(cpython) < 2:
        pytest.skip("needs two local CPython interpreters")
    newest = [i for i in cpython if i.version[:2] >= (3, 12)] or cpython
    return [cpython[0].path, newest[-1].path]


def _check(target: str, *extra: str) -> Dict[str, Any]:
    interpreters = _interpreters()
    cmd = [sys.executable, "-m", "harness", "check", target, "--json",
           "--timeout", str(TIMEOUT), *extra]
    for path in interpreters:
        cmd += ["--python", path]
    proc = subprocess.run(cmd, cwd=str(FIXTURES), capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, check=False)
    assert "Traceback" not in proc.stderr, proc.stderr
    doc: Dict[str, Any] = json.loads(proc.stdout)
    doc["exit"] = proc.returncode
    for run in doc["results"]:
        assert run["wall_s"] <= 1.5 * TIMEOUT, run
    return doc


def _codes(doc: Dict[str, Any]) -> Set[str]:
    return {d["code"] for d in doc["diagnoses"]}


def _outcomes(doc: Dict[str, Any], method: str) -> Set[str]:
    return {r["outcome"] for r in doc["results"] if r["method"] == method}


def test_fine_everywhere() -> None:
    """A picklable module-level target: exit 0, no diagnosis, ok under every method."""
    doc = _check("fine:work", "--args", "[2]")
    assert doc["exit"] == 0
    assert _codes(doc) == set()
    assert {r["outcome"] for r in doc["results"]} == {"ok"}


def test_fine_script_everywhere() -> None:
    """The same as a whole script."""
    doc = _check("fine.py")
    assert (doc["exit"], _codes(doc)) == (0, set())


def test_lambda_target_not_picklable() -> None:
    """A lambda target fails to pickle under spawn/forkserver; fork works."""
    doc = _check("lambda_target:work")
    assert doc["exit"] == 1
    assert "not-picklable" in _codes(doc)
    assert _outcomes(doc, "fork") == {"ok"}
    assert _outcomes(doc, "spawn") == {"error"}


def test_lock_argument_not_picklable() -> None:
    """A threading.Lock argument: not-picklable, naming the object's type."""
    doc = _check("lock_argument.py")
    diag = next(d for d in doc["diagnoses"] if d["code"] == "not-picklable")
    assert "lock" in diag["message"]


def test_function_defined_in_command_line_main() -> None:
    """A function defined in `python -c`: the spawn child cannot get the attribute."""
    doc = _check("command_line_main.py")
    assert "defined-in-main" in _codes(doc)
    assert _outcomes(doc, "fork") == {"ok"}


def test_missing_main_guard() -> None:
    """Starting a process at import time: spawn's bootstrapping RuntimeError."""
    doc = _check("unguarded.py")
    assert "missing-main-guard" in _codes(doc)
    assert _outcomes(doc, "fork") == {"ok"}


def test_global_differs_under_spawn() -> None:
    """A global assigned in the main block differs in spawn/forkserver children."""
    doc = _check("global_config.py")
    diag = next(d for d in doc["diagnoses"] if d["code"] == "global-differs")
    assert "MODE" in diag["message"]
    assert all("fork]" not in c or "forkserver" in c for c in diag["cells"])
    assert doc["exit"] == 0  # the script works; the diagnosis is a warning


def test_threads_alive_at_fork() -> None:
    """A running thread at fork time is diagnosed under fork only."""
    doc = _check("threads_at_fork.py")
    diag = next(d for d in doc["diagnoses"] if d["code"] == "threads-at-fork")
    assert all(cell.endswith("[fork]") for cell in diag["cells"])


def test_lock_held_at_fork_hangs_only_under_fork() -> None:
    """A lock held by another thread: timeout under fork, ok elsewhere."""
    doc = _check("lock_held_at_fork.py")
    assert _outcomes(doc, "fork") == {"timeout"}
    assert _outcomes(doc, "spawn") == {"ok"}
    assert "hangs-only-under-fork" in _codes(doc)
    assert doc["exit"] == 1


def test_works_only_because_default_is_fork() -> None:
    """Relying on fork's copied globals breaks under spawn/forkserver: flagged where the
    interpreter's default is fork (Linux up to 3.13)."""
    doc = _check("needs_fork_default.py")
    assert _outcomes(doc, "fork") == {"ok"}
    assert _outcomes(doc, "spawn") == {"error"}
    spawn = next(r for r in doc["results"] if r["method"] == "spawn")
    assert spawn["error"]["type"] == "RuntimeError"
    assert "works-only-with-fork-default" in _codes(doc)


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    """A missing script, a bad target or bad --args: one line, exit 2, no traceback."""
    for args in (["nope.py"], ["not a target"], ["fine:work", "--args", "{}"],
                 ["fine:work", "--python", str(tmp_path / "python9")]):
        proc = subprocess.run([sys.executable, "-m", "harness", "check", *args],
                              cwd=str(FIXTURES), capture_output=True, text=True, timeout=60,
                              env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
                              check=False)
        assert proc.returncode == 2, (args, proc.stderr)
        assert "Traceback" not in proc.stderr
        assert proc.stderr.startswith("harness: error:")
