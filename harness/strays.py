"""The processes of a case whose shepherd is gone, found and killed (Linux, host side).

Each case runs under a shepherd (``guest/_shepherd.py``) that reaps everything it starts. A case
can kill its shepherd, and a killed run can take the shepherds with it; then only a pids cgroup
still holds the case. Without one (not root, or a cgroup-v2-only host), the case's processes are
found by what they keep from their start: the executor's session (the shepherd records the
executor's pid and start time in the case's folder, ``_procs.EXECUTOR_RECORD``; once the
executor is gone, only the members that started while the case ran), the case's folder as
their working directory, or their TMPDIR inside it; with every descendant of those. A process
that leaves the session, the folder and that environment is not found, nor (the executor gone)
one of its session that started after the case's last change in its folder and left both:
nothing tells it from another program's. "Killed" (:func:`kill_case`) means: nothing so found
is left.
"""

from __future__ import annotations

import os
import time
from typing import Callable, List, Optional, Set, Tuple

from harness.guest import _procs

__all__ = ["kill_case", "members", "newest_mtime", "read_record"]


def read_record(folder: str) -> Optional[Tuple[int, int]]:
    """The executor's ``(pid, start time)`` recorded in the case's ``folder``, if any."""
    try:
        with open(os.path.join(folder, _procs.EXECUTOR_RECORD), encoding="ascii") as handle:
            pid, start = handle.read().split()
        return int(pid), int(start)
    except (OSError, ValueError):
        return None


def _has_terminal(pid: int) -> bool:
    """Whether ``pid`` has a controlling terminal (or cannot be read): no case process has
    one, each running in a session made by ``setsid``."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()[4] != b"0"  # tty_nr, field 7
    except (OSError, IndexError):
        return True


def _inside(pid: int, folder: bytes) -> str:
    """Where ``pid`` shows it started in the case's ``folder``: "tmpdir" (its TMPDIR there, as
    the harness sets it for every case process), "cwd" (it works there), or "" (neither, or it
    has a controlling terminal: no case process has one)."""
    inside = folder.rstrip(b"/") + b"/"
    if _has_terminal(pid):
        return ""
    try:
        with open("/proc/%d/environ" % pid, "rb") as handle:
            if any(entry.startswith(b"TMPDIR=" + inside) for entry in handle.read().split(b"\0")):
                return "tmpdir"
    except OSError:
        pass
    try:
        return "cwd" if (os.readlink(b"/proc/%d/cwd" % pid) + b"/").startswith(inside) else ""
    except OSError:
        return ""


def members(folder: str, record: Optional[Tuple[int, int]] = None,
            ended: Optional[float] = None) -> List[int]:
    """Every live process of the case run in ``folder``, with its descendants; ``ended``: when
    the case ended (wall clock; default: its folder's last change, for a dead run's case).

    Found by its TMPDIR (the harness's own mark) a process is the case's; found only by working
    in the folder, only if it started between the executor's start and the case's end, as the
    case's own did: a user who later opened ``tmux`` or a ``nohup`` job there is not the case
    (review r13). No descendant with a controlling terminal is taken: no case process has one."""
    end = _boot_ticks(newest_mtime(folder) if ended is None else ended) + _END_SLACK_TICKS
    start = record[1] if record is not None else 0

    def in_time(pid: int) -> bool:
        """Started between the executor's start and the case's end."""
        started = _procs.start_time(pid)
        return started is not None and start <= started <= end

    ours = _session(record, in_time)
    table = _procs.proc_table()
    path = os.fsencode(os.path.abspath(folder))
    seeds = [pid for pid, (_ppid, sid, state) in table.items() if state != "Z" and (
        ours(pid, sid) or _found_inside(pid, path, in_time))]
    found = set(seeds)
    for pid in seeds:
        found.update(p for p in _procs.descendants(pid, table) if not _has_terminal(p))
    found.discard(os.getpid())
    return sorted(found)


def _found_inside(pid: int, path: bytes, in_time: Callable[[int], bool]) -> bool:
    where = _inside(pid, path)
    return where == "tmpdir" or (where == "cwd" and in_time(pid))


def _session(record: Optional[Tuple[int, int]],
             in_time: Callable[[int], bool]) -> Callable[[int, int], bool]:
    """Whether a process (pid, session id) is of the recorded executor's session. While the
    executor runs (its pid with its start time), all of it is. Once it is gone, its pid, and
    with it the session id, may name another session by now (one whose leader exited leaving
    jobs: a ``nohup`` job, a ``setsid`` daemon), so a member counts only if, like every case
    process, it has no controlling terminal and started between the executor's start and the
    case's end (``in_time``): a reused number's members start later."""
    if record is None:
        return lambda pid, sid: False
    leader, start = record
    now = _procs.start_time(leader)
    if now == start:
        return lambda pid, sid: sid == leader
    if now is not None:  # the pid names another process: not the executor's session
        return lambda pid, sid: False

    return lambda pid, sid: sid == leader and in_time(pid) and not _has_terminal(pid)


#: Clock ticks added to the case's end: a file's mtime comes from a coarse clock (up to a
#: timer tick behind), and a start time is truncated to a clock tick.
_END_SLACK_TICKS = 2


def _boot_ticks(wall: float) -> int:
    """``wall`` (seconds since the epoch) in clock ticks since boot, the unit of a process's
    start time (proc(5): /proc/PID/stat field 22, on the boot-time clock)."""
    since_boot = time.clock_gettime(time.CLOCK_BOOTTIME) - (time.time() - wall)
    return int(since_boot * os.sysconf("SC_CLK_TCK"))


def newest_mtime(folder: str) -> float:
    """The latest modification in ``folder`` (the shepherd's status file, the case's files):
    when the case ended, or last did something there."""
    newest = 0.0
    for path, dirs, files in os.walk(folder):
        for name in dirs + files:
            try:
                newest = max(newest, os.lstat(os.path.join(path, name)).st_mtime)
            except OSError:
                continue
    return newest


def kill_case(folder: str, deadline_s: float = 5.0, ended: Optional[float] = None) -> bool:
    """SIGKILL every process of the case run in ``folder``: stopped first (a fork loop cannot
    outrun the kill), multiprocessing's resource trackers last (they unlink the semaphores and
    shared memory of the killed). True when the executor was recorded and nothing is left.
    ``ended`` as for :func:`members` (a live run: now)."""
    record = read_record(folder)
    stopped: Set[int] = set()
    trackers: Set[int] = set()
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        fresh = [p for p in members(folder, record, ended)
                 if p not in stopped and p not in trackers]
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
        left = members(folder, record, ended)
        if not left or time.monotonic() >= end:
            return record is not None and not left
        _procs.kill_pids(left)
        time.sleep(0.01)
