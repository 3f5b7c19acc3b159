"""Shared by the report's browser tests: Debian's ``chromium`` driven by Playwright through its
executable_path (never ``playwright install``). Importing this module skips the importing test
module when Playwright or Chromium is missing."""

from __future__ import annotations

import shutil
from typing import Any, Iterator, List

import pytest

__all__ = ["CHROMIUM", "launch", "sync_api", "visible_rows"]

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
