"""The answers' page on a phone (390×844), in Chromium: data cells in the matrix's first
screen, the default table a row per version, the start-methods and case tables as cards, a
claim tapped open as a card, and chart labels at a readable size."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness import loading, merge, render
from harness.grid import OSES, TARGET
from tests.integration.chromium import visible_rows
from tests.integration.report_pages import CASES, NOW, answers_docs, close_page, open_page

pytestmark = pytest.mark.browser


def test_phone_shows_data_cells_and_nothing_is_wider_than_the_screen(
        browser: Any, report: str) -> None:
    """At 390×844 the element at the centre of the scrolled matrix is a data cell, and the page
    is no wider than the screen."""
    pg = open_page(browser, report, 390, 844, is_mobile=True, has_touch=True)
    assert pg.evaluate("document.documentElement.scrollWidth") <= 390
    pg.evaluate("document.querySelector('.mwrap').scrollIntoView()")
    pg.evaluate("document.querySelector('.mwrap').scrollTop = 60")
    hit = pg.evaluate("""() => { const r = document.querySelector('.mwrap').getBoundingClientRect();
        const top = Math.max(r.top, 0), bottom = Math.min(r.bottom, innerHeight);
        const el = document.elementFromPoint((r.left + r.right) / 2, (top + bottom) / 2);
        const td = el && el.closest('tr.case-row > td:not(.gap)');
        return td ? td.getAttribute('data-outcome') || 'ok' : null; }""")
    assert hit is not None
    close_page(pg)


def test_phone_default_table_fits_the_screen_and_loses_nothing(
        browser: Any, report: str) -> None:
    """At 390×844 the default-method table is a row per version, a column per OS: it fits its
    box (the 13-column form was 1138 px wide in 377 and scrolled sideways with no hint, 3.14
    off-screen), each OS heading and the 3.14 row are on the screen, and it holds every value
    the desktop table holds."""
    cells = """tds => tds.map(td => [td.getAttribute('data-slot'), td.className,
        td.innerText.trim()]).sort()"""
    desktop = open_page(browser, report)
    wide = desktop.eval_on_selector_all("table.defaults td[data-slot]", cells)
    close_page(desktop)
    pg = open_page(browser, report, 390, 844, is_mobile=True, has_touch=True)
    assert pg.locator("table.defaults").is_hidden()
    table = pg.locator("table.defaults-v")
    pg.evaluate("document.querySelector('table.defaults-v').scrollIntoView()")
    fits = pg.evaluate("""() => { const t = document.querySelector('table.defaults-v');
        const r = t.getBoundingClientRect(); return [t.scrollWidth <= t.clientWidth, r.left,
        r.right]; }""")
    assert fits[0] and fits[1] >= 0 and fits[2] <= 390, fits
    for name in ("Linux", "macOS", "Windows", "3.14"):
        th = table.locator("th", has_text=name).first
        box = th.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, name
        hit = pg.evaluate("([x, y]) => document.elementFromPoint(x, y).textContent",
                          [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2])
        assert hit == name
    assert pg.eval_on_selector_all("table.defaults-v td[data-slot]", cells) == wide
    assert len(wide) >= len(OSES) * len(TARGET)
    close_page(pg)


def test_phone_matrix_section_shows_rows_on_its_first_screen(browser: Any, report: str) -> None:
    """At 390×844, scrolled to the matrix, its first rows are on the screen: the filters start
    folded (one tap opens them; on a desktop they are open) and the legend is compact — the
    legend, the keyboard help and the filters filled the screen, the table began below it."""
    pg = open_page(browser, report, 390, 844, is_mobile=True, has_touch=True)
    pg.evaluate("document.getElementById('matrix-section').scrollIntoView()")
    top = pg.evaluate("document.querySelector('#matrix tr.case-row').getBoundingClientRect().top")
    assert top < 844 - 60, top  # the first row, and more, on the first screen
    assert pg.locator("#f-cat").is_hidden()
    pg.click("details.filters > summary")
    pg.select_option("#f-cat", "deadlock")
    assert visible_rows(pg) == ["row-deadlock.lock_held"]
    close_page(pg)
    desk = open_page(browser, report)
    assert desk.locator("#f-cat").is_visible()
    close_page(desk)


def test_phone_tables_of_environments_and_cases_are_cards(browser: Any, report: str) -> None:
    """At 390×844 the start-methods table (7 columns) and each case's table (4) are cards: every
    cell within the screen's width, named ("multiprocessing default: fork"); the default and a
    case's cells were reached only by scrolling each table sideways. The counts' cells wrap
    under their row's heading."""
    pg = open_page(browser, report, 390, 844, is_mobile=True, has_touch=True)
    for table in ("table.methods-table", "#case-inheritance\\.config table", "table.counts"):
        pg.evaluate("t => document.querySelector(t).scrollIntoView()", table)
        wide = pg.evaluate("""t => { const el = document.querySelector(t);
            return [el.scrollWidth - el.clientWidth, Math.max(...Array.from(
                el.querySelectorAll('td')).map(td => td.getBoundingClientRect().right))]; }""",
                           table)
        assert wide[0] <= 1 and wide[1] <= 390, (table, wide)
    # The counts' caption is as wide as the screen allows (it was squeezed to a letter a line).
    assert pg.evaluate("document.querySelector('table.counts caption')"
                       ".getBoundingClientRect().width") > 300
    default = pg.locator('#env-linux-cpython-3\\.13 td[data-label="multiprocessing default"]')
    assert pg.evaluate("el => getComputedStyle(el, '::before').content", default.element_handle(
        )) == '"multiprocessing default: "'
    assert default.inner_text() == "fork"
    # A case's cards name their cells from the stylesheet (the cells carry no names).
    names = pg.eval_on_selector_all(
        "#case-inheritance\\.config tbody tr:first-child td",
        "tds => tds.map(td => getComputedStyle(td, '::before').content)")
    assert names == ["none", '"observed: "', '"expected: "', '"cells: "'], names
    close_page(pg)


