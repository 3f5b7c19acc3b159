"""Shared by the report's browser tests: Debian's ``chromium`` driven by Playwright through its
executable_path (never ``playwright install``). Importing this module skips the importing test
module when Playwright or Chromium is missing."""

from __future__ import annotations

import shutil
from typing import Any, Iterator, List

import pytest

__all__ = ["CHROMIUM", "launch", "matrix_cell", "sync_api", "visible_rows"]

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
