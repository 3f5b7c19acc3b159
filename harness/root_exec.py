"""Running programs for ``harness provision`` (host side): debootstrap and apt-get with their
output passed on and a time limit, the check that each interpreter of a root answers, and the
safe release and removal of a root (never with anything mounted or running inside).

Every program runs in its own process group, which is killed on every path (normal end,
timeout, Ctrl-C), so nothing it started is left running.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import IO, Any, Callable, Dict, List, Optional, Sequence, Set, Tuple

from harness import chroot
from harness.guest import _procs
from harness.owned import kill_group

__all__ = ["ProvisionError", "ThisRun", "kill_group", "release", "remove_root", "run_logged",
           "verify"]

Out = Callable[[str], None]

_VERIFY = (
    "import json, multiprocessing as mp, sys; from concurrent.futures import "
    "ProcessPoolExecutor as P; e = P(1); json.dump({'version': sys.version.split()[0], "
    "'methods': mp.get_all_start_methods(), 'default': mp.get_start_method(), "
    "'executor_default': e._mp_context.get_start_method()}, sys.stdout); e.shutdown()"
)
_PER_PACKAGE = re.compile(
    r"^(?:I: (Retrieving|Validating|Extracting|Unpacking|Configuring) "  # debootstrap
    r"|(Get):\d+ |(Selecting|Preparing|Unpacking|Setting up) )")  # apt-get


class ProvisionError(Exception):
    """Building or verifying the root failed (one line)."""


def _pump(stream: IO[bytes], out: Out, started: float) -> None:
    counts: Dict[str, int] = {}
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", "replace").rstrip()
        match = _PER_PACKAGE.match(line)
        if line.startswith("(Reading database"):  # dpkg's progress, one line per percent
            continue
        if match:  # one line per package is too much: print every 25th with a count
            verb = next(group for group in match.groups() if group)
            counts[verb] = counts.get(verb, 0) + 1
            if counts[verb] % 25 != 1:
                continue
            line = f"{line} [package {counts[verb]}]"
        if line:
            out(f"[{time.monotonic() - started:4.0f}s] {line}")


def run_logged(command: List[str], what: str, timeout_s: float, out: Out,
                env: Optional[Dict[str, str]] = None, cwd: Optional[str] = None) -> int:
    """Run ``command`` in its own process group, passing its output on (``_pump``), within
    ``timeout_s``; its whole group is killed afterwards, on every path. Its exit code."""
    started = time.monotonic()
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True, env=env, cwd=cwd)
    if proc.stdout is None:  # pragma: no cover - stdout=PIPE always gives one
        raise ProvisionError(f"no output pipe from {what}")
    reader = threading.Thread(target=_pump, args=(proc.stdout, out, started), daemon=True)
    reader.start()
    try:
        return proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        raise ProvisionError(
            f"{what} did not finish within {timeout_s:.0f} s (killed)") from None
    except BaseException:
        kill_group(proc)
        raise
    finally:
        kill_group(proc)  # anything it left running in its group
        reader.join(timeout=5)
        proc.stdout.close()


def verify(programs: Sequence[str], target: Path, out: Out) -> Dict[str, Any]:
    """Ask each program of the root at ``target`` its version and start methods (120 s each)."""
    found: Dict[str, Any] = {}
    for program in programs:
        command = [*chroot.command(str(target), program), "-I", "-c", _VERIFY]
        proc = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd="/", start_new_session=True
        )
        try:
            stdout, stderr = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            kill_group(proc)
            raise ProvisionError(f"{program} did not answer within 120 s in the root") from None
        except BaseException:
            kill_group(proc)
            raise
        kill_group(proc)  # a forkserver or tracker left behind
        if proc.returncode != 0:
            raise ProvisionError(
                "{} does not run in the root (exit {}): {}".format(
                    program, proc.returncode, stderr.decode("utf-8", "replace").strip()[-300:]
                )
            )
        try:
            info = json.loads(stdout.decode("utf-8"))
        except ValueError:
            raise ProvisionError(f"{program} answered {stdout[:200]!r}, not JSON") from None
        out(
            "{} {}: methods {}, default {}".format(
                program, info["version"], info["methods"], info["default"]
            )
        )
        found[program] = info
    return found


@dataclasses.dataclass(frozen=True)
class ThisRun:
    """This run (process ``pid`` from ``since``, clock ticks since boot), to tell its processes
    in a shared root from other runs' (another terminal's ``harness check``, another user's
    matrix). Its own: a descendant of ``pid``, or an orphan — the top of its chain inside the
    root reparented to init or to an ancestor of ``pid`` (a subreaper) — that started after
    ``since``. Not a mark in the cells' environment: it is allow-listed, and cases observe it;
    not ``pid`` as a subreaper: nox would inherit, and never reap, every orphan. It cannot
    tell apart the orphans of two runs that overlap in time: both count as this run's."""

    pid: int
    since: int

    @classmethod
    def now(cls) -> "ThisRun":
        """This process, from now on (the clock of /proc/PID/stat's start times)."""
        ticks = time.clock_gettime(time.CLOCK_BOOTTIME) * os.sysconf("SC_CLK_TCK")
        return cls(os.getpid(), int(ticks))

    def split(self, pids: Sequence[int]) -> Tuple[List[int], List[int]]:
        """``pids`` (the processes in a root) as (this run's, others')."""
        table = _procs.proc_table()
        lineage: Set[int] = set()
        step = self.pid
        while step in table and step not in lineage:
            lineage.add(step)
            step = table[step][0]
        inside = set(pids)
        mine: List[int] = []
        others: List[int] = []
        for pid in (p for p in pids if p in table):  # one gone since is neither
            (mine if self._started(pid, table, inside, lineage) else others).append(pid)
        return mine, others

    def _started(self, pid: int, table: Dict[int, Tuple[int, int, str]], inside: Set[int],
                 lineage: Set[int]) -> bool:
        chain = [pid]  # pid, its parent, ... while known
        while table[chain[-1]][0] in table and table[chain[-1]][0] not in chain:
            chain.append(table[chain[-1]][0])
        if self.pid in chain:
            return True
        top = pid  # the top of its chain inside the root: an orphan's is reparented
        for step in chain[1:]:
            if step not in inside:
                break
            top = step
        started = _procs.start_time(top)
        return table[top][0] in lineage and started is not None and started >= self.since


