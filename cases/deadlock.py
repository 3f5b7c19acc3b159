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

from harness.guest import TYPE_CHECKING
from harness.guest.catalog import (
    SHORT_TIMEOUT,
    ChildDied,
    Context,
    Unavailable,
    case,
    error,
    ok,
    on,
    timeout,
)

if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List, Optional

__all__ = ["HANG_TIMEOUT"]

MP_DOCS = "https://docs.python.org/3/library/multiprocessing.html"
OS_FORK = "https://docs.python.org/3/library/os.html#os.fork"
CONTEXTS = MP_DOCS + "#contexts-and-start-methods"
GUIDELINES_ALL = MP_DOCS + "#all-start-methods"
GUIDELINES_SPAWN = MP_DOCS + "#the-spawn-and-forkserver-start-methods"
SET_START_METHOD = MP_DOCS + "#multiprocessing.set_start_method"
GET_START_METHOD = MP_DOCS + "#multiprocessing.get_start_method"
GLOBAL_METHOD = MP_DOCS + "#global-start-method"
AFTER_FORK_C_API = "https://docs.python.org/3/c-api/sys.html#c.PyOS_AfterFork_Child"
#: C-API "Cautions about fork()": the interpreter's own locks are taken around os.fork(), and
#: os.fork "resets any Lock objects in the child" (read literally, no held Lock survives a
#: fork; the lock cases below observe the opposite: a README finding).
CAUTIONS_FORK = "https://docs.python.org/3/c-api/init.html#cautions-about-fork"
#: The fork rule of the held-lock cases: inferred from fork's documented copy semantics.
HELD_LOCK_NOTE = ("inferred: the child is a copy, and the thread holding the lock does not exist "
                  "there; the C-API 'Cautions about fork()' says os.fork resets Lock objects "
                  "in the child, which would predict ok (see the README finding)")
LOGGING_FORK_6721 = "https://github.com/python/cpython/issues/50970"
LOGGING_FORK_36533 = "https://github.com/python/cpython/issues/80714"
POOL_WORKER_DEATH = "https://github.com/python/cpython/issues/66587"
BROKEN_PROCESS_POOL = ("https://docs.python.org/3/library/concurrent.futures.html"
                       "#concurrent.futures.process.BrokenProcessPool")
PPE_DOCS = "https://docs.python.org/3/library/concurrent.futures.html#processpoolexecutor"
POSIX_FORK = "https://pubs.opengroup.org/onlinepubs/9699919799/functions/fork.html"
CONTEXT_PY = "https://github.com/python/cpython/blob/3.12/Lib/multiprocessing/context.py"

#: The hard timeout of every case here (scaled by HARNESS_TIMEOUT_SCALE): a hang costs this
#: wall time, and cells that must complete need the margin under load (measurements: CHANGELOG).
HANG_TIMEOUT = 15.0 * SHORT_TIMEOUT / 5.0
#: What a helper thread waits at most for its release (the case is long gone by then).
_HOLD_LIMIT = SHORT_TIMEOUT * 10
#: More than any pipe buffer (Linux default 64 KiB): a write of this size cannot complete
#: while nobody reads, and a Queue feeder cannot flush it.
LARGE_PAYLOAD = 4 * 1024 * 1024
#: Far below any pipe buffer.
SMALL_PAYLOAD = 100

MODULE_LOCK = threading.Lock()
MODULE_RLOCK = threading.RLock()
MODULE_CONDITION = threading.Condition()


def _acquire_module_lock() -> bool:
    with MODULE_LOCK:
        return True


