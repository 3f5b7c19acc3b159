"""The run's closing list of findings (``harness run``'s terminal): one line per cell that ran
and differs from its rule; never a cell where nothing ran, never a cell that agrees. And the
line a hang quotes (the last its processes wrote to stderr): what the case said, safe to print."""

from __future__ import annotations

from typing import Any, Dict, Optional

import pytest

from harness import cellview, expect, judge
from harness.results import HANG_QUOTE
from harness.vocab import Outcome, Verdict

RULE_OK_1 = {"outcome": "ok", "value": 1}


def _cell(outcome: str, verdict: str, expected: Optional[Dict[str, Any]] = None,
          **fields: Any) -> Dict[str, Any]:
    return {"outcome": outcome, "verdict": verdict, "expected": expected or RULE_OK_1, **fields}


def test_a_cell_that_ran_and_differs_is_listed_with_rule_and_observation() -> None:
    cell = _cell("ok", "unexpected", observed=2)
    assert judge.finding_line("api.x[fork]", cell) == \
        "api.x[fork]: expected ok 1, observed ok 2"


def test_an_error_is_named_by_type_and_message() -> None:
    error = {"type": "PicklingError", "message": "can't\n  pickle"}
    cell = _cell("error", "unexpected", error=error)
    assert judge.finding_line("p.y[spawn]", cell) == \
        "p.y[spawn]: expected ok 1, observed error PicklingError: can't pickle"


def test_a_hang_says_where_it_hung() -> None:
    detail = "no result within the hard timeout; process tree killed" + HANG_QUOTE + "child: lock"
    cell = _cell("timeout", "unexpected", detail=detail)
    assert judge.finding_line("d.z[fork]", cell) == \
        "d.z[fork]: expected ok 1, observed timeout; last line on stderr: child: lock"


@pytest.mark.parametrize("cell", [
    _cell("ok", Verdict.AS_EXPECTED.value, observed=1),
    _cell("ok", Verdict.NO_EXPECTATION.value, expected=None),
    # fork on Windows against a rule that expected it to run: nothing ran, nothing to report
    _cell("unavailable", "unexpected"),
    # the harness could not start it: the run's one error line counts it (review r16 #1)
    _cell("error", "unexpected", error={"type": "HarnessError", "where": "harness",
                                        "message": "cannot run .venv/bin/python"}),
], ids=["agrees", "no rule", "nothing ran", "harness failed"])
def test_no_line_for_a_cell_that_is_not_a_finding(cell: Dict[str, Any]) -> None:
    assert judge.finding_line("k[fork]", cell) is None


def test_the_terminal_and_the_page_agree_on_what_is_compared() -> None:
    """The page marks exactly the cells the terminal lists as differing (one rule for both)."""
    cells = [_cell(o.value, v.value) for o in Outcome for v in Verdict]
    for cell in cells:
        listed = judge.finding_line("k", cell) is not None
        assert listed == (cellview.verdict_of(cell) == "unexpected"), cell  # type: ignore[arg-type]


@pytest.mark.parametrize(("stderr", "quoted"), [
    ("child: taking the lock\n\n  \n", "child: taking the lock"),
    # a case cannot retitle the window, clear the screen or fake a message in colour
    ("x\n\x1b]0;PWNED\x07\x1b[2J\x1b[31mall tests passed\x1b[0m\n", "all tests passed"),
    ("BLOCKED\n\x1b[0m\n", "BLOCKED"),  # a line of escapes alone says nothing
    ("BLOCKED\n[... 2116 bytes cut by the harness ...]\n\n", "BLOCKED"),  # not the harness's
    ("\ufffdst half of a cut character", "st half of a cut character"),
    ("bell\x07 and \u202eright-to-left", "bell\\x07 and \\u202eright-to-left"),
    ("", ""),
])
def test_the_quoted_line_is_what_the_case_said_and_safe_to_print(stderr: str,
                                                                  quoted: str) -> None:
    from harness import capture

    assert capture.last_line(stderr) == quoted


def test_the_terminal_words_a_rule_as_the_page_does() -> None:
    """One wording of a rule: an inferred hang rule reads the same in the finding line as on the
    page (the terminal once dropped "inferred" and quoted ``said`` its own way)."""
    rule = {"outcome": "timeout", "said": "child: lock", "inferred": True}
    line = judge.finding_line("d.z[fork]", _cell("ok", "unexpected", expected=rule, observed=1))
    assert line == "d.z[fork]: expected %s, observed ok 1" % expect.expectation_text(rule)
    assert 'timeout where it says "child: lock" (inferred from the documented mechanism)' in line


def test_the_terminal_shows_the_expected_value_as_far_as_the_observed_one() -> None:
    """The page shortens a rule's value to fit a cell; the finding line must not: api.manager_ctx
    on 3.12 read 'expected ok {..., "with_ctx": nu…, observed ok {..., "with_ctx": "fork", ...}',
    the expected value cut just where it differs."""
    value = {"fresh": None, "server_saw": "import-time", "with_ctx": None,
             "without_ctx_sets_default": True}
    observed = dict(value, with_ctx="fork")
    line = judge.finding_line("api.manager_ctx[spawn]", _cell(
        "ok", "unexpected", expected={"outcome": "ok", "value": value}, observed=observed))
    assert line == ('api.manager_ctx[spawn]: expected ok {"fresh": null, "server_saw": '
                    '"import-time", "with_ctx": null, "without_ctx_sets_default": true}, observed '
                    'ok {"fresh": null, "server_saw": "import-time", "with_ctx": "fork", '
                    '"without_ctx_sets_default": true}')
