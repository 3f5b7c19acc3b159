"""Where a hung ``check`` run's processes waited (``guest/check_stack``, ``check_stacks``): at
the time limit the host asks only the processes that armed and still catch the signal; each
writes its threads' stacks to a new file of its own; the report names the user's innermost
frame and the call it waits in."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Dict, List

import pytest

from harness import check_stacks, discovery
from harness.guest import _procs, check_stack
from harness.guest._files import write_json
from harness.runner import CaseRun
from harness.vocab import Outcome

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGRTMIN"), reason="no real-time signals")

#: A process that arms (or not), opens a data file of its own, says it is ready, then waits in
#: ``work`` forever; with ``pause`` it first waits in ``signal.pause()`` (then notes ``woke``),
#: with ``own`` it sets its own handler for check's signal after arming (it notes ``own-ran``).
_PROGRAM = """
import os, signal, sys, threading
from harness.guest import check_stack

def work():
    threading.Event().wait()

def note(name):
    open(os.path.join(sys.argv[1], "%s-%d" % (name, os.getpid())), "w").close()

if sys.argv[2] != "none":
    check_stack.arm(sys.argv[1], "child", work)
if sys.argv[2] == "own":
    signal.signal(signal.SIGRTMIN + 5, lambda *_: note("own-ran"))
data = open(os.path.join(sys.argv[1], "data-%d.txt" % os.getpid()), "w")
data.write("mine\\n")
data.flush()
note("ready")
if sys.argv[2] == "pause":
    signal.pause()
    note("woke")
work()
"""
#: A stand-in for multiprocessing's forkserver (its command line names it) that forks a child,
#: which keeps that command line, as the processes the forkserver forks do.
_FORKSERVER = """
import os, sys, time
# from multiprocessing.forkserver import main
if os.fork() == 0:
    open(os.path.join(sys.argv[1], "ready-%d" % os.getpid()), "w").close()
time.sleep(100)
"""


def _start(folder: Path, how: str, python: str = sys.executable) -> "subprocess.Popen[bytes]":
    program = folder / "waits.py"
    program.write_text(_PROGRAM)
    proc = subprocess.Popen([python, str(program), str(folder), how],
                            env=dict(os.environ, PYTHONPATH=str(ROOT)))
    deadline = time.monotonic() + 30
    while not (folder / ("ready-%d" % proc.pid)).exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    return proc


def _python(which: str) -> str:
    """This interpreter, or the oldest CPython found (3.8's ``signal.signal`` is a Python
    function wrapping ``_signal.signal``, which takes no ``Handlers`` member)."""
    if which == "this":
        return sys.executable
    found = sorted((i for i in discovery.discover()[0] if i.implementation == "cpython"),
                   key=lambda i: i.version)
    if not found or found[0].version[:2] >= sys.version_info[:2]:
        pytest.skip("no CPython older than this one")
    return found[0].path


def _state(pid: int) -> str:
    """``pid``'s state letter (T: stopped)."""
    return _procs.proc_table()[pid][2]


def _stop(*procs: "subprocess.Popen[bytes]") -> None:
    for proc in procs:
        proc.kill()
        proc.wait()


def test_only_armed_processes_that_catch_the_signal_are_asked(tmp_path: Path) -> None:
    """The armed one writes its stack; one with a note but no handler (it exec'd since) is
    not sent the signal, whose default action would end it: it is alive until killed. Both
    stay stopped until the kill: the one not asked stopped first, the asked one once it
    wrote its stack."""
    armed, plain = _start(tmp_path, "arm"), _start(tmp_path, "none")
    try:
        note = tmp_path / (check_stack.ARMED % plain.pid)
        write_json(str(note), {"signal": signal.SIGRTMIN + 5, "role": "child", "name": "x",
                               "start": _procs.start_time(plain.pid)})
        check_stacks.ask(tmp_path, [armed.pid, plain.pid])
        assert plain.poll() is None  # not ended by a real-time signal
        assert armed.poll() is None
        time.sleep(0.05)  # the asked one stops itself right after writing
        assert (_state(armed.pid), _state(plain.pid)) == ("T", "T")
        stacks = check_stacks.read(tmp_path)
    finally:
        _stop(armed, plain)
    assert stacks is not None
    by_pid = {entry["pid"]: entry for entry in stacks}
    assert by_pid[plain.pid]["why"] == check_stacks.REPLACED
    main = by_pid[armed.pid]["threads"][0]
    assert main["name"] == "MainThread"
    assert [f["function"] for f in main["frames"]][:3] == ["<module>", "work", "wait"]
    assert check_stacks.process_lines([by_pid[armed.pid]], str(tmp_path)) == [
        "child (work): waits.py:6 in work -> threading.py:%d in wait" % main["frames"][2]["line"]]