@case(
    "deadlock.lock_held_by_thread_at_fork",
    title="A threading.Lock held by another thread at start(): the child waits forever under fork",
    source=[OS_FORK, CONTEXTS, CAUTIONS_FORK],
    covers=[8, 13, 14],
    claims=["fork_copies_locked_locks"],
    timeout=HANG_TIMEOUT,
    expect=[
        on("fork", timeout(), inferred=True, note=HELD_LOCK_NOTE),
        on(("spawn", "forkserver"), ok(True)),
    ],
)
def lock_held_by_thread_at_fork(ctx: Context) -> object:
    """A module-level lock held by another parent thread when the child starts stays locked
    forever in a fork child (the holder thread does not exist there), so the child hangs;
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


# --------------------------------------------------------------------------- helpers


class _InThread:
    """Run ``body(ready, release)`` in a daemon thread; entering waits until it set ``ready``
    (it holds its lock / is inside its call), leaving sets ``release`` and joins it."""

    def __init__(self, body: Callable[[threading.Event, threading.Event], None]) -> None:
        self.ready = threading.Event()
        self.release = threading.Event()
        self.thread = threading.Thread(target=body, args=(self.ready, self.release),
                                       name="holder", daemon=True)

    def __enter__(self) -> "_InThread":
        self.thread.start()
        if not self.ready.wait(SHORT_TIMEOUT):
            raise RuntimeError("helper thread not ready within SHORT_TIMEOUT")
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.thread.join(SHORT_TIMEOUT)


def _idle_thread(ready: threading.Event, release: threading.Event) -> None:
    ready.set()
    release.wait(_HOLD_LIMIT)


def _acquire_module_rlock() -> bool:
    with MODULE_RLOCK:
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
        on("fork", timeout(), inferred=True, note=HELD_LOCK_NOTE),
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
    with MODULE_CONDITION:
        MODULE_CONDITION.notify_all()
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
        on("fork", timeout(), inferred=True, note=HELD_LOCK_NOTE),
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
        on("*", ok({"computed": 4999950000, "child_thread_result": [499500]}),
           note="the thread that calls fork() holds the GIL; PyOS_AfterFork_Child "
                "re-initialises the GIL in the child"),
    ],
)
def gil_busy_thread_at_fork(ctx: Context) -> object:
    """A parent thread is busy in a pure-Python loop (it competes for the GIL) when the child
    starts. The child runs Python code and even starts and joins a thread of its own.

    Why it matters: it checks the common claim that "the GIL is duplicated in a locked state"
    and deadlocks fork children. The thread calling fork() must hold the GIL to call it, and
    ``PyOS_AfterFork_Child`` (C API docs) updates the interpreter state in the child.
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


# --------------------------------------------------------------------------- logging

_LOGGERS: Dict[str, Any] = {}


class _GateStream:
    """A text stream whose next write, once armed, blocks its writer until released."""

    def __init__(self) -> None:
        self.armed = False
        self.inside = threading.Event()
        self.release = threading.Event()
        self.lines: List[str] = []

    def write(self, text: str) -> int:
        if self.armed:
            self.armed = False
            self.inside.set()
            self.release.wait(_HOLD_LIMIT)
        self.lines.append(text)
        return len(text)

    def flush(self) -> None:
        return None


def _own_lock_handler_class() -> Any:
    import logging

    class OwnLockHandler(logging.Handler):
        """A user handler that guards its stream with a lock of its own."""

        def __init__(self, stream: _GateStream) -> None:
            super().__init__()
            self.io_lock = threading.Lock()
            self.stream = stream

        def emit(self, record: Any) -> None:
            with self.io_lock:
                self.stream.write(self.format(record) + "\n")

    return OwnLockHandler


def _logger(kind: str) -> Any:
    """The logger for ``kind`` ("stdlib" or "user"), built on first use in each process."""
    import logging

    if kind not in _LOGGERS:
        stream = _GateStream()
        if kind == "stdlib":
            handler = logging.StreamHandler(stream)  # type: ignore[arg-type]
        else:
            handler = _own_lock_handler_class()(stream)
        logger = logging.getLogger("smm.deadlock." + kind)
        logger.propagate = False
        logger.setLevel(logging.INFO)
        logger.addHandler(handler)
        _LOGGERS[kind] = (logger, stream)
    return _LOGGERS[kind]


def _log_in_child(kind: str) -> bool:
    logger, stream = _logger(kind)
    logger.info("from the child %d", os.getpid())
    return any("from the child" in line for line in stream.lines)


