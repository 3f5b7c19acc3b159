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
(review r21). Shortly before the hard timeout, a child still running is reported as that,
with what the run saw, and the run exits: the host kills what is left, as at the timeout.
"""

from __future__ import annotations

import os
import sys

from . import TYPE_CHECKING
from .words import TIMEOUT

if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List, Optional

__all__ = ["STILL_RUNNING", "end_program", "exit_code", "target_name"]

#: A run's detail when a child it started was still running at the deadline, after the
#: program and its exit steps had ended; its targets follow.
STILL_RUNNING = "a child still running after the program ended: "
_NAMED = 3  # targets named in that detail at most


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
    """What the interpreter's exit does before it is gone, in its order (module docstring)."""
    import atexit
    import threading

    calls = getattr(threading, "_threading_atexits", None)  # 3.9+: the executors' hooks
    while calls:
        call = calls.pop()  # last registered first, as threading._shutdown calls them
        try:
            call()
        except Exception:  # noqa: BLE001 - printed, as the interpreter's exit would
            import traceback

            traceback.print_exc()
    here = threading.current_thread()
    for thread in threading.enumerate():
        if thread is not here and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()  # the program's handlers, then multiprocessing's; then none left


def end_program(started: List[Dict[str, Any]], deadline: Optional[float],
                write: Callable[[Dict[str, Any]], int], result: Dict[str, Any]) -> None:
    """Run the interpreter's exit steps, then wait for every non-daemonic child left.

    ``write`` (which writes a result and returns its exit status) is given ``result`` first,
    the program's end: an ``os._exit`` in an ``atexit`` handler leaves it, and the host
    compares the statuses. At ``deadline`` (a ``time.time()``; None: no limit) with a child
    still running, it is given a timeout naming the child, and the run exits."""
    import threading

    lock, ended = threading.Lock(), [False]

    def at_deadline() -> None:
        import time

        time.sleep(max(0.0, (deadline or 0.0) - time.time()))
        alive = [entry for entry in started if _alive(entry)]
        with lock:
            if ended[0] or not alive:
                return  # ended meanwhile; or no child: the program's own exit hangs
            ended[0] = True
            names = sorted({str(entry.get("target") or "?") for entry in alive})
            said = ", ".join(names[:_NAMED]) + (" and %d more" % (len(names) - _NAMED)
                                                if len(names) > _NAMED else "")
            status = _written(write, {"outcome": TIMEOUT, "detail": STILL_RUNNING + said,
                                      "status": result.get("status", 0)})
        os._exit(status)

    _written(write, result)
    if deadline is not None:
        threading.Thread(target=at_deadline, name="check-exit-deadline", daemon=True).start()
    _exit_steps()
    for entry in started:  # any the steps left (multiprocessing's exit joins its own)
        if "exitcode" not in entry:
            entry["process"].join(None if not entry["process"].daemon else 0)
    with lock:
        fired, ended[0] = ended[0], True
    if fired:  # the deadline's result is written: its exit follows
        threading.Event().wait()


def _alive(entry: Dict[str, Any]) -> bool:
    """A started process not closed and still running (an odd one: not)."""
    try:
        return "exitcode" not in entry and entry["process"].is_alive()
    except Exception:  # noqa: BLE001 - looking must never fail the run's end
        return False


def _written(write: Callable[[Dict[str, Any]], int], result: Dict[str, Any]) -> int:
    """``write(result)`` with stdout and stderr flushed first (an exit follows); 1 if it failed."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
        return write(dict(result))
    except BaseException:  # noqa: BLE001 - the exit must happen whatever failed
        return 1
