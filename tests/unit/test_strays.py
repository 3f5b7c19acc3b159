"""The processes of a case whose shepherd is gone are found (recorded executor's session, the
case's folder as working directory or TMPDIR) and killed, now or by the next run (Linux)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator, List, Tuple

import pytest

from harness import leftovers, strays
from harness.guest import _procs

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux /proc")

# A process and a forked child, both sleeping in the session the Popen starts; prints both pids.
TWO = ("import os, sys, time\nif os.fork() == 0:\n    time.sleep(600)\n"
       "print(os.getpid()); sys.stdout.flush(); time.sleep(600)")
PROCS: List["subprocess.Popen[str]"] = []


@pytest.fixture(autouse=True)
def reaped() -> Iterator[None]:
    """Whatever a test started is killed (if the code under test did not) and reaped."""
    PROCS.clear()
    yield
    for proc in PROCS:
        _procs.kill_pids(_procs.descendants(proc.pid) + [proc.pid])
        proc.wait(10)


def start(code: str, cwd: str, tmpdir: str = "/tmp") -> "subprocess.Popen[str]":
    """``code`` in a new session (as the shepherd starts the executor), its parent alive."""
    env = dict(os.environ, TMPDIR=tmpdir)
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=cwd, env=env, text=True,
                            stdout=subprocess.PIPE, start_new_session=True)
    PROCS.append(proc)
    assert proc.stdout is not None
    proc.stdout.readline()  # started, and its child forked
    return proc


def record(folder: Path, pid: int, start: object) -> None:
    (folder / _procs.EXECUTOR_RECORD).write_text("%d %s\n" % (pid, start))


def tree(proc: "subprocess.Popen[str]") -> List[int]:
    return [proc.pid] + _procs.descendants(proc.pid)


def test_the_recorded_executor_and_its_session_are_killed(tmp_path: Path) -> None:
    case = tmp_path / "case"
    case.mkdir()
    proc = start(TWO, cwd="/")  # works elsewhere: found by its session only
    pids = tree(proc)
    assert len(pids) == 2
    record(case, proc.pid, _procs.start_time(proc.pid))
    assert strays.members(str(case), strays.read_record(str(case))) == sorted(pids)
    assert strays.kill_case(str(case)) is True
    assert proc.wait(5) == -9
    assert [p for p in pids if _procs.alive(p)] == []


def test_a_reused_pid_is_not_the_executor(tmp_path: Path) -> None:
    """The recorded pid now names another process (another start time): left alone."""
    case = tmp_path / "case"
    case.mkdir()
    proc = start(TWO, cwd="/")
    record(case, proc.pid, (_procs.start_time(proc.pid) or 0) - 1)
    assert strays.kill_case(str(case), deadline_s=1) is True  # nothing of the case is left
    assert all(_procs.alive(p) for p in tree(proc))


@pytest.mark.parametrize("where", ["cwd", "TMPDIR"])
def test_processes_started_in_the_case_folder_are_killed_without_a_record(
        tmp_path: Path, where: str) -> None:
    """Found by their working folder, or (having left it) by their TMPDIR; with no record of
    the executor, nothing can tell that all of the case was found: not verified."""
    case = tmp_path / "case"
    (case / "cwd").mkdir(parents=True)
    inside = str(case / "cwd")
    proc = start(TWO, cwd=inside) if where == "cwd" else start(TWO, cwd="/", tmpdir=inside)
    (case / "status.json").write_text("{}")  # the case wrote to its folder after they started
    pids = tree(proc)
    assert strays.kill_case(str(case)) is False
    assert [p for p in pids if _procs.alive(p)] == []


def test_a_users_job_started_in_a_dead_cases_folder_later_is_left_alone(tmp_path: Path) -> None:
    """A `nohup` job (no terminal) a user started in a stale case folder after the case's last
    change works there but is not the case's (review r13: the next run killed it, and a tmux
    server's panes with it); the case's own TMPDIR mark is not time-bound."""
    case = tmp_path / "case"
    (case / "cwd").mkdir(parents=True)
    past = time.time() - 5
    os.utime(case / "cwd", (past, past))
    os.utime(case, (past, past))
    job = start(TWO, cwd=str(case / "cwd"))
    assert strays.members(str(case)) == []
    assert strays.kill_case(str(case), deadline_s=1) is False
    assert all(_procs.alive(p) for p in tree(job))
    marked = start(TWO, cwd="/", tmpdir=str(case / "cwd"))
    assert sorted(strays.members(str(case))) == sorted(tree(marked))


# A session whose leader exited, leaving a job in it (a nohup job, a setsid daemon; or a case
# process after its executor): this process is a subreaper, so the job stays its child and is
# reaped here. Prints the leader's pid, its start time and the job's pid.
ORPHANED = ("import ctypes, os, sys, time\nctypes.CDLL(None).prctl(36, 1, 0, 0, 0)\n"
            "r, w = os.pipe()\nleader = os.fork()\nif leader == 0:\n    os.setsid()\n"
            "    job = os.fork()\n    if job == 0:\n        time.sleep(600)\n        os._exit(0)\n"
            "    os.write(w, b'%d' % job)\n    os._exit(0)\nos.close(w)\n"
            "start = open('/proc/%d/stat' % leader).read().rsplit(')', 1)[1].split()[19]\n"
            "job = os.read(r, 20).decode()\nos.waitpid(leader, 0)\n"
            "print(leader, start, job); sys.stdout.flush()\n"
            "while True:\n    try:\n        os.wait()\n"
            "    except ChildProcessError:\n        break")


def orphaned() -> Tuple["subprocess.Popen[str]", int, int, int]:
    """A session whose leader is gone and one job of it, working elsewhere (found by session
    only): ``(its reaper, the leader's pid, its start time, the job's pid)``."""
    proc = subprocess.Popen([sys.executable, "-c", ORPHANED], cwd="/", text=True,
                            stdout=subprocess.PIPE)
    PROCS.append(proc)
    assert proc.stdout is not None
    leader, start, job = (int(word) for word in proc.stdout.readline().split())
    assert _procs.start_time(leader) is None and _procs.proc_table()[job][1] == leader
    return proc, leader, start, job


def test_the_session_of_a_gone_executor_is_the_cases_while_the_case_ran(tmp_path: Path) -> None:
    """The executor exited, a process of its session lives on: still the case's (it started
    while the case ran: before the case's folder last changed)."""
    case = tmp_path / "case"
    case.mkdir()
    proc, leader, start, job = orphaned()
    record(case, leader, start)
    assert strays.members(str(case), strays.read_record(str(case))) == [job]
    assert strays.kill_case(str(case)) is True
    assert proc.wait(10) == 0  # its job was killed, and reaped by it


