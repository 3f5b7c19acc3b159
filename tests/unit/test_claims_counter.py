"""The article's claims against the catalog's counter-evidence (cases/claims.py): a failed
counter-evidence cell is no support, and the cells that test the article's own examples are
mapped."""

from __future__ import annotations

from typing import Any, Dict

import pytest

from cases.claims import CLAIMS
from harness.documents import CellMeta
from tests.unit.report_synth import cell, results_doc, timing
from tests.unit.test_report_claims import _results


def _claim(claim_id: str) -> Dict[str, Any]:
    return next(c for c in CLAIMS if c["id"] == claim_id)


#: What the claim's illustrating cells observe where it holds (spawn or forkserver).
_CLEAN = {"inheritance.global_assigned_in_main": "import-time",
          "inheritance.module_global_mutated_after_import": {"debug": False},
          "inheritance.module_imported_only_in_parent": {"in_child": False}}


@pytest.mark.parametrize("outcome", ["error", "crash", "timeout"])
@pytest.mark.parametrize("claim_id", ["spawn_fresh_interpreter", "forkserver_clean_state"])
def test_counter_evidence_that_failed_to_run_is_no_support(claim_id: str, outcome: str) -> None:
    """Every "arrives unpassed" cell raised, crashed or hung: the claim is not true there (it
    was, through `not`), nor refuted; those cells are named as undecided."""
    claim = dict(_claim(claim_id), scope={"os": ["linux"]})  # no gap for macOS/Windows data
    method = "spawn" if claim_id.startswith("spawn") else "forkserver"

    def observe(case_id: str, m: str) -> CellMeta:
        if case_id in _CLEAN:
            return cell(case_id, m, observed=_CLEAN[case_id])
        return cell(case_id, m, outcome=outcome, error={"type": "OSError", "message": "broke"})

    cases = sorted({c["case"] for c in claim["checks"]})
    (result,) = _results([claim], results_doc(version="3.12.1", methods=[method], cases=cases,
                                              observe=observe))
    assert result.overall == "partial"
    assert result.refuting == ()
    assert "Linux 3.12: inheritance.cwd_changed[%s] undecided" % method in result.gaps


#: The article's examples of a lock another thread holds at fork: the GIL, a standard-library
#: module's lock (logging's handler lock), and the interpreter's import lock.
_ARTICLE_LOCKS = ("deadlock.gil_busy_thread_at_fork", "deadlock.stdlib_logging_handler_lock",
                  "deadlock.import_lock_held_by_thread")


def test_the_articles_own_lock_examples_count_for_the_fork_lock_claim() -> None:
    """User locks hang at the lock in a fork child, but a fork child whose parent's thread held
    the GIL, a stdlib lock or the import lock runs: the claim depends, those cells against it;
    the forkserver claim counts the same cases' forkserver cells."""
    from cases._deadlock import BLOCKED_ON_HELD_LOCK

    said = "no result within the hard timeout; last line on stderr: " + BLOCKED_ON_HELD_LOCK

    def observe(case_id: str, m: str) -> CellMeta:
        if m == "fork" and case_id not in _ARTICLE_LOCKS:
            return cell(case_id, m, outcome="timeout", detail=said)
        return cell(case_id, m, observed=True)

    fork_claim = _claim("fork_copies_locked_locks")
    cases = sorted({c["case"] for c in fork_claim["checks"]})
    assert set(_ARTICLE_LOCKS) <= set(cases)
    assert all(c.get("why") for c in fork_claim["checks"] if c["case"] in _ARTICLE_LOCKS)
    doc = results_doc(version="3.12.1", methods=["fork", "forkserver"], cases=cases,
                      observe=observe)
    (result,) = _results([fork_claim], doc)
    assert result.overall == "depends"
    assert {e.case for e in result.refuting} == set(_ARTICLE_LOCKS)


