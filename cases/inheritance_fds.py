"""File descriptors and standard streams: what a child can use of the parent's open files,
sockets, stdin and unflushed stdout without being handed them.

Part of the ``inheritance`` category (``cases/inheritance.py`` imports this module).
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys

from harness.guest import TYPE_CHECKING
from harness.guest.catalog import SHORT_TIMEOUT, Context, case, ok, on
from harness.guest.docs import CONTEXTS, DOCS

if TYPE_CHECKING:
    from typing import Dict

__all__ = ["FD_NUMBER", "SOCKET_FD_NUMBER"]

PEP_446 = "https://peps.python.org/pep-0446/"
#: High fd numbers, so a child that happens to open files cannot reuse them by chance.
FD_NUMBER = 200
SOCKET_FD_NUMBER = 202
MARKER = "smm-unflushed-line"


def _nothing() -> None:
    return None


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
    breaks=("spawn", "forkserver"),  # the docstring: the child fails there
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
        # The mechanism policy (harness.guest.catalog.Expect): the fork child is a copy, buffer
        # included; the docs do not say that multiprocessing flushes it first.
        on("fork", ok(2), inferred=True,
           note="the child copies the unflushed buffer and writes it again at exit"),
        on(("spawn", "forkserver"), ok(1)),
    ],
)
def unflushed_stdout_buffer(ctx: Context) -> object:
    """The parent's sys.stdout is a file (block-buffered, as when output is redirected); it
    prints one line without flushing, starts a child and flushes afterwards. spawn and
    forkserver children are fresh interpreters with their own, empty stdout buffer, so the
    line is written once. A plain os.fork() would copy the unflushed buffer into the child
    and write it twice, and the fork method's rule follows that mechanism (the docs do not
    say it flushes); its Popen does flush sys.stdout and sys.stderr just before forking, so
    a mismatch is a finding.

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