def test_a_wait_the_signal_ends_does_not_return_before_the_kill(tmp_path: Path) -> None:
    """signal.pause() returns once a handler ran: the asked process stays stopped instead, so
    the code after the wait never runs (review r22 F1: it ran until the kill)."""
    proc = _start(tmp_path, "pause")
    try:
        time.sleep(0.1)  # in signal.pause() by now
        check_stacks.ask(tmp_path, [proc.pid])
        time.sleep(0.3)
        assert not (tmp_path / ("woke-%d" % proc.pid)).exists()
        assert _state(proc.pid) == "T"
        stacks = check_stacks.read(tmp_path)
    finally:
        _stop(proc)
    assert stacks is not None
    assert [f["function"] for f in stacks[0]["threads"][0]["frames"]] == ["<module>"]


@pytest.mark.parametrize("which", ["this", "oldest"])
def test_the_signal_another_process_sends_keeps_its_default_action(
        tmp_path: Path, which: str) -> None:
    """The program ending its child with SIGRTMIN+5 (not check asking): the child ends of it,
    as without check, and writes no stack (review r22 F2: it went on waiting)."""
    proc = _start(tmp_path, "arm", _python(which))
    try:
        os.kill(proc.pid, signal.SIGRTMIN + 5)
        assert proc.wait(timeout=10) == -(signal.SIGRTMIN + 5)
    finally:
        _stop(proc)
    assert not (tmp_path / (check_stack.STACK % proc.pid)).exists()


@pytest.mark.parametrize("which", ["this", "oldest"])
def test_a_handler_the_program_sets_after_arming_is_not_asked(
        tmp_path: Path, which: str) -> None:
    """The program's own handler for the signal, set after check armed, is never called by
    check, and the report says why it has no stack (review r22 F5: check called it)."""
    proc = _start(tmp_path, "own", _python(which))
    try:
        check_stacks.ask(tmp_path, [proc.pid])
        time.sleep(0.2)
        assert not (tmp_path / ("own-ran-%d" % proc.pid)).exists()
        stacks = check_stacks.read(tmp_path)
    finally:
        _stop(proc)
    assert stacks == [{"pid": proc.pid, "role": "child", "name": "work",
                       "why": check_stacks.OWN}]


def test_a_process_the_forkserver_forked_is_listed(tmp_path: Path) -> None:
    """A process the forkserver forked keeps its command line: it is listed (no stack), the
    forkserver itself is not (review r22 F3: both were left out)."""
    server = subprocess.Popen([sys.executable, "-c", _FORKSERVER, str(tmp_path)])
    try:
        deadline = time.monotonic() + 30
        while not list(tmp_path.glob("ready-*")) and time.monotonic() < deadline:
            time.sleep(0.02)
        child = _procs.descendants(server.pid)
        check_stacks.ask(tmp_path, [server.pid, *child])
        stacks = check_stacks.read(tmp_path)
    finally:
        _procs.kill_pids(child)
        _stop(server)
    assert stacks == [{"pid": child[0], "role": "process", "name": Path(sys.executable).name,
                       "why": check_stacks.UNWATCHED}]


