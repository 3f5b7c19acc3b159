"""The report in a real headless Chromium (Debian `chromium` driven by Playwright through its
executable_path; never `playwright install`): opened from file://, tables render, filters hide
rows, permalinks restore state, versions fold, and an injected <script> does not run. By
keyboard and touch: test_report_keyboard; a big page and sticky headings:
test_report_matrix_layout."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.documents import CellMeta
from tests.integration.chromium import matrix_cell, visible_rows
from tests.integration.report_pages import EVIL, write_page
from tests.unit.report_synth import case_doc, cell, results_doc

pytestmark = pytest.mark.browser


def test_tables_render_from_file_url(page: Any) -> None:
    """Methods table and matrix render; every case row and every cell is there."""
    assert page.locator("table.methods-table tbody tr[id^=env-]").count() == 2
    assert len(visible_rows(page)) == 3
    assert page.locator("#matrix tr.case-row > td:not(.gap)").count() == 3 * 2 * 3
    assert page.locator("body.js").count() == 1  # our script ran under the strict CSP


def test_injected_script_does_not_run_and_shows_as_text(page: Any) -> None:
    """A result's <script> and onerror handler stay text; no javascript: link exists."""
    assert page.evaluate("window.__pwned") is None
    section = page.locator("#case-pickling\\.evil")
    # DOM text (case sections render lazily with content-visibility, so not inner_text).
    assert EVIL in (section.text_content() or "")
    assert page.locator("#case-pickling\\.evil script, #case-pickling\\.evil img").count() == 0
    assert page.locator('a[href^="javascript:"]').count() == 0


def test_filters_hide_rows_and_columns(page: Any) -> None:
    """Category and only-findings filters hide rows; the method filter hides columns."""
    page.select_option("#f-cat", "deadlock")
    assert visible_rows(page) == ["row-deadlock.b"]
    page.select_option("#f-cat", "")
    page.check("#f-find")
    assert visible_rows(page) == ["row-pickling.evil"]
    page.uncheck("#f-find")
    page.fill("#f-q", "methods.a")
    assert visible_rows(page) == ["row-methods.a"]
    page.fill("#f-q", "  title  METHODS.A ")  # every word, in any order, any case
    assert visible_rows(page) == ["row-methods.a"]
    page.fill("#f-q", "methods.a deadlock")
    assert visible_rows(page) == []
    page.fill("#f-q", "itle")  # the start of a word only: "hang" must not find "changed"
    assert visible_rows(page) == []
    page.fill("#f-q", "of dead")
    assert visible_rows(page) == ["row-deadlock.b"]
    page.fill("#f-q", ".b")  # starts with punctuation: anywhere, as typed
    assert visible_rows(page) == ["row-deadlock.b"]
    page.fill("#f-q", "")
    page.select_option("#f-os", "windows")  # in the target grid, no data in this report
    assert "no environment shown has data" in page.inner_text("#f-count")
    page.select_option("#f-os", "")
    assert "no environment" not in page.inner_text("#f-count")
    page.select_option("#f-m", "spawn")
    visible = page.eval_on_selector_all(
        "#row-methods\\.a td:not(.gap)", "ts => ts.filter(t => t.offsetParent !== null).length")
    assert visible == 2


