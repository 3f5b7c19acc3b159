"""The report answers, in a real headless Chromium (Debian `chromium` through Playwright's
executable_path): on a page built from fixture results with a hang, an error, a crash, a
warning, an unexpected cell and missing environments, each outcome reads differently, findings
are marked, the answers come first, the phone shows data cells (print: test_report_print), and the
10-second questions are answered in one click; the examples, counts and blank cells say why."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, Iterator, List
from urllib.parse import unquote

import pytest

from harness import loading, merge, render
from harness.grid import OSES, TARGET
from tests.integration.chromium import BROKEN_WORDS, LOW_CONTRAST, launch, matrix_cell, visible_rows
from tests.unit.report_synth import case_doc, cell, results_doc

pytestmark = pytest.mark.browser
NOW = datetime(2026, 1, 2, tzinfo=timezone.utc)
CASES = ["methods.default", "deadlock.lock_held", "pickling.lambda_target", "methods.crashy",
         "inheritance.warns", "inheritance.config"] + [
             "methods.filler_%02d" % i for i in range(40)]  # more rows than one screen holds
#: The documented defaults (multiprocessing docs, "Contexts and start methods"): the fixture's
#: rules, as the real methods.default case states them.
DEFAULT_RULES = [
    {"methods": ["*"], "outcome": "ok", "when": {"os": ["windows", "macos"]},
     "value": {"default": "spawn"}},
    {"methods": ["*"], "outcome": "ok", "when": {"os": ["linux"], "python": ">=3.14"},
     "value": {"default": "forkserver"}},
    {"methods": ["*"], "outcome": "ok", "when": {"os": ["linux"], "python": "<3.14"},
     "value": {"default": "fork"}},
]
CSP_WATCH = """window.__csp = []; document.addEventListener('securitypolicyviolation',
    e => window.__csp.push(e.violatedDirective));"""


def _observe(version: str) -> Any:
    def inner(c: str, m: str) -> Dict[str, Any]:
        if c == "methods.default":
            return cell(c, m, observed={"default": "fork"}, expected={
                "outcome": "ok", "value": {"default": "fork"}, "methods": ["*"]})
        if c == "deadlock.lock_held":
            if m == "fork":
                return cell(c, m, outcome="timeout", wall_s=15.04,
                            detail="no result within the hard timeout; process tree killed")
            return cell(c, m, observed=True)
        if c == "pickling.lambda_target":
            if m == "fork":
                return cell(c, m, observed="ran")
            return cell(c, m, outcome="error", error={
                "type": "PicklingError", "message": "Can't pickle <function <lambda>>"})
        if c == "methods.crashy" and m == "forkserver":
            return cell(c, m, outcome="crash", verdict="unexpected", detail="killed by SIGSEGV",
                        expected={"outcome": "ok", "methods": ["forkserver"]})
        if c == "inheritance.warns" and m == "fork" and version == "3.13.0":
            return cell(c, m, observed=42, warnings=[{
                "category": "DeprecationWarning",
                "message": "This process is multi-threaded, use of fork() may lead to deadlocks"}])
        if c == "inheritance.config":
            seen = {"level": "debug" if m == "fork" else "info", "name": "app"}
            if m == "spawn" and version == "3.13.0":
                return cell(c, m, observed=seen, verdict="unexpected", expected={
                    "outcome": "ok", "value": {"level": "debug", "name": "app"},
                    "methods": ["spawn"]})
            return cell(c, m, observed=seen)
        return cell(c, m, observed=42)
    return inner


def _docs() -> List[Dict[str, Any]]:
    cases = [case_doc(c, expect=DEFAULT_RULES if c == "methods.default" else []) for c in CASES]
    return [results_doc(version=v, cases=CASES, observe=_observe(v), case_docs=cases)
            for v in ("3.12.1", "3.13.0")]


@pytest.fixture(scope="module")
def report(tmp_path_factory: Any) -> str:
    out = tmp_path_factory.mktemp("answers")
    matrix = merge.merge([loading.Loaded.from_doc("f%d.json" % i, d)
                          for i, d in enumerate(_docs())], now=NOW)
    render.write_report(matrix, out)
    return str((out / "index.html").as_uri())


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch()


def _open(browser: Any, url: str, width: int = 1280, height: int = 800, **kw: Any) -> Any:
    pg = browser.new_page(viewport={"width": width, "height": height}, **kw)
    pg.add_init_script(CSP_WATCH)
    errors: List[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.errors = errors  # type: ignore[attr-defined]
    pg.goto(url)
    return pg


def _close(pg: Any) -> None:
    assert pg.errors == []
    assert pg.evaluate("window.__csp") == []  # the strict CSP saw nothing to block
    pg.close()


def _cell(pg: Any, case: str, env: str, method: str) -> Any:
    # The matrix is painted when scrolled to (content-visibility): its visible text needs that.
    pg.evaluate("document.querySelector('.mwrap').scrollIntoView()")
    return matrix_cell(pg, case, env, method)




def test_each_outcome_reads_differently_and_findings_are_marked(browser: Any, report: str) -> None:
    """ok, error, hang and crash cells differ in visible text (not only colour); an unexpected
    cell carries a visible mark; a cell whose run warned carries a visible ⚠."""
    pg = _open(browser, report)
    env = "linux-cpython-3.13"
    texts = {o: _cell(pg, c, env, m).inner_text() for o, c, m in (
        ("ok", "deadlock.lock_held", "spawn"), ("error", "pickling.lambda_target", "spawn"),
        ("timeout", "deadlock.lock_held", "fork"), ("crash", "methods.crashy", "forkserver"))}
    assert texts["ok"] == "ok" and texts["error"] == "PicklingError"
    assert texts["timeout"] == "hang 15 s" and texts["crash"].startswith("SIGSEGV")
    assert len(set(texts.values())) == 4
    crash = _cell(pg, "methods.crashy", env, "forkserver")
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
    plain = _cell(pg, "methods.crashy", env, "spawn")
    assert plain.locator("b").count() == 0
    warned = _cell(pg, "inheritance.warns", env, "fork")
    assert warned.locator("i").is_visible() and "⚠" in warned.inner_text()
    assert warned.locator("i").evaluate("i => getComputedStyle(i).verticalAlign") == "sub"
    assert _cell(pg, "inheritance.warns", "linux-cpython-3.12", "fork").locator("i").count() == 0
    # The control that colours by agreement with the docs is part of the permalink.
    # An error the docs predict: coloured by agreement it reads "as the docs say" (a cell as
    # the docs say carries no data-verdict).
    error = _cell(pg, "pickling.lambda_target", env, "spawn")
    assert error.get_attribute("data-verdict") is None
    pg.select_option("#f-color", "docs")
    assert "color=docs" in pg.evaluate("location.href") and pg.locator("body.by-docs").count() == 1
    as_docs = pg.evaluate("getComputedStyle(document.body).getPropertyValue('--ae')")
    assert as_docs.strip() == "#dff3df"  # light scheme: rgb(223, 243, 223)
    assert error.evaluate("td => getComputedStyle(td).backgroundColor") == "rgb(223, 243, 223)"
    _close(pg)


_COLOUR = """name => { const d = document.createElement('div'); d.style.background = 'var(' + name
    + ')'; document.body.append(d); const c = getComputedStyle(d).backgroundColor; d.remove();
    return c; }"""
_BG = "td => getComputedStyle(td).backgroundColor"


def test_a_cell_that_returned_is_coloured_ok_without_saying_so(browser: Any, report: str) -> None:
    """A matrix cell that returned carries no data-outcome (CI's page: ~7,700 cells, 280 KB):
    it is coloured as the legend's ok on screen, printed and without JavaScript, coloured by the
    docs an ok cell that differs still reads "differs", and its panel says ok."""
    env = "linux-cpython-3.13"
    pg = _open(browser, report)
    ok = _cell(pg, "deadlock.lock_held", env, "spawn")
    assert ok.get_attribute("data-outcome") is None
    ok_colour = pg.evaluate(_COLOUR, "--ok")
    assert pg.locator('#legend [data-outcome="ok"]').evaluate(_BG) == ok_colour
    assert ok.evaluate(_BG) == ok_colour
    assert _cell(pg, "pickling.lambda_target", env, "spawn").evaluate(_BG) != ok_colour
    assert pg.locator("#matrix td.gap").first.evaluate(_BG) != ok_colour
    ok.click()
    assert pg.locator("#detail p.outcome").inner_text() == "ok: the case returned a value"
    pg.select_option("#f-color", "docs")
    differs = _cell(pg, "inheritance.config", env, "spawn")
    assert differs.get_attribute("data-outcome") is None
    assert differs.evaluate(_BG) == pg.evaluate(_COLOUR, "--uxbg") != ok_colour
    assert ok.evaluate(_BG) == pg.evaluate(_COLOUR, "--ae")
    _close(pg)
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
    pg = _open(browser, report)
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
    _close(pg)


def test_phone_shows_data_cells_and_nothing_is_wider_than_the_screen(
        browser: Any, report: str) -> None:
    """At 390×844 the element at the centre of the scrolled matrix is a data cell, and the page
    is no wider than the screen."""
    pg = _open(browser, report, 390, 844, is_mobile=True, has_touch=True)
    assert pg.evaluate("document.documentElement.scrollWidth") <= 390
    pg.evaluate("document.querySelector('.mwrap').scrollIntoView()")
    pg.evaluate("document.querySelector('.mwrap').scrollTop = 60")
    hit = pg.evaluate("""() => { const r = document.querySelector('.mwrap').getBoundingClientRect();
        const top = Math.max(r.top, 0), bottom = Math.min(r.bottom, innerHeight);
        const el = document.elementFromPoint((r.left + r.right) / 2, (top + bottom) / 2);
        const td = el && el.closest('tr.case-row > td:not(.gap)');
        return td ? td.getAttribute('data-outcome') || 'ok' : null; }""")
    assert hit is not None
    _close(pg)


def test_phone_default_table_fits_the_screen_and_loses_nothing(
        browser: Any, report: str) -> None:
    """At 390×844 the default-method table is a row per version, a column per OS: it fits its
    box (the 13-column form was 1138 px wide in 377 and scrolled sideways with no hint, 3.14
    off-screen), each OS heading and the 3.14 row are on the screen, and it holds every value
    the desktop table holds."""
    cells = """tds => tds.map(td => [td.getAttribute('data-slot'), td.className,
        td.innerText.trim()]).sort()"""
    desktop = _open(browser, report)
    wide = desktop.eval_on_selector_all("table.defaults td[data-slot]", cells)
    _close(desktop)
    pg = _open(browser, report, 390, 844, is_mobile=True, has_touch=True)
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
    _close(pg)


@pytest.mark.parametrize("size", [(390, 844), (1280, 800)])
def test_the_answer_lines_come_before_the_default_table_and_its_tab_stops(
        browser: Any, report: str, size: Any) -> None:
    """The answer lines follow the default bullets at once, on a phone's first screen; the
    default table (a row per version on a phone: the bullets again) comes after them (review
    r14: its 15 rows pushed "only under spawn or forkserver" to y=1086). No Tab stop comes
    between the bullets and the answer lines, and a default not run here is plain text, not
    one of 24 identical "spawn docs" links; a measured one is a 24 px target on a phone."""
    phone = size[0] < 600
    pg = _open(browser, report, *size, is_mobile=phone, has_touch=phone)
    table = "table.defaults-v" if phone else "table.defaults"
    tops = pg.evaluate("""(t) => [document.querySelector('ul.answers li:last-child'),
        document.querySelector(t)].map(e => e.getBoundingClientRect().top + scrollY)""", table)
    assert tops[0] < tops[1], tops
    first = pg.locator("ul.answers li").first.bounding_box()
    assert first is not None and first["y"] + first["height"] <= size[1]
    stops = pg.evaluate("""() => { const ul = document.querySelector('ul.answers');
        return Array.from(document.querySelectorAll('#answers a')).filter(a =>
            a.getClientRects().length && (a.compareDocumentPosition(ul) & 4)).length; }""")
    assert stops == 0
    assert pg.locator(table + " td.doc-default").count() > 0
    assert pg.locator(table + " td.doc-default a").count() == 0
    if phone:
        pg.evaluate("t => document.querySelector(t).scrollIntoView()", table)
        sizes = pg.eval_on_selector_all(table + " td a", """as => as.map(a => {
            const r = a.getBoundingClientRect(); return [r.width, r.height]; })""")
        assert sizes and all(w >= 24 and h >= 24 for w, h in sizes), sizes
    _close(pg)


def test_phone_matrix_section_shows_rows_on_its_first_screen(browser: Any, report: str) -> None:
    """At 390×844, scrolled to the matrix, its first rows are on the screen: the filters start
    folded (one tap opens them; on a desktop they are open) and the legend is compact — the
    legend, the keyboard help and the filters filled the screen, the table began below it."""
    pg = _open(browser, report, 390, 844, is_mobile=True, has_touch=True)
    pg.evaluate("document.getElementById('matrix-section').scrollIntoView()")
    top = pg.evaluate("document.querySelector('#matrix tr.case-row').getBoundingClientRect().top")
    assert top < 844 - 60, top  # the first row, and more, on the first screen
    assert pg.locator("#f-cat").is_hidden()
    pg.click("details.filters > summary")
    pg.select_option("#f-cat", "deadlock")
    assert visible_rows(pg) == ["row-deadlock.lock_held"]
    _close(pg)
    desk = _open(browser, report)
    assert desk.locator("#f-cat").is_visible()
    _close(desk)


def test_phone_tables_of_environments_and_cases_are_cards(browser: Any, report: str) -> None:
    """At 390×844 the start-methods table (7 columns) and each case's table (4) are cards: every
    cell within the screen's width, named ("multiprocessing default: fork"); the default and a
    case's cells were reached only by scrolling each table sideways. The counts' cells wrap
    under their row's heading."""
    pg = _open(browser, report, 390, 844, is_mobile=True, has_touch=True)
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
    _close(pg)


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
                                     enumerate(_docs())], now=NOW, claims=claims), out)
    pg = _open(browser, (out / "index.html").as_uri(), 390, 844, is_mobile=True, has_touch=True)
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
    _close(pg)


