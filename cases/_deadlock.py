"""Shared by the ``deadlock`` category's modules (``cases/deadlock*.py``): the sources they
cite, the hang timeout, payload sizes and the helper that makes a thread hold a lock at start().
"""

from __future__ import annotations

import sys
import threading

from harness.guest import TYPE_CHECKING
from harness.guest.catalog import SHORT_TIMEOUT
from harness.guest.docs import ALL_METHODS as GUIDELINES_ALL
from harness.guest.docs import CONTEXTS, OS_FORK, POSIX_FORK
from harness.guest.docs import DOCS as MP_DOCS
from harness.guest.docs import GUIDE_SPAWN as GUIDELINES_SPAWN

if TYPE_CHECKING:
    from typing import Any, Callable

__all__ = [
    "AFTER_FORK_C_API",
    "BLOCKED_ON_HELD_LOCK",
    "CAUTIONS_FORK",
    "CONTEXTS",
    "CONTEXT_PY",
    "GET_START_METHOD",
    "GLOBAL_METHOD",
    "GUIDELINES_ALL",
    "GUIDELINES_SPAWN",
    "HANG_TIMEOUT",
    "HELD_LOCK_NOTE",
    "LARGE_PAYLOAD",
    "LOGGING_FORK_36533",
    "LOGGING_FORK_6721",
    "MP_DOCS",
    "OS_FORK",
    "POOL_WORKER_DEATH",
    "POSIX_FORK",
    "SET_START_METHOD",
    "SMALL_PAYLOAD",
    "_HOLD_LIMIT",
    "_InThread",
    "_idle_thread",
    "say",
    "take_held",
]

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
                  "in the child, which would predict ok, but read literally that overstates "
                  "it: what CPython resets are its own internal locks (the GIL, the import "
                  "lock, threading's bookkeeping), not a Lock another thread holds")
#: What a held-lock case's child writes to stderr before it blocks on a lock it found held: a
#: timed-out cell's detail quotes that line, so the claim counts only hangs at that lock.
BLOCKED_ON_HELD_LOCK = "held in this child by a thread that does not exist here; waiting"
LOGGING_FORK_6721 = "https://github.com/python/cpython/issues/50970"
LOGGING_FORK_36533 = "https://github.com/python/cpython/issues/80714"
POOL_WORKER_DEATH = "https://github.com/python/cpython/issues/66587"
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


# --------------------------------------------------------------------------- helpers


def say(text: str) -> None:
    """One line on stderr, now: where a case is about to block (a timed-out cell quotes the
    last line its processes wrote, and a ``timeout(said=...)`` rule checks it)."""
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def take_held(lock: Any, name: str) -> None:
    """Acquire ``lock``; if it is held, first say so on stderr, then wait for it (forever
    in a fork child, whose holder thread does not exist)."""
    if not lock.acquire(False):
        say("%s: %s" % (name, BLOCKED_ON_HELD_LOCK))
        lock.acquire()


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

