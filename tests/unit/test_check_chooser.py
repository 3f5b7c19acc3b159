"""What chose the start method a cell ran, when the program named none (review r13 #8)."""

from __future__ import annotations

from harness.check_diagnose import not_exercised
from harness.runner import CaseRun
from harness.vocab import Outcome


def test_a_method_the_library_chose_is_named_as_its_choice() -> None:
    """ProcessPoolExecutor(max_tasks_per_child=2) picks spawn itself; its cells read
    "explicit context: spawn" and "ran spawn" as if the program had named it."""
    observed = {"start_attempts": 1, "methods_used": ["spawn"], "explicit_only": True,
                "method_chosen_by": {"spawn": "concurrent.futures.process"}}
    run = CaseRun(case="t", method="fork", outcome=Outcome.OK, observed=observed)
    chose = "ProcessPoolExecutor(max_tasks_per_child=…) uses spawn"
    assert not_exercised(run, "fork") == "ran spawn: " + chose
    assert not_exercised(run, "spawn") == chose
    del observed["method_chosen_by"]  # the program's own get_context("spawn")
    assert (not_exercised(run, "fork"), not_exercised(run, "spawn")) == (
        "ran spawn", "explicit context: spawn")
