"""What ``python -m harness check`` saw in the user's program, kept where a run killed at its
timeout still leaves it, and read back (runs inside the interpreter under test; standard
library only, Python 3.8 syntax).

The parent's watch writes the run's facts so far to ``FACTS`` in the hang folder when more
than a count changed at a ``start()``, ``terminate()`` or ``kill()`` (and ``check_suite`` as
each test ends); each child writes its report there (``check_watch``). The host reads both
for a run that did not write its result (a hang, a crash, an interrupt) as a finished run's
own result holds them. A watched child gets no timer and no fork hook; once its target has
returned, one daemon thread looks whether its exit waits for a queue's feeder
(``check_hang.exit_watch``).
"""

from __future__ import annotations

import os
import sys

from . import TYPE_CHECKING
from .check_objects import own_dict

if TYPE_CHECKING:
    from typing import Any, Dict, List, Set

__all__ = ["FACTS", "UNWATCHED", "Tally", "children_seen", "handlers", "held_by", "read_facts",
           "read_reports", "unwatched", "write_facts"]

#: The file of the run's facts so far in the hang folder (``Watch.facts``), rewritten whole.
FACTS = "check-facts.json"
#: The signals whose Python handler a fork child inherits and multiprocessing sends:
#: ``terminate()`` sends SIGTERM; SIGINT is Ctrl-C's.
_SIGNALS = ("SIGTERM", "SIGINT")


def handlers() -> Dict[str, str]:
    """The Python functions installed as handlers of ``_SIGNALS``, by signal name
    (``{"SIGTERM": "__main__.on_term"}``); Python's own SIGINT handler is not one."""
    import signal

    found: Dict[str, str] = {}
    for name in _SIGNALS:
        try:
            handler = signal.getsignal(getattr(signal, name))
            if callable(handler) and handler is not signal.default_int_handler:
                found[name] = _name(handler)
        except Exception:  # noqa: BLE001, S112 - an odd handler: watching never breaks the program
            continue
    return found


def _name(handler: Any) -> str:
    """``module.qualname`` of a handler, else its type's qualified name (a partial)."""
    module, name = getattr(handler, "__module__", None), getattr(handler, "__qualname__", None)
    if not isinstance(name, str):
        name = type(handler).__qualname__
    return ("%s.%s" % (module, name) if isinstance(module, str) else name)[:200]


#: Copies of multiprocessing: dill's ``multiprocess`` (pathos, mpire's use_dill run on it) and
#: celery's ``billiard``. check watches multiprocessing only; they keep their own start method.
UNWATCHED = ("multiprocess", "billiard")


def unwatched() -> List[str]:
    """The libraries of ``UNWATCHED`` loaded in this process (a look-up each: cheap)."""
    return [name for name in UNWATCHED if name in sys.modules]


#: The facts that only count: a hung run is read by whether each is 0, so a change of one
#: alone is not written (``Tally.changed``).
_COUNTS = ("processes_started", "start_attempts", "stopped_on_purpose")


class Tally:
    """A watch's running counts (no scan of every process started at each ``start()``: a
    program starting thousands made that quadratic), and what of its facts was last written.
    Counted under a lock: ``start()`` runs in several threads (a ThreadPool's tasks)."""

    def __init__(self, stopped: Set[int]) -> None:
        self.stopped = stopped  # the pids stopped on purpose (check_exec's set too)
        self.started: Dict[int, int] = {}  # pid -> times started (a pid the OS reused)
        self.processes = 0  # processes started
        self.stopped_started = 0  # processes started that were stopped on purpose
        self.threads = 1  # the most threads alive at a start()
        self.methods: Set[str] = set()
        self._written: Any = None
        self._locks: Dict[int, Any] = {}  # by pid: a fork child's copy may be held for good

    def _lock(self) -> Any:
        import threading

        lock = self._locks.get(os.getpid())
        return lock if lock is not None else self._locks.setdefault(  # setdefault: atomic
            os.getpid(), threading.Lock())

    def start(self, pid: int, threads: int) -> None:
        with self._lock():
            self.started[pid] = self.started.get(pid, 0) + 1
            self.processes += 1
            self.stopped_started += pid in self.stopped
            self.threads = max(self.threads, threads)

    def stop(self, pid: int) -> None:
        with self._lock():
            if pid not in self.stopped:
                self.stopped.add(pid)
                self.stopped_started += self.started.get(pid, 0)

    def changed(self, facts: Dict[str, Any]) -> Any:
        """What of ``facts`` a hang is read by, when it differs from what was last written
        by more than a count that was not 0 (else None): ``wrote`` it once written."""
        shape = {k: bool(v) if k in _COUNTS else v for k, v in facts.items()}
        return None if shape == self._written else shape

    def wrote(self, shape: Any) -> None:
        self._written = shape  # only now: a failed write (a full disk, EMFILE) is tried again


