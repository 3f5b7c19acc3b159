"""What spawn and forkserver must pickle to start a child, and what fork never pickles.

Targets and arguments of a Process are pickled in the parent at ``start()`` under spawn and
forkserver; under fork the child is a copy and nothing is pickled. Failures are re-raised with
their exception type and a normalised message (addresses, pids and paths stripped), so cells
compare across runs and platforms. Results and main-program cases: ``cases.pickling_results``;
multiprocessing objects and exception types: ``cases.pickling_objects``.
"""

from __future__ import annotations

import os
import socket
import threading

from cases._pickling import (
    MORE_PICKLABILITY,
    MP_DOCS,
    PICKLABLE,
    PICKLE_DOCS,
    PROCESS_NOTE,
    in_child,
    normalise,
    raise_as,
    start_failed,
    start_fails,
)
from harness.guest import TYPE_CHECKING
from harness.guest.catalog import (
    CASE_TIMEOUT,
    Context,
    case,
    ok,
    on,
    receive_from,
)

if TYPE_CHECKING:
    from typing import Any, Callable

__all__ = ["MP_DOCS", "PICKLE_DOCS", "normalise", "raise_as"]

def run_target(ctx: Context, target: Callable[..., Any]) -> Any:
    """Start ``Process(target=target, args=(conn,))``; the target sends one value on ``conn``."""
    reader, writer = ctx.mp.Pipe(duplex=False)
    proc = ctx.mp.Process(target=target, args=(writer,))
    try:
        proc.start()
    except Exception as exc:
        reader.close()
        writer.close()
        start_failed(exc)
    writer.close()
    return receive_from(proc, reader)


# --------------------------------------------------------------------------- targets


@case(
    "pickling.lambda_target",
    title="A lambda as Process target: runs under fork, start() fails under spawn/forkserver",
    source=[MORE_PICKLABILITY, PICKLABLE, PROCESS_NOTE],
    covers=[27],
    claims=["spawn_requires_picklable"],
    expect=[on("fork", ok("lambda ran")), start_fails()],
)
def lambda_target(ctx: Context) -> object:
    """``Process(target=lambda conn: ...)`` runs under fork (the child is a copy, the target is
    never pickled); under spawn and forkserver ``start()`` pickles the Process object and a
    lambda cannot be pickled (pickle docs: functions are picklable only if defined with
    ``def`` at the top level of a module), so ``start()`` raises in the parent.

    Why it matters: code written on Linux ≤3.13 (fork default) with lambda targets breaks on
    macOS, Windows and Linux 3.14+. The pickle docs name ``PicklingError``; the type is
    checked separately in ``pickling.unpicklable_error_type``.
    Source: multiprocessing Programming guidelines > "More picklability"; pickle docs > "What
    can be pickled and unpickled?".
    """
    return run_target(ctx, lambda conn: conn.send("lambda ran"))


@case(
    "pickling.nested_function_target",
    title="A function defined inside a function as target: needs fork",
    source=[MORE_PICKLABILITY, PICKLABLE],
    covers=[27],
    claims=["spawn_requires_picklable"],
    expect=[on("fork", ok("nested ran")), start_fails()],
)
def nested_function_target(ctx: Context) -> object:
    """A ``def`` nested in another function is not reachable from the top level of its module,
    so it cannot be pickled: spawn/forkserver ``start()`` raises, fork runs it.

    Why it matters: the common "define the worker next to where it is used" refactor breaks
    every non-fork platform. CPython ≤3.13 raises AttributeError ("Can't pickle local
    object"), 3.14 PicklingError (gh-122311). Source: pickle docs > "What can be pickled";
    multiprocessing > "More picklability".
    """

    def nested(conn: Any) -> None:
        conn.send("nested ran")

    return run_target(ctx, nested)


class Greeter:
    """A module-level class whose bound method and instances are used as targets."""

    def __init__(self, tag: str) -> None:
        self.tag = tag

    def send_tag(self, conn: Any) -> None:
        conn.send("method of " + self.tag)

    def __call__(self, conn: Any) -> None:
        conn.send("called " + self.tag)


@case(
    "pickling.bound_method_target",
    title="A bound method of a module-level instance as target",
    source=[MORE_PICKLABILITY, PICKLABLE],
    covers=[27],
    expect=[on("fork", ok("method of g1"))],
)
def bound_method_target(ctx: Context) -> object:
    """``Process(target=obj.method)``: fork runs it. Under spawn/forkserver the bound method
    must be pickled; the pickle docs' list of picklable things does not mention methods (it
    names top-level functions, classes and their instances), so spawn/forkserver have no
    documented expectation. CPython pickles a bound method as ``getattr(instance, name)``.

    Why it matters: ``Process(target=self.run_worker)`` is a very common pattern in classes.
    Source: pickle docs > "What can be pickled and unpickled?".
    """
    return run_target(ctx, Greeter("g1").send_tag)


