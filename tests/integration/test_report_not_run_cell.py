"""A not-run cell tapped on a phone: the panel says why it did not run (the tooltip said it,
which a touch screen cannot reach; the panel said "no data for this cell in this report" of
every one, also of a case newer than its run: review r3 #1). Made-up data."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

from harness import loading, merge, render
from harness.documents import CellMeta
from tests.integration.chromium import launch
from tests.integration.report_pages import NOW, cell_in_view, close_page, open_page
from tests.unit.report_synth import case_doc, cell, results_doc


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch()


def _cannot_start_spawn(case_id: str, method: str) -> CellMeta:
    """The runner's cell when it could not start the interpreter (spawn only)."""
    if method != "spawn":
        return cell(case_id, method)
    return cell(case_id, method, outcome="error", verdict="unexpected",
                detail="the harness could not start the interpreter",
                error={"type": "HarnessError", "where": "harness", "message": "cannot run x"})


def _page(out: Path) -> str:
    old = results_doc(version="3.12.1", cases=["methods.a"], commit="1" * 40,
                      timestamp="2026-01-01T00:00:00+00:00")
    new = results_doc(version="3.13.1", cases=["methods.a", "methods.new"], commit="2" * 40,
                      timestamp="2026-01-02T00:00:00+00:00")
    lacking = results_doc(version="3.14.1", cases=["methods.a"], commit="2" * 40,
                          timestamp="2026-01-02T00:00:00+00:00",
                          case_docs=[case_doc("methods.a"), case_doc("methods.new")],
                          observe=_cannot_start_spawn)
    matrix = merge.merge([loading.Loaded.from_doc("f%d.json" % i, d)
                          for i, d in enumerate((old, new, lacking))], now=NOW)
    render.write_report(matrix, out)
    return (out / "index.html").as_uri()


def test_a_tapped_not_run_cell_says_why(browser: Any, tmp_path: Path) -> None:
    """At 390×844, by touch: a cell of a case newer than its run says so; one with no reason
    recorded still says there is no data."""
    pg = open_page(browser, _page(tmp_path), 390, 844, is_mobile=True, has_touch=True)
    cell_in_view(pg, "methods.new", "linux-cpython-3.12", "spawn").tap()
    assert pg.locator("#detail-body > p").all_inner_texts()[0] == \
        "Not run: case newer than this run."
    cell_in_view(pg, "methods.new", "linux-cpython-3.14", "spawn").tap()
    assert pg.locator("#detail-body > p").all_inner_texts()[0] == \
        "Not run: no data for this cell in this report."
    close_page(pg)


def test_a_tapped_cell_the_harness_could_not_run_says_why(browser: Any, tmp_path: Path) -> None:
    """Not the case's error ("HarnessError: cannot run x"): not run, and why. (A page of its
    own: a third tap in a row on one page did not reach the panel, a double tap perhaps.)"""
    pg = open_page(browser, _page(tmp_path), 390, 844, is_mobile=True, has_touch=True)
    cell_in_view(pg, "methods.a", "linux-cpython-3.14", "spawn").tap()
    assert pg.locator("#detail-body > p").all_inner_texts()[0] == \
        "Not run: the harness could not start the interpreter."
    close_page(pg)
