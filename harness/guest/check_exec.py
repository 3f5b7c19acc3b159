"""Run the USER's code under one start method, the way its user would, and write what happened:
the executor of ``python -m harness check``.

Usage: ``python -I check_exec.py PROJECT_ROOT USER_DIR TARGET METHOD ARGS_JSON HANG_DIR
RESULT_PATH``

TARGET is ``module:callable``, ``path/to/script.py[:callable]``, ``-m NAME`` or ``--pytest``
(``check_targets`` runs each). A callable is started as the target of one ``Process`` of the
method's context and its result is the outcome. A whole script, or a module as ``python -m``
runs it, runs as ``__main__`` (in USER_DIR, with the method made the *default*, so a script
that chooses its own method still does); its outcome is its own: exit status, uncaught
exception (in it or in a process it started), hang. Processes the program (or a Pool/executor)
terminated or killed on purpose are not failures. ``--pytest`` runs the user's pytest suite
(ARGS_JSON is pytest's argv) and records each test's outcome. Every process started is watched
(``check_watch``); what a hang can tell before the kill goes to HANG_DIR (``check_hang``).
Standard library only, Python 3.8 syntax.
"""

from __future__ import annotations

import os
import sys

#: Run as a script (no package to import it from), and typing is not free: a fork child
#: of the user's program would copy it. mypy reads the name as True.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Set

__all__ = ["ALIAS", "BEFORE_TARGET", "main"]

#: The name the guest modules are imported by in the user's program, never ``harness``: a
#: user's own package may be called that. A link of that name to ``harness/guest`` in HANG_DIR
#: (last on ``sys.path``; spawn and forkserver children get the same path) makes them
#: importable in every process of the run.
ALIAS = "_start_method_matrix_guest"
#: How a child's failure says it died before its target ran (``check`` then names the error
#: its stderr ends with).
BEFORE_TARGET = "before its target ran"
_USAGE = ("usage: check_exec.py PROJECT_ROOT USER_DIR TARGET METHOD ARGS_JSON HANG_DIR "
          "RESULT_PATH\n")


def _as_script(argv: List[Any]) -> int:
    """Run ``main`` of the copy imported under ``ALIAS`` (so that the child wrapper pickles by
    reference, even when a script replaces ``__main__``)."""
    if len(argv) != 8:
        sys.stderr.write(_USAGE)
        return 2
    root, hang_dir = argv[1], argv[6]
    link = os.path.join(hang_dir, ALIAS)
    if not os.path.exists(link):
        guest = os.path.join(os.path.abspath(root), "harness", "guest")
        try:
            os.symlink(guest, link, target_is_directory=True)
        except (OSError, NotImplementedError):  # no symlinks here (Windows without the right)
            import shutil

            shutil.copytree(guest, link)
    # Last on the path: the user's modules (and the interpreter's own) win over the guest's.
    sys.path.append(hang_dir)
    # Not importlib: importing it renames the import system's modules (PyPy's functions of
    # them then say another ``__module__``), which a user's program may look at.
    return int(__import__(ALIAS + ".check_exec", fromlist=["main"]).main(argv))


if __name__ == "__main__":
    sys.exit(_as_script(sys.argv))

if __package__:  # imported: as harness.guest.check_exec (tests) or under the alias
    from . import MESSAGE_LIMIT
    from .check_exit import exit_code
    from .check_targets import (
        BEFORE_TESTS,
        PYTEST,
        as_main,
        is_callable,
        run_callable,
        run_main,
        run_pytest,
        script_path,
        write_at_hard_exit,
    )
    from .words import ERROR, OK, UNAVAILABLE
else:  # this script run again as __mp_main__ by a spawn child (of a callable, of a suite)
    _WORDS = __import__(ALIAS + ".words", fromlist=["ERROR"])
    ERROR, OK, UNAVAILABLE = _WORDS.ERROR, _WORDS.OK, _WORDS.UNAVAILABLE
    MESSAGE_LIMIT = __import__(ALIAS).MESSAGE_LIMIT
#: The status Python exits with when flushing its standard streams failed at exit (the
#: docs' Py_FinalizeEx): never a program's choice, though the child exits with it.
_FLUSH_FAILED = 120
#: Signals nobody sends on purpose: a child dying of one crashed.
_CRASH_SIGNALS = {"SIGSEGV", "SIGBUS", "SIGABRT", "SIGILL", "SIGFPE"}


def _make_default(method: str) -> None:
    """Make ``method`` the default without fixing it: ``set_start_method`` still works."""
    from multiprocessing import context

    context._default_context._default_context = (  # type: ignore[attr-defined]
        context._concrete_contexts[method])  # type: ignore[attr-defined]


