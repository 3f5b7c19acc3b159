"""A case the executor cannot find is left out at collection, with one line saying what to add:
the executor imports only ``cases.<category>``, so a module that one does not import made every
cell of its cases an ``UnknownCase`` (the harness's error: the whole run partial), with the
reason only inside each cell."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any, Dict, List

import pytest

from harness import plugin, scheduling
from harness.case_imports import Reach
from harness.guest import catalog

ROOT = Path(__file__).resolve().parents[2]
LINE = ("cases/api_extra.py registers api.other, api.something, but cases/api.py (the one module "
        "the executor imports for category api) does not import it: add `import "
        "cases.api_extra` at the end of cases/api.py")
NO_MODULE = ("cases/elsewhere.py registers newcat.thing, but there is no cases/newcat.py (the "
             "one module the executor imports for category newcat): add it, with `import "
             "cases.elsewhere`, or give the cases an existing category")


def _case(case_id: str, module: str) -> catalog.Case:
    def func(ctx: catalog.Context) -> None:
        """A case."""

    func.__module__ = module
    return catalog.Case(func, case_id, "t", ["s"], [], [], 1.0, [], ["fork"])


def _folder(tmp_path: Path, files: Dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_a_module_the_category_module_does_not_import_is_named_with_what_to_add(
        tmp_path: Path) -> None:
    """Imports count as the executor's import runs them: through another module, in either
    form (``import cases.x``, ``from cases import x``, relative), at module level; not one in a
    function or under ``if TYPE_CHECKING:``. A file that does not parse imports nothing."""
    folder = _folder(tmp_path, {
        "api.py": "from cases._scripts import run_json\nimport cases.api_forkserver\n"
                  "if TYPE_CHECKING:\n    import cases.api_typed\n"
                  "def later():\n    import cases.api_extra\n",
        "api_forkserver.py": "from cases import api_deep\nfrom . import api_relative\n",
        "api_deep.py": "", "api_relative.py": "", "api_typed.py": "", "api_extra.py": "",
        "elsewhere.py": "", "methods.py": "def broken(:\n", "methods_more.py": ""})
    reach = Reach(folder)
    cases = [_case("api.a", "cases.api"), _case("api.deep", "cases.api_deep"),
             _case("api.relative", "cases.api_relative"), _case("api.typed", "cases.api_typed"),
             _case("api.something", "cases.api_extra"), _case("api.other", "cases.api_extra"),
             _case("newcat.thing", "cases.elsewhere"), _case("methods.m", "cases.methods_more")]
    unreached = [case for case in cases if not reach.reaches(case)]
    assert [c.id for c in unreached] == ["api.typed", "api.something", "api.other",
                                         "newcat.thing", "methods.m"]
    assert reach.lines(unreached[1:3]) == [LINE]
    assert reach.lines([cases[6]]) == [NO_MODULE]


def test_the_catalog_has_no_case_its_executor_would_not_find() -> None:
    reach = Reach(ROOT / "cases")
    assert [c.id for c in catalog.whole(ROOT / "cases") if not reach.reaches(c)] == []


def test_the_run_leaves_them_out_before_any_cell_runs_says_so_and_fails(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A contributor's cases/api_extra.py that cases/api.py does not import, and a case of a
    category with no module: not in the run's catalog nor its cells (as a module that fails
    to import), one line each at collection and again in the summary; the run exits 1."""
    for case in (_case("api.something", "cases.api_extra"), _case("api.other", "cases.api_extra"),
                 _case("newcat.thing", "cases.elsewhere")):
        monkeypatch.setitem(catalog._REGISTRY, case.id, case)
    state = SimpleNamespace(cases={}, deselected=[], catalog_errors=[],
                            reach=Reach(plugin.CASES_DIR), items=[], findings=[],
                            harness_errors=[], interrupted=False, written=None, write_error="",
                            cause="")
    monkeypatch.setattr(plugin, "_state", lambda config: state)
    plugin.pytest_collection_finish(SimpleNamespace(config=None))  # type: ignore[arg-type]
    assert not {"api.something", "api.other", "newcat.thing"} & set(state.cases)
    assert {c.id for c in catalog.whole(plugin.CASES_DIR)} - set(state.cases) == {
        "api.something", "api.other", "newcat.thing"}
    assert not [name for name in state.deselected if "something" in name or "newcat" in name]
    said = ["harness: error: " + line for line in (LINE, NO_MODULE)]
    assert capsys.readouterr().err.splitlines() == said
    lines: List[str] = []
    config = SimpleNamespace(option=SimpleNamespace(keyword="", markexpr="", deselect=None),
                             getoption=lambda name: "fork", args=[str(plugin.CASES_DIR)])
    reporter = SimpleNamespace(write_line=lines.append)
    plugin.pytest_terminal_summary(reporter, config)  # type: ignore[arg-type]
    assert lines == said
    monkeypatch.setattr(scheduling, "finish", lambda state: None)
    session: Any = SimpleNamespace(config=None, exitstatus=pytest.ExitCode.OK)
    next(plugin.pytest_sessionfinish(session))
    assert session.exitstatus == pytest.ExitCode.TESTS_FAILED
