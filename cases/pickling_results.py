"""Pickling, part two: results and exceptions coming back, and main programs without an
importable ``__main__``. Multiprocessing objects that refuse to be pickled, and the exception
types: ``cases.pickling_objects``.

Imported at the end of ``cases.pickling`` (the executor imports a category by its id prefix).
"""

from __future__ import annotations

import threading

from cases._pickling import (
    MP_DOCS,
    NO_TYPE,
    PICKLABLE,
    PROCESS_NOTE,
    normalise,
    raise_as,
)
from harness.guest import TYPE_CHECKING
from harness.guest.catalog import CASE_TIMEOUT, Context, case, error, ok, on
from harness.guest.docs import BROKEN_POOL, FUTURES, GH_126631, GH_141860, PROCESS_POOL, PYPY_3910

if TYPE_CHECKING:
    from typing import Any, Dict

__all__ = ["CodedError"]

FUTURE_RESULT = FUTURES + "#concurrent.futures.Future.result"
ASYNC_GET = MP_DOCS + "#multiprocessing.pool.AsyncResult.get"
POOL_NOTE = MP_DOCS + "#using-a-pool-of-workers"
#: A report: with ``python -``, spawn workers fail with FileNotFoundError: '<stdin>'.
VLLM_STDIN = "https://github.com/vllm-project/vllm/pull/43782"
#: Hard timeout of cases that may hang on some versions (a lost result or exception): shorter
#: than CASE_TIMEOUT. An idle machine finishes such a pool in about 1 s; on a loaded 2-core box
#: it took up to ~8 s: scale with HARNESS_TIMEOUT_SCALE there.
MAY_HANG_TIMEOUT = CASE_TIMEOUT * 0.6


def check_executor(executor: Any) -> None:
    """Submit ``abs(-3)`` first. An executor that cannot run even a builtin (PyPy 3.9's
    ProcessPoolExecutor raises AttributeError in ``submit()`` under spawn/forkserver) fails the
    case with that error, marked ``submit(abs, -3):``: it must not pass for the pickling error
    the rules expect from ``result()``, nor for ``ok`` (a cell beside fork's error that made the
    case count as "fails only under fork")."""
    try:
        value = executor.submit(abs, -3).result()
    except Exception as exc:
        raise_as(type(exc).__name__, str(exc), "submit(abs, -3)")
    if value != 3:
        raise_as("AssertionError", "returned %r" % (value,), "submit(abs, -3)")


def _make_lock() -> Any:
    return threading.Lock()


def _returns_lock(_: int) -> Any:
    return threading.Lock()


@case(
    "pickling.unpicklable_return_value",
    title="Pool.map whose function returns an unpicklable value: an error, or a hang?",
    source=[ASYNC_GET, PICKLABLE],
    timeout=MAY_HANG_TIMEOUT,
    expect=[on("*", error(contains="map():"),
               note="the result must be pickled back under every method; " + NO_TYPE)],
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
    source=[PROCESS_POOL, FUTURE_RESULT, PYPY_3910],
    timeout=MAY_HANG_TIMEOUT,
    expect=[on("*", error(contains="result():"),
               note="'only picklable objects can be executed and returned', raised by "
                    "Future.result(); " + NO_TYPE)],
)
def unpicklable_return_value_executor(ctx: Context) -> object:
    """``ProcessPoolExecutor(mp_context=ctx).submit(f).result()`` where ``f`` returns a
    ``threading.Lock``. The docs: ProcessPoolExecutor "means that only picklable objects can be
    executed and returned"; ``Future.result()`` raises the call's exception. Expected: an error
    from ``result()`` under every method (the result always crosses a pipe).
    PyPy 3.9: its ProcessPoolExecutor cannot run under spawn/forkserver at all (``submit()``
    raises AttributeError, pypy#3910), so those cells fail before the case's point; the rule
    stays the docs'.

    Why it matters: same mistake as the Pool case, through the more common executor API.
    Source: concurrent.futures > ProcessPoolExecutor; Future.result.
    """
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=ctx.mp) as executor:
        check_executor(executor)
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
    source=[FUTURE_RESULT, PROCESS_POOL, PYPY_3910],
    timeout=MAY_HANG_TIMEOUT,
    expect=[on("*", error("CodedError"))],
)
def exception_with_custom_init_executor(ctx: Context) -> object:
    """The same ``CodedError`` raised in a ProcessPoolExecutor worker. The docs:
    ``Future.result()`` — "If the call raised an exception, this method will raise the same
    exception." Unpickling it in the parent fails, so what arrives instead?
    PyPy 3.9: its ProcessPoolExecutor cannot run under spawn/forkserver at all (``submit()``
    raises AttributeError, pypy#3910), so those cells fail before the case's point; the rule
    stays the docs'.

    Why it matters: an error in a worker should never turn into a broken pool or a hang.
    Source: concurrent.futures > Future.result.
    """
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=ctx.mp) as executor:
        check_executor(executor)
        try:
            return executor.submit(_raise_coded).result()
        except CodedError:
            raise
        except Exception as exc:
            raise_as(type(exc).__name__, str(exc), "result()")