def test_phone_reads_the_default_in_one_line_and_claims_as_cards(browser: Any,
                                                                 report: str) -> None:
    """At 390×844 the first screen says the default per OS in words; a claim, tapped, is a
    card: its overall verdict and every environment's verdict, named, within the screen's width
    (closed, a line: test_report_claims_layout)."""
    out = Path(report[len("file://"):]).parent / "claims"
    claim = {"id": "ok_everywhere", "claim": "Every method returns", "section": "Intro",
             "checks": [{"case": CASES[0], "methods": ["*"], "holds": {"outcome": "ok"}}]}
    claims = [claim] + [dict(claim, id="more_%d" % i) for i in range(20)]  # taller than a screen
    render.write_report(merge.merge([loading.Loaded.from_doc("f%d.json" % i, d) for i, d in
                                     enumerate(answers_docs())], now=NOW, claims=claims), out)
    pg = open_page(browser, (out / "index.html").as_uri(), 390, 844, is_mobile=True, has_touch=True)
    first = pg.locator("ul.lead-defaults li").first
    box = first.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 844
    assert first.inner_text().startswith("Linux: ")
    row = pg.locator("table.claims tbody tr").first
    row.scroll_into_view_if_needed()
    frames = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
    pg.evaluate(frames)  # the claims' box is laid out once near the screen (content-visibility)
    row.locator("summary").tap()
    cells = pg.eval_on_selector_all("table.claims tbody tr:first-child td", """tds => tds.map(
        td => [td.getBoundingClientRect().right, getComputedStyle(td, '::before').content])""")
    assert len(cells) >= 2 and all(right <= 390 for right, _label in cells)
    assert all(label.startswith('"Linux') for _right, label in cells[1:]), cells
    # The cards are on the page, not in a box scrolled inside it (the computed style: the box's
    # measured height depends on when content-visibility lays it out).
    assert pg.evaluate("getComputedStyle(document.querySelector('table.claims')"
                       ".parentElement).maxHeight") == "none"
    # Only an opened card lays out its cells' content (CI's 20 cards of 36 environments cost an
    # Answers tap a 350 ms frame when the shrunken matrix brought them all near the screen); a
    # closed card's cells are hidden until found: empty boxes, their content skipped.
    rendered = """s => document.querySelector(s).checkVisibility({contentVisibilityAuto: true})"""
    assert pg.evaluate(rendered, "table.claims tbody tr:first-child td.env small")
    assert not pg.evaluate(rendered, "table.claims tbody tr:last-child td.env small")
    close_page(pg)


def test_phone_chart_labels_are_readable(browser: Any, tmp_path: Path) -> None:
    """At 390 px the sample's performance charts keep labels of a readable size (they were
    ~4 px: a 900-unit chart squeezed to the screen) and scroll sideways inside their figure,
    whose edge fades; the page itself stays as wide as the screen."""
    sample = Path(__file__).resolve().parents[2] / "reports" / "sample"
    loaded, rejected = loading.load_results(sorted(str(p) for p in sample.glob("*.json")))
    render.write_report(merge.merge(loaded, rejected, now=NOW), tmp_path)
    pg = open_page(browser, (tmp_path / "index.html").as_uri(), 390, 844, is_mobile=True,
               has_touch=True)
    pg.evaluate("document.querySelector('#performance figure').scrollIntoView()")
    pg.wait_for_selector("#performance svg.chart")  # built when near the screen
    label = pg.evaluate("""() => document.querySelector(
        '#performance svg.chart :is(text.lbl, .lbl text)')
        .getBoundingClientRect().height""")
    assert label >= 9
    assert pg.evaluate("document.documentElement.scrollWidth") <= 390
    # The figure uses the screen's width (its default 40 px margins cut 80 px more of the chart).
    assert pg.evaluate("document.querySelector('#performance figure')"
                       ".getBoundingClientRect().left") <= 12
    # It shows that it scrolls (review r14: PyPy's bars ran off the edge with no cue): the
    # screen's edge fades; scrolled to its end, the fade is over the chart's blank end strip,
    # not over a bar or a label.
    cue = pg.evaluate("""() => { const f = document.querySelector('#performance figure');
        return [f.scrollWidth > f.clientWidth, getComputedStyle(f).maskImage]; }""")
    assert cue[0] and "gradient" in cue[1], cue
    fade, ink = pg.evaluate(r"""() => { const f = document.querySelector('#performance figure');
        f.scrollLeft = f.scrollWidth; const edge = f.getBoundingClientRect().right;
        const fade = parseFloat(getComputedStyle(f).maskImage.match(/([\d.]+)px\)$/)[1]);
        const right = Math.max(...Array.from(f.querySelectorAll('svg.chart *')).map(
            e => e.getBoundingClientRect().right));
        return [edge - fade, right]; }""")
    assert ink <= fade + 1, (ink, fade)
    close_page(pg)
