"""`check --pytest` diagnoses a test that fails under every method by the rules script mode
applies to a script's error: a Pool given a lambda fails under fork too, and its cause is still
the cause (the new-user review ran `check run_lambda.py` and `check --pytest` on one package:
the script read `[lambda-or-local-function]`, the test no cause)."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest

from harness import check_pytest, check_tests
from harness.guest.check_watch import RUNNING
from harness.results import HANG_QUOTE
from harness.runner import CaseRun
from harness.vocab import Outcome

_LAMBDA = "AttributeError: Can't pickle local object 'square.<locals>.<lambda>'"


def _runs(tests: Dict[str, Any]) -> Dict[Any, CaseRun]:
    return {("3.11", m): CaseRun(case="--pytest", method=m, outcome=Outcome.OK, observed={
        "tests": tests, "methods_by_test": {t: [m] for t in tests}, "children": []})
        for m in ("fork", "forkserver", "spawn")}


def test_a_test_failing_under_every_method_is_given_its_cause() -> None:
    runs = _runs({"t.py::test_square": {"outcome": "failed", "error": _LAMBDA},
                  "t.py::test_plain": {"outcome": "failed", "error": "assert 1 == 2"},
                  "t.py::test_ok": {"outcome": "passed", "error": ""}})
    verdicts, always = check_pytest.compare(runs)
    assert verdicts == [] and len(always) == 2
    causes = {v.test: [d["code"] for d in v.diagnoses]
              for v in check_pytest.failing_everywhere(runs)}
    assert causes == {"t.py::test_square": ["lambda-or-local-function"],
                      "t.py::test_plain": []}  # an assertion alone names no cause
    lines = check_pytest.format_tests(verdicts, always, runs).splitlines()
    at = lines.index("  t.py::test_square (3.11)")
    assert lines[at + 1].startswith("    [lambda-or-local-function] square.<locals>.<lambda> "
                                    "is a lambda")
    assert lines[at + 2].startswith("      fix: define the function at module level")
    plain = lines.index("  t.py::test_plain (3.11)")
    assert not lines[plain + 1].lstrip().startswith("[")


def test_a_test_hung_everywhere_is_not_listed_twice() -> None:
    """Hangs under every method have their own lines (``hung_everywhere``); with no cause
    found, said as the script form says it (review r13: "hung under" a slow test too)."""
    runs = _hung_everywhere()
    assert check_pytest.failing_everywhere(runs) == []
    verdicts, always = check_pytest.compare(runs)
    assert (verdicts, always) == ([], [])
    text = " ".join(check_pytest.format_tests(verdicts, always, runs, timeout=5).split())
    assert "failing under every start method" not in text
    assert text.count("t.py::test_hang (3.11) was still running at the 5 s limit under "
                      "fork/forkserver/spawn: no cause recognised (a slow test, or a hang "
                      "under every method;") == 1, text
    assert text.endswith("rerun with a longer limit, e.g. --timeout 30"), text
    assert "hung under" not in text


def _hung_everywhere() -> Dict[Any, CaseRun]:
    """Each run killed in t.py::test_hang, which wrote nothing: check's own marker is the last
    line on stderr."""
    marker = RUNNING + "t.py::test_hang"
    return {("3.11", m): CaseRun(
        case="--pytest", method=m, outcome=Outcome.TIMEOUT, stderr=marker + "\n",
        detail="no result within the hard timeout; process tree killed" + HANG_QUOTE + marker,
        observed={"tests": {}, "children": []}) for m in ("fork", "forkserver", "spawn")}


def test_checks_own_marker_is_not_quoted_as_where_a_test_hung() -> None:
    """``check: running TEST`` is check's own line: the text names the test, not the line."""
    text = " ".join(check_pytest.format_tests([], [], _hung_everywhere()).split())
    assert RUNNING not in text
    assert "in t.py::test_hang, which wrote nothing to stderr before the kill" in text


def test_a_hang_after_the_last_test_is_not_said_to_be_in_it() -> None:
    """The run had finished its last test when it hung (review r21: "in X, which wrote
    nothing ... (after its last test, X, had finished)"): said after the test, never in it."""
    runs = _hung_everywhere()
    for run in runs.values():
        run.observed["tests"] = {"t.py::test_hang": {"outcome": "passed", "error": ""}}
    text = " ".join(check_pytest.format_tests([], [], runs).split())
    assert "in t.py::test_hang" not in text, text
    assert "; it hung after its last test (t.py::test_hang) had finished: at pytest's session " \
           "end or at the program's exit (" in text, text
    assert "writing nothing to stderr after it" in text, text


def test_failing_where_not_every_method_ran_does_not_say_every() -> None:
    """Ctrl-C before spawn's run: failing under fork and forkserver is not "every start
    method" (spawn never ran the test)."""
    runs = _runs({"t.py::test_square": {"outcome": "failed", "error": _LAMBDA}})
    del runs[("3.11", "spawn")]
    text = " ".join(check_pytest.format_tests(*check_pytest.compare(runs), runs).split())
    assert "failing under every start method that reached them (not about the method; not " \
           "reached in 3.11[spawn]): 1 test(s)" in text
    full = _runs({"t.py::test_square": {"outcome": "failed", "error": _LAMBDA}})
    text = " ".join(check_pytest.format_tests(*check_pytest.compare(full), full).split())
    assert "failing under every start method (not about the method): 1 test(s)" in text


def test_hung_everywhere_reads_each_runs_stderr_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test each run hung in is read from its stderr once a run (it read it four times)."""
    runs = _hung_everywhere()
    read: List[CaseRun] = []
    hung_test = check_tests.hung_test

    def counted(run: CaseRun) -> str:
        read.append(run)
        return hung_test(run)

    monkeypatch.setattr(check_tests, "hung_test", counted)
    assert [h.test for h in check_pytest.hung_everywhere(runs)] == ["t.py::test_hang"]
    assert len(read) == len(runs), read
