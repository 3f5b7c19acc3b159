"""A run that did not end normally is partial (review r13): an output whose reader left, an
INTERNALERROR, a selected cell without a result. Such a run is marked ``interrupted`` and never
replaces a results file; a dead stdout no longer ends a run or a command with a traceback."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Dict, List

import pytest

from harness import interrupted, plugin, results, stopping

ROOT = Path(__file__).resolve().parents[2]
ENV = {"os": "linux", "implementation": "cpython", "python_version": "3.12.1",
       "available_methods": ["fork", "spawn", "forkserver"], "default_method": "fork"}
A = "cases/methods.py::methods.a[fork]"
B = "cases/methods.py::methods.b[fork]"


def _test(nodeid: str) -> Dict[str, Any]:
    case, method = nodeid.split("::")[1][:-1].split("[")
    return {"nodeid": nodeid, "outcome": "passed",
            "metadata": {"case": case, "method": method, "outcome": "ok", "observed": 1,
                         "expected": None, "verdict": "no-expectation", "duration_s": 0.1,
                         "warnings": []}}


def _state(folder: Path, selected: List[str], **flags: bool) -> Any:
    return SimpleNamespace(
        environment=dict(ENV), quick=False, deselected=[], cases={}, futures={},
        items=[SimpleNamespace(nodeid=n, key=n) for n in selected], results_dir=folder,
        written=None, interrupted=flags.get("interrupted", False),
        output_closed=flags.get("output_closed", False), cause="", kept=None, kept_why="",
        aside=None, pruned=[])


@pytest.mark.parametrize("exitcode, ran, flags, cause", [
    (0, [A, B], {}, ""), (1, [A, B], {}, ""),  # pytest's OK and TESTS_FAILED: a normal end
    # INTERNAL_ERROR: a write to a dead output, or not; partial even with every cell
    (3, [A, B], {"output_closed": True}, "output closed"),
    (3, [A, B], {}, "pytest exit status 3"), (2, [A, B], {}, "pytest exit status 2"),
    (0, [A], {}, "1 cell missing"), (0, [], {}, "2 cells missing"),
    # a signal: the cells it cut off; after the last cell the run is complete
    (2, [A], {"interrupted": True}, "SIGINT"), (2, [A, B], {"interrupted": True}, ""),
])
def test_a_run_is_partial_unless_it_ended_normally_with_every_selected_cell(
        tmp_path: Path, exitcode: int, ran: List[str], flags: Dict[str, bool],
        cause: str) -> None:
    """And the cause is named: "interrupted" was said of every partial run, signal or not."""
    state = _state(tmp_path, [A, B], **flags)
    assert interrupted.cause(state, exitcode, [_test(n) for n in ran]) == cause


def test_a_partial_run_without_a_signal_never_replaces_a_results_file(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    complete = tmp_path / "linux-cpython-3.12.json"
    complete.write_text('{"a complete run": 1}')
    state = _state(tmp_path, [A, B])
    monkeypatch.setattr(plugin, "_CONFIG", [object()])
    monkeypatch.setattr(plugin, "_state", lambda config: state)
    plugin.pytest_json_modifyreport({"exitcode": 3, "tests": [_test(A)]})
    assert complete.read_text() == '{"a complete run": 1}'
    (partial,) = (tmp_path / "interrupted").glob("linux-cpython-3.12.*.json")
    doc = json.loads(partial.read_text())
    assert doc["harness"]["environment"]["interrupted"] is True
    assert doc["harness"]["environment"]["partial_cause"] == "pytest exit status 3"
    lines = interrupted.summary_lines(state)
    assert lines[0].endswith(" (partial: pytest exit status 3; it holds the 1 of 2 selected "
                             "cells that finished, pytest's count below only those it "
                             "reported)"), lines
    assert "interrupted" not in " ".join(lines).replace("/interrupted/", "/"), lines


def test_a_run_whose_output_closed_says_so_not_interrupted(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """pytest ended on a write to the command's output whose reader left: the record, the
    terminal line and the report say "output closed" (they said "interrupted")."""
    read, write = os.pipe()
    os.close(read)
    info = os.fstat(write)
    monkeypatch.setattr(stopping, "_OUTPUTS", {(info.st_dev, info.st_ino)})
    state = _state(tmp_path, [A, B])
    monkeypatch.setattr(plugin, "_CONFIG", [object()])
    monkeypatch.setattr(plugin, "_state", lambda config: state)
    try:
        dead = SimpleNamespace(value=BrokenPipeError(errno.EPIPE, "Broken pipe"))
        assert plugin.pytest_internalerror(dead) is True
    finally:
        os.close(write)
    plugin.pytest_json_modifyreport({"exitcode": 3, "tests": [_test(A)]})
    doc = json.loads(state.written.read_text())
    assert doc["harness"]["environment"]["partial_cause"] == "output closed"
    assert results.validate_results(doc) == []
    assert interrupted.summary_lines(state) == [
        "harness: results written to %s (partial: output closed; it holds the 1 of 2 selected "
        "cells that finished, pytest's count below only those it reported)" % state.written]


@pytest.mark.skipif(os.name != "posix", reason="dead outputs are found by poll(2)")
def test_a_write_to_a_dead_output_is_no_internalerror_but_other_errors_still_are(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The reader left between the check before a cell's line and the write: pytest's
    INTERNALERROR lines are not printed (to a dead output), the output goes to /dev/null. A
    broken pipe that is not the command's output, or any other error, is still reported."""
    read, write = os.pipe()
    os.close(read)
    info = os.fstat(write)
    monkeypatch.setattr(stopping, "_OUTPUTS", {(info.st_dev, info.st_ino)})
    try:
        dead = SimpleNamespace(value=BrokenPipeError(errno.EPIPE, "Broken pipe"))
        assert plugin.pytest_internalerror(dead) is True
        os.write(write, b"now /dev/null\n")  # no EPIPE any more
        assert plugin.pytest_internalerror(dead) is None  # no dead output left: a real error
        assert plugin.pytest_internalerror(SimpleNamespace(value=ValueError("bug"))) is None
    finally:
        os.close(write)