def test_a_reused_session_id_is_not_the_cases(tmp_path: Path) -> None:
    """Days later the gone executor's pid names another session whose leader exited leaving a
    job (r12's demo): that job started after the case ended (the folder's last change), so it
    is not the case's, whatever its session id."""
    case = tmp_path / "case"
    case.mkdir()
    before = time.time() - 1
    proc, leader, _start, job = orphaned()
    record(case, leader, 1)  # the executor, started long before
    os.utime(case / _procs.EXECUTOR_RECORD, (before, before))  # the case's end: before the job
    assert strays.members(str(case), strays.read_record(str(case))) == []
    assert strays.kill_case(str(case), deadline_s=1) is True  # nothing of the case is left
    assert _procs.alive(job)
    os.kill(job, 9)
    assert proc.wait(10) == 0


def test_the_run_that_lost_the_shepherd_counts_members_started_until_now(tmp_path: Path) -> None:
    """In the run itself the case ends now: a member of the gone executor's session started
    after the folder's last change (a case killed mid-way wrote nothing since its start) is
    still the case's (review r15); the sweep's default end (the folder) leaves it out."""
    case = tmp_path / "case"
    case.mkdir()
    before = time.time() - 1
    proc, leader, _start, job = orphaned()
    record(case, leader, 1)
    os.utime(case / _procs.EXECUTOR_RECORD, (before, before))
    assert strays.members(str(case), strays.read_record(str(case))) == []
    assert strays.members(str(case), strays.read_record(str(case)), ended=time.time()) == [job]
    os.kill(job, 9)
    assert proc.wait(10) == 0


