"""What the docs say about a claim where nothing ran (``claimcheck.by_docs``), and how the
page's overall verdict uses it: a claim true where run that the docs say is false elsewhere is
only partly true ("fork is the default on Unix" with Linux 3.8–3.12 alone run)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict, List

import pytest

from harness import claimcheck, loading, merge, model, render
from harness.documents import MatrixDoc
from tests.unit.report_synth import case_doc, cell, results_doc

NOW = datetime(2026, 1, 2, tzinfo=timezone.utc)
DOCS = "https://docs.python.org/3/library/multiprocessing.html"
#: The documented default: fork on Linux before 3.14, forkserver from 3.14, spawn on macOS.
DEFAULT_RULES: List[Dict[str, Any]] = [
    {"methods": ["*"], "outcome": "ok", "when": {"os": ["macos"]}, "value": {"default": "spawn"},
     "source": DOCS},
    {"methods": ["*"], "outcome": "ok", "when": {"os": ["linux"], "python": ">=3.14"},
     "value": {"default": "forkserver"}, "source": DOCS},
    {"methods": ["*"], "outcome": "ok", "when": {"os": ["linux"]}, "value": {"default": "fork"},
     "source": DOCS},
]
FORK_DEFAULT: Dict[str, Any] = {"id": "fork_default_unix", "claim": "fork is the default on Unix",
                "scope": {"os": ["linux", "macos"]},
                "checks": [{"case": "methods.default", "methods": ["*"],
                            "holds": {"path": ["default"], "equals": "fork"}}]}
LINUX = {"os": "linux", "implementation": "cpython", "free_threading": False}


def _by_docs(claim: Dict[str, Any], rules: List[Dict[str, Any]], python: str,
             os_name: str = "linux") -> str:
    cases = {"methods.default": case_doc("methods.default", expect=rules)}
    env = dict(LINUX, os=os_name, python_version=python)
    return claimcheck.by_docs(claim, cases, {"methods.default": ["fork", "spawn"]}, env)


def test_the_docs_decide_a_value_claim_per_environment() -> None:
    assert _by_docs(FORK_DEFAULT, DEFAULT_RULES, "3.13") == "true"
    assert _by_docs(FORK_DEFAULT, DEFAULT_RULES, "3.14") == "false"
    assert _by_docs(FORK_DEFAULT, DEFAULT_RULES, "3.9", "macos") == "false"


@pytest.mark.parametrize("rule", [
    dict(DEFAULT_RULES[2], inferred="read from the mechanism, not stated"),
    dict(DEFAULT_RULES[2], from_implementation="Lib/multiprocessing/context.py"),
    {"methods": ["*"], "outcome": "ok"},  # states that it runs, not the value the claim reads
    {"methods": ["*"], "outcome": "unavailable"},  # nothing would run there
], ids=["inferred", "from the implementation", "no value", "unavailable"])
def test_the_docs_decide_nothing_from_what_they_do_not_state(rule: Dict[str, Any]) -> None:
    assert _by_docs(FORK_DEFAULT, [rule], "3.13") == "not-run"


@pytest.mark.parametrize("holds", [
    {"faster_than": "spawn", "path": ["t"]},
    {"error_contains": "pickle"},
    {"hang_at": "BLOCKED"},
    {"all": [{"path": ["default"], "equals": "fork"}, {"faster_than": "spawn", "path": []}]},
], ids=["timing", "message", "where it hung", "all with a timing"])
def test_checks_that_need_a_run_are_not_decided_by_the_docs(holds: Dict[str, Any]) -> None:
    claim = dict(FORK_DEFAULT, checks=[dict(FORK_DEFAULT["checks"][0], holds=holds)])
    assert _by_docs(claim, DEFAULT_RULES, "3.13") == "not-run"


def test_an_outcome_check_is_decided_by_the_documented_outcome() -> None:
    claim = dict(FORK_DEFAULT, checks=[dict(FORK_DEFAULT["checks"][0],
                                            holds={"outcome": "ok"})])
    assert _by_docs(claim, [{"methods": ["*"], "outcome": "ok"}], "3.13") == "true"
    assert _by_docs(claim, [{"methods": ["*"], "outcome": "error"}], "3.13") == "false"


def _matrix(claim: Dict[str, Any], rules: List[Dict[str, Any]]) -> MatrixDoc:
    """Linux CPython 3.12 alone ran; methods.default observed fork there."""
    doc = results_doc(version="3.12.1", cases=["methods.default"],
                      case_docs=[case_doc("methods.default", expect=rules)],
                      observe=lambda c, m: cell(c, m, observed={"default": "fork"}))
    return merge.merge([loading.Loaded.from_doc("f.json", doc)], now=NOW, claims=[claim])


def test_true_where_run_but_false_by_the_docs_elsewhere_reads_partly() -> None:
    (view,) = model.build(_matrix(FORK_DEFAULT, DEFAULT_RULES)).claims
    assert view.result.overall == "partial"  # the data alone: true wherever it ran
    assert (view.label, view.verdict, view.mixed) == ("◐ partly", "depends", True)
    assert view.overall.startswith("◐ partly — true where run, on 1 of ")  # the data kept
    assert view.docs.startswith("not run, by the docs: false on Linux 3.14")
    assert "macOS" in view.docs.split(" · ")[0]
    # where the docs say true is named, not counted ("true on the other 6" named nothing)
    assert view.docs.endswith(" · true on Linux 3.9, 3.10, 3.11, 3.13, PyPy 3.10, PyPy 3.11")


def test_docs_that_agree_keep_the_verdict_and_say_so() -> None:
    agree = [dict(r, value={"default": "fork"}) for r in DEFAULT_RULES]
    (view,) = model.build(_matrix(FORK_DEFAULT, agree)).claims
    assert (view.label, view.verdict, view.mixed) == ("◑ true where run", "partial", False)
    assert view.docs.startswith("not run, by the docs: true on all ")


def test_the_answers_name_the_claims_found_false_or_partly_true() -> None:
    html = render.render_html(_matrix(FORK_DEFAULT, DEFAULT_RULES))
    answers = html.split('<section id="answers"', 1)[1].split("</section>", 1)[0]
    assert "1 partly" in answers
    assert '<a href="#claim-fork_default_unix">fork is the default on Unix</a>' in answers


def test_a_method_the_os_lacks_decides_nothing() -> None:
    """Windows offers spawn alone: a fork check there is no evidence, documented or not."""
    fork_only = dict(FORK_DEFAULT, checks=[dict(FORK_DEFAULT["checks"][0], methods=["fork"])])
    assert _by_docs(fork_only, DEFAULT_RULES[2:], "3.12", "windows") == "not-run"
    assert _by_docs(fork_only, DEFAULT_RULES[2:], "3.12", "linux") == "true"


def test_a_rule_that_changes_within_the_minor_version_decides_nothing_for_it() -> None:
    """A grid slot is "3.14", not a patch release: the docs cannot say which side it is on."""
    claim = dict(FORK_DEFAULT, checks=[dict(FORK_DEFAULT["checks"][0],
                                            holds={"path": ["child"], "equals": 0})])
    rules = [{"methods": ["*"], "outcome": "ok", "value": {"child": 0},
              "when": {"python": ">=3.14.1"}},
             {"methods": ["*"], "outcome": "ok", "value": {"child": 1}}]
    assert _by_docs(claim, rules, "3.14") == "not-run"
    assert _by_docs(claim, rules, "3.15") == "true"
    assert _by_docs(claim, rules, "3.13") == "false"


def test_true_by_the_docs_with_a_check_undecided_is_not_claimed() -> None:
    """As with data: one check holds by the docs, another they do not decide → no verdict."""
    other = {"case": "methods.other", "methods": ["fork"], "holds": {"equals": 1}}
    claim = dict(FORK_DEFAULT, checks=[*FORK_DEFAULT["checks"], other])
    cases = {"methods.default": case_doc("methods.default", expect=DEFAULT_RULES),
             "methods.other": case_doc("methods.other", expect=[
                 {"methods": ["*"], "outcome": "ok", "value": 1, "inferred": "a guess"}])}
    env = dict(LINUX, python_version="3.13")
    methods = {"methods.default": ["fork"], "methods.other": ["fork"]}
    assert claimcheck.by_docs(claim, cases, methods, env) == "not-run"
    assert claimcheck.by_docs(claim, cases, methods, dict(env, python_version="3.14")) == "false"


def test_an_expected_leg_without_results_is_one_gap_not_two() -> None:
    """A CI leg that produced nothing is an empty grid slot; its placeholder column is not
    counted a second time (the coverage said "of 26" for a 25-slot scope)."""
    doc = results_doc(version="3.12.1", cases=["methods.default"],
                      case_docs=[case_doc("methods.default", expect=DEFAULT_RULES)],
                      observe=lambda c, m: cell(c, m, observed={"default": "fork"}))
    plain, expecting = (model.build(merge.merge(
        [loading.Loaded.from_doc("f.json", doc)], now=NOW, claims=[FORK_DEFAULT],
        expected_environments=expected)).claims[0] for expected in ((), ["linux-cpython-3.13"]))
    assert expecting.coverage == plain.coverage
    assert "linux-cpython-3.13" not in expecting.overall


def test_an_environment_in_the_report_that_did_not_run_the_claim_is_read_by_the_docs() -> None:
    """A partial run: Linux 3.14 is in the report (it ran another case), not methods.default.
    The docs reading names it — false there — as it does for slots with no results at all (it
    was listed as "no data" and left out of "by the docs", the one place they contradict)."""
    ran = results_doc(version="3.12.1", cases=["methods.default"],
                      case_docs=[case_doc("methods.default", expect=DEFAULT_RULES)],
                      observe=lambda c, m: cell(c, m, observed={"default": "fork"}))
    other = results_doc(version="3.14.0", cases=["methods.other"],
                        case_docs=[case_doc("methods.other")])
    matrix = merge.merge([loading.Loaded.from_doc(n, d) for n, d in (("a.json", ran),
                                                                        ("b.json", other))],
                         now=NOW, claims=[FORK_DEFAULT])
    (view,) = model.build(matrix).claims
    assert "Linux 3.14" in view.overall.split("no data: ", 1)[1]
    assert view.docs.startswith("not run, by the docs: false on Linux 3.14, 3.15"), view.docs
