"""Linux process-table, cgroup and /dev/shm helpers shared by the runner and the shepherd.

Everything here is best effort: a process that vanishes while being read is simply skipped.
Standard library only, Python 3.8 syntax (the shepherd runs on the CPython ``shepherd_python``
chooses, which may be 3.8).
"""

from __future__ import annotations

import os
import time

from harness.guest import TYPE_CHECKING

if TYPE_CHECKING:
    import signal
    import subprocess
    import threading
    from typing import Dict, Iterable, List, Optional, Set, Tuple
else:  # the C module: ``signal`` wraps it in enums, whose import would cost each case run
    try:  # milliseconds (same functions and constants, as plain ints); the shepherd uses it too
        import _signal as signal
    except ImportError:  # pragma: no cover
        import signal

__all__ = [
    "CGROUP_PIDS_ROOT",
    "EXECUTOR_RECORD",
    "SHM_DIR",
    "TRACKER_GRACE_S",
    "TRACKER_MARK",
    "PidsCgroup",
    "alive",
    "descendants",
    "is_resource_tracker",
    "kill_pids",
    "proc_table",
    "python3_on_path",
    "shepherd_python",
    "wait_exit",
    "shm_names",
    "shm_in_use",
    "signal",
    "start_time",
]

CGROUP_PIDS_ROOT = "/sys/fs/cgroup/pids"
SHM_DIR = "/dev/shm"
#: The folder under the pids hierarchy holding one cgroup per running case.
CGROUP_PARENT = "start-method-matrix"
#: In a case's folder: "PID START_TIME" of its executor, written by the shepherd when it starts
#: it, so that the case can be found and killed if the shepherd itself is killed.
EXECUTOR_RECORD = "executor.pid"
#: How long resource trackers get to unlink what a killed tree leaked (they are killed last).
TRACKER_GRACE_S = 1.0


def proc_table() -> Dict[int, Tuple[int, int, str]]:
    """``pid -> (ppid, session id, state letter)`` for every process in /proc."""
    table: Dict[int, Tuple[int, int, str]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return table
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry, "rb") as handle:
                stat = handle.read().decode("ascii", "replace")
            fields = stat.rsplit(")", 1)[1].split()
            table[int(entry)] = (int(fields[1]), int(fields[3]), fields[0])
        except (OSError, ValueError, IndexError):
            continue
    return table


def descendants(pid: int, table: Optional[Dict[int, Tuple[int, int, str]]] = None) -> List[int]:
    """Every live (non-zombie) descendant of ``pid``."""
    table = proc_table() if table is None else table
    children: Dict[int, List[int]] = {}
    for child, (ppid, _sid, _state) in table.items():
        children.setdefault(ppid, []).append(child)
    found: List[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if table[child][2] != "Z":
                found.append(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    """True if ``pid`` exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return False


def start_time(pid: int) -> Optional[int]:
    """When ``pid`` started (clock ticks since boot, /proc/PID/stat field 22), or None if it is
    gone: with the pid, it names one process even after the pid is reused."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as handle:
            return int(handle.read().rsplit(b")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def parent(pid: int) -> int:
    """The parent of ``pid`` (/proc/PID/stat field 4), or 0 if it is gone."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as handle:
            return int(handle.read().rsplit(b")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def cmdline(pid: int) -> bytes:
    """``pid``'s command line, its words NUL-separated (b"" if it is gone or not ours to see)."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            return handle.read()
    except OSError:
        return b""


#: What names multiprocessing's resource tracker in its command line (its module's name).
TRACKER_MARK = "resource_tracker"


def is_resource_tracker(pid: int) -> bool:
    """True for multiprocessing's resource tracker (it unlinks leaked /dev/shm entries)."""
    return TRACKER_MARK.encode() in cmdline(pid)


def kill_pids(pids: Iterable[int], sig: Optional[int] = None) -> int:
    """Send ``sig`` (default SIGKILL) to each pid; return how many were signalled. Windows has
    no SIGKILL: the default is resolved here, never at import, which every leg does."""
    if sig is None:
        sig = signal.SIGKILL
    count = 0
    for pid in pids:
        try:
            os.kill(pid, sig)
            count += 1
        except OSError:
            pass
    return count


def shm_names() -> Set[str]:
    """Names in /dev/shm (empty where there is none)."""
    try:
        return set(os.listdir(SHM_DIR))
    except OSError:
        return set()


def shm_in_use() -> Set[str]:
    """/dev/shm names that some live process has open or mapped."""
    used: Set[str] = set()
    inodes: Set[int] = set()
    prefix = SHM_DIR + "/"
    try:
        entries = [e for e in os.listdir("/proc") if e.isdigit()]
    except OSError:
        return used
    for entry in entries:
        try:
            with open("/proc/%s/maps" % entry, "rb") as handle:
                for line in handle:
                    at = line.find(prefix.encode())
                    if at >= 0:
                        fields = line.split()
                        if len(fields) > 4 and fields[4].isdigit():
                            inodes.add(int(fields[4]))
                        used.add(line[at + len(prefix):].split(b" (")[0].strip()
                                 .decode("utf-8", "replace"))
        except OSError:
            pass
        fd_dir = "/proc/%s/fd" % entry
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(os.path.join(fd_dir, fd))
            except OSError:
                continue
            if target.startswith(prefix):
                used.add(target[len(prefix):].split(" (")[0])
    return used | _names_of_inodes(inodes)


def _names_of_inodes(inodes: Set[int]) -> Set[str]:
    """/dev/shm names whose inode is in ``inodes``. glibc's sem_open() creates and maps a
    temporary file, then link()s the real name to it and unlinks the temporary one, so a live
    named semaphore shows in /proc/PID/maps as ``/dev/shm/sem.XXXXXX (deleted)``: only its
    inode ties the mapping to ``sem.mp-...``."""
    names: Set[str] = set()
    for name in shm_names():
        try:
            if os.stat(os.path.join(SHM_DIR, name)).st_ino in inodes:
                names.add(name)
        except OSError:
            pass
    return names


class PidsCgroup:
    """A cgroup-v1 ``pids`` group for one case: counts, limits and finds every member.

    Membership is inherited by every descendant, including ``setsid``/double-fork escapees,
    and ``pids.max`` makes ``fork()`` fail with EAGAIN past the limit. Needs a writable
    ``/sys/fs/cgroup/pids`` (root, or a delegated hierarchy); ``create`` returns None otherwise.
    """

    def __init__(self, path: str) -> None:
        self.path = path

    @classmethod
    def create(cls, name: str, limit: int) -> Optional["PidsCgroup"]:
        if os.environ.get("HARNESS_NO_CGROUP"):  # tests of the watchdog fallback
            return None
        parent = os.path.join(CGROUP_PIDS_ROOT, CGROUP_PARENT)
        path = os.path.join(parent, name)
        try:
            if not os.path.isdir(parent):
                os.makedirs(parent, exist_ok=True)
            os.mkdir(path)
        except OSError:
            return None
        group = cls(path)
        try:
            with open(os.path.join(path, "pids.max"), "w") as handle:
                handle.write(str(limit))
        except OSError:
            group.remove()
            return None
        return group

    @property
    def procs_file(self) -> str:
        return os.path.join(self.path, "cgroup.procs")

    def members(self) -> List[int]:
        try:
            with open(self.procs_file) as handle:
                return [int(line) for line in handle if line.strip()]
        except (OSError, ValueError):
            return []

    def refused_forks(self) -> int:
        """How many fork()s the limit refused (``pids.events`` ``max`` counter)."""
        try:
            with open(os.path.join(self.path, "pids.events")) as handle:
                for line in handle:
                    key, _, value = line.partition(" ")
                    if key == "max":
                        return int(value)
        except (OSError, ValueError):
            pass
        return 0

    def kill_all(self, deadline_s: float = 5.0) -> int:
        """SIGKILL every member until the group is empty (a fork loop cannot outrun it)."""
        killed = 0
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            members = [pid for pid in self.members() if alive(pid)]
            if not members:
                break
            killed += kill_pids(members)
            time.sleep(0.01)
        return killed

    def remove(self) -> bool:
        for _ in range(50):
            try:
                os.rmdir(self.path)
                return True
            except FileNotFoundError:
                return True
            except OSError:
                time.sleep(0.02)
        return False


def stale_cgroups() -> List[str]:
    """Case cgroups left by runners that no longer exist (named ``<runner pid>-...``)."""
    parent = os.path.join(CGROUP_PIDS_ROOT, CGROUP_PARENT)
    try:
        names = os.listdir(parent)
    except OSError:
        return []
    stale = []
    for name in names:
        owner = name.split("-", 1)[0]
        if owner.isdigit() and not alive(int(owner)):
            stale.append(os.path.join(parent, name))
    return stale


_SHEPHERD_PYTHON: List[str] = []


def shepherd_python() -> str:
    """The interpreter that runs each case's shepherd: this one if it is CPython, else the
    first CPython >= 3.8 found as ``python3`` (PyPy starts, and imports ``ctypes``, several
    times slower, and the shepherd is paid once per case run). The shepherd is not part of
    what a case observes: it is the executor's parent, not the case's parent process."""
    import sys

    from harness.guest.words import CPYTHON

    if sys.implementation.name == CPYTHON:
        return sys.executable
    if not _SHEPHERD_PYTHON:
        import subprocess

        chosen = sys.executable
        check = "import sys; sys.exit(sys.implementation.name != 'cpython' or " \
                "sys.version_info < (3, 8))"
        for candidate in python3_on_path() + ["/usr/bin/python3"]:
            try:
                done = subprocess.run([candidate, "-I", "-S", "-c", check], check=False,
                                      timeout=30, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL)
            except (OSError, subprocess.SubprocessError):
                continue
            if done.returncode == 0:
                chosen = candidate
                break
        _SHEPHERD_PYTHON.append(chosen)
    return _SHEPHERD_PYTHON[0]


def python3_on_path() -> List[str]:
    """Each ``python3`` on PATH, pyenv's ``shims`` folder skipped as discovery skips it: a shim
    is a bash script that costs ~70 ms per start (once per case run for the shepherd)."""
    found: List[str] = []
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        if not folder or os.path.basename(folder.rstrip("/")) == "shims":
            continue
        path = os.path.join(folder, "python3")
        if path not in found and os.path.isfile(path) and os.access(path, os.X_OK):
            found.append(path)
    return found


#: What ``wait_exit`` returns.
DONE, TIMED_OUT, CANCELLED = "done", "timeout", "cancelled"


def wait_exit(proc: "subprocess.Popen[bytes]", deadline: float,
              cancel: "threading.Event") -> str:
    """Wait for ``proc`` until ``deadline`` (``time.monotonic()``): ``DONE``, ``TIMED_OUT``,
    or ``CANCELLED`` once ``cancel`` is set (checked every 0.1 s).

    With a pidfd (Linux, Python 3.9+) the wait wakes the moment the process exits;
    ``Popen.wait(timeout)`` polls with sleeps of up to 50 ms, paid once per case run.
    Runner-side only (its imports are not the shepherd's).
    """
    import select
    import subprocess

    pidfd = -1
    if hasattr(os, "pidfd_open"):
        try:
            pidfd = os.pidfd_open(proc.pid)
        except OSError:
            pidfd = -1
    try:
        while True:
            if cancel.is_set():
                return CANCELLED
            left = deadline - time.monotonic()
            if left <= 0:
                return TIMED_OUT
            if pidfd >= 0:
                ready, _, _ = select.select([pidfd], [], [], min(left, 0.1))
                if ready:
                    proc.wait()
                    return DONE
                continue
            try:
                proc.wait(timeout=min(left, 0.1))
                return DONE
            except subprocess.TimeoutExpired:
                continue
    finally:
        if pidfd >= 0:
            os.close(pidfd)
