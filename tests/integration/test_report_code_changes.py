"""The "Not compared" line of "Changes between versions" in real headless Chromium, at phone
size: the case's code changed between the 3.12 and 3.13 runs (made-up data)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, List

import pytest

from harness import loading, merge, render
from tests.integration.chromium import launch
from tests.unit.report_synth import case_doc, cell, results_doc

NOW = datetime(2026, 1, 2, tzinfo=timezone.utc)
EVIL = '"><img src=x onerror="window.__pwned=1">'


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch()


def _report(tmp_path: Path) -> None:
    docs = [results_doc(version=v, commit=commit, case_docs=[case_doc("methods.a",
                                                                      code_digest=digest)],
                        observe=lambda c, m, value=value: cell(c, m, observed=value))
            for v, commit, digest, value in (("3.12.1", EVIL, "aaaaaaaaaaaa", 1),
                                             ("3.13.0", "2222", "bbbbbbbbbbbb", 2))]
    matrix = merge.merge([loading.Loaded.from_doc("f%d.json" % i, d)
                          for i, d in enumerate(docs)], now=NOW)
    render.write_report(matrix, tmp_path)


def test_not_compared_line_prints_its_cases(browser: Any, tmp_path: Path) -> None:
    """Printed, the folded "Not compared" line shows what it counts (paper cannot open a
    <details>): the case and the commits are in the PDF, not only the summary line."""
    import io
    import unicodedata

    import pypdf

    _report(tmp_path)
    page = browser.new_page()
    page.goto((tmp_path / "index.html").as_uri())
    page.emulate_media(media="print")
    assert page.locator("#changes-not-compared li li").first.is_visible()
    pdf = pypdf.PdfReader(io.BytesIO(page.pdf()))
    text = " ".join(unicodedata.normalize("NFKC", " ".join(
        p.extract_text() for p in pdf.pages)).split())  # NFKC: the PDF's "ﬀ" ligature
    assert "Not compared: 1 difference in 1 case" in text
    assert "the case's code changed between these runs" in text
    page.close()


def test_not_compared_line_on_a_phone(browser: Any, tmp_path: Path) -> None:
    """One summary line counts the difference left out; opened, it names the case and the
    commits as text (a commit is data from a file: never markup), within the phone's width,
    under the page's strict CSP."""
    _report(tmp_path)
    page = browser.new_page(viewport={"width": 390, "height": 844})
    errors: List[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((tmp_path / "index.html").as_uri())
    assert page.locator("body.js").count() == 1  # our script ran under the strict CSP
    line = page.locator("#changes-not-compared")
    assert line.locator("summary").inner_text() == (
        "Not compared: 1 difference in 1 case whose own code changed between the two runs (a "
        "change of the case, not of Python)")
    assert not line.locator("li").first.is_visible()
    line.locator("summary").click()
    text = line.locator("li li").inner_text()
    assert text == ("Linux 3.12 → Linux 3.13: fork, forkserver, spawn: the case's code "
                    "changed between these runs (commits \"><img src=x → 2222)")
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#changes-not-compared img").count() == 0
    box = line.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390
    assert page.locator("#changes > ul").count() == 0  # no change point for the case
    assert errors == []
    page.close()
