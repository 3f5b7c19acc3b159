"""A program the harness asks one thing (an interpreter what it is, the environment probe), run
in a session of its own: on a timeout or an interrupt its whole process group is killed and
reaped, so a wrapper that hangs (a shell script's ``sleep``) leaves nothing behind (review r5:
the timeout killed only the wrapper, and its ``sleep 300`` went on under init)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from typing import Any, Sequence, Tuple

from harness import stopping

__all__ = ["ask", "kill_group"]


def ask(argv: Sequence[str], timeout: float, **popen: Any) -> Tuple[int, bytes, bytes]:
    """``argv``'s exit status, output and error output; ``subprocess.TimeoutExpired`` (its
    group killed and reaped) when it has not ended within ``timeout`` seconds."""
    proc = None
    try:
        with stopping.deferred():  # a Ctrl-C while it starts: raised once it is known
            proc = subprocess.Popen(list(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    start_new_session=True, **popen)
        out, err = proc.communicate(timeout=timeout)
    except BaseException:  # the timeout, a Ctrl-C: its session gets no terminal signal
        if proc is not None:
            kill_group(proc)
            for pipe in (proc.stdout, proc.stderr):
                if pipe is not None:
                    pipe.close()
        raise
    return proc.returncode, out, err


def kill_group(proc: "subprocess.Popen[bytes]") -> None:
    """SIGKILL to ``proc``'s process group (it leads one: ``start_new_session``), then reap
    it."""
    if hasattr(os, "killpg"):  # POSIX
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        proc.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)
