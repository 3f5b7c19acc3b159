"""What chose the start method a cell ran, when the program named none (review r13 #8)."""

from __future__ import annotations

import dataclasses

from harness.check_diagnose import not_exercised
from harness.runner import CaseRun
from harness.vocab import Outcome

_EXECUTOR = "concurrent.futures.process"


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


def test_a_global_its_workers_saw_otherwise_is_seen_in_every_cell_they_ran_in() -> None:
    """recycle.py (review r13 F8): every cell's ProcessPoolExecutor ran spawn workers that had
    an empty RATES; global-differs said "seen in: 3.12[spawn]" only, though the fork and
    forkserver cells failed the same way. Its message still names spawn, the method they ran."""
    from harness.check_diagnose import diagnose

    error = {"type": "KeyError", "message": "'EUR'", "where": "parent"}
    child = {"pid": 1, "error": None, "globals_differ": ["RATES"], "globals_read": ["RATES"]}
    runs = {("3.12", method): CaseRun(case="recycle.py", method=method, outcome=Outcome.ERROR,
                                      error=error, observed={
                                          "start_attempts": 2, "methods_used": ["spawn"],
                                          "explicit_only": True, "children": [child],
                                          "method_chosen_by": {"spawn": _EXECUTOR}})
            for method in ("fork", "forkserver", "spawn")}
    found = {d.code: d for d in diagnose(runs)}
    assert set(found["global-differs"].cells) == {"3.12[fork]", "3.12[forkserver]",
                                                  "3.12[spawn]"}, found
    worked = {key: dataclasses.replace(run, outcome=Outcome.OK, error=None)
              for key, run in runs.items()}
    latent = next(d for d in diagnose(worked) if d.code == "global-differs")
    assert latent.message.startswith("a spawn child has other values"), latent.message
