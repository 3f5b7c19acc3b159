"""What a run killed with SIGKILL leaves behind, found and removed: stale pids cgroups, the
semaphores and shared memory of multiprocessing in /dev/shm, and case temp folders.

Host side, called by :mod:`harness.runner`: when a case starts (:func:`snapshot`), once per
process before the first case (:func:`sweep_stale`) and after a case whose tree was killed
(:func:`sweep_shm`). Only names that appeared while one of this tool's cases ran are ever
removed: /dev/shm is shared by every program on the machine.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import List, Set

from harness import strays
from harness.guest import _procs

__all__ = ["TMP_PREFIX", "snapshot", "sweep_shm", "sweep_stale"]

#: Every case's temp folder is ``TMP_PREFIX<runner pid>-...``: a dead runner's are stale.
TMP_PREFIX = "smm-case-"
#: Named shared memory of multiprocessing (``shared_memory``: ``psm_``; ``mp-`` elsewhere).
_SHARED_MEMORY_PREFIXES = ("psm_", "mp-")
# glibc's sem_open() first creates a temporary "sem.XXXXXX" (mkstemp-style, 6 letters/digits),
# then links the real name to it: a process killed in between leaves the temporary name behind.
_GLIBC_SEM_TEMP = re.compile(r"sem\.[A-Za-z0-9]{6}\Z")
#: In a case's temp folder: the /dev/shm names present when the case started; written before
#: it starts, so the file's mtime is the start. The shepherd's status file, written after the
#: tree was killed, is the end: what a dead run's case left is what appeared in between.
_BEFORE = "shm-before"
_SWEPT = False


def _is_semaphore(name: str) -> bool:
    """True for /dev/shm names of multiprocessing's semaphores (or glibc's on their behalf)."""
    return name.startswith("sem.mp-") or _GLIBC_SEM_TEMP.match(name) is not None


def _is_multiprocessing_shm(name: str) -> bool:
    """True for /dev/shm names that multiprocessing (or glibc on its behalf) creates."""
    return _is_semaphore(name) or name.startswith(_SHARED_MEMORY_PREFIXES)


def sweep_stale() -> None:
    """Once per process: remove what runners killed with SIGKILL left behind."""
    global _SWEPT  # noqa: PLW0603 - once-per-process flag
    if _SWEPT:
        return
    _SWEPT = True
    for path in _procs.stale_cgroups():
        group = _procs.PidsCgroup(path)
        group.kill_all()
        group.remove()
    base = tempfile.gettempdir()
    survived = _kill_stale_cases(base)  # first: the sweep then finds what they held unused
    for path in _stale_folders(base):
        _sweep_dead_case(path)
        if path not in survived:  # else kept: its record and folder find them next run
            shutil.rmtree(path, ignore_errors=True)


def _stale_folders(base: str) -> List[str]:
    """The case folders under ``base`` whose runner is dead."""
    try:
        names = os.listdir(base)
    except OSError:
        return []
    return [os.path.join(base, name) for name in names if name.startswith(TMP_PREFIX) and
            _dead(name[len(TMP_PREFIX):].split("-", 1)[0])]


def _dead(owner: str) -> bool:
    return owner.isdigit() and not _procs.alive(int(owner))


def _kill_stale_cases(base: str) -> Set[str]:
    """Kill what still runs of the cases of dead runners under ``base`` (their shepherds died
    too, or they would have killed it): before the semaphore sweep, which then finds what these
    processes held unused. Returns the folders where some of it is still alive."""
    survived = set()
    for path in _stale_folders(base):
        strays.kill_case(path)
        if strays.members(path, strays.read_record(path)):
            survived.add(path)
    return survived


def snapshot(case_dir: Path) -> Set[str]:
    """The /dev/shm names now, recorded in ``case_dir`` for a later run should this one die."""
    names = _procs.shm_names()
    try:
        (case_dir / _BEFORE).write_text("\n".join(sorted(names)), encoding="utf-8")
    except OSError:
        pass  # then a dead run's case leaves its names to their owners: never a guess
    return names


def _sweep_dead_case(case_dir: str) -> List[str]:
    """Semaphores a dead run's case left: created between its start and its end (its folder's
    record, :data:`_BEFORE`) and held by nobody. Multiprocessing unlinks its own when they are
    freed, so such a one is garbage; named shared memory (psm_*) may be left on purpose by its
    owner: never swept here, only right after a killed case that made it."""
    record = os.path.join(case_dir, _BEFORE)
    try:
        with open(record, encoding="utf-8") as handle:
            before = set(handle.read().split("\n"))
        start = os.stat(record).st_mtime
    except (OSError, UnicodeDecodeError):
        return []  # no record (an older version's folder): nothing is known to be ours
    end = strays.newest_mtime(case_dir)
    appeared = []
    for name in _procs.shm_names() - before:
        try:
            created = os.stat(os.path.join(_procs.SHM_DIR, name)).st_ctime
        except OSError:
            continue
        if _is_semaphore(name) and start <= created <= end:
            appeared.append(name)
    return _unlink_unused(appeared)


def sweep_shm(before: Set[str]) -> List[str]:
    """Unlink multiprocessing semaphores/shared memory that appeared during a killed case and
    that no live process has open or mapped (what a SIGKILLed tree leaks)."""
    return _unlink_unused([n for n in _procs.shm_names() - before if _is_multiprocessing_shm(n)])


def _unlink_unused(names: List[str]) -> List[str]:
    """Unlink those of ``names`` in /dev/shm that no live process has open or mapped."""
    if not names:
        return []
    used = _procs.shm_in_use()
    removed = []
    for name in names:
        if name not in used:
            try:
                os.unlink(os.path.join(_procs.SHM_DIR, name))
                removed.append(name)
            except OSError:
                pass
    return removed
