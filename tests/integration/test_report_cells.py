"""The page's weight and density in a real headless Chromium (Debian `chromium` via Playwright's
executable_path): a name breaks between its words in a phone's narrow cells, a desktop row of a
typical title is two lines, markup needed later is built when needed."""

from __future__ import annotations

import importlib
import io
import statistics
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, List

import pytest

from harness import loading, merge, render
from harness.documents import CellMeta
from harness.guest import catalog
from harness.text import word_parts
from tests.integration.chromium import launch, matrix_cell
from tests.unit.report_synth import case_doc, cell, ci_legs, results_doc
from tests.unit.test_report_render import _perf_doc

pytestmark = pytest.mark.browser
NOW = datetime(2026, 1, 2, tzinfo=timezone.utc)
ERRORS = ["PicklingError", "BrokenProcessPool", "MaybeEncodingError", "AttributeError"]

#: The lines a cell's text is laid out on: its characters grouped by the top of their boxes.
_LINES = """td => {
  const lines = new Map();
  const walk = document.createTreeWalker(td, NodeFilter.SHOW_TEXT);
  for (let node = walk.nextNode(); node; node = walk.nextNode()) {
    if (node.parentNode !== td) { continue; }  // the verdict mark and the warning sign
    for (let i = 0; i < node.length; i++) {
      const r = document.createRange(); r.setStart(node, i); r.setEnd(node, i + 1);
      const top = Math.round(r.getBoundingClientRect().top);
      lines.set(top, (lines.get(top) || '') + node.data[i]);
    }
  }
  return Array.from(lines.keys()).sort((a, b) => a - b).map(k => lines.get(k));
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch()


def test_word_parts() -> None:
    """Names break between camel-case words and after a dot inside a name; numbers stay whole."""
    assert word_parts("PicklingError") == ["Pickling", "Error"]
    assert word_parts("json.decoder.JSONDecodeError") == ["json.", "decoder.", "JSON", "Decode",
                                                          "Error"]
    assert word_parts("_pickle.PicklingError") == ["_pickle.", "Pickling", "Error"]
    assert word_parts("3.14") == ["3.14"] and word_parts("hang 15 s") == ["hang 15 s"]


def test_phone_breaks_an_error_name_between_its_words(browser: Any, tmp_path: Path) -> None:
    """At 390×844 an error cell too narrow for its name breaks it at a word ("Pickling" /
    "Error"), never inside one ("PicklingEr" / "ror")."""
    cases = ["pickling.e%d" % i for i in range(len(ERRORS))]

    def observe(c: str, m: str) -> CellMeta:
        return cell(c, m, outcome="error", error={"type": ERRORS[int(c[-1])], "message": "x"})
    docs = [results_doc(version=v, cases=cases, observe=observe) for v in ("3.12.1", "3.13.0")]
    render.write_report(merge.merge([loading.Loaded.from_doc("f%d.json" % i, d)
                                     for i, d in enumerate(docs)], now=NOW), tmp_path)
    pg = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    pg.goto((tmp_path / "index.html").as_uri() + "#matrix-section")
    broken: List[List[str]] = []
    for c, name in zip(cases, ERRORS):
        td = matrix_cell(pg, c, "linux-cpython-3.13", "spawn")
        lines = td.evaluate(_LINES)
        assert "".join(lines) == name
        if len(lines) > 1:
            broken.append(lines)
        words = word_parts(name)
        # Each line is whole words: joining the parts in order gives the lines.
        assert all(any(line == "".join(words[i:j]) for i in range(len(words))
                       for j in range(i + 1, len(words) + 1)) for line in lines), lines
    assert broken  # the cells are narrow enough to break a name (else the test shows nothing)
    pg.close()



def test_desktop_rows_of_the_catalog_are_under_three_lines(browser: Any, tmp_path: Path) -> None:
    """At 1280×800 the catalog's cases (their titles and ids) make rows of under three lines at
    the median: a title of ~80 characters on two lines, the id after it where it fits (a row
    took three lines, ~53 px: 11 rows in a 1080 px screen's box)."""
    for path in sorted((Path(__file__).parents[2] / "cases").glob("*.py")):
        importlib.import_module("cases." + path.stem)
    titles = {c.id: c.title for c in catalog.all_cases()}
    assert len(titles) > 50
    docs = [results_doc(version=v, cases=sorted(titles), case_docs=[
        case_doc(c, title=t) for c, t in sorted(titles.items())]) for v in ("3.12.1", "3.13.0")]
    render.write_report(merge.merge([loading.Loaded.from_doc("f%d.json" % i, d)
                                     for i, d in enumerate(docs)], now=NOW), tmp_path)
    pg = browser.new_page(viewport={"width": 1280, "height": 800})
    pg.goto((tmp_path / "index.html").as_uri() + "#matrix-section")
    pg.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    heights = pg.eval_on_selector_all(
        "#matrix tr.case-row", "rs => rs.map(r => r.getBoundingClientRect().height)")
    line = float(pg.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('#matrix th.rh')).lineHeight)"))
    assert len(heights) == len(titles)
    assert statistics.median(heights) < 3 * line, (statistics.median(heights), line)
    pg.close()