def _child_failure(entries: List[Dict[str, Any]], reports: Dict[int, Any],
                   of_callable: bool) -> Optional[Dict[str, Any]]:
    """The first child failure the user would see, skipping processes stopped on purpose.

    For a ``module:callable`` target the first process is the target's own: any non-zero
    exit of it is the outcome. A process not watched inside (a ``Process`` subclass that
    pickles itself) may have failed when it exited 1 (an uncaught error in its ``run()``:
    ``check`` looks for its traceback on stderr), or 120 (its exit's flush failed); another
    status is its own, on purpose.
    """
    import signal

    for index, entry in enumerate(entries):
        own_target = of_callable and index == 0
        proc, code = entry["process"], exit_code(entry)
        report = reports.get(entry["pid"]) or {}
        error = report.get("error")
        if error and error.get("type") != "SystemExit":
            return dict(error, where="child")
        if code is None or code == 0:
            continue
        # A stop ends a process by its signal: one whose target never ran (no report) and that
        # exited with a status was dying on its own as it was stopped (review r21 item 9).
        if entry["pid"] in _STOPPED and not (entry["wrapped"] and not report and code > 0):
            continue
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = "signal %d" % -code
            if name in _CRASH_SIGNALS or own_target:
                return {"type": "ChildCrashed", "where": "child",
                        "message": "a child was killed by %s" % name}
        elif entry["wrapped"] and not report:
            return {"type": "ChildFailed", "where": "child", "message": (
                "a child exited with code %d %s" % (code, BEFORE_TARGET))}
        elif own_target:
            return {"type": "ChildFailed", "where": "child",
                    "message": "the child exited with code %d" % code}
        elif code == _FLUSH_FAILED and not error:  # not a watched child's own sys.exit(120)
            return {"type": "ChildFailed", "where": "child", "message": (
                "the child %s exited with code 120: Python's own status when flushing stdout "
                "or stderr failed at its exit" % getattr(proc, "name", "?"))}
        elif not entry["wrapped"] and code == 1:  # an uncaught error in run(), or sys.exit(1):
            name = str(getattr(proc, "name", "?"))  # ``check`` looks for its traceback by name
            return {"type": "ChildFailed", "where": "child", "process": name,
                    "message": "the child %s exited with code %d" % (name, code)}
        # Any other status of an unwatched child is its sys.exit(n) or os._exit(n): on purpose.
    return None


_STOPPED: Set[int] = set()  # pids this process terminated or killed on purpose
#: Parent errors that follow from a child's failure rather than cause it.
_FOLLOW_ON = {"SystemExit", "Empty", "EOFError", "BrokenPipeError", "ConnectionResetError",
              "ConnectionRefusedError", "TimeoutError", "BrokenProcessPool", "RemoteError"}


def _said(error: Dict[str, Any]) -> str:
    """``Type: message``, or ``Type`` alone when it has no message (``queue.Empty``)."""
    message = str(error.get("message") or "")[:200]
    return "%s: %s" % (error.get("type"), message) if message else str(error.get("type"))


def _user_path(user_dir: str, working_folder: bool) -> None:
    """The program's ``sys.path`` as ``python -m`` (the working folder first) or ``python
    script.py`` has it (the script's folder first, put by the run), then PYTHONPATH's folders,
    then the interpreter's (``site`` drops a later duplicate, not the first folder's).

    ``-I`` kept the interpreter from reading PYTHONPATH: read here, after check's own imports,
    a user's module named like a standard one (``json.py``) cannot replace check's."""
    pythonpath = os.environ.get("PYTHONPATH")
    folders = []  # type: List[str]
    for entry in pythonpath.split(os.pathsep) if pythonpath else ():
        folder = os.path.abspath(os.path.join(user_dir, entry))  # "" is the working folder
        folders += [folder] if folder not in folders else []
    sys.path[:] = ([user_dir] if working_folder else []) + folders + [
        p for p in sys.path if p not in folders]


