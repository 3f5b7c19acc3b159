"""A case's process group killed where there is no /proc (macOS, the BSDs): its members listed
with ``ps``, multiprocessing's resource trackers killed last, as the Linux shepherd does.

Under spawn and forkserver a case's named semaphores and shared memory are unlinked only by the
process that made them or by its resource tracker; one SIGKILL to the whole group took the
trackers down with the case, and on macOS the names stay in the kernel until reboot, with no
/dev/shm to sweep (review r8).
"""

from __future__ import annotations

import os
import subprocess
import time
from typing import Dict, Set

from harness.guest import _procs

__all__ = ["kill_group", "members"]

#: macOS's ps and procps take the same options; ``-ww``: command lines are not cut.
_PS = ("ps", "-A", "-ww", "-o", "pid=,pgid=,stat=,command=")


def members(pgid: int) -> Dict[int, str]:
    """``pid -> command line`` of each live (non-zombie) process of group ``pgid``; empty if
    ``ps`` cannot be run."""
    try:  # not owned.ask: its stop-signal deferral is the main thread's; cells run in others
        out = subprocess.run(_PS, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             timeout=10, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    found: Dict[int, str] = {}
    for line in out.decode("utf-8", "replace").splitlines():
        fields = line.split(None, 3)
        if (len(fields) >= 3 and fields[0].isdigit() and fields[1] == str(pgid)
                and not fields[2].startswith("Z")):
            found[int(fields[0])] = fields[3] if len(fields) > 3 else ""
    return found


def kill_group(pgid: int, deadline_s: float = 5.0) -> None:
    """SIGKILL every process of group ``pgid``: frozen first (a fork loop cannot outrun the
    kill); the resource trackers resumed and given ``TRACKER_GRACE_S`` to unlink what the
    others leaked (they do once every holder of their pipe is dead), then killed with the rest."""
    signal = _procs.signal
    try:
        os.killpg(pgid, signal.SIGSTOP)
    except OSError:
        return  # no such group (the usual end of a case that returned): nothing to kill
    trackers: Set[int] = set()
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        found = members(pgid)
        trackers.update(pid for pid, command in found.items() if _procs.TRACKER_MARK in command)
        others = [pid for pid in found if pid not in trackers]
        if not others:
            break
        _procs.kill_pids(others)
        time.sleep(0.02)  # a killed one is reaped before ps runs again (no spin, no pid reuse)
    _procs.kill_pids(trackers, signal.SIGCONT)
    grace = time.monotonic() + _procs.TRACKER_GRACE_S
    while trackers and time.monotonic() < grace and trackers.intersection(members(pgid)):
        time.sleep(0.02)
    try:
        os.killpg(pgid, signal.SIGKILL)
    except OSError:
        pass
