"""What the operating system hands a child: environment, working directory, umask, limits,
signal handlers, exit handlers, parent pid.

Part of the ``inheritance`` category (``cases/inheritance.py`` imports this module). Several
cases start a first child before changing the parent: under forkserver that first child
launches the fork server, whose own state is then fixed ("state frozen at server start").
"""

from __future__ import annotations

import os
import sys

from harness.guest import TYPE_CHECKING
from harness.guest.catalog import Context, Unavailable, case, ok, on
from harness.guest.docs import CONTEXTS, DOCS, POSIX_FORK

if TYPE_CHECKING:
    from typing import Any

__all__ = ["ENV_NAME"]

OS_ENVIRON = "https://docs.python.org/3/library/os.html#os.environ"
#: POSIX exec(): the new image keeps cwd, umask, resource limits, signal mask of the caller.
POSIX_EXEC = "https://pubs.opengroup.org/onlinepubs/9799919799/functions/exec.html"

ENV_NAME = "SMM_CASE_VARIABLE"
NEW_UMASK = 0o027


def _posix_only(what: str) -> None:
    if sys.platform == "win32":
        raise Unavailable(f"{what} is POSIX-only")


def _first_child(ctx: Context) -> None:
    """Start and join one child (under forkserver this launches the fork server)."""
    ctx.call_in_child(_getenv, ENV_NAME)


def _getenv(name: str) -> Any:
    return os.environ.get(name)


def _nothing() -> None:
    return None


@case(
    "inheritance.environment_variable_set_before_start",
    title="An os.environ variable set before the first child is seen by every child",
    source=[OS_ENVIRON, CONTEXTS],
    covers=[8],
    claims=["spawn_needs_explicit_passing", "spawn_fresh_interpreter", "forkserver_clean_state"],
    expect=[on("*", ok("set-before-start"))],
)
def environment_variable_set_before_start(ctx: Context) -> object:
    """A variable assigned in os.environ before any child is started reaches the child under
    every method: os.environ changes are passed to processes started by fork() and execv(),
    and the fork server (started after the change) inherits it too.

    Why it matters: configuring workers through environment variables is portable as long
    as it happens before the first child. Source: os docs, os.environ / os.putenv.
    """
    os.environ[ENV_NAME] = "set-before-start"
    try:
        return ctx.call_in_child(_getenv, ENV_NAME)
    finally:
        del os.environ[ENV_NAME]


@case(
    "inheritance.environment_variable_set_after_forkserver_started",
    title="An os.environ variable set after the first child: forkserver children do not see it",
    source=[CONTEXTS, OS_ENVIRON],
    covers=[12, 14],
    claims=["forkserver_forks_from_server"],
    expect=[
        on(("fork", "spawn"), ok({"first_child": None, "second_child": "set-after-first"})),
        on("forkserver", ok({"first_child": None, "second_child": None}), inferred=True,
           note="the server was started with the old environment and forks every later "
                "child"),
    ],
)
def environment_variable_set_after_forkserver_started(ctx: Context) -> object:
    """The parent starts one child, then sets a variable and starts a second. fork and spawn
    children are started from the parent and see it; forkserver children are forked by the
    server process, which was started (with the old environment) by the first child, so the
    second child does not see the variable.

    Why it matters: on Linux with Python 3.14, forkserver is the default, so code that sets
    os.environ between two batches of workers silently stops configuring the second batch.
    Source: multiprocessing docs, Contexts and start methods (forkserver: "a server process
    is spawned... the parent process connects to the server and requests that it fork a new
    process"); os docs, os.environ.
    """
    first = ctx.call_in_child(_getenv, ENV_NAME)
    os.environ[ENV_NAME] = "set-after-first"
    try:
        second = ctx.call_in_child(_getenv, ENV_NAME)
    finally:
        del os.environ[ENV_NAME]
    return {"first_child": first, "second_child": second}


def _cwd() -> str:
    return os.path.realpath(os.getcwd())


