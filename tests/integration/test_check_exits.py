"""How a program ends, as check reports it (review r10): a child that pickles itself and fails,
a script ending in ``os._exit``, an entry point that reads its command line, and the exit
status and time of each run in ``--json``."""

from __future__ import annotations

from typing import Any, Dict

import pytest

from tests.integration import check_run

pytestmark = pytest.mark.slow


def _by_method(doc: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    return {r["method"]: r for r in doc["results"]}


def test_a_self_pickling_subclass_whose_run_raises_fails() -> None:
    """No wrapper runs in its child (it pickles itself its own way), yet its traceback and exit
    status 1 are a failure under every method, named by the child's own exception and frame."""
    doc = check_run.check("subclass_pickles_itself.py", interpreters=check_run.newest())
    assert doc["exit"] == 1
    for run in doc["results"]:
        error = run["error"] or {}
        assert (run["outcome"], error.get("type"), error.get("where")) == (
            "error", "ValueError", "child"), run
        assert "boom in child" in error["message"], error
        assert [(f["function"], f["line"]) for f in error["traceback"]] == [("run", 16)], error


def test_a_getstate_that_drops_a_field_names_the_childs_error() -> None:
    """Fine under fork; under spawn/forkserver the child's AttributeError is the cause and the
    parent's empty queue follows from it."""
    runs = _by_method(check_run.check("getstate_drops_field.py",
                                      interpreters=check_run.newest()))
    assert runs["fork"]["outcome"] == "ok"
    for method in ("forkserver", "spawn"):
        error = runs[method]["error"] or {}
        assert error.get("type") == "AttributeError", runs[method]
        assert "retries" in error["message"] and error["where"] == "child", error
        assert error.get("also") == "then in the parent: Empty", error


def test_a_script_ending_in_os_exit_has_its_status() -> None:
    """``os._exit(0)`` is a success, ``os._exit(3)`` a failure with that status, and what the
    children saw is kept: the global the main block set is the cause."""
    doc = check_run.check("hard_exit.py", interpreters=check_run.newest())
    runs = _by_method(doc)
    assert runs["fork"]["outcome"] == "ok", runs["fork"]
    for method in ("forkserver", "spawn"):
        error = runs[method]["error"] or {}
        assert (runs[method]["outcome"], error.get("type")) == ("error", "SystemExit"), error
        assert "status 3" in error["message"], error
    assert "global-differs" in check_run.codes(doc)
    assert [runs[m]["returncode"] for m in ("fork", "forkserver", "spawn")] == [0, 3, 3]


def test_json_has_each_runs_exit_status_and_time() -> None:
    """``returncode`` is the program's exit status (1 for an uncaught exception), not the
    executor's 0; ``duration_s`` the program's time, not 0.0."""
    runs = _by_method(check_run.check("parent_error_first.py", interpreters=check_run.newest()))
    assert all(r["outcome"] == "error" for r in runs.values()), runs
    assert {r["returncode"] for r in runs.values()} == {1}
    assert all(0.0 < r["duration_s"] <= r["wall_s"] for r in runs.values()), runs


def test_an_entry_point_sees_its_own_name_as_its_command_line() -> None:
    """``module:callable`` runs with ``sys.argv == [its module's file]``: an argparse main()
    works; one missing a required argument fails with argparse's own line quoted."""
    doc = check_run.check("cli_main:main", interpreters=check_run.newest())
    assert {r["outcome"] for r in doc["results"]} == {"ok"}, doc["results"]
    doc = check_run.check("cli_main:needs_name", interpreters=check_run.newest())
    for run in doc["results"]:
        error = run["error"] or {}
        assert error.get("type") == "ChildFailed", run
        assert error["message"].startswith("the child exited with code 2"), error
        assert "tool: error: the following arguments are required: name" in error["message"]


def test_a_targets_own_getattr_is_never_run_by_check() -> None:
    """``Process(target=Task())``, whose ``__getattr__`` raises KeyError for a missing name
    (review r14 F2/F3): under fork it runs, as without check; under spawn/forkserver the
    error is the program's own, the lock that cannot be pickled, not a KeyError of check's."""
    runs = _by_method(check_run.check("getattr_target.py", interpreters=check_run.newest()))
    assert runs["fork"]["outcome"] == "ok", runs["fork"]
    for method in ("forkserver", "spawn"):
        error = runs[method]["error"] or {}
        assert (error.get("type"), error.get("message")) == (
            "TypeError", "cannot pickle '_thread.lock' object"), runs[method]


def test_a_thread_ending_the_interpreter_after_the_main_block_has_its_status() -> None:
    """A non-daemon thread's ``os._exit(3)`` after the main block returned (review r14 F4):
    python exits 3, so the run failed with status 3 under every method, though the program's
    end was written as a success; an ``atexit`` ``os._exit(0)`` keeps the error before it."""
    runs = _by_method(check_run.check("thread_exit_after_main.py",
                                      interpreters=check_run.newest()))
    for run in runs.values():
        error = run["error"] or {}
        assert (run["outcome"], run["returncode"], error.get("type")) == (
            "error", 3, "SystemExit"), run
        assert error["message"] == "the script exited with status 3 after its main block", error
    runs = _by_method(check_run.check("atexit_hard_exit.py", interpreters=check_run.newest()))
    assert {(r["returncode"], (r["error"] or {}).get("type")) for r in runs.values()} == {
        (0, "RuntimeError")}, runs
