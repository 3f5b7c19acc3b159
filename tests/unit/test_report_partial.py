"""A partial run (a -k/-m selection, --quick) on the page, in summary.md and in the matrix run's
`covered:` line: every count of cases says what it counts over, and why cells did not run; a
full run reads as it always did."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import List

import pytest

from harness import coverage, loading, merge, model, render, results, summary
from harness.documents import CellMeta, MatrixDoc, ResultsDoc
from tests.unit.report_synth import case_doc, cell, results_doc

NOW = datetime(2026, 1, 2, tzinfo=timezone.utc)
CASES = ["deadlock.a", "methods.b"]
FORK_ONLY = "Hang or fail only under fork"


def _matrix(*docs: ResultsDoc) -> MatrixDoc:
    loaded = [loading.Loaded.from_doc("f%d.json" % i, d) for i, d in enumerate(docs)]
    return merge.merge(loaded, now=NOW)


def _hangs_under_fork(case: str, method: str) -> CellMeta:
    if case == "deadlock.a" and method == "fork":
        return cell(case, method, outcome="timeout", detail="no result within the hard timeout")
    return cell(case, method)


def _selected(expr: str, ran: List[str]) -> ResultsDoc:
    """A run of ``expr``: only the ``ran`` cells ("case[method]"), the rest not selected."""
    doc = results_doc(cases=CASES, observe=_hangs_under_fork)
    doc["tests"] = [t for t in doc["tests"] if t["nodeid"].split("::")[1] in ran]
    doc["harness"]["environment"]["not_selected"] = {"by": expr, "cells": sorted(
        "%s[%s]" % (c, m) for c in CASES for m in ("fork", "forkserver", "spawn")
        if "%s[%s]" % (c, m) not in ran)}
    return doc


def _answer(r: model.Report, text: str) -> str:
    (line,) = [a.count_text for a in r.answer_lines if a.text.startswith(text)]
    return line


def test_a_selection_of_one_method_says_nothing_was_compared() -> None:
    """-k 'fork' ran only fork cells: "fails only under fork" cannot be answered (it compares
    fork with another method), so it says "not compared", never "0 cases"; the page, summary.md
    and the covered line say how many cells ran and which selection left the rest out."""
    m = _matrix(_selected("-k fork", ["deadlock.a[fork]", "methods.b[fork]"]))
    r = model.build(m)
    assert (r.not_run.ran, r.not_run.why) == (
        "only 2 of 6 cells ran", "a selection: -k fork left 4 cells out")
    assert _answer(r, FORK_ONLY) == "not compared: no case ran under fork and another method"
    page, text = render.render_html(m), summary.render_summary(m)
    headline = "Partial run: only 2 of 6 cells ran (a selection: -k fork left 4 cells out). " \
               "Every count here is over what ran."
    assert 'id="partial-run"><strong>%s</strong>' % headline in page
    assert "**%s**" % headline in text
    assert "- %s: not compared: no case ran under fork and another method" % FORK_ONLY in text
    assert ": 0 cases" not in text.split("## Answers")[1].split("## Start methods")[0]
    (covered, *_rest) = coverage.coverage_lines(m, [], environ={"CI": "1"})
    assert covered.endswith(" — but only 2 of 6 cells ran (a selection: -k fork left 4 cells out)")


def test_a_selection_counts_each_answer_over_the_cases_it_could_decide() -> None:
    """deadlock.a ran under fork and spawn, methods.b under fork only: the fork-only answer is
    1 of the 1 case that ran under fork and another method."""
    m = _matrix(_selected("-k 'a or b'", ["deadlock.a[fork]", "deadlock.a[spawn]",
                                          "methods.b[fork]"]))
    r = model.build(m)
    assert _answer(r, FORK_ONLY) == "1 of the 1 case that ran under fork and another method"
    assert _answer(r, "Behave differently") == \
        "1 of the 1 case that ran under both fork and spawn"
    assert "%s</strong>: 1 of the 1 case that ran" % FORK_ONLY in render.render_html(m)


def test_a_quick_run_says_what_it_left_out() -> None:
    """--quick: the performance cells read as left out by --quick in every count's scope."""
    docs = [case_doc(c) for c in CASES + ["performance.p"]]
    doc = results_doc(cases=CASES, case_docs=docs, observe=_hangs_under_fork)
    doc["harness"]["environment"]["left_out"] = {"performance": "quick"}
    r = model.build(_matrix(doc))
    assert r.not_run.why == "--quick left out 3 performance cells"
    assert _answer(r, FORK_ONLY) == "1 of the 2 cases that ran under fork and another method"


