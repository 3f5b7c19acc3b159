"""The command line's own input: an option value that cannot be right is a usage error, exit 2
in one line naming the option, before anything runs; the help says what each exit code means
(review r8: `--methods Fork` ran nothing and said only "no tests ran", `--jobs -3` ended in 40
lines of INTERNALERROR, `--leg banana` quoted Python tuples)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

from harness import cli, discovery, plugin

ROOT = Path(__file__).resolve().parent.parent.parent
SAMPLE = ROOT / "reports" / "sample"
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


@pytest.mark.parametrize("leg", ["banana", "3", "python3.12", "3.12.1", "pypy"])
def test_verify_leg_refuses_what_is_not_a_python_version(
        leg: str, capsys: pytest.CaptureFixture[str]) -> None:
    line = _usage_error(["verify-leg", "--leg", leg, str(SAMPLE / "linux-cpython-3.8.json")],
                        capsys)
    assert "argument --leg: %r is not a python-version" % leg in line


def test_verify_leg_of_a_path_that_does_not_exist_is_a_usage_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["verify-leg", str(tmp_path / "nope")]) == EXIT_USAGE
    assert capsys.readouterr().err == "harness: error: %s: no such file or folder\n" % (
        tmp_path / "nope")


def test_a_program_that_is_not_python_is_named_so_without_quoting_the_probe() -> None:
    """`--python /usr/bin/ls` quoted the probe's code back ("cannot access 'import sys, …'")."""
    rejected = discovery.inspect_interpreter("/usr/bin/ls")
    assert isinstance(rejected, discovery.Rejected)
    assert rejected.reason.startswith("not a Python interpreter"), rejected.reason
    assert "import sys" not in rejected.reason


def test_help_names_every_exit_code() -> None:
    """The top-level help and each command's: 130 (README: Ctrl-C keeps finished cells)."""
    top = cli.build_parser().format_help()
    assert "130 interrupted" in " ".join(top.split())
    for command in ("check", "verify-leg", "diff"):
        sub = _subparser(command).format_help()
        assert "Exit" in sub and "2" in sub, command
    assert "130" in _subparser("check").format_help()


def test_help_texts_are_plain_and_describe_every_argument() -> None:
    verify = _subparser("verify-leg").format_help()
    assert "``" not in verify and "CANARY" not in verify
    diff = _subparser("diff").format_help()
    for name in ("OLD", "NEW"):
        line = next(line for line in diff.splitlines() if line.strip().startswith(name))
        assert len(line.split()) > 1, line  # a description beside the name


def _subparser(name: str) -> "cli.argparse.ArgumentParser":
    parser = cli.build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return action.choices[name]  # type: ignore[index,no-any-return]


def test_a_missing_report_package_says_the_command_to_install_it(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The quick-start venv has only nox: `report` names the pip command, as `run` does."""
    monkeypatch.setitem(sys.modules, "jinja2", None)
    assert cli.main(["report", str(SAMPLE), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["harness: error: jinja2 is not installed: `report` needs jinja2 and "
                   "jsonschema: python -m pip install jinja2 jsonschema"]


def test_one_environment_is_singular(tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["report", str(SAMPLE / "linux-cpython-3.8.json"), "-o",
                     str(tmp_path)]) == 0
    assert re.match(r"report: 1 environment, [0-9]+ cases, ", capsys.readouterr().out)
