"""The runner's /dev/shm sweep after a case: what a killed tree leaks is removed, nothing else."""
from __future__ import annotations

import os
import sys
import uuid

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


def test_a_new_run_removes_semaphores_a_killed_run_left(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a SIGKILLed runner could not sweep goes at the next run's start; named shared
    memory (psm_*) may be left on purpose and stays."""
    leaked = _make(_glibc_temp_name())
    leaked_mp = _make("sem.mp-" + uuid.uuid4().hex[:8])
    kept = _make("psm_" + uuid.uuid4().hex[:8])
    monkeypatch.setattr(leftovers, "_SWEPT", False)
    try:
        leftovers.sweep_stale()
        assert not os.path.exists(leaked) and not os.path.exists(leaked_mp)
        assert os.path.exists(kept)
    finally:
        for path in (leaked, leaked_mp, kept):
            if os.path.exists(path):
                os.unlink(path)
