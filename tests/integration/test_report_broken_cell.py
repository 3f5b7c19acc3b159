"""At 390×844, by touch: a cell whose returned value is the program failing (the case declares
it ``breaks`` there) does not read as "works"; a --quick cell says the flag as typed; the
advice line stands under the defaults (review r16). Made-up data."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

from harness import loading, merge, render
from harness.documents import CellMeta
from tests.integration.chromium import launch
from tests.integration.report_pages import NOW, cell_in_view, close_page, open_page
from tests.unit.report_synth import case_doc, cell, results_doc

GUARD = "inheritance.no_guard"
ENV = "linux-cpython-3.13"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch()


def _guard(case_id: str, method: str) -> CellMeta:
    failed = method != "fork"
    return cell(case_id, method, observed={"child_exitcode": 1 if failed else 0})


def _page(out: Path) -> str:
    docs = [case_doc(GUARD, breaks=["spawn", "forkserver"]), case_doc("performance.p")]
    old = results_doc(version="3.13.0", cases=[GUARD, "performance.p"], observe=_guard,
                      case_docs=docs)
    new = results_doc(version="3.14.1", cases=[GUARD], observe=_guard, default="forkserver",
                      case_docs=docs)
    new["harness"]["environment"]["left_out"] = {"performance": "quick"}
    matrix = merge.merge([loading.Loaded.from_doc("f%d.json" % i, d)
                          for i, d in enumerate((old, new))], now=NOW)
    render.write_report(matrix, out)
    return (out / "index.html").as_uri()


def test_a_broken_value_a_quick_cell_and_the_advice_on_a_phone(browser: Any,
                                                              tmp_path: Path) -> None:
    pg = open_page(browser, _page(tmp_path), 390, 844, is_mobile=True, has_touch=True)
    advice = pg.locator("#answers p.advice")
    assert advice.inner_text().startswith("If Linux 3.14 broke your code: make targets")
    cell_in_view(pg, GUARD, ENV, "spawn").tap()
    assert pg.locator("#detail p.outcome").inner_text().startswith(
        "ok — but the program failed")
    cell_in_view(pg, GUARD, ENV, "fork").tap()
    assert pg.locator("#detail p.outcome").inner_text() == "ok: the case returned a value"
    cell_in_view(pg, "performance.p", "linux-cpython-3.14", "spawn").tap()
    assert pg.locator("#detail-body > p").all_inner_texts()[0] == "Not run: --quick."
    close_page(pg)
