"""`check --pytest` on a suite whose conftest.py forces fork (the usual 3.14 band-aid): the
spawn and forkserver runs ran fork, so nothing about those methods is claimed (r10 F-H: it
said "no test depends on the start method", exit 0)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.integration.check_run import FIXTURES, ROOT

pytestmark = pytest.mark.slow


def test_a_suite_forcing_fork_is_not_said_to_be_method_independent() -> None:
    cmd = [sys.executable, "-m", "harness", "check", "--pytest", "-q"]
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    runs = [subprocess.run(cmd + extra, cwd=str(FIXTURES / "forced_fork"), capture_output=True,
                           text=True, timeout=600, env=env, check=False)
            for extra in (["--json"], [])]
    doc = json.loads(runs[0].stdout)
    assert doc["runs_not_exercising_the_method"] == {
        "%s[%s]" % (doc["results"][0]["environment"], m): "ran fork"
        for m in ("forkserver", "spawn")}
    assert doc["tests_not_exercising_the_method"] == ["test_cache.py::test_cache_warmed_in_parent"]
    assert not doc["ok"] and [r.returncode for r in runs] == [1, 1]
    text = " ".join(runs[1].stdout.split())
    assert "no test depends" not in text
    assert "nothing about start methods was compared" in text


def test_a_test_skipped_off_fork_fails_nowhere() -> None:
    """Review r13's q9: the skip is quoted with its reason, and no test failed: exit 0."""
    proc = subprocess.run([sys.executable, "-m", "harness", "check", "--json", "--pytest", "-q"],
                          cwd=str(FIXTURES / "skip_suite"), capture_output=True, text=True,
                          timeout=600, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
                          check=False)
    doc = json.loads(proc.stdout)
    [verdict] = doc["method_dependent"]
    assert verdict["reasons"] == dict.fromkeys(("forkserver", "spawn"),
                                               "needs fork: shares CALLS with the child")
    assert doc["ok"] and proc.returncode == 0
