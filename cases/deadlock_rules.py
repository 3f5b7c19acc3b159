"""The rules of the global start method (set once, fixed by first use) and the warning about
forking a process that has threads.

Part of the ``deadlock`` category (``cases/deadlock.py`` imports this module).
"""

from __future__ import annotations

import threading

from cases._deadlock import (
    CONTEXT_PY,
    CONTEXTS,
    GET_START_METHOD,
    GLOBAL_METHOD,
    HANG_TIMEOUT,
    MP_DOCS,
    OS_FORK,
    POSIX_FORK,
    SET_START_METHOD,
    _idle_thread,
    _InThread,
)
from harness.guest import TYPE_CHECKING
from harness.guest.catalog import (
    Context,
    case,
    error,
    ok,
    on,
)
from harness.guest.docs import PROCESS_POOL, PYPY_3910
from harness.guest.words import FORK, FORKSERVER, SPAWN

if TYPE_CHECKING:
    from multiprocessing.queues import Queue
    from typing import Any, Callable, Dict, List, Optional


# --------------------------------------------------------------------------- global method


@case(
    "deadlock.set_start_method_twice",
    title="set_start_method() called twice raises RuntimeError (even with the same method)",
    source=[SET_START_METHOD, GLOBAL_METHOD, CONTEXT_PY],
    covers=[37, 52],
    timeout=HANG_TIMEOUT,
    expect=[on("*", error("RuntimeError", contains="context has already been set"),
               note="RuntimeError per the docs; the message is from context.py",
               from_source="Lib/multiprocessing/context.py (the message)")],
)
def set_start_method_twice(ctx: Context) -> object:
    """``set_start_method(m)`` then ``set_start_method(m)`` again without ``force``: the
    second call raises RuntimeError ("context has already been set").

    Why it matters: libraries that call set_start_method at import break programs that
    already chose one. Source: multiprocessing docs, set_start_method; Global start method.
    """
    import multiprocessing

    multiprocessing.set_start_method(ctx.method)
    multiprocessing.set_start_method(ctx.method)
    return "second call accepted"


@case(
    "deadlock.set_start_method_after_get",
    title="set_start_method() after an implicit get_start_method() raises RuntimeError",
    source=[GET_START_METHOD, SET_START_METHOD, GLOBAL_METHOD],
    covers=[37, 45, 52],
    timeout=HANG_TIMEOUT,
    expect=[on("*", error("RuntimeError"))],
)
def set_start_method_after_get(ctx: Context) -> object:
    """``get_start_method()`` (allow_none False) fixes the global method to the default, so a
    later ``set_start_method(m)`` raises RuntimeError although nothing was "set".

    Why it matters: merely asking which method is in use (logging it, a library check) makes
    a later set_start_method fail. Source: get_start_method and set_start_method docs.
    """
    import multiprocessing

    multiprocessing.get_start_method()
    multiprocessing.set_start_method(ctx.method)
    return "set after get accepted"


def _error_name(call: Callable[[], object]) -> Optional[str]:
    try:
        call()
    except Exception as exc:
        return type(exc).__name__
    return None


@case(
    "deadlock.global_method_set_by_queue",
    title="multiprocessing.Queue() fixes the global start method; set_start_method then fails",
    source=[GLOBAL_METHOD, SET_START_METHOD],
    covers=[36, 37],
    timeout=HANG_TIMEOUT,
    expect=[on("*", ok({"before": None, "after_queue_is_default": True,
                        "set_after": "RuntimeError"}),
               note="the docs say a Queue 'may' set the global method; that it does is the "
                    "implementation's (the Queue's Lock fixes the default context)",
               from_source="Lib/multiprocessing/context.py (get_context() fixes the default)")],
)
def global_method_set_by_queue(ctx: Context) -> object:
    """In a fresh interpreter the global method is unset (``allow_none=True`` → None);
    creating a ``multiprocessing.Queue()`` sets it to the default, and a later
    ``set_start_method(m)`` raises RuntimeError.

    Why it matters: a library that creates a Queue at import time makes the application's own
    later set_start_method() fail.
    Source: multiprocessing docs, Global start method (3.14 text; older behaviour).
    """
    import multiprocessing

    before = multiprocessing.get_start_method(allow_none=True)
    queue: Queue[Any] = multiprocessing.Queue()
    queue.close()
    after = multiprocessing.get_start_method(allow_none=True)
    default = multiprocessing.get_all_start_methods()[0]
    return {"before": before, "after_queue_is_default": after == default,
            "set_after": _error_name(lambda: multiprocessing.set_start_method(ctx.method))}


def _semantics_expected(method: str) -> Dict[str, Any]:
    return {"fresh": None, "get_is_first_of_all": True, "fixed_after_get": True,
            "none_force_resets": None, "get_context_fixes_default": True,
            "none_sets_default": True, "forced": method, "context_follows": method,
            "set_again": "RuntimeError"}