def test_a_findings_why_it_matters_is_its_case_sections_text(browser: Any, report: str) -> None:
    """A finding's "Why it matters", opened, reads as its case section's text (copied in by the
    script: the page no longer holds it twice); without JavaScript it links to that section."""
    pg = _open(browser, report)
    finding = pg.locator("div.finding", has=pg.locator('a[href="#case-methods.crashy"]'))
    finding.locator("details.why summary").click()
    doc = pg.locator("#case-methods\\.crashy p.doc").text_content()
    assert doc and finding.locator("details.why p.doc").inner_text().strip() == doc.strip()
    _close(pg)
    ctx = browser.new_context(java_script_enabled=False)
    plain = ctx.new_page()
    plain.goto(report)
    link = plain.locator("div.finding details.why a").first
    plain.locator("div.finding details.why summary").first.click()
    assert link.is_visible() and link.get_attribute("href").startswith("#case-")
    ctx.close()


def test_a_claims_evidence_link_opens_its_own_cell(browser: Any, tmp_path: Path) -> None:
    """An evidence link under a claim selects the matrix cell it names — its case, its column's
    environment, its method — and writes that cell's permalink, whether the claim has one case
    (the link says the method) or several (it says the case and the method)."""
    claims = [{"id": "one", "claim": "Returns", "section": "Intro", "checks": [
        {"case": "methods.default", "methods": ["*"], "holds": {"outcome": "ok"}}]},
        {"id": "two", "claim": "Both return", "section": "Intro", "checks": [
            {"case": "methods.default", "methods": ["spawn"], "holds": {"outcome": "ok"}},
            {"case": "inheritance.config", "methods": ["forkserver"],
             "holds": {"outcome": "ok"}}]}]
    render.write_report(merge.merge([loading.Loaded.from_doc("f%d.json" % i, d) for i, d in
                                     enumerate(_docs())], now=NOW, claims=claims), tmp_path)
    pg = _open(browser, (tmp_path / "index.html").as_uri())
    for claim, nth, case, env, method in (
            ("one", 5, "methods.default", "linux-cpython-3.13", "spawn"),
            ("two", 1, "inheritance.config", "linux-cpython-3.12", "forkserver"),
            ("two", 3, "inheritance.config", "linux-cpython-3.13", "forkserver")):
        link = pg.locator("#claim-%s td a" % claim).nth(nth)
        link.scroll_into_view_if_needed()
        link.click()
        key = "%s~%s~%s" % (case, env, method)
        href = pg.evaluate("location.href")  # page.url lags a replaceState under load
        assert "cell=" + key in unquote(href), (href, key)
        focused = pg.evaluate("document.querySelector('#matrix td.sel') === document.activeElement")
        sel = _cell(pg, case, env, method).evaluate("td => td.classList.contains('sel')")
        assert focused and sel
    _close(pg)


