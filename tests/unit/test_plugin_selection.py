"""How a run says what its selection left out (``environment.not_selected``): the words the
report shows in "not run (not selected: …)"."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any, List, Optional

import pytest

from harness import plugin
from harness.case_imports import Reach


def _config(keyword: str = "", markexpr: str = "", methods: str = "fork,forkserver,spawn",
            deselect: Optional[List[str]] = None) -> Any:
    option = SimpleNamespace(keyword=keyword, markexpr=markexpr, deselect=deselect)
    return SimpleNamespace(option=option, getoption=lambda name: {"--methods": methods}[name],
                           args=[str(plugin.CASES_DIR)])


@pytest.mark.parametrize(("config", "by"), [
    (_config(keyword="pickling and fork"), "-k 'pickling and fork'"),
    (_config(markexpr="slow"), "-m slow"),
    (_config(methods="fork"), "--methods fork"),
    (_config(methods="spawn,fork,forkserver"), "pytest's selection"),  # a reorder leaves none
    (_config(methods="fork, spawn, forkserver"), "pytest's selection"),  # as --methods parses
    (_config(deselect=["cases/api.py::x[fork]"]), "--deselect 'cases/api.py::x[fork]'"),
    (_config(keyword="a", methods="spawn"), "-k a --methods spawn"),
])
def test_the_selection_is_named_as_given(config: Any, by: str) -> None:
    assert plugin._selection(config) == by


def test_only_case_items_are_recorded_as_not_selected(monkeypatch: pytest.MonkeyPatch) -> None:
    """pytest_deselected may also get items that are not cells (another plugin's): only cells
    (``case[method]``) are recorded."""
    state = SimpleNamespace(deselected=[], dropping=False)
    monkeypatch.setattr(plugin, "_CONFIG", [object()])
    monkeypatch.setattr(plugin, "_state", lambda config: state)
    cell = object.__new__(plugin.CaseItem)
    cell.name = "methods.available[fork]"
    other = SimpleNamespace(name="test_something")
    plugin.pytest_deselected([cell, other])  # type: ignore[list-item]
    assert state.deselected == ["methods.available[fork]"]


def test_quick_drops_its_cells_after_the_selection_without_calling_them_not_selected(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """--quick runs after -k/-m: the performance cells the selection kept leave the run and
    pytest counts them as deselected, but they are not recorded as not selected (the merge
    labels them "not run (quick)"); the ones the selection left out stay recorded."""
    def item(name: str, category: str) -> Any:
        cell = object.__new__(plugin.CaseItem)
        cell.name, cell.case = name, SimpleNamespace(category=category)  # type: ignore[assignment]
        return cell

    state = SimpleNamespace(deselected=["performance.p[spawn]"], dropping=False, quick=True)
    config = SimpleNamespace(hook=SimpleNamespace(pytest_deselected=plugin.pytest_deselected))
    monkeypatch.setattr(plugin, "_CONFIG", [config])
    monkeypatch.setattr(plugin, "_state", lambda config: state)
    kept, perf = item("methods.a[fork]", "methods"), item("performance.p[fork]", "performance")
    items = [kept, perf]
    plugin.pytest_collection_modifyitems(config, items)  # type: ignore[arg-type]
    assert items == [kept]
    assert state.deselected == ["performance.p[spawn]"]


def _collected(monkeypatch: pytest.MonkeyPatch, name: str) -> Any:
    """The run's state once ``cases/<name>`` is collected under ``--methods`` of none."""
    state = SimpleNamespace(cases={}, methods=set(), deselected=[],
                            reach=Reach(plugin.CASES_DIR))
    monkeypatch.setattr(plugin, "_state", lambda config: state)
    case_file = object.__new__(plugin.CaseFile)
    case_file.path = Path(plugin.CASES_DIR) / name
    case_file.config = None  # type: ignore[assignment]
    list(case_file.collect())
    return state


def test_case_digests_are_taken_at_collection_before_any_cell_runs(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """Collecting a case module takes each case's code digest then (not when the session ends,
    from files a long run may have seen edited): a later edit does not change it."""
    from harness.guest import catalog

    state = _collected(monkeypatch, "api.py")
    assert state.cases and all(c._digest for c in state.cases.values())
    module = tmp_path / "edited_during_run.py"
    module.write_text("def the_case(ctx):\n    return 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import edited_during_run  # type: ignore[import-not-found]

    case = catalog.Case(edited_during_run.the_case, "x.edited", "t", ["s"], [], [], 1.0, [],
                        ["fork"])
    taken = case.code_digest()
    module.write_text("def the_case(ctx):\n    return 2\n")
    assert case.to_dict()["code_digest"] == taken


def test_a_selection_of_no_cell_is_said_in_the_users_words(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`-k` that matches no case: pytest's exit status 5 read "harness: pytest exit status 5
    before any cell finished" (review r5)."""
    state = SimpleNamespace(items=[], findings=[], harness_errors=[], catalog_errors=[],
                            interrupted=False, cause="pytest exit status 5", written=None,
                            write_error="")
    monkeypatch.setattr(plugin, "_state", lambda config: state)
    lines: List[str] = []
    plugin.pytest_terminal_summary(SimpleNamespace(write_line=lines.append),
                                   _config(keyword="no_such_case"))
    assert lines == ["harness: -k no_such_case selected no cell: nothing ran, no results file "
                     "written"]


def test_collection_errors_are_not_a_signal(monkeypatch: pytest.MonkeyPatch) -> None:
    """pytest ends a run with collection errors by raising its `Interrupted` (a
    KeyboardInterrupt): the run said "interrupted by SIGINT before any cell finished" and exited
    130 with no signal sent (review r6). It is not marked interrupted, and says pytest stopped."""
    from harness import stopping

    state = SimpleNamespace(items=[], findings=[], harness_errors=[], catalog_errors=[],
                            interrupted=False, written=None, write_error="",
                            cause="pytest exit status 2")
    monkeypatch.setattr(plugin, "_CONFIG", [object()])
    monkeypatch.setattr(plugin, "_state", lambda config: state)
    monkeypatch.setattr(stopping, "_STOPPING", [])
    monkeypatch.setattr(plugin, "cancel_all", lambda: None)  # no run here: it left one cancelled
    excinfo = SimpleNamespace(errisinstance=lambda kind: kind is pytest.Session.Interrupted)
    plugin.pytest_keyboard_interrupt(excinfo)
    assert state.interrupted is False
    lines: List[str] = []
    plugin.pytest_terminal_summary(SimpleNamespace(write_line=lines.append), _config())
    assert lines == ["harness: pytest stopped before any cell ran (its errors above): no "
                     "results file written"]
    real = SimpleNamespace(errisinstance=lambda kind: False)  # a KeyboardInterrupt of its own
    plugin.pytest_keyboard_interrupt(real)
    assert state.interrupted is True


def test_collect_only_says_nothing_of_a_selection(monkeypatch: pytest.MonkeyPatch) -> None:
    """`run -- --collect-only` collects every cell and runs none: no "selected no cell" line."""
    state = SimpleNamespace(items=[], findings=[], harness_errors=[], catalog_errors=[],
                            interrupted=False, written=None, write_error="", cause="")
    monkeypatch.setattr(plugin, "_state", lambda config: state)
    lines: List[str] = []
    plugin.pytest_terminal_summary(SimpleNamespace(write_line=lines.append), _config())
    assert lines == []


@pytest.mark.parametrize(("methods", "line"), [
    (["fork", "spawn", "forkserver"], "methods: fork, spawn, forkserver, default fork"),
    (["spawn"], "methods: spawn (of fork, spawn, forkserver here), default fork"),
    (["fork", "spawn", "forkserver"], "methods: spawn (fork, forkserver: not available here), "
                                      "default spawn"),
])
def test_the_run_header_says_which_methods_run(methods: List[str], line: str) -> None:
    """`run --methods spawn` said "methods ['fork', 'spawn', 'forkserver']": what the
    interpreter has, read as what runs, in a Python list's repr (review r1 #8); on Windows
    every method was listed as running, "(of spawn here)" (review r6 #3)."""
    windows = "not available" in line
    env = {"id": "linux-cpython-3.12", "executable": "/p/python3.12",
           "available_methods": ["spawn"] if windows else ["fork", "spawn", "forkserver"],
           "default_method": "spawn" if windows else "fork"}
    assert plugin._header(env, methods) == "harness: linux-cpython-3.12 (/p/python3.12) " + line


def test_a_run_narrowed_by_file_records_the_whole_catalog_and_the_rest_as_not_selected(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`run -- --ignore cases/performance.py` recorded as its catalog only the cases of the
    files it collected: the report read a full run whose catalog lacked the rest ("case newer
    than this run", review r6 #1). It records every case; the cells of those it did not
    collect are not selected, by the option that left them out."""
    from harness.guest import catalog

    state = _collected(monkeypatch, "methods.py")
    by_methods = set(state.deselected)  # --methods of none: every cell collected is left out
    config = _config()
    config.option.ignore, config.args = ["cases/performance.py"], [str(plugin.CASES_DIR)]
    plugin.pytest_collection_finish(SimpleNamespace(config=config))  # type: ignore[arg-type]
    whole = catalog.whole(plugin.CASES_DIR)
    assert sorted(state.cases) == [c.id for c in whole]
    assert {c.module for c in whole} >= {"cases.performance", "cases.pickling"}
    left = {name.partition("[")[0] for name in set(state.deselected) - by_methods}
    assert left == {c.id for c in whole if c.module != "cases.methods"}
    assert all(c._digest for c in state.cases.values())
    assert plugin._selection(config) == "--ignore cases/performance.py"
    monkeypatch.chdir(plugin.CASES_DIR.parent)
    config.option.ignore, config.args = [], ["cases/methods.py::methods.default[fork]"]
    assert plugin._selection(config) == "'cases/methods.py::methods.default[fork]'"
    config.args = ["."]  # pytest's own when given no path: the checkout, cases/ in it
    assert plugin._selection(config) == "pytest's selection"
    config.args = [str(plugin.CASES_DIR), "cases/methods.py"]  # `run -- cases/methods.py`
    assert plugin._selection(config) == "pytest's selection"
