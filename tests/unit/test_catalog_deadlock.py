"""Static checks of the deadlock catalog (``cases/deadlock*.py``): ids, sources, timeouts, rules,
no sleep-based synchronisation, and the helpers that make a thread hold a lock at start()."""

from __future__ import annotations

import ast
import threading
from pathlib import Path
from typing import List

import pytest

from cases import deadlock, deadlock_io, deadlock_rules
from harness.guest.catalog import CASE_TIMEOUT, Case, all_cases

CASES = Path(deadlock.__file__).resolve().parent

REQUIRED_IDS = {
    "deadlock.lock_held_by_thread_at_fork",
    "deadlock.rlock_held_by_thread_at_fork",
    "deadlock.condition_held_by_thread_at_fork",
    "deadlock.gil_busy_thread_at_fork",
    "deadlock.stdlib_logging_handler_lock",
    "deadlock.user_logging_handler_lock",
    "deadlock.import_lock_held_by_thread",
    "deadlock.stdout_lock_held_by_thread",
    "deadlock.queue_join_before_get_large",
    "deadlock.queue_join_before_get_small",
    "deadlock.pool_worker_killed",
    "deadlock.missing_main_guard_pool",
    "deadlock.set_start_method_twice",
}
METHODS = {"fork", "spawn", "forkserver", "*"}


def _deadlock_cases() -> list[Case]:
    return [c for c in all_cases() if c.category == "deadlock"]


def test_catalog_has_at_least_twelve_cases_and_every_required_id() -> None:
    """Issue 5: at least 12 deadlock cases, including every id it names."""
    ids = {c.id for c in _deadlock_cases()}
    assert len(ids) >= 12
    assert REQUIRED_IDS - ids == set()


@pytest.mark.parametrize("case", _deadlock_cases(), ids=lambda c: c.id)
def test_case_cites_sources_and_states_its_claim(case: Case) -> None:
    """Every case links at least one source, each rule's own source is a link, and the
    docstring states the claim, why it matters and its source."""
    assert case.sources
    assert all(s.startswith("https://") for s in case.sources)
    assert all(r.source is None or r.source.startswith("https://") for r in case.expect)
    assert "Source" in case.doc
    assert "Why it matters" in case.doc
    assert len(case.doc.split("Why it matters")[0].split()) >= 8  # the claim, before it


@pytest.mark.parametrize("case", _deadlock_cases(), ids=lambda c: c.id)
def test_case_uses_the_hang_timeout(case: Case) -> None:
    """Every deadlock case uses HANG_TIMEOUT, never more than the default case timeout."""
    assert case.timeout == deadlock.HANG_TIMEOUT
    assert case.timeout <= CASE_TIMEOUT


@pytest.mark.parametrize("case", _deadlock_cases(), ids=lambda c: c.id)
def test_rules_name_real_methods_and_known_outcomes(case: Case) -> None:
    """Rules only name start methods (or '*') and the closed outcome words."""
    for rule in case.expect:
        assert set(rule.methods) <= METHODS
        assert rule.outcome in {"ok", "error", "timeout", "crash", "unavailable"}


def _sleep_calls(source: str) -> List[int]:
    """Lines calling time.sleep, however it was imported (``import time as t``,
    ``from time import sleep as s``)."""
    tree = ast.parse(source)
    modules, functions = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {a.asname or a.name for a in node.names if a.name == "time"}
        elif isinstance(node, ast.ImportFrom) and node.module == "time":
            functions |= {a.asname or a.name for a in node.names if a.name == "sleep"}
    return [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Call) and (
        (isinstance(node.func, ast.Attribute) and node.func.attr == "sleep"
         and isinstance(node.func.value, ast.Name) and node.func.value.id in modules)
        or (isinstance(node.func, ast.Name) and node.func.id in functions))]


def test_no_sleep_based_synchronisation() -> None:
    """Cases synchronise with Events/select, never time.sleep (an AST scan of cases/)."""
    found = {path.name: _sleep_calls(path.read_text(encoding="utf-8"))
             for path in sorted(CASES.glob("*.py"))}
    assert {name: lines for name, lines in found.items() if lines} == {}
    assert _sleep_calls("from time import sleep as s\ns (1)\nimport time as t\nt.sleep(2)\n") \
        == [2, 4]


def test_semantics_expectation_differs_only_in_the_forced_method() -> None:
    """start_method_semantics expects the same facts under every method except the forced one."""
    expected = deadlock_rules._semantics_expected
    fork, spawn = expected("fork"), expected("spawn")
    differing = {key for key in fork if fork[key] != spawn[key]}
    assert differing == {"forced", "context_follows"}


def test_gate_stream_blocks_the_armed_write_until_released() -> None:
    """The logging cases rely on this: the armed write blocks its writer (holding the handler
    lock) until release, and later writes (a fork child's) pass straight through."""
    stream = deadlock_io._GateStream()
    stream.armed = True
    writer = threading.Thread(target=stream.write, args=("parent\n",), daemon=True)
    writer.start()
    assert stream.inside.wait(5)
    assert writer.is_alive()
    assert stream.lines == []
    stream.write("child\n")  # not armed any more: does not block
    assert stream.lines == ["child\n"]
    stream.release.set()
    writer.join(5)
    assert not writer.is_alive()
    assert stream.lines == ["child\n", "parent\n"]


def test_in_thread_holds_the_lock_while_entered() -> None:
    """_InThread returns only once the body holds the lock, and releases it on exit."""
    from cases._deadlock import _InThread

    with _InThread(deadlock._hold_module_rlock):
        assert not deadlock.MODULE_RLOCK.acquire(blocking=False)
    assert deadlock.MODULE_RLOCK.acquire(timeout=5)
    deadlock.MODULE_RLOCK.release()


@pytest.mark.parametrize(("impl", "method", "has_rule"), [
    ("cpython", "fork", True), ("pypy", "fork", False), ("pypy", "spawn", True),
    ("pypy", "forkserver", True), ("cpython", "spawn", True)])
def test_the_gil_rule_binds_cpythons_fork_only(impl: str, method: str, has_rule: bool) -> None:
    """PyOS_AfterFork_Child is CPython's C API: PyPy's fork cell has no expectation; spawn and
    forkserver children never hold the busy parent thread, on any implementation."""
    from harness.expect import select_rule

    (case,) = [c for c in _deadlock_cases() if c.id == "deadlock.gil_busy_thread_at_fork"]
    env = {"os": "linux", "implementation": impl, "python_version": "3.11.9",
           "free_threading": False}
    rule = select_rule([r.to_dict() for r in case.expect], method, env)
    assert (rule is not None) == has_rule
    if rule is not None:
        assert rule["outcome"] == "ok" and rule["value"]["computed"] == 4999950000


def test_no_rule_note_points_at_what_the_page_does_not_show() -> None:
    """A rule's note is shown in the cell panel, where no README is: it says its finding
    itself ("see the README finding" pointed nowhere)."""
    notes = [(case.id, str(rule.get("note", ""))) for case in all_cases()
             for rule in case.to_dict().get("expect") or []]
    assert notes and not [n for n in notes if "README" in n[1]]
    (held,) = {note for cid, note in notes if cid == "deadlock.lock_held_by_thread_at_fork"
               and note.startswith("inferred: the child is a copy")}
    assert "not a Lock another thread holds" in held
