"""The report printed (Chromium's page.pdf, print media, read back with pypdf): every case row
and every column on the page at a readable scale — one table, or parts per OS for a matrix as
wide as CI's — and no table cut at the page's edge."""

from __future__ import annotations

import io
import re
import unicodedata
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

from harness import loading, merge, render
from tests.integration.chromium import BROKEN_WORDS, launch
from tests.integration.report_pages import CASES, NOW, answers_docs, close_page, open_page
from tests.unit.report_synth import case_doc, cell, ci_legs, results_doc

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch()


def _print(pg: Any) -> None:
    """Print media, as a browser printing: the script builds the printed parts then."""
    pg.emulate_media(media="print")
    pg.wait_for_function("""() => { const box = document.getElementById('print-parts');
        return !box || box.hasAttribute('data-built'); }""")


@pytest.fixture(scope="module")
def report(tmp_path_factory: Any) -> str:
    """The answers tests' page: a hang, an error, a crash, a warning, 46 rows."""
    out = tmp_path_factory.mktemp("print")
    render.write_report(merge.merge([loading.Loaded.from_doc("f%d.json" % i, d)
                                     for i, d in enumerate(answers_docs())], now=NOW), out)
    return str((out / "index.html").as_uri())


def test_print_keeps_every_case_row(browser: Any, report: str) -> None:
    """Printed (page.pdf, print media): every case row of the matrix is in the PDF."""
    import pypdf

    pg = open_page(browser, report)
    _print(pg)
    assert pg.locator(".controls").is_hidden()
    pdf = pypdf.PdfReader(io.BytesIO(pg.pdf(print_background=True)))
    text = unicodedata.normalize("NFKC", "\n".join(page.extract_text() for page in pdf.pages))
    matrix_part = text.split("Behaviour matrix", 1)[1].split("Findings", 1)[0]
    for case_id in CASES:
        assert "Title of %s" % case_id in " ".join(matrix_part.split()), case_id
    close_page(pg)


