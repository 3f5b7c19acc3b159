"""Waiting on observable process state instead of sleeping (Linux /proc), for the kill tests."""

from __future__ import annotations

import os
import signal
import time
from typing import Callable, Iterable

__all__ = ["any_ignores_sigterm", "bound", "sigterm_ignored", "wait_until"]


def sigterm_ignored(pid: int) -> bool:
    """True once ``pid`` has set SIGTERM to SIG_IGN (its SigIgn mask in /proc shows it)."""
    try:
        with open("/proc/%d/status" % pid) as handle:
            for line in handle:
                if line.startswith("SigIgn:"):
                    return bool(int(line.split()[1], 16) >> (signal.SIGTERM - 1) & 1)
    except (OSError, ValueError):
        pass
    return False


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("%s: not seen within %s s" % (what, timeout))
        time.sleep(0.02)


def any_ignores_sigterm(pids: Iterable[int]) -> bool:
    return any(sigterm_ignored(p) for p in pids)


def bound(seconds: float) -> float:
    """A promised time limit, scaled like the harness's timeouts on a slow machine."""
    return seconds * max(0.1, float(os.environ.get("HARNESS_TIMEOUT_SCALE", "1")))