def _piped_to_head(args: List[str], tmp_path: Path) -> "subprocess.CompletedProcess[bytes]":
    """``python -m harness ARGS | head -1``: the reader leaves after the first line."""
    shell = "%s -m harness %s 2>%s | head -1; exit ${PIPESTATUS[0]}" % (
        sys.executable, " ".join(args), tmp_path / "stderr")
    return subprocess.run(["bash", "-c", shell], cwd=str(ROOT), stdout=subprocess.PIPE,
                          timeout=600)


def test_a_run_whose_reader_left_finishes_and_writes_its_whole_file(tmp_path: Path) -> None:
    """Before: an INTERNALERROR (BrokenPipeError in pytest's terminal), exit 3, and a complete
    file replaced by one missing a cell and not marked interrupted."""
    folder = tmp_path / "results"
    args = ["run", "--python", sys.executable, "--results-dir", str(folder), "-k",
            "'context_same_api or freeze_support_noop'"]
    done = _piped_to_head(args, tmp_path)
    stderr = (tmp_path / "stderr").read_text()
    assert "Traceback" not in stderr and "INTERNALERROR" not in stderr, stderr
    assert done.returncode in (0, 1), stderr
    (written,) = folder.glob("*.json")
    doc = json.loads(written.read_text())
    assert "interrupted" not in doc["harness"]["environment"]
    assert doc["tests"] and all(t.get("metadata") for t in doc["tests"])
    assert doc["exitcode"] in (0, 1)


def _to_a_gone_reader(args: List[str]) -> "subprocess.CompletedProcess[bytes]":
    """``python -m harness ARGS`` writing to a pipe whose reader is gone before the first write
    (no race with `head`), its stdout block-buffered as on a machine without PYTHONUNBUFFERED."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run([sys.executable, "-m", "harness", *args], cwd=str(ROOT), env=env,
                              stdout=write, stderr=subprocess.PIPE, timeout=300)
    finally:
        os.close(write)


def test_check_whose_reader_left_ends_quietly(tmp_path: Path) -> None:
    """As for a Unix tool that SIGPIPE ended: no BrokenPipeError traceback (was exit 1 with
    one), exit 141 = 128 + SIGPIPE."""
    script = tmp_path / "mine.py"
    script.write_text("def f():\n    print('hi')\n")
    done = _to_a_gone_reader(["check", "--python", sys.executable, "%s:f" % script])
    stderr = done.stderr.decode()
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr
    assert done.returncode == 141, stderr


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], [], ["interpreters"]])
def test_any_command_whose_reader_left_ends_quietly(args: List[str]) -> None:
    """With stdout block-buffered (a fresh machine, a CI runner: no PYTHONUNBUFFERED) the
    exit's own flush met the gone reader: "Exception ignored … BrokenPipeError", exit 120
    (review r11)."""
    done = _to_a_gone_reader(args)
    stderr = done.stderr.decode()
    assert "BrokenPipeError" not in stderr and "Exception ignored" not in stderr, stderr
    assert done.returncode == 141, stderr
