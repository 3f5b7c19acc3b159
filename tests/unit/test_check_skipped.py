"""`check --pytest` on a suite whose only difference by method is a skip (review r13 #5: a
skipif(get_start_method() != "fork") test made check exit 1 with no verdict line and no skip
reason, though no test failed anywhere)."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any, Dict, Tuple

import pytest

from harness import check, check_pytest, cli, discovery
from harness.guest.check_suite import Collector
from harness.runner import CaseRun
from harness.vocab import Outcome

TEST = "tests/test_server.py::test_state_inherited"
WHY = "needs fork: shares CALLS with the child"


def _run(interp: str, method: str, outcome: str) -> CaseRun:
    entry = {"outcome": outcome, "error": "", "reason": WHY if outcome == "skipped" else ""}
    return CaseRun(case="--pytest", method=method, outcome=Outcome.OK, observed={
        "tests": {TEST: entry, "t.py::test_pool": {"outcome": "passed", "error": ""}},
        "methods_by_test": {TEST: [method] if outcome == "passed" else [],
                            "t.py::test_pool": [method]},
        "default_method": "fork" if interp == "3.12" else "forkserver"})


def _runs(failed: str = "") -> Dict[Tuple[str, str], CaseRun]:
    return {(interp, m): _run(interp, m, "passed" if m == "fork" else failed or "skipped")
            for interp in ("3.12", "3.14") for m in ("fork", "forkserver", "spawn")}


def test_a_skip_is_said_with_its_reason_and_the_last_line_says_nothing_failed() -> None:
    runs = _runs()
    verdicts, always = check_pytest.compare(runs)
    lines = check_pytest.format_tests(verdicts, always, runs).splitlines()
    assert "  forkserver*skipped  " + WHY in lines
    assert lines[-1] == "no test failed; 1 test(s) run only under fork: skipped as it is on " \
                        "3.14 (default forkserver)"


def test_a_skip_nowhere_the_default_says_where_it_would_be() -> None:
    runs = {k: r for k, r in _runs().items() if k[0] == "3.12"}
    last = check_pytest.format_tests(*check_pytest.compare(runs), runs).splitlines()[-1]
    assert last.startswith("no test failed; 1 test(s) run only under fork: skipped as it is "
                           "where forkserver/spawn is the default (forkserver: Linux")


def _interpreter() -> discovery.Interpreter:
    return discovery.Interpreter(path="/x/python3.12", real_path="/x/python3.12",
                                 implementation="cpython", version=(3, 12, 1),
                                 free_threading=False, origin="PATH")


@pytest.mark.parametrize("failed, code", [("", 0), ("failed", 1)])
def test_the_exit_code_is_0_when_no_test_failed(
        failed: str, code: int, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """README: exit 0 when nothing failed (for --pytest: no test fails)."""
    runs = {k: r for k, r in _runs(failed).items() if k[0] == "3.12"}
    monkeypatch.setattr(check, "select_interpreters", lambda *a, **k: [_interpreter()])
    monkeypatch.setattr(check, "check", lambda *a, **k: runs)
    assert cli.main(["check", "--json", "--pytest", "-q"]) == code
    doc: Dict[str, Any] = json.loads(capsys.readouterr().out)
    assert doc["ok"] is (code == 0)
    assert doc["method_dependent"][0]["reasons"] == ({} if failed else {
        "forkserver": WHY, "spawn": WHY})
    assert cli.main(["check", "--pytest", "-q"]) == code
    assert ("no test failed" in capsys.readouterr().out) is not bool(failed)


def test_the_suite_records_pytests_skip_and_xfail_reasons() -> None:
    tests: Dict[str, Any] = {}
    collector = Collector(tests, None, "")
    try:
        collector.pytest_runtest_logreport(SimpleNamespace(
            nodeid="a", when="setup", failed=False, skipped=True,
            longrepr=("t.py", 3, "Skipped: " + WHY)))
        collector.pytest_runtest_logreport(SimpleNamespace(
            nodeid="b", when="call", failed=False, skipped=True, wasxfail="flaky on spawn"))
    finally:
        collector.close()
    assert tests == {"a": {"outcome": "skipped", "error": "", "reason": WHY},
                     "b": {"outcome": "xfailed", "error": "", "reason": "flaky on spawn"}}


def test_a_run_cut_short_keeps_the_skip_reasons_it_wrote(tmp_path: Any) -> None:
    from harness.guest.check_suite import PROGRESS

    (tmp_path / PROGRESS).write_text(json.dumps({"test": TEST, "outcome": "skipped",
                                                 "error": "", "reason": WHY}) + "\n")
    hung = CaseRun("--pytest", "spawn", Outcome.TIMEOUT)
    assert check_pytest.with_progress(hung, str(tmp_path)).observed["tests"] == {
        TEST: {"outcome": "skipped", "error": "", "reason": WHY}}
