"""The runner's /dev/shm sweep after a case: what a killed tree leaks is removed, nothing else."""
from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import List

import pytest

from harness import leftovers
from harness.guest import _procs

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux") or
                                not os.path.isdir(_procs.SHM_DIR), reason="Linux /dev/shm only")


def _make(name: str) -> str:
    path = os.path.join(_procs.SHM_DIR, name)
    with open(path, "wb") as handle:
        handle.write(b"\0" * 32)
    return path


def _glibc_temp_name() -> str:
    return "sem." + uuid.uuid4().hex[:6]


@pytest.mark.parametrize("name", ["sem.mp-" + uuid.uuid4().hex[:8], _glibc_temp_name(),
                                  "psm_" + uuid.uuid4().hex[:8]])
def test_leaked_multiprocessing_names_are_removed(name: str) -> None:
    before = _procs.shm_names()
    path = _make(name)
    try:
        assert name in leftovers.sweep_shm(before)
        assert not os.path.exists(path)
    finally:
        if os.path.exists(path):
            os.unlink(path)


@pytest.mark.parametrize("name", ["myapp-" + uuid.uuid4().hex[:8],     # not multiprocessing's
                                  "sem." + uuid.uuid4().hex[:7]])       # not glibc's 6 chars
def test_other_names_are_kept(name: str) -> None:
    before = _procs.shm_names()
    path = _make(name)
    try:
        assert name not in leftovers.sweep_shm(before)
        assert os.path.exists(path)
    finally:
        os.unlink(path)


def test_names_present_before_or_still_open_are_kept() -> None:
    old = _make(_glibc_temp_name())
    before = _procs.shm_names()
    opened_name = _glibc_temp_name()
    opened = _make(opened_name)
    try:
        with open(opened, "rb"):  # a live process (this one) holds it: not a leak
            assert opened_name not in leftovers.sweep_shm(before)
        assert os.path.exists(old) and os.path.exists(opened)
    finally:
        os.unlink(old)
        os.unlink(opened)


def _dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _sem_open(name: str) -> str:
    """A real named POSIX semaphore, created and closed (not unlinked): it persists, as a
    program's cross-process lock does (r10: ``sem_open("/r10lck", O_CREAT, 0600, 3)``)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.sem_open.restype = ctypes.c_void_p
    libc.sem_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_uint, ctypes.c_uint]
    handle = libc.sem_open(("/" + name).encode(), os.O_CREAT, 0o600, 3)
    assert handle not in (None, ctypes.c_void_p(-1).value), ctypes.get_errno()
    libc.sem_close(ctypes.c_void_p(handle))
    return os.path.join(_procs.SHM_DIR, "sem." + name)


def test_a_new_run_removes_what_a_killed_runs_case_left_and_nothing_else(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A dead run's case folder records the names present when the case started; what
    appeared between then and its end (the shepherd's status file) and nobody holds goes.
    Named shared memory (psm_*) may be left on purpose by its owner and stays; so do names
    present before the case and names made after it ended."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(leftovers, "_SWEPT", False)
    made: List[str] = []
    try:
        made.append(_make(_glibc_temp_name()))  # before the case: another program's
        old = made[-1]
        case = tmp_path / ("%s%d-x" % (leftovers.TMP_PREFIX, _dead_pid()))
        case.mkdir()
        leftovers.snapshot(case)
        time.sleep(0.05)  # timestamps are coarse (a clock tick)
        leaked = [_make(_glibc_temp_name()), _make("sem.mp-" + uuid.uuid4().hex[:8])]
        kept = _make("psm_" + uuid.uuid4().hex[:8])
        made += leaked + [kept]
        time.sleep(0.05)
        (case / "status.json").write_text("{}")  # the shepherd, after killing the tree
        time.sleep(0.05)
        made.append(_make("sem.mp-" + uuid.uuid4().hex[:8]))  # after the case ended
        later = made[-1]
        leftovers.sweep_stale()
        assert [os.path.exists(p) for p in leaked] == [False, False]
        assert os.path.exists(kept) and os.path.exists(old) and os.path.exists(later)
        assert not case.exists()
    finally:
        for path in made:
            if os.path.exists(path):
                os.unlink(path)


def test_a_new_run_leaves_other_programs_semaphores_alone(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A persistent named semaphore of another program (a 6-letter name, like glibc's
    temporary ones; an ``mp-`` one) is never swept by a run's start: no case of this tool
    was running when it appeared (r10 found ``/dev/shm/sem.r10lck`` gone after a run)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(leftovers, "_SWEPT", False)
    made: List[str] = []
    try:
        made.append(_sem_open(uuid.uuid4().hex[:6]))
        made.append(_sem_open("mp-" + uuid.uuid4().hex[:8]))
        case = tmp_path / ("%s%d-x" % (leftovers.TMP_PREFIX, _dead_pid()))
        case.mkdir()  # a dead run's case folder of an older version: no record
        leftovers.sweep_stale()
        assert [os.path.exists(p) for p in made] == [True, True]
        assert not case.exists()
    finally:
        for path in made:
            if os.path.exists(path):
                os.unlink(path)
