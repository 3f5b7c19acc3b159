"""`check --pytest` judges each run on its own: a run whose tests' processes never used its
method says nothing about that method (r10 F-H: a conftest.py forcing fork, the usual 3.14
band-aid, made every test "checked" by the fork run and the suite "not method-dependent")."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Tuple

import pytest

from harness import check, check_pytest, check_tests, cli, discovery
from harness.runner import CaseRun
from harness.vocab import Outcome

METHODS = ("fork", "forkserver", "spawn")
TESTS = ("t.py::test_pool", "t.py::test_queue")


def _run(method: str, by_test: Dict[str, List[str]]) -> CaseRun:
    tests = {t: {"outcome": "passed", "error": ""} for t in TESTS}
    return CaseRun(case="--pytest", method=method, outcome=Outcome.OK, observed={
        "tests": tests, "methods_by_test": by_test, "default_method": "fork"})


def _forced_fork() -> Dict[Tuple[str, str], CaseRun]:
    """Every run's tests started their processes with fork (set_start_method("fork",
    force=True) in a conftest.py)."""
    return {("3.12", m): _run(m, {t: ["fork"] for t in TESTS}) for m in METHODS}


def test_a_suite_forcing_fork_claims_nothing_about_the_other_methods() -> None:
    text = check_pytest.format_tests([], [], _forced_fork())
    assert "no test depends on the start method" not in text
    assert "not checked: forkserver/spawn on 3.12 (ran fork)" in text
    assert "nothing about start methods was compared" in text
    assert check_tests.exercised(_forced_fork()) == ([], list(TESTS))


def test_a_run_none_of_whose_tests_used_its_method_is_named() -> None:
    """fork and spawn exercised, forkserver not: the claim is limited to what was checked."""
    runs = _forced_fork()
    runs[("3.12", "spawn")] = _run("spawn", {t: ["spawn"] for t in TESTS})
    assert check_tests.idle_runs(runs) == {("3.12", "forkserver"): "ran fork"}
    text = check_pytest.format_tests([], [], runs)
    assert "no test depends on the start method among the runs that used their method " \
           "(not checked: 3.12[forkserver] (ran fork))" in text
    # Every run exercised: the plain claim.
    runs[("3.12", "forkserver")] = _run("forkserver", {t: ["forkserver"] for t in TESTS})
    assert check_tests.idle_runs(runs) == {}
    assert check_pytest.format_tests([], [], runs).splitlines()[0] == \
        "no test depends on the start method"


def test_a_test_pinned_to_fork_is_not_checked_by_the_fork_run_alone() -> None:
    runs = {("3.12", m): _run(m, {TESTS[0]: [m], TESTS[1]: ["fork"]}) for m in METHODS}
    assert check_tests.exercised(runs) == ([TESTS[0]], [TESTS[1]])
    assert check_tests.idle_runs(runs) == {}


def _fake_interpreter() -> discovery.Interpreter:
    return discovery.Interpreter(path="/x/python3.12", real_path="/x/python3.12",
                                 implementation="cpython", version=(3, 12, 1),
                                 free_threading=False, origin="PATH")


def test_json_agrees_with_the_text_and_the_exit_is_not_ok(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(check, "select_interpreters", lambda *a, **k: [_fake_interpreter()])
    monkeypatch.setattr(check, "check", lambda *a, **k: _forced_fork())
    assert cli.main(["check", "--json", "--pytest", "-q"]) == 1
    doc: Dict[str, Any] = json.loads(capsys.readouterr().out)
    assert doc["ok"] is False
    assert doc["tests_not_exercising_the_method"] == list(TESTS)
    assert doc["runs_not_exercising_the_method"] == {"3.12[forkserver]": "ran fork",
                                                     "3.12[spawn]": "ran fork"}
    assert cli.main(["check", "--pytest", "-q"]) == 1
    assert "no test depends" not in capsys.readouterr().out


def _windows() -> Dict[Tuple[str, str], CaseRun]:
    """fork and forkserver unavailable, spawn's run exercised spawn (review r12 F4)."""
    runs = {("3.12", m): CaseRun(case="--pytest", method=m, outcome=Outcome.UNAVAILABLE,
                                 detail="%s is not a start method on win32" % m)
            for m in ("fork", "forkserver")}
    runs[("3.12", "spawn")] = _run("spawn", {t: ["spawn"] for t in TESTS})
    return runs


def test_one_method_available_is_said_plainly_and_is_no_failure(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """On Windows spawn alone: its run used it, every method there was checked (exit 0), and
    the summary says there was nothing to compare it with; an idle spawn run still fails."""
    runs = _windows()
    assert check_tests.compared(runs, check_tests.idle_runs(runs))
    assert "spawn on 3.12: the only start method available there, so each test ran under it " \
           "alone: nothing to compare it with" in check_pytest.format_tests([], [], runs)
    monkeypatch.setattr(check, "select_interpreters", lambda *a, **k: [_fake_interpreter()])
    monkeypatch.setattr(check, "check", lambda *a, **k: _windows())
    assert cli.main(["check", "--pytest", "-q"]) == 0
    capsys.readouterr()
    runs[("3.12", "spawn")] = _run("spawn", {t: [] for t in TESTS})
    assert not check_tests.compared(runs, check_tests.idle_runs(runs))


def _named_only() -> Dict[Tuple[str, str], CaseRun]:
    """A script whose every process asks for its method by name (loky's own "loky", a
    get_context("spawn")): every cell ok, none used the method made the default."""
    return {("3.12", m): CaseRun(case="p.py", method=m, outcome=Outcome.OK, observed={
        "start_attempts": 2, "processes_started": 2, "methods_used": ["spawn"],
        "explicit_only": True, "default_method": "fork"}) for m in METHODS}


def test_a_script_no_cell_of_which_checked_its_method_exits_as_pytest_does(
        tmp_path: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exit status 1, as --pytest's when no two runs of one interpreter used their method
    (review r21: loky's README example exited 0); one such run short is still not compared,
    two are."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.py").write_text("")
    monkeypatch.setattr(check, "select_interpreters", lambda *a, **k: [_fake_interpreter()])
    runs = _named_only()
    monkeypatch.setattr(check, "check", lambda *a, **k: runs)
    assert cli.main(["check", "p.py"]) == 1
    assert " ".join(capsys.readouterr().out.split()).endswith(
        ": nothing about start methods was compared")
    runs[("3.12", "spawn")] = CaseRun(case="p.py", method="spawn", outcome=Outcome.OK,
                                      observed={"start_attempts": 2, "methods_used": ["spawn"]})
    assert cli.main(["check", "--json", "p.py"]) == 1
    assert json.loads(capsys.readouterr().out)["ok"] is False
    runs[("3.12", "fork")] = CaseRun(case="p.py", method="fork", outcome=Outcome.OK,
                                     observed={"start_attempts": 2, "methods_used": ["fork"]})
    assert cli.main(["check", "p.py"]) == 0
    assert "compared" not in capsys.readouterr().out
