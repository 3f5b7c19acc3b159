"""What ``python -m harness check`` watches in the user's program (runs inside the interpreter
under test; standard library only, Python 3.8 syntax).

In the parent, ``Process.start`` is wrapped: it records the threads alive, which processes the
program terminates or kills on purpose, and a snapshot of what the parent has at ``start()``
(``check_compare``: globals and callables of the user's modules, mock objects anywhere,
environment, working folder, ``sys.path``, logging handlers). The child compares that snapshot
with what it has *before* the target runs (a Pool's or executor's worker's globals after its
initializer, at its first task), records the state of random generators, runs the target and
writes one small report. Only differences are reported, never values.
"""

from __future__ import annotations

import os
import sys

from . import MESSAGE_LIMIT, TYPE_CHECKING
from .check_compare import (
    _OWN,
    after_first_task,
    child_reads,
    differences,
    globals_differ,
    snapshot,
)
from .check_exit import exit_code, target_name
from .check_frames import user_frames
from .check_hang import JoinWatch, exit_watch
from .check_procs import (
    POOL_FORKED,
    THREADS_AT_FORK,
    closing,
    forked_among,
    method_used,
    module_of,
    overrides_run,
    thread_pool,
)
from .check_record import record_imports
from .check_seen import Tally, children_seen, handlers, held_by, read_reports, write_facts
from .check_stack import arm
from .words import FORK

if TYPE_CHECKING:
    from typing import Any, Dict, List, Set, Tuple

__all__ = ["CURRENT_TEST", "RUNNING", "Watch", "line_buffered_stderr"]

CURRENT_TEST = [""]  # the pytest node id running now (set by check_exec's collector)
#: What check_exec writes to stderr as each test starts (``RUNNING + nodeid``): a hang or a
#: crash is then named by its test.
RUNNING = "check: running "


#: Packages whose own calls of get_start_method() are multiprocessing's business (spawn's
#: preparation data, an executor's check): their exact names, not a user's
#: ``multiprocessing_utils``.
_STDLIB_CALLERS = ("multiprocessing", "concurrent")
#: Asks for spawn itself when given max_tasks_per_child (fork is unsafe there, gh-90622).
_EXECUTOR = "concurrent.futures.process"
def line_buffered_stderr() -> None:
    """A stderr that is block-buffered when it is not a terminal (CPython 3.8's, line-buffered
    from 3.9; PyPy 3.9's under ``-I``, as check runs it) is made line-buffered: a hang's last
    line would stay in the buffer the kill discards."""
    stream = sys.stderr
    if getattr(stream, "line_buffering", True) or getattr(stream, "write_through", False):
        return
    try:
        stream.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    except Exception:  # noqa: BLE001, S110 - a replaced stderr: left as it is
        pass


def _child_wrapper(report_dir: str, target: Any, snap: Dict[str, Any], args: Tuple[Any, ...],
                   kwargs: Dict[str, Any]) -> None:
    """Runs in the child: compare with the parent's snapshot, call the target, report."""
    from ._files import write_json

    line_buffered_stderr()
    arm(report_dir, "child", target)  # where it waits, asked at a hang's kill
    try:  # a child that crashes (a fatal signal) says where: the evidence a hang leaves
        import faulthandler

        if not faulthandler.is_enabled():
            faulthandler.enable()
    except Exception:  # noqa: BLE001, S110 - a replaced stderr without a descriptor: no dump
        pass

    report: Dict[str, Any] = {"pid": os.getpid(), "error": None, "test": snap.get("test", "")}
    path = os.path.join(report_dir, "child-%d.json" % os.getpid())

    def write() -> None:
        write_json(path, report)

    done: List[str] = []  # the modules whose globals were compared

    def after_task(task: Any) -> None:  # after the initializer, and unpickling the task
        more = globals_differ(snap, done)
        if more:
            report["globals_differ"] = sorted(set(report.get("globals_differ") or ()) | set(more))
            report["globals_read"] = sorted(set(report.get("globals_read") or ()) | set(
                child_reads(snap, more, (target, *args, task))))
            write()

    # A Pool's or executor's worker compares globals only at its first task: its initializer
    # (the documented way to give workers state) has run by then.
    try:
        deferred = after_first_task(target, args, after_task)
        report.update(differences(snap, done, not deferred,
                                  (target, *args, *kwargs.values())))
    except Exception as exc:  # noqa: BLE001 - observing must never break the user's program
        report["watch_error"] = repr(exc)[:200]
    write()  # now: a Pool worker is usually terminated, never returning from its target
    try:
        target(*args, **kwargs)
    except BaseException as exc:
        report["error"] = {"type": type(exc).__name__, "message": str(exc)[:MESSAGE_LIMIT],
                           "traceback": user_frames(exc)}
        raise
    finally:
        if report["error"]:
            write()
        exit_watch(report_dir)


