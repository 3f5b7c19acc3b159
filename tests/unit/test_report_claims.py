"""The article's claims: verdicts per environment from mapped cells, and the claims data."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict, List

import pytest

from cases.claims import CLAIMS
from harness import claimcheck, claimpred, loading, merge, render
from harness.documents import CellMeta, MatrixEnvironment, ResultsDoc
from tests.unit.report_synth import Observe, case_doc, cell, partial_cell, results_doc, timing

NOW = datetime(2026, 1, 2, tzinfo=timezone.utc)

CLAIM: Dict[str, Any] = {"id": "c", "claim": "x", "checks": [
    {"case": "methods.a", "methods": ["fork", "spawn"], "holds": {"equals": "yes"}}]}


def _results(claims: List[Dict[str, Any]], *docs: ResultsDoc,
             ) -> List[claimcheck.ClaimResult]:
    m = merge.merge([loading.Loaded.from_doc("f%d" % i, d) for i, d in enumerate(docs)], now=NOW,
                    claims=claims)
    return claimcheck.claim_verdicts(m)


def _verdicts(claims: List[Dict[str, Any]], *docs: ResultsDoc) -> Dict[str, str]:
    (result,) = _results(claims, *docs)
    verdicts = {v.environment: v.verdict for v in result.per_environment}
    verdicts["overall"] = result.overall
    return verdicts


def _obs(values: Dict[str, Any]) -> Observe:
    return lambda c, m: cell(c, m, observed=values.get(m, "no"))


def test_true_false_depends_and_overall() -> None:
    """All evidence holds → true; none → false; some → depends; overall mixes to depends."""
    v = _verdicts([CLAIM], results_doc(version="3.11.0", observe=_obs({"fork": "yes",
                                                                       "spawn": "yes"})),
                  results_doc(version="3.12.0", observe=_obs({})),
                  results_doc(version="3.13.0", observe=_obs({"fork": "yes"})))
    assert v == {"linux-cpython-3.11": "true", "linux-cpython-3.12": "false",
                 "linux-cpython-3.13": "depends", "overall": "depends"}


def test_no_data_is_not_run_never_true() -> None:
    """A claim whose cells were not run (or are unavailable/flaky) is `not-run`."""
    unavailable = lambda c, m: cell(c, m, outcome="unavailable")  # noqa: E731
    v = _verdicts([CLAIM], results_doc(version="3.11.0", cases=["methods.other"]),
                  results_doc(version="3.12.0", observe=unavailable))
    assert v == {"linux-cpython-3.11": "not-run", "linux-cpython-3.12": "not-run",
                 "overall": "not-run"}
    no_checks = {"id": "n", "claim": "y", "checks": []}
    assert _verdicts([no_checks], results_doc())["overall"] == "not-run"


def test_scope_and_when_conditions() -> None:
    """Out-of-scope environments get no verdict; per-OS checks apply only on their OS; an
    in-scope environment no check speaks for makes the overall verdict `partial`, not true."""
    claim = {"id": "s", "claim": "z", "scope": {"os": ["linux"]}, "checks": [
        {"case": "methods.a", "methods": ["*"], "when": {"python": ">=3.12"},
         "holds": {"outcome": "ok"}}]}
    docs = (results_doc(version="3.11.0"), results_doc(version="3.12.0"),
            results_doc(version="3.12.0", os_name="windows"))
    v = _verdicts([claim], *docs)
    assert v == {"linux-cpython-3.11": "not-run", "linux-cpython-3.12": "true",
                 "overall": "partial"}
    (result,) = _results([claim], *docs)
    assert result.gaps == ("Linux 3.11: no check applies",)
    assert result.covered_os == ("linux",)
    # Every in-scope environment covered: now (and only now) plain true.
    assert _verdicts([claim], docs[1])["overall"] == "true"


def test_scope_with_no_data_for_an_os_is_never_plain_true() -> None:
    """A claim about Linux and Windows that held on Linux, with no Windows data, is partial;
    so is one whose Windows-only check matched no environment with data."""
    scoped: Dict[str, Any] = {"id": "u", "claim": "u", "scope": {"os": ["linux", "windows"]},
              "checks": [{"case": "methods.a", "methods": ["*"], "holds": {"outcome": "ok"}}]}
    per_os: Dict[str, Any] = {"id": "w", "claim": "w", "checks": [
        {"case": "methods.a", "methods": ["*"], "when": {"os": ["linux"]},
         "holds": {"outcome": "ok"}},
        {"case": "methods.a", "methods": ["*"], "when": {"os": ["windows"]},
         "holds": {"outcome": "error"}}]}
    for claim in (scoped, per_os):
        (result,) = _results([claim], results_doc(version="3.12.0"))
        assert result.overall == "partial"
        assert any(g.startswith("Windows: no environment") for g in result.gaps)
    (result,) = _results([per_os], results_doc(version="3.12.0"))
    assert result.gaps == ("macOS: no environment with data", "Windows: no environment with data")
    # A check whose condition is not an OS without data is named on its own.
    by_version = dict(per_os, checks=[per_os["checks"][0], dict(per_os["checks"][1], when={
        "python": ">=3.14"})])
    (result,) = _results([by_version], results_doc(version="3.12.0"))
    assert "its check of methods.a where Python >=3.14: no environment with data" in result.gaps
    on_linux = dict(by_version, checks=[by_version["checks"][0], dict(per_os["checks"][1], when={
        "os": ["linux"], "python": ">=3.14", "free_threading": True})])
    (result,) = _results([on_linux], results_doc(version="3.12.0"))
    assert "its check of methods.a where Linux, free-threaded, Python >=3.14: no environment " \
        "with data" in result.gaps
    # A false verdict stays false: a counterexample refutes whatever was not run.
    failing = dict(scoped, checks=[dict(scoped["checks"][0], holds={"outcome": "error"})])
    assert _verdicts([failing], results_doc(version="3.12.0"))["overall"] == "false"


def test_an_os_whose_environments_are_all_outside_a_version_scope_has_no_data_there() -> None:
    """A claim about 3.14+ with only Linux 3.12 data: no Linux environment of its scope has
    data (not "no environment whose cells decide it": none of its scope ran)."""
    claim = {"id": "v", "claim": "v", "scope": {"os": ["linux"], "python": ">=3.14"},
             "checks": [{"case": "methods.a", "methods": ["*"], "holds": {"outcome": "ok"}}]}
    (result,) = _results([claim], results_doc(version="3.12.0"))
    assert result.gaps == ("Linux: no environment of Python >=3.14 with data",)


def test_an_os_that_ran_but_decided_nothing_is_not_said_to_have_no_data() -> None:
    """Linux ran, but no cell of the claim's case ran there: the gap says no Linux environment
    decided it (it said "linux: no environment with data" beside 11 Linux columns of data) and
    names them, as the page names columns; an OS with no environment at all has no data."""
    claim = {"id": "x", "claim": "x", "scope": {"os": ["linux", "macos"]},
             "checks": [{"case": "methods.other", "methods": ["*"], "holds": {"outcome": "ok"}}]}
    (result,) = _results([claim], results_doc(version="3.12.0"))
    assert result.gaps == ("macOS: no environment with data", "Linux 3.12: no usable cell")
    two = _results([claim], results_doc(version="3.12.0"), results_doc(version="3.8.0"))[0]
    assert two.gaps == ("macOS: no environment with data", "Linux 3.8, 3.12: no usable cell")


def test_no_real_claim_reads_true_with_only_linux_data() -> None:
    """With every check holding on Linux environments only, no claim of the catalog reads
    plain true: each names (or, without a scope, implies) macOS or Windows."""
    envs: List[MatrixEnvironment] = [{
        "id": "linux-cpython-3.12", "os": "linux", "implementation": "cpython",
        "python_version": "3.12.0", "available_methods": [], "default_method": None}]
    for claim in CLAIMS:
        per_env = [claimcheck.EnvVerdict("linux-cpython-3.12", "true", ())]
        gaps = claimcheck._gaps(claim, envs, per_env)
        if any(o != "linux" for o in claim.get("scope", {}).get("os", ["macos"])):
            assert claimcheck.overall(["true"], gaps) == "partial", claim["id"]


#: Observations shaped like the local matrix (9 Linux environments), for the counter-evidence.
COUNTER: Dict[str, Dict[str, Any]] = {
    "performance.start_latency": {"fork": timing(1.0), "spawn": timing(30.0),
                                  "forkserver": timing(2.0)},
    "performance.start_latency_vs_parent_memory": {
        m: {"points": [timing(a), timing(b), timing(c)]}
        for m, (a, b, c) in {"fork": (1.0, 40.0, 150.0), "forkserver": (2.0, 12.0, 12.0),
                             "spawn": (30.0, 35.0, 40.0)}.items()},
    "inheritance.value_via_queue": {"spawn": 42},
    **{case: dict.fromkeys(("spawn", "forkserver"), value) for case, value in {
        "inheritance.global_assigned_in_main": "import-time",
        "inheritance.module_global_mutated_after_import": {"debug": False},
        "inheritance.module_imported_only_in_parent": {"in_child": False,
                                                        "in_parent_before": False},
        "inheritance.environment_variable_set_before_start": "set-before-start",
        "inheritance.cwd_changed": True,
        "inheritance.sys_argv": {"same_as_parent": True, "has_appended": True},
        "inheritance.sys_path_appended": True,
        "inheritance.authkey_inherited": {"same_as_parent": True, "custom_key_inherited": True},
    }.items()},
    "pickling.socket_argument": {"spawn": {"child": "sent", "parent_received": "x"}},
}
PICKLE_ERRORS = ("pickling.open_file_argument", "pickling.lambda_argument",
                 "pickling.lambda_target")


def _counter_cell(case_id: str, method: str) -> CellMeta:
    if case_id in PICKLE_ERRORS:
        return cell(case_id, method, outcome="error",
                    error={"type": "TypeError", "message": "start(): cannot pickle 'x'"})
    return cell(case_id, method, observed=COUNTER[case_id].get(method))


@pytest.mark.parametrize(("claim_id", "refuting_case"), [
    ("fork_fastest", "performance.start_latency_vs_parent_memory"),
    ("spawn_requires_picklable", "pickling.socket_argument"),
    ("spawn_needs_explicit_passing", "inheritance.environment_variable_set_before_start"),
    # multiprocessing sends these in its preparation data (spawn.get_preparation_data()).
    ("spawn_fresh_interpreter", "inheritance.sys_path_appended"),
    ("spawn_fresh_interpreter", "inheritance.authkey_inherited"),
    ("forkserver_clean_state", "inheritance.cwd_changed"),
    ("forkserver_clean_state", "inheritance.sys_argv"),
])
def test_counter_evidence_makes_a_claim_depend(claim_id: str, refuting_case: str) -> None:
    """The claims the catalog itself contradicts read `depends`, with the refuting cells
    (from other categories) listed for the page to link."""
    claim = next(c for c in CLAIMS if c["id"] == claim_id)
    doc = results_doc(version="3.12.0", cases=sorted(set(COUNTER) | set(PICKLE_ERRORS)),
                      observe=_counter_cell)
    (result,) = _results([claim], doc)
    assert result.overall == "depends"
    assert refuting_case in {e.case for e in result.refuting}
    assert all(e.held is False for e in result.refuting)
    assert refuting_case in result.cases


def test_a_hang_counts_only_where_the_case_said_it_blocked() -> None:
    """`hang_at`: a timeout whose detail quotes the case's line holds; a timeout without it
    (the hang may be the harness's, or elsewhere in the case) is undecided; a child that
    returned does not hold."""
    from cases._deadlock import BLOCKED_ON_HELD_LOCK

    pred = {"hang_at": BLOCKED_ON_HELD_LOCK}
    hung = partial_cell(case="deadlock.a", environment="e", method="fork", outcome="timeout",
                        observed=None, detail="no result within the hard timeout; process "
                        "tree killed; last line on stderr: MODULE_LOCK: " + BLOCKED_ON_HELD_LOCK)
    assert claimpred.holds(pred, hung, {}) is True
    elsewhere = partial_cell(**dict(hung, detail="no result within the hard timeout; process "
                                    "tree killed"))
    assert claimpred.holds(pred, elsewhere, {}) is None
    assert claimpred.holds(pred, partial_cell(**dict(hung, outcome="ok", observed=True,
                                                     detail="")), {}) is False
    lock_claim = next(c for c in CLAIMS if c["id"] == "fork_copies_locked_locks")
    assert all(check["holds"] == pred for check in lock_claim["checks"])


def test_two_runs_that_hung_in_different_places_are_flaky_whatever_their_order() -> None:
    """Merged runs of one cell: a hang at the held lock and a hang elsewhere disagree, so the
    cell is flaky (it ran, but decides nothing: undecided, not "not run") — never decided by
    which file came first."""
    from cases._deadlock import BLOCKED_ON_HELD_LOCK

    killed = "no result within the hard timeout; process tree killed; last line on stderr: "
    claim = {"id": "c", "claim": "x", "checks": [
        {"case": "methods.a", "methods": ["fork"], "holds": {"hang_at": BLOCKED_ON_HELD_LOCK}}]}

    def hung(said: str) -> ResultsDoc:
        return results_doc(version="3.12.0", methods=["fork"], observe=lambda c, m: cell(
            c, m, outcome="timeout", detail=killed + said))

    at_lock, elsewhere = hung("child: " + BLOCKED_ON_HELD_LOCK), hung("in os.waitpid")
    assert _verdicts([claim], at_lock, elsewhere) == _verdicts([claim], elsewhere, at_lock) == {
        "linux-cpython-3.12": "undecided", "overall": "undecided"}
    (result,) = _results([claim], at_lock, elsewhere)
    # The overall verdict says why (once); its gaps do not repeat it.
    assert "Linux 3.12: undecided" in result.gaps
    assert claimcheck.undecided_text([e for v in result.per_environment for e in v.evidence]) \
        == "1 cell ran more than once and the runs disagree"
    assert _verdicts([claim], at_lock, hung("child: " + BLOCKED_ON_HELD_LOCK)) == {
        "linux-cpython-3.12": "true", "overall": "partial"}  # macOS, Windows: no data
    # a run whose hang quotes nothing (an older harness, so an older run: the cell shows its
    # newest run) is not a second behaviour
    silent = results_doc(version="3.12.0", methods=["fork"], observe=lambda c, m: cell(
        c, m, outcome="timeout", detail="no result within the hard timeout"),
        timestamp="2025-12-01T00:00:00+00:00")
    assert _verdicts([claim], at_lock, silent) == _verdicts([claim], silent, at_lock) == {
        "linux-cpython-3.12": "true", "overall": "partial"}


def test_runs_of_two_versions_of_a_case_that_disagree_decide_no_claim() -> None:
    """A cell whose runs ran different case code and disagree (``code_changed``) is not
    flaky, but which version the claim is about is not known: undecided, as a flaky cell is,
    whichever file came first."""
    claim = {"id": "c", "claim": "x", "checks": [
        {"case": "methods.a", "methods": ["fork"], "holds": {"equals": "yes"}}]}

    def run(digest: str, hour: int, value: str) -> ResultsDoc:
        return results_doc(version="3.12.0", methods=["fork"], commit=digest[0] * 40,
                           case_docs=[case_doc("methods.a", code_digest=digest)],
                           timestamp="2026-01-01T0%d:00:00+00:00" % hour, observe=_obs(
                               {"fork": value}))

    old, new = run("a" * 12, 0, "no"), run("b" * 12, 1, "yes")
    assert _verdicts([claim], old, new) == _verdicts([claim], new, old) == {
        "linux-cpython-3.12": "undecided", "overall": "undecided"}
    (result,) = _results([claim], new, old)
    assert claimcheck.undecided_text([e for v in result.per_environment for e in v.evidence]) \
        == "1 cell ran two versions of the case, and the runs disagree"
    assert _verdicts([claim], run("a" * 12, 0, "yes"), new)["linux-cpython-3.12"] == "true"


def test_claim_rows_carry_the_contract_attributes() -> None:
    """Each claim row says its id and overall verdict (data-claim / data-overall), what was
    not run, and links the cells against it."""
    claims = [c for c in CLAIMS if c["id"] in ("spawn_requires_picklable", "fork_default_unix")]
    doc = results_doc(version="3.12.0", cases=sorted(set(COUNTER) | set(PICKLE_ERRORS)),
                      observe=_counter_cell)
    m = merge.merge([loading.Loaded.from_doc("f", doc)], now=NOW, claims=claims)
    html = render.render_html(m)
    assert 'data-claim="spawn_requires_picklable" data-overall="depends"' in html
    assert 'data-claim="fork_default_unix" data-overall="not-run"' in html
    row = html[html.index('data-claim="spawn_requires_picklable"'):]
    row = row[:row.index("</tr>")]
    assert 'against it: <a href="#case-pickling.socket_argument">' in row
    assert "not covered: macOS: no environment with data; Windows: no environment" in row


def test_data_overall_says_what_the_overall_cell_says() -> None:
    """A claim that holds on the one Linux environment run is "true" to claimcheck, but the
    page qualifies it against the target grid ("true where run"): data-overall says the same."""
    claim = {"id": "t", "claim": "t", "scope": {"os": ["linux"]}, "checks": [
        {"case": "methods.a", "methods": ["*"], "holds": {"outcome": "ok"}}]}
    m = merge.merge([loading.Loaded.from_doc("f", results_doc(version="3.12.0"))], now=NOW,
                    claims=[claim])
    (result,) = claimcheck.claim_verdicts(m)
    html = render.render_html(m)
    assert result.overall == "true"
    assert 'data-claim="t" data-overall="partial"' in html and "true where run" in html


def test_an_expected_leg_without_data_is_named_as_not_run() -> None:
    """With `--expect-envs`, a CI leg that produced no results file is an in-scope environment
    without data: the claim is only true where run, and the leg is named."""
    claim = {"id": "e", "claim": "e", "scope": {"os": ["linux"]}, "checks": [
        {"case": "methods.a", "methods": ["*"], "holds": {"outcome": "ok"}}]}
    m = merge.merge([loading.Loaded.from_doc("f", results_doc(version="3.12.0"))], now=NOW,
                    claims=[claim], expected_environments=["linux-cpython-3.13"])
    (result,) = claimcheck.claim_verdicts(m)
    assert result.overall == "partial"
    assert result.gaps == ("Linux 3.13: no usable cell",)


def test_a_case_names_only_claims_that_check_it() -> None:
    """A case's ``claims`` link to ``#claim-<id>`` on the page: a dangling id is a dead link,
    and a claim whose checks leave the case out links to a cell its verdict never counts."""
    import importlib
    import pkgutil

    import cases
    from harness.guest import catalog

    for info in pkgutil.iter_modules(cases.__path__):
        importlib.import_module("cases." + info.name)
    assert len(catalog.all_cases()) > 80  # the whole catalog, not what happens to be imported
    checked = {c["id"]: {check["case"] for check in c["checks"]} for c in CLAIMS}
    assert [(case.id, claim) for case in catalog.all_cases() for claim in case.claims
            if case.id not in checked.get(claim, ())] == []


def test_a_cell_that_ran_but_cannot_decide_leaves_the_claim_only_true_where_run() -> None:
    """One check holds, another's cell hung somewhere the case did not name: the claim is not
    plainly true there — the undecided cell is named as a gap."""
    claim = {"id": "c", "claim": "x", "scope": {"os": ["linux"]}, "checks": [
        {"case": "methods.a", "methods": ["fork"], "holds": {"equals": 1}},
        {"case": "methods.b", "methods": ["fork"], "holds": {"hang_at": "BLOCKED"}}]}
    doc = results_doc(version="3.12.0", methods=["fork"], cases=["methods.a", "methods.b"],
                      observe=lambda c, m: cell(c, m) if c == "methods.a" else cell(
                          c, m, outcome="timeout", detail="no result within the hard timeout"))
    (result,) = _results([claim], doc)
    assert result.overall == "partial"
    assert result.gaps == ("Linux 3.12: methods.b[fork] undecided",)


def test_a_selection_that_ran_part_of_a_claim_leaves_it_only_true_where_run() -> None:
    """-k ran one of a claim's two checks in its only environment: what ran holds, but the
    claim is not plainly true — the cell the selection left out is named as a gap."""
    claim = {"id": "c", "claim": "x", "scope": {"os": ["linux"]}, "checks": [
        {"case": "methods.a", "methods": ["fork"], "holds": {"equals": 1}},
        {"case": "methods.b", "methods": ["fork"], "holds": {"equals": 1}}]}
    full = results_doc(version="3.12.0", methods=["fork"], cases=["methods.a", "methods.b"])
    (result,) = _results([claim], full)
    assert (result.overall, result.gaps) == ("true", ())
    narrow = results_doc(version="3.12.0", methods=["fork"], cases=["methods.a"],
                         case_docs=[case_doc("methods.a"), case_doc("methods.b")])
    narrow["harness"]["environment"]["not_selected"] = {"by": "-k a", "cells": ["methods.b[fork]"]}
    (result,) = _results([claim], narrow)
    assert result.overall == "partial"
    assert result.gaps == ("methods.b[fork]: not run in Linux 3.12 (not selected)",)


def test_cells_that_ran_but_decide_nothing_are_undecided_never_not_run() -> None:
    """Results from before the hang quote: every fork cell timed out without saying where it
    blocked. The claim is "undecided" (its cells ran), never "not run", in each environment,
    overall, on the page and in the Answers tally, which counts it apart from "not run"."""
    from harness import claimview

    claim: Dict[str, Any] = {"id": "h", "claim": "h", "scope": {"os": ["linux"]}, "checks": [
        {"case": "methods.a", "methods": ["fork"], "holds": {"hang_at": "BLOCKED"}},
        {"case": "methods.b", "methods": ["fork"], "holds": {"hang_at": "BLOCKED"}}]}
    unrun: Dict[str, Any] = {"id": "n", "claim": "n", "checks": [
        {"case": "methods.z", "methods": ["fork"], "holds": {"outcome": "ok"}}]}
    silent = [results_doc(version=v, methods=["fork"], cases=["methods.a", "methods.b"],
                          observe=lambda c, m: cell(c, m, outcome="timeout",
                                                    detail="no result within the hard timeout"))
              for v in ("3.11.0", "3.12.0")]
    assert _verdicts([claim], *silent) == {"linux-cpython-3.11": "undecided",
                                           "linux-cpython-3.12": "undecided",
                                           "overall": "undecided"}
    (result,) = _results([claim], *silent)
    assert result.gaps == ("Linux 3.11, 3.12: undecided",)  # the overall says why, once
    assert result.covered_os == () and result.refuting == ()
    m = merge.merge([loading.Loaded.from_doc("f%d" % i, d) for i, d in enumerate(silent)],
                    now=NOW, claims=[claim, unrun])
    views = [claimview.claim_view(r, c, [], m)
             for r, c in zip(claimcheck.claim_verdicts(m), [claim, unrun])]
    assert views[0].overall == "◌ undecided: 4 cells hung without recording where"
    assert claimview.claim_tally(views) == [("undecided", 1), ("not run", 1)]
    html = render.render_html(m)
    assert 'data-claim="h" data-overall="undecided"' in html
    row = html[html.index('data-claim="h"'):]
    assert "not run" not in row[:row.index("</tr>")]
    # The why once, in the page's word ("hung", not "timeout"); its symbol is in the legend
    # and is not the matrix's "?" (the docs say nothing).
    assert row[:row.index("</tr>")].count("hung without recording where") == 1
    assert "timeout" not in row[:row.index("</tr>")]
    legend = html.split('id="claims"', 1)[1].split('<table class="claims"', 1)[0]  # and "How"
    assert "◌ undecided (its cells ran, but none decides" in legend
    assert not claimview.VERDICT_SYMBOLS["undecided"].startswith("?")
    # One environment decided (the hang quoted the line): true there, only partly covered.
    said = results_doc(version="3.13.0", methods=["fork"], cases=["methods.a", "methods.b"],
                       observe=lambda c, m: cell(c, m, outcome="timeout", detail=(
                           "no result within the hard timeout; last line on stderr: BLOCKED")))
    v = _verdicts([claim], said, *silent)
    assert (v["linux-cpython-3.13"], v["linux-cpython-3.12"], v["overall"]) == (
        "true", "undecided", "partial")
    (result,) = _results([claim], said, *silent)  # not undecided overall: its gap says why
    assert "Linux 3.11, 3.12: undecided (its cells hung without recording where)" in result.gaps