def test_search_finds_behaviour_words_and_sections_follow_rows(browser: Any,
                                                               tmp_path: Path) -> None:
    """The search box finds a row by its behaviour tags and by "hang", not only by its id, title
    and values; a case's finding and its case section follow its row (they carry no filter data
    of their own: the script reads the row's)."""
    def observe(c: str, m: str) -> CellMeta:
        if (c, m) == ("deadlock.x", "fork"):
            return cell(c, m, outcome="timeout", verdict="unexpected")
        return cell(c, m)
    doc = results_doc(cases=["methods.a", "deadlock.x"], observe=observe)
    pg = browser.new_page(viewport={"width": 1280, "height": 800})
    pg.goto(write_page(tmp_path, doc))
    shown = """() => ['row-deadlock.x', 'case-deadlock.x', 'row-methods.a', 'case-methods.a']
        .filter(id => !document.getElementById(id).hidden)"""
    findings = """() => Array.from(document.querySelectorAll('div.finding'))
        .filter(d => !d.hidden).length"""
    assert pg.locator("div.finding").count() == 1
    for words in ("fork-only timeout", "hang", "DEADLOCK.X", "methods.a"):
        pg.fill("#f-q", words)
        wanted = ["row-methods.a", "case-methods.a"] if words == "methods.a" else [
            "row-deadlock.x", "case-deadlock.x"]
        assert pg.evaluate(shown) == wanted, words
        assert pg.evaluate(findings) == (0 if words == "methods.a" else 1), words
    pg.fill("#f-q", "")
    pg.check("#f-find")
    assert pg.evaluate(shown) == ["row-deadlock.x", "case-deadlock.x"]
    pg.close()


def test_permalink_restores_filters_and_cell(page: Any, browser: Any) -> None:
    """The URL fragment written by the filters restores them (and a selected cell) on load."""
    page.select_option("#f-cat", "methods")
    matrix_cell(page, "methods.a", "linux-cpython-3.13", "fork").click()
    link = page.evaluate("location.href")
    assert "#view?" in link and "cat=methods" in link and "cell=" in link
    other = browser.new_page(viewport={"width": 1280, "height": 800})
    other.goto(link)
    assert other.input_value("#f-cat") == "methods"
    assert visible_rows(other) == ["row-methods.a"]
    assert other.locator("#detail").is_visible()
    assert " · Linux 3.13 · " in other.inner_text("#detail-title")
    assert other.locator("td.sel").count() == 1
    other.close()


def _fork_hang_page(tmp_path: Path) -> str:
    """3.12 and 3.13 where deadlock.b hangs under fork only (an Answers line names it)."""
    def observe(c: str, m: str) -> CellMeta:
        if c == "deadlock.b" and m == "fork":
            return cell(c, m, outcome="timeout", wall_s=12.0, verdict="no-expectation")
        return cell(c, m)
    cases = ["methods.a", "deadlock.b"]
    return write_page(tmp_path, *[results_doc(version=v, cases=cases, observe=observe,
                                          case_docs=[case_doc(c) for c in cases])
                              for v in ("3.12.1", "3.13.0")])


def test_answer_lines_open_the_matrix_filtered_and_lead_somewhere_without_script(
        browser: Any, tmp_path: Path) -> None:
    """On a phone, an Answers line filters the matrix and scrolls to it (it used to filter
    6,000 px below, out of sight), with the rows it keeps on the screen (the legend and the
    filters filled the screen: the table began at its bottom edge); without JavaScript every
    such link still goes to an element of the page (the matrix, the cell) instead of
    nowhere."""
    url = _fork_hang_page(tmp_path)
    pg = browser.new_page(viewport={"width": 390, "height": 844})
    pg.goto(url)
    link = pg.locator("ul.answers a", has_text="only under fork")
    assert (link.get_attribute("href") or "").startswith("#view?b=")
    link.click()
    assert visible_rows(pg) == ["row-deadlock.b"]
    count, row = pg.evaluate("""() => ['f-count', 'row-deadlock.b'].map(id => {
        const r = document.getElementById(id).getBoundingClientRect(); return [r.top, r.bottom];
    })""")
    assert count[0] >= 0 and row[1] <= 844, (count, row)  # "1 of 2 cases shown", then the row
    assert pg.inner_text("#f-count").startswith(
        "1 of 2 cases shown (hang or fail only under fork)")  # the filter that chose the rows
    pg.close()

    context = browser.new_context(java_script_enabled=False)
    plain = context.new_page()
    plain.goto(url)
    targets = plain.eval_on_selector_all("a[data-view]",
                                         "as => as.map(a => a.getAttribute('href'))")
    assert targets and all(t.startswith("#") and "view?" not in t for t in targets)
    assert plain.evaluate("""ts => ts.filter(t => !document.getElementById(
        decodeURIComponent(t.slice(1)))).length""", targets) == 0
    context.close()