def _run(user_dir: str, target: str, method: str, args: List[Any],
         report_dir: str, hang_dir: str = "", result_path: str = "") -> Dict[str, Any]:
    import multiprocessing
    import time
    import warnings

    from . import check_exit, check_frames, check_stack, check_watch

    if method not in multiprocessing.get_all_start_methods():
        return {"outcome": UNAVAILABLE, "detail": "%s is not a start method on %s" % (
            method, sys.platform)}
    # The documented way to learn the default without fixing it: the first listed method.
    default_method = multiprocessing.get_all_start_methods()[0]
    os.chdir(user_dir)
    where = target.rpartition(":")[0] or target
    script = script_path(user_dir, where) if where.endswith(".py") else ""
    # Its folder, and the real one its imports come from, hold the user's modules too.
    script_dir = os.pathsep.join(sorted({os.path.dirname(script), os.path.dirname(
        os.path.realpath(script))})) if script else ""
    _user_path(user_dir, not script_dir)
    # The children report in the hang folder, which outlives a run killed before its end
    # (``check_suite``): what the tests it finished saw is still there.
    watch = check_watch.Watch(hang_dir or report_dir, os.pathsep.join(
        d for d in (user_dir, script_dir) if d), _STOPPED, hang_dir, default_method)
    watch.install()
    check_stack.arm(hang_dir, "parent")
    watch.program = is_callable(target)
    check_watch.line_buffered_stderr()
    tests: Dict[str, Any] = {}
    result: Dict[str, Any] = {}
    started = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")

        def finish(result: Dict[str, Any]) -> Dict[str, Any]:
            return dict(_finish(result, watch, target, tests, caught),
                        duration_s=time.perf_counter() - started)

        undo = write_at_hard_exit(result_path, finish) if result_path and \
            as_main(target) else None
        try:
            if target == PYTEST:
                _make_default(method)
                result = run_pytest(args, tests, watch, hang_dir)
            elif as_main(target):
                _make_default(method)
                result = run_main(user_dir, target, args)
            else:
                result = run_callable(user_dir, target, method, args)
        except BaseException as exc:  # noqa: BLE001 - every failure is an outcome
            result = {"outcome": ERROR, "error": {
                "type": type(exc).__name__, "message": str(exc)[:MESSAGE_LIMIT], "where": "parent",
                "traceback": check_frames.user_frames(exc)}, "status": 1}
        if undo is not None:
            undo()
    # As the interpreter's exit: its exit steps, in its order, then the children left; after
    # the recorded warnings, as an atexit handler's warning reaches stderr (review r23).
    check_exit.end_program(watch.started, lambda ended: _write_result(
        result_path, finish(ended)) if result_path else 0, result)
    return finish(result)


def _finish(result: Dict[str, Any], watch: Any, target: str, tests: Dict[str, Any],
            caught: List[Any]) -> Dict[str, Any]:
    """The run's result from what the parent ended with (``status``: its exit status, when
    not 0) and what its children did and reported."""
    result = dict(result)
    reports = watch.child_reports()
    of_callable = is_callable(target)
    status = result.pop("status", 0)
    if target == PYTEST:  # a child's failure is its test's, which the test judges
        result = result or {"outcome": OK}
    elif not result:
        failure = _child_failure(watch.started, reports, of_callable)
        result = {"outcome": ERROR, "error": failure} if failure else {"outcome": OK}
    elif result.get("error"):
        # The parent failed and so did a child: when the parent's error is what a child's
        # failure causes (an empty queue, a closed pipe, a check of the results), the child's
        # is the cause the user needs; any other parent error stays first.
        failure = _child_failure(watch.started, reports, of_callable)
        parent = result["error"]
        # The other error goes in ``also``, beside the first (never into its message).
        if failure and parent.get("type") in _FOLLOW_ON:
            # ``instead``: the parent's error stays the outcome should ``check`` find that an
            # unwatched child exited by sys.exit(1) (no traceback of it on stderr).
            result["error"] = dict(failure, also="then in the parent: " + _said(parent),
                                   **({"instead": parent} if failure.get("process") else {}))
        elif failure:
            result["error"] = dict(parent, also="a child also failed: " + _said(failure))
    if of_callable and watch.started:  # the program is the target's process
        code = exit_code(watch.started[0])
        status = code if isinstance(code, int) and code > 0 else status
    if of_callable and result.get("outcome") == ERROR:
        status = status or 1
    result["status"] = status
    # The status the program's end gave: ``check`` compares the interpreter's own with it (a
    # thread's ``os._exit`` at shutdown, after this, is the program's real exit status).
    result["observed"] = dict(watch.observed(reports), exit_status=status)
    if not as_main(target):  # a callable is started by name, as the cell's method;
        result["observed"]["explicit_only"] = False  # a suite is compared test by test
    if target == PYTEST:  # no test judges the processes started before the first one
        before = [e for e in watch.started if not e.get("test")]
        failure = _child_failure(before, reports, False)
        result["observed"][BEFORE_TESTS] = dict(started=len(before), **(
            {"failure": failure} if failure else {}))
    if tests:
        result["observed"]["tests"] = tests
    result["warnings"] = [{"category": w.category.__name__,
                           "message": str(w.message)[:MESSAGE_LIMIT]} for w in caught]
    return result


def main(argv: List[Any]) -> int:
    if len(argv) != 8:
        sys.stderr.write(_USAGE)
        return 2
    _, user_dir, target, method, args_json, hang_dir, result_path = argv[1:]
    import json

    report_dir = os.path.dirname(os.path.abspath(result_path))
    result = _run(user_dir, target, method, json.loads(args_json), report_dir, hang_dir,
                  result_path)
    sys.stdout.flush()
    sys.stderr.flush()
    return _write_result(result_path, result)


def _write_result(result_path: str, result: Dict[str, Any]) -> int:
    """Write the run's ``result``; its ``status`` (the program's own exit status, the run's
    ``returncode``) is returned, not written."""
    from ._files import write_json

    result = dict(result)
    status = result.pop("status", 0)
    write_json(result_path, result, default=repr)  # a stray non-JSON value: its repr, never lost
    return int(status)


