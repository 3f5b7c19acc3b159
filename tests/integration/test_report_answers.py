"""The report answers, in a real headless Chromium (Debian `chromium` through Playwright's
executable_path): on a page built from fixture results with a hang, an error, a crash, a
warning, an unexpected cell and missing environments, each outcome reads differently, findings
are marked, the answers come first, and the 10-second questions are answered in one click; the
examples, counts and blank cells say why. The same page on a phone: test_report_phone; its
links into the matrix: test_report_links; printed: test_report_print."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness import loading, merge, render
from harness.documents import CellMeta
from harness.grid import OSES, TARGET
from tests.integration.chromium import LOW_CONTRAST, matrix_cell, visible_rows
from tests.integration.report_pages import (
    CASES,
    NOW,
    answers_docs,
    cell_in_view,
    close_page,
    open_page,
    write_page,
)
from tests.unit.report_synth import case_doc, cell, results_doc

pytestmark = pytest.mark.browser


_COLOUR = """name => { const d = document.createElement('div'); d.style.background = 'var(' + name
    + ')'; document.body.append(d); const c = getComputedStyle(d).backgroundColor; d.remove();
    return c; }"""


_BG = "td => getComputedStyle(td).backgroundColor"


def test_each_outcome_reads_differently_and_findings_are_marked(browser: Any, report: str) -> None:
    """ok, error, hang and crash cells differ in visible text (not only colour); an unexpected
    cell carries a visible mark; a cell whose run warned carries a visible ⚠."""
    pg = open_page(browser, report)
    env = "linux-cpython-3.13"
    texts = {o: cell_in_view(pg, c, env, m).inner_text() for o, c, m in (
        ("ok", "deadlock.lock_held", "spawn"), ("error", "pickling.lambda_target", "spawn"),
        ("timeout", "deadlock.lock_held", "fork"), ("crash", "methods.crashy", "forkserver"))}
    assert texts["ok"] == "ok" and texts["error"] == "PicklingError"
    assert texts["timeout"] == "hang 15 s" and texts["crash"].startswith("SIGSEGV")
    assert len(set(texts.values())) == 4
    crash = cell_in_view(pg, "methods.crashy", env, "forkserver")
    assert crash.get_attribute("data-outcome") == "crash"
    assert crash.get_attribute("data-verdict") == "unexpected"
    mark = crash.locator("b")
    assert mark.is_visible() and mark.inner_text() == "✗"
    # Styled as the legend's marks (b.vm, i.w) though a cell's carry no class: raised, and an
    # unexpected cell's in the colour of "differs from the docs".
    ux = pg.evaluate("""() => { const d = document.createElement('b'); d.style.color = 'var(--ux)';
        document.body.append(d); const c = getComputedStyle(d).color; d.remove(); return c; }""")
    assert mark.evaluate("b => [getComputedStyle(b).verticalAlign, getComputedStyle(b).color]"
                         ) == ["super", ux]
    plain = cell_in_view(pg, "methods.crashy", env, "spawn")
    assert plain.locator("b").count() == 0
    warned = cell_in_view(pg, "inheritance.warns", env, "fork")
    assert warned.locator("i").is_visible() and "⚠" in warned.inner_text()
    assert warned.locator("i").evaluate("i => getComputedStyle(i).verticalAlign") == "sub"
    older = cell_in_view(pg, "inheritance.warns", "linux-cpython-3.12", "fork")
    assert older.locator("i").count() == 0
    # The control that colours by agreement with the docs is part of the permalink.
    # An error the docs predict: coloured by agreement it reads "as the docs say" (a cell as
    # the docs say carries no data-verdict).
    error = cell_in_view(pg, "pickling.lambda_target", env, "spawn")
    assert error.get_attribute("data-verdict") is None
    pg.select_option("#f-color", "docs")
    assert "color=docs" in pg.evaluate("location.href") and pg.locator("body.by-docs").count() == 1
    as_docs = pg.evaluate("getComputedStyle(document.body).getPropertyValue('--ae')")
    assert as_docs.strip() == "#dff3df"  # light scheme: rgb(223, 243, 223)
    assert error.evaluate("td => getComputedStyle(td).backgroundColor") == "rgb(223, 243, 223)"
    close_page(pg)


def test_a_cell_that_returned_is_coloured_ok_without_saying_so(browser: Any, report: str) -> None:
    """A matrix cell that returned carries no data-outcome (CI's page: ~7,700 cells, 280 KB):
    it is coloured as the legend's ok on screen, printed and without JavaScript, coloured by the
    docs an ok cell that differs still reads "differs", and its panel says ok."""
    env = "linux-cpython-3.13"
    pg = open_page(browser, report)
    ok = cell_in_view(pg, "deadlock.lock_held", env, "spawn")
    assert ok.get_attribute("data-outcome") is None
    ok_colour = pg.evaluate(_COLOUR, "--ok")
    assert pg.locator('#legend [data-outcome="ok"]').evaluate(_BG) == ok_colour
    assert ok.evaluate(_BG) == ok_colour
    assert cell_in_view(pg, "pickling.lambda_target", env, "spawn").evaluate(_BG) != ok_colour
    assert pg.locator("#matrix td.gap").first.evaluate(_BG) != ok_colour
    ok.click()
    assert pg.locator("#detail p.outcome").inner_text() == "ok: the case returned a value"
    pg.select_option("#f-color", "docs")
    differs = cell_in_view(pg, "inheritance.config", env, "spawn")
    assert differs.get_attribute("data-outcome") is None
    assert differs.evaluate(_BG) == pg.evaluate(_COLOUR, "--uxbg") != ok_colour
    assert ok.evaluate(_BG) == pg.evaluate(_COLOUR, "--ae")
    close_page(pg)
    ctx = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 800})
    plain = ctx.new_page()
    plain.goto(report)
    plain.evaluate("document.querySelector('.mwrap').scrollIntoView()")
    cell = matrix_cell(plain, "deadlock.lock_held", env, "spawn")
    assert cell.evaluate(_BG) == plain.evaluate(_COLOUR, "--ok") == ok_colour
    plain.emulate_media(media="print")  # two columns fit the paper: the matrix prints itself
    assert cell.evaluate(_BG) == plain.evaluate(_COLOUR, "--ok")
    ctx.close()


def test_answers_come_first_and_name_every_default(browser: Any, report: str) -> None:
    """At 1280×800 the answers block is in the first screen; the defaults table has a value for
    every OS × version of the target grid, the ones not run marked as the docs' value."""
    pg = open_page(browser, report)
    box = pg.locator("#answers").bounding_box()
    assert box is not None and box["y"] + box["height"] <= 800
    grid = {"%s-%s-%s%s" % (o, i, m, "t" if f else "") for o in OSES
            for i, m, f in TARGET}
    slots = pg.eval_on_selector_all("table.defaults td[data-slot]", """tds => tds.map(td => [
        td.getAttribute('data-slot'), td.className, td.innerText.trim()])""")
    assert grid <= {s for s, _c, _t in slots}
    for slot, cls, text in slots:
        ran = slot in ("linux-cpython-3.12", "linux-cpython-3.13")
        assert cls == ("run-default" if ran else "doc-default"), slot
        assert text.endswith("docs") != ran, slot
        assert text.split("docs")[0] in ("fork", "forkserver", "spawn"), slot
    close_page(pg)


@pytest.mark.parametrize("size", [(390, 844), (1280, 800)])
def test_the_answer_lines_come_before_the_default_table_and_its_tab_stops(
        browser: Any, report: str, size: Any) -> None:
    """The answer lines follow the default bullets at once, on a phone's first screen; the
    default table (a row per version on a phone: the bullets again) comes after them (review
    r14: its 15 rows pushed "only under spawn or forkserver" to y=1086). No Tab stop comes
    between the bullets and the answer lines (but the what-to-do line's), and a default not run
    here is plain text, not one of 24 identical "spawn docs" links; a measured one is a 24 px
    target on a phone."""
    phone = size[0] < 600
    pg = open_page(browser, report, *size, is_mobile=phone, has_touch=phone)
    table = "table.defaults-v" if phone else "table.defaults"
    tops = pg.evaluate("""(t) => [document.querySelector('ul.answers li:last-child'),
        document.querySelector(t)].map(e => e.getBoundingClientRect().top + scrollY)""", table)
    assert tops[0] < tops[1], tops
    first = pg.locator("ul.answers li").first.bounding_box()
    assert first is not None and first["y"] + first["height"] <= size[1]
    # but the what-to-do line's own, under the default it answers (review r16): its docs and
    # cases are the next thing a reader whose default moved needs
    stops = pg.evaluate("""() => { const ul = document.querySelector('ul.answers');
        return Array.from(document.querySelectorAll('#answers a')).filter(a =>
            a.getClientRects().length && (a.compareDocumentPosition(ul) & 4) &&
            !a.closest('p.advice')).length; }""")
    assert stops == 0
    assert pg.locator(table + " td.doc-default").count() > 0
    assert pg.locator(table + " td.doc-default a").count() == 0
    if phone:
        pg.evaluate("t => document.querySelector(t).scrollIntoView()", table)
        sizes = pg.eval_on_selector_all(table + " td a", """as => as.map(a => {
            const r = a.getBoundingClientRect(); return [r.width, r.height]; })""")
        assert sizes and all(w >= 24 and h >= 24 for w, h in sizes), sizes
    close_page(pg)


def test_the_ten_second_questions(browser: Any, report: str) -> None:
    """Default on Linux 3.14 and on macOS (first screen); is fork safe with a thread holding a
    lock; which cases differ between fork and spawn; why did this cell fail (one click each)."""
    pg = open_page(browser, report)
    linux_314 = pg.locator('table.defaults td[data-slot="linux-cpython-3.14"]')
    assert linux_314.inner_text().startswith("forkserver") and "docs" in linux_314.inner_text()
    assert pg.locator('table.defaults td[data-slot="macos-cpython-3.13"]').inner_text(
        ).startswith("spawn")
    # Is fork safe with a thread holding a lock? The answer line, one click: the row, a hang.
    pg.click("ul.answers a[href='#view?b=fork-only']")
    assert visible_rows(pg) == ["row-deadlock.lock_held"]
    assert cell_in_view(pg, "deadlock.lock_held", "linux-cpython-3.12", "fork").inner_text() == \
        "hang 15 s"
    # Which cases differ between fork and spawn?
    pg.click("ul.answers a[href='#view?b=fork-spawn']")
    # inheritance.warns: fork warns (DeprecationWarning on 3.13.0) where spawn does not — a
    # behaviour, as the change points count one (outcome, value or error type, warning kinds)
    assert set(visible_rows(pg)) == {"row-deadlock.lock_held", "row-pickling.lambda_target",
                                      "row-inheritance.config", "row-inheritance.warns"}
    # Why did this cell fail? Click it: the panel says what happened and what the docs say.
    pg.select_option("#f-b", "")
    cell_in_view(pg, "methods.crashy", "linux-cpython-3.13", "forkserver").click()
    body = pg.inner_text("#detail-body")
    assert "crash: killed by SIGSEGV" in body and "differs from the docs" in body
    cell_in_view(pg, "deadlock.lock_held", "linux-cpython-3.13", "fork").click()
    assert "hung — killed after 15.0 s" in pg.inner_text("#detail-body")
    cell_in_view(pg, "inheritance.config", "linux-cpython-3.13", "spawn").click()
    assert pg.locator("#detail-body pre .diff").all_inner_texts() == [
        '  "level": "info"\n', '  "level": "debug"\n']
    assert "No other cell of this case behaved so." in pg.inner_text("#detail-body")
    cell_in_view(pg, "deadlock.lock_held", "linux-cpython-3.13", "spawn").click()  # as under 3.12
    assert "Same behaviour in 1 other cell of this case." in pg.inner_text("#detail-body")
    # Hidden columns travel in the permalink by environment id.
    pg.click("details.cols summary")
    pg.uncheck('input.f-env[value="linux-cpython-3.12"]')
    assert "hide=linux-cpython-3.12" in pg.evaluate("location.href")
    close_page(pg)


def test_without_javascript_and_in_dark_mode(browser: Any, report: str) -> None:
    """Without JavaScript every cell still shows what happened; dark mode recolours the page."""
    ctx = browser.new_context(java_script_enabled=False, color_scheme="dark")
    pg = ctx.new_page()
    pg.goto(report)
    assert pg.locator("#matrix tr.case-row > td:not(.gap)").count() == len(CASES) * 2 * 3
    assert cell_in_view(pg, "deadlock.lock_held", "linux-cpython-3.13", "fork").inner_text() == \
        "hang 15 s"
    assert pg.locator(".controls").is_hidden()
    dark = pg.evaluate("getComputedStyle(document.body).backgroundColor")
    ctx.close()
    light = browser.new_page()
    light.goto(report)
    assert light.evaluate("getComputedStyle(document.body).backgroundColor") != dark
    light.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_text_has_a_contrast_of_4_5_to_1(browser: Any, report: str, scheme: str) -> None:
    """Every text of the answers, the matrix (a mark on a hang, an error, a crash cell) and the
    claims has a contrast of at least 4.5:1 with its background, in light and in dark mode
    (review r14: a ✗ on a hang cell was 3.12:1 in dark mode, on a crash cell 3.41:1 in light)."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 800}, color_scheme=scheme)
    pg = ctx.new_page()
    pg.goto(report)
    pg.evaluate("""document.querySelectorAll('.wrap, .claims tr').forEach(
        e => { e.style.contentVisibility = 'visible'; })""")  # laid out: its text has boxes
    assert pg.locator("#matrix td[data-verdict] > b").count() > 0
    low = [pg.evaluate(LOW_CONTRAST, root) for root in ("#answers", "#matrix", "#claims")]
    assert low == [[], [], []], low
    ctx.close()


def test_output_files_are_world_readable(tmp_path: Path) -> None:
    """matrix.json, the schemas, the page and summary.md are written 0644."""
    matrix = merge.merge([loading.Loaded.from_doc("f.json", answers_docs()[0])], now=NOW)
    render.write_report(matrix, tmp_path)
    for name in ("matrix.json", "matrix.schema.json", "results.schema.json", "index.html",
                 "summary.md"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o644, name


def test_versions_that_behave_differently_do_not_fold(browser: Any, report: str) -> None:
    """3.12 and 3.13 differ here (a warning, an unexpected value): folding keeps both."""
    pg = open_page(browser, report)
    pg.check("#f-fold")
    heads = pg.eval_on_selector_all(
        "#matrix th.env", "ths => ths.filter(t => t.offsetParent !== null).map(t => t.textContent)")
    assert heads == ["3.12", "3.13"]
    close_page(pg)


def test_a_partial_run_says_so_on_the_phones_first_screen_of_answers(
        browser: Any, tmp_path: Path) -> None:
    """A -k run of fork cells only: at 390×844, scrolled to the Answers, the partial-run line is
    on the screen above the defaults and the answer lines say "not compared", not "0 cases"."""
    docs = answers_docs()
    for doc in docs:
        left = [t["nodeid"].split("::")[1] for t in doc["tests"] if "[fork]" not in t["nodeid"]]
        doc["tests"] = [t for t in doc["tests"] if "[fork]" in t["nodeid"]]
        doc["harness"]["environment"]["not_selected"] = {"by": "-k fork", "cells": left}
    matrix = merge.merge([loading.Loaded.from_doc("f%d.json" % i, d)
                          for i, d in enumerate(docs)], now=NOW)
    render.write_report(matrix, tmp_path)
    pg = open_page(browser, (tmp_path / "index.html").as_uri(), 390, 844, is_mobile=True,
               has_touch=True)
    pg.evaluate("document.getElementById('answers').scrollIntoView()")
    line = pg.locator("#partial-run")
    box = line.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 844
    assert line.inner_text().startswith("Partial run: only 92 of 276 cells ran (a selection: "
                                        "-k fork left 184 cells out).")
    first = pg.locator("ul.answers li").first.inner_text()
    assert first.startswith("Break when you move off fork (hang or fail only under spawn or "
                            "forkserver): not compared: no case ran under fork and another "
                            "method"), first
    close_page(pg)


def _pickling_change(version: str) -> Any:
    """Three cases change AttributeError → PicklingError at 3.13.18, one changes a value."""
    def inner(c: str, m: str) -> CellMeta:
        if c.startswith("pickling."):
            kind = "PicklingError" if version == "3.13.18" else "AttributeError"
            return cell(c, m, outcome="error", error={"type": kind, "message": "m"})
        return cell(c, m, observed="new" if version == "3.13.18" else "old")
    return inner


@pytest.mark.parametrize("size", [(390, 844), (1280, 800)])
def test_answers_name_the_largest_change_and_say_why_counts_and_cells_differ(
        browser: Any, tmp_path: Path, size: Any) -> None:
    """The change line names its largest kind of change first, with its count; the Summary
    says why there are more environments than slots; a defaults cell the OS does not target
    reads "—", explained in the caption — on a phone and on a desktop."""
    cases = ["api.a_first", "pickling.x", "pickling.y", "pickling.z"]
    docs = [results_doc(version=v, cases=cases, observe=_pickling_change(v))
            for v in ("3.8.18", "3.13.0", "3.13.18")]
    render.write_report(merge.merge([loading.Loaded.from_doc("f%d.json" % i, d)
                                     for i, d in enumerate(docs)], now=NOW), tmp_path)
    pg = open_page(browser, (tmp_path / "index.html").as_uri(), *size)
    assert "Linux 3.13 is two environments: 3.13.0 and 3.13.18" in pg.inner_text("#summary")
    line = pg.locator("ul.answers li", has_text="3.13.18").first
    examples = line.locator("small").inner_text()
    assert examples.startswith("— 3 cases: AttributeError → PicklingError, e.g. Title of pickling")
    table = "table.defaults-v" if size[0] < 600 else "table.defaults"
    pg.evaluate("s => document.querySelector(s).scrollIntoView()", table)
    off = pg.locator(table + " td.off-grid")
    assert off.count() == 2 and off.first.is_visible() and off.first.inner_text() == "—"
    assert "—: not tested on this OS" in pg.locator(table + " caption").inner_text()
    close_page(pg)


def test_a_changed_in_line_scrolls_the_matrix_to_its_version(
        browser: Any, tmp_path: Path) -> None:
    """On a phone the matrix shows its first versions: "Changed in Linux 3.14" lands with the
    3.14 column in the matrix box (and 3.13 beside it), not on 3.8–3.9."""
    versions = ["3.8.1", "3.9.1", "3.10.1", "3.11.1", "3.12.1", "3.13.1", "3.14.1"]

    def observe(version: str) -> Any:
        def inner(c: str, m: str) -> CellMeta:
            if c == "pickling.lambda_target" and version.startswith("3.14"):
                return cell(c, m, outcome="error", error={"type": "PicklingError",
                                                          "message": "m"})
            return cell(c, m, observed=42)
        return inner

    cases = CASES[:6]
    docs = [results_doc(version=v, cases=cases, observe=observe(v),
                        case_docs=[case_doc(c) for c in cases]) for v in versions]
    matrix = merge.merge([loading.Loaded.from_doc("f%d.json" % i, d)
                          for i, d in enumerate(docs)], now=NOW)
    render.write_report(matrix, tmp_path)
    pg = open_page(browser, (tmp_path / "index.html").as_uri(), 390, 844)
    pg.click("ul.answers a[href='#view?b=since-linux-cpython-3.14']")
    pg.wait_for_timeout(200)
    # what the user sees of the columns: right of the sticky case column, inside the box
    box = pg.evaluate("(() => { const r = document.querySelector('.mwrap')"
                      ".getBoundingClientRect(); const c = document.querySelector("
                      "'#matrix thead th').getBoundingClientRect();"
                      " return [c.right, r.right]; })()")
    for env in ("linux-cpython-3.14", "linux-cpython-3.13"):
        left, right = pg.evaluate("e => { const r = document.querySelector("
                                  "'#matrix th.env[data-env=\"' + e + '\"]')"
                                  ".getBoundingClientRect(); return [r.left, r.right]; }", env)
        assert box[0] - 2 <= left and right <= box[1] + 2, (env, left, right, box)  # borders
    close_page(pg)


@pytest.mark.parametrize("size", [(390, 844), (1280, 800)])
def test_enter_on_an_answer_moves_focus_to_the_filtered_matrix(
        browser: Any, report: str, size: Any) -> None:
    """Enter on an Answers line filters and scrolls the matrix; focus follows to the line that
    counts the rows shown (review r3: it stayed on the link, and the next Tab jumped back up to
    the answers). The next Tab goes on into the matrix, not back to the answers."""
    pg = open_page(browser, report, *size)
    pg.focus("ul.answers a[href='#view?b=fork-only']")
    pg.keyboard.press("Enter")
    pg.wait_for_function("() => document.activeElement.querySelector('#f-count') !== null",
                         timeout=5000)
    line = pg.locator("#f-count").bounding_box()
    assert line is not None and 0 <= line["y"] < size[1]  # focused where it was scrolled to
    pg.keyboard.press("Tab")
    assert pg.evaluate("""() => !document.activeElement.closest('#answers') &&
        !!(document.activeElement.compareDocumentPosition(document.getElementById('f-count'))
           & Node.DOCUMENT_POSITION_PRECEDING)""")
    close_page(pg)


#: Page (catalog) order: the PyPy-only case first, as deadlock.executor_thread_alive_warning
#: (PyPy 3.9's ProcessPoolExecutor bug) led "Break when you move off fork" on desktop.
_RANKED_CASES = ["deadlock.a_pypy_only", "deadlock.b_plain", "pickling.c_one_cpython",
                 "pickling.d_two_cpython"]


def _off_fork(version: str, impl: str) -> Any:
    """Where each case fails under spawn and forkserver only: on PyPy; on CPython 3.13; on
    CPython 3.12 and 3.13; nowhere."""
    where = {"deadlock.a_pypy_only": impl == "pypy", "deadlock.b_plain": False,
             "pickling.c_one_cpython": impl == "cpython" and version.startswith("3.13"),
             "pickling.d_two_cpython": impl == "cpython"}

    def inner(c: str, m: str) -> CellMeta:
        if m != "fork" and where[c]:
            return cell(c, m, outcome="error", error={"type": "PicklingError", "message": "m"})
        return cell(c, m)
    return inner


def test_an_answers_view_lists_the_cases_in_the_most_cpython_environments_first(
        browser: Any, tmp_path: Path) -> None:
    """The filtered view of an answer line lists its cases in its examples' order (picks.RULE),
    not the catalog's, where a case only PyPy shows came first with every CPython cell ok; the
    arrow keys follow that order; any other view, and a cleared filter, is the catalog's."""
    url = write_page(tmp_path, *(results_doc(version=v, impl=impl, cases=_RANKED_CASES,
                                             observe=_off_fork(v, impl))
                                 for v, impl in (("3.12.1", "cpython"), ("3.13.0", "cpython"),
                                                 ("3.10.1", "pypy"))))
    ranked = ["row-pickling.d_two_cpython", "row-pickling.c_one_cpython",
              "row-deadlock.a_pypy_only"]
    catalog = ["row-" + c for c in _RANKED_CASES]
    pg = open_page(browser, url)
    pg.click("ul.answers a[href='#view?b=nonfork-only']")
    assert visible_rows(pg) == ranked
    assert "most CPython environments first" in pg.inner_text("#f-count")
    row = "() => document.activeElement.tagName + '#' + document.activeElement.parentNode.id"
    for _ in range(3):  # the matrix's Tab stop: the first row shown, its first cell
        pg.keyboard.press("Tab")
        if pg.evaluate(row).startswith("TD"):
            break
    assert pg.evaluate(row) == "TD#" + ranked[0]
    pg.keyboard.press("ArrowDown")
    assert pg.evaluate(row) == "TD#" + ranked[1]
    pg.select_option("#f-b", "error")  # not an answer line's view: the catalog's order
    assert visible_rows(pg) == [r for r in catalog if r != "row-deadlock.b_plain"]
    assert "most CPython" not in pg.inner_text("#f-count")
    pg.select_option("#f-b", "nonfork-only")
    assert visible_rows(pg) == ranked
    pg.select_option("#f-b", "")
    assert visible_rows(pg) == catalog
    # each row back under its category's heading
    assert pg.eval_on_selector_all("#matrix tbody.cat", "bs => bs.map(b => Array.from("
                                   "b.querySelectorAll('tr.case-row'), r => r.id))") == [
        catalog[:2], catalog[2:]]
    close_page(pg)
    pg = open_page(browser, url + "#view?b=nonfork-only")  # the permalink: the same order
    assert visible_rows(pg) == ranked
    close_page(pg)
