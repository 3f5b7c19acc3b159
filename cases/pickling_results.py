"""Pickling, part two: results and exceptions coming back, main programs without an importable
``__main__``, multiprocessing objects that refuse to be pickled, and the exception types.

Imported at the end of ``cases.pickling`` (the executor imports a category by its id prefix).
"""

from __future__ import annotations

import io
import multiprocessing
import sys
import threading

from cases._pickling import (
    CONTEXTS,
    MORE_PICKLABILITY,
    MP_DOCS,
    NO_TYPE,
    PICKLABLE,
    PROCESS_NOTE,
    in_child,
    normalise,
    raise_as,
    start_fails,
)
from harness.guest import TYPE_CHECKING
from harness.guest.catalog import CASE_TIMEOUT, Context, Unavailable, case, error, ok, on

if TYPE_CHECKING:
    from typing import Any, Dict, Optional

__all__ = ["CodedError", "LockHoldingProcess"]

FUTURES = "https://docs.python.org/3/library/concurrent.futures.html"
PPE = FUTURES + "#processpoolexecutor"
BROKEN_POOL = FUTURES + "#concurrent.futures.process.BrokenProcessPool"
FUTURE_RESULT = FUTURES + "#concurrent.futures.Future.result"
ASYNC_GET = MP_DOCS + "#multiprocessing.pool.AsyncResult.get"
POOL_NOTE = MP_DOCS + "#using-a-pool-of-workers"
QUEUES = MP_DOCS + "#pipes-and-queues"
#: Hard timeout of cases that may hang on some versions (a lost result or exception): shorter
#: than CASE_TIMEOUT. An idle machine finishes such a pool in about 1 s; on a loaded 2-core box
#: it took up to ~8 s: scale with HARNESS_TIMEOUT_SCALE there.
MAY_HANG_TIMEOUT = CASE_TIMEOUT * 0.6


def executor_unusable(executor: Any) -> Optional[str]:
    """Submit ``abs(-3)`` first: None if the executor works, else the normalised error.

    An executor that cannot run even a builtin (PyPy 3.9's ProcessPoolExecutor raises
    AttributeError in ``submit()`` under spawn/forkserver) must not pass for a pickling error.
    """
    try:
        value = executor.submit(abs, -3).result()
    except Exception as exc:
        return f"{type(exc).__name__}: {normalise(str(exc))}"
    return None if value == 3 else f"abs(-3) returned {value!r}"


def _make_lock() -> Any:
    return threading.Lock()


def _returns_lock(_: int) -> Any:
    return threading.Lock()


@case(
    "pickling.unpicklable_return_value",
    title="Pool.map whose function returns an unpicklable value: an error, or a hang?",
    source=[ASYNC_GET, PICKLABLE],
    claims=["spawn_requires_picklable"],
    timeout=MAY_HANG_TIMEOUT,
    expect=[on("*", error(), note="the result must be pickled back under every method; "
                                  + NO_TYPE)],
)
def unpicklable_return_value(ctx: Context) -> object:
    """A Pool worker whose function returns a ``threading.Lock``: the result is pickled to be
    sent back to the parent under every start method (pool workers talk through pipes, even
    when forked), pickling fails, and ``map()`` should raise in the parent (``get()`` re-raises
    what went wrong remotely) rather than hang.

    Why it matters: returning an object holding a lock, a connection or a file from a worker
    is a common mistake; whether it raises or hangs decides how long it takes to find.
    Source: multiprocessing > AsyncResult.get; pickle docs > "What can be pickled".
    """
    with ctx.mp.Pool(1) as pool:
        try:
            return pool.map(_returns_lock, [1])
        except Exception as exc:
            raise_as(type(exc).__name__, str(exc), "map()")


