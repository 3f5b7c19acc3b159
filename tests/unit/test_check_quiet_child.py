"""A child ``check`` watches runs as it would alone: no descriptor, timer or thread of the
check's in it (review r17 #1, #2, #4: a timed stack dump in every watched child wrote into a
file the child had opened after closing its descriptors, cancelled the child's own
faulthandler watchdog, and gave each child a second thread)."""

from __future__ import annotations

import sys
import time
import types
from pathlib import Path
from typing import Any

import pytest

from harness import check, discovery
from harness.guest.words import START_METHODS
from harness.vocab import Outcome

#: A daemon-like child: it closes the descriptors it inherited, opens five files and works a
#: while (until any of them holds something it did not write, or 1.5 s); it notes how many
#: threads it has (Linux's count): one, as a child of a plain run.
CLOSES_FDS = """
import multiprocessing, os, time

def job():
    with open("/proc/self/status") as status:
        threads = [line.split()[1] for line in status if line.startswith("Threads:")]
    os.closerange(3, 1024)
    files = [open("out-%d.txt" % n, "w+") for n in range(5)]
    end = time.monotonic() + 1.5
    while time.monotonic() < end and not any(os.fstat(f.fileno()).st_size for f in files):
        time.sleep(0.05)
    for f in files:
        f.write("ok\\n")
        f.close()
    with open("threads.txt", "w") as out:
        out.write(" ".join(threads))

if __name__ == "__main__":
    p = multiprocessing.Process(target=job)
    p.start()
    p.join()
    for n in range(5):
        data = open("out-%d.txt" % n).read()
        assert data == "ok\\n", (n, data[:80])
"""

#: A child whose own faulthandler watchdog (exit=True) ends its hang, after it started a
#: fork helper: exit 1 after a second, and the program says so by its status.
OWN_WATCHDOG = """
import faulthandler, multiprocessing, sys, threading

def helper():
    pass

def job():
    faulthandler.dump_traceback_later(1, exit=True)
    h = multiprocessing.get_context("fork").Process(target=helper)
    h.start()
    h.join()
    threading.Event().wait()

if __name__ == "__main__":
    p = multiprocessing.Process(target=job)
    p.start()
    p.join()
    sys.exit(0 if p.exitcode == 1 else 3)
"""


def _run(tmp_path: Path, program: str, method: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """``program`` checked under ``method`` as ``check`` runs one cell; any time the host gives
    a run for something before its kill is already past (as a slow start makes it)."""
    script = tmp_path / "prog.py"
    script.write_text(program)
    real = time.time
    monkeypatch.setattr(check, "time", types.SimpleNamespace(time=lambda: real() - 100))
    interp = discovery.Interpreter(path=sys.executable, real_path=sys.executable,
                                   implementation="cpython", version=sys.version_info[:3],
                                   free_threading=False, origin="test")
    return check._run_one(interp, "prog.py", method, (), tmp_path, 10.0)


@pytest.mark.parametrize("method", START_METHODS)
def test_a_child_that_closes_its_descriptors_keeps_its_files_and_one_thread(
        tmp_path: Path, method: str, monkeypatch: pytest.MonkeyPatch) -> None:
    run = _run(tmp_path, CLOSES_FDS, method, monkeypatch)
    assert [(tmp_path / ("out-%d.txt" % n)).read_text()[:80] for n in range(5)] == ["ok\n"] * 5
    assert (tmp_path / "threads.txt").read_text() == "1"
    assert run.outcome is Outcome.OK, (run.error, run.stderr[-2000:])


@pytest.mark.parametrize("method", START_METHODS)
def test_a_childs_own_faulthandler_watchdog_still_ends_it(
        tmp_path: Path, method: str, monkeypatch: pytest.MonkeyPatch) -> None:
    run = _run(tmp_path, OWN_WATCHDOG, method, monkeypatch)
    assert run.outcome is Outcome.OK, (run.outcome, run.error, run.stderr[-2000:])
