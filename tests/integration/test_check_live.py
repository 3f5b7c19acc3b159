"""What `check` says while it runs and when it is stopped: a line on stderr as each run ends
(none mixed into --json's stdout), a script's check cut short by SIGTERM (as Ctrl-C) reports
the runs that finished, and pytest rejecting its arguments under every method is a usage
error. Real runs of the interpreter running the tests."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.integration.check_run import FIXTURES
from tests.integration.test_check_partial import ENV, _descendants, stop_when

pytestmark = pytest.mark.slow

_CHECK = [sys.executable, "-m", "harness", "check"]


def test_each_run_says_when_it_ends_on_stderr_and_json_stays_clean() -> None:
    argv = _CHECK + ["fine.py", "--python", sys.executable]
    proc = subprocess.run(argv, cwd=str(FIXTURES), capture_output=True, text=True, env=ENV,
                          timeout=120, check=False)
    lines = [line for line in proc.stderr.splitlines() if line.startswith("check: ")]
    name = _name(lines[0])
    assert [line.split()[1:3] for line in lines[1:]] == [
        ["1/3", "%s[fork]" % name], ["2/3", "%s[forkserver]" % name],
        ["3/3", "%s[spawn]" % name]], proc.stderr
    assert all(" ok in " in line for line in lines[1:])
    quiet = subprocess.run(argv + ["--json"], cwd=str(FIXTURES), capture_output=True,
                           text=True, env=ENV, timeout=120, check=False)
    json.loads(quiet.stdout)  # the document alone
    assert "check: " not in quiet.stderr  # stderr is no terminal here: nobody watches it


def _name(header: str) -> str:
    """The interpreter's name, as check's first line says it (``... on 3.11 ...``)."""
    return header.rpartition(" on ")[2].rpartition(" ...")[0]


def test_sigterm_in_a_scripts_check_reports_the_runs_that_finished() -> None:
    """SIGTERM while the second run is going on: the first run's cell is shown, the last line
    claims nothing about the runs never finished and names them, nothing is left running, and
    check exits 130 (it printed only "interrupted")."""
    proc = subprocess.Popen(_CHECK + ["slow_child.py", "--timeout", "60", "--python",
                                      sys.executable], cwd=str(FIXTURES), env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def first_ended() -> bool:
        """The first run's progress line came (the second has started), or stderr ended."""
        assert proc.stderr is not None
        line = proc.stderr.readline()
        return not line or line.startswith("check: 1/3")

    out, err = stop_when(proc, first_ended)
    row = out.splitlines()[2].split()  # the table's row: the interpreter, then its cells
    name = row[0]
    assert proc.returncode == 130, err
    assert row[1].startswith("ok") and [c.rstrip("*") for c in row[2:]] == ["-", "-"], out
    last = " ".join(out.split()).rpartition("default start method: what your code uses as it "
                                            "is ")[2]
    assert "every start method" not in last
    assert last.endswith(f"(interrupted: not run: {name}[forkserver], {name}[spawn])"), out
    assert "interrupted by SIGTERM (not run: %s[forkserver], %s[spawn]); the runs that finished " \
        "are above" % (name, name) in err, err
    assert not _descendants(proc.pid)


def test_sigterm_in_a_scripts_check_names_the_runs_not_run_in_json() -> None:
    """--json, SIGTERM while the second run is going on: the document lists the runs never
    finished and is not ok (it said ok: true and named none of them)."""
    proc = subprocess.Popen(_CHECK + ["slow_child.py", "--json", "--timeout", "60", "--python",
                                      sys.executable], cwd=str(FIXTURES), env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # fork's run ended once forkserver's started (progress is not said with --json).
    out, err = stop_when(proc, lambda: any("\0forkserver\0" in line
                                           for line in _descendants(proc.pid)))
    assert proc.returncode == 130, err
    doc = json.loads(out)
    assert [r["method"] for r in doc["results"]] == ["fork"], doc["results"]
    name = doc["results"][0]["environment"]
    assert doc["not_run_interrupted"] == [f"{name}[forkserver]", f"{name}[spawn]"], doc
    assert doc["ok"] is False


def test_arguments_pytest_rejects_under_every_method_are_a_usage_error() -> None:
    """pytest's exit status 4 (``ExitCode.USAGE_ERROR``) in every run: exit 2, as check's own
    usage errors (it exited 1, as if a test had failed)."""
    proc = subprocess.run(_CHECK + ["--pytest", "--no-such-option"], cwd=str(FIXTURES / "suite"),
                          capture_output=True, text=True, env=ENV, timeout=120, check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "unrecognized arguments: --no-such-option" in proc.stdout
