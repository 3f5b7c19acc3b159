"""`check` on a program built on a copy of multiprocessing (a stand-in for dill's
``multiprocess`` beside the script, forking as the copy does): the run records the copy, and
the check says its processes are not watched, not "no process started" (review r21)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.check_run import ROOT, newest

pytestmark = pytest.mark.slow

COPY = '''"""Stands in for dill's multiprocess: processes check does not watch."""
import os


def run(task):
    pid = os.fork()
    if pid == 0:
        try:
            task()
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
'''
PROGRAM = '''import multiprocess


def work():
    print("worked", flush=True)


if __name__ == "__main__":
    for _ in range(2):
        multiprocess.run(work)
'''


def test_a_program_on_a_copy_of_multiprocessing_is_said_not_watched(tmp_path: Path) -> None:
    (tmp_path / "multiprocess.py").write_text(COPY)
    (tmp_path / "workers.py").write_text(PROGRAM)
    base = [sys.executable, "-m", "harness", "check", "workers.py", "--python", newest()[0]]
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    json_run, text_run = (subprocess.run(base + extra, cwd=str(tmp_path), capture_output=True,
                                         text=True, timeout=300, env=env, check=False)
                          for extra in (["--json"], []))
    doc = json.loads(json_run.stdout)
    assert {r["outcome"] for r in doc["results"]} == {"ok"}, doc["results"]
    assert set(doc["not_exercised"].values()) == {"multiprocess loaded, not watched"}, doc
    assert [r["stdout"] for r in doc["results"]] == ["worked\nworked\n"] * 3
    assert (json_run.returncode, text_run.returncode) == (1, 1)
    said = " ".join(text_run.stdout.split())
    assert "multiprocess loaded: check does not watch the processes it starts" in said, said
    assert "--pytest" not in said and "no process was started" not in said