@case(
    "pickling.unpicklable_return_value_executor",
    title="ProcessPoolExecutor whose function returns an unpicklable value",
    source=[PPE, FUTURE_RESULT],
    claims=["spawn_requires_picklable"],
    timeout=MAY_HANG_TIMEOUT,
    expect=[on("*", error(), note="'only picklable objects can be executed and returned'; "
                                  + NO_TYPE)],
)
def unpicklable_return_value_executor(ctx: Context) -> object:
    """``ProcessPoolExecutor(mp_context=ctx).submit(f).result()`` where ``f`` returns a
    ``threading.Lock``. The docs: ProcessPoolExecutor "means that only picklable objects can be
    executed and returned"; ``Future.result()`` raises the call's exception. Expected: an error
    from ``result()`` under every method (the result always crosses a pipe).

    Why it matters: same mistake as the Pool case, through the more common executor API.
    Source: concurrent.futures > ProcessPoolExecutor; Future.result.
    """
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=ctx.mp) as executor:
        unusable = executor_unusable(executor)
        if unusable:
            return {"executor_unusable": unusable}
        try:
            return executor.submit(_make_lock).result()
        except Exception as exc:
            raise_as(type(exc).__name__, str(exc), "result()")


class CodedError(Exception):
    """An exception whose ``__init__`` needs two arguments but passes one to ``Exception``:
    unpickling calls ``CodedError(*self.args)`` with one argument and fails."""

    def __init__(self, code: int, text: str) -> None:
        super().__init__(text)
        self.code = code


def _raise_coded(_: int = 0) -> None:
    raise CodedError(7, "coded failure")


@case(
    "pickling.exception_with_custom_init",
    title="Pool worker raises an exception whose __init__ needs extra arguments",
    source=[ASYNC_GET, "https://github.com/python/cpython/issues/79492",
            "https://github.com/python/cpython/issues/103061"],
    timeout=MAY_HANG_TIMEOUT,
    expect=[on("*", error("CodedError"))],
)
def exception_with_custom_init(ctx: Context) -> object:
    """A Pool worker raises ``CodedError(7, "...")``, whose ``__init__`` takes two arguments but
    stores one in ``args``. The docs: "If the remote call raised an exception then that
    exception will be reraised by get()". The exception is pickled as
    ``(CodedError, ("coded failure",))``; unpickling it in the parent calls ``CodedError`` with
    one argument, which raises TypeError inside the pool's result-handler thread.

    Why it matters: custom exceptions with required constructor arguments are common; if the
    parent never gets the result, ``map()`` waits forever. Source: multiprocessing >
    AsyncResult.get; gh-79492 (bpo-35311) and gh-103061 (open: Pool hangs on exceptions that
    cannot be unpickled).
    """
    with ctx.mp.Pool(1) as pool:
        return pool.apply(_raise_coded, (0,))


@case(
    "pickling.exception_with_custom_init_executor",
    title="ProcessPoolExecutor worker raises an exception whose __init__ needs extra arguments",
    source=[FUTURE_RESULT, PPE],
    timeout=MAY_HANG_TIMEOUT,
    expect=[on("*", error("CodedError"))],
)
def exception_with_custom_init_executor(ctx: Context) -> object:
    """The same ``CodedError`` raised in a ProcessPoolExecutor worker. The docs:
    ``Future.result()`` — "If the call raised an exception, this method will raise the same
    exception." Unpickling it in the parent fails, so what arrives instead?

    Why it matters: an error in a worker should never turn into a broken pool or a hang.
    Source: concurrent.futures > Future.result.
    """
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=ctx.mp) as executor:
        unusable = executor_unusable(executor)
        if unusable:
            return {"executor_unusable": unusable}
        try:
            return executor.submit(_raise_coded).result()
        except CodedError:
            raise
        except Exception as exc:
            raise_as(type(exc).__name__, str(exc), "result()")


@case(
    "pickling.executor_lambda_under_fork",
    title="ProcessPoolExecutor.submit(lambda) fails under every method, fork included",
    source=[PPE, PICKLABLE],
    timeout=MAY_HANG_TIMEOUT,
    expect=[on("*", error(), note="'only picklable objects can be executed'; " + NO_TYPE)],
)
def executor_lambda_under_fork(ctx: Context) -> object:
    """Under fork a Process target is never pickled, but a ProcessPoolExecutor sends each call
    to an already running worker through a queue: "only picklable objects can be executed",
    whatever the start method. ``submit(lambda: 42).result()`` raises, fork included.

    Why it matters: "it works under fork" does not extend to pools and executors.
    Source: concurrent.futures > ProcessPoolExecutor.
    """
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=ctx.mp) as executor:
        unusable = executor_unusable(executor)
        if unusable:
            return {"executor_unusable": unusable}
        try:
            return executor.submit(lambda: 42).result()
        except Exception as exc:
            raise_as(type(exc).__name__, str(exc), "result()")