def test_a_view_link_that_names_no_cell_closes_the_details(browser: Any, tmp_path: Path) -> None:
    """A cell selected, then an Answers line (a view naming no cell) followed: the details
    close and the selection goes (they stayed open on a cell the view hid, saying that the
    address held its permalink); a #view? link naming a cell still opens it."""
    url = _fork_hang_page(tmp_path)
    pg = browser.new_page(viewport={"width": 1280, "height": 800})
    pg.goto(url)
    matrix_cell(pg, "methods.a", "linux-cpython-3.12", "fork").click()
    assert pg.locator("#detail").is_visible() and pg.locator("td.sel").count() == 1
    pg.locator("ul.answers a", has_text="only under fork").click()
    pg.wait_for_function("() => document.location.hash.indexOf('b=') > 0")
    assert visible_rows(pg) == ["row-deadlock.b"]
    assert not pg.locator("#detail").is_visible()
    assert pg.locator("td.sel").count() == 0
    pg.select_option("#f-m", "spawn")  # any later change writes the view without a cell
    assert "cell=" not in pg.evaluate("location.href")
    pg.evaluate("location.hash = '#view?cell=deadlock.b~linux-cpython-3.13~fork'")
    pg.wait_for_function("() => document.querySelectorAll('td.sel').length === 1")
    assert " · Linux 3.13 · " in pg.inner_text("#detail-title")
    pg.evaluate("location.hash = '#view?cat=methods'")
    pg.wait_for_function("() => document.getElementById('detail').hidden")
    assert pg.locator("td.sel").count() == 0
    pg.close()


def test_versions_that_behave_the_same_fold_into_a_range(page: Any) -> None:
    """Folding: 3.12 and 3.13 read the same in every cell here, so one column "3.12–3.13"
    stays; unfolding (one click) brings both back. The fold is in the permalink."""
    heads = "ths => ths.filter(t => t.offsetParent !== null).map(t => t.textContent)"
    assert page.eval_on_selector_all("#matrix th.env", heads) == ["3.12", "3.13"]
    page.check("#f-fold")
    assert "fold=1" in page.evaluate("location.href")
    assert page.eval_on_selector_all("#matrix th.env", heads) == ["3.12–3.13"]
    shown = page.eval_on_selector_all(
        "#row-methods\\.a td:not(.gap)", "ts => ts.filter(t => t.offsetParent !== null).length")
    assert shown == 3
    page.uncheck("#f-fold")
    assert page.eval_on_selector_all("#matrix th.env", heads) == ["3.12", "3.13"]


def test_folding_with_newest_only_keeps_each_series_newest_column(page: Any) -> None:
    """Both "fold" and "newest only": a series still shows its newest column, labelled with the
    range it stands for (folding kept a group's first column and newest-only its last one, so
    together they hid the whole series and the count said no environment had data)."""
    heads = ("ths => ths.filter(t => t.offsetParent !== null)"
             ".map(t => [t.getAttribute('data-env'), t.textContent])")
    page.check("#f-fold")
    page.check("#f-collapse")
    assert page.eval_on_selector_all("#matrix th.env", heads) == [
        ["linux-cpython-3.13", "3.12–3.13"]]
    shown = page.eval_on_selector_all(
        "#row-methods\\.a td:not(.gap)", "ts => ts.filter(t => t.offsetParent !== null).length")
    assert shown == 3
    assert "no environment" not in page.inner_text("#f-count")
    page.uncheck("#f-fold")
    assert page.eval_on_selector_all("#matrix th.env", heads) == [
        ["linux-cpython-3.13", "3.13"]]


def test_findings_follow_the_filters(page: Any) -> None:
    """The findings list shows only the findings of the rows the filters keep."""
    findings = "fs => fs.filter(f => f.offsetParent !== null).length"
    assert page.eval_on_selector_all("div.finding", findings) == 1
    page.select_option("#f-cat", "deadlock")
    assert page.eval_on_selector_all("div.finding", findings) == 0
