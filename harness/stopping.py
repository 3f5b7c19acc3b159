"""Stop signals: SIGINT, SIGTERM and SIGHUP stop a command as Ctrl-C does, once.

The first one raises KeyboardInterrupt (running cases cancelled and reaped, finished cells
written, temporary folders removed, exit 130); later ones are ignored, with one line each,
until the command has cleaned up. Once nothing is left to stop (``settle_when``: every cell
of a run has finished, or pytest runs no more) the first one is only recorded: the results are
written, then exit 130.
``cli.main`` installs the handlers for every command; ``provision`` too, for ``nox -s
provision``, which does not go through ``cli.main``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import threading
from typing import Any, Callable, Dict, Iterator, List, Optional, Set, Tuple

from harness.causes import RESULTS_WRITTEN, STOP_SIGNALS

__all__ = ["STILL_CLEANING", "dead_output", "deferred", "flush", "install", "restore",
           "settle_when", "silence_dead_outputs", "stopped_by"]

#: Set by the first stop signal; later ones find the command already cleaning up.
_STOPPING: List[int] = []
#: The command's stdout and stderr as found at install time: (device, inode).
_OUTPUTS: Set[Tuple[int, int]] = set()
#: The access-mode bits of a descriptor's flags; PyPy's os module lacks the name (3 on Linux
#: and macOS), and this runs in the interpreter under test's venv (a nox session's pytest).
_ACCMODE = getattr(os, "O_ACCMODE", 3)
STILL_CLEANING = (b"harness: still cleaning up (stopping and reaping the cases, keeping what "
                  b"finished); signal ignored. kill -9 ends it at once, leaving the rest to "
                  b"the next run's sweep\n")
#: Set once run's terminal summary said where the results went: a stop signal while pytest
#: starts or probes skips it, and ``run`` then says so itself. Here, not in the plugin: a
#: plugin module imported before pytest loads it cannot have its asserts rewritten (a warning).
SUMMARISED: List[bool] = []
#: Why nothing is left to stop, and what the command does next (``settle_when``); read inside
#: the signal handler.
_SETTLED: List[Tuple[Callable[[], str], str]] = []
#: Inside ``deferred``: [True] per block; [True] in ``_PENDING`` once a first signal waits.
_DEFER: List[bool] = []
_PENDING: List[bool] = []


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """A first stop signal inside the block raises its KeyboardInterrupt at the block's end, not
    inside it: one inside ``subprocess.Popen`` left its child running, unknown to the caller
    (a probe's wrapper under init). Also when the block raises: that error may be caught
    (Popen's OSError, by discovery), and the signal was lost, every later one "ignored"."""
    _DEFER.append(True)
    try:
        yield
    except BaseException as exc:
        _DEFER.pop()
        _raise_pending(exc)
        raise
    _DEFER.pop()
    _raise_pending(None)


def _raise_pending(cause: Optional[BaseException]) -> None:
    """The KeyboardInterrupt of a first stop signal that came inside the outermost block."""
    if _PENDING and not _DEFER:
        del _PENDING[:]
        raise KeyboardInterrupt from cause


def settle_when(settled: Callable[[], str],
                then: str = "writing the results, then exiting") -> Callable[[], None]:
    """From when ``settled()`` says why nothing is left to stop ("every cell had finished";
    "" while something is), a first stop signal is recorded, not raised: a KeyboardInterrupt
    lands wherever the main thread is, such as inside the hook that writes the results file,
    and only the finished cells remain to be kept. ``settled`` runs in the signal handler: it
    must not wait (``Future.done`` takes a lock held only for a moment, and reentrant).
    ``then`` says what the command does next. Returns the undo."""
    entry = (settled, then)
    _SETTLED.append(entry)
    return lambda: _SETTLED.remove(entry) if entry in _SETTLED else None


def stopped_by() -> str:
    """The first stop signal's name ("SIGINT"), "" when none came."""
    return signal.Signals(_STOPPING[0]).name if _STOPPING else ""


def silence_dead_outputs() -> bool:
    """Point every descriptor of the command's stdout/stderr that can no longer be written (a
    hung-up terminal: EIO; a pipe whose reader died: EPIPE) at /dev/null: pytest's summary
    ended a closed terminal's run with a traceback and exit 1. pytest keeps copies of the
    terminal's descriptors (output capture, faulthandler), so all of them, not only 1 and 2.
    Returns whether one was dead."""
    if not _OUTPUTS or os.name != "posix":
        return False
    import fcntl
    import select

    folder = "/proc/self/fd" if os.path.isdir("/proc/self/fd") else "/dev/fd"
    try:
        fds = [int(name) for name in os.listdir(folder)]
    except (OSError, ValueError):
        fds = [1, 2]
    null = -1
    for fd in fds:
        try:
            info = os.fstat(fd)
            if (info.st_dev, info.st_ino) not in _OUTPUTS or \
                    fcntl.fcntl(fd, fcntl.F_GETFL) & _ACCMODE == os.O_RDONLY:
                continue
            poller = select.poll()
            poller.register(fd, select.POLLOUT)
            if not any(events & (select.POLLERR | select.POLLHUP)
                       for _fd, events in poller.poll(0)):
                continue
            null = os.open(os.devnull, os.O_WRONLY) if null < 0 else null
            os.dup2(null, fd, inheritable=os.get_inheritable(fd))
        except OSError:  # closed meanwhile (the listing's own descriptor), or not pollable
            continue
    if null >= 0:
        os.close(null)
    return null >= 0


def flush(out: Any) -> None:
    """``out.flush()``; a reader that left meanwhile sends the output to /dev/null, quietly. A
    runner's log (stdout a pipe, so block-buffered) then shows each line as it is written, not
    all of them when the run ends (review r11)."""
    try:
        out.flush()
    except OSError as exc:
        if not dead_output(exc):
            raise


def dead_output(exc: BaseException) -> bool:
    """Whether ``exc`` is a write to the command's stdout/stderr whose reader left (EPIPE: `|
    head -1`; EIO: a hung-up terminal); that output then goes to /dev/null. A broken pipe to
    anything else (a child's) is a real error: False."""
    return isinstance(exc, OSError) and exc.errno in (errno.EPIPE, errno.EIO) and \
        silence_dead_outputs()


def _on_stop_signal(signum: int, frame: Any) -> None:
    """The first SIGINT/SIGTERM/SIGHUP stops the command as Ctrl-C does; later ones are ignored
    until it has cleaned up: a second KeyboardInterrupt landing in pytest's interrupt hooks
    made a partial results file read as complete (nox sends SIGTERM 3 s after SIGINT). Once
    nothing is left to stop the first one too is only recorded (``settle_when``)."""
    silence_dead_outputs()
    line = STILL_CLEANING
    if not _STOPPING:
        _STOPPING.append(signum)
        after, then = next(((why, then) for why, then in (
            (settled(), then) for settled, then in _SETTLED) if why), ("", ""))
        if not after and _DEFER:
            _PENDING[:] = [True]
            return
        if not after:
            raise KeyboardInterrupt
        line = b"harness: %s after %s: %s\n" % (  # not "writing" what is written
            signal.Signals(signum).name.encode(), after.encode(),
            b"exiting" if after == RESULTS_WRITTEN else then.encode())
    try:  # not sys.stderr: the signal may land inside its write
        os.write(2, line)
    except OSError:  # a dead pipe or terminal must not cut the clean-up short
        pass


def install() -> Dict[int, Any]:
    """SIGTERM (`timeout`, `kill`, a CI job cancelled) and SIGHUP (terminal closed, ssh
    dropped) stop a command as Ctrl-C does; by default they ended the process on the spot,
    leaving the clean-up to the next run's sweep. A signal set to be ignored stays so (nohup;
    SIGINT in a background job). Installed already (provision inside ``cli.main``): nothing
    changes. Returns the handlers to put back."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    signums = [getattr(signal, name) for name in STOP_SIGNALS  # SIGHUP: POSIX; SIGBREAK: Windows
               if hasattr(signal, name)]
    if any(signal.getsignal(signum) is _on_stop_signal for signum in signums):
        return {}
    del _STOPPING[:], _PENDING[:]  # before the handlers: a signal right after them must count
    if os.name == "posix":  # imported now: the handler must not start an import of its own
        import fcntl  # noqa: F401
        import select  # noqa: F401
    _OUTPUTS.clear()
    for fd in (1, 2):
        try:
            info = os.fstat(fd)
        except OSError:
            continue
        _OUTPUTS.add((info.st_dev, info.st_ino))
    previous: Dict[int, Any] = {}
    for signum in signums:
        current = signal.getsignal(signum)
        if current is (signal.default_int_handler if signum == signal.SIGINT else signal.SIG_DFL):
            previous[signum] = signal.signal(signum, _on_stop_signal)
    return previous


def restore(previous: Dict[int, Any]) -> None:
    """Put the handlers back, unless a stop signal came: then the process is on its way out
    with 130, and a late signal must not end it with -2 or -15 after all was written (at exit
    Python resets its own handlers to the default, never SIG_IGN)."""
    for signum, handler in previous.items():
        signal.signal(signum, signal.SIG_IGN if _STOPPING else handler)
