"""api.forkserver_authentication's probe against stand-in fork servers on a local socket: what
it records must come from what the server did, not from how fast it did it."""

from __future__ import annotations

import multiprocessing as mp
import os
import shutil
import socket
import sys
import tempfile
import threading
from multiprocessing import connection, reduction
from typing import Callable, Iterator

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from cases import api_forkserver  # noqa: E402

pytestmark = pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="AF_UNIX sockets only")
#: Longer than the fixed one-second wait the probe once had.
SLOW = 1.5
AUTHKEY = b"k" * 32


def _authenticating(s: socket.socket, stop: threading.Event) -> None:
    """What a 3.14 server does with a client (forkserver.main): challenge it, then expect it to
    answer ours; a wrong answer gets #FAILURE# and the connection is closed. It is slow."""
    stop.wait(SLOW)
    with connection.Connection(os.dup(s.fileno())) as conn:
        try:
            connection.deliver_challenge(conn, AUTHKEY)
            connection.answer_challenge(conn, AUTHKEY)
        except (EOFError, BrokenPipeError, mp.AuthenticationError):
            pass


def _fds_only(s: socket.socket, stop: threading.Event) -> None:
    """What an older server does (forkserver.main before 3.14): read a request that should
    carry file descriptors; with none, recvfds raises and the server goes away."""
    stop.wait(SLOW)
    try:
        reduction.recvfds(s, 4)
    except (EOFError, RuntimeError):
        pass


def _silent(s: socket.socket, stop: threading.Event) -> None:
    """A server that never answers and never closes (until the test ends)."""
    stop.wait(60)


@pytest.fixture
def serve() -> Iterator[Callable[..., str]]:
    # Not under tmp_path: an AF_UNIX path holds 104 bytes on macOS (108 on Linux), and macOS's
    # $TMPDIR (/var/folders/.../T/) with pytest's folders exceeds that ("AF_UNIX path too long").
    folder = tempfile.mkdtemp(prefix="smm-fs-test-",
                              dir="/tmp" if os.path.isdir("/tmp") else None)
    stop = threading.Event()
    threads = []

    def start(handler: Callable[[socket.socket, threading.Event], None]) -> str:
        address = os.path.join(folder, "fs.sock")
        listener = socket.socket(socket.AF_UNIX)
        listener.bind(address)
        listener.listen(1)

        def run() -> None:
            with listener, listener.accept()[0] as s:
                handler(s, stop)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        threads.append(thread)
        return address

    try:
        yield start
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)
        shutil.rmtree(folder, ignore_errors=True)


def test_a_slow_authenticating_server_is_refused_not_no_challenge(
        serve: Callable[..., str]) -> None:
    """The server challenges only after 1.5 s: still "refused" (a fixed 1 s wait said
    "no-challenge", a wrong cell on a loaded machine)."""
    assert api_forkserver._probe_server(serve(_authenticating)) == "refused"


def test_a_server_that_expects_file_descriptors_reads_as_no_challenge(
        serve: Callable[..., str]) -> None:
    assert api_forkserver._probe_server(serve(_fds_only)) == "no-challenge"


def test_a_server_that_neither_answers_nor_closes_is_named(
        serve: Callable[..., str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Not "no-challenge": a silent server is not evidence of an older protocol."""
    monkeypatch.setattr(api_forkserver, "SHORT_TIMEOUT", 0.1)
    assert api_forkserver._probe_server(serve(_silent)) == api_forkserver.NO_ANSWER
