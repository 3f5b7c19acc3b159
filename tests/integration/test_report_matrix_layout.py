"""The matrix's layout, in Chromium: a CI-sized page stays small and renders, an OS without
data says so, the OS and category of the columns in sight stay named when scrolled sideways,
and a long title wraps on a small phone (a row is one or two lines)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness import loading, merge, render
from tests.integration.chromium import matrix_cell
from tests.integration.report_pages import NOW, evil_docs, write_page
from tests.unit.report_synth import case_doc, cell, ci_legs, results_doc

pytestmark = pytest.mark.browser


@pytest.mark.slow
def test_big_page_stays_small_and_renders(browser: Any, tmp_path: Path) -> None:
    """30 environments × 100 cases: under 3 MB; opened at the matrix, all 9,000 cells are
    rendered (content-visibility skips the matrix only while it is off screen)."""
    from tests.unit.test_report_render import _big

    render.write_report(_big(30, 100), tmp_path)
    size = (tmp_path / "index.html").stat().st_size
    assert size < 3 * 1024 * 1024
    pg = browser.new_page(viewport={"width": 1280, "height": 800})
    pg.goto((tmp_path / "index.html").as_uri() + "#matrix-section", wait_until="load",
            timeout=180_000)
    pg.wait_for_function("""() => {
        const tds = document.querySelectorAll('#matrix tr.case-row > td:not(.gap)');
        return tds.length > 0 && tds[0].checkVisibility({contentVisibilityAuto: true}) &&
               tds[tds.length - 1].checkVisibility({contentVisibilityAuto: true}); }""")
    assert pg.locator("#matrix tr.case-row > td:not(.gap)").count() == 30 * 100 * 3
    load = pg.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd") / 1000.0
    pg.close()
    # The load time is printed, not asserted: the < 1 s target is a performance target, and
    # those are measured by a benchmark (harness/pageload.py in nox -s bench), never asserted in
    # a timed test (DEVELOPERS.md).
    print("page %d bytes, navigation→load %.2f s" % (size, load))


def test_an_os_whose_legs_produced_nothing_says_so(browser: Any, tmp_path: Path) -> None:
    """CI: a leg without results still has its (not run) column; filtering to its OS says that
    no environment shown has data, as with an OS that has no column at all."""
    m = merge.merge([loading.Loaded.from_doc("f%d.json" % i, d) for i, d in enumerate(evil_docs())],
                    now=NOW, expected_environments=["windows-cpython-3.13"])
    render.write_report(m, tmp_path)
    pg = browser.new_page(viewport={"width": 1280, "height": 800})
    pg.goto((tmp_path / "index.html").as_uri())
    pg.select_option("#f-os", "windows")
    assert "no environment shown has data" in pg.inner_text("#f-count")
    pg.select_option("#f-os", "linux")
    assert "no environment" not in pg.inner_text("#f-count")
    pg.close()


@pytest.mark.parametrize("width,height", [(1440, 900), (390, 844)])
def test_the_os_of_the_columns_in_sight_is_named(browser: Any, tmp_path: Path, width: int,
                                                  height: int) -> None:
    """CI-sized (3 OS × 12 environments): wherever the matrix is scrolled sideways, the OS of
    the columns in sight is named in its heading, right of the case column (it was centred
    over 36 columns: at the left edge of the matrix no OS name was on the screen), and so is
    the version of the leftmost column in sight (on a phone it was centred out of sight)."""
    cases = ["methods.a", "deadlock.b"]
    url = write_page(tmp_path, *[results_doc(cases=cases, **leg) for leg in ci_legs()])
    pg = browser.new_page(viewport={"width": width, "height": height}, is_mobile=width < 700)
    pg.goto(url)
    # Each version heading spans its 3 method columns (the printed parts' method headings were
    # once counted as a fourth method: every heading spanned 4 columns, misaligned).
    assert pg.eval_on_selector_all("#matrix th.env", "ts => [...new Set(ts.map(t => t.colSpan))]"
                                   ) == [3]
    pg.evaluate("document.querySelector('.mwrap').scrollIntoView()")
    box = pg.evaluate("document.querySelector('.mwrap').scrollWidth")
    for fraction, name in ((0, "Linux"), (0.2, "Linux"), (0.5, "macOS"), (0.9, "Windows")):
        pg.evaluate("f => { const w = document.querySelector('.mwrap'); "
                    "w.scrollLeft = f * w.scrollWidth; }", fraction)
        # The OS names drawn between the case column and the box's right edge.
        seen = pg.evaluate("""() => { const w = document.querySelector('.mwrap');
            const left = document.querySelector('#matrix th.corner').getBoundingClientRect().right;
            const right = Math.min(w.getBoundingClientRect().right, innerWidth);
            return Array.from(document.querySelectorAll('#matrix th.osg')).filter(th => {
                const range = document.createRange(); range.selectNodeContents(th);
                const r = range.getBoundingClientRect();
                return r.width > 0 && r.left >= left - 1 && r.right <= right + 1;
            }).map(th => th.textContent); }""")
        assert name in seen, (fraction, seen, box)
        # The leftmost version in sight: its heading is drawn in sight too (unless so little of
        # it is left that the name slides out with it).
        drawn = pg.evaluate("""() => {
            const left = document.querySelector('#matrix th.corner').getBoundingClientRect().right;
            const th = Array.from(document.querySelectorAll('#matrix th.env')).find(th => {
                const r = th.getBoundingClientRect();
                return r.left <= left + 2 && r.right > left + 2; });
            if (!th) { return true; }
            const range = document.createRange(); range.selectNodeContents(th);
            const r = range.getBoundingClientRect();
            if (th.getBoundingClientRect().right - left < r.width + 16) { return true; }
            return r.left >= left - 1 && r.right <= innerWidth; }""")
        assert drawn, fraction
    pg.close()


@pytest.mark.parametrize("width,height", [(1440, 900), (390, 844)])
def test_a_category_heading_keeps_its_name_in_sight_when_scrolled_sideways(
        browser: Any, tmp_path: Path, width: int, height: int) -> None:
    """CI-sized: with the matrix scrolled sideways, each category heading still shows its name
    inside the matrix's box (the heading spans every column, so it could not stick: a blank
    grey band)."""
    cases = ["methods.a", "deadlock.b"]
    url = write_page(tmp_path, *[results_doc(cases=cases, **leg) for leg in ci_legs()])
    pg = browser.new_page(viewport={"width": width, "height": height}, is_mobile=width < 700)
    pg.goto(url)
    pg.evaluate("document.querySelector('.mwrap').scrollIntoView()")
    for fraction in (0, 0.5, 0.9):
        pg.evaluate("f => { const w = document.querySelector('.mwrap'); "
                    "w.scrollLeft = f * w.scrollWidth; }", fraction)
        seen = pg.evaluate("""() => {
            const w = document.querySelector('.mwrap').getBoundingClientRect();
            const right = Math.min(w.right, innerWidth);
            return Array.from(document.querySelectorAll('#matrix th.cath')).map(th => {
                const range = document.createRange(); range.selectNodeContents(th);
                const r = range.getBoundingClientRect();
                const inside = r.left >= w.left - 1 && r.right <= right + 1;
                return [th.textContent, r.width > 0 && inside];
            }); }""")
        assert seen == [["methods", True], ["deadlock", True]], (fraction, seen)
    pg.close()


def test_a_long_finding_title_wraps_on_a_small_phone(browser: Any, tmp_path: Path) -> None:
    """At 360 px a finding whose title is one long token ("ProcessPoolExecutor(max_tasks_per_
    child=...)") wraps inside its box (the box clips its paint: the title was cut off)."""
    title = "ProcessPoolExecutor(max_tasks_per_child=...) uses spawn by default"
    url = write_page(tmp_path, results_doc(
        cases=["api.ppe"], case_docs=[case_doc("api.ppe", title=title)],
        observe=lambda c, m: cell(c, m, observed=2, verdict="unexpected")))
    pg = browser.new_page(viewport={"width": 360, "height": 740}, is_mobile=True)
    pg.goto(url)
    link = pg.locator("div.finding strong a")
    link.scroll_into_view_if_needed()
    box = link.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 360 - 4, box
    pg.close()


