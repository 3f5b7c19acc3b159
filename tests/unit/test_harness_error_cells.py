"""A cell the harness could not run (its interpreter would not start: ``HarnessError``, where
"harness") holds no result of its case (review r16 #1, after h34): its run is partial and never
replaces an earlier results file."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from harness import interrupted, legcheck, plugin, results
from harness.documents import CellMeta, ResultsDoc
from tests.unit.report_synth import cell, results_doc


def _cannot_start(case_id: str, method: str) -> CellMeta:
    """The cell ``runner`` records when it cannot start the interpreter, judged (an error
    against an expected value: "unexpected")."""
    return cell(case_id, method, outcome="error", verdict="unexpected",
                expected={"outcome": "ok", "value": 1, "methods": [method]},
                detail="the harness could not start the interpreter",
                error={"type": "HarnessError", "where": "harness",
                       "message": "cannot run /venv/bin/python (from the case's own folder): "
                                  "No such file or directory"})


def _spawn_failed(case_id: str, method: str) -> CellMeta:
    return _cannot_start(case_id, method) if method == "spawn" else cell(case_id, method)


def _doc(version: str = "3.12.1", failed: bool = True) -> ResultsDoc:
    doc = results_doc(version=version, observe=_spawn_failed if failed else None)
    doc["harness"]["schema_version"] = results.written_version(results.RESULTS_SCHEMA)
    return doc


# -- the run: partial, written beside an earlier file --------------------------------------

def _session_end(monkeypatch: pytest.MonkeyPatch, folder: Path) -> Any:
    """The plugin's end of a session whose two cells (methods.a under fork and spawn) both
    reported, spawn's the harness's error (pytest's exit status 1: the cell failed)."""
    tests = [{"nodeid": "cases/methods.py::methods.a[%s]" % m, "outcome": "passed",
              "metadata": dict(_spawn_failed("methods.a", m))} for m in ("fork", "spawn")]
    state = SimpleNamespace(
        environment=dict(_doc()["harness"]["environment"]), quick=False, deselected=[],
        cases={}, futures={}, results_dir=folder, written=None, write_error="",
        items=[SimpleNamespace(nodeid=t["nodeid"], key=t["nodeid"]) for t in tests],
        interrupted=False, output_closed=False, cause="", kept=None, kept_why="", aside=None,
        pruned=[])
    monkeypatch.setattr(plugin, "_CONFIG", [object()])
    monkeypatch.setattr(plugin, "_state", lambda config: state)
    plugin.pytest_json_modifyreport({"exitcode": 1, "tests": tests})
    return state


def test_a_run_with_cells_the_harness_could_not_run_keeps_the_earlier_results_file(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The earlier complete file stays byte for byte (the run replaced it with cells that hold
    no result); this run goes to interrupted/, partial, and its summary line says why."""
    complete = tmp_path / "linux-cpython-3.12.json"
    complete.write_text('{"a complete run": 1}')
    state = _session_end(monkeypatch, tmp_path)
    assert complete.read_text() == '{"a complete run": 1}'
    (partial,) = (tmp_path / "interrupted").glob("linux-cpython-3.12.*.json")
    assert (state.written, state.kept) == (partial, complete)
    doc = json.loads(partial.read_text())
    environment = doc["harness"]["environment"]
    assert (environment["interrupted"], environment["partial_cause"]) == (
        True, "the harness could not run 1 cell")
    assert results.validate_results(doc) == []
    lines = interrupted.summary_lines(state)
    assert lines[0] == "harness: results written to %s (partial: the harness could not run 1 " \
        "cell; the report shows those cells as not run, and why)" % partial
    assert lines[1].startswith("harness: %s kept as it was: a partial run never replaces a "
                               "results file" % complete), lines[1]


def test_a_first_run_with_such_cells_writes_its_file_marked_partial(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    state = _session_end(monkeypatch, tmp_path)
    assert state.written == tmp_path / "linux-cpython-3.12.json" and state.kept is None
    assert json.loads(state.written.read_text())["harness"]["environment"][
        "partial_cause"] == "the harness could not run 1 cell"


def test_verify_leg_still_rejects_such_a_file() -> None:
    doc = _doc()
    doc["harness"]["environment"]["interrupted"] = True
    doc["harness"]["environment"]["partial_cause"] = "the harness could not run 1 cell"
    assert legcheck.problems(doc)[0].startswith(
        "the run was cut short (the harness could not run 1 cell): a partial run proves")
