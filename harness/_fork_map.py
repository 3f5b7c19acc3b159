"""Run one function over a list of independent jobs, shared with one forked helper process.

Host-only (the merge's file loading); Linux only, anywhere else (or when forking is unsafe)
the jobs simply run here one after another, with the same results.
"""

from __future__ import annotations

import marshal
import multiprocessing
import os
import signal
import sys
import threading
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence, TypeVar

if TYPE_CHECKING:
    from ctypes import Array, c_int
    from multiprocessing.connection import Connection

__all__ = ["fork_map"]

_T = TypeVar("_T")
_R = TypeVar("_R")

#: Fewer jobs than this are not worth a process (fork + pipe + decoding cost a few ms).
MIN_JOBS = 8
#: Room in the pipe for several results, so the helper seldom waits for this process to read.
_PIPE_BYTES = 1 << 20
_F_SETPIPE_SZ = 1031  # fcntl.F_SETPIPE_SZ on Linux (named in the module from Python 3.10)


def fork_map(func: Callable[[_T], _R], jobs: Sequence[_T], encode: Callable[[_R], Any],
             decode: Callable[[_T, Any], _R]) -> List[_R]:
    """``[func(job) for job in jobs]``, with a forked helper taking jobs from the back while
    this process takes them from the front (each claims one at a time, so neither waits for
    the other's share). The helper sends each result as ``marshal.dumps(encode(result))``;
    this process rebuilds it with ``decode(job, value)``.

    The helper runs at the lowest priority (nice 19): it uses a core nobody else wants and
    yields to this process and to other work, so a busy machine costs this process (almost)
    nothing over running every job itself. When no job is left to claim the helper is stopped,
    not waited for: the one it was busy with runs here.

    ``func`` must not depend on which process runs it. Nothing is lost to a helper that cannot
    start, cannot encode a result or dies: whatever it did not deliver runs here. The helper
    is always reaped before this returns or raises.
    """
    if len(jobs) < MIN_JOBS or not _fork_is_safe():
        return [func(job) for job in jobs]
    ctx = multiprocessing.get_context("fork")
    # [next job from the front (here), one past the next job from the back (helper)].
    bounds = ctx.RawArray("i", [0, len(jobs)])
    receiver, sender = ctx.Pipe(duplex=False)
    helper = ctx.Process(target=_helper, args=(func, jobs, encode, bounds, sender), daemon=True,
                         name="fork_map helper")
    done: Dict[int, _R] = {}
    try:
        _grow_pipe(sender)
        try:
            helper.start()
        except OSError:
            pass  # cannot fork now (process limit, memory): every job runs here
        finally:
            sender.close()  # the helper holds the only writing end: its exit is our EOF
        while True:
            index = _claim(bounds, front=True)
            if index is None:
                break
            done[index] = func(jobs[index])
            _receive(receiver, jobs, decode, done, wait=False)
        _stop(helper)
        _receive(receiver, jobs, decode, done, wait=True)  # what it sent before it stopped
    finally:
        _stop(helper)
        receiver.close()
    return [done[index] if index in done else func(job) for index, job in enumerate(jobs)]


def _stop(helper: multiprocessing.process.BaseProcess) -> None:
    """Kill the helper if it is still running and reap it (again: a no-op)."""
    if helper.pid is not None:  # started
        if helper.is_alive():
            helper.kill()
        helper.join()


def _fork_is_safe() -> bool:
    """Fork only on Linux from a single-threaded process (a forked copy of another thread's
    lock could never be released; Python 3.12+ warns about it)."""
    if sys.platform != "linux" or "fork" not in multiprocessing.get_all_start_methods():
        return False
    if threading.active_count() != 1 or multiprocessing.current_process().daemon:
        return False  # (a daemonic process may not start children)
    try:
        return len(os.listdir("/proc/self/task")) == 1  # threads started outside Python too
    except OSError:
        return False


def _grow_pipe(conn: Connection) -> None:
    try:
        import fcntl  # Unix only

        fcntl.fcntl(conn.fileno(), _F_SETPIPE_SZ, _PIPE_BYTES)
    except (ImportError, OSError):
        pass  # the default 64 KiB pipe works too, with more waiting


def _claim(bounds: Array[c_int], front: bool) -> Optional[int]:
    """The next job index from the front or the back, None when the two ends have met.

    No lock: each end is written by one process only (so a claim never waits for a helper
    that the scheduler has set aside at nice 19). Both may take the last job when they meet;
    it runs twice with the same result, and this process keeps its own.
    """
    if front:
        index = bounds[0]
        if index >= bounds[1]:
            return None
        bounds[0] = index + 1
        return index
    index = bounds[1] - 1
    if index < bounds[0]:
        return None
    bounds[1] = index
    return index


def _receive(receiver: Connection, jobs: Sequence[_T], decode: Callable[[_T, Any], _R],
             done: Dict[int, _R], wait: bool) -> None:
    """Take in the helper's results: those already sent, or (``wait``) all until it exits."""
    try:
        while wait or receiver.poll():
            index, value = marshal.loads(receiver.recv_bytes())  # noqa: S302 - our own fork
            if index not in done:  # else both ends took it (see _claim)
                done[index] = decode(jobs[index], value)
    except (EOFError, OSError):
        pass  # the helper finished or was stopped (mid-message: OSError); the rest runs here


def _helper(func: Callable[[_T], _R], jobs: Sequence[_T], encode: Callable[[_R], Any],
            bounds: Array[c_int], sender: Connection) -> None:
    """The forked process: claim jobs from the back until the two ends meet."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    os.nice(19)  # only idle CPU: never slows the parent or other work
    while True:
        index = _claim(bounds, front=False)
        if index is None:
            break
        try:
            data = marshal.dumps((index, encode(func(jobs[index]))))
        except Exception:  # noqa: BLE001, S112 - not sent: fork_map runs this job itself
            continue
        sender.send_bytes(data)
    sender.close()
