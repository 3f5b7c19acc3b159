"""The case's parent process: run ONE catalog case under ONE start method and write its result.

Started as ``python -I harness/guest/executor.py PROJECT_ROOT CASE_ID METHOD RESULT_PATH``: that
tiny main module puts the project root on ``sys.path`` and calls :func:`main`. The code lives here,
not in the main module, because spawn and forkserver children run the parent's main module
again from source (forkserver before 3.13.8/3.14.1, gh-98552): a few lines, as for a user's
script, not this module (about a millisecond per child, which distorted start latency).

This process is what fork copies, so it imports as little as possible before the case runs (no
json, no harness machinery beyond the catalog; ``_files`` writes the result after it ran).
Standard library only, Python 3.8 syntax. The runner that started it applies the hard timeout.
"""

from __future__ import annotations

import os
import sys

from harness.guest import MESSAGE_LIMIT, TYPE_CHECKING
from harness.guest.words import CHILD_DIED, ERROR, OK, UNAVAILABLE

if TYPE_CHECKING:
    from typing import Any, Dict, List

__all__ = ["category_module", "main"]

def _write(path: str, payload: Dict[str, Any]) -> None:
    """The result as strict JSON; an observation JSON cannot hold (a NaN, a set, an object)
    makes the cell an error that says what it was, never a repr or a NaN: the case's own
    (``where`` parent), as the catalog's bug in observing, not the harness failing to run it
    (that made the whole run partial, and every later run of it went to interrupted/)."""
    from harness.guest import _files  # only now: the case has finished, nothing it started sees

    try:
        _files.write_json(path, payload, sort_keys=True)
    except (TypeError, ValueError, RecursionError) as exc:
        what = _files.non_json(payload.get("observed"), "observed") or "%s: %s" % (
            type(exc).__name__, str(exc)[:MESSAGE_LIMIT])
        payload = {key: value for key, value in payload.items() if key != "observed"}
        payload.update(outcome=ERROR, error={
            "type": "NotJSON", "where": "parent",
            "message": "the case's result cannot be written as JSON: %s" % what})
        _files.write_json(path, payload, sort_keys=True)


def category_module(case_id: str) -> str:
    """The one module the executor imports for a case, ``cases.<category>``: it imports the
    category's other modules, so every case of the category is registered."""
    return "cases." + case_id.split(".", 1)[0]


def _run(case_id: str, method: str) -> Dict[str, Any]:
    import importlib
    import time
    import warnings

    from harness.guest import catalog  # the project root is on sys.path (executor.py put it there)

    module_name = category_module(case_id)
    importlib.import_module(module_name)
    found = {c.id: c for c in catalog.all_cases()}.get(case_id)
    if found is None:  # the harness's: a category module registers all of it (a unit test)
        return {"outcome": ERROR, "error": {
            "type": "UnknownCase", "where": "harness",
            "message": "%s: not registered by %s, the one module the executor imports (it "
                       "must import the category's other modules)" % (case_id, module_name)}}

    import multiprocessing

    if method not in multiprocessing.get_all_start_methods():
        return {"outcome": UNAVAILABLE,
                "detail": "%s is not a start method on %s" % (method, sys.platform)}

    ctx = catalog.Context(method, os.getcwd())
    result: Dict[str, Any] = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        started = time.perf_counter()
        try:
            observed = found.func(ctx)
        except catalog.Unavailable as exc:
            result = {"outcome": UNAVAILABLE, "detail": str(exc)[:MESSAGE_LIMIT]}
        except catalog.ChildError as exc:
            result = {"outcome": ERROR, "error": {"type": exc.type_name,
                                                    "message": exc.message[:MESSAGE_LIMIT],
                                                    "where": "child"}}
        except catalog.ChildDied as exc:
            result = {"outcome": ERROR, "error": {"type": CHILD_DIED, "message": str(exc),
                                                    "where": "child"}}
        except BaseException as exc:  # noqa: BLE001 - every exception is an outcome
            result = {"outcome": ERROR, "error": {"type": type(exc).__name__,
                                                    "message": str(exc)[:MESSAGE_LIMIT],
                                                    "where": "parent"}}
        else:
            result = {"outcome": OK, "observed": observed}
        result["duration_s"] = time.perf_counter() - started
    result["warnings"] = [
        {"category": w.category.__name__, "message": str(w.message)[:MESSAGE_LIMIT]}
        for w in caught
    ]
    return result


def main(argv: List[Any]) -> int:
    if len(argv) != 5:
        sys.stderr.write("usage: executor.py PROJECT_ROOT CASE_ID METHOD RESULT_PATH\n")
        return 2
    case_id, method, result_path = argv[2:]  # argv[1], the project root, is on sys.path
    result = _run(case_id, method)
    sys.stdout.flush()
    sys.stderr.flush()
    _write(result_path, result)
    return 0

