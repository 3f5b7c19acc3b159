"""Hangs that depend on the start method: locks, threads and pipes at the moment of start(),
and the rules of the global start method.

A case that deadlocks is not given a timeout of its own: it hangs, and the runner's hard
timeout (``HANG_TIMEOUT``, short, so deadlock cells cost little) classifies it as ``timeout``.
Other threads are synchronised with Events or ``select`` on a pipe,
never with ``sleep``: the lock IS held (or the thread IS inside emit/import/write) at start().
"""

from __future__ import annotations

import os
import sys
import threading

from cases._deadlock import (
    _HOLD_LIMIT,
    AFTER_FORK_C_API,
    BLOCKED_ON_HELD_LOCK,
    CAUTIONS_FORK,
    CONTEXTS,
    HANG_TIMEOUT,
    HELD_LOCK_NOTE,
    OS_FORK,
    _InThread,
    take_held,
)
from harness.guest import TYPE_CHECKING
from harness.guest.catalog import (
    SHORT_TIMEOUT,
    ChildDied,
    Context,
    case,
    ok,
    on,
    timeout,
)

if TYPE_CHECKING:
    from typing import Any, Dict, List

__all__ = ["HANG_TIMEOUT"]

MODULE_LOCK = threading.Lock()
MODULE_RLOCK = threading.RLock()
MODULE_CONDITION = threading.Condition()


def _acquire_module_lock() -> bool:
    take_held(MODULE_LOCK, "MODULE_LOCK")
    MODULE_LOCK.release()
    return True


@case(
    "deadlock.lock_held_by_thread_at_fork",
    title="A threading.Lock held by another thread at start(): the child waits forever under fork",
    source=[OS_FORK, CONTEXTS, CAUTIONS_FORK],
    covers=[8, 13, 14],
    claims=["fork_copies_locked_locks"],
    timeout=HANG_TIMEOUT,
    expect=[
        on("fork", timeout(said=BLOCKED_ON_HELD_LOCK), inferred=True,
           note=HELD_LOCK_NOTE),
        on(("spawn", "forkserver"), ok(True)),
    ],
)
def lock_held_by_thread_at_fork(ctx: Context) -> object:
    """A module-level lock held by another parent thread when the child starts stays locked
    forever in a fork child (the holder thread does not exist there), so the child hangs
    (saying on stderr first that it found the lock held: the timed-out cell quotes it);
    spawn and forkserver children import the module and get a fresh, unlocked lock.

    Why it matters: this is how fork deadlocks in multithreaded programs (loggers, connection
    pools, caches guarded by locks). Source: os.fork docs (3.12+ warning about threads);
    multiprocessing docs, Contexts and start methods.
    """
    held = threading.Event()
    release = threading.Event()

    def holder() -> None:
        with MODULE_LOCK:
            held.set()
            release.wait(SHORT_TIMEOUT * 10)

    thread = threading.Thread(target=holder, daemon=True)
    thread.start()
    if not held.wait(SHORT_TIMEOUT):
        raise RuntimeError("holder thread did not take the lock within SHORT_TIMEOUT")
    try:
        return ctx.call_in_child(_acquire_module_lock)
    finally:
        release.set()
        thread.join(SHORT_TIMEOUT)




def _acquire_module_rlock() -> bool:
    take_held(MODULE_RLOCK, "MODULE_RLOCK")
    MODULE_RLOCK.release()
    return True


def _hold_module_rlock(ready: threading.Event, release: threading.Event) -> None:
    with MODULE_RLOCK:
        ready.set()
        release.wait(_HOLD_LIMIT)


@case(
    "deadlock.rlock_held_by_thread_at_fork",
    title="A threading.RLock held by another thread at start(): the fork child cannot take it",
    source=[OS_FORK, CONTEXTS, CAUTIONS_FORK],
    covers=[8, 13, 14],
    claims=["fork_copies_locked_locks"],
    timeout=HANG_TIMEOUT,
    expect=[
        on("fork", timeout(said=BLOCKED_ON_HELD_LOCK), inferred=True,
           note=HELD_LOCK_NOTE),
        on(("spawn", "forkserver"), ok(True)),
    ],
)
def rlock_held_by_thread_at_fork(ctx: Context) -> object:
    """Like the Lock case, with a re-entrant lock: an RLock is owned by a thread, and the
    owner (another parent thread) does not exist in a fork child, so the child's main thread
    waits for ever. spawn/forkserver children build a fresh RLock when they import the module.

    Why it matters: RLocks guard most library-internal state (logging, caches); re-entrancy
    does not help a child whose owner thread is gone. Source: os.fork docs (threads and fork);
    multiprocessing docs, Contexts and start methods.
    """
    with _InThread(_hold_module_rlock):
        return ctx.call_in_child(_acquire_module_rlock)


