"""How a run says what its selection left out (``environment.not_selected``): the words the
report shows in "not run (not selected: …)"."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, List, Optional

import pytest

from harness import plugin


def _config(keyword: str = "", markexpr: str = "", methods: str = "fork,forkserver,spawn",
            deselect: Optional[List[str]] = None) -> Any:
    option = SimpleNamespace(keyword=keyword, markexpr=markexpr, deselect=deselect)
    return SimpleNamespace(option=option, getoption=lambda name: {"--methods": methods}[name])


@pytest.mark.parametrize(("config", "by"), [
    (_config(keyword="pickling and fork"), "-k 'pickling and fork'"),
    (_config(markexpr="slow"), "-m slow"),
    (_config(methods="fork"), "--methods fork"),
    (_config(methods="spawn,fork,forkserver"), "pytest's selection"),  # a reorder leaves none
    (_config(deselect=["cases/api.py::x[fork]"]), "--deselect 'cases/api.py::x[fork]'"),
    (_config(keyword="a", methods="spawn"), "-k a --methods spawn"),
])
def test_the_selection_is_named_as_given(config: Any, by: str) -> None:
    assert plugin._selection(config) == by


def test_only_case_items_are_recorded_as_not_selected(monkeypatch: pytest.MonkeyPatch) -> None:
    """pytest_deselected may also get items that are not cells (another plugin's): only cells
    (``case[method]``) are recorded."""
    state = SimpleNamespace(deselected=[])
    monkeypatch.setattr(plugin, "_CONFIG", [object()])
    monkeypatch.setattr(plugin, "_state", lambda config: state)
    cell = object.__new__(plugin.CaseItem)
    cell.name = "methods.available[fork]"
    other = SimpleNamespace(name="test_something")
    plugin.pytest_deselected([cell, other])  # type: ignore[list-item]
    assert state.deselected == ["methods.available[fork]"]
