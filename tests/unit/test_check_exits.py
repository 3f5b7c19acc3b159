"""How a run's end is read (review r10): a child no wrapper watched that exited non-zero, its
error found on stderr by its process's name; a child's exit without a traceback quoted by
stderr's last line; ``os._exit`` in the program's own process writing the result first."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Optional

import pytest

from harness.check import _refine
from harness.guest import check_exec, check_targets
from harness.runner import CaseRun
from harness.vocab import Outcome

ROOT = Path(__file__).resolve().parents[2]


class _Proc:
    def __init__(self, pid: int, exitcode: Optional[int]) -> None:
        self.pid, self.exitcode, self.name = pid, exitcode, "Worker-%d" % pid


def _unwrapped(pid: int, code: Optional[int]) -> Dict[str, Any]:
    return {"process": _Proc(pid, code), "pid": pid, "wrapped": False}


def test_an_unwatched_child_that_exits_non_zero_failed() -> None:
    """A ``Process`` subclass that pickles itself runs no wrapper: exit status 1 (its run()
    raised) is a failure naming the process; 0, or a stop on purpose, is none."""
    check_exec._STOPPED.clear()
    failed = check_exec._child_failure([_unwrapped(20, 0), _unwrapped(21, 1)], {}, False)
    assert failed == {"type": "ChildFailed", "where": "child", "process": "Worker-21",
                      "message": "the child Worker-21 exited with code 1"}
    check_exec._STOPPED.add(21)
    assert check_exec._child_failure([_unwrapped(21, 1)], {}, False) is None
    check_exec._STOPPED.clear()


def test_a_stopped_child_that_exited_on_its_own_before_its_target_failed() -> None:
    """A stop ends a process by its signal: a watched child whose target never ran (no
    report) and that exited with code 1 had failed on its own when its parent stopped it
    (a terminate() once its pipe closed, review r21 item 9); one the stop ended did not."""
    check_exec._STOPPED.clear()
    check_exec._STOPPED.update((30, 31))
    try:
        dying, ended = (dict(_unwrapped(pid, code), wrapped=True) for pid, code in
                        ((30, 1), (31, -15)))
        assert check_exec._child_failure([ended], {}, False) is None
        assert check_exec._child_failure([ended, dying], {}, False) == {
            "type": "ChildFailed", "where": "child",
            "message": "a child exited with code 1 before its target ran"}
        assert check_exec._child_failure([dying], {30: {"error": None}}, False) is None
    finally:
        check_exec._STOPPED.clear()


_STDERR = """parent: starting
Process Worker-1:
Traceback (most recent call last):
  File "/usr/lib/python3.12/multiprocessing/process.py", line 314, in _bootstrap
    self.run()
  File "/home/u/jobs.py", line 9, in run
    self.table[self.key]
KeyError: 'k'

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/usr/lib/python3.12/multiprocessing/process.py", line 314, in _bootstrap
    self.run()
  File "/home/u/jobs.py", line 11, in run
    raise LookupError("no k in the table")
LookupError: no k in the table
parent: done
"""


def _failed(stderr: str, **error: Any) -> Dict[str, Any]:
    run = CaseRun(case="t", method="spawn", outcome=Outcome.ERROR, stderr=stderr,
                  error=dict({"type": "ChildFailed", "where": "child"}, **error))
    return _refine(run).error or {}


def test_an_unwatched_childs_error_is_read_from_its_traceback() -> None:
    """The last exception of the chain the process printed, with its user frames; another
    process's traceback later on stderr is not it."""
    other = ('\nTraceback (most recent call last):\n  File "/home/u/main.py", line 3, in '
             '<module>\nqueue.Empty\n')
    error = _failed(_STDERR + other, process="Worker-1",
                    message="the child Worker-1 exited with code 1")
    assert (error["type"], error["message"]) == ("LookupError", "no k in the table")
    assert [(f["function"], f["line"]) for f in error["traceback"]] == [("run", 11)]


def test_a_child_exit_without_traceback_quotes_stderrs_last_line() -> None:
    """``sys.exit(2)`` in a child, argparse's usage error in a callable's: the message says what
    the program last wrote on stderr (it was only in ``--json``'s stderr)."""
    usage = "usage: tool [-h] name\ntool: error: the following arguments are required: name\n"
    error = _failed(usage, message="the child exited with code 2")
    assert error["message"] == ("the child exited with code 2 (stderr's last line: tool: "
                                "error: the following arguments are required: name)")
    error = _failed("", message="the child exited with code 3")
    assert error["message"] == "the child exited with code 3"


