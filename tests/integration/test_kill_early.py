"""A stop signal early in a real ``harness run`` (while it asks the interpreter what it is,
while pytest probes its environment) or late (once the results file is written): one line in
the later runs' words, no process left (review r5: "harness: error: interrupted", or only
pytest's KeyboardInterrupt banner; "writing the results" after they were written). Each
signal is sent at a point the run reaches, never after a sleep."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.guest import _procs
from tests.integration.test_kill import ROOT
from tests.integration.test_kill_late import _ctrl_c_at

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux /proc"),
]


@pytest.mark.parametrize("at", ["sysconfig", "probe.py"], ids=["asking", "probing"])
def test_a_signal_before_any_cell_is_one_line_in_the_runs_words(tmp_path: Path,
                                                                at: str) -> None:
    """The --python wrapper sends SIGTERM to the run when it is asked what it is (before
    pytest) or to probe (inside pytest's session start), then hangs."""
    wrapper = tmp_path / "python3"
    wrapper.write_text('#!/bin/sh\ncase "$*" in *%s*) echo $$ > "%s"; kill -TERM $PPID; '
                       'exec sleep 300;; esac\nexec "%s" "$@"\n' % (
                           at, tmp_path / "wrapper.pid", sys.executable))
    wrapper.chmod(0o755)
    done = subprocess.run(
        [sys.executable, "-m", "harness", "run", "--python", str(wrapper), "-k", "api",
         "--methods", "fork", "--results-dir", str(tmp_path / "results")],
        cwd=str(ROOT), capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 130, done
    assert done.stderr.splitlines() == ["harness: interrupted by SIGTERM before any cell "
                                        "finished; no results file written"], done
    assert "error" not in done.stdout + done.stderr
    session = int((tmp_path / "wrapper.pid").read_text())
    assert [pid for pid, (_, sid, state) in _procs.proc_table().items()
            if sid == session and state != "Z"] == []
    assert not (tmp_path / "results").exists() or not any((tmp_path / "results").iterdir())


_AFTER_WRITING = '''
import signal

import pytest


@pytest.hookimpl(trylast=True)
def pytest_json_modifyreport(json_report):
    signal.raise_signal(signal.SIGINT)
'''


def test_a_signal_after_the_results_file_was_written_says_only_exiting(
        tmp_path: Path) -> None:
    _root, earlier, out = _ctrl_c_at(tmp_path, _AFTER_WRITING, "", "returns_value")
    assert "harness: SIGINT after the results file was written: exiting" in out, out
    assert "writing the results" not in out, out
    assert "results written to %s (complete: every cell had finished before SIGINT)" % (
        earlier) in out, out
    assert os.path.getsize(earlier) > 100  # the complete run's file replaced it