# --------------------------------------------------------------------------- shared objects


def _first_item(queue: Any) -> Any:
    return queue.get()


@case(
    "pickling.multiprocessing_lock_through_queue",
    title="A multiprocessing Lock put on a Queue: put() returns, the item is dropped",
    source=[QUEUES, "https://github.com/python/cpython/issues/84376"],
    expect=[on("*", error(), note="the Queue note says put() pickles the object; " + NO_TYPE)],
)
def multiprocessing_lock_through_queue(ctx: Context) -> object:
    """Lock objects "should only be shared between processes through inheritance" (the
    runtime error text); the docs advise not to send shared objects through queues. The Queue
    note says "When an object is put on a queue, the object is pickled and a background
    thread later flushes the pickled data", so ``put(lock)`` should raise. Observed instead:
    the lock is pickled later by the feeder thread, which prints the error to stderr and
    drops the item; ``put()`` returns and the reader gets the next item.

    Why it matters: the failure is silent for the producer and the consumer waits for an item
    that never comes. Source: multiprocessing > Pipes and Queues (note on pickling); gh-84376
    ("multiprocessing.Queue.put can fail silently due to pickle errors", open).
    """
    queue = ctx.mp.Queue()
    lock = ctx.mp.Lock()
    captured = io.StringIO()
    real_stderr = sys.stderr
    sys.stderr = captured
    try:
        try:
            queue.put(lock)
        except Exception as exc:
            raise_as(type(exc).__name__, str(exc), "put()")
        queue.put("next item")
        received = in_child(ctx, _first_item, queue)
    finally:
        sys.stderr = real_stderr
        queue.close()
        queue.join_thread()
    lines = [line for line in captured.getvalue().splitlines() if "Error" in line.split(":")[0]]
    return {"put": "returned", "child_got": received,
            "feeder_error": normalise(lines[-1]) if lines else None}


def _try_lock(lock: Any) -> Any:
    return lock.acquire(False)


@case(
    "pickling.lock_from_other_context",
    title="A Lock made by the fork context, passed to a spawn/forkserver child",
    source=CONTEXTS,
    covers=[24],
    expect=[on("fork", ok(False)),
            on(("spawn", "forkserver"), error(), note="'cannot be passed'; " + NO_TYPE)],
)
def lock_from_other_context(ctx: Context) -> object:
    """``get_context('fork').Lock()`` held by the parent and passed to a child of this case's
    method. The docs: "locks created using the fork context cannot be passed to processes
    started using the spawn or forkserver start methods". Under fork the child shares it
    (``acquire(False)`` is False while the parent holds it).

    Why it matters: libraries that create their locks with one context and start processes
    with the user's context mix the two. Source: multiprocessing > Contexts and start methods.
    """
    try:
        fork_ctx = multiprocessing.get_context("fork")
    except ValueError:
        raise Unavailable(f"there is no fork context on {sys.platform}") from None
    lock = fork_ctx.Lock()
    with lock:
        return in_child(ctx, _try_lock, lock)


class LockHoldingProcess(multiprocessing.Process):
    """A Process subclass that keeps a ``threading.Lock`` (not picklable) on the instance."""

    def __init__(self, conn: Any) -> None:
        super().__init__()
        self.conn = conn
        self.guard = threading.Lock()

    def run(self) -> None:
        with self.guard:
            self.conn.send("subclass ran")


@case(
    "pickling.process_subclass_picklable",
    title="A Process subclass holding a threading.Lock: start() fails under spawn/forkserver",
    source=[MORE_PICKLABILITY, "https://github.com/giampaolo/pyftpdlib/pull/656"],
    covers=[28],
    expect=[on("fork", ok("subclass ran")), start_fails()],
)
def process_subclass_picklable(ctx: Context) -> object:
    """The docs: "if you subclass Process.__init__, you must make sure that instances will be
    picklable when the Process.start method is called" (spawn/forkserver). A subclass that
    stores a ``threading.Lock`` in ``__init__`` makes ``start()`` raise; fork runs it. The
    subclass uses the global start method, set here for the case (and restored).

    Why it matters: pyftpdlib broke on 3.14 exactly this way (an epoll object on self).
    Source: multiprocessing > "More picklability".
    """
    previous = multiprocessing.get_start_method(allow_none=True)
    multiprocessing.set_start_method(ctx.method, force=True)
    reader, writer = multiprocessing.Pipe(duplex=False)
    try:
        proc = LockHoldingProcess(writer)
        try:
            proc.start()
        except Exception as exc:
            raise_as(type(exc).__name__, str(exc), "start()")
        writer.close()
        value = reader.recv()
        proc.join()
        return value
    finally:
        reader.close()
        writer.close()
        multiprocessing.set_start_method(previous, force=True)