def test_a_full_run_reads_as_it_always_did() -> None:
    """Nothing left out: no partial-run line anywhere and the answers count plain cases."""
    m = _matrix(results_doc(cases=CASES, observe=_hangs_under_fork))
    r = model.build(m)
    assert not r.not_run.partial and r.not_run.headline == ""
    assert _answer(r, FORK_ONLY) == "1 case"
    assert "Partial run" not in render.render_html(m)
    assert "Partial run" not in summary.render_summary(m)
    (covered, *_rest) = coverage.coverage_lines(m, [], environ={"CI": "1"})
    assert "but only" not in covered


def test_a_change_counts_over_the_cases_that_ran_on_both_sides() -> None:
    """3.12 ran every cell, 3.13 only deadlock.a (-k a), which behaves differently there: the
    change line counts over the one case that ran in 3.13 and before (methods.b, not run in
    3.13, can show no change), and no change comes from a cell one side did not run."""
    full = results_doc(version="3.12.1", cases=CASES, observe=_hangs_under_fork)
    narrow = _selected("-k a", ["deadlock.a[fork]", "deadlock.a[spawn]"])
    narrow["harness"]["environment"]["python_version"] = "3.13.0"
    for test in narrow["tests"]:
        test["metadata"]["observed"] = 2
    m = _matrix(full, narrow)
    r = model.build(m)
    assert [cid for cid, _texts in r.changes] == ["deadlock.a"]
    assert _answer(r, "Changed between Linux 3.12.1 and 3.13.0") == \
        "1 of the 1 case that ran in Linux 3.13 and an earlier version"


@pytest.mark.parametrize("cause, ended", [
    ("SIGTERM", "interrupted by SIGTERM"), ("output closed", "cut short (output closed)"),
    ("pytest exit status 3", "cut short (pytest exit status 3)"),
    ("4 cells missing", "cut short (4 cells missing)"),
    ("SIGNAL lost", "cut short (SIGNAL lost)")])  # not a signal's name: as the file says it
def test_a_partial_environment_is_named_with_why_it_is_partial(cause: str, ended: str) -> None:
    """Results format 1.6 records the cause: "interrupted" was said of every partial run,
    also of one whose output closed or that pytest ended with an internal error."""
    full = results_doc(version="3.12.1", cases=CASES)
    cut = results_doc(version="3.14.1", cases=CASES, default="forkserver")
    cut["harness"]["schema_version"] = results.written_version(results.RESULTS_SCHEMA)
    cut["harness"]["environment"].update({"interrupted": True, "partial_cause": cause})
    cut["tests"] = cut["tests"][:2]
    loaded = [loading.Loaded.from_doc("f%d.json" % i, d) for i, d in enumerate((full, cut))]
    m = merge.merge(loaded, now=NOW)
    assert results.validate_matrix(m) == []
    said = "Linux 3.14 was %s: 4 of its 6 cells did not run" % ended
    assert model.build(m).not_run.why == said
    text = summary.render_summary(m)
    assert "**Partial run: only 8 of 12 cells ran (%s). " % said in text
    assert "⚠ %s: 4 of its 6 cells did not run" % ended in text.split("## Start methods")[1]


