"""The report's browser tests' shared fixtures (a module may define its own of a name). Each
imports Chromium's helpers when first used: tests.integration.chromium skips the test that
needs them where Playwright or Chromium is missing, never the tests that do not."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium for one test module."""
    from tests.integration.chromium import launch

    yield from launch()


@pytest.fixture(scope="module")
def report(tmp_path_factory: Any) -> str:
    """The answers' page (report_pages.answers_docs): its URL."""
    from tests.integration.report_pages import answers_report

    return answers_report(tmp_path_factory.mktemp("answers"))


@pytest.fixture
def page(browser: Any, tmp_path: Path) -> Iterator[Any]:
    """The <script> case's page (report_pages.evil_docs), open at 1280×800."""
    from tests.integration.report_pages import evil_page

    yield from evil_page(browser, tmp_path)
