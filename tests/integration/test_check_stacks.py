"""``check`` on a program that hangs says where each of its processes waited at the kill (the
stack each watched process wrote when asked), without touching what the program did: its data
file, its own faulthandler watchdog, the processes check does not watch."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any, Dict, List

import pytest

from harness.guest import _procs
from tests.integration import check_run

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGRTMIN"), reason="no real-time signals")


def _stacks(target: str, marks: Path) -> List[Dict[str, Any]]:
    interpreters = check_run.newest()
    proc = check_run._check(target, ("--json",), interpreters, MARKS=str(marks))
    runs: List[Dict[str, Any]] = json.loads(proc.stdout)["results"]
    assert [r["outcome"] for r in runs] == ["timeout"] * 3, runs
    return runs


def _where(run: Dict[str, Any], role: str) -> List[Any]:
    """(file name, line, function) of each frame of ``role``'s main thread, innermost last."""
    entry = next(e for e in run["observed"]["stacks"] if e["role"] == role)
    return [(Path(f["file"]).name, f["line"], f["function"])
            for f in entry["threads"][0]["frames"]]


def test_a_hang_names_where_the_parent_and_the_child_waited(tmp_path: Path) -> None:
    """The child waits in Queue.get(), the parent in lock.acquire(); the processes the child
    started that check does not watch (``sleep``, a Python one with its own handler for the
    signal) are not sent it, end of the kill, and no orphan is left."""
    for run in _stacks("hang_in_get.py", tmp_path):
        assert _where(run, "parent")[-1] == ("hang_in_get.py", 38, "<module>"), run
        child = _where(run, "child")
        at = child.index(("hang_in_get.py", 30, "wait_for_item"))
        assert child[at + 1][0::2] == ("queues.py", "get"), run
        others = [e for e in run["observed"]["stacks"] if e["role"] == "process"]
        assert any(e["name"] == "sleep 100" for e in others), run
    assert not (tmp_path / "signalled").exists()
    pids = [int(p) for f in tmp_path.glob("pids-*") for p in f.read_text().split()]
    assert len(pids) == 6 and not [p for p in pids if _procs.alive(p)]
    text = check_run.text("hang_in_get.py", check_run.newest(), MARKS=str(tmp_path))
    assert "child (wait_for_item): hang_in_get.py:30 in wait_for_item -> " in " ".join(
        text.split()), text
    assert "parent: hang_in_get.py:38 in <module>: lock.acquire()" in " ".join(text.split())


def test_the_stack_leaves_the_programs_files_and_watchdog_alone(tmp_path: Path) -> None:
    """A child that closed its descriptors and reopened a data file at a low number: the data
    file holds only what it wrote; its own faulthandler watchdog fired as without check."""
    for run in _stacks("hang_own_fds.py", tmp_path):
        assert _where(run, "child")[-1] == ("hang_own_fds.py", 19, "keep_data"), run
    data = sorted(tmp_path.glob("data-*.txt"))
    assert [d.read_text() for d in data] == ["fd 3: the program's own data\n"] * 3
    for dump in tmp_path.glob("watchdog-*.txt"):
        assert "hang_own_fds.py\", line 19 in keep_data" in dump.read_text()
    assert len(list(tmp_path.glob("watchdog-*.txt"))) == 3