def _named(pid: int) -> str:
    words = _procs.cmdline(pid).decode("utf-8", "replace").split("\0")
    return f"{pid} ({' '.join(words).strip()[:60]})"


def release(path: Path, out: Out, kill: "bool | ThisRun") -> List[str]:
    """Kill the processes in root ``path`` that are to die — every one (``True``: an unfinished
    build's, its own), this run's (a :class:`ThisRun`), none (``False``) — and unmount
    everything under it. Returns what is still mounted, or running of what was to die (empty
    when all is released); any other process is in use by something else: said, left running.
    """
    for attempt in range(50 if kill else 0):
        pids = chroot.processes_in_root(str(path))
        if isinstance(kill, ThisRun):
            pids = kill.split(pids)[0]
        if not pids:
            break
        if attempt == 0:
            whose = " of this run" if isinstance(kill, ThisRun) else ""
            out(f"killing {len(pids)} process(es){whose} still inside {path}")
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.1)
    for point in chroot.mounts_under(str(path)):
        out(f"unmounting {point}")
        done = subprocess.run(
            ["umount", point],
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if done.returncode != 0:
            subprocess.run(
                ["umount", "-l", point],
                check=False,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
    left = [f"mount {m}" for m in chroot.mounts_under(str(path))]
    pids = chroot.processes_in_root(str(path))
    mine, others = kill.split(pids) if isinstance(kill, ThisRun) else \
        (pids, []) if kill else ([], pids)
    if others:
        out(f"left running in {path}, in use by something else (not this run's): pid "
            + ", ".join(_named(p) for p in others))
    return left + [f"pid {p}" for p in mine]


def remove_root(path: Path, root_dir: Path, out: Out, kill: bool = False) -> None:
    """Delete ``path``: the root ``root_dir`` or its ``.new``/``.old`` sibling — never with
    anything mounted or running inside: processes are killed only with ``kill`` (an
    unfinished build's), else their presence refuses the removal."""
    real = Path(os.path.realpath(str(path)))
    home = Path(os.path.realpath(str(root_dir.parent)))
    if (
        real.parent != home
        or not real.name.startswith(root_dir.name)
        or real.name.endswith(".lock")
        or str(real) in ("/", os.path.realpath(str(Path.home())))
    ):
        raise ProvisionError(f"refusing to delete {real}: not a root of this cache ({home})")
    if not real.exists():
        return
    left = release(real, out, kill)
    left += [f"pid {p}" for p in chroot.processes_in_root(str(real)) if f"pid {p}" not in left]
    if left:
        raise ProvisionError(f"refusing to delete {real}: still in use ({', '.join(left)})")
    out(f"removing {real}")
    done = subprocess.run(
        ["rm", "-rf", "--one-file-system", "--", str(real)],
        check=False,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    if done.returncode != 0 or real.exists():
        why = done.stdout.decode("utf-8", "replace").strip()[-300:]
        raise ProvisionError(f"could not remove {real}: {why}")
