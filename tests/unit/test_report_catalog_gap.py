"""A case added to the catalog after some of the runs a report merges, or gone from it by the
newer ones: its cells in the runs whose catalog lacks it say why they did not run, they make
no partial run (nothing was interrupted or left out), and the page says so once (review r3 #1:
one new case made the real report open with "Partial run: only 3842 of 3872 cells ran")."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import List

from harness import coverage, loading, merge, model, notrun, render, results, summary
from harness.documents import CellMeta, MatrixDoc, ResultsDoc
from tests.unit.report_synth import METHODS, case_doc, cell, partial_cell, results_doc
from tests.unit.test_merge import _cell

NOW = datetime(2026, 1, 3, tzinfo=timezone.utc)
CASES = ["deadlock.a", "methods.b"]
OLD, NEW = "2026-01-01T00:00:00+00:00", "2026-01-02T00:00:00+00:00"
FORK_ONLY = "Hang or fail only under fork"


def _hangs_under_fork(case: str, method: str) -> CellMeta:
    if case == "deadlock.a" and method == "fork":
        return cell(case, method, outcome="timeout", detail="no result within the hard timeout")
    return cell(case, method)


def _run(version: str, cases: List[str], when: str) -> ResultsDoc:
    """A run at ``when`` of the commit of that time."""
    return results_doc(version=version, cases=cases, timestamp=when, observe=_hangs_under_fork,
                       commit="c%d" % int(when[8:10]))


def _matrix(*docs: ResultsDoc) -> MatrixDoc:
    loaded = [loading.Loaded.from_doc("f%d.json" % i, d) for i, d in enumerate(docs)]
    m = merge.merge(loaded, now=NOW)
    assert results.validate_matrix(m) == []
    return m


def _details(m: MatrixDoc, case: str, env: str) -> List[object]:
    return [_cell(m, case, env, method)["detail"] for method in METHODS]


def test_a_case_newer_than_a_run_says_so_in_its_cells() -> None:
    """3.12 ran before methods.new existed: its cells there read "case newer than this run",
    not a bare "not run" that counts as missing data."""
    m = _matrix(_run("3.12.1", CASES, OLD), _run("3.13.1", CASES + ["methods.new"], NEW))
    assert _details(m, "methods.new", "linux-cpython-3.12") == \
        ["not run (case newer than this run)"] * 3
    assert _cell(m, "methods.new", "linux-cpython-3.13", "fork")["outcome"] == "ok"


def test_a_case_gone_from_the_newer_runs_says_so_in_their_cells() -> None:
    """methods.old was removed (or renamed) before 3.13 ran: its 3.13 cells say so."""
    m = _matrix(_run("3.12.1", CASES + ["methods.old"], OLD), _run("3.13.1", CASES, NEW))
    assert _details(m, "methods.old", "linux-cpython-3.13") == \
        ["not run (case gone from the catalog by this run)"] * 3


def test_runs_whose_order_does_not_say_read_not_in_this_runs_catalog() -> None:
    """Two runs of one time: which came first is unknown, only that the case was not in the
    catalog that ran."""
    other = _run("3.13.1", CASES + ["methods.new"], OLD)
    other["harness"]["environment"]["git_commit"] = "c9"
    m = _matrix(_run("3.12.1", CASES, OLD), other)
    assert _details(m, "methods.new", "linux-cpython-3.12") == \
        ["not run (case not in this run's catalog)"] * 3


def test_a_run_of_the_same_commit_had_its_catalog_narrowed_not_older() -> None:
    """A run of the commit that has the case, whose catalog lacks it (edits not committed, or
    an older harness's run narrowed by ``--ignore``, which recorded only the files it
    collected): it is not older than the case, whatever the times say."""
    old = _run("3.12.1", CASES, OLD)
    old["harness"]["environment"]["git_commit"] = "c2"
    m = _matrix(old, _run("3.13.1", CASES + ["methods.new"], NEW))
    assert _details(m, "methods.new", "linux-cpython-3.12") == \
        ["not run (case not in this run's catalog)"] * 3


def test_a_run_narrowed_by_file_stays_a_partial_run_beside_a_full_one() -> None:
    """What a run narrowed by ``--ignore`` records now (the whole catalog, the rest not
    selected), beside a full run of another commit: a partial run that names the option, not
    "2 cases added after the other runs" (review r6 #1)."""
    narrow = _run("3.12.1", ["deadlock.a"], OLD)
    narrow["harness"]["cases"] = [case_doc(c) for c in CASES]
    narrow["harness"]["environment"]["not_selected"] = {
        "by": "--ignore cases/methods.py", "cells": ["methods.b[%s]" % m for m in METHODS]}
    m = _matrix(narrow, _run("3.13.1", CASES, NEW))
    assert _details(m, "methods.b", "linux-cpython-3.12") == \
        ["not run (not selected: --ignore cases/methods.py)"] * 3
    r = notrun.of_matrix(m)
    assert r.line == "Partial run: only 9 of 12 cells ran (a selection: --ignore " \
        "cases/methods.py left 3 cells out)"
    assert r.catalog_line == ""


def test_a_case_in_a_runs_catalog_without_cells_still_had_no_data() -> None:
    """The catalog holds the case but the file has none of its cells (and says no selection
    or interruption): that is still missing data, and a partial run."""
    doc = _run("3.12.1", CASES, OLD)
    doc["harness"]["cases"] = [case_doc(c) for c in CASES + ["methods.c"]]
    m = _matrix(doc)
    assert _details(m, "methods.c", "linux-cpython-3.12") == [None] * 3
    assert model.build(m).not_run.line == "Partial run: only 6 of 9 cells ran (3 cells had " \
        "no data)"


def test_a_newer_case_is_no_partial_run_and_the_page_says_it_once() -> None:
    """The report reads as a full run's (no banner, counts of plain cases) and says once,
    muted, in the Summary (not atop the Answers: review r7 #3), which case ran where, by its
    title (the id is no word of the page); so do summary.md and the matrix run's covered
    line."""
    m = _matrix(_run("3.12.1", CASES, OLD), _run("3.13.1", CASES + ["methods.new"], NEW))
    r = model.build(m)
    assert not r.not_run.partial and r.not_run.line == "" and r.not_run.headline == ""
    said = "1 case added after the other runs (“Title of methods.new”) ran only on Linux 3.13."
    assert r.not_run.catalog_line == said
    (line,) = [a.count_text for a in r.answer_lines if a.text.startswith(FORK_ONLY)]
    assert line == "1 case"
    page, text = render.render_html(m), summary.render_summary(m)
    assert "Partial run" not in page and "Partial run" not in text
    assert '<p class="muted" id="catalog-gaps">%s</p>' % said in page
    assert page.count(said) == 1
    summary_part = page.split('<section id="summary">')[1].split("</section>")[0]
    assert said in summary_part
    assert said in text and text.index(said) < text.index("## Answers")
    (covered, *_rest) = coverage.coverage_lines(m, [], environ={"CI": "1"})
    assert "but only" not in covered


def test_cases_gone_from_the_newer_runs_are_said_together() -> None:
    m = _matrix(_run("3.12.1", CASES + ["methods.old", "methods.older"], OLD),
                _run("3.13.1", CASES, NEW))
    r = model.build(m)
    assert not r.not_run.partial
    assert r.not_run.catalog_line == "2 cases gone from the newer runs' catalog " \
        "(“Title of methods.old”, “Title of methods.older”: removed or renamed) ran only on " \
        "Linux 3.12."


def test_a_newer_case_beside_an_interrupted_run_counts_only_what_was_cut() -> None:
    """3.14 was interrupted after 2 cells; 3.12 predates methods.new: the partial-run line
    counts the 15 cells the runs' catalogs held, and the 3 others stay out of it."""
    cut = _run("3.14.1", CASES + ["methods.new"], NEW)
    cut["harness"]["schema_version"] = results.written_version(results.RESULTS_SCHEMA)
    cut["harness"]["environment"].update({"interrupted": True, "partial_cause": "SIGTERM"})
    cut["tests"] = cut["tests"][:2]
    r = model.build(_matrix(_run("3.12.1", CASES, OLD), cut))
    assert r.not_run.line == "Partial run: only 8 of 15 cells ran (Linux 3.14 was " \
        "interrupted by SIGTERM: 7 of its 9 cells did not run)"
    assert r.not_run.catalog_line == \
        "1 case added after the other runs (“Title of methods.new”) has no data in this report."


def test_a_claims_not_run_cell_says_the_case_is_newer() -> None:
    """A claim's cell in a run older than its case reads why, not "not selected"."""
    assert notrun.short_reason(partial_cell(detail="not run (case newer than this run)")) == \
        "case newer than this run"