def _log_while_held(kind: str, ctx: Context) -> object:
    logger, stream = _logger(kind)
    stream.armed = True
    thread = threading.Thread(target=logger.info, args=("from the parent thread",), daemon=True)
    thread.start()
    if not stream.inside.wait(SHORT_TIMEOUT):
        raise RuntimeError("logging thread did not enter emit() within SHORT_TIMEOUT")
    try:
        return ctx.call_in_child(_log_in_child, kind)
    finally:
        stream.release.set()
        thread.join(SHORT_TIMEOUT)


@case(
    "deadlock.stdlib_logging_handler_lock",
    title="Another thread is inside a stdlib logging handler's emit() at start(): the child "
          "can log (the handler lock is re-initialised after fork)",
    source=[LOGGING_FORK_6721, LOGGING_FORK_36533, "https://github.com/python/cpython/pull/12704"],
    covers=[8],
    timeout=HANG_TIMEOUT,
    expect=[
        on("fork", ok(True), python=">=3.8",
           note="bpo-6721 (3.7.1/3.8) added at-fork handling of logging's locks; bpo-36533 "
                "(3.7.4/3.8) re-initialises every Handler.lock in the fork child",
           source=LOGGING_FORK_36533),
        on(("spawn", "forkserver"), ok(True)),
    ],
)
def stdlib_logging_handler_lock(ctx: Context) -> object:
    """A parent thread is blocked inside ``StreamHandler.emit`` (it holds the handler's lock)
    when the child starts; the child logs through the same handler. CPython re-initialises
    ``Handler.lock`` of every handler in a fork child (bpo-36533, 3.7.4/3.8; private
    ``_at_fork_reinit`` since 3.9, bpo-40091), so the fork child can log.

    Why it matters: "logging + threads + fork = deadlock" is folklore from before 3.8.
    Source: bpo-6721 (gh-50970), bpo-36533 (gh-80714, PR 12704).
    """
    return _log_while_held("stdlib", ctx)


@case(
    "deadlock.user_logging_handler_lock",
    title="Another thread is inside a user handler that has its own lock: the fork child hangs",
    source=[LOGGING_FORK_36533, OS_FORK, CONTEXTS],
    covers=[8, 13, 14],
    claims=["fork_copies_locked_locks"],
    timeout=HANG_TIMEOUT,
    expect=[
        on("fork", timeout(), inferred=True,
           note="only Handler.lock is re-initialised at fork (bpo-36533); a lock the handler "
                "creates itself stays held by the vanished thread"),
        on(("spawn", "forkserver"), ok(True)),
    ],
)
def user_logging_handler_lock(ctx: Context) -> object:
    """Same as the stdlib case, but the handler guards its stream with its own
    ``threading.Lock``: logging's at-fork hook re-initialises ``Handler.lock`` only, so in a
    fork child the handler's own lock stays held and the child's first log call hangs.

    Why it matters: custom handlers (network, buffering, rotating-by-hand) often add a lock.
    Source: bpo-36533 (what is re-initialised); os.fork docs.
    """
    return _log_while_held("user", ctx)


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


@case(
    "deadlock.import_lock_held_by_thread",
    title="Another thread is importing a slow module at start(): the child imports another one",
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
    """A parent thread is in the middle of executing a module's body (an import in progress)
    when the child starts; the child imports a different module. The interpreter's global
    import lock is handled across fork (``PyOS_BeforeFork``/``PyOS_AfterFork_Child``), so
    every method should import normally.

    Why it matters: background threads that import lazily are common (plugins, telemetry).
    Source: C API PyOS_AfterFork_Child; os.fork docs.
    """
    return _while_importing(ctx, _OTHER_MODULE)


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


# --------------------------------------------------------------------------- stdout


def _print_in_child() -> bool:
    print("from the child", flush=True)
    return True


@case(
    "deadlock.stdout_lock_held_by_thread",
    title="Another thread is blocked mid-write on sys.stdout (a full pipe) at start()",
    source=[OS_FORK, CONTEXTS, "https://docs.python.org/3/library/io.html#multi-threading"],
    covers=[8],
    timeout=HANG_TIMEOUT,
    expect=[],
)
def stdout_lock_held_by_thread(ctx: Context) -> object:
    """``sys.stdout`` is a buffered stream on a pipe nobody reads; a parent thread writes more
    than the pipe holds, so it blocks inside ``BufferedWriter.write`` holding the buffer's
    lock (io docs: buffered objects protect their state with a lock). The parent then starts
    a child that prints. The docs say nothing about this: no rule for any method. (In the
    source, every method's ``Popen.__init__`` first flushes sys.stdout and sys.stderr in the
    parent — ``multiprocessing/popen_fork.py`` — so start() itself waits for that lock.)

    Why it matters: a logging thread stuck on a slow stdout consumer (``| less``, a full log
    pipe) while the program starts workers. Source: io docs, Multi-threading; os.fork docs.
    """
    import io
    import select

    if sys.platform == "win32":  # select() works only on sockets there, not on os.pipe()
        raise Unavailable("select() on a pipe is not available on Windows")
    read_fd, write_fd = os.pipe()
    saved = sys.stdout
    sys.stdout = io.TextIOWrapper(io.BufferedWriter(io.FileIO(write_fd, "w")), write_through=True)

    def writer(ready: threading.Event, release: threading.Event) -> None:
        sys.stdout.write("x" * LARGE_PAYLOAD)

    holder = _InThread(writer)
    holder.ready.set()  # readiness is the pipe becoming readable, checked below
    try:
        with holder:
            readable, _, _ = select.select([read_fd], [], [], SHORT_TIMEOUT)
            if not readable:
                raise RuntimeError("writer thread wrote nothing within SHORT_TIMEOUT")
            # The single write() cannot complete while nobody reads: the thread is inside it.
            result = ctx.call_in_child(_print_in_child)
            drain = threading.Thread(target=_drain, args=(read_fd,), daemon=True)
            drain.start()
        return result
    finally:
        sys.stdout = saved


def _drain(fd: int) -> None:
    while os.read(fd, 65536):
        pass


# --------------------------------------------------------------------------- queues


def _put_payload(queue: Any, size: int) -> None:
    queue.put("X" * size)


def _join_before_get(ctx: Context, size: int) -> object:
    queue = ctx.mp.Queue()
    proc = ctx.mp.Process(target=_put_payload, args=(queue, size))
    proc.start()
    proc.join()  # the documented mistake: join before draining the queue
    item = queue.get(timeout=SHORT_TIMEOUT)
    return {"exitcode": proc.exitcode, "received": len(item)}


@case(
    "deadlock.queue_join_before_get_large",
    title="join() before get() on a Queue the child filled beyond the pipe buffer: hangs",
    source=[GUIDELINES_ALL, MP_DOCS + "#pipes-and-queues"],
    covers=[35],
    timeout=HANG_TIMEOUT,
    expect=[
        on("*", timeout(),
           note="a process that put items on a queue does not terminate until they are "
                "flushed to the pipe; joining it before get() deadlocks"),
    ],
)
def queue_join_before_get_large(ctx: Context) -> object:
    """The child puts a 4 MB string on a ``multiprocessing.Queue``; the parent joins the child
    before calling ``get()``. The child's feeder thread cannot flush the item into the full
    pipe, the child cannot exit, the parent waits for ever — under every start method.

    Why it matters: the documented "Joining processes that use queues" deadlock.
    Source: multiprocessing docs, Programming guidelines > All start methods.
    """
    return _join_before_get(ctx, LARGE_PAYLOAD)


@case(
    "deadlock.queue_join_before_get_small",
    title="join() before get() with an item far below the pipe buffer: completes",
    source=[GUIDELINES_ALL, MP_DOCS + "#pipes-and-queues"],
    covers=[35],
    timeout=HANG_TIMEOUT,
    expect=[
        on("*", ok({"exitcode": 0, "received": SMALL_PAYLOAD}),
           note="the child terminates once its items are flushed to the pipe; 100 bytes fit "
                "in the pipe buffer, so the flush and the child finish"),
    ],
)
def queue_join_before_get_small(ctx: Context) -> object:
    """The same mistake with a 100-byte item: the feeder flushes it into the pipe buffer at
    once, the child exits, join() returns, and get() finds the item.

    Why it matters: the pattern "works" in tests with small data and hangs in production
    with large data.

    Source: multiprocessing docs, Programming guidelines > All start methods; Pipes and Queues.
    """
    return _join_before_get(ctx, SMALL_PAYLOAD)


# --------------------------------------------------------------------------- pools


def _kill_self() -> None:
    import signal

    # Windows has no SIGKILL; os.kill with SIGTERM ends the process outright there.
    os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))


