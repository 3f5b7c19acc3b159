"""Scheduling by what a running cell does, not by what it is expected to do (Linux).

Every non-performance cell starts holding one of the run's CPU slots. The runner looks at the
cell's process tree a few times a second (:class:`Watch`); the cell gives its slot back, so
that the next cell starts, once it is seen **waiting**:

- *idle*: the CPU time of its whole tree advanced by less than ``IDLE_CPU_S`` over the last
  ``IDLE_WINDOW_S`` and none of its processes is runnable (a deadlock, a join on a child that
  never comes; a cell starved of CPU by a loaded machine is runnable, so not idle);
- *long*: it has run ``LONG_FRACTION`` of its hard timeout (no cell that completes comes close:
  the slowest, on PyPy, took 0.37× in the 9-interpreter baseline). This catches the *busy*
  waiters, which burn CPU while they hang (a Pool re-spawning workers that die at start-up).

A waiting cell runs at the lowest priority. Every executor starts its own session, and with
autogroup scheduling a nice value only counts within its session, so the priority is set on
the session: ``/proc/<pid>/autogroup`` (nice 19). An idle cell gets the normal priority back
as soon as it uses CPU again; every cell gets it back at ``RESTORE_FRACTION`` of its timeout
and before it is killed, so that a kill is never slowed down and a cell that is only slow still
has the end of its time at full priority. Nothing here changes a cell's timeout, interpreter,
environment or containment: only when the next cell starts and how urgently this one runs.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Sequence, Set, Tuple

from harness.guest import _procs
from harness.results import BadFile, read_json
from harness.vocab import Outcome

if TYPE_CHECKING:
    import subprocess

__all__ = ["IDLE_CPU_S", "IDLE_WINDOW_S", "LONG_FRACTION", "RESTORE_FRACTION", "CpuSlots",
           "Watch", "timed_out_in", "tree_cpu_seconds", "wait_watched"]

#: How often the runner looks at a running cell, and from when (most cells end before);
#: a waiting cell less often (without a cgroup each look walks /proc).
INTERVAL_S = 0.25
WAITING_INTERVAL_S = 1.0
FIRST_LOOK_S = 0.5
#: Idle: less CPU than this (seconds, whole tree) over the last window.
IDLE_WINDOW_S = 0.5
IDLE_CPU_S = 0.03
#: A cell that has run this share of its timeout waits (busy or not).
LONG_FRACTION = 0.4
#: From this share of its timeout on, a cell runs at normal priority until it ends.
RESTORE_FRACTION = 0.8
LOWEST, NORMAL = 19, 0
_TICK = float(os.sysconf("SC_CLK_TCK")) if hasattr(os, "sysconf") else 100.0


def _stat_fields(pid: int) -> Optional[List[str]]:
    try:
        with open("/proc/%d/stat" % pid, "rb") as handle:
            return handle.read().decode("ascii", "replace").rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def tree_cpu_seconds(members: Sequence[int], supervisor: int) -> Tuple[float, bool]:
    """CPU seconds of ``members`` and of their reaped children (utime, stime, cutime, cstime);
    of ``supervisor`` (the shepherd, which reaps orphans) only its reaped children. And whether
    a member is runnable right now (state R): a cell starved of CPU is not idle."""
    ticks = 0
    runnable = False
    for pid in members:
        fields = _stat_fields(pid)
        if fields is None or len(fields) < 15:
            continue
        if pid != supervisor:
            ticks += int(fields[11]) + int(fields[12])
            runnable = runnable or fields[0] == "R"
        ticks += int(fields[13]) + int(fields[14])
    return ticks / _TICK, runnable


def _sessions(members: Sequence[int], supervisor: int) -> Dict[int, int]:
    """One member per session of the case (session id -> pid), the supervisor's excluded."""
    found: Dict[int, int] = {}
    for pid in members:
        fields = _stat_fields(pid)
        if fields is None or len(fields) < 4 or pid == supervisor:
            continue
        sid = int(fields[3])
        if sid != supervisor:
            found.setdefault(sid, pid)
    return found


def _set_autogroup_nice(pid: int, nice: int) -> bool:
    try:
        with open("/proc/%d/autogroup" % pid, "w") as handle:
            handle.write(str(nice))
        return True
    except OSError:  # no autogroup support, or the process is gone
        return False