def test_a_charts_values_table_is_built_when_opened(browser: Any, tmp_path: Path) -> None:
    """A chart's values (CI: 2,900 rows in 27 tables) are text in the page until their
    <details> opens: then the table is there, its text escaped; without JavaScript it is there
    from the start."""
    docs = [_perf_doc("3.12.0", unit="<ms>"), _perf_doc("3.13.0")]
    render.write_report(merge.merge([loading.Loaded.from_doc("f%d.json" % i, d)
                                     for i, d in enumerate(docs)], now=NOW), tmp_path)
    url = (tmp_path / "index.html").as_uri()
    pg = browser.new_page(viewport={"width": 1280, "height": 800})
    pg.goto(url)
    assert pg.locator("#performance details table").count() == 0
    summaries = pg.locator("#performance details summary")
    for i in range(summaries.count()):
        summaries.nth(i).click()
    rows = pg.locator("#performance details table tbody tr")
    assert rows.count() >= 4 and rows.first.is_visible()
    assert any("<ms>" in t for t in pg.locator("#performance details table").all_inner_texts())
    assert pg.locator("#performance details script, #performance details img").count() == 0
    pg.close()
    ctx = browser.new_context(java_script_enabled=False)
    plain = ctx.new_page()
    plain.goto(url)
    assert plain.locator("#performance details table").count() == len(
        plain.locator("#performance figure").all())
    ctx.close()


def test_a_chart_is_built_near_the_screen_and_nothing_moves(
        browser: Any, tmp_path: Path) -> None:
    """A chart is text in the page until it nears the screen (CI: 27 charts, 7,500 elements
    parsed on load for a section a phone reader rarely reaches); its box has the chart's shape
    meanwhile, so building it moves nothing below; printing builds them all, and without
    JavaScript they are there from the start, their text escaped."""
    filler = results_doc(version="3.12.0", cases=["methods.filler_%02d" % i for i in range(80)])
    docs = [_perf_doc("3.12.0", unit="<ms>"), _perf_doc("3.13.0"), filler]
    render.write_report(merge.merge([loading.Loaded.from_doc("f%d.json" % i, d)
                                     for i, d in enumerate(docs)], now=NOW), tmp_path)
    url = (tmp_path / "index.html").as_uri()
    charts = "#performance svg.chart"
    for width, height, mobile in ((390, 844, True), (1280, 800, False)):
        pg = browser.new_page(viewport={"width": width, "height": height}, is_mobile=mobile)
        pg.goto(url)
        figures = pg.locator("#performance figure").count()
        assert figures == 4 and pg.locator(charts).count() == 0
        boxes = pg.eval_on_selector_all("#performance .chartbox", "bs => bs.map(b => "
                                        "[b.getBoundingClientRect().width, b.offsetHeight])")
        pg.evaluate("document.getElementById('performance').scrollIntoView()")
        pg.wait_for_function("n => document.querySelectorAll(%r).length === n" % charts,
                             arg=figures)
        built = pg.eval_on_selector_all(charts, "ss => ss.map(s => s.getBoundingClientRect())"
                                        ".map(r => [r.width, r.height])")
        # each box kept its chart's shape: building it changes no height on the page
        for (box_w, box_h), (svg_w, svg_h) in zip(boxes, built):
            assert box_h > 40 and abs(box_w - svg_w) < 1 and abs(box_h - svg_h) < 1.5, (
                boxes, built)
        after = pg.eval_on_selector_all("#performance .chartbox", "bs => bs.map(b => "
                                        "[b.getBoundingClientRect().width, b.offsetHeight])")
        assert after == boxes
        assert pg.locator("#performance svg script, #performance svg foreignObject").count() == 0
        pg.close()
    pg = browser.new_page(viewport={"width": render.PRINT_PAGE_PX, "height": 800})
    pg.goto(url)
    assert pg.locator(charts).count() == 0
    import pypdf

    pdf = pypdf.PdfReader(io.BytesIO(pg.pdf()))  # as Ctrl+P: beforeprint
    assert pg.locator(charts).count() == 4
    assert "parent_objects_mb: 0" in "".join(page.extract_text() for page in pdf.pages)
    pg.close()
    pg = browser.new_page(viewport={"width": render.PRINT_PAGE_PX, "height": 800})
    pg.goto(url)
    pg.emulate_media(media="print")  # a print preview's media, with no beforeprint
    pg.wait_for_function("() => document.querySelectorAll(%r).length === 4" % charts)
    pg.close()
    ctx = browser.new_context(java_script_enabled=False)
    plain = ctx.new_page()
    plain.goto(url)
    assert plain.locator(charts).count() == 4
    assert "<ms>" in plain.locator(charts).first.text_content()
    ctx.close()


