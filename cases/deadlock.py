"""Hangs that depend on the start method: locks, threads and pipes at the moment of start().

A case that deadlocks is not given a timeout of its own: it hangs, and the runner's hard
timeout classifies it as ``timeout``.
"""

from __future__ import annotations

import threading

from harness.catalog import SHORT_TIMEOUT, Context, case, ok, on, timeout

OS_FORK = "https://docs.python.org/3/library/os.html#os.fork"
CONTEXTS = "https://docs.python.org/3/library/multiprocessing.html#contexts-and-start-methods"
#: The hard timeout of cases that are expected to hang under some method.
HANG_TIMEOUT = 3.0

MODULE_LOCK = threading.Lock()


def _acquire_module_lock() -> bool:
    with MODULE_LOCK:
        return True


@case(
    "deadlock.lock_held_by_thread_at_fork",
    title="A threading.Lock held by another thread at start(): the child waits forever under fork",
    source=[OS_FORK, CONTEXTS],
    covers=[8, 13, 14],
    claims=["fork_copies_locked_locks"],
    timeout=HANG_TIMEOUT,
    expect=[
        on("fork", timeout()),
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
