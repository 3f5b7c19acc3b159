"""Expectation rules: selection by method and environment, and verdicts."""

from __future__ import annotations

from typing import Any, Dict

import pytest

from harness import expect
from harness.guest import catalog
from harness.vocab import Verdict

LINUX_313 = {"os": "linux", "implementation": "cpython", "python_version": "3.13.0",
             "free_threading": False}
LINUX_314 = dict(LINUX_313, python_version="3.14.10")
MACOS_312 = dict(LINUX_313, os="macos", python_version="3.12.1")
PYPY_39 = dict(LINUX_313, implementation="pypy", python_version="3.9.16")


@pytest.mark.parametrize(("spec", "version", "wanted"), [
    (">=3.12", "3.12.0", True), (">=3.12", "3.11.7", False), ("<3.14", "3.14.10", False),
    ("<3.14", "3.13.0", True), (">=3.12,<3.14", "3.13.0", True), ("3.13", "3.13.8", True),
    ("3.13", "3.14.0", False), ("<3.13.8", "3.13.0", True), ("<3.13.8", "3.13.8", False),
    (">=3.15", "3.15.0a1", True),
])
def test_python_conditions(spec: str, version: str, wanted: bool) -> None:
    """Version conditions compare numerically, minor-wise unless a patch is given."""
    env = dict(LINUX_313, python_version=version)
    assert expect.matches_env({"python": spec}, env) is wanted


def test_first_matching_rule_wins() -> None:
    """Rules are tried in order; conditions and methods both must match."""
    rules = [r.to_dict() for r in [
        catalog.on("fork", catalog.ok("new"), os="linux", python=">=3.14"),
        catalog.on("fork", catalog.ok("old")),
        catalog.on(("spawn", "forkserver"), catalog.timeout()),
    ]]
    new, old = (expect.select_rule(rules, "fork", env) for env in (LINUX_314, LINUX_313))
    spawn = expect.select_rule(rules, "spawn", MACOS_312)
    assert new is not None and old is not None and spawn is not None
    assert (new["value"], old["value"], spawn["outcome"]) == ("new", "old", "timeout")
    assert expect.select_rule(rules[:2], "spawn", LINUX_313) is None


def test_impl_and_free_threading_conditions() -> None:
    """impl= and free_threading= narrow a rule."""
    rule = catalog.on("*", catalog.ok(1), impl="pypy").to_dict()
    assert expect.select_rule([rule], "fork", PYPY_39) is not None
    assert expect.select_rule([rule], "fork", LINUX_313) is None
    ft_rule = catalog.on("*", catalog.ok(1), free_threading=True).to_dict()
    assert expect.select_rule([ft_rule], "fork", dict(LINUX_313, free_threading=True))
    assert expect.select_rule([ft_rule], "fork", LINUX_313) is None


@pytest.mark.parametrize(("rule", "result", "verdict"), [
    (None, {"outcome": "ok", "observed": 1}, Verdict.NO_EXPECTATION),
    (catalog.ok(1), {"outcome": "ok", "observed": 1}, Verdict.AS_EXPECTED),
    (catalog.ok(1), {"outcome": "ok", "observed": 2}, Verdict.UNEXPECTED),
    (catalog.ok(), {"outcome": "ok", "observed": 2}, Verdict.AS_EXPECTED),
    (catalog.ok(None), {"outcome": "ok", "observed": 2}, Verdict.UNEXPECTED),
    (catalog.timeout(), {"outcome": "ok", "observed": True}, Verdict.UNEXPECTED),
    (catalog.error("PicklingError"), {"outcome": "error",
                                      "error": {"type": "PicklingError", "message": "x"}},
     Verdict.AS_EXPECTED),
    (catalog.error("PicklingError"), {"outcome": "error",
                                      "error": {"type": "AttributeError", "message": "x"}},
     Verdict.UNEXPECTED),
    (catalog.error("RuntimeError", contains="already been set"),
     {"outcome": "error",
      "error": {"type": "RuntimeError", "message": "context has already been set"}},
     Verdict.AS_EXPECTED),
    (catalog.error("RuntimeError", contains="bootstrapping"),
     {"outcome": "error", "error": {"type": "RuntimeError", "message": "other"}},
     Verdict.UNEXPECTED),
])
def test_verdicts(rule: object, result: Dict[str, Any], verdict: Verdict) -> None:
    """ok(value) compares the value, ok() any value, error() the type and message text."""
    rule_dict = rule.to_dict() if isinstance(rule, catalog.Expect) else None
    assert expect.verdict_for(rule_dict, result) is verdict