class CpuSlots:
    """The run's CPU slots: a cell holds one from its start until it is seen waiting."""

    def __init__(self, count: int, cancelled: Callable[[], bool]) -> None:
        self._free = threading.Semaphore(count)
        self._cancelled = cancelled

    def take(self) -> Callable[[], None]:
        """Wait for a free slot (or an interrupt); return the function that gives it back
        (idempotent: the watch and the end of the cell may both call it)."""
        done: List[bool] = []
        while not self._free.acquire(timeout=0.2):
            if self._cancelled():  # interrupted: nothing was taken, so nothing to give back
                done.append(True)
                break
        given = threading.Lock()

        def give_back() -> None:
            with given:
                if not done:
                    done.append(True)
                    self._free.release()

        return give_back


class Watch:
    """What the runner decides about one running cell from what it observes (see module doc).

    ``look(elapsed, members, supervisor)`` is called every ``interval``; ``before_kill``
    when the cell ends or is killed. ``on_wait`` is called once, when the cell is first seen
    waiting (the CPU slot goes back)."""

    def __init__(self, timeout: float, on_wait: Callable[[], None],
                 waiting: bool = False) -> None:
        self.timeout = timeout
        self.on_wait = on_wait
        self.waiting = waiting
        self.reason = "history" if waiting else ""
        self.low: Set[int] = set()  # session ids set to the lowest priority
        self._pids: Dict[int, int] = {}
        self._samples: List[Tuple[float, float]] = []  # (elapsed, cpu seconds)

    @property
    def interval(self) -> float:
        return WAITING_INTERVAL_S if self.waiting else INTERVAL_S

    def look(self, elapsed: float, members: Sequence[int], supervisor: int) -> None:
        if elapsed < FIRST_LOOK_S:
            return
        cpu, runnable = tree_cpu_seconds(members, supervisor)
        self._samples.append((elapsed, cpu))
        while len(self._samples) > 2 and elapsed - self._samples[1][0] >= IDLE_WINDOW_S:
            self._samples.pop(0)
        first_t, first_cpu = self._samples[0]
        idle = elapsed - first_t >= IDLE_WINDOW_S and cpu - first_cpu < IDLE_CPU_S and \
            not runnable
        long = elapsed >= LONG_FRACTION * self.timeout
        if (idle or long) and not self.waiting:
            self.waiting = True
            self.reason = "idle" if idle else "long"
            self.on_wait()
        late = elapsed >= RESTORE_FRACTION * self.timeout
        if self.waiting and not late and (idle or long):
            self._lower(members, supervisor)
        elif self.low:  # active again after an idle spell, or near its timeout
            self.before_kill()

    def _lower(self, members: Sequence[int], supervisor: int) -> None:
        for sid, pid in _sessions(members, supervisor).items():
            if sid not in self.low and _set_autogroup_nice(pid, LOWEST):
                self.low.add(sid)
                self._pids[sid] = pid

    def before_kill(self) -> None:
        """Normal priority again for every session this watch lowered."""
        for sid in sorted(self.low):
            _set_autogroup_nice(self._pids[sid], NORMAL)
        self.low.clear()
        self._pids.clear()


def wait_watched(proc: "subprocess.Popen[bytes]", deadline: float, cancel: threading.Event,
                 watch: Watch, members: Callable[[], List[int]]) -> str:
    """``_procs.wait_exit`` that looks at the cell every ``watch.interval`` (same return
    values)."""
    started = time.monotonic()
    try:
        while True:
            now = time.monotonic()
            state = _procs.wait_exit(proc, min(deadline, now + watch.interval), cancel)
            if state != _procs.TIMED_OUT or time.monotonic() >= deadline:
                return state
            watch.look(time.monotonic() - started, members(), proc.pid)
    finally:
        watch.before_kill()


def timed_out_in(path: Path) -> Optional[Set[Tuple[str, str]]]:
    """(case, method) of the cells that timed out in a previous results file: they start as
    waiting. None if there is no usable file (then no cell is assumed to hang from it): this is
    a scheduling hint, and the run's own results file replaces that file."""
    try:
        tests = read_json(path).get("tests", [])
        return {(str(t["metadata"]["case"]), str(t["metadata"]["method"])) for t in tests
                if t["metadata"].get("outcome") == Outcome.TIMEOUT.value}
    except (BadFile, KeyError, TypeError, AttributeError):
        return None