def _enter_module_condition() -> bool:
    take_held(MODULE_CONDITION, "MODULE_CONDITION")
    MODULE_CONDITION.notify_all()
    MODULE_CONDITION.release()
    return True


def _hold_module_condition(ready: threading.Event, release: threading.Event) -> None:
    with MODULE_CONDITION:
        ready.set()
        release.wait(_HOLD_LIMIT)


@case(
    "deadlock.condition_held_by_thread_at_fork",
    title="A threading.Condition entered by another thread at start(): the fork child blocks",
    source=[OS_FORK, CONTEXTS, CAUTIONS_FORK],
    covers=[8, 13, 14],
    claims=["fork_copies_locked_locks"],
    timeout=HANG_TIMEOUT,
    expect=[
        on("fork", timeout(said=BLOCKED_ON_HELD_LOCK), inferred=True,
           note=HELD_LOCK_NOTE),
        on(("spawn", "forkserver"), ok(True)),
    ],
)
def condition_held_by_thread_at_fork(ctx: Context) -> object:
    """A Condition's underlying lock (an RLock by default) held by another thread at start()
    stays held in a fork child: ``with cond:`` there never returns. spawn/forkserver children
    get a fresh Condition from the module import.

    Why it matters: producer/consumer code (``queue.Queue`` is built on Conditions) that forks
    while a worker thread is inside ``with cond:``. Source: os.fork docs; multiprocessing docs.
    """
    with _InThread(_hold_module_condition):
        return ctx.call_in_child(_enter_module_condition)


# --------------------------------------------------------------------------- GIL


def _busy_python(ready: threading.Event, release: threading.Event) -> None:
    count = 0
    while not release.is_set():
        count += 1
        if count == 1000:
            ready.set()


def _compute_in_child(conn: Any) -> None:
    results: List[int] = []
    helper = threading.Thread(target=lambda: results.append(sum(range(1000))))
    helper.start()
    helper.join(SHORT_TIMEOUT)
    conn.send({"computed": sum(range(100000)), "child_thread_result": results})
    conn.close()


@case(
    "deadlock.gil_busy_thread_at_fork",
    title="Another thread runs pure-Python code at start(): the fork child still runs (GIL)",
    source=[AFTER_FORK_C_API, CAUTIONS_FORK, OS_FORK, CONTEXTS],
    covers=[8],
    timeout=HANG_TIMEOUT,
    expect=[
        on("fork", ok({"computed": 4999950000, "child_thread_result": [499500]}),
           impl="cpython",
           note="the thread that calls fork() holds the GIL; PyOS_AfterFork_Child "
                "re-initialises the GIL in the child (CPython's C API: no rule for PyPy's fork)"),
        on(("spawn", "forkserver"), ok({"computed": 4999950000, "child_thread_result": [499500]}),
           note="the child is a fresh interpreter (spawn) or forked from the server, which "
                "has no busy thread (forkserver)"),
    ],
)
def gil_busy_thread_at_fork(ctx: Context) -> object:
    """A parent thread is busy in a pure-Python loop (it competes for the GIL) when the child
    starts. The child runs Python code and even starts and joins a thread of its own.

    Why it matters: it checks the common claim that "the GIL is duplicated in a locked state"
    and deadlocks fork children. The thread calling fork() must hold the GIL to call it, and
    ``PyOS_AfterFork_Child`` (C API docs) updates the interpreter state in the child. That is
    CPython's C API: PyPy's fork cell has no expectation (the docs say nothing of it).
    Source: C API PyOS_AfterFork_Child; os.fork docs; multiprocessing Contexts.
    """
    reader, writer = ctx.mp.Pipe(duplex=False)
    proc = ctx.mp.Process(target=_compute_in_child, args=(writer,))
    with _InThread(_busy_python):
        proc.start()  # the busy thread stops once start() returned: fork has happened
    writer.close()
    try:
        value = reader.recv()  # a deadlocked child never answers: the runner's timeout
    except EOFError:
        proc.join()
        raise ChildDied(proc.exitcode) from None
    proc.join()
    return value


# --------------------------------------------------------------------------- imports

