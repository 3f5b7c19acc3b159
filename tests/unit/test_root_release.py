"""Releasing a shared Debian root after a run (``root_exec.release`` with a ``ThisRun``): only
this run's processes inside it are killed; another run's (another terminal's ``harness check``,
another user's matrix) are said to be in use by something else and left running (review r20
F3: every process in the root was killed, whoever started it).

The root is a throwaway empty folder: a process is "in" it once it has ``chroot``-ed there (the
interpreter is loaded before, so nothing needs to be inside). Needs root, for ``chroot``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator, List, Set

import pytest

from harness import chroot, provision
from harness.guest import _procs

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux") or os.geteuid() != 0,
                                reason="chroot needs root (Linux)")

#: Enters the root (argv[1]), optionally forks once (argv[2] == "fork"), then sleeps.
_INSIDE = ("import os, sys, time; os.chroot(sys.argv[1]); "
           "sys.argv[2:] == ['fork'] and os.fork(); time.sleep(120)")
#: Starts its arguments in a new session and exits at once: they are orphans from then on.
_ORPHAN = "import subprocess, sys; subprocess.Popen(sys.argv[1:], start_new_session=True)"
#: A host process (not in the root) that starts one process inside it and stays alive.
_HOLDER = ("import subprocess, sys, time; "
           "subprocess.Popen([sys.executable, '-c', sys.argv[1], sys.argv[2]]); time.sleep(120)")


def _orphan(*argv: str) -> None:
    subprocess.run([sys.executable, "-c", _ORPHAN, *argv], check=True,
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)


def _inside(root: Path, count: int) -> Set[int]:
    """The processes in ``root`` once there are ``count`` of them (10 s at most)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = set(chroot.processes_in_root(str(root)))
        if len(found) >= count:
            return found
        time.sleep(0.02)
    raise AssertionError(f"expected {count} processes in {root}, found {found}")


@pytest.fixture()
def root(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "root"
    folder.mkdir()
    yield folder
    _procs.kill_pids(pid for pid in _procs.proc_table() if _names(pid, folder))
    _inside_none(folder)


def _names(pid: int, root: Path) -> bool:
    """Whether ``pid``'s command line names ``root`` (every process a test here starts does)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return pid != os.getpid() and str(root).encode() in handle.read()
    except OSError:
        return False


def _inside_none(root: Path) -> None:
    deadline = time.monotonic() + 10
    while chroot.processes_in_root(str(root)) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert chroot.processes_in_root(str(root)) == []


def test_only_this_runs_processes_in_the_root_are_killed(root: Path) -> None:
    """Another run's orphan that started before this run, and a process another live program
    started in the root during this run, are left running; this run's orphan (and its child)
    and its own child in the root are killed."""
    _orphan(sys.executable, "-c", _INSIDE, str(root))  # another run's, from before this one
    others = _inside(root, 1)
    time.sleep(0.05)  # start times count in clock ticks (10 ms)
    this_run = provision.ThisRun.now()
    time.sleep(0.05)
    _orphan(sys.executable, "-c", _HOLDER, _INSIDE, str(root))  # another live program's
    others = _inside(root, 2)
    holder = _procs.proc_table()[max(others)][0]
    assert _names(holder, root) and holder not in _procs.descendants(os.getpid())
    _orphan(sys.executable, "-c", _INSIDE, str(root), "fork")  # this run's orphan + its child
    child = subprocess.Popen([sys.executable, "-c", _INSIDE, str(root)])  # this run's own
    try:
        mine = _inside(root, 5) - others
        assert len(mine) == 3
        said: List[str] = []
        left = provision.release(root, said.append, this_run)
        assert left == []
        assert set(chroot.processes_in_root(str(root))) == others  # still running
        assert not any(_procs.alive(pid) for pid in mine)
        assert said[0] == f"killing 3 process(es) of this run still inside {root}"
        assert said[-1].startswith(f"left running in {root}, in use by something else")
        assert all(f"pid {p} (" in said[-1] or f", {p} (" in said[-1] for p in others)
    finally:
        child.kill()
        child.wait()


def test_an_unfinished_build_loses_every_process_in_it(root: Path) -> None:
    """``kill=True`` (an unfinished build's root, only ever its own): everything inside dies."""
    _orphan(sys.executable, "-c", _INSIDE, str(root))
    _inside(root, 1)
    said: List[str] = []
    assert provision.release(root, said.append, True) == []
    _inside_none(root)
    assert said == [f"killing 1 process(es) still inside {root}"]