@case(
    "inheritance.cwd_changed",
    title="os.chdir() in the parent after the first child: the next child's working directory",
    source=[CONTEXTS, POSIX_EXEC],
    covers=[8],
    claims=["spawn_needs_explicit_passing", "spawn_fresh_interpreter", "forkserver_clean_state"],
    expect=[
        on(("fork", "spawn"), ok(True)),
        # The mechanism policy (harness.guest.catalog.Expect), as for umask, limits and environment.
        on("forkserver", ok(False), inferred=True,
           note="children are forked by the server, which keeps the cwd it started with"),
    ],
)
def cwd_changed(ctx: Context) -> object:
    """After a first child (which starts the fork server under forkserver), the parent
    changes directory; does the next child start in the new directory? A fork child is a
    copy, and a spawned interpreter inherits its creator's cwd (POSIX exec / CreateProcess).
    For forkserver the docs do not say; the rule follows the server mechanism (the server's
    old cwd), as for umask, limits and the environment, although the implementation is
    known to re-apply the parent's cwd per child: a mismatch is a finding.

    Why it matters: relative paths in workers resolve against this directory.
    Source: multiprocessing docs, Contexts and start methods; POSIX exec().
    """
    _first_child(ctx)
    old = os.getcwd()
    new = os.path.join(ctx.tmpdir, "changed-cwd")
    os.makedirs(new, exist_ok=True)
    os.chdir(new)
    try:
        return ctx.call_in_child(_cwd) == os.path.realpath(new)
    finally:
        os.chdir(old)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


@case(
    "inheritance.umask",
    title="os.umask() changed after the first child: the next child's umask",
    source=[CONTEXTS, POSIX_FORK, POSIX_EXEC],
    covers=[8, 12],
    expect=[
        on(("fork", "spawn"), ok(True), os=("linux", "macos")),
        on("forkserver", ok(False), os=("linux", "macos"), inferred=True,
           note="children are forked by the server, which keeps the umask it started with"),
    ],
)
def umask(ctx: Context) -> object:
    """After a first child, the parent sets a new umask and starts another child. fork and
    spawn children are created by the parent and inherit the new mask (fork copies it, exec
    keeps it); forkserver children are forked by the server, started with the old mask.

    Why it matters: files created by workers get the wrong permissions if a program tightens
    its umask after the fork server started. POSIX-only (unavailable on Windows).
    Source: POSIX fork() and exec() (the file mode creation mask is inherited); multiprocessing
    docs, Contexts and start methods (forkserver).
    """
    _posix_only("umask inheritance")
    _first_child(ctx)
    old = os.umask(NEW_UMASK)
    try:
        return ctx.call_in_child(_umask) == NEW_UMASK
    finally:
        os.umask(old)


def _nofile_soft_limit() -> int:
    import resource

    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


@case(
    "inheritance.resource_limit",
    title="RLIMIT_NOFILE lowered after the first child: the next child's limit",
    source=["https://docs.python.org/3/library/resource.html#resource.setrlimit", CONTEXTS,
            POSIX_EXEC],
    covers=[8, 12],
    expect=[
        on(("fork", "spawn"), ok(True), os=("linux", "macos")),
        on("forkserver", ok(False), os=("linux", "macos"), inferred=True,
           note="children are forked by the server, which keeps the limits it started with"),
    ],
)
def resource_limit(ctx: Context) -> object:
    """After a first child, the parent lowers its soft RLIMIT_NOFILE by one and starts another
    child. Resource limits survive fork and exec, so fork and spawn children have the new
    limit; forkserver children inherit the server's limit from when it started.

    Why it matters: limits set by a supervisor at run time (open files, core size, memory)
    do not constrain forkserver workers. POSIX-only (the resource module).
    Source: resource docs (setrlimit); POSIX exec() (resource limits are inherited);
    multiprocessing docs, Contexts and start methods (forkserver).
    """
    _posix_only("the resource module")
    import resource

    _first_child(ctx)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    new = soft - 1 if soft != resource.RLIM_INFINITY else 65536
    resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
    try:
        return ctx.call_in_child(_nofile_soft_limit) == new
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def _usr1_handler(signum: int, frame: Any) -> None:
    return None


def _usr1_disposition() -> str:
    import signal

    handler = signal.getsignal(signal.SIGUSR1)
    if handler == signal.SIG_DFL:
        return "SIG_DFL"
    if handler == signal.SIG_IGN:
        return "SIG_IGN"
    return "parent-handler" if getattr(handler, "__name__", "") == "_usr1_handler" else "other"


