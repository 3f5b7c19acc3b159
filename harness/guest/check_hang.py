"""What ``python -m harness check`` can say about a hang before it is killed (runs inside the
interpreter under test; standard library only, Python 3.8 syntax).

The documented queue-join deadlock (multiprocessing docs, Programming guidelines, "Joining
processes that use queues"): a child that put items on a ``Queue`` does not exit until its
feeder thread has written them all to the pipe, so a parent that joins it before reading them
waits forever. Both halves are seen where they happen, never guessed: the child notes when, its
target done, its main thread waits in ``Queue._finalize_join`` (exiting, for the feeder); the
parent's ``join()`` notes when it has waited for such a child since before the child noted it.
That note (in ``hang_dir``, which outlives the killed run) is removed if the join returns.
A process the parent sent SIGTERM (``terminate()``) that a ``join()`` finds still alive a
second after it was sent is noted the same way: it did not end of it. That note is about the
process, not one join: it stays when a short join (``while p.is_alive(): p.join(0.5)``)
returns on its timeout, and goes when a join finds the process ended or at its ``kill()``.
"""

from __future__ import annotations

import os
import sys

from . import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any, Dict

__all__ = ["JOIN_TERMINATED", "JOIN_WAITS", "JoinWatch", "exit_watch"]

#: The file a child writes (in the run's report folder) while its exit waits for a feeder.
_FLUSHING = "flushing-%d"
#: The file the parent writes (in the host's hang folder): ``JOIN_WAITS % (parent pid, child
#: pid)``: two joins (two threads) each have theirs.
JOIN_WAITS = "join-waits-%d-%d.json"
#: The file the parent writes (in the hang folder) for a process it sent SIGTERM that a join()
#: found alive a while later: ``JOIN_TERMINATED % (parent pid, child pid)``.
JOIN_TERMINATED = "join-terminated-%d-%d.json"
#: Seconds after SIGTERM a process still alive is noted: one ending of it (or of a handler
#: that exits) is gone long before.
_TERMINATED_AFTER = 1.0
_POLL = 0.2  # seconds between two looks: a hang is killed after seconds, not milliseconds


def _in_finalize_join(ident: int) -> bool:
    """Thread ``ident`` is inside ``multiprocessing.queues.Queue._finalize_join``."""
    frame = sys._current_frames().get(ident)
    while frame is not None:
        code = frame.f_code
        if code.co_name == "_finalize_join" and code.co_filename.endswith("queues.py"):
            return True
        frame = frame.f_back
    return False


def exit_watch(report_dir: str) -> None:
    """In a child whose target has ended: note once if its exit waits for a queue's feeder."""
    import threading

    ident = threading.get_ident()  # the thread that ran the target goes on to exit
    path = os.path.join(report_dir, _FLUSHING % os.getpid())

    def poll() -> None:
        import time

        while True:
            time.sleep(_POLL)
            if ident not in sys._current_frames():
                return
            if _in_finalize_join(ident):
                with open(path, "w"):
                    return

    threading.Thread(target=poll, name="check-exit-watch", daemon=True).start()


class JoinWatch:
    """In the parent: a ``join()`` that waits in short steps and notes when the child it waits
    for began to wait for its feeder, or did not end of a SIGTERM. No thread: one alive at a
    later fork is what 3.12+ warns about (its count is the OS's, which a joined thread leaves
    only some time later) and what ``threads-at-fork`` names."""

    def __init__(self, report_dir: str, hang_dir: str, terminated: Any = None) -> None:
        self.report_dir = report_dir
        self.hang_dir = hang_dir
        #: pid -> ``time.monotonic()`` when the parent first sent it SIGTERM (the watch's).
        self.terminated: Dict[int, float] = {} if terminated is None else terminated

    def wrap(self, join: Any) -> Any:
        import time

        watch = self

        def watched_join(proc: Any, timeout: Any = None) -> Any:
            if not watch.hang_dir or getattr(proc, "_popen", None) is None:
                return join(proc, timeout)  # not started: join() says what is wrong
            deadline = None if timeout is None else time.monotonic() + max(timeout, 0)
            flushing = os.path.join(watch.report_dir, _FLUSHING % proc.pid)
            looks, note = 0, ""
            try:
                while True:
                    left = _POLL if deadline is None else max(
                        0.0, min(_POLL, deadline - time.monotonic()))
                    join(proc, left)
                    if proc.exitcode is not None:
                        watch.forget(proc.pid)  # it ended after all
                        return None
                    sent = watch.terminated.get(proc.pid)
                    if sent is not None and time.monotonic() - sent >= _TERMINATED_AFTER:
                        watch._note(proc, JOIN_TERMINATED)  # kept past this join's timeout
                    if deadline is not None and time.monotonic() >= deadline:
                        return None
                    if not note and os.path.exists(flushing):
                        # Two looks in a row: the join did not end when the child began to
                        # wait.
                        looks += 1
                        note = watch._note(proc, JOIN_WAITS) if looks >= 2 else ""
            finally:
                if note:  # the join returned after all (or was interrupted)
                    _remove(note)
        return watched_join

    def forget(self, pid: Any) -> None:
        """``pid`` ended, was killed or is a new process's: no SIGTERM of it is pending."""
        if self.terminated.pop(pid, None) is not None and self.hang_dir:
            _remove(self._path(JOIN_TERMINATED, pid))

    def _path(self, name: str, pid: Any) -> str:
        return os.path.join(self.hang_dir, name % (os.getpid(), pid))

    def _note(self, proc: Any, name: str) -> str:
        from ._files import write_json

        note = self._path(name, proc.pid)
        if name == JOIN_TERMINATED and os.path.exists(note):
            return note  # noted by an earlier look
        try:
            write_json(note, {"child": "the child %s" % proc.name})
        except OSError:
            return ""
        return note


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass
