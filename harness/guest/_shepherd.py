"""The shepherd: a tiny per-case supervisor between the runner and the executor (Linux only).

Usage: ``python -I _shepherd.py RUNNER_PID STATUS_PATH LIMIT CGROUP_DIR|- -- COMMAND...``

It makes itself a *child subreaper* (``PR_SET_CHILD_SUBREAPER``), so every process the case
starts stays its descendant even after ``setsid`` or a double fork; it joins the case's pids
cgroup (when the runner made one) before starting the executor, so the process limit binds even
root; it asks for SIGTERM when the runner dies (``PR_SET_PDEATHSIG``). When the executor ends,
or on SIGTERM, or past the process limit, it kills what is left — multiprocessing's resource
trackers last, so that they can unlink the semaphores and shared memory the killed tree leaked —
reaps every zombie and writes the executor's exit status to STATUS_PATH as JSON (or, when the
executor cannot start at all, why: ``cannot_start``, the harness's failure). Beside it,
it records the executor's pid and start time (``_procs.EXECUTOR_RECORD``): should the case kill
the shepherd, the runner finds the case's processes by that record.
Standard library only, Python 3.8 syntax; it never prints.
"""

from __future__ import annotations

import os
import sys
import time

if __name__ == "__main__":  # run as a script: the project root goes on sys.path first
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from harness.guest import _files, _procs

signal = _procs.signal  # the C module's plain ints (see _procs)

__all__ = ["main"]

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
#: How long a finished case's leftovers get to exit by themselves before they are killed.
SETTLE_S = 0.3
#: Extra time for multiprocessing's forkserver/resource tracker to notice the executor is gone.
HELPER_GRACE_S = 1.5


def _prctl(option: int, value: int) -> bool:
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(option, value, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _exit_code(status: int) -> int:
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


def _command_line(pid: int) -> str:
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            words = handle.read().split(b"\0")
    except OSError:
        return "?"
    return b" ".join(w for w in words if w).decode("utf-8", "replace")[:100]


def _start(command: "list[str]") -> int:
    """Start the executor in its own session with the default signal mask (as without us).

    ``posix_spawnp`` where the platform has it (no ``subprocess``: its imports cost more than
    the rest of the shepherd); else fork and exec. A command that cannot start raises OSError
    either way (the fork's child sends the exec's errno back through a close-on-exec pipe).
    """
    defaults = [signal.SIGPIPE, signal.SIGXFSZ]  # what Python ignores; subprocess restores them
    if hasattr(os, "posix_spawnp"):
        return os.posix_spawnp(command[0], command, dict(os.environ), setsid=True,
                               setsigmask=[], setsigdef=defaults)
    failed_exec, tell = os.pipe()  # both close on exec: nothing read means the exec worked
    pid = os.fork()
    if pid == 0:  # the shepherd runs no threads, so fork is safe
        try:
            signal.pthread_sigmask(signal.SIG_SETMASK, [])
            for number in defaults:
                signal.signal(number, signal.SIG_DFL)
            os.setsid()
            os.execvp(command[0], command)  # noqa: S606 - the case's own command line
        except OSError as exc:
            os.write(tell, str(exc.errno or 0).encode())
        finally:
            os._exit(127)
    os.close(tell)
    try:
        said = os.read(failed_exec, 32)
    finally:
        os.close(failed_exec)
    if said:
        os.waitpid(pid, 0)
        raise OSError(int(said), os.strerror(int(said)), command[0])
    return pid


def _record(path: str, pid: int) -> None:
    """Write the executor's pid and start time to ``path`` (see ``_procs.EXECUTOR_RECORD``):
    if the case kills us, the runner (or the next run) finds its processes by it."""
    if not path:
        return
    try:
        _files.write_text(path, "%d %s\n" % (pid, _procs.start_time(pid)))
    except OSError:
        pass


def _json(value: object) -> str:
    """JSON for the status record (str, int, bool, None, lists, dicts) without importing
    ``json``, whose import (``re`` with it) would cost each case run milliseconds."""
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return '"%s"' % "".join(
            ch if ch >= " " and ch not in '"\\' else "\\u%04x" % ord(ch) for ch in value)
    if isinstance(value, dict):
        return "{%s}" % ", ".join("%s: %s" % (_json(str(k)), _json(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return "[%s]" % ", ".join(_json(v) for v in value)
    raise TypeError("no JSON for %r" % (value,))


def _limit_user_processes(limit: int) -> None:
    """Without a pids cgroup, RLIMIT_NPROC bounds a fork loop for a non-root user (it counts
    all of the user's processes, so allow what exists now plus ``limit``; root ignores it)."""
    try:
        import resource

        _soft, hard = resource.getrlimit(resource.RLIMIT_NPROC)
        wanted = len(os.listdir("/proc")) + limit
        if hard != resource.RLIM_INFINITY:
            wanted = min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NPROC, (wanted, hard))
    except (ImportError, OSError, ValueError):
        pass


def _block_sigchld() -> None:
    """Hold SIGCHLD so _wait_for_child can wait for it (where the platform can)."""
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGCHLD])


def _wait_for_child(timeout: float) -> None:
    """Wait up to ``timeout`` s for a SIGCHLD; PyPy has no sigtimedwait, so it polls."""
    if hasattr(signal, "sigtimedwait"):
        signal.sigtimedwait([signal.SIGCHLD], timeout)
    else:
        time.sleep(timeout)


class Shepherd:
    def __init__(self, limit: int, cgroup_dir: str, record_path: str = "") -> None:
        self.procs = _procs
        self.record_path = record_path
        self.limit = limit
        self.cgroup = _procs.PidsCgroup(cgroup_dir) if cgroup_dir != "-" else None
        self.executor_pid = 0
        self.returncode = None  # type: object
        self.limit_hit = False

    def members(self, full: bool = False) -> "list[int]":
        """Every live process of the case (the cgroup is exact and cheap; else /proc)."""
        if full:
            found = set(self.procs.descendants(os.getpid()))
            if self.cgroup is not None:
                found.update(pid for pid in self.cgroup.members() if self.procs.alive(pid))
        elif self.cgroup is not None:
            found = {pid for pid in self.cgroup.members() if self.procs.alive(pid)}
        else:
            found = set(self.procs.descendants(os.getpid()))
        found.discard(os.getpid())
        return sorted(found)

    def reap(self) -> bool:
        """Reap every exited child; False once there are no children at all."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return False
            if pid == 0:
                return True
            if pid == self.executor_pid:
                self.returncode = _exit_code(status)

    def is_helper(self, pid: int) -> bool:
        """multiprocessing's own forkserver or resource tracker, orphaned by the executor's exit
        (their forked children have the forkserver's command line but not us as parent)."""
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as handle:
                cmdline = handle.read()
            with open("/proc/%d/stat" % pid, "rb") as handle:
                ppid = int(handle.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            return False
        if not cmdline:
            return True  # exiting right now (its memory, and so its command line, is gone)
        helper = b"multiprocessing.forkserver" in cmdline or b"resource_tracker" in cmdline
        return helper and ppid == os.getpid()

    def over_limit(self) -> bool:
        if self.cgroup is not None:
            return self.cgroup.refused_forks() > 0
        return len(self.procs.descendants(os.getpid())) > self.limit

    def kill_all(self) -> int:
        """Kill every member, resource trackers last; reap; return how many were killed."""
        killed = 0
        trackers = set()
        stopped = set()
        try:  # one syscall freezes the executor's whole process group (a fork loop included)
            os.killpg(self.executor_pid, signal.SIGSTOP)
        except OSError:
            pass
        end = time.monotonic() + 5.0
        while time.monotonic() < end:  # freeze first: a stopped process cannot fork again
            fresh = []
            for pid in self.members():
                if pid in trackers or pid in stopped:
                    continue
                if self.procs.is_resource_tracker(pid):
                    trackers.add(pid)
                else:
                    fresh.append(pid)
            if not fresh:
                break
            self.procs.kill_pids(fresh, signal.SIGSTOP)
            stopped.update(fresh)
        killed += self.procs.kill_pids(stopped)
        self.procs.kill_pids(trackers, signal.SIGCONT)
        while time.monotonic() < end:
            others = [p for p in self.members() if p not in trackers
                      and not self.procs.is_resource_tracker(p)]
            if not others:
                break
            killed += self.procs.kill_pids(others)
            self.reap()
        end = time.monotonic() + _procs.TRACKER_GRACE_S  # trackers unlink what the tree leaked
        while any(self.procs.alive(pid) for pid in trackers) and time.monotonic() < end:
            _wait_for_child(0.01)
            self.reap()
        end = time.monotonic() + 5.0
        while time.monotonic() < end:
            rest = self.members(full=True)
            if not rest:
                break
            killed += self.procs.kill_pids(rest)
            self.reap()
        end = time.monotonic() + 2.0
        while self.reap() and time.monotonic() < end:
            _wait_for_child(0.01)
        return killed

    def run(self, command: "list[str]") -> "dict[str, object]":
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        _block_sigchld()
        if self.cgroup is None and os.geteuid() != 0:
            _limit_user_processes(self.limit)
        try:
            self.executor_pid = _start(command)
        except OSError as exc:  # the harness's failure, not the case's: no executor ran
            return {"returncode": None, "cannot_start": "cannot run %s (from the case's own "
                    "folder): %s" % (command[0], exc.strerror or exc)}
        _record(self.record_path, self.executor_pid)
        try:  # after the start, so the case keeps its priority: a fork loop cannot starve us
            os.setpriority(os.PRIO_PROCESS, 0, -10)
        except OSError:
            pass  # not root: the pids cgroup (or RLIMIT_NPROC) bounds the loop instead
        ticks = 0
        while not stopping and self.returncode is None:
            _wait_for_child(0.05)
            self.reap()
            ticks += 1
            if (self.cgroup is None or ticks % 2 == 0) and self.over_limit():
                self.limit_hit = True
                break
        leftovers = 0
        names = []  # type: list[str]
        # A subreaper with no child left has no descendant left (orphans are reparented to
        # us): then there is nothing to wait for or kill, and no /proc scan to pay for.
        if not stopping and not self.limit_hit and self.reap():
            end = time.monotonic() + SETTLE_S  # forkservers and trackers exit on their own
            while self.members() and time.monotonic() < end and not stopping:
                _wait_for_child(0.02)
                self.reap()
            others = [p for p in self.members() if not self.is_helper(p)]
            leftovers = len(others)
            names = [_command_line(p) for p in others[:3]]
            end = time.monotonic() + HELPER_GRACE_S  # a slow machine: helpers may take longer
            while not others and self.members() and time.monotonic() < end and not stopping:
                _wait_for_child(0.02)
                self.reap()
        started = time.monotonic()
        killed = self.kill_all() if self.reap() or stopping or self.limit_hit else 0
        if os.environ.get("HARNESS_SHEPHERD_DEBUG"):
            sys.stderr.write("shepherd: kill took %.3f s\n" % (time.monotonic() - started))
        return {
            "returncode": self.returncode,
            "stopped": bool(stopping),
            "limit_hit": self.limit_hit,
            "refused_forks": self.cgroup.refused_forks() if self.cgroup is not None else 0,
            "leftovers": leftovers,
            "leftover_commands": names,
            "killed": killed,
        }


def main(argv: "list[str]") -> int:
    if len(argv) < 7 or argv[5] != "--":
        sys.stderr.write("usage: _shepherd.py RUNNER_PID STATUS LIMIT CGROUP|- -- COMMAND...\n")
        return 2
    runner_pid, status_path, limit, cgroup_dir = int(argv[1]), argv[2], int(argv[3]), argv[4]
    _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != runner_pid:  # the runner died before the death signal was armed
        return 3
    if not _prctl(PR_SET_CHILD_SUBREAPER, 1):
        sys.stderr.write("harness shepherd: PR_SET_CHILD_SUBREAPER failed\n")
    if cgroup_dir != "-":
        with open(os.path.join(cgroup_dir, "cgroup.procs"), "w") as handle:
            handle.write(str(os.getpid()))
    record = os.path.join(os.path.dirname(status_path), _procs.EXECUTOR_RECORD)
    status = Shepherd(limit, cgroup_dir, record).run(argv[6:])
    _files.write_text(status_path, _json(status))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
