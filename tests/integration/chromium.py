"""Shared by the report's browser tests: Debian's ``chromium`` driven by Playwright through its
executable_path (never ``playwright install``). Importing this module skips the importing test
module when Playwright or Chromium is missing."""

from __future__ import annotations

import shutil
from typing import Any, Iterator, List

import pytest

__all__ = ["BROKEN_WORDS", "CHROMIUM", "LOW_CONTRAST", "launch", "matrix_cell", "sync_api",
           "visible_rows"]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
sync_api = pytest.importorskip("playwright.sync_api")
if CHROMIUM is None:
    pytest.skip("Debian chromium is not installed", allow_module_level=True)


def launch() -> Iterator[Any]:
    """A headless Chromium for one test module (use as a module-scoped fixture's body)."""
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield b
        b.close()


def visible_rows(pg: Any) -> List[str]:
    """The ids of the matrix rows the filters leave visible."""
    return list(pg.eval_on_selector_all(
        "tr.case-row", "rs => rs.filter(r => r.offsetParent !== null).map(r => r.id)"))


#: The 1-based column of a matrix cell, counted from the header as a reader does: per OS group
#: (in order) each environment's method columns, then the group's no-data column if it has one.
_COLUMN = """([env, method]) => {
  let n = 1;
  for (const osg of document.querySelectorAll('#matrix th.osg')) {
    const os = osg.getAttribute('data-os');
    for (const e of document.querySelectorAll('#matrix th.env')) {
      if (e.getAttribute('data-os') !== os) { continue; }
      const id = e.getAttribute('data-env');
      for (const m of document.querySelectorAll('#matrix th.meth[data-env="' + id + '"]')) {
        n += 1;
        if (id === env && m.getAttribute('data-m') === method) { return n; }
      }
    }
    if (document.querySelector('#matrix thead th.gap[data-os="' + os + '"]')) { n += 1; }
  }
  return null;
}"""


def matrix_cell(pg: Any, case: str, env: str, method: str) -> Any:
    """The matrix cell of ``case`` under ``env`` and ``method`` (cells carry no names: their
    row is the case's, their column the environment's and method's)."""
    column = pg.evaluate(_COLUMN, [env, method])
    assert column is not None, (env, method)
    return pg.locator("#matrix tr.case-row[id=\"row-%s\"] > td:nth-child(%d)" % (case, column))


#: Text whose contrast with what is behind it is below WCAG's 4.5:1 (small text), as
#: [ratio, text, the element's tag.class, its colour, the background]: each text node's colour
#: against the first opaque background of it or an ancestor (a gradient is not read).
LOW_CONTRAST = r"""(root) => {
  const rgb = c => c.match(/[\d.]+/g).map(Number);
  const lum = c => { const v = c.slice(0, 3).map(x => { x /= 255;
    return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); });
    return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
  const behind = el => { for (; el; el = el.parentElement) {
    const c = rgb(getComputedStyle(el).backgroundColor);
    if (c.length < 4 || c[3] > 0) { return c; } }
    return [255, 255, 255]; };
  const low = [], seen = new Set();
  const walk = document.createTreeWalker(document.querySelector(root), NodeFilter.SHOW_TEXT);
  for (let n; (n = walk.nextNode());) {
    const el = n.parentElement;
    if (!n.textContent.trim() || !el.getClientRects().length || el.closest('svg')) { continue; }
    const cs = getComputedStyle(el), f = rgb(cs.color), b = behind(el);
    const r = (Math.max(lum(f), lum(b)) + 0.05) / (Math.min(lum(f), lum(b)) + 0.05);
    const key = cs.color + b.join();
    if (r < 4.5 && !seen.has(key)) { seen.add(key);
      low.push([Math.round(r * 100) / 100, n.textContent.trim().slice(0, 20),
                el.tagName + '.' + el.className, cs.color, b.join()]); }
  }
  return low;
}"""


#: The words laid out on more than one line, in the text of the elements ``selector`` picks:
#: a word broken mid-word ("lock_held_by" / "_thread_at_f" / "ork", "Runti" / "me"). A <wbr>
#: cuts a text into nodes ("lock_held_by_", "thread_at_"; "Pickling", "Error"): each is a word
#: that may end a line, never be cut.
BROKEN_WORDS = r"""(selector) => {
  const out = [], range = document.createRange();
  for (const el of document.querySelectorAll(selector)) {
    const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let n; (n = walk.nextNode());) {
      let at = 0;
      for (const word of n.textContent.split(' ')) {
        range.setStart(n, at); range.setEnd(n, at + word.length); at += word.length + 1;
        const lines = new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top)));
        if (word && lines.size > 1) { out.push(word); }
      }
    }
  }
  return out;
}"""
