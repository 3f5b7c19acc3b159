"""A case that returns a program's failure as a value (a child's RuntimeError, a Pool that never
returns) and declares, from its docs, the methods it ``breaks`` under: the "Break when you move
off fork" line counts it, and its cell's panel does not read as "works" (review r16 #3)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Dict, Optional, Sequence

import jsonschema
import pytest

from harness import cellview, loading, merge, model, results
from harness.documents import CellMeta, MatrixDoc
from harness.guest import catalog
from tests.unit.report_synth import case_doc, cell, results_doc

NOW = datetime(2026, 1, 2, tzinfo=timezone.utc)
OFF_FORK = ["spawn", "forkserver"]
GUARD = "inheritance.no_guard"


def _guard(case_id: str, method: str) -> CellMeta:
    """As ``inheritance.missing_main_guard`` on 3.12: fork runs, spawn/forkserver children die."""
    failed = method != "fork"
    return cell(case_id, method, observed={"child_exitcode": 1 if failed else 0,
                                           "error": "RuntimeError" if failed else None})


def _matrix(breaks: Optional[Sequence[str]], observe: Any = _guard) -> MatrixDoc:
    extra: Dict[str, Any] = {"breaks": list(breaks)} if breaks is not None else {}
    doc = results_doc(cases=[GUARD], observe=observe, case_docs=[case_doc(GUARD, **extra)])
    return merge.merge([loading.Loaded.from_doc("f.json", doc)], now=NOW)


def _off_fork(report: model.Report) -> Any:
    (line,) = [a for a in report.answer_lines if a.text.startswith("Break when")]
    return line


def test_a_value_the_case_breaks_under_counts_as_breaking_off_fork() -> None:
    line = _off_fork(model.build(_matrix(OFF_FORK)))
    assert line.count == 1 and [e.case for e in line.examples] == [GUARD]


def test_without_the_declaration_a_returned_value_is_no_breakage() -> None:
    assert _off_fork(model.build(_matrix(None))).count == 0


def test_a_value_equal_to_forks_is_no_breakage_even_where_declared() -> None:
    same = _matrix(OFF_FORK, lambda c, m: cell(c, m, observed={"child_exitcode": 0}))
    assert _off_fork(model.build(same)).count == 0


def test_the_panel_says_the_program_failed_in_the_broken_cells_only() -> None:
    report = model.build(_matrix(OFF_FORK))
    panel = report.panel[GUARD]
    (view,) = [v for _cat, views in report.categories for v in views if v.id == GUARD]
    broke = {c.method for c in view.cells
             if isinstance(c.data, int) and panel["b"][c.data].get("broke")}
    assert broke == set(OFF_FORK)
    assert cellview.PANEL_WORDS["ok~broke"].startswith("ok — but the program failed")


def test_the_matrix_carries_the_declaration_and_validates() -> None:
    matrix = _matrix(OFF_FORK)
    jsonschema.validate(json.loads(json.dumps(matrix)), results.load_schema("matrix.schema.json"))
    assert matrix["cases"][0].get("breaks") == OFF_FORK


def test_the_decorator_writes_breaks_into_the_catalog_entry() -> None:
    def func(ctx: catalog.Context) -> object:
        """Doc."""
        return 1
    try:
        catalog.case("test_breaks.declared", "t", "https://x", breaks=OFF_FORK)(func)
        entry = catalog._REGISTRY["test_breaks.declared"].to_dict()
        assert entry["breaks"] == OFF_FORK
        with pytest.raises(ValueError, match="breaks names a method"):
            catalog.case("test_breaks.wrong", "t", "https://x", methods=["fork"],
                         breaks=["spawn"])(func)
    finally:  # the catalog is the process's: other tests count its cases
        catalog._REGISTRY.pop("test_breaks.declared", None)


def test_the_cases_whose_docs_say_the_child_fails_off_fork_declare_it() -> None:
    """The five of review r16 and the socket one: each docstring says the program's child
    fails (or its Pool never returns) under spawn and forkserver."""
    from pathlib import Path

    cases = {c.id: c for c in catalog.whole(Path(__file__).resolve().parents[2] / "cases")}
    for cid in ("inheritance.missing_main_guard", "deadlock.missing_main_guard_pool",
                "realworld.module_loaded_from_path", "pickling.main_function_from_command_line",
                "inheritance.socket_descriptor"):
        assert cases[cid].breaks == OFF_FORK, cid
    # stdin: vllm#43782 states spawn's failure; no source states forkserver's (review r18)
    assert list(cases["pickling.repl_target_attributeerror"].breaks) == ["spawn"]
