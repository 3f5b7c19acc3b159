"""Run the USER's code under one start method, the way its user would, and write what happened:
the executor of ``python -m harness check``.

Usage: ``python -I check_exec.py PROJECT_ROOT USER_DIR TARGET METHOD ARGS_JSON HANG_DIR
RESULT_PATH``

TARGET is ``module:callable``, ``path/to/script.py[:callable]`` or ``--pytest``. A callable is
started as the target of one ``Process`` of the method's context and its result is the outcome.
A whole script runs as ``__main__`` (in USER_DIR, with the method made the *default*, so a
script that chooses its own method still does); its outcome is its own: exit status, uncaught
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
    from typing import Any, Dict, List, NoReturn, Optional, Set

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
    from .words import ERROR, OK, UNAVAILABLE
else:  # this script run again as __mp_main__ by a spawn child (a callable target, a suite)
    _WORDS = __import__(ALIAS + ".words", fromlist=["ERROR"])
    ERROR, OK, UNAVAILABLE = _WORDS.ERROR, _WORDS.OK, _WORDS.UNAVAILABLE
    MESSAGE_LIMIT = __import__(ALIAS).MESSAGE_LIMIT
#: Signals nobody sends on purpose: a child dying of one crashed.
_CRASH_SIGNALS = {"SIGSEGV", "SIGBUS", "SIGABRT", "SIGILL", "SIGFPE"}


def _make_default(method: str) -> None:
    """Make ``method`` the default without fixing it: ``set_start_method`` still works."""
    from multiprocessing import context

    context._default_context._default_context = (  # type: ignore[attr-defined]
        context._concrete_contexts[method])  # type: ignore[attr-defined]


def _exited(code: Any, how: str = "") -> Dict[str, Any]:
    """The result of a script that ended with ``sys.exit(code)`` (or ``how``: ``os._exit``)."""
    if code in (None, 0) or (type(code) is int and os.name == "posix" and code % 256 == 0):
        return {}  # sys.exit(256): the status POSIX keeps, code & 0xFF, is 0 (review r15)
    said = isinstance(code, str)  # sys.exit("text"): status 1, the text printed
    return {"outcome": ERROR, "error": {
        "type": "SystemExit", "where": "parent", "message": "the script exited with status %s%s"
        % ("1: %s" % code if said else code, " (%s)" % how if how else "")}}


def _run_script(user_dir: str, target: str, args: List[Any]) -> Dict[str, Any]:
    from .check_main import run_script

    sys.argv = [target] + [str(a) for a in args]  # as given, as python has it
    path = _script_path(user_dir, target)
    sys.path.insert(0, os.path.dirname(os.path.realpath(path)))
    try:
        run_script(path)
    except SystemExit as exc:
        result = _exited(exc.code)
        if result:
            from .check_frames import user_frames

            result["error"]["traceback"] = user_frames(exc)
            result["status"] = exc.code if isinstance(exc.code, int) else 1
        return result
    return {}


def _script_path(user_dir: str, where: str) -> str:
    """The script's path as its ``__file__`` and frames say it: absolute, through a symbolic
    link as given (python puts only ``sys.path[0]``, the folder, as the real one), without
    ``..`` unless that names another file (``lnk/../x.py``, the link's parent's)."""
    given = os.path.join(user_dir, where)
    plain = os.path.abspath(given)
    return plain if os.path.realpath(plain) == os.path.realpath(given) else given


def _write_at_hard_exit(result_path: str, finish: Any) -> Any:
    """Make ``os._exit(status)`` in this process (not in a fork child, which inherits it) write
    the result ``finish`` makes of that status first, as ``sys.exit`` would: without it a
    script ending so (not to wait for its interpreter's shutdown) left no result at all.

    Returns what undoes it, once the program has ended: a later call (an ``atexit`` handler
    holding the replacement) must not rewrite the result the program's end gave."""
    real, parent, live = os._exit, os.getpid(), [True]

    def _exit(status: int) -> NoReturn:
        if os.getpid() == parent and live[0]:
            try:
                from ._files import write_json

                result = finish(dict(_exited(status, "os._exit"), status=status))
                result.pop("status", None)  # the exit status itself says it
                write_json(result_path, result, default=repr)
            except BaseException:  # noqa: BLE001, S110 - the exit must happen whatever failed
                pass
        real(status)

    os._exit = _exit

    def undo() -> None:
        live[0] = False
        os._exit = real
    return undo


def _run_callable(user_dir: str, target: str, method: str, args: List[Any]) -> Dict[str, Any]:
    import importlib
    import multiprocessing

    where, _, name = target.rpartition(":")
    # As an entry point sees it: its own name or file, not check's arguments.
    sys.argv = [where]
    if where.endswith(".py"):
        import types

        from .check_main import check_encoding

        path = _script_path(user_dir, where)
        module = types.ModuleType("__mp_main__")
        module.__file__ = path
        with open(path, "rb") as handle:  # bytes: compile() honours a coding declaration
            source = handle.read()
        code = compile(source, path, "exec")
        check_encoding(source, path)
        sys.path.insert(0, os.path.dirname(os.path.realpath(path)))
        sys.modules["__main__"] = sys.modules["__mp_main__"] = module
        exec(code, module.__dict__)  # noqa: S102 - the user's own script, by request
    else:
        module = importlib.import_module(where)
        sys.argv = [getattr(module, "__file__", None) or where]  # as ``python -m`` has it
    try:
        function = getattr(module, name)
    except AttributeError:
        if not where.endswith(".py"):
            raise  # "module 'pkg.jobs' has no attribute 'nosuch'" names it already
        raise AttributeError("%s has no attribute %r" % (where, name)) from None
    context: Any = multiprocessing.get_context(method)
    proc = context.Process(target=function, args=tuple(args))
    proc.start()
    proc.join()
    return {}


def _run_pytest(args: List[Any], tests: Dict[str, Any], watch: Any,
                hang_dir: str) -> Dict[str, Any]:
    try:
        import pytest  # boundary: the user's own (their suite runs on their pytest)
    except ImportError:
        return {"outcome": UNAVAILABLE, "detail": "pytest is not installed in this interpreter: "
                "pass --python the python of a virtual environment that has pytest"}
    from .check_suite import Collector

    collector = Collector(tests, watch, hang_dir)
    # As ``pytest ARGS`` has it: a usage error names pytest, not this script.
    sys.argv = ["pytest"] + [str(a) for a in args]
    try:
        code = pytest.main(sys.argv[1:] + ["-p", "no:cacheprovider"], plugins=[collector])
    finally:
        collector.close()
    if int(code) not in (0, 1, 5):  # 5: nothing collected; 2-4: pytest itself failed
        return {"outcome": ERROR, "error": {"type": "PytestExit", "where": "parent",
                                              "message": "pytest exited with code %d" % code},
                "status": int(code)}
    return {"status": int(code)}


def _child_failure(entries: List[Dict[str, Any]], reports: Dict[int, Any],
                   callable_target: bool) -> Optional[Dict[str, Any]]:
    """The first child failure the user would see, skipping processes stopped on purpose.

    For a ``module:callable`` target the first process is the target's own: any non-zero
    exit of it is the outcome. A process not watched inside (a ``Process`` subclass that
    pickles itself) may have failed when it exited 1 (an uncaught error in its ``run()``:
    ``check`` looks for its traceback on stderr); another status is its own, on purpose.
    """
    import signal

    for index, entry in enumerate(entries):
        own_target = callable_target and index == 0
        proc, code = entry["process"], entry["process"].exitcode
        report = reports.get(proc.pid) or {}
        error = report.get("error")
        if error and error.get("type") != "SystemExit":
            return dict(error, where="child")
        if code is None or code == 0 or entry["pid"] in _STOPPED:
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

    from . import check_frames, check_watch

    if method not in multiprocessing.get_all_start_methods():
        return {"outcome": UNAVAILABLE, "detail": "%s is not a start method on %s" % (
            method, sys.platform)}
    # The documented way to learn the default without fixing it: the first listed method.
    default_method = multiprocessing.get_all_start_methods()[0]
    os.chdir(user_dir)
    where = target.rpartition(":")[0] or target
    script = _script_path(user_dir, where) if where.endswith(".py") else ""
    # Its folder, and the real one its imports come from, hold the user's modules too.
    script_dir = os.pathsep.join(sorted({os.path.dirname(script), os.path.dirname(
        os.path.realpath(script))})) if script else ""
    _user_path(user_dir, not script_dir)
    # The children report in the hang folder, which outlives a run killed before its end
    # (``check_suite``): what the tests it finished saw is still there.
    watch = check_watch.Watch(hang_dir or report_dir, os.pathsep.join(
        d for d in (user_dir, script_dir) if d), _STOPPED, hang_dir, default_method)
    watch.install()
    watch.program = target != "--pytest" and not target.endswith(".py")
    check_watch.line_buffered_stderr()
    tests: Dict[str, Any] = {}
    result: Dict[str, Any] = {}
    started = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")

        def finish(result: Dict[str, Any]) -> Dict[str, Any]:
            return dict(_finish(result, watch, target, tests, caught),
                        duration_s=time.perf_counter() - started)

        undo = _write_at_hard_exit(result_path, finish) if result_path and \
            target.endswith(".py") else None
        try:
            if target == "--pytest":
                _make_default(method)
                result = _run_pytest(args, tests, watch, hang_dir)
            elif target.endswith(".py"):
                _make_default(method)
                result = _run_script(user_dir, target, args)
            else:
                result = _run_callable(user_dir, target, method, args)
        except BaseException as exc:  # noqa: BLE001 - every failure is an outcome
            result = {"outcome": ERROR, "error": {
                "type": type(exc).__name__, "message": str(exc)[:MESSAGE_LIMIT], "where": "parent",
                "traceback": check_frames.user_frames(exc)}, "status": 1}
        # As at interpreter exit: non-daemonic children are waited for, daemonic ones would be
        # terminated by multiprocessing (on purpose), so they are only looked at.
        for entry in watch.started:
            entry["process"].join(None if not entry["process"].daemon else 0)
        if undo is not None:
            undo()
        return finish(result)


def _finish(result: Dict[str, Any], watch: Any, target: str, tests: Dict[str, Any],
            caught: List[Any]) -> Dict[str, Any]:
    """The run's result from what the parent ended with (``status``: its exit status, when
    not 0) and what its children did and reported."""
    result = dict(result)
    reports = watch.child_reports()
    callable_target = target != "--pytest" and not target.endswith(".py")
    status = result.pop("status", 0)
    if target == "--pytest":  # a child's failure is its test's, which the test judges
        result = result or {"outcome": OK}
    elif not result:
        failure = _child_failure(watch.started, reports, callable_target)
        result = {"outcome": ERROR, "error": failure} if failure else {"outcome": OK}
    elif result.get("error"):
        # The parent failed and so did a child: when the parent's error is what a child's
        # failure causes (an empty queue, a closed pipe, a check of the results), the child's
        # is the cause the user needs; any other parent error stays first.
        failure = _child_failure(watch.started, reports, callable_target)
        parent = result["error"]
        # The other error goes in ``also``, beside the first (never into its message).
        if failure and parent.get("type") in _FOLLOW_ON:
            # ``instead``: the parent's error stays the outcome should ``check`` find that an
            # unwatched child exited by sys.exit(1) (no traceback of it on stderr).
            result["error"] = dict(failure, also="then in the parent: " + _said(parent),
                                   **({"instead": parent} if failure.get("process") else {}))
        elif failure:
            result["error"] = dict(parent, also="a child also failed: " + _said(failure))
    if callable_target and watch.started:  # the program is the target's process
        code = watch.started[0]["process"].exitcode
        status = code if isinstance(code, int) and code > 0 else status
    if callable_target and result.get("outcome") == ERROR:
        status = status or 1
    result["status"] = status
    # The status the program's end gave: ``check`` compares the interpreter's own with it (a
    # thread's ``os._exit`` at shutdown, after this, is the program's real exit status).
    result["observed"] = dict(watch.observed(reports), exit_status=status)
    if not target.endswith(".py"):  # a callable is started by name, as the cell's method;
        result["observed"]["explicit_only"] = False  # a suite is compared test by test
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
    from ._files import write_json

    status = result.pop("status", 0)
    write_json(result_path, result, default=repr)  # a stray non-JSON value: its repr, never lost
    return int(status)  # the program's own: the run's ``returncode``


