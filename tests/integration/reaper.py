"""Run a command as a child subreaper (Linux); report its descendants still alive after it exits.

``python reaper.py OUT.json -- COMMAND...``: every process the command starts, however deep and
even after its parent died, is re-parented to this process, so what is left when the command
has exited is exactly the run's leftovers. They are written to OUT.json (pid and command line),
then killed and reaped.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from harness.guest import _procs

PR_SET_CHILD_SUBREAPER = 36


def _cmdline(pid: int) -> str:
    try:
        return Path("/proc/%d/cmdline" % pid).read_bytes().replace(b"\0", b" ").decode(
            "utf-8", "replace").strip()
    except OSError:
        return "?"


def main() -> int:
    out, command = sys.argv[1], sys.argv[3:]
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        sys.exit("reaper: prctl(PR_SET_CHILD_SUBREAPER) failed")
    returncode = subprocess.call(command)
    left = _procs.descendants(os.getpid())
    Path(out).write_text(json.dumps({"returncode": returncode, "left": [
        {"pid": pid, "cmdline": _cmdline(pid)} for pid in left]}))
    _procs.kill_pids(left, signal.SIGKILL)
    while True:  # reap everything re-parented to us
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return 0


if __name__ == "__main__":
    sys.exit(main())