@case(
    "deadlock.start_method_semantics",
    title="get/set_start_method: allow_none, force, None, and the default context",
    source=[GET_START_METHOD, SET_START_METHOD, MP_DOCS + "#multiprocessing.get_context",
            MP_DOCS + "#multiprocessing.get_all_start_methods"],
    covers=[42, 43, 45, 46, 52, 53, 54, 55],
    timeout=HANG_TIMEOUT,
    expect=[on(method, ok(_semantics_expected(method)),
               note="as the 3.14 docs state it; older docs say less of get_context(None) and "
                    "set_start_method(None) (gh-109488 added that text in 2023), so on older "
                    "versions this is today's statement of the same calls")
            for method in (FORK, SPAWN, FORKSERVER)],
)
def start_method_semantics(ctx: Context) -> object:
    """In a fresh interpreter: ``get_start_method(allow_none=True)`` is None; plain
    ``get_start_method()`` returns the default (first of ``get_all_start_methods()``) and
    fixes it; ``set_start_method(None, force=True)`` resets to None; ``get_context()`` fixes
    the default again; ``set_start_method(None)`` sets the default context;
    ``set_start_method(m, force=True)`` switches (and ``get_context()`` follows); a further
    ``set_start_method(m)`` without force raises RuntimeError.

    Why it matters: tests and libraries that set the method twice must know which call raises.
    Source: multiprocessing docs, Miscellaneous (get_start_method, set_start_method,
    get_context, get_all_start_methods).
    """
    import multiprocessing as mp

    seen: Dict[str, Any] = {"fresh": mp.get_start_method(allow_none=True)}
    default = mp.get_start_method()
    seen["get_is_first_of_all"] = default == mp.get_all_start_methods()[0]
    seen["fixed_after_get"] = mp.get_start_method(allow_none=True) == default
    mp.set_start_method(None, force=True)
    seen["none_force_resets"] = mp.get_start_method(allow_none=True)
    mp.get_context()
    seen["get_context_fixes_default"] = mp.get_start_method(allow_none=True) == default
    mp.set_start_method(None, force=True)
    mp.set_start_method(None)
    seen["none_sets_default"] = mp.get_start_method(allow_none=True) == default
    mp.set_start_method(ctx.method, force=True)
    seen["forced"] = mp.get_start_method()
    seen["context_follows"] = mp.get_context().get_start_method()
    seen["set_again"] = _error_name(lambda: mp.set_start_method(ctx.method))
    return seen


# --------------------------------------------------------------------------- warnings


def _count_threads() -> int:
    return threading.active_count()


def _fork_warning(caught: List[Any]) -> bool:
    return any(issubclass(w.category, DeprecationWarning) and "fork()" in str(w.message)
               for w in caught)


@case(
    "deadlock.thread_alive_at_start_warning",
    labels={
        "deprecation_warning": "a DeprecationWarning from os.fork() (another thread alive)",
        "child_threads": "threads in the child",
    },
    title="Starting a child while another thread runs: DeprecationWarning under fork (3.12+)",
    source=[OS_FORK, CONTEXTS, POSIX_FORK],
    covers=[11, 13, 65],
    timeout=HANG_TIMEOUT,
    expect=[
        on("fork", ok({"deprecation_warning": True, "child_threads": 1}), python=">=3.12",
           note="os.fork warns when it detects threads (3.12+); POSIX: the child has one "
                "thread"),
        on("fork", ok({"deprecation_warning": False, "child_threads": 1})),
        on(("spawn", "forkserver"), ok({"deprecation_warning": False, "child_threads": 1}),
           note="no os.fork() in this process; the fork server is single-threaded"),
    ],
)
def thread_alive_at_start_warning(ctx: Context) -> object:
    """With an idle extra thread alive, start one child and record warnings. 3.12+: os.fork()
    (used by the fork method) raises a DeprecationWarning when it detects threads; spawn
    does not fork this process and forkserver forks from its single-threaded server. In the
    child only one thread exists under every method.

    Why it matters: the warning is the runtime's only hint of the deadlocks in this module.
    Source: os.fork versionchanged 3.12; multiprocessing Contexts (forkserver); POSIX fork().
    """
    import warnings

    with _InThread(_idle_thread), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        threads = ctx.call_in_child(_count_threads)
    return {"deprecation_warning": _fork_warning(caught), "child_threads": threads}


@case(
    "deadlock.executor_thread_alive_warning",
    labels={
        "result": "the task's result",
        "deprecation_warning": "a DeprecationWarning from os.fork() (another thread alive)",
    },
    title="ProcessPoolExecutor with a thread alive: DeprecationWarning with a fork context",
    source=[PROCESS_POOL, OS_FORK, PYPY_3910],
    covers=[60, 63],
    timeout=HANG_TIMEOUT,
    expect=[
        on("fork", ok({"result": 7, "deprecation_warning": True}), python=">=3.12"),
        on("fork", ok({"result": 7, "deprecation_warning": False})),
        on(("spawn", "forkserver"), ok({"result": 7, "deprecation_warning": False})),
    ],
)
def executor_thread_alive_warning(ctx: Context) -> object:
    """With an idle extra thread alive, a ``ProcessPoolExecutor(mp_context=ctx)`` runs one
    task. concurrent.futures docs (3.12): with the fork context in a multithreaded program
    os.fork() may raise a DeprecationWarning; spawn/forkserver executors do not fork here.
    PyPy 3.9: its ProcessPoolExecutor cannot run under spawn/forkserver at all (``submit()``
    raises AttributeError, pypy#3910), so those cells fail before the case's point; the rule
    stays the docs'.

    Why it matters: any program with a background thread that uses a fork-context executor
    gets this warning from 3.12, and the deadlock risk it announces.
    Source: concurrent.futures, ProcessPoolExecutor versionchanged 3.12; os.fork docs.
    """
    import warnings
    from concurrent.futures import ProcessPoolExecutor

    with _InThread(_idle_thread), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with ProcessPoolExecutor(max_workers=1, mp_context=ctx.mp) as executor:
            result = executor.submit(abs, -7).result()
    return {"result": result, "deprecation_warning": _fork_warning(caught)}
