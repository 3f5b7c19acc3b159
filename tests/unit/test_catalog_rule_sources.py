"""Where a rule's value comes from, checked against the sources the cases cite (the changelogs
of CPython 3.13 to 3.15 as Debian ships them, the CPython source): a value no docs sentence
states is marked ``inferred`` or ``from_source``, a condition a changelog adds to a documented
value is said, and a docstring does not state a fix or a failure for releases it misses."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any, Dict, List

import pytest

from harness.expect import select_rule
from harness.guest import catalog, words

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from cases.claims import CLAIMS  # noqa: E402


def _case(case_id: str) -> catalog.Case:
    for name in words.CATEGORIES:  # each category's module imports its parts
        importlib.import_module("cases." + name)
    (found,) = [c for c in catalog.all_cases() if c.id == case_id]
    return found


def _rule(case_id: str, method: str, version: str, impl: str = "cpython") -> Dict[str, Any]:
    env = {"os": "linux", "implementation": impl, "python_version": version,
           "free_threading": False}
    rule = select_rule([r.to_dict() for r in _case(case_id).expect], method, env)
    assert rule is not None, (case_id, method, version)
    return dict(rule)


def _not_the_docs(rule: Dict[str, Any]) -> bool:
    return bool(rule.get("inferred") or rule.get("from_implementation"))


@pytest.mark.parametrize("case_id", ["methods.default", "methods.available"])
@pytest.mark.parametrize("version", ["3.14.0", "3.14.10", "3.15.2"])
def test_linux_forkserver_default_says_the_temp_dir_condition(case_id: str, version: str) -> None:
    """gh-155717 (changelogs 3.14.9, 3.15.1): spawn when no temporary directory is writable;
    the rule and the docstring say so (the report shows the rule's note)."""
    rule = _rule(case_id, "spawn", version)
    assert "gh-155717" in rule.get("note", "") and "temporary directory" in rule["note"]
    assert "gh-155717" in _case(case_id).doc


@pytest.mark.parametrize("case_id", ["inheritance.fork_with_threads_warning",
                                     "realworld.idle_thread_pool_fork_warning"])
def test_the_fork_warning_fails_under_an_error_filter_only_from_315(case_id: str) -> None:
    """gh-135427 (3.15.0a1): before, -W error silently dropped the warning."""
    doc = _case(case_id).doc
    assert "gh-135427" in doc and "3.12+/3.15" not in doc
    assert "test suites run with -W error fail on this warning" not in doc


@pytest.mark.parametrize("case_id", ["realworld.forkserver_runs_main_top_level",
                                     "inheritance.main_reexecuted"])
@pytest.mark.parametrize("version", ["3.12.1", "3.13.0", "3.13.18", "3.14.0", "3.14.10"])
def test_where_forkserver_runs_main_is_marked_from_the_source(case_id: str,
                                                               version: str) -> None:
    """The changelogs say the server preloads __main__ (3.13.8, 3.14.1); that children then
    skip it is spawn.py's: every forkserver rule is marked, in both cases alike."""
    rule = _rule(case_id, "forkserver", version)
    assert "spawn.py" in rule.get("from_implementation", "")
    assert rule.get("source", "").startswith("https://github.com/python/cpython/")


def test_the_top_level_case_covers_no_statement_it_contradicts() -> None:
    """#31 is checked as "runs once in the child"; this case's forkserver rules say it does
    not from 3.13.8 / 3.14.1, so it names no statement and says why."""
    found = _case("realworld.forkserver_runs_main_top_level")
    assert 31 not in found.covers and "No numbered docs statement" in found.doc


@pytest.mark.parametrize(("case_id", "method"), [
    ("realworld.str_hash_differs", "forkserver"),
    ("inheritance.resource_tracker_started", "fork"),
])
def test_a_rule_the_docs_are_silent_on_is_inferred(case_id: str, method: str) -> None:
    rule = _rule(case_id, method, "3.12.1")
    assert rule.get("inferred") is True


def test_the_forkserver_refusal_is_cpythons_protocol() -> None:
    """"refused" is the #FAILURE# reply of connection.deliver_challenge, not the whatsnew's."""
    rule = _rule("api.forkserver_authentication", "forkserver", "3.14.10")
    assert _not_the_docs(rule) and "deliver_challenge" in rule["from_implementation"]


@pytest.mark.parametrize(("case_id", "needed"), [
    ("inheritance.contexts_coexist", ["gh-109263", "3.13.12", "3.14.3"]),
    ("api.freeze_support_noop", ["3.13.13", "3.14.4", "3.13.4", "3.14.0"]),
])
def test_a_fixed_bug_is_named_with_its_releases(case_id: str, needed: List[str]) -> None:
    doc = _case(case_id).doc
    assert [n for n in needed if n not in doc] == []


def test_all_methods_lists_default_note_dates_the_docs_right() -> None:
    """get_all_start_methods() has said "the first of which is the default" since 3.4."""
    (claim,) = [c for c in CLAIMS if c["id"] == "all_methods_lists_default"]
    assert "from 3.14" not in claim["note"] and "since 3.4" in claim["note"]


@pytest.mark.parametrize(("method", "version", "impl", "outcome"), [
    ("fork", "3.12.1", "cpython", "ok"), ("fork", "3.14.10", "cpython", "ok"),
    ("fork", "3.15.2", "cpython", "error"), ("spawn", "3.15.2", "cpython", "ok"),
    ("forkserver", "3.15.2", "cpython", "ok"), ("fork", "3.9.18", "pypy", "ok"),
])
def test_an_error_filter_stops_a_fork_with_threads_only_from_315(
        method: str, version: str, impl: str, outcome: str) -> None:
    """The changelog's words as rules: raised from 3.15.0a1, silently ignored before."""
    rule = _rule("inheritance.fork_warning_under_error_filter", method, version, impl)
    assert rule["outcome"] == outcome
    assert rule.get("error_type", "DeprecationWarning") == "DeprecationWarning"
    assert rule.get("value", "started") == "started"
    assert 11 in _case("inheritance.fork_warning_under_error_filter").covers
