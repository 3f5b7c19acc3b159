"""Expectation rules: selection by method and environment, and verdicts."""

from __future__ import annotations

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
    assert expect.select_rule(rules, "fork", LINUX_314)["value"] == "new"
    assert expect.select_rule(rules, "fork", LINUX_313)["value"] == "old"
    assert expect.select_rule(rules, "spawn", MACOS_312)["outcome"] == "timeout"
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
def test_verdicts(rule: object, result: dict, verdict: Verdict) -> None:
    """ok(value) compares the value, ok() any value, error() the type and message text."""
    rule_dict = rule.to_dict() if isinstance(rule, catalog.Expect) else None
    assert expect.verdict_for(rule_dict, result) is verdict


def test_bad_condition_is_an_error() -> None:
    """A typo in a condition fails loudly instead of silently never matching."""
    with pytest.raises(ValueError, match="unknown condition"):
        expect.matches_env({"platform": "linux"}, LINUX_313)
    with pytest.raises(ValueError, match="bad python condition"):
        expect.matches_env({"python": "~3.12"}, LINUX_313)
