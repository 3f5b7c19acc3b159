"""Where a hung ``check`` run's processes waited (``guest/check_stack``, ``check_stacks``): at
the time limit the host asks only the processes that armed and still catch the signal; each
writes its threads' stacks to a new file of its own; the report names the user's innermost
frame and the call it waits in."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Dict, List

import pytest

from harness import check_stacks
from harness.guest import _procs, check_stack
from harness.guest._files import write_json
from harness.runner import CaseRun
from harness.vocab import Outcome

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGRTMIN"), reason="no real-time signals")

#: A process that arms (or not), says it is ready, then waits in ``work`` forever.
_PROGRAM = """
import os, sys, threading
from harness.guest import check_stack

def work():
    threading.Event().wait()

if sys.argv[2] == "arm":
    check_stack.arm(sys.argv[1], "child", work)
open(os.path.join(sys.argv[1], "ready-%d" % os.getpid()), "w").close()
work()
"""


def _start(folder: Path, how: str) -> "subprocess.Popen[bytes]":
    program = folder / "waits.py"
    program.write_text(_PROGRAM)
    proc = subprocess.Popen([sys.executable, str(program), str(folder), how],
                            env=dict(os.environ, PYTHONPATH=str(ROOT)))
    deadline = time.monotonic() + 30
    while not (folder / ("ready-%d" % proc.pid)).exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    return proc


def test_only_armed_processes_that_catch_the_signal_are_asked(tmp_path: Path) -> None:
    """The armed one writes its stack; one with a note but no handler (it exec'd since) is
    not sent the signal, whose default action would end it: it is alive until killed."""
    armed, plain = _start(tmp_path, "arm"), _start(tmp_path, "none")
    try:
        note = tmp_path / (check_stack.ARMED % plain.pid)
        write_json(str(note), {"signal": signal.SIGRTMIN + 5, "role": "child", "name": "x",
                               "start": _procs.start_time(plain.pid)})
        check_stacks.ask(tmp_path, [armed.pid, plain.pid])
        assert plain.poll() is None  # not ended by a real-time signal
        assert armed.poll() is None  # it answered and went on waiting
        stacks = check_stacks.read(tmp_path)
    finally:
        for proc in (armed, plain):
            proc.kill()
            proc.wait()
    assert stacks is not None
    by_pid = {entry["pid"]: entry for entry in stacks}
    assert by_pid[plain.pid]["why"] == check_stacks.REPLACED
    main = by_pid[armed.pid]["threads"][0]
    assert main["name"] == "MainThread"
    assert [f["function"] for f in main["frames"]][:3] == ["<module>", "work", "wait"]
    assert check_stacks.process_lines([by_pid[armed.pid]], str(tmp_path)) == [
        "child (work): waits.py:6 in work -> threading.py:%d in wait" % main["frames"][2]["line"]]


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
        proc.kill()
        proc.wait()


def test_arming_leaves_a_programs_own_handler_and_starts_no_thread(tmp_path: Path) -> None:
    number = signal.SIGRTMIN + 5

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
    finally:
        signal.signal(number, before)


def test_the_stack_goes_to_a_new_file_even_where_a_data_file_has_a_low_descriptor(
        tmp_path: Path) -> None:
    """The handler opens its file by path when asked: a descriptor number the program reused
    for its own data is never written to."""
    number = signal.SIGRTMIN + 5
    before = signal.getsignal(number)
    try:
        check_stack.arm(str(tmp_path), "parent")
        data = open(tmp_path / "data.txt", "w")  # noqa: SIM115 - kept open across the signal
        data.write("mine\n")
        data.flush()
        os.kill(os.getpid(), number)
        time.sleep(0.05)  # the handler runs between bytecodes
        data.close()
        assert (tmp_path / "data.txt").read_text() == "mine\n"
        text = (tmp_path / (check_stack.STACK % os.getpid())).read_text()
        assert text.startswith(check_stack.THREAD + "MainThread\n")
        assert __file__ in text
    finally:
        signal.signal(number, before)


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
