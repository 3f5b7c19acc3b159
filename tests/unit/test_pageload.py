"""harness/pageload.py: without a browser the benchmark says "not measured" and goes on; the
targets are judged from the medians it recorded (no browser started here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

import pytest

from harness import pageload


def test_without_chromium_the_page_load_is_not_measured(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No chromium: a 'not measured' result, a line saying so, and a target not met."""
    monkeypatch.setattr(pageload, "chromium", lambda: None)
    result = pageload.page_load(tmp_path)
    assert set(result) == {"not_measured"}
    assert pageload.describe(result).startswith("page load: not measured (")
    assert [t["met"] for t in pageload.targets(result)] == [False]
    assert list(tmp_path.iterdir()) == []  # no page built for nothing


def _measured(top_ms: float, matrix_ms: float, size: int) -> Dict[str, Any]:
    view = {"dcl_ms": 1.0, "fcp_ms": 1.0, "load_ms": 1.0}
    return {"envs": 30, "cases": 100, "page_bytes": size, "runs": 5,
            "loadavg_1min": [1.0, 2.0], "top": {**view, "rendered_ms": top_ms},
            "matrix_in_view": {**view, "rendered_ms": matrix_ms}}


@pytest.mark.parametrize(("top_ms", "matrix_ms", "size", "met"), [
    (400.0, 900.0, 2_000_000, [True, True, True]),
    (400.0, 1200.0, 2_000_000, [True, True, False]),
    (1000.0, 999.0, 3 * 1024 * 1024, [False, False, True]),
])
def test_targets_judge_size_and_both_views(top_ms: float, matrix_ms: float, size: int,
                                           met: list[bool]) -> None:
    """Under 3 MB; rendered in under 1 s at the top and at the matrix, each judged alone."""
    result = _measured(top_ms, matrix_ms, size)
    assert [t["met"] for t in pageload.targets(result)] == met
    assert "load average 1.0-2.0" in pageload.describe(result)