@case(
    "inheritance.signal_handler",
    title="A Python SIGUSR1 handler installed by the parent: the child's disposition",
    source=[CONTEXTS, "https://docs.python.org/3/library/signal.html#general-rules"],
    covers=[2, 8, 14],
    expect=[
        on("fork", ok("parent-handler")),
        on(("spawn", "forkserver"), ok("SIG_DFL")),
    ],
)
def signal_handler(ctx: Context) -> object:
    """The parent installs a Python handler for SIGUSR1. A fork child is a copy and has the
    same handler; a spawn or forkserver child is a fresh interpreter, where SIGUSR1 has its
    default disposition (Python installs handlers only for SIGPIPE, SIGXFSZ and SIGINT).

    Why it matters: graceful-shutdown or reload handlers installed by the main program are
    missing in spawn/forkserver workers, and a SIGUSR1 sent to them kills them.
    POSIX-only. Source: multiprocessing docs, Contexts and start methods; signal docs,
    General rules.
    """
    _posix_only("SIGUSR1")
    import signal

    old = signal.signal(signal.SIGUSR1, _usr1_handler)
    try:
        return ctx.call_in_child(_usr1_disposition)
    finally:
        signal.signal(signal.SIGUSR1, old)


def _atexit_marker(path: str, parent_pid: int) -> None:
    if os.getpid() != parent_pid:
        with open(path, "a") as handle:
            handle.write("ran\n")


def _register_in_child(path: str) -> None:
    import atexit

    atexit.register(_atexit_marker, path, -1)


@case(
    "inheritance.atexit_handler",
    labels={
        "inherited_ran": "the parent's atexit handler runs in the child",
        "own_ran": "the child's own atexit handler runs",
    },
    title="atexit handlers at child exit: the parent's inherited ones, and the child's own",
    source=["https://github.com/python/cpython/issues/83856",
            "https://github.com/python/cpython/pull/114279",
            "https://docs.python.org/3/library/atexit.html"],
    covers=[8],
    expect=[
        # gh-83856 (3.13): fork/forkserver children clear the inherited handlers, then run
        # their own at exit instead of leaving through os._exit().
        on(("fork", "forkserver"), ok({"inherited_ran": False, "own_ran": True}),
           python=">=3.13"),
        on(("fork", "forkserver"), ok({"inherited_ran": False, "own_ran": False}),
           python="<3.13"),
        on("spawn", ok({"inherited_ran": False, "own_ran": True})),
    ],
)
def atexit_handler(ctx: Context) -> object:
    """The parent registers an atexit handler that writes a marker when it runs in another
    process; the child registers one of its own. Up to 3.12 fork and forkserver children end
    with os._exit(), so no handler runs; from 3.13 (gh-83856) they clear the handlers copied
    from the parent and run their own. A spawn child never had the parent's handler and
    exits normally, running its own.

    Why it matters: cleanup registered by a worker (flushing a log, removing its temp dir)
    silently did not run under fork before 3.13; the parent's cleanup never runs in children.
    Source: gh-83856 / PR #114279; atexit docs (handlers are not called on os._exit()).
    """
    import atexit

    inherited = os.path.join(ctx.tmpdir, "atexit-inherited.txt")
    own = os.path.join(ctx.tmpdir, "atexit-own.txt")
    atexit.register(_atexit_marker, inherited, os.getpid())
    try:
        ctx.call_in_child(_register_in_child, own)
    finally:
        atexit.unregister(_atexit_marker)
    return {"inherited_ran": os.path.exists(inherited), "own_ran": os.path.exists(own)}


def _parent_ids() -> Any:
    import multiprocessing

    parent = multiprocessing.parent_process()
    return [os.getppid(), parent.pid if parent is not None else None]


@case(
    "inheritance.parent_pid",
    title="os.getppid() and multiprocessing.parent_process() in the child",
    source=[DOCS + "#multiprocessing.parent_process", CONTEXTS],
    covers=[12, 40],
    claims=["forkserver_forks_from_server"],
    expect=[
        on("forkserver", ok({"getppid_is_parent": False, "parent_process_is_parent": True,
                             "parent_process_in_main": None})),
        on(("fork", "spawn"), ok({"getppid_is_parent": True, "parent_process_is_parent": True,
                                  "parent_process_in_main": None})),
    ],
)
def parent_pid(ctx: Context) -> object:
    """multiprocessing.parent_process() (3.8+) names the starting process in every child and
    is None in the main process; os.getppid() is the OS parent, which under forkserver is
    the fork server, not the process that called start().

    Why it matters: watchdogs that exit when os.getppid() changes, or that signal their
    parent, talk to the fork server. Source: multiprocessing docs, parent_process();
    Contexts and start methods (forkserver).
    """
    import multiprocessing

    ppid, parent = ctx.call_in_child(_parent_ids)
    main_parent = multiprocessing.parent_process()
    return {"getppid_is_parent": ppid == os.getpid(),
            "parent_process_is_parent": parent == os.getpid(),
            "parent_process_in_main": None if main_parent is None else "set"}