def test_desktop_claims_read_as_lines_and_break_ids_after_underscores(
        browser: Any, tmp_path: Path) -> None:
    """At 1440×900 with eleven environments the claims' Overall column is at least 16em wide
    (it was ~93 px: its coverage text wrapped into ~20 lines of ~10 characters, the table
    6,800 px tall), and no case id in a claim's links breaks mid-word, in the claim's column or
    an environment's (review r14: "lock_held_by / _thread_at_f / ork")."""
    long_id = "deadlock.lock_held_by_thread_at_fork_in_a_pool"
    cases = [long_id, "methods.default_start_method_of_a_fresh_interpreter"]
    versions = ["3.%d.1" % v for v in range(8, 16)] + ["3.13.0", "3.12.0", "3.11.0"]
    docs = [results_doc(version=v, cases=cases) for v in versions]
    claim = {"id": "both", "section": "Intro",
             "claim": "Both return under every method, on every OS and every Python",
             "checks": [{"case": c, "methods": ["*"], "holds": {"outcome": "ok"}} for c in cases]}
    render.write_report(merge.merge([loading.Loaded.from_doc("f%d.json" % i, d) for i, d in
                                     enumerate(docs)], now=NOW, claims=[claim]), tmp_path)
    pg = _open(browser, (tmp_path / "index.html").as_uri(), 1440, 900)
    pg.evaluate("document.querySelector('#claims').scrollIntoView()")
    pg.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    assert pg.locator("table.claims thead th").count() == 2 + len(versions)
    overall, em = pg.evaluate("""() => { const td = document.querySelector(
        '#claim-both td:not(.env)');
        return [td.getBoundingClientRect().width, parseFloat(getComputedStyle(td).fontSize)]; }""")
    assert overall >= 16 * em, (overall, em)
    assert pg.evaluate(BROKEN_WORDS, "table.claims a") == []
    _close(pg)