@case(
    "pickling.executor_lambda_under_fork",
    title="ProcessPoolExecutor.submit(lambda) fails under every method, fork included",
    source=[PROCESS_POOL, PICKLABLE, PYPY_3910],
    timeout=MAY_HANG_TIMEOUT,
    expect=[on("*", error(contains="result():"),
               note="'only picklable objects can be executed', raised by Future.result(); "
                    + NO_TYPE)],
)
def executor_lambda_under_fork(ctx: Context) -> object:
    """Under fork a Process target is never pickled, but a ProcessPoolExecutor sends each call
    to an already running worker through a queue: "only picklable objects can be executed",
    whatever the start method. ``submit(lambda: 42).result()`` raises, fork included.
    PyPy 3.9: its ProcessPoolExecutor cannot run under spawn/forkserver at all (``submit()``
    raises AttributeError, pypy#3910), so those cells fail before the case's point; the rule
    stays the docs'.

    Why it matters: "it works under fork" does not extend to pools and executors.
    Source: concurrent.futures > ProcessPoolExecutor.
    """
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=ctx.mp) as executor:
        check_executor(executor)
        try:
            return executor.submit(lambda: 42).result()
        except Exception as exc:
            raise_as(type(exc).__name__, str(exc), "result()")


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
    breaks=("spawn", "forkserver"),  # the docstring: the child fails there
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
    labels={
        "exitcode": "the child's exit code",
        "target_ran": "the target ran in the child",
        "child_error": "the last error on the program's stderr",
    },
    # spawn only: vllm#43782 states the spawn child's failure; no source states forkserver's
    breaks=("spawn",),
    title="A program read from stdin: its __main__ target is unreachable for spawn children",
    source=[VLLM_STDIN, POOL_NOTE],
    expect=[
        on("fork", ok({"exitcode": 0, "target_ran": True, "child_error": None})),
        # vllm#43782: under spawn "the worker fails with FileNotFoundError: '<stdin>'" in
        # spawn._fixup_main_from_path; an uncaught exception ends the child with exit code 1.
        on("spawn", ok({"exitcode": 1, "target_ran": False, "child_error": "FileNotFoundError"}),
           source=VLLM_STDIN),
        # forkserver: no source states it (no rule).
    ],
)
def repl_target_attributeerror(ctx: Context) -> object:
    """The program of ``pickling.main_function_from_command_line`` fed to ``python -``
    (stdin). ``__main__.__file__`` is then ``"<stdin>"``, which a spawn child tries to run as
    the main script: it dies with FileNotFoundError before reaching the target (vllm#43782),
    not with the AttributeError the docs describe for the interactive REPL (docs statement
    #26, checked by the ``python -c`` case). fork runs the target. No source states what a
    forkserver child does; since 3.13.8 and 3.14.1 the fork server preloads ``__main__``
    itself (gh-126631), so there the server fails and the parent loses its connection; 3.15
    ignores preload errors by default (gh-141860) and the child fails as under spawn.
    No numbered docs statement covers stdin; the Pool note says only that ``__main__`` must
    be importable by the children. (The case id keeps its old name.)

    Why it matters: piping a script into Python (``ssh host python - < job.py``, heredocs)
    is common. Source: vllm-project/vllm#43782 (report); multiprocessing docs, "Using a pool
    of workers" note.
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
    source=[PROCESS_POOL, POOL_NOTE, GH_126631, GH_141860, PYPY_3910],
    covers=[64],
    timeout=CASE_TIMEOUT,
    expect=[on("fork", ok({"result": 49})),
            # The docs name no type for this, but say what happens: a worker that cannot
            # import __main__ dies, and a worker that "terminated in a non-clean fashion"
            # raises BrokenProcessPool (concurrent.futures.process docs). Any other error
            # (a dead fork server, a port bug) is a different cause: a finding.
            on(("spawn", "forkserver"), error("BrokenProcessPool", contains="(a worker: "),
               note="the worker dies importing __main__: BrokenProcessPool, and the worker's "
                    "own error names <stdin>, the main module it could not import",
               source=BROKEN_POOL)],
)
def ppe_main_importable(ctx: Context) -> object:
    """concurrent.futures docs: "The __main__ module must be importable by worker
    subprocesses. This means that ProcessPoolExecutor will not work in the interactive
    interpreter." A program read from stdin submits a function defined in its ``__main__``:
    spawn/forkserver workers cannot find it and ``result()`` raises; fork workers inherit it.
    Why other errors are seen: on 3.13.8+ and 3.14.1+ the fork server itself preloads
    ``__main__`` (gh-126631) and fails on ``<stdin>``, so the pool reports the server's
    dropped connection (EOFError, ConnectionResetError); 3.15 ignores preload errors by
    default (gh-141860). PyPy 3.9's ProcessPoolExecutor cannot run under spawn/forkserver at
    all (AttributeError, pypy#3910). The rule stays the docs'.

    Why it matters: the failure shows up as a broken pool, far from its cause.
    Source: concurrent.futures > ProcessPoolExecutor; gh-126631, gh-141860, pypy#3910.
    """
    result = ctx.run_script(EXECUTOR_SCRIPT, mode="stdin", timeout=CASE_TIMEOUT * 4)
    for line in result.stdout.splitlines():
        if line.startswith("result="):
            return {"result": int(line.split("=", 1)[1])}
        if line.startswith("raised="):
            type_name, _, message = line.split("=", 1)[1].partition("|")
            # Why the worker died: its error about the main module it could not import (a pool
            # broken by anything else says nothing of <stdin>).
            said = [w for w in result.stderr.splitlines() if "<stdin>" in w
                    and w.split(":", 1)[0].endswith(("Error", "Exception"))]
            raise_as(type_name, message + (" (a worker: %s)" % said[-1] if said else ""),
                     "result()")
    raise RuntimeError("the program printed no result: {}".format(normalise(
        result.last_error_line() or f"exit status {result.returncode}")))