class _Again(str):
    """The report folder, as the first argument of a ``module:callable`` target's own process
    (the program, whose processes are watched as a script's): a spawn or forkserver child
    unpickling it installs a ``Watch`` of its own before it unpickles the target, so the
    imports the target's module makes are recorded (``record_imports``) and the processes the
    callable starts are watched. A fork child has the parent's (no pickling)."""

    user_dir = hang_dir = default_method = ""

    def __reduce__(self) -> Any:
        return _watch_again, (str(self), self.user_dir, self.hang_dir, self.default_method)


def _watch_again(report_dir: str, user_dir: str, hang_dir: str, default_method: str) -> str:
    try:
        watch = Watch(report_dir, user_dir, set(), hang_dir, default_method)
        watch.facts_dir = ""  # a child's: the run's facts are its parent's (as finished)
        watch.install()
    except Exception:  # noqa: BLE001, S110 - watching must never break the user's program
        pass
    return report_dir


class _Run:
    """Stands in, as the instance's ``run``, for the ``run()`` a ``Process`` subclass overrides
    (it ignores ``target``): in the child, wraps that ``run()`` as ``_child_wrapper`` wraps a
    target. Pickled with the process (by reference to this module, which every process of the
    run can import), it finds its process as the child's ``current_process()``."""

    def __init__(self, report_dir: str, snap: Dict[str, Any]) -> None:
        self.report_dir, self.snap = report_dir, snap

    def __call__(self) -> None:
        import multiprocessing

        proc = multiprocessing.current_process()
        _child_wrapper(self.report_dir, type(proc).run, self.snap, (proc,), {})