# A child with a controlling terminal (a user's shell, say) working in the folder argv[1].
TERMINAL = ("import os, pty, sys, time\npid, fd = pty.fork()\nif pid == 0:\n"
            "    os.chdir(sys.argv[1]); print('ready'); sys.stdout.flush(); time.sleep(600)\n"
            "seen = b''\nwhile b'ready' not in seen:\n    seen += os.read(fd, 100)\n"
            "print(pid); sys.stdout.flush(); time.sleep(600)")


def test_a_process_with_a_terminal_in_the_folder_is_left_alone(tmp_path: Path) -> None:
    """No case process has a controlling terminal: one working in the case's folder is someone
    looking at it, not the case."""
    case = tmp_path / "case"
    (case / "cwd").mkdir(parents=True)
    proc = subprocess.Popen([sys.executable, "-c", TERMINAL, str(case / "cwd")], cwd="/",
                            text=True, stdout=subprocess.PIPE, start_new_session=True)
    PROCS.append(proc)
    assert proc.stdout is not None
    shell = int(proc.stdout.readline())
    assert os.readlink("/proc/%d/cwd" % shell) == str(case / "cwd")
    assert strays.kill_case(str(case), deadline_s=1) is False
    assert _procs.alive(shell)


def test_the_next_run_kills_the_cases_of_a_dead_runner(tmp_path: Path) -> None:
    """A stale folder (its runner's pid is dead) has its recorded case killed; a live runner's
    case is left alone."""
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / ("%s%d-abc" % (leftovers.TMP_PREFIX, dead.pid))
    live = tmp_path / ("%s%d-abc" % (leftovers.TMP_PREFIX, os.getpid()))
    procs = []
    for folder in (stale, live):
        folder.mkdir()
        proc = start(TWO, cwd="/")
        record(folder, proc.pid, _procs.start_time(proc.pid))
        procs.append(proc)
    killed = tree(procs[0])
    assert leftovers._kill_stale_cases(str(tmp_path)) == set()  # none survived
    assert [p for p in killed if _procs.alive(p)] == []
    assert all(_procs.alive(p) for p in tree(procs[1]))


def test_the_shepherds_record_is_written_whole_and_read_back(tmp_path: Path) -> None:
    """The shepherd writes its record through the one whole-file writer (``_files``): read
    back as written, and a write that fails leaves no temp file in the case's folder."""
    from harness.guest import _shepherd

    path = tmp_path / _procs.EXECUTOR_RECORD
    _shepherd._record(str(path), os.getpid())
    assert strays.read_record(str(tmp_path)) == (os.getpid(), _procs.start_time(os.getpid()))
    path.unlink()
    (path / "taken").mkdir(parents=True)  # the rename over a non-empty folder fails
    _shepherd._record(str(path), os.getpid())
    assert sorted(p.name for p in tmp_path.iterdir()) == [_procs.EXECUTOR_RECORD]


def test_a_stale_folder_whose_case_survived_the_kill_is_kept(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A dead runner's folder is removed once nothing of its case is alive; one whose case
    outlived the kill (here: a kill that did nothing) is kept, with the record and the working
    folder by which the next run finds it again."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(leftovers, "_SWEPT", False)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    alive, clean = (tmp_path / ("%s%d-%s" % (leftovers.TMP_PREFIX, dead.pid, name))
                    for name in ("alive", "clean"))
    (alive / "cwd").mkdir(parents=True)
    clean.mkdir()
    proc = start(TWO, cwd=str(alive / "cwd"))
    record(alive, proc.pid, _procs.start_time(proc.pid))
    monkeypatch.setattr(strays, "kill_case", lambda folder: False)
    leftovers.sweep_stale()
    assert sorted(p.name for p in tmp_path.iterdir()) == [alive.name]
    assert strays.members(str(alive), strays.read_record(str(alive))) == sorted(tree(proc))
