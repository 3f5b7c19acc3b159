"""The fork server's preload list and its authentication, the resource tracker's clean-up of
leaked shared memory, what can be checked here of frozen executables, ProcessPoolExecutor's
max_tasks_per_child and os.fork() in a subinterpreter.

Part of the ``api`` category (``cases/api.py`` imports this module).
"""

from __future__ import annotations

import os
import sys

from cases._api import _SUBINTERP_CODE
from cases._scripts import run_json
from harness.guest import TYPE_CHECKING
from harness.guest.catalog import SHORT_TIMEOUT, Context, Unavailable, case, ok, on
from harness.guest.docs import CONTEXTS, DOCS, OS_FORK, PROCESS_POOL

if TYPE_CHECKING:
    from typing import Any, Optional

PRELOAD_DOCS = DOCS + "#multiprocessing.set_forkserver_preload"
WHATSNEW_314 = "https://docs.python.org/3.14/whatsnew/3.14.html#multiprocessing"
GH_97514 = "https://github.com/python/cpython/issues/97514"
#: A stdlib module nothing in the harness or the catalog imports (checked by a unit test).
LATE_PRELOAD = "colorsys"
MISSING_MODULE = "smm_no_such_module_for_preload"
#: What the authentication probe records when the fork server neither answers nor closes.
NO_ANSWER = "no-answer"
#: Import-time value of a global that the executor probe changes before starting workers.
PROBE_VALUE = "import-time"


def _probe_value() -> str:
    return PROBE_VALUE


def _modules_present(name: str) -> bool:
    return name in sys.modules


def _child_ran() -> str:
    return "child-ran"


@case(
    "api.preload_importerror_ignored",
    title="set_forkserver_preload() with a module that does not exist: children still start",
    source=PRELOAD_DOCS,
    covers=[49],
    methods=("forkserver",),
    expect=[on("forkserver", ok("child-ran"))],
)
def preload_importerror_ignored(ctx: Context) -> object:
    """"Any ImportError when importing [the preload modules] is silently ignored": a preload
    list naming a module that does not exist still gives a working fork server and child,
    and nothing is raised in the parent. (3.15 adds set_forkserver_preload(...,
    on_error=...); its default, 'ignore', keeps this behaviour.)

    Why it matters: a typo in the preload list costs the preload silently rather than
    failing, so a slow forkserver start can hide a broken preload. Forkserver only.
    Source: multiprocessing docs, set_forkserver_preload().
    """
    ctx.mp.set_forkserver_preload([MISSING_MODULE])
    return ctx.call_in_child(_child_ran)


@case(
    "api.preload_before_launch",
    title="set_forkserver_preload() after the fork server started has no effect",
    source=PRELOAD_DOCS,
    covers=[50],
    methods=("forkserver",),
    expect=[on("forkserver", ok({"first_child": False, "second_child": False}))],
)
def preload_before_launch(ctx: Context) -> object:
    """The preload list "only has an effect when called before the forkserver process is
    launched (before creating a Pool or starting a Process)". A first child launches the
    server; the list is set afterwards; the second child still does not have the module.

    Why it matters: libraries that call set_forkserver_preload() at import can be too late
    when the application started a process first. Forkserver only.
    Source: multiprocessing docs, set_forkserver_preload().
    """
    first = ctx.call_in_child(_modules_present, LATE_PRELOAD)
    ctx.mp.set_forkserver_preload([LATE_PRELOAD])
    return {"first_child": first, "second_child": ctx.call_in_child(_modules_present,
                                                                    LATE_PRELOAD)}


class _NoAnswer(Exception):
    """The fork server neither sent a message nor closed the connection in time."""


def _next_message(conn: Any) -> Optional[bytes]:
    """The server's next message; None once it closed the connection (or reset it: a server
    that dies with our bytes unread resets it)."""
    if not conn.poll(SHORT_TIMEOUT * 2):
        raise _NoAnswer
    try:
        return conn.recv_bytes(256)  # type: ignore[no-any-return]
    except (EOFError, OSError):
        return None