class Watch:
    """The patches in the parent and what they saw."""

    def __init__(self, report_dir: str, user_dir: str, stopped: Set[int],
                 hang_dir: str = "", default_method: str = "") -> None:
        self.report_dir = report_dir
        self.default_method = default_method
        self.joins = JoinWatch(report_dir, hang_dir)  # knows the pids sent SIGTERM, and when
        self.user_dir = os.pathsep.join(os.path.abspath(d) for d in user_dir.split(os.pathsep))
        self.stopped = stopped
        self.started: List[Dict[str, Any]] = []
        self.entries: Dict[int, Dict[str, Any]] = {}  # id(process) -> its entry in started
        self.tally = Tally(stopped)  # the counts ``facts`` says, kept as they change
        #: The next process started is the program (a ``module:callable`` target's): ``_Again``.
        self.program = False
        self.attempts: List[Tuple[Any, str]] = []  # (method, test) of each start() call
        # Anything asked multiprocessing for the default context (see ``explicit_only``).
        self.default_asked = False
        self.method_queried = False  # the program asked a start method's name
        self.default_queried = False  # ...the default's (not a named context's own)
        self.bound_pickled: Dict[str, Any] = {}  # the first start() ``held_by`` explains
        self.chosen_by: Dict[str, str] = {}  # method -> the stdlib module that asked for it
        self.handlers: Dict[str, str] = {}  # signal -> a Python handler seen at a fork start()
        self.fork_threads: List[str] = []  # the other threads' names at fork starts
        self.pool_forked = False  # ... one of which a Pool's own thread made
        # Where ``note`` keeps the facts, by this process only (a fork child copies the watch).
        self.facts_dir, self.pid = hang_dir, os.getpid()

    def install(self) -> None:
        import multiprocessing
        import signal
        import threading
        import time
        from multiprocessing import context, process

        watch, original = self, process.BaseProcess.start
        orig_terminate, orig_kill = process.BaseProcess.terminate, process.BaseProcess.kill
        orig_os_kill = os.kill
        sigterm, sigkill = signal.SIGTERM, getattr(signal, "SIGKILL", None)  # none on Windows

        def start(self: Any) -> None:
            target = getattr(self, "_target", None)
            module_name = module_of(target)
            # First: a start() that raises (a pickling error) was still an attempt with this
            # method.
            method = method_used(self, context)
            watch.attempts.append((method, CURRENT_TEST[0]))
            if method:
                watch.tally.methods.add(str(method))
            own_run = target is None and overrides_run(self, process.BaseProcess)
            if own_run:
                module_name = type(self).__module__ or ""
            wrapped = (target is not None or own_run) and not module_name.startswith(_OWN)
            if wrapped:
                try:
                    snap = snapshot(module_name, watch.user_dir, CURRENT_TEST[0])
                    if own_run:  # the instance's own, for the child: removed once started
                        self.run = _Run(watch.report_dir, snap)
                    else:
                        report_dir = watch.report_dir
                        if watch.program:  # once: a fork child inherits False
                            watch.program, report_dir = False, _Again(report_dir)
                            vars(report_dir).update(user_dir=watch.user_dir,
                                                    hang_dir=watch.joins.hang_dir,
                                                    default_method=watch.default_method)
                        self._args = (report_dir, target, snap, tuple(self._args),
                                      dict(self._kwargs))
                        self._target, self._kwargs = _child_wrapper, {}
                except Exception:  # noqa: BLE001 - watching must never break the program
                    wrapped = False
            threads = threading.active_count()
            if method == FORK:  # a fork child inherits them (not a spawn or forkserver one)
                watch.handlers = dict(handlers(), **watch.handlers)
                if threads > 1:  # named: the advice depends on whose they are
                    watch.fork_threads, pooled = forked_among(watch.fork_threads)
                    watch.pool_forked = watch.pool_forked or pooled
            try:
                original(self)
            except Exception as exc:
                watch.bound_pickled = watch.bound_pickled or held_by(target, exc)
                raise
            else:
                watch.joins.forget(self.pid)  # a SIGTERM to this pid was an older process's
                entry = {"process": self, "pid": self.pid, "threads": threads,
                         "wrapped": wrapped, "test": CURRENT_TEST[0],
                         "target": target_name(target, self)}
                watch.started.append(entry)
                watch.entries[id(self)] = entry
                watch.tally.start(self.pid, threads)
            finally:
                if own_run:  # the child has it (forked, or pickled in start())
                    vars(self).pop("run", None)
                watch.note()

        def terminate(self: Any) -> None:
            watch.tally.stop(self.pid)
            watch.joins.terminated.setdefault(self.pid, time.monotonic())
            watch.note()  # a hang after it (a child that ignores SIGTERM) keeps it
            orig_terminate(self)

        def kill(self: Any) -> None:
            watch.tally.stop(self.pid)
            watch.joins.forget(self.pid)  # it ends now: no handler keeps it
            watch.note()
            orig_kill(self)

        def os_kill(pid: int, sig: int) -> None:
            watch.tally.stop(pid)
            if sig == sigterm:
                watch.joins.terminated.setdefault(pid, time.monotonic())
            elif sig == sigkill:
                watch.joins.forget(pid)
            orig_os_kill(pid, sig)

        def queried(method: Any, of_default: bool = True) -> Any:
            """``of_default``: the answer is the default's (a named context's
            ``get_start_method()`` is its own name)."""
            def get_start_method(*a: Any, **k: Any) -> Any:
                caller = sys._getframe(1).f_globals.get("__name__") or ""
                if caller.partition(".")[0] not in _STDLIB_CALLERS:  # the user's own asked
                    watch.method_queried = True
                    watch.default_queried = watch.default_queried or of_default
                return method(*a, **k)
            return get_start_method

        orig_get_context = context.DefaultContext.get_context

        def get_context(self: Any, method: Any = None) -> Any:
            # The default: a plain Process, Pool(), Queue(), get_context(); not a ThreadPool's
            # (Pool.__init__ asks, and its workers are threads).
            frame = sys._getframe(1)
            if method is None and not thread_pool(frame):
                watch.default_asked = True
            caller = frame.f_globals.get("__name__")
            if method is not None and caller == _EXECUTOR:  # the program named no method
                watch.chosen_by[str(method)] = caller
            return orig_get_context(self, method)

        record_imports(self.user_dir)  # globals as imports left them
        process.BaseProcess.start = start  # type: ignore[method-assign]
        process.BaseProcess.terminate = terminate  # type: ignore[method-assign]
        process.BaseProcess.kill = kill  # type: ignore[method-assign]
        if hasattr(process.BaseProcess, "close"):  # 3.7+
            process.BaseProcess.close = closing(  # type: ignore[method-assign]
                self.entries, process.BaseProcess.close)
        process.BaseProcess.join = self.joins.wrap(  # type: ignore[method-assign]
            process.BaseProcess.join)
        os.kill = os_kill
        context.BaseContext.get_start_method = queried(  # type: ignore[method-assign]
            context.BaseContext.get_start_method, of_default=False)
        context.DefaultContext.get_start_method = queried(  # type: ignore[method-assign]
            context.DefaultContext.get_start_method)
        multiprocessing.get_start_method = queried(
            multiprocessing.get_start_method)
        # Its first method is the default (the documented way to learn it without fixing it):
        # a program that starts get_context(get_all_start_methods()[0]) follows the default.
        multiprocessing.get_all_start_methods = queried(
            multiprocessing.get_all_start_methods)
        bound = multiprocessing.get_context
        context.DefaultContext.get_context = get_context  # type: ignore[method-assign]
        # ``from multiprocessing import get_context`` copies (pool.py's, the user's) call the
        # function they were bound to: each copy made before now is replaced too.
        for module in list(sys.modules.values()):
            try:
                if getattr(module, "get_context", None) == bound:
                    module.get_context = context._default_context.get_context  # type: ignore[attr-defined]
            except Exception:  # noqa: BLE001, S112 - an odd module object: not a copy
                continue

    def child_reports(self) -> Dict[int, Any]:
        return read_reports(self.report_dir)

    def note(self) -> None:
        """The facts so far, in the hang folder, when more than a count changed (a new method,
        thread count, handler, a first stop): a run killed later keeps them."""
        if self.facts_dir and os.getpid() == self.pid:
            facts = self.facts()
            shape = self.tally.changed(facts)
            if shape is not None and write_facts(self.facts_dir, facts):
                self.tally.wrote(shape)

    def facts(self) -> Dict[str, Any]:
        """What the run saw so far, of a fixed size (no list that grows with its tests or
        processes): noted (``note``) when more than a count changed at a start(), terminate()
        or kill() and as each test ends (``check_suite``), for a run killed later (its counts
        as at the last write)."""
        from .check_seen import unwatched  # here: at the top, 8 lines of a file at its limit

        return {
            "processes_started": self.tally.processes,
            "start_attempts": len(self.attempts),
            "methods_used": sorted(self.tally.methods),
            "stopped_on_purpose": self.tally.stopped_started,
            "threads_at_start": self.tally.threads,
            "method_queried": self.method_queried,
            # Every process came from a context asked for by name (get_context("spawn")):
            # nothing asked for the default (a plain Process, Pool(), Queue(), Manager(),
            # ProcessPoolExecutor(), get_context()) or the default's name.
            "explicit_only": bool(self.attempts) and not self.default_asked
                             and not self.default_queried,
            "default_method": self.default_method,
            "unwatched_libraries": unwatched(),  # their processes are none of the above
            **({"handlers_at_fork": self.handlers} if self.handlers else {}),
            **({THREADS_AT_FORK: self.fork_threads} if self.fork_threads else {}),
            **({POOL_FORKED: True} if self.pool_forked else {}),
        }

    def observed(self, reports: Dict[int, Any]) -> Dict[str, Any]:
        """What the run saw, as JSON-able data for the diagnoses."""
        return dict(
            self.facts(), **children_seen(reports),
            methods_by_test={t: sorted({str(m) for m, u in self.attempts if u == t and m})
                             for t in sorted({u for _, u in self.attempts if u})},
            exitcodes=[exit_code(e) for e in self.started],
            **({"bound_target_pickled": self.bound_pickled} if self.bound_pickled else {}),
            **({"method_chosen_by": self.chosen_by} if self.chosen_by else {}))
