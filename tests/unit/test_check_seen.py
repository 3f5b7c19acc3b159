"""What a ``check`` run keeps where a kill at its timeout still leaves it (``guest/check_seen``:
the parent's observations at each start()) and how the host reads a hung
run from it (``check_left``) as it reads a finished one: review r13 F3 and F6."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict

from harness import check, check_left, discovery
from harness.check_diagnose import diagnose
from harness.check_match import JOINED_TERMINATED
from harness.guest.check_hang import JOIN_TERMINATED
from harness.guest.check_seen import FACTS, read_facts
from harness.guest.words import START_METHODS
from harness.runner import CaseRun
from harness.vocab import Outcome

ROOT = Path(__file__).resolve().parents[2]

#: A program with a graceful SIGTERM handler that starts a fork child, terminates it and is
#: killed (as check kills a hang) before it ends: argv: the hang folder, the project root.
KILLED = """
import os, signal, sys, time
sys.path.append(sys.argv[2])
import multiprocessing
from harness.guest import check_watch

def on_term(signum, frame):
    pass

def nap():
    time.sleep(0.5)

if __name__ == "__main__":
    check_watch.Watch(sys.argv[1], sys.argv[1], set(), sys.argv[1], "fork").install()
    signal.signal(signal.SIGTERM, on_term)
    proc = multiprocessing.get_context("fork").Process(target=nap)
    proc.start()
    proc.terminate()  # the child runs on_term and naps on
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_the_parents_observations_at_each_start_outlive_a_kill(tmp_path: Path) -> None:
    """A run killed at its timeout kept only its default method (r13 F3): what its parent saw
    at start() (the threads alive, its Python SIGTERM handler, the process it stopped) is in
    the hang folder as it happened."""
    script = tmp_path / "killed.py"
    script.write_text(KILLED)
    proc = subprocess.run([sys.executable, str(script), str(tmp_path), str(ROOT)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == -9, proc.stderr
    facts = read_facts(str(tmp_path))
    assert facts["handlers_at_fork"] == {"SIGTERM": "__main__.on_term"}, facts  # not SIGINT's
    assert (facts["start_attempts"], facts["threads_at_start"], facts["methods_used"],
            facts["stopped_on_purpose"]) == (1, 1, ["fork"], 1), facts
    time.sleep(0.6)  # the orphaned child's nap ends


def _hung(facts: Dict[str, Any], folder: Path, joined: bool = True) -> CaseRun:
    """A fork hang that left ``facts``; ``joined``: and a join() still waiting for a process
    it had sent SIGTERM."""
    (folder / FACTS).write_text(json.dumps(facts))
    note = folder / (JOIN_TERMINATED % (99, 100))
    if joined:
        note.write_text(json.dumps({"child": "the child ForkPoolWorker-1"}))
    elif note.exists():
        note.unlink()
    return check_left.hang_notes(CaseRun("t.py", "fork", Outcome.TIMEOUT), folder)


def test_a_hung_run_is_diagnosed_from_what_its_parent_saw(tmp_path: Path) -> None:
    """A fork hang whose parent had a SIGTERM handler at a fork start() and stopped a process
    names the inherited handler, and says no other thread ran rather than the lock story
    (r13 F3); one with a thread alive at start() names threads-at-fork (r13 F6)."""
    ok = {("3.12", m): CaseRun("t.py", m, Outcome.OK, observed={"start_attempts": 1})
          for m in ("spawn", "forkserver")}
    facts = {"start_attempts": 2, "processes_started": 2, "methods_used": ["fork"],
             "threads_at_start": 1, "stopped_on_purpose": 2, "default_method": "fork",
             "handlers_at_fork": {"SIGTERM": "__main__.on_term"}}
    found = {d.code: d for d in diagnose({**ok, ("3.12", "fork"): _hung(facts, tmp_path)})}
    assert list(found) == ["signal-handler-inherited", "hangs-only-under-fork"], found
    assert _hung(facts, tmp_path).observed[JOINED_TERMINATED] == [
        "the child ForkPoolWorker-1"]
    assert "SIGTERM handler __main__.on_term runs in the fork children" in found[
        "signal-handler-inherited"].message
    assert "signal.signal(signal.SIGTERM, signal.SIG_DFL) in a Pool initializer" in found[
        "signal-handler-inherited"].fix
    assert "no other thread was running" in found["hangs-only-under-fork"].message
    assert "held by another thread is copied" not in found["hangs-only-under-fork"].message

    # Without a join still waiting for a process sent SIGTERM: it ended of it.
    found = {d.code: d for d in diagnose({**ok, ("3.12", "fork"): _hung(facts, tmp_path,
                                                                        joined=False)})}
    assert list(found) == ["hangs-only-under-fork"], found

    threads = dict(facts, threads_at_start=2, stopped_on_purpose=0)
    del threads["handlers_at_fork"]
    found = {d.code: d for d in diagnose({**ok, ("3.12", "fork"): _hung(threads, tmp_path)})}
    assert list(found) == ["threads-at-fork", "hangs-only-under-fork"], found
    assert "held by another thread is copied locked" in found["hangs-only-under-fork"].message


#: A target whose every attribute look-up raises: argv: the hang folder, the root.
HOSTILE = """
import sys
sys.path.append(sys.argv[2])
import multiprocessing
from harness.guest import check_watch

class Hostile:
    def __getattribute__(self, name):
        raise RuntimeError("no " + name)

    def __call__(self):
        pass

if __name__ == "__main__":
    check_watch.Watch(sys.argv[1], sys.argv[1], set(), sys.argv[1], "fork").install()
    proc = multiprocessing.get_context("fork").Process(target=Hostile())
    proc.start()
    proc.join(30)
    print(proc.exitcode)
"""


def test_a_target_whose_attributes_all_raise_is_started_as_python_would(tmp_path: Path) -> None:
    """start() looked up the target's ``__module__`` unguarded: a target with a hostile
    ``__getattribute__`` crashed the watch, not the program."""
    script = tmp_path / "hostile.py"
    script.write_text(HOSTILE)
    proc = subprocess.run([sys.executable, str(script), str(tmp_path), str(ROOT)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0 and proc.stdout.split() == ["0"], proc.stderr


#: A daemon's graceful SIGTERM handler (it exits) before a fork worker it stops with
#: terminate(), which works; then its real job is only slow (review r17 #3).
GRACEFUL_SLOW = """
import multiprocessing, signal, sys, time

def on_term(signum, frame):
    sys.exit(0)

def idle():
    while True:
        time.sleep(0.1)

def crunch():
    time.sleep(60)

if __name__ == "__main__":
    signal.signal(signal.SIGTERM, on_term)
    w = multiprocessing.Process(target=idle)
    w.start(); time.sleep(0.3); w.terminate(); w.join()
    c = multiprocessing.Process(target=crunch)
    c.start(); c.join()
"""


def test_a_slow_run_whose_terminated_child_ended_is_no_inherited_handler(tmp_path: Path) -> None:
    """A SIGTERM handler at a fork start() and a process terminated on purpose are no hang of
    the handler when that process ended: no signal-handler-inherited, and a run at the limit
    under every method is said to be one (it lost that line to the cause)."""
    (tmp_path / "graceful_slow.py").write_text(GRACEFUL_SLOW)
    interp = discovery.Interpreter(path=sys.executable, real_path=sys.executable,
                                   implementation="cpython", version=sys.version_info[:3],
                                   free_threading=False, origin="test")
    runs = {(interp.short_version, m): check._run_one(interp, "graceful_slow.py", m, (),
                                                      tmp_path, 4.0) for m in START_METHODS}
    assert [r.outcome for r in runs.values()] == [Outcome.TIMEOUT] * 3, runs
    assert runs[(interp.short_version, "fork")].observed["handlers_at_fork"] == {
        "SIGTERM": "__main__.on_term"}
    diagnoses = check.diagnose(runs)
    assert "signal-handler-inherited" not in {d.code for d in diagnoses}, diagnoses
    assert "every run was still running at the 4 s limit" in check.summary_line(
        runs, diagnoses, check.unchecked_cells(runs), timeout=4.0)


#: Starts 30 fork processes one by one, then one with a thread alive, then terminates one,
#: counting the facts files written: argv: the hang folder, the root.
MANY = """
import sys, threading, time
sys.path.append(sys.argv[2])
import multiprocessing
from harness.guest import check_watch

written = []
real = check_watch.write_facts
check_watch.write_facts = lambda folder, facts: (written.append(facts), real(folder, facts))

def nap():
    time.sleep(2)

if __name__ == "__main__":
    watch = check_watch.Watch(sys.argv[1], sys.argv[1], set(), sys.argv[1], "fork")
    watch.install()
    fork = multiprocessing.get_context("fork")
    for _ in range(30):
        proc = fork.Process(target=len, args=((),))
        proc.start()
        proc.join()
    print(len(written))
    threading.Thread(target=time.sleep, args=(1,)).start()
    proc = fork.Process(target=nap)
    proc.start()
    print(len(written), written[-1]["threads_at_start"])
    proc.terminate()
    proc.join()
    print(len(written), written[-1]["stopped_on_purpose"])
    facts = watch.facts()
    print(facts["processes_started"], facts["start_attempts"], facts["stopped_on_purpose"])
"""


def test_the_facts_are_written_when_more_than_a_count_changed(tmp_path: Path) -> None:
    """Each start() wrote the facts file (a temporary file and a rename) and counted by going
    through every process started so far (review r17 #5): it is written when what a hang is
    read by changed (the first start, more threads, a first stop), the counts kept as they go."""
    script = tmp_path / "many.py"
    script.write_text(MANY)
    proc = subprocess.run([sys.executable, str(script), str(tmp_path), str(ROOT)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[:4] == ["1", "2 2", "3 1", "31 31 1"], proc.stdout


#: A process started with the pid of one terminated before (a pid the OS reused): argv: the
#: hang folder, the root. The start itself is faked to give that pid.
REUSED = """
import sys, time
sys.path.append(sys.argv[2])
import multiprocessing
from multiprocessing import process
from harness.guest import check_watch

class Popen:
    pid, returncode = 4242, None

def start(self):
    self._popen = Popen()

if __name__ == "__main__":
    process.BaseProcess.start = start
    watch = check_watch.Watch(sys.argv[1], sys.argv[1], set(), sys.argv[1], "fork")
    watch.install()
    watch.joins.terminated[4242] = time.monotonic() - 5  # an older process's, that ended
    multiprocessing.get_context("fork").Process(target=len, args=((),)).start()
    print(sorted(watch.joins.terminated))
"""


def test_a_new_process_with_a_terminated_pid_is_not_taken_for_it(tmp_path: Path) -> None:
    """A pid sent SIGTERM stayed so for good: a later process given that pid again and joined
    was noted as a terminated process still alive (a false signal-handler-inherited, review
    r19)."""
    script = tmp_path / "reused.py"
    script.write_text(REUSED)
    proc = subprocess.run([sys.executable, str(script), str(tmp_path), str(ROOT)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0 and proc.stdout.split("\n")[0] == "[]", proc.stderr


def test_facts_that_could_not_be_written_are_written_at_the_next_note(tmp_path: Path) -> None:
    """The facts were taken as written before the write, which keeps quiet about an OSError
    (an fd-leaking program's EMFILE): they stayed unwritten until more than a count changed
    (review r19 F9)."""
    from harness.guest.check_watch import Watch

    folder = tmp_path / "hang"
    watch = Watch(str(tmp_path), str(tmp_path), set(), str(folder), "fork")
    watch.note()  # no folder yet: the write fails
    folder.mkdir()
    watch.note()  # nothing changed since
    assert read_facts(str(folder))["default_method"] == "fork"


#: Threads counting starts at once, in the interpreter under test: argv: the root.
RACE = """
import sys, threading
sys.path.append(sys.argv[1])
from harness.guest.check_seen import Tally
sys.setswitchinterval(1e-6)
tally = Tally(set())

def starts(base):
    for pid in range(base, base + 20000):
        tally.start(pid, 1)

threads = [threading.Thread(target=starts, args=(k * 100000,)) for k in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(tally.processes)
"""


def test_starts_in_several_threads_are_all_counted() -> None:
    """``processes += 1`` without a lock lost counts on 3.8 (its ``--json`` count; review r19
    F10); 3.12 happened not to: run on the oldest interpreter found."""
    import pytest

    found = sorted((i for i in discovery.discover()[0] if i.implementation == "cpython"),
                   key=lambda i: i.version)
    if not found or found[0].version >= (3, 10):
        pytest.skip("no CPython older than 3.10 to race on")
    proc = subprocess.run([found[0].path, "-c", RACE, str(ROOT)], capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.stdout.split() == ["160000"], (proc.stdout, proc.stderr)
