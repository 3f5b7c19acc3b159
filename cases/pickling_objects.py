"""Pickling, part three: multiprocessing objects that refuse to be pickled (locks, Process
subclasses, objects of another context) and the exception types pickling raises.

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
    in_child,
    normalise,
    raise_as,
    start_failed,
    start_fails,
)
from harness.guest import TYPE_CHECKING
from harness.guest.catalog import Context, Unavailable, case, error, ok, on

if TYPE_CHECKING:
    from typing import Any, Dict, Optional

__all__ = ["LockHoldingProcess"]

QUEUES = MP_DOCS + "#pipes-and-queues"


# --------------------------------------------------------------------------- shared objects


def _first_item(queue: Any) -> Any:
    return queue.get()


@case(
    "pickling.multiprocessing_lock_through_queue",
    title="A multiprocessing Lock put on a Queue: put() returns, the item is dropped",
    source=[QUEUES, "https://github.com/python/cpython/issues/84376"],
    expect=[on("*", error(contains="put():"),
               note="the Queue note says put() pickles the object; " + NO_TYPE)],
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
            on(("spawn", "forkserver"), error(contains="start():"),
               note="'cannot be passed': start() refuses to send it; " + NO_TYPE)],
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
            start_failed(exc)
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