@case(
    "pickling.callable_class_instance",
    title="An instance of a module-level class with __call__ as target works everywhere",
    source=[PICKLABLE, MORE_PICKLABILITY],
    covers=[27],
    expect=[on("*", ok("called g2"))],
)
def callable_class_instance(ctx: Context) -> object:
    """An instance of a class defined at the top level of a module, whose ``__dict__`` is
    picklable, can be pickled (pickle docs), so a callable instance is a valid target under
    every start method: the portable replacement for a lambda or closure target.

    Why it matters: it is the documented way to give a target configuration without globals.
    Source: pickle docs > "What can be pickled and unpickled?" (instances of such classes).
    """
    return run_target(ctx, Greeter("g2"))


# --------------------------------------------------------------------------- arguments


def _call_it(func: Callable[[], Any]) -> Any:
    return func()


def _consume(items: Any) -> Any:
    return list(items)


@case(
    "pickling.lambda_argument",
    title="A lambda passed in Process args: needs fork",
    source=[MORE_PICKLABILITY, PICKLABLE],
    covers=[27],
    claims=["spawn_requires_picklable"],
    expect=[on("fork", ok(6)), start_fails()],
)
def lambda_argument(ctx: Context) -> object:
    """A lambda in ``args`` is pickled with the Process under spawn/forkserver and cannot be
    (pickle docs: ``def``, not ``lambda``): ``start()`` raises. fork does not pickle args.

    Why it matters: callbacks passed to workers are often lambdas. Source: multiprocessing >
    "More picklability" ("Ensure that all arguments to Process are picklable").
    """
    return in_child(ctx, _call_it, lambda: 2 * 3)


@case(
    "pickling.closure_argument",
    title="A closure passed in Process args: needs fork",
    source=[MORE_PICKLABILITY, PICKLABLE],
    covers=[27],
    expect=[on("fork", ok("closed over 7")), start_fails()],
)
def closure_argument(ctx: Context) -> object:
    """A closure (a nested function capturing a local) is not a top-level function, so it is
    not picklable: spawn/forkserver ``start()`` raises; fork runs it with the captured value.

    Why it matters: "configure the worker with a closure" works in tests on Linux ≤3.13 only.
    Source: pickle docs > "What can be pickled"; multiprocessing > "More picklability".
    """
    captured = 7

    def closure() -> str:
        return "closed over " + str(captured)

    return in_child(ctx, _call_it, closure)


def _numbers(count: int) -> Any:
    yield from range(count)


@case(
    "pickling.generator_argument",
    title="A generator passed in Process args: needs fork",
    source=[MORE_PICKLABILITY, PICKLABLE],
    covers=[27],
    expect=[on("fork", ok([0, 1, 2])), start_fails()],
)
def generator_argument(ctx: Context) -> object:
    """A generator object is not among the picklable types, so spawn/forkserver ``start()``
    raises; a fork child consumes its own copy of the (unstarted) generator.

    Why it matters: passing a lazy input stream to a worker only works under fork.
    Source: pickle docs > "What can be pickled"; multiprocessing > "More picklability".
    """
    return in_child(ctx, _consume, _numbers(3))


def _read_file(handle: Any) -> Any:
    return handle.read()


@case(
    "pickling.open_file_argument",
    title="An open file object passed in Process args: needs fork",
    source=[MORE_PICKLABILITY, PICKLE_DOCS + "#handling-stateful-objects"],
    covers=[27],
    expect=[on("fork", ok("file content")), start_fails()],
)
def open_file_argument(ctx: Context) -> object:
    """An open file object cannot be pickled (the pickle docs' TextReader example removes its
    file attribute before pickling for this reason): spawn/forkserver ``start()`` raises; a
    fork child inherits the descriptor and reads from the shared offset.

    Why it matters: handing a worker an open log or data file works only under fork; pass
    the path instead. Source: pickle docs > "Handling Stateful Objects"; multiprocessing >
    "More picklability".
    """
    path = os.path.join(ctx.tmpdir, "argument.txt")
    with open(path, "w") as out:
        out.write("file content")
    with open(path) as handle:
        return in_child(ctx, _read_file, handle)


def _send_on_socket(sock: Any) -> str:
    sock.sendall(b"over the socket")
    sock.close()
    return "sent"