_HARD_EXIT = """
import os, sys, json
sys.path.insert(0, %r)
from harness.guest import check_targets
path = sys.argv[1]
check_targets.write_at_hard_exit(path, lambda result: dict(result, finished=True))
child = os.fork()
if child == 0:
    os._exit(0)  # a fork child's exit: the parent's result is not written by it
os.waitpid(child, 0)
assert not os.path.exists(path)
os._exit(4)
"""


def test_os_exit_in_the_program_writes_its_status_first(tmp_path: Path) -> None:
    """``os._exit(4)`` in the program's process: the result says status 4, then the process
    exits 4; ``os._exit`` in a fork child of it writes nothing."""
    path = tmp_path / "result.json"
    proc = subprocess.run([sys.executable, "-c", _HARD_EXIT % str(ROOT), str(path)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 4, proc.stderr
    result = json.loads(path.read_text())
    assert result["finished"] and result["outcome"] == "error", result
    assert result["error"]["message"] == "the script exited with status 4 (os._exit)"


class _Watch:
    """What ``_finish`` reads of ``check_watch.Watch``: the processes started, no reports."""

    def __init__(self, *entries: Dict[str, Any]) -> None:
        self.started = list(entries)

    def child_reports(self) -> Dict[int, Any]:
        return {}

    def observed(self, reports: Dict[int, Any]) -> Dict[str, Any]:
        return {}


def test_a_suites_child_failure_is_its_tests_not_the_runs() -> None:
    """``--pytest`` (review r12 F-P): a test that checks a child's exit code passes; the run's
    outcome is pytest's, never a child's exit (a script's unwatched child exiting 1 fails)."""
    check_exec._STOPPED.clear()
    for code in (1, 3):
        result = check_exec._finish({"status": 0}, _Watch(_unwrapped(30, code)), "--pytest",
                                    {}, [])
        assert result["outcome"] == "ok" and result["status"] == 0, result
    script = check_exec._finish({}, _Watch(_unwrapped(30, 1)), "main.py", {}, [])
    assert script["outcome"] == "error", script


def test_an_unwatched_childs_own_exit_status_is_on_purpose() -> None:
    """``sys.exit(3)`` in a subclass's run() (review r12 F2): as for a watched child, not a
    failure; status 1 is looked for on stderr by ``check``."""
    check_exec._STOPPED.clear()
    assert check_exec._child_failure([_unwrapped(40, 3)], {}, False) is None
    assert check_exec._child_failure([_unwrapped(40, 1)], {}, False) is not None


def test_a_child_whose_exit_flush_failed_failed() -> None:
    """Status 120 is Python's own when flushing stdout or stderr failed at exit (review r13):
    an unwatched child's, or a watched child's that raised nothing, is a failure saying so,
    kept by ``check`` whatever stderr holds; a watched child's own sys.exit(120) is not."""
    check_exec._STOPPED.clear()
    failed = check_exec._child_failure([_unwrapped(41, 120)], {}, False)
    assert failed is not None and "process" not in failed, failed
    assert failed["message"] == ("the child Worker-41 exited with code 120: Python's own status "
                                 "when flushing stdout or stderr failed at its exit")
    assert _refine(CaseRun(case="t", method="spawn", outcome=Outcome.ERROR, stderr="",
                           error=failed)).outcome is Outcome.ERROR
    watched = dict(_unwrapped(42, 120), wrapped=True)
    assert check_exec._child_failure([watched], {42: {"error": None}}, False) is not None
    assert check_exec._child_failure([watched], {42: {"error": {"type": "SystemExit"}}},
                                     False) is None


def _refined(stderr: str, **error: Any) -> CaseRun:
    run = CaseRun(case="t", method="spawn", outcome=Outcome.ERROR, stderr=stderr,
                  error=dict({"type": "ChildFailed", "where": "child"}, **error))
    return _refine(run)


def test_an_unwatched_child_exiting_1_without_a_traceback_exited_on_purpose() -> None:
    """No ``Process W-1:`` traceback: sys.exit(1) in its run(), no failure; the parent's own
    error (kept as ``instead``) is then the outcome. A child that died unpickling itself (no
    header, spawn's bootstrap in its traceback) still failed."""
    said = {"message": "the child W-1 exited with code 1", "process": "W-1"}
    run = _refined("parent: done\n", **said)
    assert (run.outcome, run.error) == (Outcome.OK, None)
    parent = {"type": "Empty", "where": "parent", "message": ""}
    run = _refined("", also="then in the parent: Empty", instead=parent, **said)
    assert (run.outcome, run.error) == (Outcome.ERROR, parent)
    bootstrap = ('Traceback (most recent call last):\n  File "<string>", line 1, in <module>\n'
                 '  File "/py/lib/python3.12/multiprocessing/spawn.py", line 122, in spawn_main\n'
                 '    exitcode = _main(fd, parent_sentinel)\n'
                 '  File "/py/lib/python3.12/multiprocessing/spawn.py", line 132, in _main\n'
                 '    self = reduction.pickle.load(from_parent)\n'
                 "AttributeError: Can't get attribute 'W' on <module '__mp_main__'>\n")
    error = _refined(bootstrap, **said).error or {}
    assert (error["type"], error["message"]) == (
        "AttributeError", "Can't get attribute 'W' on <module '__mp_main__'> (in a child, "
        "before its target ran)"), error
    assert "instead" not in (_refined(_STDERR, instead=parent, **dict(
        said, process="Worker-1")).error or {})


def test_checks_own_progress_lines_are_not_stderrs_last_line() -> None:
    """``check: running t.py::x`` is check_suite's line, not the program's (review r12 F-P)."""
    stderr = "tool: error: bad name\ncheck: running t.py::test_x\ncheck: collected the tests\n"
    error = _failed(stderr, message="the child exited with code 2")
    assert error["message"] == ("the child exited with code 2 (stderr's last line: tool: "
                                "error: bad name)"), error


def test_os_exit_called_after_the_program_ended_keeps_its_outcome(tmp_path: Path) -> None:
    """``atexit.register(os._exit, 0)`` then an uncaught error (review r12 F7): the handler
    holds the replacement, which must not rewrite the result as a success at shutdown."""
    result = tmp_path / "result.json"
    hang = tmp_path / "hang"
    hang.mkdir()
    fixtures = ROOT / "tests" / "fixtures" / "check"
    subprocess.run([sys.executable, "-I", str(ROOT / "harness" / "guest" / "check_exec.py"),
                    str(ROOT), str(fixtures), "atexit_hard_exit.py", "fork", "[]", str(hang),
                    str(result)], capture_output=True, text=True, timeout=60, check=False)
    doc = json.loads(result.read_text())
    assert doc["outcome"] == "error", doc
    assert (doc["error"]["type"], doc["error"]["message"]) == (
        "RuntimeError", "the program failed"), doc


def test_a_script_given_by_a_path_up_and_through_a_link_runs_from_its_real_folder(
        tmp_path: Path) -> None:
    """``check ../../lnk/main.py`` (review r12 F6) and ``check link/tool.py``, a link to a
    script (review r14 F6): as python has it, ``sys.path[0]`` is the script's real folder, its
    ``__file__`` the path through the link, absolute and without ``..``, ``sys.argv[0]`` the
    path as given."""
    real = Path(os.path.realpath(tmp_path)) / "real"
    real.mkdir()
    (tmp_path / "lnk").symlink_to(real, target_is_directory=True)
    (real / "main.py").write_text("import sys\nprint(repr([sys.path[0], __file__, sys.argv[0]]))\n")
    (tmp_path / "link").mkdir()
    (tmp_path / "link" / "tool.py").symlink_to(real / "main.py")
    here = tmp_path / "a" / "b"
    here.mkdir(parents=True)
    (tmp_path / "hang").mkdir()
    for folder, target in ((here, "../../lnk/main.py"), (here, "../../lnk/main.py:nothing"),
                           (tmp_path, "link/tool.py")):
        proc = subprocess.run([sys.executable, "-I", str(ROOT / "harness" / "guest" /
                                                         "check_exec.py"),
                               str(ROOT), str(folder), target, "spawn", "[]",
                               str(tmp_path / "hang"), str(tmp_path / "result.json")],
                              capture_output=True, text=True, timeout=60, check=False)
        path0, file, argv0 = eval(proc.stdout.splitlines()[0])  # noqa: S307 - our own repr
        script = target.partition(":")[0]
        assert path0 == str(real), proc.stdout
        assert file == os.path.normpath(str(folder / script)), proc.stdout
        assert argv0 == script, proc.stdout


def test_a_linked_script_is_run_by_the_path_given(tmp_path: Path) -> None:
    """``check link/tool.py`` runs ``link/tool.py``, not the file it links to (review r14
    F6): python names the script so in ``__file__`` and ``sys.argv[0]``."""
    from harness.check import parse_target

    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "tool.py").write_text("")
    (tmp_path / "link").mkdir()
    (tmp_path / "link" / "tool.py").symlink_to(tmp_path / "real" / "tool.py")
    assert parse_target("link/tool.py", tmp_path) == "link/tool.py"
    assert parse_target("link/tool.py:main", tmp_path) == "link/tool.py:main"


def test_a_callable_killed_by_a_signal_has_status_1() -> None:
    """As README says of ``--json``'s ``returncode`` (review r12 L6): a callable's process
    killed by SIGKILL is a crash, and its run's status is 1 (no negative status)."""
    check_exec._STOPPED.clear()
    entry = {"process": _Proc(50, -9), "pid": 50, "wrapped": True}
    result = check_exec._finish({}, _Watch(entry), "jobs:work", {}, [])
    assert (result["outcome"], result["error"]["type"], result["status"]) == (
        "error", "ChildCrashed", 1), result


def test_a_status_other_than_the_programs_end_wrote_is_the_outcome() -> None:
    """The interpreter exited 3 after the program's end was written as status 0 (review r14
    F4: a thread's os._exit(3) at shutdown): python's exit status 3 is the failure. The same
    status, or 0 after an error (an atexit os._exit(0)), changes nothing."""
    from harness.check import _exited_later

    def run(outcome: Outcome, returncode: int, status: int) -> CaseRun:
        return CaseRun(case="t.py", method="spawn", outcome=outcome, returncode=returncode,
                       observed={"exit_status": status})

    late = _exited_later(run(Outcome.OK, 3, 0), "t.py")
    assert (late.outcome, late.error) == (Outcome.ERROR, {
        "type": "SystemExit", "where": "parent",
        "message": "the script exited with status 3 after its main block"}), late
    for same in (run(Outcome.OK, 1, 1), run(Outcome.OK, 0, 0), run(Outcome.ERROR, 0, 1)):
        assert _exited_later(same, "t.py") == same
    # Killed by a signal after the main block (a thread's os.kill(os.getpid(), SIGKILL): plain
    # python exits 137): a crash, not "no problem found" (review r15).
    killed = _exited_later(run(Outcome.OK, -9, 0), "t.py")
    assert (killed.outcome, killed.detail, killed.error) == (
        Outcome.CRASH, "killed by SIGKILL after its main block", {
            "type": "ChildCrashed", "where": "parent",
            "message": "killed by SIGKILL after its main block"}), killed
    # What the guest writes it from: the status the program's end gave.
    check_exec._STOPPED.clear()
    ended = check_exec._finish({"status": 4}, _Watch(), "t.py", {}, [])
    assert (ended["status"], ended["observed"]["exit_status"]) == (4, 4), ended


@pytest.mark.skipif(os.name != "posix", reason="POSIX keeps the status's low byte")
def test_an_exit_status_posix_keeps_as_0_is_no_failure() -> None:
    """sys.exit(256): python's exit status is 0 on POSIX; check called it an error (r15)."""
    assert check_targets.exited(256) == {} and check_targets.exited(0) == {}
    assert check_targets.exited(257)["error"]["message"] == "the script exited with status 257"


def _in(test: str, pid: int, code: int) -> Dict[str, Any]:
    """A watched child started in ``test`` ("" : before any test, while pytest collected)."""
    return dict(_unwrapped(pid, code), wrapped=True, test=test)


def test_a_suites_child_that_failed_before_any_test_is_recorded_apart() -> None:
    """A watched child that exited 1 with no report, started while pytest collected, is
    recorded apart (``BEFORE_TESTS``, review r20 F1b); one started in a test is the test's;
    pytest's outcome stays the run's."""
    check_exec._STOPPED.clear()
    test = "test_after.py::test_collected"
    result = check_exec._finish({"status": 0}, _Watch(_in(test, 50, 0), _in(test, 51, 1),
                                                      _in("", 52, 1)), "--pytest", {}, [])
    assert result["outcome"] == "ok" and result["status"] == 0, result
    before = result["observed"][check_targets.BEFORE_TESTS]
    assert before["started"] == 1 and before["failure"]["message"] == (
        "a child exited with code 1 " + check_exec.BEFORE_TARGET), before
    result = check_exec._finish({"status": 0}, _Watch(_in(test, 53, 1)), "--pytest", {}, [])
    assert result["observed"][check_targets.BEFORE_TESTS] == {"started": 0}, result