_IMPORT_GATE: Dict[str, Any] = {}
_SLOW_MODULE = "smm_slow_module"
_OTHER_MODULE = "smm_other_module"
_SLOW_SOURCE = (
    "import sys\n"
    "_cases = sys.modules.get('cases.deadlock')\n"
    "if _cases is not None:\n"
    "    _cases._import_gate()\n"
    "DONE = True\n"
)


def _import_gate() -> None:
    """Called by the slow module's body: blocks the importing thread once, when armed."""
    gate = _IMPORT_GATE.pop("armed", None)
    if gate is not None:
        ready, release = gate
        ready.set()
        release.wait(_HOLD_LIMIT)


def _import_module(name: str) -> object:
    import importlib

    module = importlib.import_module(name)
    return getattr(module, "DONE", "partially initialised")


def _importing_slow_module(ready: threading.Event, release: threading.Event) -> None:
    _IMPORT_GATE["armed"] = (ready, release)
    _import_module(_SLOW_MODULE)


def _while_importing(ctx: Context, child_imports: str) -> object:
    for name in (_SLOW_MODULE, _OTHER_MODULE):
        with open(os.path.join(ctx.tmpdir, name + ".py"), "w") as handle:
            handle.write(_SLOW_SOURCE)
    sys.path.insert(0, ctx.tmpdir)  # spawn/forkserver children get sys.path too
    with _InThread(_importing_slow_module):
        return ctx.call_in_child(_import_module, child_imports)


#: How long the helper thread holds the global import lock: start() happens inside it.
_IMPORT_LOCK_HOLD = 1.0


def _holding_import_lock(ready: threading.Event, release: threading.Event) -> None:
    """Hold the interpreter's global import lock for a while, then let go by itself: a fork
    waits for this lock, and ``release`` is set only after the child answered."""
    import _imp

    _imp.acquire_lock()
    try:
        ready.set()
        release.wait(_IMPORT_LOCK_HOLD)
    finally:
        _imp.release_lock()


@case(
    "deadlock.import_lock_held_by_thread",
    title="Another thread holds the global import lock at start(): can the child import?",
    source=[AFTER_FORK_C_API, CAUTIONS_FORK, OS_FORK, CONTEXTS],
    covers=[8],
    timeout=HANG_TIMEOUT,
    expect=[
        on("*", ok(True),
           note="os.fork takes the global import lock around fork() and PyOS_AfterFork_Child "
                "re-initialises it in the child (Python/import.c _PyImport_ReInitLock)"),
    ],
)
def import_lock_held_by_thread(ctx: Context) -> object:
    """A parent thread holds the interpreter's global import lock (``_imp.acquire_lock``,
    which every import of a new module takes briefly) for a second while the child starts;
    the child then imports a module. The lock is handled across fork
    (``PyOS_BeforeFork`` waits for it, ``PyOS_AfterFork_Child`` re-initialises it), so every
    method should import normally; a fork that copied it held by the other thread would hang
    the child's first import.

    Why it matters: background threads that import lazily are common (plugins, telemetry).
    Source: C API PyOS_AfterFork_Child; os.fork docs.
    """
    with open(os.path.join(ctx.tmpdir, _OTHER_MODULE + ".py"), "w") as handle:
        handle.write(_SLOW_SOURCE)
    sys.path.insert(0, ctx.tmpdir)  # spawn/forkserver children get sys.path too
    with _InThread(_holding_import_lock):
        return ctx.call_in_child(_import_module, _OTHER_MODULE)


@case(
    "deadlock.import_same_module_in_progress",
    title="Another thread is importing a slow module at start(): the child imports the same one",
    source=[OS_FORK, CONTEXTS],
    covers=[8, 14],
    timeout=HANG_TIMEOUT,
    expect=[
        on(("spawn", "forkserver"), ok(True)),
    ],
)
def import_same_module_in_progress(ctx: Context) -> object:
    """As above, but the child imports the module whose import is in progress in the parent
    thread. A fork child inherits the half-initialised module in ``sys.modules`` and its
    per-module import lock, held by a thread that does not exist there; spawn/forkserver
    children import it from scratch. The docs say nothing about the fork case: no rule.

    Why it matters: it is the usual shape of "import deadlock after fork" reports.
    Source: os.fork docs (threads and fork); multiprocessing Contexts and start methods.
    """
    return _while_importing(ctx, _SLOW_MODULE)



# The category spans several modules; the executor imports ``cases.deadlock`` only.
from cases import deadlock_io, deadlock_pools, deadlock_rules  # noqa: E402,F401
