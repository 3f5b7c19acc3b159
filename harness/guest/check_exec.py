"""Run the USER's code under one start method, the way multiprocessing would, and write what
happened: the executor of ``python -m harness check``.

Usage: ``python -I check_exec.py PROJECT_ROOT USER_DIR TARGET METHOD ARGS_JSON RESULT_PATH``

TARGET is ``module:callable`` or ``path/to/script.py[:callable]``. A callable is started as the
target of one ``Process`` of the method's context; a whole script runs as ``__main__`` with the
method made the *default* (so a script that chooses its own method still does). Every process
started is watched: threads alive at start, globals of the target's module that differ in the
child, exceptions in the child. Standard library only, Python 3.8 syntax.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Dict, List, Tuple

__all__ = ["main"]

_SIMPLE = (str, int, float, bool, type(None), bytes)
_LIMIT = 1000


def _snapshot(module_name: str) -> Dict[str, Any]:
    module = sys.modules.get(module_name)
    if module is None:
        return {}
    return {k: v for k, v in vars(module).items()
            if not k.startswith("__") and isinstance(v, _SIMPLE)}


def _child_wrapper(report_dir: str, target: object, snapshot: Dict[str, Any], args: Tuple[Any, ...],
                   kwargs: Dict[str, Any]) -> None:
    """Runs in the child: call the user's target, then report differing globals or the error."""
    import json

    report = {"pid": os.getpid(), "globals_differ": [], "error": None}
    module = sys.modules.get(getattr(target, "__module__", "") or "")
    try:
        target(*args, **kwargs)  # type: ignore[operator]
    except BaseException as exc:
        report["error"] = {"type": type(exc).__name__, "message": str(exc)[:_LIMIT]}
        raise
    finally:
        if module is not None:
            report["globals_differ"] = sorted(
                name for name, value in snapshot.items()
                if getattr(module, name, object()) != value)
        with open(os.path.join(report_dir, "child-%d.json" % os.getpid()), "w") as handle:
            json.dump(report, handle)


def _watch_starts(report_dir: str, started: List[Any]) -> None:
    """Patch Process.start to wrap user targets and record threads alive at each start."""
    import threading
    from multiprocessing import process

    original = process.BaseProcess.start

    def start(self: object) -> None:
        target = getattr(self, "_target", None)
        module_name = getattr(target, "__module__", "") or ""
        watched = target is not None and not module_name.startswith(
            ("multiprocessing", "concurrent"))
        if watched:
            snapshot = _snapshot(module_name)
            user_args = getattr(self, "_args", ())
            user_kwargs = getattr(self, "_kwargs", {})
            self._target = _child_wrapper  # type: ignore[attr-defined]
            self._args = (report_dir, target, snapshot, tuple(user_args),  # type: ignore[attr-defined]
                          dict(user_kwargs))
            self._kwargs = {}  # type: ignore[attr-defined]
        threads = threading.active_count()
        original(self)  # type: ignore[arg-type]
        started.append({"process": self, "threads": threads})

    process.BaseProcess.start = start  # type: ignore[method-assign]


def _load_callable(user_dir: str, target: str) -> Any:
    """``module:callable`` or ``script.py:callable`` (the script loaded as the main module)."""
    import importlib
    import types

    where, _, name = target.rpartition(":")
    if where.endswith(".py"):
        path = os.path.join(user_dir, where)
        module = types.ModuleType("__mp_main__")
        module.__file__ = path
        with open(path, encoding="utf-8") as handle:
            code = compile(handle.read(), path, "exec")
        sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
        sys.modules["__main__"] = sys.modules["__mp_main__"] = module
        exec(code, module.__dict__)  # noqa: S102 - the user's own script, by request
    else:
        module = importlib.import_module(where)
    return getattr(module, name)


def _run(user_dir: str, target: str, method: str, args: List[Any],
         report_dir: str) -> Dict[str, Any]:
    import multiprocessing
    import runpy
    import warnings

    if method not in multiprocessing.get_all_start_methods():
        return {"outcome": "unavailable", "detail": "%s is not a start method on %s" % (
            method, sys.platform)}
    # The documented way to learn the default without fixing it: the first listed method.
    default_method = multiprocessing.get_all_start_methods()[0]
    sys.path.insert(0, user_dir)
    started: List[Any] = []
    _watch_starts(report_dir, started)
    result: Dict[str, Any] = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if target.endswith(".py"):
                context = multiprocessing.context
                context._default_context._default_context = (  # type: ignore[attr-defined]
                    context._concrete_contexts[method])  # type: ignore[attr-defined]
                sys.argv = [os.path.join(user_dir, target)] + [str(a) for a in args]
                try:
                    runpy.run_path(sys.argv[0], run_name="__main__")
                except SystemExit as exc:
                    if exc.code not in (None, 0):
                        raise
            else:
                func = _load_callable(user_dir, target)
                chosen: Any = multiprocessing.get_context(method)
                proc = chosen.Process(target=func, args=tuple(args))
                proc.start()
                proc.join()
        except BaseException as exc:  # noqa: BLE001 - every failure is an outcome
            result = {"outcome": "error", "error": {"type": type(exc).__name__,
                                                    "message": str(exc)[:_LIMIT],
                                                    "where": "parent"}}
        for entry in started:
            entry["process"].join(5)
    children = _child_reports(report_dir)
    exitcodes = [entry["process"].exitcode for entry in started]
    failed = [code for code in exitcodes if code not in (0, None)]
    child_error = next((c["error"] for c in children if c.get("error")), None)
    parent_exit = (result.get("error") or {}).get("type") == "SystemExit"
    if not result or (parent_exit and child_error is not None):
        if child_error is not None:
            result = {"outcome": "error", "error": dict(child_error, where="child")}
        elif failed:
            result = {"outcome": "error", "error": {
                "type": "ChildFailed", "where": "child",
                "message": "a child exited with code %s" % failed[0]}}
        else:
            result = {"outcome": "ok"}
    result["observed"] = {
        "default_method": default_method,
        "processes_started": len(started),
        "exitcodes": exitcodes,
        "threads_at_start": max([e["threads"] for e in started] or [1]),
        "globals_differ": sorted({n for c in children for n in c.get("globals_differ", [])}),
    }
    result["warnings"] = [{"category": w.category.__name__, "message": str(w.message)[:_LIMIT]}
                          for w in caught]
    return result


def _child_reports(report_dir: str) -> List[Any]:
    import json

    reports = []
    for name in sorted(os.listdir(report_dir)):
        if name.startswith("child-") and name.endswith(".json"):
            try:
                with open(os.path.join(report_dir, name)) as handle:
                    reports.append(json.load(handle))
            except (OSError, ValueError):
                continue
    return reports


def main(argv: List[Any]) -> int:
    if len(argv) != 7:
        sys.stderr.write("usage: check_exec.py PROJECT_ROOT USER_DIR TARGET METHOD ARGS_JSON "
                         "RESULT_PATH\n")
        return 2
    root, user_dir, target, method, args_json, result_path = argv[1:]
    import json

    sys.path.insert(0, root)
    # Use the importable copy of this module, so that the child wrapper pickles by reference
    # as ``harness.guest.check_exec._child_wrapper`` even when a script replaces ``__main__``.
    from harness.guest import check_exec  # noqa: PLW0406 - the importable copy, on purpose

    report_dir = os.path.dirname(os.path.abspath(result_path))
    result = check_exec._run(user_dir, target, method, json.loads(args_json), report_dir)
    sys.stdout.flush()
    sys.stderr.flush()
    tmp = result_path + ".part"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(result, handle, default=repr)
    os.replace(tmp, result_path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