def test_phone_chart_labels_are_readable(browser: Any, tmp_path: Path) -> None:
    """At 390 px the sample's performance charts keep labels of a readable size (they were
    ~4 px: a 900-unit chart squeezed to the screen) and scroll sideways inside their figure,
    whose edge fades; the page itself stays as wide as the screen."""
    sample = Path(__file__).resolve().parents[2] / "reports" / "sample"
    loaded, rejected = loading.load_results(sorted(str(p) for p in sample.glob("*.json")))
    render.write_report(merge.merge(loaded, rejected, now=NOW), tmp_path)
    pg = _open(browser, (tmp_path / "index.html").as_uri(), 390, 844, is_mobile=True,
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
    _close(pg)


def test_the_panel_tells_an_inferred_expectation_and_an_uncompared_cell(
        browser: Any, tmp_path: Path) -> None:
    """A cell against an inferred rule says so (not "from the docs"); an unavailable cell whose
    rule expected it to run says it was not compared."""
    guessed = {"outcome": "ok", "methods": ["*"], "value": 2, "inferred": True}

    def observe(c: str, m: str) -> Dict[str, Any]:
        if m == "spawn":
            return cell(c, m, observed=1, verdict="unexpected", expected=guessed)
        if m == "fork":
            return cell(c, m, outcome="unavailable", verdict="unexpected", detail="no /dev/shm",
                        expected={"outcome": "ok", "methods": ["*"]})
        return cell(c, m)

    doc = results_doc(cases=["inheritance.guess"], observe=observe,
                      case_docs=[case_doc("inheritance.guess")])
    render.write_report(merge.merge([loading.Loaded.from_doc("f.json", doc)], now=NOW), tmp_path)
    pg = _open(browser, (tmp_path / "index.html").as_uri())
    _cell(pg, "inheritance.guess", "linux-cpython-3.12", "spawn").click()
    body = pg.inner_text("#detail-body")
    assert "✗ differs from an inferred expectation (one the docs do not state)" in body
    assert "expected (inferred: the docs do not state it)" in body and "from the docs" not in body
    # Its link says what it is: the case's source, not "the docs this expectation comes from".
    assert pg.inner_text("#detail-body p:last-child a") == "the case's source"
    _cell(pg, "inheritance.guess", "linux-cpython-3.12", "forkserver").click()  # a stated rule
    assert pg.inner_text("#detail-body p:last-child a") == "the docs this expectation comes from"
    _cell(pg, "inheritance.guess", "linux-cpython-3.12", "fork").click()
    body = pg.inner_text("#detail-body")
    assert "not compared with the docs: nothing ran here" in body and "differs" not in body
    _close(pg)


def test_the_ten_second_questions(browser: Any, report: str) -> None:
    """Default on Linux 3.14 and on macOS (first screen); is fork safe with a thread holding a
    lock; which cases differ between fork and spawn; why did this cell fail (one click each)."""
    pg = _open(browser, report)
    linux_314 = pg.locator('table.defaults td[data-slot="linux-cpython-3.14"]')
    assert linux_314.inner_text().startswith("forkserver") and "docs" in linux_314.inner_text()
    assert pg.locator('table.defaults td[data-slot="macos-cpython-3.13"]').inner_text(
        ).startswith("spawn")
    # Is fork safe with a thread holding a lock? The answer line, one click: the row, a hang.
    pg.click("ul.answers a[href='#view?b=fork-only']")
    assert visible_rows(pg) == ["row-deadlock.lock_held"]
    assert _cell(pg, "deadlock.lock_held", "linux-cpython-3.12", "fork").inner_text() == \
        "hang 15 s"
    # Which cases differ between fork and spawn?
    pg.click("ul.answers a[href='#view?b=fork-spawn']")
    # inheritance.warns: fork warns (DeprecationWarning on 3.13.0) where spawn does not — a
    # behaviour, as the change points count one (outcome, value or error type, warning kinds)
    assert set(visible_rows(pg)) == {"row-deadlock.lock_held", "row-pickling.lambda_target",
                                      "row-inheritance.config", "row-inheritance.warns"}
    # Why did this cell fail? Click it: the panel says what happened and what the docs say.
    pg.select_option("#f-b", "")
    _cell(pg, "methods.crashy", "linux-cpython-3.13", "forkserver").click()
    body = pg.inner_text("#detail-body")
    assert "crash: killed by SIGSEGV" in body and "differs from the docs" in body
    _cell(pg, "deadlock.lock_held", "linux-cpython-3.13", "fork").click()
    assert "hung — killed after 15.0 s" in pg.inner_text("#detail-body")
    _cell(pg, "inheritance.config", "linux-cpython-3.13", "spawn").click()
    assert pg.locator("#detail-body pre .diff").all_inner_texts() == [
        '  "level": "info"\n', '  "level": "debug"\n']
    assert "No other cell of this case behaved so." in pg.inner_text("#detail-body")
    _cell(pg, "deadlock.lock_held", "linux-cpython-3.13", "spawn").click()  # as under 3.12
    assert "Same behaviour in 1 other cell of this case." in pg.inner_text("#detail-body")
    # Hidden columns travel in the permalink by environment id.
    pg.click("details.cols summary")
    pg.uncheck('input.f-env[value="linux-cpython-3.12"]')
    assert "hide=linux-cpython-3.12" in pg.evaluate("location.href")
    _close(pg)


def test_without_javascript_and_in_dark_mode(browser: Any, report: str) -> None:
    """Without JavaScript every cell still shows what happened; dark mode recolours the page."""
    ctx = browser.new_context(java_script_enabled=False, color_scheme="dark")
    pg = ctx.new_page()
    pg.goto(report)
    assert pg.locator("#matrix tr.case-row > td:not(.gap)").count() == len(CASES) * 2 * 3
    assert _cell(pg, "deadlock.lock_held", "linux-cpython-3.13", "fork").inner_text() == \
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
    matrix = merge.merge([loading.Loaded.from_doc("f.json", _docs()[0])], now=NOW)
    render.write_report(matrix, tmp_path)
    for name in ("matrix.json", "matrix.schema.json", "results.schema.json", "index.html",
                 "summary.md"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o644, name


def test_versions_that_behave_differently_do_not_fold(browser: Any, report: str) -> None:
    """3.12 and 3.13 differ here (a warning, an unexpected value): folding keeps both."""
    pg = _open(browser, report)
    pg.check("#f-fold")
    heads = pg.eval_on_selector_all(
        "#matrix th.env", "ths => ths.filter(t => t.offsetParent !== null).map(t => t.textContent)")
    assert heads == ["3.12", "3.13"]
    _close(pg)


def test_a_partial_run_says_so_on_the_phones_first_screen_of_answers(
        browser: Any, tmp_path: Path) -> None:
    """A -k run of fork cells only: at 390×844, scrolled to the Answers, the partial-run line is
    on the screen above the defaults and the answer lines say "not compared", not "0 cases"."""
    docs = _docs()
    for doc in docs:
        left = [t["nodeid"].split("::")[1] for t in doc["tests"] if "[fork]" not in t["nodeid"]]
        doc["tests"] = [t for t in doc["tests"] if "[fork]" in t["nodeid"]]
        doc["harness"]["environment"]["not_selected"] = {"by": "-k fork", "cells": left}
    matrix = merge.merge([loading.Loaded.from_doc("f%d.json" % i, d)
                          for i, d in enumerate(docs)], now=NOW)
    render.write_report(matrix, tmp_path)
    pg = _open(browser, (tmp_path / "index.html").as_uri(), 390, 844, is_mobile=True,
               has_touch=True)
    pg.evaluate("document.getElementById('answers').scrollIntoView()")
    line = pg.locator("#partial-run")
    box = line.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 844
    assert line.inner_text().startswith("Partial run: only 92 of 276 cells ran (a selection: "
                                        "-k fork left 184 cells out).")
    first = pg.locator("ul.answers li").first.inner_text()
    assert first.startswith("Hang or fail only under fork: not compared: no case ran under "
                            "fork and another method"), first
    _close(pg)


def _pickling_change(version: str) -> Any:
    """Three cases change AttributeError → PicklingError at 3.13.18, one changes a value."""
    def inner(c: str, m: str) -> Dict[str, Any]:
        if c.startswith("pickling."):
            kind = "PicklingError" if version == "3.13.18" else "AttributeError"
            return cell(c, m, outcome="error", error={"type": kind, "message": "m"})
        return cell(c, m, observed="new" if version == "3.13.18" else "old")
    return inner


@pytest.mark.parametrize("size", [(390, 844), (1280, 800)])
def test_answers_name_the_largest_change_and_say_why_counts_and_cells_differ(
        browser: Any, tmp_path: Path, size: Any) -> None:
    """The change line names its largest kind of change first, with its count; the line under
    the title says why there are more environments than slots; a defaults cell the OS does not
    target reads "—", explained in the caption — on a phone and on a desktop."""
    cases = ["api.a_first", "pickling.x", "pickling.y", "pickling.z"]
    docs = [results_doc(version=v, cases=cases, observe=_pickling_change(v))
            for v in ("3.8.18", "3.13.0", "3.13.18")]
    render.write_report(merge.merge([loading.Loaded.from_doc("f%d.json" % i, d)
                                     for i, d in enumerate(docs)], now=NOW), tmp_path)
    pg = _open(browser, (tmp_path / "index.html").as_uri(), *size)
    assert "Linux 3.13 is two environments: 3.13.0 and 3.13.18" in pg.inner_text("#scope")
    line = pg.locator("ul.answers li", has_text="3.13.18").first
    examples = line.locator("small").inner_text()
    assert examples.startswith("— 3 cases: AttributeError → PicklingError, e.g. Title of pickling")
    table = "table.defaults-v" if size[0] < 600 else "table.defaults"
    pg.evaluate("s => document.querySelector(s).scrollIntoView()", table)
    off = pg.locator(table + " td.off-grid")
    assert off.count() == 2 and off.first.is_visible() and off.first.inner_text() == "—"
    assert "—: not a target on this OS" in pg.locator(table + " caption").inner_text()
    _close(pg)


def test_a_changed_in_line_scrolls_the_matrix_to_its_version(
        browser: Any, tmp_path: Path) -> None:
    """On a phone the matrix shows its first versions: "Changed in Linux 3.14" lands with the
    3.14 column in the matrix box (and 3.13 beside it), not on 3.8–3.9."""
    versions = ["3.8.1", "3.9.1", "3.10.1", "3.11.1", "3.12.1", "3.13.1", "3.14.1"]

    def observe(version: str) -> Any:
        def inner(c: str, m: str) -> Dict[str, Any]:
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
    pg = _open(browser, (tmp_path / "index.html").as_uri(), 390, 844)
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
    _close(pg)
