"""Code built on a copy of multiprocessing (dill's ``multiprocess``, which pathos and mpire's
use_dill run on; celery's ``billiard``) starts processes check does not watch, with the copy's
own start method whatever the cell's: check says so, not "no process started" with a hint to
use --pytest, and names no cause of a method those processes did not use (review r21:
multiprocess's examples/ex_workers.py starts 4 processes)."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any, Dict, Tuple

import pytest

from harness import check
from harness.guest import check_watch
from harness.runner import CaseRun
from harness.vocab import Outcome

METHODS = ("fork", "forkserver", "spawn")
#: What os.fork says on 3.12+ when the copy forks beside a thread.
THREADED = {"category": "DeprecationWarning", "message": "This process (pid=7) is "
            "multi-threaded, use of fork() may lead to deadlocks in the child."}


def _run(method: str, **observed: Any) -> CaseRun:
    seen = dict({"start_attempts": 0, "processes_started": 0, "methods_used": [],
                 "default_method": "fork", "unwatched_libraries": ["multiprocess"]}, **observed)
    return CaseRun(case="ex_workers.py", method=method, outcome=Outcome.OK, observed=seen,
                   warnings=[THREADED] if method == "fork" else [])


def _runs() -> Dict[Tuple[str, str], CaseRun]:
    return {("3.12", m): _run(m) for m in METHODS}


def test_processes_of_a_copy_of_multiprocessing_are_said_not_watched() -> None:
    runs = _runs()
    unchecked = check.unchecked_cells(runs)
    assert set(unchecked.values()) == {"multiprocess loaded, not watched"}
    diagnoses = check.diagnose(runs)
    assert "threads-at-fork" not in {d.code for d in diagnoses}
    line = check.summary_line(runs, diagnoses, unchecked)
    assert line.startswith("no multiprocessing process was started under any method; "
                           "multiprocess loaded: check does not watch"), line
    assert "--pytest" not in line and "nothing about start methods was checked" in line
    assert "ok (multiprocess loaded, not watched)" in check.format_table(runs, ["3.12"])


def test_watched_processes_beside_the_copy_are_checked_and_the_copy_is_said() -> None:
    runs = {("3.12", m): _run(m, start_attempts=1, processes_started=1, methods_used=[m])
            for m in METHODS}
    assert check.unchecked_cells(runs) == {}
    line = check.summary_line(runs, check.diagnose(runs), {})
    assert line.startswith("nothing failed under any start method, but read the causes above; "
                           "multiprocess loaded: check does not watch"), line


def test_without_a_copy_no_process_is_still_no_process() -> None:
    runs = {("3.12", m): _run(m, unwatched_libraries=[]) for m in METHODS}
    line = check.summary_line(runs, check.diagnose(runs), check.unchecked_cells(runs))
    assert line.startswith("no process was started under any method") and "--pytest" in line


@pytest.mark.parametrize("name", ["multiprocess", "billiard"])
def test_the_guest_notes_a_copy_it_has_loaded(name: str, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    watch = check_watch.Watch(str(tmp_path), str(tmp_path), set())
    assert name not in watch.facts()["unwatched_libraries"]
    monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    assert name in watch.facts()["unwatched_libraries"]
