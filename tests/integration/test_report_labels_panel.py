"""A case's words for its keys in a real headless Chromium: the cell panel says them after the
key (a phone has no tooltip), as text, never markup; the change line says them too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.integration.report_pages import cell_in_view, close_page, open_page, write_page
from tests.unit.report_synth import case_doc, cell, results_doc

pytestmark = pytest.mark.browser

CASE = "inheritance.atexit"
LABEL = "the child's own <b>atexit</b> handler runs"


def test_the_panel_and_the_change_line_say_a_keys_words(browser: Any, tmp_path: Path) -> None:
    docs = [results_doc(version=v, cases=[CASE], case_docs=[case_doc(CASE, labels={
        "own_ran": LABEL})], observe=lambda c, m, v=v: cell(c, m, observed={
            "own_ran": v == "3.13.0" or m == "spawn", "inherited_ran": False}))
            for v in ("3.12.1", "3.13.0")]
    pg = open_page(browser, write_page(tmp_path, *docs))
    fork = cell_in_view(pg, CASE, "linux-cpython-3.12", "fork")
    assert fork.get_attribute("title") == LABEL + ": no"
    fork.click()
    assert '  "own_ran": false  — %s\n' % LABEL in pg.locator(
        "#detail-body pre span").all_inner_texts()
    assert pg.locator("#detail-body b").count() == 0
    assert "%s: now yes (was no)" % LABEL in pg.inner_text("body")
    close_page(pg)
