"""What the operating system hands a child: environment, working directory, umask, limits,
file descriptors, signal handlers, standard streams, exit handlers, parent pid.

Part of the ``inheritance`` category (``cases/inheritance.py`` imports this module). Several
cases start a first child before changing the parent: under forkserver that first child
launches the fork server, whose own state is then fixed ("state frozen at server start").
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from typing import Any, Dict

from harness.catalog import SHORT_TIMEOUT, Context, Unavailable, case, ok, on

__all__ = ["ENV_NAME", "FD_NUMBER"]

DOCS = "https://docs.python.org/3/library/multiprocessing.html"
CONTEXTS = DOCS + "#contexts-and-start-methods"
ALL_METHODS = DOCS + "#all-start-methods"
OS_ENVIRON = "https://docs.python.org/3/library/os.html#os.environ"
#: POSIX exec(): the new image keeps cwd, umask, resource limits, signal mask of the caller.
POSIX_EXEC = "https://pubs.opengroup.org/onlinepubs/9799919799/functions/exec.html"
POSIX_FORK = "https://pubs.opengroup.org/onlinepubs/9799919799/functions/fork.html"
PEP_446 = "https://peps.python.org/pep-0446/"

ENV_NAME = "SMM_CASE_VARIABLE"
#: High fd numbers, so a child that happens to open files cannot reuse them by chance.
FD_NUMBER = 200
SOCKET_FD_NUMBER = 202
MARKER = "smm-unflushed-line"
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
        # The server was started with the old environment and forks every later child.
        on("forkserver", ok({"first_child": None, "second_child": None})),
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
    expect=[
        on(("fork", "spawn"), ok(True)),
        # forkserver: the docs do not say whether the server's or the parent's cwd is used.
    ],
)
def cwd_changed(ctx: Context) -> object:
    """After a first child (which starts the fork server under forkserver), the parent
    changes directory; does the next child start in the new directory? A fork child is a
    copy, and a spawned interpreter inherits its creator's cwd (POSIX exec / CreateProcess).
    For forkserver the docs do not say (no expectation): by the server mechanism it would be
    the server's old cwd, but the implementation re-applies the parent's cwd per child.

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
        on("forkserver", ok(False), os=("linux", "macos"),
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
        on("forkserver", ok(False), os=("linux", "macos"),
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


def _fd_state(fd: int, inode: int) -> str:
    try:
        info = os.fstat(fd)
    except OSError as exc:
        return errno.errorcode.get(exc.errno or 0, "OSError")
    return "same-file" if info.st_ino == inode else "other-file"


def _fd_states(inode: int) -> Dict[str, str]:
    return {"non_inheritable": _fd_state(FD_NUMBER, inode),
            "inheritable": _fd_state(FD_NUMBER + 1, inode)}


@case(
    "inheritance.open_file_descriptor",
    title="A file descriptor number opened by the parent, used by the child without passing it",
    source=[CONTEXTS, PEP_446],
    covers=[3, 8, 14],
    claims=["fds_inherited_with_fork"],
    expect=[
        on("fork", ok({"non_inheritable": "same-file", "inheritable": "same-file"})),
        on(("spawn", "forkserver"), ok({"non_inheritable": "EBADF", "inheritable": "EBADF"})),
    ],
)
def open_file_descriptor(ctx: Context) -> object:
    """The parent opens a file as fd 200 (non-inheritable, the PEP 446 default) and fd 201
    (marked inheritable); the child calls os.fstat on those numbers. A fork child has every
    fd of its parent, inheritable or not; spawn and forkserver do not pass "unnecessary file
    descriptors and handles", so both numbers are closed (EBADF) there.

    Why it matters: code that hands a worker an fd number (or relies on a module-level open
    file) works only under fork. Source: multiprocessing docs, Contexts and start methods;
    PEP 446 (non-inheritable file descriptors).
    """
    path = os.path.join(ctx.tmpdir, "inherited.txt")
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    try:
        os.dup2(fd, FD_NUMBER, inheritable=False)
        os.dup2(fd, FD_NUMBER + 1, inheritable=True)
        return ctx.call_in_child(_fd_states, os.fstat(fd).st_ino)
    finally:
        for number in (FD_NUMBER, FD_NUMBER + 1, fd):
            with contextlib.suppress(OSError):
                os.close(number)


def _send_on_socket_fd(fd: int) -> str:
    import socket

    try:
        sock = socket.socket(fileno=fd)
    except OSError as exc:
        return type(exc).__name__
    try:
        sock.sendall(b"ping")
    finally:
        sock.detach()
    return "sent"


@case(
    "inheritance.socket_descriptor",
    title="A socket's descriptor number used by the child without passing the socket",
    source=[CONTEXTS, PEP_446],
    covers=[3, 8, 14],
    expect=[
        on("fork", ok({"child": "sent", "delivered": True})),
        on(("spawn", "forkserver"), ok({"child": "OSError", "delivered": False})),
    ],
)
def socket_descriptor(ctx: Context) -> object:
    """The parent holds one end of a socketpair (on POSIX duplicated to fd 202); the child
    wraps that descriptor number with socket.socket(fileno=...) and sends b"ping". A fork
    child has the socket and the parent receives the ping; spawn and forkserver children do
    not inherit it, so wrapping the number fails with OSError.

    Why it matters: servers that pre-fork workers sharing a listening socket rely on fork;
    under spawn/forkserver the socket object must be passed (multiprocessing duplicates it).
    Source: multiprocessing docs, Contexts and start methods; PEP 446.
    """
    import socket

    ours, theirs = socket.socketpair()
    number = ours.fileno()
    try:
        if sys.platform != "win32":
            number = os.dup2(ours.fileno(), SOCKET_FD_NUMBER) or SOCKET_FD_NUMBER
        said = ctx.call_in_child(_send_on_socket_fd, number)
        delivered = False
        if said == "sent":
            theirs.settimeout(SHORT_TIMEOUT)
            delivered = theirs.recv(4) == b"ping"
        return {"child": said, "delivered": delivered}
    finally:
        if number != ours.fileno():
            os.close(number)
        ours.close()
        theirs.close()


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


def _read_stdin() -> Dict[str, str]:
    data = sys.stdin.read()
    try:
        input()
    except EOFError:
        outcome = "EOFError"
    else:
        outcome = "returned"
    return {"read": data, "input": outcome}


@case(
    "inheritance.stdin_in_child",
    title="The parent's stdin has data: what does sys.stdin give in the child?",
    source=[DOCS + "#all-start-methods"],
    covers=[8],
    expect=[on("*", ok({"read": "", "input": "EOFError"}))],
)
def stdin_in_child(ctx: Context) -> object:
    """The parent's stdin is a pipe holding a line of data. In every child multiprocessing
    closes sys.stdin and replaces it with os.devnull, so the child reads "" and input()
    raises EOFError, whatever the start method.

    Why it matters: a worker cannot read the program's standard input (prompts in workers
    fail with EOFError). Source: multiprocessing docs, Programming guidelines > All start
    methods > "Beware of replacing sys.stdin with a file like object".
    """
    reader, writer = os.pipe()
    os.write(writer, b"parent-data\n")
    os.close(writer)
    saved = os.dup(0)
    os.dup2(reader, 0)
    os.close(reader)
    old_stdin = sys.stdin
    sys.stdin = open(0, closefd=False)  # noqa: SIM115 - restored below
    try:
        return ctx.call_in_child(_read_stdin)
    finally:
        sys.stdin.close()
        sys.stdin = old_stdin
        os.dup2(saved, 0)
        os.close(saved)


@case(
    "inheritance.unflushed_stdout_buffer",
    title="Text printed but not flushed before start(): how many times is it written?",
    source=[CONTEXTS, DOCS + "#all-start-methods"],
    covers=[2, 14],
    expect=[
        # fork: the docs do not say whether sys.stdout is flushed before the fork.
        on(("spawn", "forkserver"), ok(1)),
    ],
)
def unflushed_stdout_buffer(ctx: Context) -> object:
    """The parent's sys.stdout is a file (block-buffered, as when output is redirected); it
    prints one line without flushing, starts a child and flushes afterwards. spawn and
    forkserver children are fresh interpreters with their own, empty stdout buffer, so the
    line is written once. A plain os.fork() would copy the unflushed buffer into the child
    and write it twice; the multiprocessing docs do not say what the fork method does (no
    expectation): its Popen flushes sys.stdout and sys.stderr just before forking.

    Why it matters: duplicated lines in redirected output (CI logs, `> file`) are a classic
    fork symptom. Source: multiprocessing docs, Contexts and start methods.
    """
    path = os.path.join(ctx.tmpdir, "stdout.txt")
    old_stdout = sys.stdout
    stream = open(path, "a")  # noqa: SIM115 - restored below
    sys.stdout = stream
    try:
        print(MARKER)
        ctx.call_in_child(_nothing)
    finally:
        sys.stdout = old_stdout
        stream.close()
    with open(path) as handle:
        return handle.read().count(MARKER)


def _atexit_marker(path: str, parent_pid: int) -> None:
    if os.getpid() != parent_pid:
        with open(path, "a") as handle:
            handle.write("ran\n")


@case(
    "inheritance.atexit_handler",
    title="An atexit handler registered by the parent: does it run when the child exits?",
    source=["https://github.com/python/cpython/issues/83856",
            "https://github.com/python/cpython/pull/114279",
            "https://docs.python.org/3/library/atexit.html"],
    covers=[8],
    expect=[
        # gh-83856 (3.13): fork/forkserver children now exit through atexit, not os._exit().
        on("fork", ok(True), python=">=3.13"),
        on("fork", ok(False), python="<3.13"),
        on(("spawn", "forkserver"), ok(False)),
    ],
)
def atexit_handler(ctx: Context) -> object:
    """The parent registers an atexit handler that writes a marker when it runs in another
    process. Up to 3.12 a fork child ends with os._exit(), so inherited handlers never run;
    from 3.13 (gh-83856) fork children run atexit handlers, including the copies inherited
    from the parent. spawn and forkserver children never had the parent's handler.

    Why it matters: cleanup registered by the parent (deleting temp files, flushing a remote
    log) runs once per fork child from 3.13 on. Source: gh-83856 / PR #114279; atexit docs
    (handlers are not called on os._exit()).
    """
    import atexit

    path = os.path.join(ctx.tmpdir, "atexit-marker.txt")
    atexit.register(_atexit_marker, path, os.getpid())
    try:
        ctx.call_in_child(_nothing)
    finally:
        atexit.unregister(_atexit_marker)
    return os.path.exists(path)


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
