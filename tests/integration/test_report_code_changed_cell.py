"""A merged cell whose runs ran two versions of its case (``code_changed``), tapped on a phone:
the panel says so in words (review r5: it said only "✗ differs…" and the runs; the words were a
hover title, which a touch screen cannot reach). Made-up data: the newer run of the case's
edited code differs from an inferred expectation, the older one agreed."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

from harness import loading, merge, render
from harness.documents import CellMeta, ResultsDoc
from tests.integration.chromium import launch
from tests.integration.report_pages import NOW, cell_in_view, close_page, open_page
from tests.unit.report_synth import case_doc, cell, results_doc

#: The older run's commit: data from a file, never markup (its first 12 characters show).
EVIL = '"><img src=x onerror="window.__pwned=1">'
INFERRED = {"outcome": "ok", "value": 1, "methods": ["spawn"], "inferred": True}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch()


def _run(digest: str, commit: str, spawn: int, hour: int) -> ResultsDoc:
    def observe(c: str, m: str, /) -> CellMeta:
        if m != "spawn":
            return cell(c, m)
        return cell(c, m, observed=spawn, expected=INFERRED,
                    verdict="as-expected" if spawn == 1 else "unexpected")
    return results_doc(case_docs=[case_doc("methods.a", code_digest=digest)], commit=commit,
                       timestamp="2026-01-01T0%d:00:00+00:00" % hour, observe=observe)


def _page(out: Path) -> str:
    matrix = merge.merge([loading.Loaded.from_doc(name, doc) for name, doc in (
        ("results/linux-cpython-3.12.json", _run("a" * 12, EVIL, 1, 0)),
        ("r5new/linux-cpython-3.12.json", _run("b" * 12, "2" * 40, 2, 1)))], now=NOW)
    render.write_report(matrix, out)
    return (out / "index.html").as_uri()


def test_a_tapped_code_changed_cell_says_its_runs_ran_two_versions(browser: Any,
                                                                     tmp_path: Path) -> None:
    """At 390×844, by touch: the panel names the change of the case (its commits, as text),
    says the runs are not compared and that the cell decides no claim, beside its verdict."""
    pg = open_page(browser, _page(tmp_path), 390, 844, is_mobile=True, has_touch=True)
    td = cell_in_view(pg, "methods.a", "linux-cpython-3.12", "spawn")
    td.tap()
    assert pg.locator("#detail").is_visible()
    lines = pg.locator("#detail-body > p").all_inner_texts()
    assert lines[1] == "✗ differs from an inferred expectation (one the docs do not state)"
    assert lines[2] == ("runs not compared: the case's code changed between these runs "
                        "(commits \"><img src=x → 222222222222); the cell shows the newest run "
                        "and decides no claim")
    assert pg.evaluate("window.__pwned") is None
    assert pg.locator("#detail-body img").count() == 0
    close_page(pg)