#: The objects other cases pass to children, by kind (sorted).
UNPICKLABLE_KINDS = ("generator", "lambda", "local_class_instance", "local_function",
                     "open_file", "threading_lock")


#: A lambda at the top level of the module: still not picklable (pickled by name, and its name
#: is ``<lambda>``), unlike a ``def`` at the same place.
MODULE_LAMBDA = lambda: None  # noqa: E731 - the point of the case


def _unpicklable_objects(handle: Any) -> Dict[str, Any]:
    def local_function() -> None:
        """Nested: not reachable from the module's top level."""

    class LocalClass:
        pass

    def generator() -> Any:
        yield 1

    return {
        "lambda": MODULE_LAMBDA,
        "local_function": local_function,
        "local_class_instance": LocalClass(),
        "generator": generator(),
        "threading_lock": threading.Lock(),
        "open_file": handle,
    }


@case(
    "pickling.unpicklable_error_type",
    title="Which exception pickling an unpicklable object raises (docs: PicklingError)",
    source=[PICKLABLE, "https://github.com/python/cpython/issues/122311"],
    expect=[on("*", ok(dict.fromkeys(UNPICKLABLE_KINDS, "PicklingError")))],
)
def unpicklable_error_type(ctx: Context) -> object:
    """The pickle docs: "Attempts to pickle unpicklable objects will raise the PicklingError
    exception". Each object that the other cases pass to a child is pickled here with
    multiprocessing's own pickler (what spawn/forkserver ``start()``, queues and pools use) and
    the exception type is recorded. Independent of the start method.

    Why it matters: ``except pickle.PicklingError`` around ``start()`` or ``submit()`` misses
    the TypeError/AttributeError that CPython actually raises for many objects (3.14 turned
    some into PicklingError: gh-122311). Source: pickle docs > "What can be pickled".
    """
    from multiprocessing.reduction import ForkingPickler

    seen: Dict[str, Optional[str]] = {}
    with open(__file__) as handle:
        for kind, obj in sorted(_unpicklable_objects(handle).items()):
            try:
                ForkingPickler.dumps(obj)
            except Exception as exc:
                seen[kind] = type(exc).__name__
            else:
                seen[kind] = None
    return seen


# --------------------------------------------------------------------------- main programs

MAIN_TARGET_SCRIPT = """
import multiprocessing, sys

def target():
    print("target ran", flush=True)

if __name__ == "__main__":
    proc = multiprocessing.get_context(sys.argv[1]).Process(target=target)
    proc.start()
    proc.join()
    print("exitcode=%s" % proc.exitcode, flush=True)
"""


def _main_target(ctx: Context, mode: str) -> Dict[str, Any]:
    result = ctx.run_script(MAIN_TARGET_SCRIPT, mode=mode, timeout=CASE_TIMEOUT * 4)
    exitcodes = [line.split("=", 1)[1] for line in result.stdout.splitlines()
                 if line.startswith("exitcode=")]
    last_error = result.last_error_line()
    return {
        "exitcode": int(exitcodes[-1]) if exitcodes and exitcodes[-1] != "None" else None,
        "target_ran": "target ran" in result.stdout,
        "child_error": last_error.split(":", 1)[0] if last_error else None,
    }