def test_a_long_cause_from_a_file_is_cut_once_loaded() -> None:
    """The report repeats a partial run's cause (the banner, the start-methods row, summary.md):
    3,000 characters from a file were repeated in full each time."""
    full = results_doc(version="3.12.1", cases=CASES)
    cut = results_doc(version="3.14.1", cases=CASES, default="forkserver")
    cut["harness"]["schema_version"] = results.written_version(results.RESULTS_SCHEMA)
    cut["harness"]["environment"].update({"interrupted": True,
                                          "partial_cause": "odd " + "x" * 3000})
    cut["tests"] = cut["tests"][:2]
    m = _matrix(full, cut)
    said = [run["partial_cause"] for env in m["environments"] for run in env["runs"]
            if run.get("partial_cause")]
    assert said == ["odd " + "x" * 115 + "…"]
    page, text = render.render_html(m), summary.render_summary(m)
    assert "x" * 116 not in page and "x" * 116 not in text
    assert "was cut short (odd %s…): 4 of its 6 cells did not run" % ("x" * 115) in text


def test_two_partial_runs_of_one_environment_are_each_worded() -> None:
    """A run stopped by SIGTERM and one whose output closed: each cause in its own words (they
    were joined first, then worded once: "cut short (SIGTERM; output closed)"; review r4)."""
    runs = []
    for hour, cause in ((1, "SIGTERM"), (2, "output closed")):
        doc = results_doc(version="3.14.1", cases=CASES, default="forkserver",
                          timestamp="2026-01-01T0%d:00:00+00:00" % hour)
        doc["harness"]["schema_version"] = results.written_version(results.RESULTS_SCHEMA)
        doc["harness"]["environment"].update({"interrupted": True, "partial_cause": cause})
        doc["tests"] = doc["tests"][:2]
        runs.append(doc)
    text = summary.render_summary(_matrix(*runs))
    assert "Linux 3.14 was interrupted by SIGTERM; cut short (output closed): 3 of its 5 " \
        "cells did not run" in text, text


def test_an_interrupted_environment_is_named_marked_and_its_claims_say_why() -> None:
    """One of two environments was interrupted (results format 1.5): the banner and summary.md
    name it with its counts, its start-methods row is marked, and a claim's not-run cells
    there read "not run (interrupted)" — never a bare "not run"."""
    full = results_doc(version="3.12.1", cases=CASES)
    cut = results_doc(version="3.14.1", cases=CASES, default="forkserver")
    cut["harness"]["schema_version"] = "1.5"
    cut["harness"]["environment"]["interrupted"] = True
    cut["tests"] = cut["tests"][:2]  # deadlock.a[fork], [forkserver] ran; 4 cells never did
    claims = [{"id": "c", "claim": "b holds", "scope": {"os": ["linux"]},
               "checks": [{"case": "methods.b", "methods": ["fork"],
                           "holds": {"outcome": "ok"}}]}]
    loaded = [loading.Loaded.from_doc("f%d.json" % i, d) for i, d in enumerate((full, cut))]
    m = merge.merge(loaded, now=NOW, claims=claims)
    r = model.build(m)
    said = "Linux 3.14 was interrupted: 4 of its 6 cells did not run"
    assert r.not_run.why == said
    page, text = render.render_html(m), summary.render_summary(m)
    assert "Partial run: only 8 of 12 cells ran (%s)." % said in page
    assert "**Partial run: only 8 of 12 cells ran (%s). " % said in text
    row = page.split('<tr id="env-linux-cpython-3.14">', 1)[1].split("</tr>", 1)[0]
    assert "⚠ interrupted: 4 of its 6 cells did not run" in row
    assert "⚠ interrupted: 4 of its 6 cells did not run" in text.split("## Start methods")[1]
    (claim,) = r.claims
    (v,) = [v for v in claim.result.per_environment if v.environment == "linux-cpython-3.14"]
    assert v.why == "interrupted"
    assert "Linux 3.14: not run (interrupted)" in claim.result.gaps
    assert "Linux 3.14 (interrupted)" in claim.coverage
    assert "· not run (interrupted)" in page.split('id="claims"', 1)[1]
    assert "Linux 3.14: · not run (interrupted)" in text
    (covered, *_rest) = coverage.coverage_lines(m, [], environ={"CI": "1"})
    assert covered.endswith("— but only 8 of 12 cells ran (%s)" % said)
