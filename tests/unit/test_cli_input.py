"""The command line's own input: an option value that cannot be right is a usage error, exit 2
in one line naming the option, before anything runs; the help says what each exit code means
(review r8: `--methods Fork` ran nothing and said only "no tests ran", `--jobs -3` ended in 40
lines of INTERNALERROR, `--leg banana` quoted Python tuples)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

from harness import cli, plugin

ROOT = Path(__file__).resolve().parent.parent.parent
EXIT_USAGE = 2


def _harness(*argv: str, cwd: Path = ROOT) -> "subprocess.CompletedProcess[str]":
    return subprocess.run([sys.executable, "-m", "harness", *argv], cwd=str(cwd),
                          capture_output=True, text=True, timeout=120, check=False,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


def _usage_error(argv: List[str], capsys: pytest.CaptureFixture[str]) -> str:
    """argparse's usage error: exit 2; its last stderr line."""
    with pytest.raises(SystemExit) as stop:
        cli.main(argv)
    assert stop.value.code == EXIT_USAGE
    return capsys.readouterr().err.strip().splitlines()[-1]


@pytest.mark.parametrize("value", ["-3", "0", "two"])
def test_run_jobs_below_one_is_a_usage_error(value: str, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    line = _usage_error(["run", "--jobs", value, "--results-dir", str(tmp_path)], capsys)
    assert "--jobs" in line
    assert ("must be 1 or more, not %s" % value if value != "two" else
            "'two' is not a whole number") in line


@pytest.mark.parametrize(("text", "methods"), [
    ("fork", ["fork"]), ("spawn,fork", ["spawn", "fork"]), ("fork, spawn,fork,", ["fork", "spawn"]),
])
def test_methods_are_kept_in_the_given_order_once_each(text: str, methods: List[str]) -> None:
    assert plugin.parse_methods(text) == methods


@pytest.mark.parametrize(("text", "problem"), [
    ("Fork", "--methods: 'Fork' is not a start method (fork, forkserver, spawn)"),
    ("fork,forksever", "--methods: 'forksever' is not a start method"),
    (",", "--methods: name at least one start method"),
])
def test_a_method_that_is_not_a_start_method_is_refused(text: str, problem: str) -> None:
    with pytest.raises(pytest.UsageError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        plugin.parse_methods(text)


@pytest.mark.parametrize("argv", [["--methods", "Fork"], ["--", "--case-jobs", "-1"]],
                         ids=["methods", "case-jobs"])
def test_run_with_a_bad_plugin_option_stops_before_any_cell(argv: List[str],
                                                            tmp_path: Path) -> None:
    """Through `python -m harness run` (and so `nox -s matrix -- --methods …`): exit 2, one line
    naming the option, no results file, no traceback."""
    proc = _harness("run", "--results-dir", str(tmp_path), *argv)
    assert proc.returncode == EXIT_USAGE, proc.stdout + proc.stderr
    said = [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]
    assert len(said) == 1 and argv[-2] in said[0], said
    assert "Traceback" not in proc.stderr and list(tmp_path.iterdir()) == []
