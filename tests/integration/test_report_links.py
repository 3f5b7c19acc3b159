"""From the answers' sections to the matrix, in Chromium: a finding's "Why it matters", a
claim's evidence links (each opens its own cell; ids break after "_" only), and the cell
panel's words for an inferred expectation and a cell not compared."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from harness import loading, merge, render
from harness.documents import CellMeta
from tests.integration.chromium import BROKEN_WORDS
from tests.integration.report_pages import NOW, answers_docs, cell_in_view, close_page, open_page
from tests.unit.report_synth import case_doc, cell, results_doc

pytestmark = pytest.mark.browser


def test_a_findings_why_it_matters_is_its_case_sections_text(browser: Any, report: str) -> None:
    """A finding's "Why it matters", opened, reads as its case section's text (copied in by the
    script: the page no longer holds it twice); without JavaScript it links to that section."""
    pg = open_page(browser, report)
    finding = pg.locator("div.finding", has=pg.locator('a[href="#case-methods.crashy"]'))
    finding.locator("details.why summary").click()
    doc = pg.locator("#case-methods\\.crashy p.doc").text_content()
    assert doc and finding.locator("details.why p.doc").inner_text().strip() == doc.strip()
    close_page(pg)
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
                                     enumerate(answers_docs())], now=NOW, claims=claims), tmp_path)
    pg = open_page(browser, (tmp_path / "index.html").as_uri())
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
        sel = cell_in_view(pg, case, env, method).evaluate("td => td.classList.contains('sel')")
        assert focused and sel
    close_page(pg)


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
    pg = open_page(browser, (tmp_path / "index.html").as_uri(), 1440, 900)
    pg.evaluate("document.querySelector('#claims').scrollIntoView()")
    pg.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    assert pg.locator("table.claims thead th").count() == 2 + len(versions)
    overall, em = pg.evaluate("""() => { const td = document.querySelector(
        '#claim-both td:not(.env)');
        return [td.getBoundingClientRect().width, parseFloat(getComputedStyle(td).fontSize)]; }""")
    assert overall >= 16 * em, (overall, em)
    assert pg.evaluate(BROKEN_WORDS, "table.claims a") == []
    close_page(pg)


def test_the_panel_tells_an_inferred_expectation_and_an_uncompared_cell(
        browser: Any, tmp_path: Path) -> None:
    """A cell against an inferred rule says so (not "from the docs"); an unavailable cell whose
    rule expected it to run says it was not compared."""
    guessed = {"outcome": "ok", "methods": ["*"], "value": 2, "inferred": True}

    def observe(c: str, m: str) -> CellMeta:
        if m == "spawn":
            return cell(c, m, observed=1, verdict="unexpected", expected=guessed)
        if m == "fork":
            return cell(c, m, outcome="unavailable", verdict="unexpected", detail="no /dev/shm",
                        expected={"outcome": "ok", "methods": ["*"]})
        return cell(c, m)

    doc = results_doc(cases=["inheritance.guess"], observe=observe,
                      case_docs=[case_doc("inheritance.guess")])
    render.write_report(merge.merge([loading.Loaded.from_doc("f.json", doc)], now=NOW), tmp_path)
    pg = open_page(browser, (tmp_path / "index.html").as_uri())
    cell_in_view(pg, "inheritance.guess", "linux-cpython-3.12", "spawn").click()
    body = pg.inner_text("#detail-body")
    assert "✗ differs from an inferred expectation (one the docs do not state)" in body
    assert "expected (inferred: the docs do not state it)" in body and "from the docs" not in body
    # Its link says what it is: the case's source, not "the docs this expectation comes from".
    assert pg.inner_text("#detail-body p:last-child a") == "the case's source"
    # A stated rule:
    cell_in_view(pg, "inheritance.guess", "linux-cpython-3.12", "forkserver").click()
    assert pg.inner_text("#detail-body p:last-child a") == "the docs this expectation comes from"
    cell_in_view(pg, "inheritance.guess", "linux-cpython-3.12", "fork").click()
    body = pg.inner_text("#detail-body")
    assert "not compared with the docs: nothing ran here" in body and "differs" not in body
    close_page(pg)