def _legs(name: str) -> List[Dict[str, Any]]:
    """``results_doc`` keywords of each environment of a print fixture."""
    if name == "ci":
        return ci_legs()
    return [{"version": "3.%d.%d" % (8 + i // 3, i % 3)} for i in range(int(name))]


@pytest.mark.parametrize("legs", ["2", "16", "ci"])
def test_print_keeps_every_column_readable_on_the_page(
        browser: Any, tmp_path: Path, legs: str) -> None:
    """Printed, every matrix cell is on the page at a readable size: a few columns print as one
    table scaled to the page width (a 48-column matrix printed 2 environments of 16 before);
    a wider one (CI: 3 OS × 12 environments, 108 columns, was printed at 0.3) prints in
    parts, one per OS, an OS of many environments split again, each at least
    render.PRINT_SPLIT_BELOW of its size."""
    import pypdf

    envs = _legs(legs)
    docs = [results_doc(cases=CASES[:3], case_docs=[case_doc(c) for c in CASES[:3]],
                        observe=lambda c, m, i=i: cell(c, m, observed="z%02d%s" % (i, m[:2])),
                        **leg)  # methods differ: each cell shows its value
            for i, leg in enumerate(envs)]
    claim = {"id": "c", "claim": "fork is the default start method on Unix systems.",
             "section": "The fork start method",
             "checks": [{"case": CASES[0], "methods": ["*"], "holds": {"outcome": "ok"}}]}
    matrix = merge.merge([loading.Loaded.from_doc("f%d.json" % i, d)
                          for i, d in enumerate(docs)], now=NOW, claims=[claim])
    render.write_report(matrix, tmp_path)
    pg = open_page(browser, (tmp_path / "index.html").as_uri(), width=render.PRINT_PAGE_PX)
    _print(pg)
    split = legs != "2"
    assert pg.locator("#matrix").is_visible() != split
    printed = "#matrix" if not split else "table.pmatrix"
    assert pg.locator(printed).count() == {"2": 1, "16": 2, "ci": 3}[legs]
    for table in (printed, "table.defaults", "table.methods-table", "table.claims"):
        for right, hidden, zoom in pg.eval_on_selector_all(table, """els => els.map(el => [
                el.getBoundingClientRect().right, el.scrollWidth - el.clientWidth,
                parseFloat(getComputedStyle(el).zoom)])"""):
            assert right <= render.PRINT_PAGE_PX + 16, (table, right)  # the page, and margin
            assert hidden <= 1, (table, hidden)  # paper cannot scroll: nothing cut off inside
            if table == printed:
                assert zoom >= (1.0 if legs == "2" else render.PRINT_SPLIT_BELOW), zoom
    # The default-method table (13 columns) has room for readable text (it printed at 7 px).
    assert pg.evaluate("parseFloat(getComputedStyle(document.querySelector("
                       "'table.defaults td')).fontSize)") >= 10
    pdf = pypdf.PdfReader(io.BytesIO(pg.pdf(print_background=True, prefer_css_page_size=True)))
    text = " ".join("\n".join(page.extract_text() for page in pdf.pages).split())
    matrix_part = text.split("Behaviour matrix", 1)[1].split("Findings", 1)[0]
    for i in range(len(envs)):
        assert "z%02dsp" % i in matrix_part, i  # every environment's spawn column
    assert ("Printed at" in text) == (legs == "16" and not split)
    if legs == "16":  # the slots its parts leave out are named, with the reason
        assert "No data in this report for Linux 3.14, 3.15, 3.16, 3.14t, 3.15t, PyPy 3.10, " \
            "PyPy 3.11: no results file." in matrix_part.replace("\ufb01", "fi")  # PDF "ﬁ"
    if legs == "ci":
        for name in ("Linux", "macOS", "Windows"):
            assert "Behaviour matrix: %s" % name in text
        said = re.search(r"Printed in 3 parts, one per OS, each scaled to the page's width, at "
                         r"(\d+) % of its size or more \(the whole matrix would print at (\d+) %\)",
                         text)
        assert said is not None and int(said.group(1)) >= 80 > int(said.group(2)), said
        # The first part starts under the note, not on a page of its own (the note was alone).
        pages = [" ".join(page.extract_text().split()) for page in pdf.pages]
        assert any("Printed in 3 parts" in t and "Behaviour matrix: Linux" in t for t in pages)
    close_page(pg)


def test_print_cuts_no_table_of_the_sample(browser: Any, tmp_path: Path) -> None:
    """The tables that scroll sideways on screen are whole on paper (the default-method table of
    the checked-in sample lost its PyPy columns in print)."""
    sample = Path(__file__).resolve().parents[2] / "reports" / "sample"
    loaded, rejected = loading.load_results(sorted(str(p) for p in sample.glob("*.json")))
    render.write_report(merge.merge(loaded, rejected, now=NOW), tmp_path)
    pg = open_page(browser, (tmp_path / "index.html").as_uri(), width=render.PRINT_PAGE_PX)
    _print(pg)
    cut = pg.evaluate("""() => Array.from(document.querySelectorAll('table')).filter(
        el => el.scrollWidth - el.clientWidth > 1 ||
              el.getBoundingClientRect().right > %d).map(el => el.className || el.id)""" % (
        render.PRINT_PAGE_PX + 16))
    assert cut == []
    close_page(pg)


def test_printed_parts_follow_the_row_and_os_filters(browser: Any, tmp_path: Path) -> None:
    """A filtered view printed in parts prints what the screen shows: the rows the filters
    keep, and only the filtered OS's part (the parts printed every row of every OS under a
    count line saying "1 of 3 cases shown")."""
    docs = [results_doc(cases=CASES[:3], case_docs=[case_doc(c) for c in CASES[:3]], **leg)
            for leg in ci_legs()]
    render.write_report(merge.merge([loading.Loaded.from_doc("f%d.json" % i, d)
                                     for i, d in enumerate(docs)], now=NOW), tmp_path)
    pg = open_page(browser, (tmp_path / "index.html").as_uri() + "#view?cat=deadlock&os=macos",
               width=render.PRINT_PAGE_PX)
    _print(pg)
    parts = pg.eval_on_selector_all(".ppart", """ps => ps.filter(p => p.offsetParent !== null)
        .map(p => [p.getAttribute('data-os'), Array.from(p.querySelectorAll('th.rh'))
            .filter(th => th.offsetParent !== null).map(th => th.lastChild.textContent)])""")
    assert parts == [["macos", ["deadlock.lock_held"]]]
    # The count line prints (it names the filters), not that the table scrolls in its box.
    assert pg.inner_text("p.fstat").startswith("1 of 3 cases shown (deadlock, macOS)")
    assert "scrolls" not in pg.inner_text("p.fstat")
    close_page(pg)


def test_printed_parts_are_built_when_printing_starts(browser: Any, tmp_path: Path) -> None:
    """A matrix printed in parts keeps them as text until printing starts (CI: 13,000 elements
    the page parsed and kept for nothing on screen); printing builds them, and a browser without
    JavaScript has them as they are."""
    docs = [results_doc(cases=CASES[:3], case_docs=[case_doc(c) for c in CASES[:3]], **leg)
            for leg in ci_legs()]
    render.write_report(merge.merge([loading.Loaded.from_doc("f%d.json" % i, d)
                                     for i, d in enumerate(docs)], now=NOW), tmp_path)
    url = (tmp_path / "index.html").as_uri()
    pg = open_page(browser, url, width=render.PRINT_PAGE_PX)
    assert pg.locator("table.pmatrix").count() == 0
    import pypdf

    pdf = pypdf.PdfReader(io.BytesIO(pg.pdf(print_background=True)))  # as Ctrl+P: beforeprint
    text = "\n".join(page.extract_text() for page in pdf.pages)
    for name in ("Linux", "macOS", "Windows"):
        assert "Behaviour matrix: %s" % name in text
    assert pg.locator("table.pmatrix").count() == 3
    assert pg.locator("table.pmatrix th.rh").count() == 3 * 3
    close_page(pg)
    ctx = browser.new_context(java_script_enabled=False, viewport={
        "width": render.PRINT_PAGE_PX, "height": 800})
    plain = ctx.new_page()
    plain.goto(url)
    plain.emulate_media(media="print")
    assert plain.locator("table.pmatrix").count() == 3
    assert plain.locator(".ppart").first.is_visible()
    # A printed cell that returned says so by colour alone, as on screen (no data-outcome).
    printed = plain.locator("table.pmatrix th.rh + td").first
    assert printed.get_attribute("data-outcome") is None and printed.inner_text() == "ok"
    ok = plain.evaluate("""() => { const d = document.createElement('div');
        d.style.background = 'var(--ok)'; document.body.append(d);
        return getComputedStyle(d).backgroundColor; }""")
    colour = printed.evaluate("td => getComputedStyle(td).backgroundColor")
    assert colour == ok != "rgba(0, 0, 0, 0)"
    ctx.close()


def test_print_breaks_no_word_hides_controls_and_keeps_headings_with_tables(
        browser: Any, report: str) -> None:
    """Printed (review r14): a cell's words break between words, never mid-word
    ("Pickl|ingEr|ror"); a mark is no larger than the text it marks (an 11 px ✗ covered "ok B");
    the empty hatched "no data" columns are left out (the note under the matrix names those
    slots); a closed <details>' summary and a link that opens a cell in the matrix do not
    print as dead controls; "Start methods per environment" is on the page of its table."""
    import pypdf

    pg = open_page(browser, report, width=render.PRINT_PAGE_PX)
    _print(pg)
    assert pg.locator("#matrix td.gap").count() > 0  # the fixture has slots without data
    assert pg.evaluate("""() => Array.from(document.querySelectorAll(
        '#matrix th.gap, #matrix td.gap')).every(el => !el.getClientRects().length)""")
    assert pg.evaluate(BROKEN_WORDS, "#matrix tr.case-row > td") == []
    sizes = pg.evaluate("""() => Array.from(document.querySelectorAll('#matrix td > b')).map(
        b => [parseFloat(getComputedStyle(b).fontSize),
              parseFloat(getComputedStyle(b.parentNode).fontSize)])""")
    assert sizes and all(mark <= text for mark, text in sizes), sizes
    shown = """s => Array.from(document.querySelectorAll(s)).filter(
        el => el.getClientRects().length).length"""
    assert pg.locator("details.why").count() > 0 and pg.evaluate(shown, "details.why") > 0
    assert pg.evaluate(shown, "details:not([open]) > summary") == 0
    assert pg.locator("a.cell-link").count() > 0 and pg.evaluate(shown, "a.cell-link") == 0
    pdf = pypdf.PdfReader(io.BytesIO(pg.pdf(print_background=True, prefer_css_page_size=True)))
    pages = [" ".join(page.extract_text().split()) for page in pdf.pages]
    heading = [t for t in pages if "Start methods per environment" in t]
    assert heading and "ProcessPoolExecutor default" in heading[0], heading
    close_page(pg)


def test_print_shows_the_answers_counting_note(browser: Any, report: str) -> None:
    """The note on how the Answers count, folded on screen (a <details> after them), is on
    paper, where nothing can be opened."""
    import pypdf

    pg = open_page(browser, report)
    assert not pg.locator("details.answers-note").get_attribute("open")
    _print(pg)
    pdf = pypdf.PdfReader(io.BytesIO(pg.pdf(print_background=True)))
    text = " ".join(unicodedata.normalize("NFKC", pdf.pages[0].extract_text()).split())
    assert "Cases counted when it happens in at least one environment" in text
    close_page(pg)
