"""threads-at-fork names the threads (review r21): the watch records which threads ran at
each fork start, and whether multiprocessing.pool's own thread forked (a Pool with
maxtasksperchild replacing a worker), whose advice differs: the program cannot start its
processes before that thread."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict

import pytest

from harness.check_diagnose import diagnose
from harness.runner import CaseRun
from harness.vocab import Outcome

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "check"


def _observed(tmp_path: Path, script: str) -> Dict[str, Any]:
    """What check's guest observed of a fixture run under fork."""
    hang = tmp_path / "hang"
    hang.mkdir()
    result = tmp_path / "result.json"
    subprocess.run([sys.executable, "-I", str(ROOT / "harness" / "guest" / "check_exec.py"),
                    str(ROOT), str(FIXTURES), script, "fork", "[]", str(hang), str(result)],
                   capture_output=True, text=True, timeout=60, check=False)
    doc = json.loads(result.read_text())
    assert doc["outcome"] == "ok", doc
    return dict(doc["observed"])


def _diagnosis(observed: Dict[str, Any]) -> Any:
    runs = {("3.12", m): CaseRun(case="p.py", method=m, outcome=Outcome.OK, observed=dict(
        observed if m == "fork" else {}, start_attempts=1, processes_started=1,
        methods_used=[m], children=[], default_method="fork"))
            for m in ("fork", "forkserver", "spawn")}
    return next(d for d in diagnose(runs) if d.code == "threads-at-fork")


@pytest.mark.skipif(sys.platform != "linux", reason="fork")
def test_a_pools_own_thread_forking_is_named_and_advised_for(tmp_path: Path) -> None:
    """The program starts no thread: its Pool's worker handler forks each replacement while
    the pool's task and result handlers run."""
    observed = _observed(tmp_path, "pool_replaces_workers.py")
    assert observed["pool_forked"] is True, observed
    assert "MainThread" in observed["threads_at_fork"], observed
    assert any(n.endswith("(_handle_tasks)") for n in observed["threads_at_fork"]), observed
    found = _diagnosis(observed)
    assert "a Pool's own worker-handler thread forked a replacement worker" in found.message
    assert "(_handle_results)" in found.message, found.message
    assert found.fix.startswith("create that pool from the forkserver or spawn context"), found


@pytest.mark.skipif(sys.platform != "linux", reason="fork")
def test_the_programs_own_thread_is_named(tmp_path: Path) -> None:
    """A thread of the program's, with its name and target, on every version (3.8 names it
    without the target)."""
    observed = _observed(tmp_path, "thread_then_fork.py")
    assert observed["threads_at_fork"] == ["ticker (wait)"], observed
    assert "pool_forked" not in observed, observed
    found = _diagnosis(observed)
    assert found.message == ("other threads were running when the fork child started: "
                           "ticker (wait) (Python 3.12+ warns: DeprecationWarning)"), found
    assert found.fix.startswith("start processes before starting threads"), found


def test_threads_seen_only_by_their_warning_are_not_named() -> None:
    """A fork the watch did not see (only the DeprecationWarning says it): no names."""
    found = _diagnosis({"threads_at_start": 2})
    assert found.message == ("other threads were running when the fork child started (Python "
                           "3.12+ warns: DeprecationWarning)"), found