@case(
    "pickling.main_function_from_command_line",
    title="python -c: a target defined in __main__ dies with AttributeError under spawn",
    source=[PROCESS_NOTE, POOL_NOTE],
    covers=[26],
    expect=[
        on("fork", ok({"exitcode": 0, "target_ran": True, "child_error": None})),
        on(("spawn", "forkserver"),
           ok({"exitcode": 1, "target_ran": False, "child_error": "AttributeError"})),
    ],
)
def main_function_from_command_line(ctx: Context) -> object:
    """A program run with ``python -c`` defines ``target`` in ``__main__`` and starts
    ``Process(target=target)``. A spawn/forkserver child cannot import that ``__main__``, so
    unpickling the target fails: the docs show the child dying with an uncaught AttributeError
    ("Can't get attribute 'f' on <module '__main__'>") and exitcode 1. fork runs it.

    Why it matters: one-liners, notebooks and embedded interpreters hit this.
    Source: multiprocessing > Process note (REPL targets); "Using a pool of workers" note.
    """
    return _main_target(ctx, "command")


@case(
    "pickling.repl_target_attributeerror",
    title="A program read from stdin: its __main__ target is unreachable for spawn children",
    source=[PROCESS_NOTE, POOL_NOTE, "https://github.com/vllm-project/vllm/pull/43782"],
    covers=[26],
    expect=[
        on("fork", ok({"exitcode": 0, "target_ran": True, "child_error": None})),
        on(("spawn", "forkserver"),
           ok({"exitcode": 1, "target_ran": False, "child_error": "AttributeError"})),
    ],
)
def repl_target_attributeerror(ctx: Context) -> object:
    """The same program fed to ``python -`` (stdin), the closest non-interactive stand-in for
    the REPL the docs describe: "Passing a callable object defined in the current REPL session
    causes the child process to die via an uncaught AttributeError exception" (exitcode 1 in
    the docs' example); fork is exempt.

    Why it matters: piping a script into Python (``ssh host python - < job.py``) is common.
    Source: multiprocessing > Process note; gh-132898.
    """
    return _main_target(ctx, "stdin")


EXECUTOR_SCRIPT = """
import multiprocessing, sys
from concurrent.futures import ProcessPoolExecutor

def square(x):
    return x * x

if __name__ == "__main__":
    ctx = multiprocessing.get_context(sys.argv[1])
    with ProcessPoolExecutor(1, mp_context=ctx) as executor:
        try:
            print("result=%r" % executor.submit(square, 7).result(), flush=True)
        except Exception as exc:
            print("raised=%s|%s" % (type(exc).__name__, str(exc).splitlines()[0] if str(exc)
                                    else ""), flush=True)
"""


@case(
    "pickling.ppe_main_importable",
    title="ProcessPoolExecutor from a stdin program: __main__ must be importable by workers",
    source=[PPE, POOL_NOTE],
    covers=[64],
    timeout=CASE_TIMEOUT,
    expect=[on("fork", ok({"result": 49})),
            # The docs name no type for this, but say what happens: a worker that cannot
            # import __main__ dies, and a worker that "terminated in a non-clean fashion"
            # raises BrokenProcessPool (concurrent.futures.process docs). Any other error
            # (a dead fork server, a port bug) is a different cause: a finding.
            on(("spawn", "forkserver"), error("BrokenProcessPool"),
               note="the worker dies importing __main__: BrokenProcessPool",
               source=BROKEN_POOL)],
)
def ppe_main_importable(ctx: Context) -> object:
    """concurrent.futures docs: "The __main__ module must be importable by worker
    subprocesses. This means that ProcessPoolExecutor will not work in the interactive
    interpreter." A program read from stdin submits a function defined in its ``__main__``:
    spawn/forkserver workers cannot find it and ``result()`` raises; fork workers inherit it.

    Why it matters: the failure shows up as a broken pool, far from its cause (on PyPy 3.9
    ``submit()`` itself fails under spawn/forkserver, pypy#3910: the error type tells them
    apart). Source: concurrent.futures > ProcessPoolExecutor.
    """
    result = ctx.run_script(EXECUTOR_SCRIPT, mode="stdin", timeout=CASE_TIMEOUT * 4)
    for line in result.stdout.splitlines():
        if line.startswith("result="):
            return {"result": int(line.split("=", 1)[1])}
        if line.startswith("raised="):
            type_name, _, message = line.split("=", 1)[1].partition("|")
            raise_as(type_name, message, "result()")
    raise RuntimeError("the program printed no result: {}".format(normalise(
        result.last_error_line() or f"exit status {result.returncode}")))