def test_forkserver_lock_claim_counts_every_case_of_the_fork_lock_problem() -> None:
    """"forkserver children escape fork's held-lock problem": a forkserver child that hangs in
    any case the fork claim counts (a Condition, a handler's own lock, ...) is against it."""
    cases = sorted({c["case"] for c in _claim("fork_copies_locked_locks")["checks"]})
    server_claim = _claim("forkserver_no_thread_locks")
    assert {c["case"] for c in server_claim["checks"]} == set(cases)
    hung = results_doc(version="3.12.1", methods=["forkserver"], cases=cases,
                       observe=lambda c, m: cell(c, m, outcome="timeout") if c == cases[0]
                       else cell(c, m, observed=True))
    (result,) = _results([server_claim], hung)
    assert [e.case for e in result.refuting] == [cases[0]]


#: A fork child where the claim's illustrating cells hold and the state the docs say is reset
#: in a fork child is reset (random since 3.7, asyncio's loop since 3.12, atexit since 3.13).
_FORK_STATE = {"inheritance.global_assigned_in_main": "assigned-in-main",
               "inheritance.module_global_mutated_after_import": {"debug": True},
               "inheritance.module_imported_only_in_parent": {"in_child": True},
               "realworld.singleton_thread_dead_after_fork": {"inherited_singleton": True,
                                                              "its_thread_alive": False},
               "inheritance.random_state": {"child_repeats_parent": False},
               "realworld.asyncio_loop_inherited": None,  # per version: the test's loop_kept
               "inheritance.atexit_handler": {"inherited_ran": False, "own_ran": True}}


@pytest.mark.parametrize(("version", "loop_kept", "refuting"), [
    ("3.11.7", True, {"inheritance.random_state"}),
    ("3.12.1", False, {"inheritance.random_state", "realworld.asyncio_loop_inherited"}),
    ("3.13.0", False, {"inheritance.random_state", "realworld.asyncio_loop_inherited",
                       "inheritance.atexit_handler"}),
])
def test_fork_state_the_docs_reset_in_the_child_counts_against_fork_copies_state(
        version: str, loop_kept: bool, refuting: Any) -> None:
    """State set up before start() that a fork child does not have (the seeded random
    generator, the current event loop, atexit handlers) is against "it is there in the
    child"; atexit only from 3.13, where the child clears them (before, no handler ran in a
    child at all, which says nothing about the copy)."""
    claim = _claim("fork_copies_state")

    def observe(case_id: str, m: str) -> CellMeta:
        value = _FORK_STATE[case_id]
        return cell(case_id, m, observed=loop_kept if case_id.endswith("loop_inherited")
                    else value)

    doc = results_doc(version=version, methods=["fork"], cases=sorted(_FORK_STATE),
                      observe=observe)
    (result,) = _results([claim], doc)
    assert result.overall == "depends"
    assert {e.case for e in result.refuting} == refuting


@pytest.mark.parametrize("slow_case", ["performance.start_latency",
                                       "performance.start_latency_vs_parent_memory",
                                       "performance.pool_startup"])
def test_a_forkserver_start_slower_than_spawn_counts_against_forkserver_cheaper(
        slow_case: str) -> None:
    """spawn_slower says spawn is slower in one run, but a forkserver start measured apart (a
    no-op child, a big parent, a Pool) that is slower than spawn's is against the claim."""
    claim = _claim("forkserver_cheaper_than_spawn")
    cases = sorted({c["case"] for c in claim["checks"]})
    assert slow_case in cases

    def observe(case_id: str, m: str) -> CellMeta:
        if case_id == "performance.spawn_slower":
            return cell(case_id, m, observed={"spawn_slower_than_forkserver": True})
        median = {"spawn": 30.0, "forkserver": 40.0 if case_id == slow_case else 5.0}[m]
        return cell(case_id, m, observed=dict(timing(median), points=[timing(median)] * 3))

    doc = results_doc(version="3.12.1", methods=["spawn", "forkserver"], cases=cases,
                      observe=observe)
    (result,) = _results([claim], doc)
    assert result.overall == "depends"
    assert {e.case for e in result.refuting} == {slow_case}
