"""The processes of a case whose shepherd is gone, found and killed (Linux, host side).

Each case runs under a shepherd (``guest/_shepherd.py``) that reaps everything it starts. A case
can kill its shepherd, and a killed run can take the shepherds with it; then only a pids cgroup
still holds the case. Without one (not root, or a cgroup-v2-only host), the case's processes are
found by what they keep from their start: the executor's session (the shepherd records the
executor's pid and start time in the case's folder, ``_procs.EXECUTOR_RECORD``), the case's
folder as their working directory, or their TMPDIR inside it; with every descendant of those.
A process that leaves the session, the folder and that environment is not found: the callers
then cannot claim that the tree was killed, and do not.
"""

from __future__ import annotations

import os
import time
from typing import List, Optional, Set, Tuple

from harness.guest import _procs

__all__ = ["kill_case", "members", "read_record"]


def read_record(folder: str) -> Optional[Tuple[int, int]]:
    """The executor's ``(pid, start time)`` recorded in the case's ``folder``, if any."""
    try:
        with open(os.path.join(folder, _procs.EXECUTOR_RECORD), encoding="ascii") as handle:
            pid, start = handle.read().split()
        return int(pid), int(start)
    except (OSError, ValueError):
        return None


def _started_inside(pid: int, folder: bytes) -> bool:
    """Whether ``pid`` works in ``folder`` or has its TMPDIR there (as every case process had
    when it started, unless it changed both), and has no controlling terminal, as no case
    process has (each runs in a session made by ``setsid``): never a user's shell that went
    to look at the folder."""
    inside = folder.rstrip(b"/") + b"/"
    try:
        with open("/proc/%d/stat" % pid, "rb") as handle:
            if handle.read().rsplit(b")", 1)[1].split()[4] != b"0":  # tty_nr, field 7
                return False
    except (OSError, IndexError):
        return False
    try:
        if (os.readlink(b"/proc/%d/cwd" % pid) + b"/").startswith(inside):
            return True
    except OSError:
        pass
    try:
        with open("/proc/%d/environ" % pid, "rb") as handle:
            environ = handle.read().split(b"\0")
    except OSError:
        return False
    return any(entry.startswith(b"TMPDIR=" + inside) for entry in environ)


def members(folder: str, record: Optional[Tuple[int, int]] = None) -> List[int]:
    """Every live process of the case run in ``folder``, with its descendants."""
    sessions: Set[int] = set()
    if record is not None:
        pid, start = record
        if _procs.start_time(pid) in (None, start):  # gone, or still ours: not a reused pid
            sessions.add(pid)
    table = _procs.proc_table()
    path = os.fsencode(os.path.abspath(folder))
    seeds = [pid for pid, (_ppid, sid, state) in table.items() if state != "Z" and (
        sid in sessions or _started_inside(pid, path))]
    found = set(seeds)
    for pid in seeds:
        found.update(_procs.descendants(pid, table))
    found.discard(os.getpid())
    return sorted(found)


def kill_case(folder: str, deadline_s: float = 5.0) -> bool:
    """SIGKILL every process of the case run in ``folder``: stopped first (a fork loop cannot
    outrun the kill), multiprocessing's resource trackers last (they unlink the semaphores and
    shared memory of the killed). True when the executor was recorded and nothing is left."""
    record = read_record(folder)
    stopped: Set[int] = set()
    trackers: Set[int] = set()
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        fresh = [p for p in members(folder, record) if p not in stopped and p not in trackers]
        if not fresh:
            break
        trackers.update(p for p in fresh if _procs.is_resource_tracker(p))
        stopped.update(p for p in fresh if p not in trackers)
        _procs.kill_pids(stopped, _procs.signal.SIGSTOP)
    _procs.kill_pids(stopped)
    grace = min(end, time.monotonic() + _procs.TRACKER_GRACE_S)
    while any(_procs.alive(p) for p in trackers) and time.monotonic() < grace:
        time.sleep(0.01)
    while True:
        left = members(folder, record)
        if not left or time.monotonic() >= end:
            return record is not None and not left
        _procs.kill_pids(left)
        time.sleep(0.01)
