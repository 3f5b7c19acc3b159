"""Logging handlers and stdout at start(): a thread inside emit() or a write holds the stream's
lock when a fork child is made.

Part of the ``deadlock`` category (``cases/deadlock.py`` imports this module).
"""

from __future__ import annotations

import os
import sys
import threading

from cases._deadlock import (
    _HOLD_LIMIT,
    BLOCKED_ON_HELD_LOCK,
    CONTEXTS,
    HANG_TIMEOUT,
    LARGE_PAYLOAD,
    LOGGING_FORK_6721,
    LOGGING_FORK_36533,
    OS_FORK,
    _InThread,
    take_held,
)
from harness.guest import TYPE_CHECKING
from harness.guest.catalog import (
    SHORT_TIMEOUT,
    Context,
    Unavailable,
    case,
    ok,
    on,
    timeout,
)

if TYPE_CHECKING:
    from typing import Any, Dict, List


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
            take_held(self.io_lock, "OwnLockHandler.io_lock")
            try:
                self.stream.write(self.format(record) + "\n")
            finally:
                self.io_lock.release()

    return OwnLockHandler


def _logger(kind: str) -> Any:
    """The logger for ``kind`` ("stdlib" or "user"), built on first use in each process."""
    import logging

    if kind not in _LOGGERS:
        stream = _GateStream()
        if kind == "stdlib":
            handler = logging.StreamHandler(stream)
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
        on("fork", ok(True),
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
        on("fork", timeout(said=BLOCKED_ON_HELD_LOCK), inferred=True,
           note="only Handler.lock is re-initialised at fork (bpo-36533); a lock the handler "
                "creates itself stays held by the vanished thread"),
        on(("spawn", "forkserver"), ok(True)),
    ],
)
def user_logging_handler_lock(ctx: Context) -> object:
    """Same as the stdlib case, but the handler guards its stream with its own
    ``threading.Lock``: logging's at-fork hook re-initialises ``Handler.lock`` only, so in a
    fork child the handler's own lock stays held and the child's first log call hangs
    (saying on stderr first that it found the lock held: the timed-out cell quotes it).

    Why it matters: custom handlers (network, buffering, rotating-by-hand) often add a lock.
    Source: bpo-36533 (what is re-initialised); os.fork docs.
    """
    return _log_while_held("user", ctx)


# --------------------------------------------------------------------------- stdout


def _print_in_child() -> bool:
    print("from the child", flush=True)
    return True


@case(
    "deadlock.stdout_lock_held_by_thread",
    title="Another thread is blocked mid-write on sys.stdout (a full pipe) at start()",
    source=[OS_FORK, CONTEXTS, "https://docs.python.org/3/library/io.html#multi-threading"],
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
