"""`run` with an interpreter the harness cannot start from a case's own folder (review r16 #1):
a relative ``--python`` (or a wrapper whose first word is relative) made every cell a "crash"
of the case, "327 passed", exit 0, and `report` published it as 100 cases that "now crash".
A relative path is made absolute where it was typed; an interpreter that still cannot start
is the harness's failure: an error of the harness in the cell, one line, exit 1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict

import pytest

from harness import runner
from harness.guest import _procs
from harness.vocab import Outcome

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux shepherd")]

ROOT = Path(__file__).resolve().parent.parent.parent
ONE_CELL = ["-k", "context_same_api", "--methods", "spawn"]


def _run(python: str, cwd: Path) -> "subprocess.CompletedProcess[str]":
    return subprocess.run(
        [sys.executable, "-m", "harness", "run", "--python", python, *ONE_CELL,
         "--results-dir", str(cwd / "results")],
        cwd=str(cwd), env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
        text=True, timeout=300, check=False)


def _cell(folder: Path) -> Dict[str, Any]:
    (path,) = folder.glob("*.json")
    (test,) = json.loads(path.read_text(encoding="utf-8"))["tests"]
    cell: Dict[str, Any] = test["metadata"]
    return cell


@pytest.mark.parametrize("python", [".venv/bin/python", "./.venv/bin/python -X utf8"])
def test_a_relative_python_runs_the_cells(python: str, tmp_path: Path) -> None:
    """The relative path (or a command's relative first word) of a venv-like symlink, typed
    in the folder that holds it: the cell runs there and returns its value."""
    venv_python = tmp_path / ".venv" / "bin" / "python"
    venv_python.parent.mkdir(parents=True)
    venv_python.symlink_to(sys.executable)
    done = _run(python, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    cell = _cell(tmp_path / "results")
    assert (cell["outcome"], cell["detail"]) == (Outcome.OK.value, ""), cell


def test_an_interpreter_that_cannot_start_is_the_harnesss_error_and_exit_1(
        tmp_path: Path) -> None:
    """A wrapper gone once the probe has run (deleted; a venv rebuilt meanwhile): the shepherd
    cannot start it from the case's folder. One line says so, exit 1; the cell holds the
    harness's error, not the case's crash, and is no finding; the run is partial."""
    wrapper = tmp_path / "bin" / "python3"
    wrapper.parent.mkdir()
    wrapper.write_text('#!/bin/sh\ncase "$*" in *probe.py*) rm -- "$0";; esac\n'
                       'exec "%s" "$@"\n' % sys.executable)
    wrapper.chmod(0o755)
    done = _run(str(wrapper), tmp_path)
    out = done.stdout + done.stderr
    said = "cannot run %s (from the case's own folder): No such file or directory" % wrapper
    assert done.returncode == 1, out
    assert "harness: error: the harness could not run 1 of the 1 cells, so they hold no " \
           "result of the cases: %s: %s" % (runner.HARNESS_ERROR, said) in out, out
    assert "crash" not in out and "findings" not in out, out
    # no result of the case: a partial run, which never replaces an earlier results file
    assert "(partial: the harness could not run 1 cell; the report shows those cells as not " \
           "run, and why)" in out, out
    cell = _cell(tmp_path / "results")
    assert (cell["outcome"], cell["detail"], cell["error"]) == (
        Outcome.ERROR.value, runner.CANNOT_START,
        {"type": runner.HARNESS_ERROR, "message": said, "where": "harness"})


def test_a_shepherd_that_cannot_start_is_the_harnesss_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the runner itself starts nothing (no shepherd's interpreter; macOS and Windows
    start the interpreter directly), the same error, not an exception out of the run."""
    monkeypatch.setattr(_procs, "shepherd_python", lambda: str(tmp_path / "gone" / "python3"))
    run = runner.run_case("api.context_same_api", "spawn", 30, tmp_base=str(tmp_path))
    assert (run.outcome, run.detail, run.error) == (Outcome.ERROR, runner.CANNOT_START, {
        "type": runner.HARNESS_ERROR, "where": "harness", "message": "cannot run %s (from the "
        "case's own folder): No such file or directory" % (tmp_path / "gone" / "python3")})
    assert list(tmp_path.iterdir()) == []  # its folder went with it
