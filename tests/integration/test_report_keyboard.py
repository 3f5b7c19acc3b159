"""The matrix by keyboard and by touch, in Chromium: Tab and the arrow keys reach and open
every cell (what a screen reader announces with it), a press low on the screen keeps its cell
in sight, and the panel's words for inferred and unavailable cells."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.documents import CellMeta
from tests.integration.report_pages import EVIL, evil_docs, write_page
from tests.unit.report_synth import cell, results_doc

pytestmark = pytest.mark.browser


def _focused(pg: Any) -> str:
    """The focused element as 'TAG#row-id' (its row), or its tag alone outside the matrix."""
    return str(pg.evaluate("""() => { const el = document.activeElement;
        const row = el.closest('#matrix tr'); return el.tagName + (row ? '#' + row.id : ''); }"""))


def _description(pg: Any) -> str:
    """The accessible description Chromium computes for the focused element (what a screen
    reader announces after its name)."""
    cdp = pg.context.new_cdp_session(pg)
    handle = cdp.send("Runtime.evaluate", {"expression": "document.activeElement"})
    nodes = cdp.send("Accessibility.getPartialAXTree", {
        "objectId": handle["result"]["objectId"], "fetchRelatives": False})["nodes"]
    cdp.detach()
    return str(nodes[0].get("description", {}).get("value", ""))


def test_matrix_cells_are_reachable_and_operable_by_keyboard(page: Any) -> None:
    """Tab from the filters lands on a matrix cell (outlined) whose details show and are its
    accessible description; arrow keys move cell to cell; Enter makes it a permalink; Escape in
    the details panel closes it and returns to the cell."""
    page.focus("#f-q")
    for _ in range(3):
        page.keyboard.press("Tab")
        if _focused(page).startswith("TD"):
            break
    assert _focused(page) == "TD#row-methods.a"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    assert page.locator("#detail").is_visible()
    assert page.inner_text("#detail-title") == "Title of methods.a · Linux 3.12 · fork"
    details = page.inner_text("#detail-body")
    assert details.startswith("ok: the case returned a value") and "as the docs say" in details
    assert "observed\n1" in details and "expected (from the docs)" in details
    assert _description(page).startswith("ok: the case returned a value")

    page.keyboard.press("ArrowRight")
    assert page.inner_text("#detail-title") == \
        "Title of methods.a · Linux 3.12 · forkserver"
    for _ in range(2):
        page.keyboard.press("ArrowDown")
    assert _focused(page) == "TD#row-pickling.evil"
    assert EVIL[:20] in page.inner_text("#detail-body")  # shown as text, never run
    assert page.evaluate("window.__pwned") is None
    page.keyboard.press("Enter")
    # location.href, not page.url: Playwright hears of a replaceState later (CI under load)
    assert "cell=pickling.evil%7Elinux-cpython-3.12%7Eforkserver" in page.evaluate(
        "location.href")
    assert page.locator("#row-pickling\\.evil td.sel").count() == 1

    page.keyboard.press("Home")
    assert _focused(page) == "A#row-pickling.evil"  # the row's case link, then out of the grid
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "detail-close"
    # Escape inside the panel closes it and focus goes back to its cell (review r14: only the
    # matrix heard Escape).
    page.keyboard.press("Escape")
    assert page.locator("#detail").is_hidden()
    assert _focused(page) == "TD#row-pickling.evil"
    assert page.evaluate("document.activeElement.getAttribute('tabindex')") == "0"
    assert "cell=" not in page.evaluate("location.href")


@pytest.mark.parametrize("phone", [True, False])
def test_a_press_low_on_the_screen_selects_the_cell_and_keeps_it_in_sight(
        browser: Any, tmp_path: Path, phone: bool) -> None:
    """A tap (a click on a desktop) on the matrix's Tab-stop cell in the screen's lower half
    selects it (its permalink in the address) and leaves it above the details panel: the panel
    opened on the press's focus, covered the cell, and the click never reached it."""
    size = (390, 844) if phone else (1280, 800)
    pg = browser.new_page(viewport={"width": size[0], "height": size[1]}, is_mobile=phone,
                          has_touch=phone)
    pg.goto(write_page(tmp_path, *evil_docs()))
    stop = pg.locator('#matrix td[tabindex="0"]')
    top = pg.evaluate("""() => { const r = document.querySelector('#matrix td[tabindex="0"]')
        .getBoundingClientRect(); window.scrollBy(0, r.top - innerHeight * 0.75);
        return document.querySelector('#matrix td[tabindex="0"]').getBoundingClientRect().top;
    }""")
    assert top > size[1] * 0.6  # the precondition: the cell is low on the screen
    if phone:
        stop.tap()
    else:
        stop.click()
    assert stop.evaluate("td => td.classList.contains('sel')")
    assert "cell=" in pg.evaluate("location.href")
    assert "permalink to this cell" in pg.inner_text("#detail-hint")
    cell_bottom, panel_top = pg.evaluate("""() => [
        document.querySelector('#matrix td.sel').getBoundingClientRect().bottom,
        document.getElementById('detail').getBoundingClientRect().top]""")
    assert cell_bottom <= panel_top
    pg.close()


def test_the_panel_words_inferred_and_unavailable_cells(browser: Any, tmp_path: Path) -> None:
    """The panel's verdict lines come from the page's JSON (``cellview.PANEL_WORDS``, one copy
    in Python): an inferred expectation is never "from the docs"; a cell no rule speaks to
    says the docs say nothing."""
    inferred = {"outcome": "ok", "methods": ["*"], "value": 1, "inferred": True,
                "note": "follows from fork copying the parent"}

    def observe(c: str, m: str) -> CellMeta:
        if m == "spawn":
            return cell(c, m, outcome="unavailable", verdict="", detail="no spawn here")
        return cell(c, m, observed=2, verdict="unexpected", expected=inferred)
    url = write_page(tmp_path, results_doc(cases=["methods.a"], observe=observe))
    pg = browser.new_page(viewport={"width": 1280, "height": 800})
    pg.goto(url)
    pg.click("#row-methods\\.a td:not(.gap)")
    text = pg.inner_text("#detail-body")
    assert "✗ differs from an inferred expectation (one the docs do not state)" in text
    assert "expected (inferred: the docs do not state it)" in text
    assert "from the docs" not in text
    pg.click("#row-methods\\.a td:not(.gap) >> nth=2")
    text = pg.inner_text("#detail-body")
    assert text.startswith("unavailable: no spawn here")
    assert "? the docs say nothing about this cell" in text
    pg.close()