def _probe_server(address: Any) -> str:
    """Connect to the fork server, send a wrong answer to its challenge and read what it does.

    The answer goes out at once and our side is then shut: a 3.14+ server sends its challenge
    and reads it as the reply; an older one reads it expecting file descriptors and closes.
    Either way the server acts on what is already there, so the reads below end when it
    answers or closes, never on a clock (the timeout is for a server that does neither).
    """
    import socket
    from multiprocessing import connection

    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(address)
        conn = connection.Connection(os.dup(sock.fileno()))
        try:
            conn.send_bytes(b"not-the-right-digest" * 2)
            sock.shutdown(socket.SHUT_WR)
            first = _next_message(conn)
            if first is None:
                return "no-challenge"
            if not first.startswith(b"#CHALLENGE#"):
                return "other-message"
            reply = _next_message(conn)
            if reply is None:
                return "closed"
            return "refused" if reply.startswith(b"#FAILURE#") else "accepted"
        except _NoAnswer:
            return NO_ANSWER
        finally:
            conn.close()


@case(
    "api.forkserver_authentication",
    labels={
        "unauthenticated_client": "the fork server's answer to a client with a wrong digest",
        "later_child": "a child started after that client",
    },
    title="The fork server's socket challenges a client; a wrong answer is refused",
    source=[WHATSNEW_314, GH_97514],
    covers=[67],
    methods=("forkserver",),
    expect=[
        on("forkserver", ok({"unauthenticated_client": "refused", "later_child": "child-ran"}),
           python=">=3.14", source=WHATSNEW_314,
           from_source="Lib/multiprocessing/connection.py deliver_challenge (a wrong digest "
                       "gets a #FAILURE# reply; the docs say only that the server "
                       "authenticates)"),
        # Before 3.14 the docs say nothing of a client that sends no file descriptors.
    ],
)
def forkserver_authentication(ctx: Context) -> object:
    """From 3.14 the fork server authenticates requests on its control socket with a secret
    shared with the parent, instead of relying only on the socket file's permissions
    (whatsnew 3.14, gh-97514). The case connects to the server's socket (its address is a
    private attribute), answers the challenge with a wrong digest and is refused; a normal
    child still starts. "Refused" means the server's #FAILURE# reply, which is CPython's
    protocol (connection.py), not the docs' words: a server that authenticated and just
    closed the socket would read "closed". The wrong answer is sent before the challenge
    arrives, so the probe waits only for the server to act (answer or close), never a fixed
    time ("no-answer" if it does neither within 10 s, SHORT_TIMEOUT * 2). Before 3.14 the
    server sends nothing and reads those bytes as a request carrying file descriptors (no
    expectation: the docs do not say what it does with such a client; CPython's server
    closes the connection and dies of it, so "no-challenge" and no later child is started).

    Why it matters: on 3.13 and older any process of the same user that can reach the
    socket can ask the server to fork. Forkserver only; POSIX.
    Source: whatsnew 3.14 (multiprocessing); gh-97514.
    """
    from multiprocessing import forkserver

    ctx.call_in_child(_child_ran)  # launches the server
    address = forkserver._forkserver._forkserver_address  # type: ignore[attr-defined]
    if address is None:  # a child already ran: an error to see, not "nothing ran"
        raise RuntimeError("the fork server's (private) address attribute is unset")
    outcome = _probe_server(address)
    if outcome != "refused":
        # A server before 3.14 dies of the probe (it expects file descriptors); when it has
        # exited is not known here, so no later child is started.
        return {"unauthenticated_client": outcome, "later_child": "not checked"}
    return {"unauthenticated_client": outcome, "later_child": ctx.call_in_child(_child_ran)}


_LEAK_SCRIPT = """
    import os, signal, sys
    import multiprocessing as mp
    from multiprocessing import shared_memory

    def leak(name):
        shared_memory.SharedMemory(name=name, create=True, size=64)
        os.kill(os.getpid(), signal.SIGKILL)

    if __name__ == '__main__':
        from multiprocessing import resource_tracker
        p = mp.get_context(sys.argv[1]).Process(target=leak, args=(sys.argv[2],))
        p.start()
        # Did start() start the tracker (before the child made anything to track)?
        started = getattr(resource_tracker._resource_tracker, "_fd", None) is not None
        p.join()
        print(p.exitcode, int(started))
"""


