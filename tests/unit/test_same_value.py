""""The same value", one definition: a rule's value (expect), a claim's predicate (claimpred)
and two runs of a cell (merge.signature) all tell False, 0 and 0.0 apart, as JSON does."""

from __future__ import annotations

from typing import Any, Dict

import pytest

from harness import claimpred, expect, merge
from harness.text import same_value
from harness.vocab import Verdict
from tests.unit.report_synth import partial_cell

#: Pairs Python's == calls equal that are different values in a results file.
OTHER_TYPE = [(False, 0), (True, 1), (1, 1.0), (0, 0.0), ([0], [False]),
              ({"a": True}, {"a": 1}), ([1, [2.0]], [1, [2]])]
SAME = [(False, False), (3, 3), ("x", "x"), (None, None), ({"a": 1, "b": [True]},
                                                           {"b": [True], "a": 1})]


@pytest.mark.parametrize(("a", "b", "same"), [(a, b, False) for a, b in OTHER_TYPE]
                         + [(a, b, True) for a, b in SAME])
def test_same_value_is_what_merge_signature_compares(a: Any, b: Any, same: bool) -> None:
    """same_value(a, b) holds exactly where two runs' signatures are equal."""
    equal = merge.signature({"observed": a}) == merge.signature({"observed": b})
    assert same_value(a, b) is equal is same


@pytest.mark.parametrize(("documented", "observed"), OTHER_TYPE)
def test_a_rule_value_of_another_type_is_not_as_the_docs_say(documented: Any,
                                                             observed: Any) -> None:
    """A child returning 0 where the rule says False differs from the docs (and back)."""
    for rule_value, value in ((documented, observed), (observed, documented)):
        rule = {"outcome": "ok", "value": rule_value}
        assert expect.verdict_for(rule, {"outcome": "ok", "observed": value}) \
            is Verdict.UNEXPECTED
        assert expect.verdict_for(rule, {"outcome": "ok", "observed": rule_value}) \
            is Verdict.AS_EXPECTED


def _holds(pred: Dict[str, Any], observed: Any, other: Any = None) -> Any:
    cell = partial_cell(case="a.x", environment="e", method="fork", outcome="ok",
                        observed=observed)
    cells = {("a.y", "e", "fork"): partial_cell(outcome="ok", observed=other)}
    return claimpred.holds(pred, cell, cells)


def test_claim_predicates_compare_values_by_the_one_definition() -> None:
    """equals, in, contains, excludes, contains_all and equals_cell: 0 is not False, 1.0 not
    1; the same value of the same type still holds."""
    assert _holds({"equals": False}, 0) is False
    assert _holds({"equals": False}, False) is True
    assert _holds({"in": [False, None]}, 0) is False
    assert _holds({"in": [False, None]}, None) is True
    assert _holds({"contains": True}, [1]) is False
    assert _holds({"contains": True}, [1, True]) is True
    assert _holds({"excludes": 1}, [True]) is True
    assert _holds({"excludes": 1}, [1.0, 1]) is False
    assert _holds({"contains_all": [0, 1]}, [False, True]) is False
    assert _holds({"contains_all": [0, 1]}, [1, 0, 2]) is True
    assert _holds({"equals_cell": {"case": "a.y"}}, 1, 1.0) is False
    assert _holds({"equals_cell": {"case": "a.y"}}, {"k": [1]}, {"k": [1]}) is True
