"""``python -m harness`` run as on Windows, on Linux (review r8): ``python as_windows.py ARGS``.

What it does: the standard library and pytest load first, on the real platform; then the
POSIX-only modules are blocked (``sys.modules[name] = None``), ``os``, ``signal`` and ``_signal``
are replaced in ``sys.modules`` by copies without the names Windows lacks (the lists of
tests/unit/test_portability.py), ``os.name`` is ``nt``, ``sys.platform`` is ``win32``,
``subprocess`` gets Windows' ``CREATE_NEW_PROCESS_GROUP`` (0 here, with every Popen in a new
session instead) and ``taskkill`` on PATH is :func:`fake_taskkill`. The harness and the catalog
are imported after that, so every ``sys.platform`` branch and every ``os``/``signal`` name of
theirs is the Windows one.

What it proves: the harness's own run path (CLI, plugin, runner, stop handling) takes its
Windows branches and needs no POSIX-only module or name there, end to end.
What it does not: the probe and the case executors are not simulated (Linux interpreters
started by the harness) and the cells run on Linux's multiprocessing (real fork/spawn, a real
/proc), so nothing here says how the cases behave on Windows. The stand-in ``taskkill`` kills
the case's group (Windows kills the tree by parent pid), its resource trackers last: they
unlink the named semaphores the case leaked, as Windows frees its (unnamed) ones with their
last handle.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import types
from pathlib import Path
from typing import Any, Iterable, List

ROOT = Path(__file__).resolve().parents[2]
#: Where the stand-in ``taskkill`` appends one JSON line per call (argv, pid, its group).
TASKKILL_LOG = "AS_WINDOWS_TASKKILL_LOG"


class Stripped(types.ModuleType):
    """A module without ``gone``: reading one raises AttributeError, as on Windows."""

    def __init__(self, real: types.ModuleType, gone: Iterable[str]) -> None:
        super().__init__(real.__name__)
        self.__dict__.update(_real=real, _gone=set(gone))

    def __getattr__(self, attr: str) -> Any:
        if attr in self._gone:
            raise AttributeError("module %r has no attribute %r (as on Windows)"
                                 % (self.__name__, attr))
        return getattr(self._real, attr)


def install_taskkill(bindir: Path) -> None:
    """Write ``bindir/taskkill``, which runs :func:`fake_taskkill` with this interpreter."""
    script = bindir / "taskkill"
    script.write_text("#!/bin/sh\nexec %s %s --taskkill \"$@\"\n" % (sys.executable, __file__),
                      encoding="utf-8")
    script.chmod(0o755)


def fake_taskkill(argv: List[str]) -> int:
    """``taskkill /F /T /PID n``: kill the group ``n`` leads (trackers last), log the call."""
    sys.path.insert(0, str(ROOT))
    from harness import psgroup

    pid = int(argv[argv.index("/PID") + 1])
    tree = sorted(psgroup.members(pid))
    psgroup.kill_group(pid)
    with open(os.environ[TASKKILL_LOG], "a", encoding="utf-8") as log:
        log.write(json.dumps({"argv": argv, "pid": pid, "tree": tree}) + "\n")
    return 0


def run_as_windows(argv: List[str]) -> None:
    """``python -m harness ARGV`` with the harness seeing Windows (module docstring)."""
    import _signal  # type: ignore[import-not-found]
    import multiprocessing  # noqa: F401  the real platform's, before the stripping
    import runpy
    import subprocess

    import _pytest.capture

    sys.path.insert(0, str(ROOT))
    from tests.unit.test_portability import POSIX_ONLY, POSIX_ONLY_ATTRIBUTES

    # pytest's Windows console fix-up calls msvcrt: not the harness's code
    _pytest.capture._windowsconsoleio_workaround = lambda stream: None
    for real in (os, signal, _signal):
        sys.modules[real.__name__] = Stripped(real, POSIX_ONLY_ATTRIBUTES[real.__name__])
    sys.modules["os"].__dict__["name"] = "nt"
    for name in POSIX_ONLY:
        if name not in ("posix", "_posixsubprocess"):  # os and subprocess are loaded on them
            sys.modules[name] = None  # type: ignore[assignment]
    subprocess.CREATE_NEW_PROCESS_GROUP = 0  # type: ignore[attr-defined]
    init = subprocess.Popen.__init__

    def new_group(self: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("start_new_session", True)  # what the Windows flag asks for
        init(self, *args, **kwargs)

    subprocess.Popen.__init__ = new_group  # type: ignore[method-assign]
    sys.platform = "win32"
    sys.argv = ["harness", *argv]
    runpy.run_module("harness", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--taskkill"]:
        sys.exit(fake_taskkill(sys.argv[2:]))
    run_as_windows(sys.argv[1:])