def test_a_column_filter_hides_runs_of_columns(browser: Any, tmp_path: Path) -> None:
    """Cells carry no names: a filter hides them by their column, one selector per run of
    columns (an OS's environments, an OS's columns of one method), not one per column (108 of
    them for CI's 36 environments made every filter twice as slow to restyle the matrix); the
    cells left are the ones asked for."""
    docs = [results_doc(cases=["methods.a", "methods.b"],
                        observe=lambda c, m, i=i: cell(c, m, observed="v%02d%s" % (i, m[:2])),
                        **leg) for i, leg in enumerate(ci_legs())]
    render.write_report(merge.merge([loading.Loaded.from_doc("f%d.json" % i, d)
                                     for i, d in enumerate(docs)], now=NOW), tmp_path)
    pg = browser.new_page(viewport={"width": 1280, "height": 800})
    pg.goto((tmp_path / "index.html").as_uri() + "#view?os=macos&m=spawn")
    shown = pg.eval_on_selector_all(
        "#row-methods\\.a > td:not(.gap)",
        "tds => tds.filter(td => td.offsetParent !== null).map(td => td.textContent)")
    assert shown == ["v%02dsp" % i for i in range(12, 24)]  # macOS's 12 environments, spawn
    assert pg.evaluate("document.getElementById('dyn-style').textContent.split("
                       "'nth-child(').length - 1") <= 2 * (2 + 2 * 1)  # (a range: two each)
    pg.close()


def test_the_cell_panel_names_the_environment_and_a_dead_child_in_words(
        browser: Any, tmp_path: Path) -> None:
    """The panel's heading names the column as the page does ("Linux 3.13", not the id
    linux-cpython-3.13), and a child that died by SIGSEGV reads so, not as the harness's own
    type ChildDied (review r7 #4, #10)."""
    def observe(c: str, m: str) -> CellMeta:
        return cell(c, m, outcome="error", error={
            "type": "ChildDied", "where": "child",
            "message": "child exited with code -11 before sending a result"}) \
            if m == "spawn" else cell(c, m)
    docs = [results_doc(version=v, cases=["pickling.p"], observe=observe)
            for v in ("3.12.1", "3.13.0")]
    render.write_report(merge.merge([loading.Loaded.from_doc("f%d.json" % i, d)
                                     for i, d in enumerate(docs)], now=NOW), tmp_path)
    pg = browser.new_page(viewport={"width": 1440, "height": 900})
    pg.goto((tmp_path / "index.html").as_uri())
    matrix_cell(pg, "pickling.p", "linux-cpython-3.13", "spawn").click()
    assert pg.inner_text("#detail-title") == "Title of pickling.p · Linux 3.13 · spawn"
    assert pg.inner_text("#detail-body .outcome") == ("error: the child crashed (SIGSEGV) — "
                                                      "child exited with code -11 before "
                                                      "sending a result")
    pg.close()
