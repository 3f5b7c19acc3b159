"""``check`` on a program that hangs says where each of its processes waited at the kill (the
stack each watched process wrote when asked), without touching what the program did: its data
file, its own faulthandler watchdog, the processes check does not watch."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest

from harness.check_stacks import UNWATCHED
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
        assert any(e["name"] == "sleep" for e in others), run  # not its arguments
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


def test_a_wait_a_signal_ends_stays_where_it_was_and_the_hung_test_is_named(
        tmp_path: Path) -> None:
    """The first test's child waits in signal.pause(): asked for its stack, it does not go on
    from there (the code after it never runs), so that test is the one still running at the
    limit, not passed with the next one blamed (review r22 F1)."""
    proc = subprocess.run(
        [sys.executable, "-m", "harness", "check", "--timeout", str(check_run.TIMEOUT),
         "--pytest", "-q"], cwd=str(check_run.FIXTURES / "wake_suite"), capture_output=True,
        text=True, timeout=300, check=False,
        env=dict(os.environ, PYTHONPATH=str(check_run.ROOT), MARKS=str(tmp_path)))
    said = " ".join(proc.stdout.split())
    assert re.findall(r"test_wake\.py::(\w+) \(\S+\) was still running", said) == [
        "test_a_hangs_in_join"], proc.stdout
    assert "passed" not in proc.stderr, proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_program_that_ends_its_child_with_that_signal_ends_as_without_check() -> None:
    """The signal's default action ends the child: the program exits, it does not hang (review
    r22 F2)."""
    proc = check_run._check("rt_signal_ends_child.py", ("--json",), check_run.newest())
    assert [r["outcome"] for r in json.loads(proc.stdout)["results"]] == ["ok"] * 3


def test_a_process_the_child_forked_is_listed_under_every_method(tmp_path: Path) -> None:
    """The child's own fork child, which check does not watch, is listed without a stack under
    every method, forkserver's included (review r22 F3), named by its program alone."""
    for run in _stacks("hang_in_grandchild.py", tmp_path):
        others = [e for e in run["observed"]["stacks"] if e["role"] == "process"]
        assert len(others) == 1 and others[0]["why"] == UNWATCHED, run
        assert " " not in others[0]["name"], run


def test_a_child_left_running_after_the_program_ended_says_where_it_waited(
        tmp_path: Path) -> None:
    """Review r23: a guest deadline ended such a run before the kill, so the child was never
    asked ("parent: a child still running …" only) and every such program's limit was a fifth
    shorter; the run waits as the exit does, and at the kill the child says where it was."""
    for run in _stacks("child_outlives_program.py", tmp_path):
        child = _where(run, "child")
        assert ("child_outlives_program.py", 10, "forever") in child, run