@case(
    "deadlock.pool_worker_killed",
    title="A multiprocessing.Pool worker is killed while running a task: the result never comes",
    source=[POOL_WORKER_DEATH, MP_DOCS + "#module-multiprocessing.pool"],
    timeout=HANG_TIMEOUT,
    expect=[
        on("*", timeout(),
           note="open since 2014 (bpo-22393): the Pool replaces the dead worker, the task is "
                "lost and apply() waits for ever; the fix PRs (10441, 16103) were not merged",
           source=POOL_WORKER_DEATH),
    ],
)
def pool_worker_killed(ctx: Context) -> object:
    """A task kills its own worker process (SIGKILL, like the OOM killer). ``Pool.apply``
    never returns: the Pool silently starts a replacement worker but the task is lost.

    Why it matters: an OOM-killed worker turns a batch job into a silent hang; compare
    ``pool_worker_killed_executor``. Source: gh-66587 (bpo-22393), open.
    """
    pool = ctx.mp.Pool(1)
    try:
        return pool.apply(_kill_self)
    finally:
        pool.terminate()


@case(
    "deadlock.pool_worker_killed_executor",
    title="A ProcessPoolExecutor worker is killed while running a task: BrokenProcessPool",
    source=[BROKEN_PROCESS_POOL, PPE_DOCS],
    timeout=HANG_TIMEOUT,
    expect=[on("*", error("BrokenProcessPool"))],
)
def pool_worker_killed_executor(ctx: Context) -> object:
    """The same task under ``concurrent.futures.ProcessPoolExecutor`` (with this method's
    context): the executor notices the dead worker and fails the future with
    ``BrokenProcessPool`` ("one of the workers ... terminated in a non-clean fashion").

    Why it matters: it is the way out when a worker is killed (OOM killer), where Pool hangs.
    Source: concurrent.futures docs, BrokenProcessPool (3.3+).
    """
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=1, mp_context=ctx.mp) as executor:
        return executor.submit(_kill_self).result()


_UNGUARDED_POOL_SCRIPT = """
import multiprocessing
import sys

context = multiprocessing.get_context(sys.argv[1])
with context.Pool(1) as pool:        # no `if __name__ == "__main__":` guard
    print(pool.map(abs, [-1, -2]))
"""


@case(
    "deadlock.missing_main_guard_pool",
    title="A Pool created at import time of an unguarded main script",
    source=[GUIDELINES_SPAWN, POOL_WORKER_DEATH],
    covers=[30, 32],
    timeout=HANG_TIMEOUT,
    expect=[
        on("fork", ok({"returncode": 0, "stdout": "[1, 2]"}),
           note="fork children do not re-import the main module"),
        on(("spawn", "forkserver"), timeout(),
           note="each worker re-imports the main module and fails with RuntimeError (docs); "
                "the Pool replaces dead workers and never fails the map (gh-66587)"),
    ],
)
def missing_main_guard_pool(ctx: Context) -> object:
    """A script that creates a Pool at module level, without the main guard, run as the main
    program. Under spawn/forkserver each worker imports the main module, tries to create a
    Pool during bootstrapping and dies with RuntimeError; the Pool keeps replacing workers
    and ``map()`` never returns. Under fork the workers do not re-import the script.

    Why it matters: the classic Windows/macOS failure, on Linux too from 3.14.
    Source: Programming guidelines > Safe importing of main module; gh-66587.
    """
    run = ctx.run_script(_UNGUARDED_POOL_SCRIPT, timeout=None)  # type: ignore[arg-type]
    return {"returncode": run.returncode, "stdout": run.stdout.strip()}


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
    queue = multiprocessing.Queue()
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
    expect=[on(method, ok(_semantics_expected(method)))
            for method in ("fork", "spawn", "forkserver")],
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
    title="ProcessPoolExecutor with a thread alive: DeprecationWarning with a fork context",
    source=[PPE_DOCS, OS_FORK],
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
