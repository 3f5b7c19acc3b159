"""``python -m harness run`` as a Windows CI leg runs it, simulated on Linux (as_windows.py).

The workflow runs the same command on Windows legs; the unit tests only import the modules
there. Here a small slice runs end to end with the harness seeing Windows: the canary a leg's
check needs and a case that hangs, so its tree must be killed with ``taskkill``.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Set

import pytest

from harness.guest import _procs
from harness.leftovers import TMP_PREFIX
from harness.legcheck import CANARY
from harness.results import session_name
from harness.vocab import Outcome
from tests.integration import as_windows
from tests.integration.waits import bound, wait_until

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux /proc")]

ROOT = Path(__file__).resolve().parents[2]
HUNG = "deadlock.pool_worker_killed"
SLICE = "%s or (%s and not executor)" % (CANARY.split(".")[1], HUNG.split(".")[1])


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Any]:
    """The simulated run, once, under a subreaper (reaper.py lists what it left running)."""
    tmp = tmp_path_factory.mktemp("win")
    (tmp / "bin").mkdir()
    (tmp / "tmp").mkdir()
    as_windows.install_taskkill(tmp / "bin")
    log = tmp / "taskkill.jsonl"
    shm_before = set(os.listdir(_procs.SHM_DIR))
    env = dict(os.environ, PATH=os.pathsep.join([str(tmp / "bin"), os.environ["PATH"]]),
               TMPDIR=str(tmp / "tmp"), **{as_windows.TASKKILL_LOG: str(log)})
    done = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "integration" / "reaper.py"), str(tmp / "left.json"),
         "--", sys.executable, as_windows.__file__, "run", "-k", SLICE, "--methods", "spawn",
         "--results-dir", str(tmp / "results")],
        cwd=str(ROOT), env=env, capture_output=True, text=True, timeout=300, check=False)
    files = sorted((tmp / "results").glob("*.json"))
    document = json.loads(files[0].read_text(encoding="utf-8")) if len(files) == 1 else {}
    return {"done": done, "tmp": tmp, "shm_new": set(os.listdir(_procs.SHM_DIR)) - shm_before,
            "left": json.loads((tmp / "left.json").read_text()),
            "calls": [json.loads(line) for line in log.read_text().splitlines()]
            if log.exists() else [],
            "cells": [t["metadata"] for t in document.get("tests", [])]}


def test_the_run_passes_and_the_leg_check_accepts_its_file(run: Dict[str, Any]) -> None:
    """Exit 0, one results file, and ``verify-leg --leg`` (this interpreter) proves it."""
    done = run["done"]
    assert run["left"]["returncode"] == 0, done.stdout + done.stderr
    assert sorted((c["case"], c["outcome"]) for c in run["cells"]) == [
        (HUNG, Outcome.TIMEOUT.value), (CANARY, Outcome.OK.value)], run["cells"]
    leg = session_name(sys.implementation.name, "%d.%d" % sys.version_info[:2],
                       not getattr(sys, "_is_gil_enabled", lambda: True)())
    check = subprocess.run([sys.executable, "-m", "harness", "verify-leg",
                            str(run["tmp"] / "results"), "--leg", leg],
                           cwd=str(ROOT), capture_output=True, text=True, timeout=120,
                           check=False)
    assert check.returncode == 0, check.stdout + check.stderr


def test_each_cell_tree_is_killed_with_taskkill(run: Dict[str, Any]) -> None:
    """``taskkill /F /T /PID n`` once per cell, the hung case's tree (its Pool worker) too."""
    calls = run["calls"]
    assert [c["argv"] for c in calls] == [["/F", "/T", "/PID", str(c["pid"])] for c in calls]
    assert len(calls) == len(run["cells"]) == len({c["pid"] for c in calls}), calls
    assert any(c["pid"] in c["tree"] and len(c["tree"]) > 1 for c in calls), calls


def test_nothing_is_left_behind(run: Dict[str, Any]) -> None:
    """No process of the run, no case folder, no /dev/shm entry (a killed case's semaphores:
    the stand-in taskkill leaves them to the resource tracker, as Windows frees them)."""
    assert run["left"]["left"] == []
    assert [p.name for p in (run["tmp"] / "tmp").iterdir() if p.name.startswith(TMP_PREFIX)] == []
    # New since the run started and used by no live process (the run's are all gone): leaked,
    # unless it goes within the grace (another run's on a shared machine, until its sweep).
    def leaked() -> List[str]:
        in_use = _mapped_shm()
        return sorted(e for e in run["shm_new"]
                      if (Path(_procs.SHM_DIR) / e).exists() and e not in in_use)

    with contextlib.suppress(AssertionError):  # the assertion below names what stayed
        wait_until(lambda: not leaked(), bound(10), "no semaphore left")
    left = leaked()
    for entry in left:  # removed now: a shared machine
        (Path(_procs.SHM_DIR) / entry).unlink(missing_ok=True)
    assert left == []


def _mapped_shm() -> Set[str]:
    """/dev/shm entries some live process has mapped (another run's, on a shared machine)."""
    found: Set[str] = set()
    for entry in os.listdir("/proc"):
        try:
            maps = Path("/proc/%s/maps" % entry).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        found.update(Path(line.split()[-1]).name for line in maps.splitlines()
                     if line.split() and line.split()[-1].startswith(_procs.SHM_DIR + "/"))
    return found