@case(
    "pickling.socket_argument",
    title="A socket passed in Process args reaches the child (multiprocessing reduces sockets)",
    source=[MORE_PICKLABILITY, MP_DOCS + "#multiprocessing.connection.Connection"],
    covers=[27],
    expect=[on("fork", ok({"child": "sent", "parent_received": "over the socket"}))],
)
def socket_argument(ctx: Context) -> object:
    """A ``socket.socket`` passed as an argument: fork children inherit it. Under spawn and
    forkserver multiprocessing duplicates the descriptor through its own reducer
    (``multiprocessing.reduction``), which the docs do not describe: no expectation there.

    Why it matters: servers hand accepted connections to worker processes this way.
    Source: multiprocessing > "More picklability" (arguments must be picklable); the
    socket reducer is an implementation detail of Lib/multiprocessing/reduction.py.
    """
    ours, theirs = socket.socketpair()
    try:
        child = in_child(ctx, _send_on_socket, theirs)
        theirs.close()
        received = b""
        while len(received) < len(b"over the socket"):
            chunk = ours.recv(64)
            if not chunk:
                break
            received += chunk
        return {"child": child, "parent_received": received.decode()}
    finally:
        ours.close()
        theirs.close()


def _try_lock(lock: Any) -> Any:
    return lock.acquire(False)


@case(
    "pickling.threading_lock_argument",
    title="A threading.Lock passed in Process args: fork gets a copy, spawn/forkserver fail",
    source=[MORE_PICKLABILITY, PICKLABLE],
    covers=[27],
    expect=[on("fork", ok(False)), start_fails()],
)
def threading_lock_argument(ctx: Context) -> object:
    """A ``threading.Lock`` is not picklable: spawn/forkserver ``start()`` raises. Under fork
    the child gets a copy of the lock in the state it had at fork time: held by the parent
    here, so the child's non-blocking ``acquire(False)`` returns False (and a blocking one
    would wait forever: the copy is never released; os.fork docs).

    Why it matters: a thread lock is not a process lock; it is neither shared nor portable.
    Source: multiprocessing > "More picklability"; os.fork docs.
    """
    lock = threading.Lock()
    with lock:
        return in_child(ctx, _try_lock, lock)


@case(
    "pickling.multiprocessing_lock_argument",
    title="A multiprocessing Lock passed in Process args is shared under every method",
    source=[MP_DOCS + "#synchronization-between-processes",
            MP_DOCS + "#all-start-methods"],
    expect=[on("*", ok(False))],
)
def multiprocessing_lock_argument(ctx: Context) -> object:
    """A ``ctx.Lock()`` passed as a Process argument is the same OS semaphore in the child:
    while the parent holds it, the child's ``acquire(False)`` returns False, under every
    start method. This is the documented way to share a lock ("Explicitly pass resources to
    child processes"; the "Synchronization between processes" example).

    Why it matters: the portable way to share a lock with a child. Source: multiprocessing >
    Programming guidelines > All start methods > "Explicitly pass resources".
    """
    lock = ctx.mp.Lock()
    with lock:
        return in_child(ctx, _try_lock, lock)


@case(
    "pickling.local_class_instance",
    title="An instance of a class defined inside a function, passed in args: needs fork",
    source=[PICKLABLE, MORE_PICKLABILITY],
    covers=[27],
    expect=[on("fork", ok("local value")), start_fails()],
)
def local_class_instance(ctx: Context) -> object:
    """Only instances of classes reachable at the top level of a module are picklable (the
    class is pickled by name): an instance of a class defined inside a function makes
    spawn/forkserver ``start()`` raise; fork copies it.

    Why it matters: small data classes defined next to the code that uses them break every
    non-fork platform. Source: pickle docs > "What can be pickled and unpickled?".
    """

    class Local:
        def __init__(self) -> None:
            self.value = "local value"

    return in_child(ctx, _read_value, Local())


def _read_value(obj: Any) -> Any:
    return obj.value


def _size_and_edges(data: bytes) -> Any:
    return [len(data), data[:1].decode(), data[-1:].decode()]


#: The size of the large argument: big enough to need many pipe writes, small enough to be
#: quick on a 2-core CI runner and on PyPy (the performance catalog measures transfer costs).
LARGE_SIZE = 16 * 1024 * 1024


@case(
    "pickling.large_argument",
    title="A 16 MiB bytes argument reaches the child intact under every method",
    source=[MORE_PICKLABILITY, PICKLABLE],
    covers=[27],
    timeout=CASE_TIMEOUT * 3,
    expect=[on("*", ok([LARGE_SIZE, "a", "z"]))],
)
def large_argument(ctx: Context) -> object:
    """A large but picklable argument (16 MiB of bytes) is pickled and sent to spawn and
    forkserver children and copied (not pickled) into fork children; the child sees all of
    it. The docs set no size limit for Process arguments.

    Why it matters: passing a big array as an argument costs a full copy plus pickling under
    spawn/forkserver; see the performance catalog for the times.
    Source: multiprocessing > "More picklability"; pickle docs (bytes are picklable).
    """
    data = b"a" + b"m" * (LARGE_SIZE - 2) + b"z"
    return in_child(ctx, _size_and_edges, data)


# The category spans several modules; the executor imports ``cases.pickling`` only (one way).
from cases import pickling_objects, pickling_results  # noqa: E402,F401
