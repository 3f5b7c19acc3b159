"""The slot and priority rules of ``harness.waiting`` on real processes (Linux /proc).

No timing bound is asserted: the tests pass ``elapsed`` themselves and only sleep so that a
busy process has time to use some CPU between two looks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Iterator, List, Optional

import pytest

from harness import waiting

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/autogroup"),
                                reason="needs Linux /proc with autogroup scheduling")
BUSY = [sys.executable, "-c", "while True: pass"]
IDLE = [sys.executable, "-c", "import time; time.sleep(60)"]


#: The processes a test started (the fixture kills and reaps them).
Started = List["subprocess.Popen[bytes]"]


@pytest.fixture()
def started() -> Iterator[List["subprocess.Popen[bytes]"]]:
    procs: List["subprocess.Popen[bytes]"] = []
    yield procs
    for proc in procs:
        proc.kill()
        proc.wait()


def _start(procs: List["subprocess.Popen[bytes]"], command: List[str]) -> int:
    proc = subprocess.Popen(command, start_new_session=True)  # a session of its own, as cases
    procs.append(proc)
    time.sleep(0.3)  # past interpreter start-up
    return proc.pid


def _nice(pid: int) -> Optional[int]:
    """The autogroup nice of ``pid``'s session; None for the default autogroup (the session of
    PID 1, e.g. a CI job started without a session of its own), which has no nice to change."""
    with open("/proc/%d/autogroup" % pid) as handle:
        text = handle.read()
    return int(text.split("nice")[1]) if "nice" in text else None


def _state(pid: int) -> str:
    with open("/proc/%d/stat" % pid) as handle:
        return handle.read().rsplit(")", 1)[1].split()[0]


def _watch(timeout: float, calls: List[str]) -> waiting.Watch:
    return waiting.Watch(timeout, lambda: calls.append("slot back"))


def test_an_idle_tree_gives_its_slot_back_and_runs_at_the_lowest_priority(started: Started) -> None:
    pid = _start(started, IDLE)
    calls: List[str] = []
    watch = _watch(100.0, calls)
    for elapsed in (0.6, 0.9, 1.2):
        watch.look(elapsed, [pid], supervisor=0)
        time.sleep(0.1)
    assert calls == ["slot back"] and watch.reason == "idle"
    assert _nice(pid) == waiting.LOWEST
    watch.look(99.0, [pid], supervisor=0)  # near its timeout: the priority comes back
    assert _nice(pid) == waiting.NORMAL and calls == ["slot back"]


def test_a_busy_tree_keeps_its_slot_until_it_has_run_long(started: Started) -> None:
    pid = _start(started, BUSY)
    calls: List[str] = []
    watch = _watch(10.0, calls)
    for elapsed in (0.6, 0.9, 1.2, 1.5):
        time.sleep(0.3)
        watch.look(elapsed, [pid], supervisor=0)
    assert calls == [] and _nice(pid) == waiting.NORMAL
    watch.look(waiting.LONG_FRACTION * 10.0, [pid], supervisor=0)  # a busy waiter
    assert calls == ["slot back"] and watch.reason == "long"
    assert _nice(pid) == waiting.LOWEST
    watch.look(waiting.RESTORE_FRACTION * 10.0, [pid], supervisor=0)
    assert _nice(pid) == waiting.NORMAL


def test_an_idle_tree_that_works_again_gets_its_priority_back(started: Started) -> None:
    pid = _start(started, BUSY)
    os.kill(pid, signal.SIGSTOP)  # stopped: no CPU, not runnable
    while _state(pid) != "T":
        time.sleep(0.01)
    calls: List[str] = []
    watch = _watch(100.0, calls)
    for elapsed in (0.6, 0.9, 1.2):
        watch.look(elapsed, [pid], supervisor=0)
    assert calls == ["slot back"] and _nice(pid) == waiting.LOWEST
    os.kill(pid, signal.SIGCONT)
    time.sleep(0.3)
    watch.look(1.5, [pid], supervisor=0)
    assert _nice(pid) == waiting.NORMAL
    assert calls == ["slot back"]  # the slot is not taken twice, nor given back twice


def test_the_supervisor_session_is_never_lowered_and_before_kill_restores(started: Started) -> None:
    idle = _start(started, IDLE)
    me = os.getpid()
    before = _nice(me)
    watch = _watch(100.0, [])
    for elapsed in (0.6, 0.9, 1.2):
        watch.look(elapsed, [me, idle], supervisor=me)
    assert _nice(idle) == waiting.LOWEST
    assert os.getsid(me) not in watch.low and watch.low == {os.getsid(idle)}
    if before is not None:  # PID 1's session (a CI job) has the default autogroup: no nice
        assert _nice(me) == before
    watch.before_kill()
    assert _nice(idle) == waiting.NORMAL


def test_slots_are_given_back_once() -> None:
    slots = waiting.CpuSlots(1, lambda: False)
    give_back = slots.take()
    give_back()
    give_back()  # idempotent: a second call must not create a second slot
    slots.take()
    assert not slots._free.acquire(blocking=False)


def test_an_interrupted_wait_for_a_slot_gives_nothing_back() -> None:
    slots = waiting.CpuSlots(1, lambda: True)
    held = slots.take()
    slots.take()()  # no slot free, interrupted: its give-back must not add one
    assert not slots._free.acquire(blocking=False)
    held()
    assert slots._free.acquire(blocking=False)
