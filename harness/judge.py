"""A case run judged against its expectation: the results file's cell (``judge``), and the
line ``harness run`` prints at the end for a cell that ran and differs (``finding_line``).

Host side (the run chain); the plugin calls both for every cell.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from harness import expect
from harness.causes import is_harness_error
from harness.guest import catalog
from harness.results import HANG_QUOTE, hang_said
from harness.runner import CaseRun
from harness.text import short_json, shorten
from harness.vocab import Outcome, Verdict

__all__ = ["finding_line", "judge"]

#: How much of a value a finding line shows: the observed one and the expected one alike.
VALUE_LIMIT = 200


def _describe_run(cell: Dict[str, Any]) -> str:
    text = str(cell["outcome"])
    if cell["outcome"] == Outcome.OK:
        text += " " + short_json(cell.get("observed"), VALUE_LIMIT)
    elif cell.get("error"):
        text += " " + shorten("%s: %s" % (cell["error"].get("type"), cell["error"].get("message")),
                              160)
    elif cell["outcome"] == Outcome.TIMEOUT:
        said = hang_said(str(cell.get("detail") or ""))  # where it hung, if it said
        text += HANG_QUOTE + said if said else ""
    return text


def finding_line(key: str, cell: Dict[str, Any]) -> Optional[str]:
    """The terminal's line for a cell that ran and differs from its rule, else None (a cell
    the harness failed to run says nothing of the case: the run's error line counts it)."""
    if cell.get("verdict") != Verdict.UNEXPECTED.value or is_harness_error(cell) or \
            expect.not_compared(cell.get("verdict"), cell.get("outcome")):
        return None
    expected = expect.expectation_text(cell.get("expected"), VALUE_LIMIT)
    return "%s: expected %s, observed %s" % (key, expected, _describe_run(cell))


def judge(case: catalog.Case, run: CaseRun, environment: Dict[str, Any]) -> Dict[str, Any]:
    """One cell for the results file: the run plus the expectation and the verdict."""
    rules = [rule.to_dict() for rule in case.expect]
    rule = expect.select_rule(rules, run.method, environment)
    cell = run.to_dict()
    cell["expected"] = dict(rule) if rule is not None else None
    cell["verdict"] = expect.verdict_for(rule, cell).value
    cell["category"] = case.category
    return cell
