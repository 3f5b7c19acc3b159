"""The command line's own input: an option value that cannot be right is a usage error, exit 2
in one line naming the option, before anything runs; the help says what each exit code means
(review r8: `--methods Fork` ran nothing and said only "no tests ran", `--jobs -3` ended in 40
lines of INTERNALERROR, `--leg banana` quoted Python tuples)."""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import List

import markupsafe
import pytest

from harness import claimview, cli, discovery, plugin

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
@pytest.mark.parametrize("command", ["run", "check"])
def test_jobs_below_one_is_a_usage_error(command: str, value: str, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """One type for both commands' --jobs (check's also after --pytest)."""
    where = ["--results-dir", str(tmp_path)] if command == "run" else ["--pytest", "x"]
    line = _usage_error([command, "--jobs", value, *where], capsys)
    assert "--jobs" in line
    assert ("must be 1 or more, not %s" % value if value != "two" else
            "'two' is not a whole number") in line


@pytest.mark.parametrize("command", ["run", "report", "check", "verify-leg", "diff",
                                     "interpreters", "provision"])
def test_each_option_type_is_one_of_cli_types(command: str) -> None:
    """The commands' argument types live in one place, cli_types (check's --timeout type was
    its own, in check_cli; verify-leg's --leg and --max-broken types were legcheck's)."""
    from harness import cli_types

    typed = {a.dest: a.type for a in _subparser(command)._actions if a.type is not None}
    assert typed or command in ("diff", "interpreters", "provision")  # no typed option yet
    assert all(getattr(cli_types, getattr(t, "__name__", ""), None) is t
               for t in typed.values()), typed


@pytest.mark.parametrize("value", ["0", "-1", "soon"])
def test_a_timeout_that_is_not_more_than_0_seconds_is_a_usage_error(
        value: str, capsys: pytest.CaptureFixture[str]) -> None:
    line = _usage_error(["check", "--timeout", value, "--pytest", "x"], capsys)
    assert "--timeout" in line
    assert ("'soon' is not a number of seconds" if value == "soon" else
            "must be more than 0 seconds, not %s" % value) in line


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
    for command in ("run", "report", "check", "diff", "interpreters", "provision",
                    "verify-leg"):
        sub = _subparser(command).format_help()
        assert "Exit 0 " in " ".join(sub.split()), command
    assert "130" in _subparser("check").format_help()


def test_help_texts_are_plain_and_describe_every_argument() -> None:
    verify = _subparser("verify-leg").format_help()
    assert "``" not in verify and "CANARY" not in verify
    diff = _subparser("diff").format_help()
    for name in ("OLD", "NEW"):
        line = next(line for line in diff.splitlines() if line.strip().startswith(name))
        assert len(line.split()) > 1, line  # a description beside the name


def test_run_help_says_what_replaces_what() -> None:
    """It said "a partial file never replaces a results file", read as covering selections
    too (review r5: `-k pickling` replaced a 324-cell file)."""
    text = " ".join(_subparser("run").format_help().split())
    assert "one narrowed by --quick or a selection (-k, -m, --methods, --deselect, --ignore) " \
        "first moves that file " \
        "to <results-dir>/replaced/ and says so" in text
    assert "a partial one (stopped, a cell missing) never replaces it" in text


def _subparser(name: str) -> argparse.ArgumentParser:
    parser = cli.build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    sub: argparse.ArgumentParser = action.choices[name]  # type: ignore[index]
    return sub


def test_a_missing_report_package_says_the_command_to_install_it(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The quick-start venv has only nox: `report` names the pip command, as `run` does, and
    exits as `run` does, 2 (review r20: 1, which is `diff`'s "the runs differ" and
    `verify-leg`'s "the file does not prove its run")."""
    monkeypatch.setitem(sys.modules, "jsonschema", None)  # imported when a file is validated
    assert cli.main(["report", str(SAMPLE), "-o", str(tmp_path / "out")]) == EXIT_USAGE
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["harness: error: jsonschema is not installed: `report` needs jinja2 and "
                   "jsonschema: python -m pip install jinja2 jsonschema"]
    # diff (and verify-leg) validate files but render nothing: jinja2 is not theirs (r1 #9)
    assert cli.main(["diff", str(SAMPLE), str(SAMPLE)]) == EXIT_USAGE
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["harness: error: jsonschema is not installed: `diff` needs jsonschema: "
                   "python -m pip install jsonschema"]
    assert cli.main(["verify-leg", str(SAMPLE / "linux-cpython-3.8.json")]) == EXIT_USAGE
    assert capsys.readouterr().err.strip().splitlines() == [
        "harness: error: jsonschema is not installed: `verify-leg` needs jsonschema: "
        "python -m pip install jsonschema"]


def test_one_environment_is_singular(tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["report", str(SAMPLE / "linux-cpython-3.8.json"), "-o",
                     str(tmp_path)]) == 0
    assert re.match(r"report: 1 environment, [0-9]+ cases, ", capsys.readouterr().out)


def test_report_of_a_path_that_does_not_exist_is_a_usage_error_as_an_empty_folder_is(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Both are "nothing to read": exit 2, one line naming the path (it was 1 for the first)."""
    (tmp_path / "empty").mkdir()
    for path, problem in ((tmp_path / "nope", "no such file or folder"),
                          (tmp_path / "empty", "no results files in this folder")):
        assert cli.main(["report", str(path), "-o", str(tmp_path / "out")]) == EXIT_USAGE
        assert capsys.readouterr().err == "harness: error: %s: %s\n" % (path, problem)
    assert not (tmp_path / "out").exists()


def test_a_report_folder_given_to_report_is_read_for_its_results(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`report X -o X` twice: the second run leaves the first one's matrix.json and schemas out
    (they were three rejected files, exit 1); a reports folder is read through its results/."""
    folder = tmp_path / "sample"
    shutil.copytree(SAMPLE, folder)
    assert cli.main(["report", str(folder), "-o", str(folder)]) == 0
    first = capsys.readouterr()
    assert first.err == ""
    assert cli.main(["report", str(folder), "-o", str(folder)]) == 0
    second = capsys.readouterr()
    assert second.err == ""
    assert "%s: left out matrix.json, matrix.schema.json, results.schema.json (a report's own " \
           "files, not results)" % folder in second.out
    assert "report: 2 environments" in second.out
    reports = tmp_path / "reports"
    shutil.copytree(SAMPLE, reports / "results")
    assert cli.main(["report", str(reports / "results"), "-o", str(reports)]) == 0
    capsys.readouterr()
    assert cli.main(["report", str(reports), "-o", str(tmp_path / "again")]) == 0
    out = capsys.readouterr()
    assert out.err == "" and "%s is a report folder: reading its results/ (2 files)" % reports \
        in out.out


@pytest.mark.parametrize("ident", ["bogus-env", "linux-cpython", "linux-cpython-3",
                                   "Linux-cpython-3.13", "solaris-cpython-3.13",
                                   "linux-jython-2.7"])
def test_an_expected_environment_that_is_not_an_id_is_a_usage_error(
        ident: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = _usage_error(["report", str(SAMPLE), "-o", str(tmp_path), "--expect-env", ident],
                        capsys)
    assert "argument --expect-env: %r is not an environment id" % ident in line
    assert not (tmp_path / "matrix.json").exists()


@pytest.mark.parametrize(("given", "said"), [
    ("linux-cpython-3.14", "is not ENV_ID=REASON"), ("linux-cpython-3.14= ", "is not ENV_ID"),
    ("bogus=not found", "'bogus' is not an environment id"),
    # an arch suffix no environment has (only Intel macOS's): no grid slot, never shown
    ("linux-cpython-3.13-aarch64=not found", "'linux-cpython-3.13-aarch64' is not an "
     "environment id"),
    ("linux-cpython-3.13-x86_64=not found", "-x86_64 only for Intel macOS")])
def test_a_not_run_environment_without_an_id_and_a_reason_is_a_usage_error(
        given: str, said: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = _usage_error(["report", str(SAMPLE), "-o", str(tmp_path), "--not-run", given], capsys)
    assert "argument --not-run: " in line and said in line
    assert not (tmp_path / "matrix.json").exists()


def test_expected_environments_in_the_ids_shapes_get_their_columns(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """What CI's expected-environments.txt holds (results.env_id's shapes) is accepted; a bad
    line of that file is named with its line number and left out, the rest kept: exit 1."""
    good = ["linux-cpython-3.14t", "macos-cpython-3.13-x86_64", "windows-pypy-3.11",
            "linux-cpython-3.15.0a5t"]
    listed = tmp_path / "expected.txt"
    listed.write_text("# legs\n%s\nbogus-env\n" % "\n".join(good[1:]), encoding="utf-8")
    code = cli.main(["report", str(SAMPLE), "-o", str(tmp_path / "out"), "--expect-env", good[0],
                     "--expect-envs", str(listed)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert err == ["harness: error: --expect-envs %s:5: 'bogus-env' is not an environment id "
                   "(like linux-cpython-3.13)" % listed]
    matrix = json.loads((tmp_path / "out" / "matrix.json").read_text(encoding="utf-8"))
    assert set(good) <= {e["id"] for e in matrix["environments"]}
    assert "bogus-env" not in {e["id"] for e in matrix["environments"]}


def test_without_the_case_catalog_the_report_says_its_claims_are_left_out(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A pip-installed harness has no cases/: the terminal, the page and summary.md say the
    claims were left out (the page showed an empty table, exit 0, no word)."""
    monkeypatch.setattr(cli, "CASES", tmp_path / "site-packages" / "cases")
    assert cli.main(["report", str(SAMPLE), "-o", str(tmp_path / "out")]) == 0
    assert "report: claims left out: the case catalog (cases/) is not installed; run from the " \
           "checkout\n" in capsys.readouterr().out
    page = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert str(markupsafe.escape(claimview.LEFT_OUT)) in page
    assert 'class="claims"' not in page
    summary = (tmp_path / "out" / "summary.md").read_text(encoding="utf-8")
    assert "Claims left out: this report was built without the case catalog" in summary
    monkeypatch.undo()  # in the checkout: the claims, no such line
    assert cli.main(["report", str(SAMPLE), "-o", str(tmp_path / "out")]) == 0
    assert "claims left out" not in capsys.readouterr().out
    page = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert claimview.LEFT_OUT[:20] not in page and 'class="claims"' in page


def test_run_without_the_case_catalog_says_so_in_one_line(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(cli, "CASES", tmp_path / "site-packages" / "cases")
    assert cli.main(["run", "--results-dir", str(tmp_path / "results")]) == EXIT_USAGE
    assert capsys.readouterr().err == (
        "harness: error: `run` has nothing to run: the case catalog (cases/) is not installed; "
        "run from the checkout\n")
    assert not (tmp_path / "results").exists()


def test_an_installed_harness_writes_into_the_working_folder_not_site_packages(
        tmp_path: Path) -> None:
    """The package alone (what pip installs: harness/, no cases/): its defaults are reports/
    in the working folder; a checkout keeps its own reports/."""
    site, work = tmp_path / "site-packages", tmp_path / "work"
    shutil.copytree(ROOT / "harness", site / "harness",
                    ignore=shutil.ignore_patterns("__pycache__"))
    work.mkdir()
    env = {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}
    helps = [subprocess.run([sys.executable, "-m", "harness", command, "--help"], cwd=str(work),
                            env=env, capture_output=True, text=True, timeout=120,
                            check=True).stdout for command in ("run", "report")]
    assert "(default: reports/results)" in " ".join(helps[0].split())
    assert "(default: reports)" in " ".join(helps[1].split())
    assert str(site) not in helps[0] + helps[1]
    proc = subprocess.run([sys.executable, "-m", "harness", "report", str(SAMPLE)], cwd=str(work),
                          env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "claims left out" in proc.stdout and (work / "reports" / "index.html").is_file()
    checkout = _harness("report", "--help").stdout
    assert "(default: %s)" % (ROOT / "reports") in " ".join(checkout.split())


def test_an_empty_folder_beside_results_is_named_and_the_rest_still_merges(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty").mkdir()
    code = cli.main(["report", str(SAMPLE), str(tmp_path / "empty"), "-o", str(tmp_path / "out")])
    assert code == 1
    assert capsys.readouterr().err == "harness: error: %s: no results files in this folder\n" % (
        tmp_path / "empty")
    matrix = json.loads((tmp_path / "out" / "matrix.json").read_text(encoding="utf-8"))
    assert len(matrix["environments"]) == 2


@pytest.mark.parametrize("missing", ["pytest", "pytest_jsonreport"])
def test_run_without_its_pytest_plugins_says_what_to_install(
        missing: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Without pytest-json-report, `run` ended in pytest's "unrecognized arguments:
    --json-report" (seen on a host Python with pytest alone)."""
    monkeypatch.setitem(sys.modules, missing, None)  # `import` raises ImportError
    assert cli.main(["run", "--results-dir", str(tmp_path)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "needs pytest and pytest-json-report (%s is missing)" % missing in err


@pytest.mark.parametrize("command", ["verify-leg", "diff", "report"])
def test_a_symlink_loop_is_named_as_one_by_every_command(
        command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Review r5: verify-leg and diff called it "no such file or folder", report "Too many
    levels of symbolic links": one wording (the system's), whichever command reads it."""
    loop = tmp_path / "loop.json"
    loop.symlink_to(loop)
    argv = {"verify-leg": [command, str(loop)], "diff": [command, str(loop), str(loop)],
            "report": [command, str(loop), "-o", str(tmp_path / "out")]}[command]
    cli.main(argv)
    err = capsys.readouterr().err
    assert "%s: Too many levels of symbolic links" % loop in err, err
    assert "no such file" not in err, err


@pytest.mark.parametrize("name", ["C:\\Python312\\python.exe", "Program Files\\py thon.exe"])
def test_python_that_is_a_path_is_taken_whole(name: str, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """`run --python C:\\Python312\\python.exe` lost its backslashes (shlex's POSIX rules) and a
    path with a space split in two (review r8 #2): a path that exists is one word; a command
    (a chroot wrapper) is still split."""
    seen: List[List[str]] = []

    def inspect(path: str, command: "tuple[str, ...] | list[str]" = ()) -> discovery.Rejected:
        seen.append([path, *command])
        return discovery.Rejected(path, "stopped here by the test")

    monkeypatch.setattr(discovery, "inspect_interpreter", inspect)
    exe = tmp_path / name
    exe.write_text("", encoding="utf-8")
    assert cli.main(["run", "--python", str(exe), "--results-dir", str(tmp_path / "r")]) == 2
    assert seen == [[str(exe)]]
    seen.clear()
    cli.main(["run", "--python", "env -i /usr/bin/python3", "--results-dir", str(tmp_path / "r")])
    assert seen == [["env", "env", "-i", "/usr/bin/python3"]]


@pytest.mark.parametrize(("text", "command"), [
    ('"C:\\Program Files\\Python312\\python.exe" -X dev',
     ["C:\\Program Files\\Python312\\python.exe", "-X", "dev"]),
    ("C:\\Python312\\python.exe -I", ["C:\\Python312\\python.exe", "-I"]),
])
def test_a_windows_command_line_keeps_its_backslashes_and_loses_its_quotes(
        text: str, command: List[str]) -> None:
    """Windows' rules (shlex's posix=False) kept the quotes in the program's name, so a quoted
    path with an argument, the only way to pass one with a space, was not found (review r9
    F2)."""
    from harness import cli_types

    assert cli_types.python_command(text, windows=True) == command


def _venv_python(tmp_path: Path) -> Path:
    """``tmp_path/.venv/bin/python``: a symlink, as a venv's is."""
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.symlink_to(sys.executable)
    return python


def test_a_relative_python_becomes_absolute_and_stays_the_symlink(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`run --python .venv/bin/python`, and a wrapper whose first word is relative, ran every
    cell from the case's own folder, where the path is not: 327 "crash" cells, exit 0 (review
    r16 #1). Absolute against the folder it was typed in; the venv's symlink is kept."""
    from harness import cli_types

    python = _venv_python(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert cli_types.python_command(".venv/bin/python") == [str(python)]
    assert cli_types.python_command("./.venv/bin/python -I -S wrap.py --bind /tmp") == [
        str(python), "-I", "-S", "wrap.py", "--bind", "/tmp"]
    for name in ("python3", "missing/python", "/usr/bin/python3 -I"):  # PATH's, or not here
        assert cli_types.python_command(name) == name.split()


def test_a_relative_python_through_a_symlinked_folder_and_up_is_where_the_kernel_goes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``link/../python`` goes up from where ``link`` points, not back to ``tmp_path``: the
    absolute path names the same file (abspath would name one that does not exist)."""
    from harness import cli_types

    (tmp_path / "real" / "sub").mkdir(parents=True)
    (tmp_path / "real" / "python").symlink_to(sys.executable)
    (tmp_path / "link").symlink_to(tmp_path / "real" / "sub")
    monkeypatch.chdir(tmp_path)
    absolute = cli_types.python_path("link/../python")
    assert Path(absolute).is_absolute() and Path(absolute).samefile(tmp_path / "real" / "python")


def test_check_and_interpreters_take_a_relative_python_as_absolute(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """check's --python (before and after --pytest) and `interpreters --python` (and
    HARNESS_PYTHONS) get the same absolute path as run's."""
    python = _venv_python(tmp_path)
    monkeypatch.chdir(tmp_path)
    check = _subparser("check")
    assert check.parse_args(["--python", ".venv/bin/python", "t.py"]).python == [str(python)]
    pairs = discovery.candidate_paths([".venv/bin/python"],
                                      {"HARNESS_PYTHONS": ".venv/bin/python", "PATH": ""}, [])
    assert pairs == [(str(python), "explicit")] * 2