@case(
    "api.resource_tracker_unlinks_leaks",
    title="Shared memory left by a killed child is unlinked when the program ends",
    source=CONTEXTS,
    covers=[20],
    expect=[
        on(("spawn", "forkserver"), ok({"child_exitcode": -9, "tracker_started_by_start": True,
                                        "segment_left": False, "tracker_warned": True}),
           os=("linux", "macos"),
           from_source="Lib/multiprocessing/resource_tracker.py (the 'leaked ... objects to "
                       "clean up at shutdown' warning; the docs name no warning) and "
                       "popen_spawn_posix.py / popen_forkserver.py (start() starts the tracker: "
                       "the private _resource_tracker._fd is set)"),
        # fork: the docs tie the resource tracker to spawn and forkserver only.
    ],
)
def resource_tracker_unlinks_leaks(ctx: Context) -> object:
    """On POSIX, spawn and forkserver start a resource tracker that "will unlink any remaining
    tracked object" when all processes have exited (the docs); it also warns about the leak
    (CPython's resource_tracker.py: the docs name no warning). The parent checks that start()
    started the tracker (SharedMemory would start one of its own in the child otherwise, and
    the segment would be cleaned up all the same). A child creates a
    named SharedMemory and is killed by SIGKILL; after the program (and its tracker) ended,
    the segment is gone (attaching to its name fails) and stderr has the tracker's "leaked
    shared_memory" warning. The harness removes a segment that was left.

    Why it matters: crashed workers do not leak shared memory (RAM) under spawn and
    forkserver. POSIX-only (Windows frees a segment with its last handle, no tracker; macOS has
    no /dev/shm to look in, hence the attach). Source: multiprocessing docs, Contexts and start
    methods; Lib/multiprocessing/resource_tracker.py (the warning).
    """
    if sys.platform == "win32":
        raise Unavailable("POSIX only: Windows frees named shared memory with its last handle")
    try:
        from multiprocessing import shared_memory
    except ImportError:
        raise Unavailable("multiprocessing.shared_memory is missing") from None
    name = "smm%s" % os.urandom(4).hex()
    result = ctx.run_script(_LEAK_SCRIPT, args=[name])
    try:
        segment = shared_memory.SharedMemory(name=name)
    except FileNotFoundError:
        left = False
    else:
        left = True
        segment.close()
        segment.unlink()
    last = (result.stdout.strip().splitlines() or [""])[-1].split()
    if len(last) != 2:
        raise RuntimeError("script exit %s: %s" % (result.returncode,
                                                   result.last_error_line() or "no output"))
    return {"child_exitcode": int(last[0]), "tracker_started_by_start": last[1] == "1",
            "segment_left": left, "tracker_warned": "leaked shared_memory" in result.stderr}


_FROZEN_SCRIPT = """
    import json, sys
    sys.frozen = True  # what freezers (PyInstaller, cx_Freeze) set in the frozen program
    import multiprocessing as mp
    from multiprocessing import spawn

    if __name__ == '__main__':
        command = spawn.get_command_line(pipe_handle=7)
        print(json.dumps({"spawn_runs": "the executable itself"
                          if command[0] == sys.executable and "-c" not in command
                          else "python -c", "spawn_flag": command[1]}))
"""


@case(
    "api.frozen_spawn_command",
    title="Frozen programs: spawn re-runs the program itself with --multiprocessing-fork",
    source=[CONTEXTS, DOCS + "#multiprocessing.freeze_support",
            "https://github.com/python/cpython/issues/80334"],
    expect=[],
)
def frozen_spawn_command(ctx: Context) -> object:
    """The docs warn that frozen executables (PyInstaller, cx_Freeze) on POSIX generally cannot
    use spawn or forkserver. That needs a freezer, which stdlib-only cases cannot use, so it
    is not run here. What can be checked is the reason: with sys.frozen set, the command a
    spawn child is started with is the program's own executable plus --multiprocessing-fork
    (not "python -c ..."), so the frozen program must recognise that flag itself, which
    freeze_support() does only on Windows before 3.13.4, and wherever the start method is
    spawn from then on (gh-80334). No expectation. No numbered docs statement is covered:
    the docs describe neither the command line nor what a freezer must do.

    Why it matters: a frozen Linux or macOS app that uses spawn (macOS's default) or
    forkserver (Linux's from 3.14) starts copies of itself instead of workers, unless the
    freezer patches multiprocessing. Source: multiprocessing docs, Contexts and start methods
    (warning on frozen executables); freeze_support(); gh-80334.
    """
    return run_json(ctx, _FROZEN_SCRIPT)


