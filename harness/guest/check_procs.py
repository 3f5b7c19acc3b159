"""What ``check_watch`` reads of a process the program starts or closes (runs inside the
interpreter under test; standard library only, Python 3.8 syntax): the method it is started
with, whether its class overrides ``run()``, the threads alive at a fork start, and its exit
code kept when the program closes it (``Process.close()``: a closed one raises on every look).
"""

from __future__ import annotations

import sys

from . import TYPE_CHECKING
from .check_compare import _OWN

if TYPE_CHECKING:
    from typing import Any, Dict, List, Tuple

__all__ = ["POOL_FORKED", "THREADS_AT_FORK", "closing", "forked_among", "method_used",
           "module_of", "overrides_run", "thread_pool"]

#: The facts (``check_watch``) of the fork starts while other threads ran: those threads'
#: names (sorted, at most ``_NAMES``), and whether a Pool's own worker-handler thread forked
#: (a Pool with ``maxtasksperchild`` replacing a worker).
THREADS_AT_FORK, POOL_FORKED = "threads_at_fork", "pool_forked"
_NAMES = 6
#: Check's own threads (``check-exit-watch``, ``check_hang``): not the program's.
_OWN_THREADS = "check-"


def _described(thread: Any) -> str:
    """A thread's name with what it runs, as 3.10+ names it (``Thread-2 (_handle_tasks)``) on
    every version: its target's name, else its class's (a subclass: tqdm's ``TMonitor``)."""
    name = str(thread.name)
    if name.endswith(")"):
        return name
    target = getattr(thread, "_target", None)
    kind = type(thread)
    what = getattr(target, "__name__", None) if target is not None else (
        kind.__name__ if kind.__module__ != "threading" else None)
    return "%s (%s)" % (name, what) if isinstance(what, str) else name


def forked_among(seen: List[str]) -> Tuple[List[str], bool]:
    """At a fork start from a thread while others run: ``seen`` with the other threads'
    names (their targets in them from 3.10: ``Thread-2 (_handle_tasks)``), and whether the
    thread forking is multiprocessing.pool's worker handler."""
    import threading

    here = threading.current_thread()
    names = set(seen) | {_described(t) for t in threading.enumerate()
                         if t is not here and not str(t.name).startswith(_OWN_THREADS)}
    target = getattr(here, "_target", None)
    pooled = getattr(target, "__qualname__", None) == "Pool._handle_workers" and getattr(
        target, "__module__", None) == "multiprocessing.pool"
    return sorted(names)[:_NAMES], pooled


def closing(entries: Dict[int, Dict[str, Any]], close: Any) -> Any:
    """``Process.close`` that first keeps the exit code in the process's entry in ``entries``
    (by ``id``: the entry holds the process) once the close succeeded."""

    def watched_close(proc: Any) -> Any:
        entry = entries.get(id(proc))
        if entry is None or "exitcode" in entry:  # not started by the program, or closed
            return close(proc)
        code = proc.exitcode
        close(proc)  # raises while it runs: nothing kept then
        entry["exitcode"] = code
        return None
    return watched_close


_PICKLING = ("__reduce__", "__reduce_ex__", "__getstate__")


def overrides_run(proc: Any, base: Any) -> bool:
    """``proc``'s class overrides ``run()`` and would carry a ``_Run`` to its child: it is the
    user's (not multiprocessing's or the harness's) and pickles as ``Process`` does."""
    kind = type(proc)
    try:
        return kind.run is not base.run and "run" not in vars(proc) and not str(
            kind.__module__).startswith((_OWN, "multiprocessing.", "concurrent.")) and all(
            getattr(kind, name, None) is getattr(base, name, None) for name in _PICKLING)
    except Exception:  # noqa: BLE001 - an odd class: watching must never break the program
        return False


def thread_pool(frame: Any) -> bool:
    """``frame`` is a ThreadPool's ``Pool.__init__``."""
    pool = sys.modules.get("multiprocessing.pool")
    kind = getattr(pool, "ThreadPool", None)
    return kind is not None and frame.f_code.co_name == "__init__" and isinstance(
        frame.f_locals.get("self"), kind)


def method_used(proc: Any, context: Any) -> Any:
    """The start method ``proc`` is being started with: its context's (``ctx.Process``), else
    the default context's (a plain ``multiprocessing.Process``): the one fixed, or the one
    this start is about to fix."""
    method = getattr(proc, "_start_method", None)
    if method:
        return method
    default = context._default_context
    chosen = getattr(default, "_actual_context", None) or getattr(default, "_default_context", None)
    return getattr(chosen, "_name", None)


def module_of(target: Any) -> str:
    """The target's ``__module__`` ("" when it has none, or an odd object's look-up fails)."""
    try:
        name = getattr(target, "__module__", "")
    except Exception:  # noqa: BLE001 - a hostile __getattribute__: watching never breaks it
        return ""
    return name if isinstance(name, str) else ""