def test_another_process_is_named_by_its_program_only(tmp_path: Path) -> None:
    """Its arguments (a password given to a subprocess) are not in the report (review r22
    F6: the first 60 characters of its command line were)."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(100)",
                             "--password=hunter2"])
    try:
        time.sleep(0.2)
        check_stacks.ask(tmp_path, [proc.pid])
        stacks = check_stacks.read(tmp_path)
    finally:
        _stop(proc)
    assert stacks == [{"pid": proc.pid, "role": "process", "name": Path(sys.executable).name,
                       "why": check_stacks.UNWATCHED}]
    assert "hunter2" not in (tmp_path / check_stacks.ASKED).read_text()


def test_a_process_of_another_start_time_is_not_asked(tmp_path: Path) -> None:
    """A pid reused by another process (another start time) is not the one that armed."""
    proc = _start(tmp_path, "arm")
    try:
        note = tmp_path / (check_stack.ARMED % proc.pid)
        write_json(str(note), {"signal": signal.SIGRTMIN + 5, "role": "child", "name": "work",
                               "start": -1})
        check_stacks.ask(tmp_path, [proc.pid])
        assert not (tmp_path / (check_stack.STACK % proc.pid)).exists()
    finally:
        _stop(proc)


def test_arming_leaves_a_programs_own_handler_and_starts_no_thread(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    number = signal.SIGRTMIN + 5
    monkeypatch.setattr(signal, "signal", signal.signal)  # arming wraps it: put back after

    def own(*_: Any) -> None:
        pass

    before = signal.signal(number, own)
    try:
        check_stack.arm(str(tmp_path), "parent")
        assert signal.getsignal(number) is own
        assert list(tmp_path.iterdir()) == []
        signal.signal(number, signal.SIG_DFL)
        threads = threading.active_count()
        check_stack.arm(str(tmp_path), "parent")
        assert threading.active_count() == threads
        assert signal.getsignal(number) is not signal.SIG_DFL
        assert (tmp_path / (check_stack.ARMED % os.getpid())).exists()
        armed = signal.getsignal(number)
        assert signal.signal.__name__ == "signal"  # wrapped: it does what it did
        assert signal.signal(number, own) is armed and signal.getsignal(number) is own
        assert json.loads((tmp_path / (check_stack.ARMED % os.getpid())).read_text())["own"]
    finally:
        signal.signal(number, before)


def test_the_stack_goes_to_a_new_file_even_where_a_data_file_has_a_low_descriptor(
        tmp_path: Path) -> None:
    """The handler opens its file by path when asked: a descriptor number the program reused
    for its own data is never written to."""
    proc = _start(tmp_path, "arm")
    try:
        check_stacks.ask(tmp_path, [proc.pid])
    finally:
        _stop(proc)
    assert (tmp_path / ("data-%d.txt" % proc.pid)).read_text() == "mine\n"
    text = (tmp_path / (check_stack.STACK % proc.pid)).read_text()
    assert text.startswith(check_stack.THREAD + "MainThread\n")
    assert str(tmp_path / "waits.py") in text


def _hung(stacks: Any) -> Dict[Any, CaseRun]:
    return {("3.12", "fork"): CaseRun(case="t", method="fork", outcome=Outcome.TIMEOUT,
                                      observed={"stacks": stacks})}


def test_the_report_says_each_process_once_for_the_cells_alike() -> None:
    frames: List[Dict[str, Any]] = [
        {"file": "/u/app.py", "line": 12, "function": "worker"},
        {"file": "/usr/lib/python3.12/multiprocessing/queues.py", "line": 103,
         "function": "get"},
        {"file": "/usr/lib/python3.12/multiprocessing/connection.py", "line": 216,
         "function": "recv_bytes"}]
    stacks = [{"pid": 7, "role": "child", "name": "worker",
               "threads": [{"name": "MainThread", "frames": frames}]},
              {"pid": 8, "role": "process", "name": "sleep 100",
               "why": check_stacks.UNWATCHED}]
    runs = _hung(stacks)
    runs[("3.13", "fork")] = runs[("3.12", "fork")]
    text = check_stacks.format_stacks(runs, ["3.12", "3.13"], "/u")
    assert text.splitlines()[1:] == [
        "  fork on 3.12 and 3.13: child (worker): app.py:12 in worker -> "
        "multiprocessing/queues.py:103 in get",
        "  fork on 3.12 and 3.13: process (sleep 100): " + check_stacks.UNWATCHED]
    assert check_stacks.NO_SIGNAL in check_stacks.format_stacks(_hung(None), ["3.12"], "/u")


def test_a_fork_childs_copy_of_its_parents_stack_is_not_where_it_waits(tmp_path: Path) -> None:
    """A fork child's stack goes on below its ``_bootstrap`` with the parent's frames at the
    fork: the child at its exit (its target done) waited in its exit, not in the parent's
    ``start()``; a pytest run's own frames are left out."""
    lib = "/usr/lib/python3.12/"
    frames = [("/u/.venv/lib/python3.12/site-packages/_pytest/runner.py", 10, "call"),
              ("/u/test_jobs.py", 33, "test_join"),
              (lib + "multiprocessing/process.py", 121, "start"),
              (lib + "multiprocessing/popen_fork.py", 71, "_launch"),
              (lib + "multiprocessing/process.py", 314, "_bootstrap"),
              (lib + "multiprocessing/util.py", 360, "_exit_function"),
              (lib + "threading.py", 1139, "_wait_for_tstate_lock")]
    (tmp_path / (check_stack.STACK % 9)).write_text(check_stack.THREAD + "MainThread\n" + "".join(
        '  File "%s", line %d, in %s\n' % frame for frame in frames))
    write_json(str(tmp_path / (check_stack.ARMED % 9)), {"role": "child", "name": "put_big"})
    write_json(str(tmp_path / check_stacks.ASKED), {"asked": [9], "others": {}})
    stacks = check_stacks.read(tmp_path, test_runner=True)
    assert stacks is not None
    assert [f["function"] for f in stacks[0]["threads"][0]["frames"]] == [
        "_exit_function", "_wait_for_tstate_lock"]
    assert check_stacks.process_lines(stacks, "/u") == [
        "child (put_big): multiprocessing/util.py:360 in _exit_function -> "
        "threading.py:1139 in _wait_for_tstate_lock"]
