"""A cell the harness could not run (its interpreter would not start: ``HarnessError``, where
"harness") holds no result of its case (review r16 #1, after h34): its run is partial and never
replaces an earlier results file; the merge, the page, summary.md, the claims and ``harness
diff`` read the cell as not run, with why, never as the case's error, a finding or a change."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Dict, List

import pytest

from harness import (
    claimcheck,
    diff,
    interrupted,
    legcheck,
    loading,
    merge,
    model,
    notrun,
    plugin,
    render,
    results,
    summary,
)
from harness.documents import CellMeta, MatrixDoc, ResultsDoc
from tests.unit.report_synth import cell, results_doc

NOW = datetime(2026, 1, 2, tzinfo=timezone.utc)
NOT_RUN = "not run (the harness could not start the interpreter)"


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


def _matrix(*docs: ResultsDoc) -> MatrixDoc:
    loaded = [loading.Loaded.from_doc("f%d.json" % i, d) for i, d in enumerate(docs)]
    return merge.merge(loaded, now=NOW)


def _spawn(matrix: MatrixDoc, version: str = "3.12") -> Dict[str, Any]:
    (found,) = [c for c in matrix["results"] if c["method"] == "spawn"
                and c["environment"] == "linux-cpython-%s" % version]
    return dict(found)


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


# -- the report: not run, and why ----------------------------------------------------------

def test_the_merge_reads_the_cell_as_not_run_with_why() -> None:
    """Not the case's error: no outcome, no verdict, its reason in its detail."""
    spawn = _spawn(_matrix(_doc()))
    assert (spawn["outcome"], spawn["verdict"], spawn["status"], spawn["detail"]) == (
        None, None, "not-run", NOT_RUN)
    assert notrun.short_reason(spawn) == "the harness could not start the interpreter"


def test_an_older_good_run_of_the_cell_is_what_the_report_shows() -> None:
    """The good run's observation, not "flaky" against an error that is no observation."""
    older = _doc(failed=False)
    older["harness"]["environment"]["timestamp"] = "2025-12-01T00:00:00+00:00"
    spawn = _spawn(_matrix(older, _doc()))
    assert (spawn["outcome"], spawn["status"], spawn["flaky"]) == ("ok", "as-expected", False)


def test_the_page_and_summary_say_not_run_and_count_no_finding() -> None:
    m = _matrix(_doc())
    r = model.build(m)
    assert r.findings == () and r.unexpected_cells == 0
    assert r.not_run.why == \
        "1 cell not run on Linux 3.12: the harness could not start the interpreter"
    headline = "Partial run: only 2 of 3 cells ran (1 cell not run on Linux 3.12: the harness " \
               "could not start the interpreter). Every count here is over what ran."
    page = render.render_html(m, r)
    assert 'title="%s"' % NOT_RUN in page
    assert 'id="partial-run"><strong>%s</strong>' % headline in page
    assert "**%s**" % headline in summary.render_summary(m, r)
    assert "HarnessError" not in page


def test_no_change_between_versions_for_it() -> None:
    """3.12 ran it, 3.13's interpreter would not start: no "ok → error" change line."""
    r = model.build(_matrix(_doc(failed=False), _doc("3.13.1")))
    assert r.changes == () and r.changed_cases == 0
    assert _spawn(_matrix(_doc(failed=False), _doc("3.13.1")), "3.13")["detail"] == NOT_RUN


def test_a_claim_counts_it_as_not_run() -> None:
    """No evidence of the claim: the cell is not run, with why, as an interrupted one is."""
    m = _matrix(_doc())
    m["claims"] = [{"id": "c", "claim": "x", "checks": [
        {"case": "methods.a", "methods": ["spawn"], "holds": {"outcome": "ok"}}]}]
    (verdict,) = claimcheck.claim_verdicts(m)
    (env,) = verdict.per_environment
    (evidence,) = env.evidence
    assert (env.verdict, evidence.status, evidence.why) == (
        "not-run", "not-run", "the harness could not start the interpreter")


# -- harness diff ----------------------------------------------------------------------------

def test_diff_does_not_report_it_as_a_behaviour_change() -> None:
    """The cell ran in OLD and not in NEW: not compared, with why; nothing changed."""
    result = diff.diff_matrices(_matrix(_doc(failed=False)), _matrix(_doc()))
    assert result.cells_changed == [] and result.empty
    assert result.cells_not_compared == [
        ("methods.a", "linux-cpython-3.12", "spawn",
         "not run in NEW: the harness could not start the interpreter")]


def test_diff_reads_an_older_matrix_that_holds_it_as_an_error_alike() -> None:
    """A matrix.json merged before this held the cell as the case's error."""
    new = _matrix(_doc(failed=False))
    cells: List[Any] = new["results"]
    older: Dict[str, Any] = dict(new, results=[dict(c) for c in cells])
    spawn = next(c for c in older["results"] if c["method"] == "spawn")
    spawn.update({k: v for k, v in _cannot_start("methods.a", "spawn").items()
                  if k in ("outcome", "verdict", "error", "detail")}, status="unexpected")
    result = diff.diff_matrices(older, new)  # type: ignore[arg-type]
    assert result.cells_changed == [] and result.empty
    assert [c[3] for c in result.cells_not_compared] == [
        "not run in OLD: the harness could not start the interpreter"]
