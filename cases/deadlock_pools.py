"""Queues and pools that hang: a child joined before its queue is drained, a pool worker that
dies, a pool started from a script without the main guard.

Part of the ``deadlock`` category (``cases/deadlock.py`` imports this module).
"""

from __future__ import annotations

import os

from cases._deadlock import (
    GUIDELINES_ALL,
    GUIDELINES_SPAWN,
    HANG_TIMEOUT,
    LARGE_PAYLOAD,
    MP_DOCS,
    POOL_WORKER_DEATH,
    SMALL_PAYLOAD,
    say,
)
from harness.guest import TYPE_CHECKING
from harness.guest.catalog import (
    SHORT_TIMEOUT,
    Context,
    case,
    error,
    ok,
    on,
    timeout,
)
from harness.guest.docs import BROKEN_POOL, GH_126631, GH_141860, PROCESS_POOL, PYPY_3910

if TYPE_CHECKING:
    from typing import Any

#: What each case says on stderr just before the call that should hang: a hang's rule is met
#: only by a hang there (the timed-out cell quotes the last line written).
JOINING = "joining the child before get()"
APPLYING = "Pool.apply(): waiting for the task that kills its worker"


# --------------------------------------------------------------------------- queues


def _put_payload(queue: Any, size: int) -> None:
    queue.put("X" * size)


def _join_before_get(ctx: Context, size: int) -> object:
    queue = ctx.mp.Queue()
    proc = ctx.mp.Process(target=_put_payload, args=(queue, size))
    proc.start()
    say(JOINING)
    proc.join()  # the documented mistake: join before draining the queue
    say("joined")  # a later hang is not this one
    item = queue.get(timeout=SHORT_TIMEOUT)
    return {"exitcode": proc.exitcode, "received": len(item)}


@case(
    "deadlock.queue_join_before_get_large",
    title="join() before get() on a Queue the child filled beyond the pipe buffer: hangs",
    source=[GUIDELINES_ALL, MP_DOCS + "#pipes-and-queues"],
    covers=[35],
    timeout=HANG_TIMEOUT,
    expect=[
        on("*", timeout(said=JOINING),
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
        on("*", timeout(said=APPLYING),
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
        say(APPLYING)
        value = pool.apply(_kill_self)
        say("Pool.apply() returned")  # a hang in terminate() is not this one
        return value
    finally:
        pool.terminate()


@case(
    "deadlock.pool_worker_killed_executor",
    title="A ProcessPoolExecutor worker is killed while running a task: BrokenProcessPool",
    source=[BROKEN_POOL, PROCESS_POOL, PYPY_3910],
    timeout=HANG_TIMEOUT,
    expect=[on("*", error("BrokenProcessPool", contains="result():"))],
)
def pool_worker_killed_executor(ctx: Context) -> object:
    """The same task under ``concurrent.futures.ProcessPoolExecutor`` (with this method's
    context): the executor notices the dead worker and fails the future with
    ``BrokenProcessPool`` ("one of the workers ... terminated in a non-clean fashion").
    PyPy 3.9: its ProcessPoolExecutor cannot run under spawn/forkserver at all (``submit()``
    raises AttributeError, pypy#3910), so those cells fail before the case's point; the rule
    stays the docs'.

    Why it matters: it is the way out when a worker is killed (OOM killer), where Pool hangs.
    A pool that cannot run even ``abs(-3)`` first fails as ``submit(abs, -3): ...``, so a
    pool broken for another reason does not pass for this one. Source: concurrent.futures
    docs, BrokenProcessPool (3.3+).
    """
    from concurrent.futures import ProcessPoolExecutor

    from cases._pickling import raise_as

    with ProcessPoolExecutor(max_workers=1, mp_context=ctx.mp) as executor:
        for call, where in (((abs, -3), "submit(abs, -3)"), ((_kill_self,), "result()")):
            try:
                value = executor.submit(*call).result()
            except Exception as exc:
                raise_as(type(exc).__name__, str(exc), where)
        return value


_UNGUARDED_POOL_SCRIPT = """
import json
import multiprocessing
import sys

context = multiprocessing.get_context(sys.argv[1])
with context.Pool(1) as pool:        # no `if __name__ == "__main__":` guard
    try:
        result = pool.map_async(abs, [-1, -2]).get(float(sys.argv[2]))
    except multiprocessing.TimeoutError:
        result = "no result"
    print(json.dumps(result))
"""


@case(
    "deadlock.missing_main_guard_pool",
    labels={
        "returncode": "the script's exit code",
        "result": "what the Pool's map returned",
        "workers_failed_bootstrapping": "the bootstrapping-phase RuntimeError on the stderr",
    },
    breaks=("spawn", "forkserver"),  # the docstring: the child fails there
    title="A Pool created at import time of an unguarded main script",
    source=[GUIDELINES_SPAWN, POOL_WORKER_DEATH, GH_126631, GH_141860],
    covers=[30, 32],
    timeout=HANG_TIMEOUT,
    expect=[
        on("fork", ok({"returncode": 0, "result": [1, 2], "workers_failed_bootstrapping": False}),
           note="fork children do not re-import the main module"),
        on(("spawn", "forkserver"), ok({"returncode": 0, "result": "no result",
                                        "workers_failed_bootstrapping": True}),
           note="each worker re-imports the main module and fails with RuntimeError (docs); "
                "the Pool replaces dead workers and never fails the map (gh-66587)"),
    ],
)
def missing_main_guard_pool(ctx: Context) -> object:
    """A script that creates a Pool at module level, without the main guard, run as the main
    program. Under spawn/forkserver each worker imports the main module, tries to create a
    Pool during bootstrapping and dies with RuntimeError (its traceback, on the script's
    stderr, is checked); the Pool keeps replacing workers and the map never returns — the
    script stops waiting after SHORT_TIMEOUT and says "no result". Under fork the workers do
    not re-import the script. Why forkserver differs on 3.13.8+ and 3.14.1+: the fork server
    itself preloads ``__main__`` (gh-126631), so the unguarded Pool is created in the server,
    which fails, and the script exits with an error before any worker exists; 3.15 ignores
    preload errors by default (gh-141860). The rule stays the docs'.

    Why it matters: the classic Windows/macOS failure, on Linux too from 3.14.
    Source: Programming guidelines > Safe importing of main module; gh-66587; gh-126631,
    gh-141860.
    """
    import json

    run = ctx.run_script(_UNGUARDED_POOL_SCRIPT, args=[str(SHORT_TIMEOUT)],
                         timeout=SHORT_TIMEOUT * 4)
    lines = run.stdout.strip().splitlines()
    return {"returncode": run.returncode, "result": json.loads(lines[-1]) if lines else None,
            "workers_failed_bootstrapping": "bootstrapping phase" in run.stderr}