def test_bad_condition_is_an_error() -> None:
    """A typo in a condition fails loudly instead of silently never matching."""
    with pytest.raises(ValueError, match="unknown condition"):
        expect.matches_env({"platform": "linux"}, LINUX_313)
    with pytest.raises(ValueError, match="bad python condition"):
        expect.matches_env({"python": "~3.12"}, LINUX_313)


def test_an_any_type_error_rule_is_not_met_by_a_dead_child() -> None:
    """`error()` with no type takes any raised exception, but a child that died without a
    result (ChildDied, e.g. a SIGSEGV) is a crash, not the error the docs promise."""
    rule = catalog.error().to_dict()
    raised = {"outcome": "error", "error": {"type": "RuntimeError", "message": "x"}}
    died = {"outcome": "error", "error": {"type": "ChildDied", "message": "code -11"}}
    assert expect.verdict_for(rule, raised) == Verdict.AS_EXPECTED
    assert expect.verdict_for(rule, died) == Verdict.UNEXPECTED
    named = catalog.error("ChildDied").to_dict()
    assert expect.verdict_for(named, died) == Verdict.AS_EXPECTED


def _catalog_rules() -> list:  # type: ignore[type-arg]
    import importlib
    import pkgutil

    import cases

    for info in pkgutil.iter_modules(cases.__path__):
        importlib.import_module("cases." + info.name)
    return [(c.id, r) for c in catalog.all_cases() for r in c.to_dict()["expect"]]


def test_every_error_rule_names_a_type_or_a_cause_or_says_no_source_names_one() -> None:
    """Expectations are as precise as their sources: an error rule names the type, or a
    cause (a message text), or its note says that no source names a type."""
    rules = _catalog_rules()
    assert len(rules) > 100
    vague = [(cid, r) for cid, r in rules if r["outcome"] == "error" and not r.get("error_type")
             and not r.get("contains")
             and "no source names an exception type" not in r.get("note", "")]
    assert vague == []


def test_inferred_and_source_derived_rules_say_where_they_come_from() -> None:
    """Inferred rules carry a note naming the mechanism; implementation-derived rules name
    the CPython file; the report shows both marks."""
    rules = _catalog_rules()
    inferred = [(cid, r) for cid, r in rules if r.get("inferred")]
    from_source = [(cid, r) for cid, r in rules if r.get("from_implementation")]
    assert {cid for cid, _ in inferred} >= {
        "inheritance.cwd_changed", "inheritance.umask", "inheritance.unflushed_stdout_buffer",
        "deadlock.lock_held_by_thread_at_fork"}
    assert {cid for cid, _ in from_source} >= {
        "methods.available", "inheritance.fork_with_threads_warning",
        "deadlock.set_start_method_twice"}
    assert all(r.get("note") for _, r in inferred)
    assert all(r["from_implementation"].split()[0].startswith(("Lib/", "Modules/", "Python/"))
               for _, r in from_source)
    text = expect.expectation_text(from_source[0][1])
    assert "(from the implementation, not the docs:" in text
    assert "(any type)" in expect.expectation_text(catalog.error().to_dict())


def test_a_hang_rule_with_said_is_met_only_by_a_hang_there() -> None:
    """``timeout(said=...)``: any hang used to meet a hang rule; now the timed-out cell's
    quoted last stderr line must contain where the case said it blocks."""
    from harness.results import HANG_QUOTE

    rule = catalog.timeout(said="joining the child before get()").to_dict()
    killed = "no result within the hard timeout; process tree killed"
    there = {"outcome": "timeout", "detail": killed + HANG_QUOTE + "joining the child before get()"}
    elsewhere = {"outcome": "timeout", "detail": killed + HANG_QUOTE + "in Popen._launch"}
    silent = {"outcome": "timeout", "detail": "no result within the hard timeout"}
    assert expect.verdict_for(rule, there) is Verdict.AS_EXPECTED
    assert expect.verdict_for(rule, elsewhere) is Verdict.UNEXPECTED
    assert expect.verdict_for(rule, silent) is Verdict.UNEXPECTED
    assert expect.verdict_for(catalog.timeout().to_dict(), elsewhere) is Verdict.AS_EXPECTED
    returned = {"outcome": "timeout", "detail": "the case returned but the interpreter did not "
                "exit; process tree killed" + HANG_QUOTE + "joining the child before get()"}
    assert expect.verdict_for(rule, returned) is Verdict.UNEXPECTED  # it did not hang there
    from harness.expect import expectation_text

    assert 'where it says "joining the child before get()"' in expectation_text(rule)
