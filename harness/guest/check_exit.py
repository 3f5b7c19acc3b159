"""How ``check_exec`` ends the user's program: as its interpreter's exit would, in the same
order, then looks at the children it started (runs inside the interpreter under test; standard
library only, Python 3.8 syntax).

Interpreter exit (``Py_FinalizeEx``) first runs threading's exit callbacks (3.9+: the
executors of ``concurrent.futures`` shut down; 3.8 registers those with ``atexit``) and joins
the non-daemonic threads, then the ``atexit`` handlers, last registered first: the program's
own, then multiprocessing's, whose finalizers stop a ``Manager`` or a ``Pool`` kept in a global
before it terminates the daemonic children and joins the rest. ``check`` runs these same steps
(each runs once: the interpreter's own exit then finds nothing left to do) instead of joining
every child first, which waited for ever on a Manager or an executor only that exit stops
(review r21). A child still running after them is waited for, as the exit would: the host's
hard timeout ends it, asking the run's processes where they waited first (``check_stacks``).
"""

from __future__ import annotations

import sys

from . import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List

__all__ = ["end_program", "exit_code", "target_name"]


def target_name(target: Any, proc: Any) -> str:
    """What a started process runs, for a message: ``module.function`` (only ``function`` in
    ``__main__``), the class's ``run`` of a subclass without a target, else its name."""
    try:
        if target is None:
            kind = type(proc)
            target = kind.run if "run" in vars(kind) else None
        name = getattr(target, "__qualname__", None) or getattr(target, "__name__", None)
        module = getattr(target, "__module__", None)
        if isinstance(name, str):
            return name if module in (None, "__main__", "__mp_main__") else "%s.%s" % (
                module, name)
        return str(proc.name)
    except Exception:  # noqa: BLE001 - an odd target: watching never breaks the program
        return "?"


def exit_code(entry: Dict[str, Any]) -> Any:
    """The exit code of a started process (``check_watch``'s entry): as saved when the
    program closed it (``Process.close()``: a closed one raises on every look), else its own."""
    if "exitcode" in entry:
        return entry["exitcode"]
    return entry["process"].exitcode


def _exit_steps() -> None:
    """What the interpreter's exit does before it is gone, in its order (module docstring):
    ``threading._shutdown`` (its exit hooks, the main thread marked stopped, the joins, looped
    as threads start threads), then the ``atexit`` handlers, whose errors the exit ignores
    (3.8/3.9's ``_run_exitfuncs`` re-raises the last after printing it; review r23)."""
    import atexit
    import threading

    shutdown = getattr(threading, "_shutdown", None)
    if shutdown is not None:
        shutdown()
    try:
        atexit._run_exitfuncs()  # the program's handlers, then multiprocessing's; then none left
    except BaseException:  # noqa: BLE001, S110 - printed by it; the interpreter's exit goes on
        pass


def end_program(started: List[Dict[str, Any]], write: Callable[[Dict[str, Any]], int],
                result: Dict[str, Any]) -> None:
    """Run the interpreter's exit steps, then wait for every non-daemonic child left, as the
    exit would (a child that never ends is the host's hard timeout, where the stacks of the
    run's processes are asked: ``check_stacks``).

    ``write`` (which writes a result and returns its exit status) is given ``result`` first,
    the program's end: an ``os._exit`` in an ``atexit`` handler leaves it, and the host
    compares the statuses."""
    _written(write, result)
    _exit_steps()
    for entry in started:  # any the steps left (multiprocessing's exit joins its own)
        if "exitcode" not in entry:
            entry["process"].join(None if not entry["process"].daemon else 0)


def _written(write: Callable[[Dict[str, Any]], int], result: Dict[str, Any]) -> int:
    """``write(result)`` with stdout and stderr flushed first (an exit may follow), each on its
    own: a program that closed one still has its result written (review r23); 1 if it failed."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):  # closed, or replaced by the program
            pass
    try:
        return write(dict(result))
    except BaseException:  # noqa: BLE001 - the exit must happen whatever failed
        return 1