def write_facts(folder: str, facts: Dict[str, Any]) -> bool:
    """``facts`` in ``folder``'s ``FACTS``, whole (a kill leaves the previous version); False
    when it could not be written."""
    from ._files import write_json

    try:
        write_json(os.path.join(folder, FACTS), facts)
    except (OSError, ValueError, TypeError):  # a full disk: the finished run's result says it
        return False
    return True


def read_facts(folder: str) -> Dict[str, Any]:
    """The facts ``write_facts`` left in ``folder`` ({} when none, or unreadable)."""
    import json

    try:
        with open(os.path.join(folder, FACTS), encoding="utf-8") as handle:
            facts = json.load(handle)
    except (OSError, ValueError):
        return {}
    return facts if isinstance(facts, dict) else {}


def held_by(target: Any, exc: BaseException) -> Dict[str, Any]:
    """A start() whose target is a bound method failed to pickle a type ("cannot pickle
    '_thread.lock' object"): pickling the method pickles its object, so the attributes of the
    object of that type are what failed ({} when none is, or the target is no bound method)."""
    import re
    import types

    if type(target) is not types.MethodType:  # only then: no user ``__getattr__`` is asked
        return {}
    try:  # called as start() fails: nothing may replace the error the program gets
        holder, func, kind = target.__self__, target.__func__, re.search(_UNPICKLABLE, str(exc))
        if kind is None or type(func) is not types.FunctionType or isinstance(
                holder, types.ModuleType):
            return {}
        named = kind.group(1) or kind.group(2)
        found = sorted(name for name, value in (own_dict(holder) or {}).items()
                       if named in (type(value).__qualname__, "%s.%s" % (
                           type(value).__module__, type(value).__qualname__)))
        method = "%s.%s" % (type(holder).__qualname__, func.__name__)
    except Exception:  # noqa: BLE001 - an odd object (no __dict__): nothing to say
        return {}
    return {"target": method, "attributes": found[:6], "type": named} if found else {}


#: The type pickle could not pickle, as CPython says it ("cannot pickle '_thread.lock'
#: object") and as PyPy does ("Can't pickle <class '_thread.lock'>: it's not found as ...").
_UNPICKLABLE = r"cannot pickle '([\w.]+)' object|Can't pickle <class '([\w.]+)'>"


def read_reports(folder: str) -> Dict[int, Any]:
    """The reports the children wrote in ``folder`` (``check_watch._child_wrapper``), by pid;
    one cut short by a kill, or unreadable, is left out."""
    import json

    reports: Dict[int, Any] = {}
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return reports
    for name in names:
        if name.startswith("child-") and name.endswith(".json"):
            try:
                with open(os.path.join(folder, name)) as handle:
                    report = json.load(handle)
                reports[int(report["pid"])] = report
            except (OSError, ValueError, KeyError, TypeError):
                continue
    return reports


def children_seen(reports: Dict[int, Any]) -> Dict[str, Any]:
    """What the children reported, as a run's ``observed`` holds it."""
    children = list(reports.values())
    return {"children": [{k: v for k, v in c.items() if k != "pid"} for c in children[:50]],
            "globals_differ": sorted({n for c in children for n in c.get("globals_differ", [])})}
