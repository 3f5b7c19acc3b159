"""`check --pytest` diagnoses a test that fails under every method by the rules script mode
applies to a script's error: a Pool given a lambda fails under fork too, and its cause is still
the cause (the new-user review ran `check run_lambda.py` and `check --pytest` on one package:
the script read `[lambda-or-local-function]`, the test no cause)."""

from __future__ import annotations

from typing import Any, Dict

from harness import check_pytest
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
    assert lines[at + 1].startswith("    [lambda-or-local-function] local object "
                                    "'square.<locals>.<lambda>'")
    assert lines[at + 2].startswith("      fix: define the function at module level")
    plain = lines.index("  t.py::test_plain (3.11)")
    assert not lines[plain + 1].lstrip().startswith("[")


def test_a_test_hung_everywhere_is_not_listed_twice() -> None:
    """Hangs under every method have their own lines (``hung_everywhere``)."""
    runs = _runs({"t.py::test_hang": {"outcome": check_pytest.HUNG, "error": ""}})
    assert check_pytest.failing_everywhere(runs) == []