@case(
    "api.ppe_max_tasks_spawn_default",
    title="ProcessPoolExecutor(max_tasks_per_child=...) uses spawn by default and rejects fork",
    source=PROCESS_POOL,
    covers=[62],
    expect=[on("*", ok({"default_worker_saw": "import-time", "default_method": "spawn",
                        "with_fork_context": "ValueError"}),
               python=">=3.11", os=("linux", "macos"),
               from_source="Lib/concurrent/futures/process.py (the docs say fork is "
                           "incompatible, not which exception)")],
)
def ppe_max_tasks_spawn_default(ctx: Context) -> object:
    """Since 3.11, max_tasks_per_child without an mp_context makes the executor use spawn "by
    default", and the feature "is incompatible with the 'fork' start method":
    mp_context=get_context('fork') raises ValueError (the exception is CPython's, from
    concurrent/futures/process.py; the docs name none). The worker returns a global changed
    in the parent: spawn sees the import-time value. The result does not depend on the
    cell's method.

    Why it matters: adding max_tasks_per_child to a fork-based executor silently changes the
    method (and breaks unpicklable work). Unavailable before 3.11 (no such argument).
    Source: concurrent.futures docs, ProcessPoolExecutor; Lib/concurrent/futures/process.py.
    """
    if sys.version_info < (3, 11):
        raise Unavailable("max_tasks_per_child is new in Python 3.11")
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    global PROBE_VALUE
    PROBE_VALUE = "changed-in-parent"
    try:
        with ProcessPoolExecutor(1, max_tasks_per_child=1) as executor:
            method = executor._mp_context.get_start_method()  # type: ignore[union-attr]
            seen = executor.submit(_probe_value).result()
    finally:
        PROBE_VALUE = "import-time"
    try:
        ProcessPoolExecutor(1, max_tasks_per_child=1,
                            mp_context=multiprocessing.get_context("fork")).shutdown()
        fork = "accepted"
    except Exception as exc:
        fork = type(exc).__name__
    return {"default_worker_saw": seen, "default_method": method, "with_fork_context": fork}


@case(
    "api.os_fork_subinterpreter",
    title="os.fork() inside a subinterpreter raises RuntimeError",
    source=OS_FORK,
    covers=[66],
    expect=[on("*", ok("RuntimeError"), impl="cpython", os=("linux", "macos"))],
)
def os_fork_subinterpreter(ctx: Context) -> object:
    """"Changed in version 3.8: Calling fork() in a subinterpreter is no longer supported
    (RuntimeError is raised)." The case creates a subinterpreter with CPython's private
    interpreters module (_xxsubinterpreters up to 3.12, _interpreters from 3.13) and calls
    os.fork() there; the outcome is written to a file (a forked child exits at once).

    Why it matters: libraries that run work in subinterpreters (3.14's
    concurrent.interpreters) cannot use the fork start method there. Unavailable where the
    private module is missing (PyPy). Source: os docs, os.fork().
    """
    if sys.platform == "win32":
        raise Unavailable("os.fork is POSIX-only")
    module = None
    for name in ("_interpreters", "_xxsubinterpreters"):
        try:
            module = __import__(name)
            break
        except ImportError:
            continue
    if module is None:
        raise Unavailable("no subinterpreter module in this interpreter")
    out = os.path.join(ctx.tmpdir, "subinterpreter-fork.txt")
    interp = module.create()
    try:
        failure = module.run_string(interp, _SUBINTERP_CODE % out)
    finally:
        module.destroy(interp)
    if not os.path.exists(out):
        raise RuntimeError("the subinterpreter did not finish: %r" % (failure,))
    with open(out) as handle:
        return handle.read()
