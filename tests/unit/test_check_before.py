"""``check --pytest``: processes a suite started before its first test (a conftest.py or a test
module starting one at import, while pytest collects). No test's outcome judges them, and
pytest's outcome stays the run's, but a child of theirs that failed is said, with its cause,
and such a run is never said to have started no process (review r20 F1b)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

import pytest

from harness import check_collect, check_pytest, check_tests
from harness.check import _refine
from harness.guest.check_exec import BEFORE_TARGET
from harness.guest.check_suite import COLLECTED, COLLECTING
from harness.guest.check_targets import BEFORE_TESTS
from harness.guest.check_watch import RUNNING
from harness.runner import CaseRun
from harness.vocab import Outcome

TEST = "test_after.py::test_collected"
BEFORE = "a child exited with code 1 " + BEFORE_TARGET


def _run(method: str, stderr: str = "", failure: bool = True) -> CaseRun:
    """A run as collect_hang's spawn run ends: its one test passed and started no process;
    conftest.py's process, started while pytest collected, died before its target ran."""
    before: Dict[str, Any] = {"started": 1}
    if failure:
        before["failure"] = {"type": "ChildFailed", "where": "child", "message": BEFORE}
    return CaseRun("--pytest", method, Outcome.OK, stderr="%s\n%s%s\n%s%s\n" % (
        COLLECTING, stderr, COLLECTED, RUNNING, TEST), observed={
        "tests": {TEST: {"outcome": "passed", "error": ""}}, "methods_by_test": {},
        "processes_started": 1, "exitcodes": [1], BEFORE_TESTS: before})


def test_a_run_whose_processes_started_only_before_its_tests_says_so() -> None:
    runs = {("3.11", m): _run(m) for m in ("forkserver", "spawn")}
    assert set(check_tests.idle_runs(runs).values()) == {check_tests.ONLY_BEFORE}
    text = " ".join(check_pytest.format_tests([], [], runs).split())
    assert "nothing about start methods was checked" not in text, text
    assert "none at all" not in text, text
    assert "forkserver/spawn on 3.11: a process started while pytest collected, before any " \
           "test, failed (no test's outcome shows it): %s (pytest's capture kept its " \
           "traceback, if any: -s shows it)" % BEFORE in text, text
    assert check_tests.ONLY_BEFORE in text, text
    failed = check_collect.before_failures(runs)
    assert [(f["cell"], f["error"]["message"]) for f in failed] == [
        ("3.11[forkserver]", BEFORE), ("3.11[spawn]", BEFORE)], failed
    idle = {("3.11", m): CaseRun("--pytest", m, Outcome.OK, observed={"tests": {
        TEST: {"outcome": "passed", "error": ""}}}) for m in ("forkserver", "spawn")}
    assert set(check_tests.idle_runs(idle).values()) == {"no process started"}
    assert "nothing about start methods was checked" in check_pytest.format_tests([], [], idle)
    assert not check_collect.before_failures(idle)


def _bootstrap(conftest: Path) -> str:
    """A spawn child's traceback as it loads its process: importing the target's module (a
    conftest.py that starts a process at import) fails."""
    return ('Traceback (most recent call last):\n  File "<string>", line 1, in <module>\n'
            '  File "/py/lib/python3.11/multiprocessing/spawn.py", line 122, in spawn_main\n'
            '    exitcode = _main(fd, parent_sentinel)\n'
            '  File "/py/lib/python3.11/multiprocessing/spawn.py", line 132, in _main\n'
            '    self = reduction.pickle.load(from_parent)\n'
            '  File "%s", line 25, in <module>\n    _warm_up()\n'
            '  File "%s", line 21, in _warm_up\n    process.start()\n'
            '  File "/py/lib/python3.11/multiprocessing/spawn.py", line 140, in '
            "_check_not_importing_main\n    raise RuntimeError('''\nRuntimeError: \n"
            "        An attempt has been made to start a new process before the\n"
            "        current process has finished its bootstrapping phase.\n" % (
                conftest, conftest))


def test_a_failed_childs_traceback_names_it_and_its_cause(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its traceback on stderr (``-s``): its error, and the module that starts processes at
    import (not the main module's missing guard)."""
    monkeypatch.chdir(tmp_path)
    stderr = _bootstrap(tmp_path / "conftest.py")
    runs = {("3.11", m): check_collect.refined(_run(m, stderr), _refine)
            for m in ("forkserver", "spawn")}
    assert check_collect.failed_before(runs[("3.11", "spawn")]).startswith(
        "RuntimeError: An attempt has been made to start a new process"), runs
    causes = check_collect.before_causes(runs)
    assert [(c.code, c.cells) for c in causes] == [
        ("starts-processes-at-import", ("3.11[forkserver]", "3.11[spawn]"))], causes
    assert causes[0].message.startswith("conftest.py:25 starts processes when it is imported")
    text = check_pytest.format_tests([], [], runs)
    assert "the failure before any test, its cause:" in text and "-s shows it" not in text


def test_an_unwatched_child_exiting_1_with_no_traceback_is_no_failure() -> None:
    """A subclass's run() that called sys.exit(1): on purpose, as in a script."""
    run = _run("spawn")
    assert run.observed is not None
    run.observed[BEFORE_TESTS]["failure"] = {"type": "ChildFailed", "where": "child",
                                             "process": "W-1",
                                             "message": "the child W-1 exited with code 1"}
    kept = check_collect.refined(run, _refine)
    assert (kept.observed or {})[BEFORE_TESTS] == {"started": 1}, kept.observed
    assert not check_collect.before_notes({("3.11", "spawn"): kept})
