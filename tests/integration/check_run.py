"""Running ``python -m harness check --json`` on a fixture program for the check tests: the
interpreters it runs on, and the diagnoses and outcomes read from its output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Set

import pytest

from harness import discovery

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "check"
TIMEOUT = 4.0


def _found() -> List[str]:
    """The oldest and the newest local CPython (3.12+ if any): the default of check's runs."""
    found, _ = discovery.discover()
    cpython = [i for i in found if i.implementation == "cpython"]
    if len(cpython) < 2:
        pytest.skip("needs two local CPython interpreters")
    newest = [i for i in cpython if i.version[:2] >= (3, 12)] or cpython
    return [cpython[0].path, newest[-1].path]


def newest() -> List[str]:
    """One host CPython whose default is fork (3.12 or 3.13), for the per-cause programs."""
    found, _ = discovery.discover()
    cpython = [i for i in found if i.implementation == "cpython" and i.version[:2] <= (3, 13)]
    if not cpython:
        pytest.skip("needs a local CPython up to 3.13")
    return [cpython[-1].path]


def _check(target: str, extra: Sequence[str], interpreters: Optional[List[str]],
           **env: str) -> "subprocess.CompletedProcess[str]":
    interpreters = _found() if interpreters is None else interpreters
    cmd = [sys.executable, "-m", "harness", "check", target, "--timeout", str(TIMEOUT), *extra]
    for path in interpreters:
        cmd += ["--python", path]
    proc = subprocess.run(cmd, cwd=str(FIXTURES), capture_output=True, text=True, timeout=300,
                          env=dict(env, PYTHONPATH=str(ROOT), PATH="/usr/bin:/bin"), check=False)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def text(target: str, interpreters: List[str], **env: str) -> str:
    """What ``check`` prints for a person (stdout, not a terminal)."""
    return _check(target, (), interpreters, **env).stdout


def check(target: str, *extra: str, interpreters: Optional[List[str]] = None) -> Dict[str, Any]:
    proc = _check(target, ("--json",) + extra, interpreters)
    doc: Dict[str, Any] = json.loads(proc.stdout)
    doc["exit"] = proc.returncode
    for run in doc["results"]:
        assert run["wall_s"] <= 1.5 * TIMEOUT, run
    return doc


def codes(doc: Dict[str, Any]) -> Set[str]:
    return {d["code"] for d in doc["diagnoses"]}


def outcomes(doc: Dict[str, Any], method: str) -> Set[str]:
    return {r["outcome"] for r in doc["results"] if r["method"] == method}