def test_a_phone_matrix_row_is_one_or_two_lines_and_keeps_its_title(browser: Any,
                                                                      tmp_path: Path) -> None:
    """At 390×844 a row says its case id's short name: titles of ~80 characters wrapped to ~5
    lines in the case column, 5 rows in the matrix box (18 with these 2-line names). The full
    title is the link's title and the heading of a cell's panel; a desktop still shows it."""
    cases = ["inheritance.open_file_descriptor_%02d" % i for i in range(40)]
    title = "A file descriptor number opened by the parent, used by the child without passing it"
    url = write_page(tmp_path, results_doc(cases=cases, case_docs=[
        case_doc(c, title="%s (%s)" % (title, c[-2:])) for c in cases]))
    pg = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    pg.goto(url)
    pg.evaluate("document.querySelector('.mwrap').scrollIntoView()")
    rows = pg.evaluate("""() => { const q = s => document.querySelector(s).getBoundingClientRect();
        const top = q('#matrix thead').bottom, bottom = Math.min(q('.mwrap').bottom, innerHeight);
        return Array.from(document.querySelectorAll('#matrix tr.case-row')).filter(r => {
            const b = r.getBoundingClientRect(); return b.top >= top - 1 && b.bottom <= bottom + 1;
        }).length; }""")
    assert rows >= 15, rows
    link = pg.locator("#row-inheritance\\.open_file_descriptor_07 th.rh a")
    assert link.inner_text() == "open_file_descriptor_07"
    assert link.get_attribute("title") == title + " (07)"
    matrix_cell(pg, "inheritance.open_file_descriptor_07", "linux-cpython-3.12", "spawn").click()
    assert pg.inner_text("#detail-title") == title + " (07) · Linux 3.12 · spawn"
    pg.close()
    desk = browser.new_page(viewport={"width": 1280, "height": 800})
    desk.goto(url)
    assert desk.locator("#row-inheritance\\.open_file_descriptor_07 th.rh a").inner_text(
        ) == title + " (07)"
    desk.close()
