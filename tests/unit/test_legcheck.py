"""`harness verify-leg`: a CI leg fails unless its results file proves the run tested its
interpreter (an ok cell per offered start method, crash + harness errors under 25 %)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness import cli, exits, legcheck, results
from harness.documents import CellMeta, ResultsDoc
from tests.unit.report_synth import cell, results_doc

#: The canary (a child started and answered) and seven cases that start no child.
CASES = (*("methods.c%d" % i for i in range(7)), legcheck.CANARY)


def _write(folder: Path, doc: ResultsDoc) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "linux-cpython-3.12.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _crash(case_id: str, method: str) -> CellMeta:
    return cell(case_id, method, outcome="crash", detail="executor exited 3 without a result")


def test_the_synthetic_files_are_valid_results_files() -> None:
    """The documents below have the real format (else the check could pass on a bad shape)."""
    assert results.validate_results(results_doc(cases=CASES, observe=_crash)) == []


def test_a_healthy_run_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write(tmp_path, results_doc(cases=CASES))
    assert cli.main(["verify-leg", str(tmp_path), "--leg", "3.12"]) == 0
    assert "proves its run: 24 ok" in capsys.readouterr().out


def test_a_file_path_is_checked_as_it_is(tmp_path: Path) -> None:
    """Locally reports/results holds one file per interpreter: name the file."""
    path = _write(tmp_path, results_doc(cases=CASES))
    (tmp_path / "other.json").write_text("{}", encoding="utf-8")
    assert cli.main(["verify-leg", str(path)]) == 0
    assert cli.main(["verify-leg", str(tmp_path)]) == 1


def test_an_all_crash_run_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every executor exited at once: every cell is crash, `harness run` exited 0. The leg
    fails, naming each start method without an ok cell and the crash share."""
    _write(tmp_path, results_doc(cases=CASES, observe=_crash))
    assert cli.main(["verify-leg", str(tmp_path), "--leg", "3.12"]) == 1
    err = capsys.readouterr().err
    for method in ("fork", "spawn", "forkserver"):
        assert "%s: no ok cell among 8 (8 crash)" % method in err
    assert "24 of 24 cells that ran are crash or harness errors (100%" in err


def test_one_method_without_an_ok_cell_fails() -> None:
    """A start method that never worked (e.g. forkserver broken) fails the leg even though
    the crash share is small."""
    def observe(case_id: str, method: str) -> CellMeta:
        if method == "forkserver":
            return cell(case_id, method, outcome="error",
                        error={"type": "OSError", "message": "x", "where": "case"})
        return cell(case_id, method)

    found = legcheck.problems(results_doc(cases=CASES, observe=observe))
    assert found == ["forkserver: no ok cell among 8 (8 error)",
                     "forkserver: %s did not start a child and get its answer (error: OSError)"
                     % legcheck.CANARY]


def test_the_broken_share_is_a_threshold() -> None:
    """Under 25 % crash + harness-error cells passes; at 25 % it fails. Harness errors count."""
    def observe_with(broken: int) -> Any:
        def observe(case_id: str, method: str) -> CellMeta:
            index = CASES.index(case_id) * 3 + ("fork", "forkserver", "spawn").index(method)
            if index < broken:
                if index % 2:
                    return cell(case_id, method, outcome="error",
                                error={"type": "X", "message": "y", "where": "harness"})
                return _crash(case_id, method)
            return cell(case_id, method)
        return observe

    assert legcheck.problems(results_doc(cases=CASES, observe=observe_with(5))) == []
    (line,) = legcheck.problems(results_doc(cases=CASES, observe=observe_with(6)))
    assert line.startswith("6 of 24 cells that ran")


def test_unavailable_cells_do_not_count_and_unoffered_methods_need_no_ok() -> None:
    """Windows offers spawn only: fork/forkserver cells are unavailable, not failures."""
    def observe(case_id: str, method: str) -> CellMeta:
        if method != "spawn":
            return cell(case_id, method, outcome="unavailable")
        return cell(case_id, method)

    doc = results_doc(os_name="windows", cases=CASES, observe=observe, available=("spawn",),
                      default="spawn")
    assert legcheck.problems(doc, "3.12") == []


def test_the_wrong_interpreter_fails() -> None:
    """A 3.14t leg whose file came from a GIL build (or another version) fails."""
    doc = results_doc(version="3.14.2", cases=CASES)
    (line,) = legcheck.problems(doc, "3.14t")
    assert line == "leg 3.14t tested 3.14, not 3.14t"  # session names, not Python tuples
    assert legcheck.problems(results_doc(version="3.14.2", free_threading=True, cases=CASES),
                             "3.14t") == []
    assert results.session_identity("pypy3.11") == ("pypy", "3.11", False)


@pytest.mark.parametrize("files", [0, 2])
def test_not_exactly_one_results_file_fails(tmp_path: Path, files: int,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    for index in range(files):
        (tmp_path / ("f%d.json" % index)).write_text("{}", encoding="utf-8")
    assert cli.main(["verify-leg", str(tmp_path)]) == 1
    assert "expected one results file, found %d" % files in capsys.readouterr().err


def test_a_bad_file_is_one_line_not_a_traceback(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "x.json").write_text("{not json", encoding="utf-8")
    assert cli.main(["verify-leg", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "x.json: not valid JSON" in err
    (tmp_path / "x.json").write_text("[1]", encoding="utf-8")
    assert cli.main(["verify-leg", str(tmp_path)]) == 1
    assert "not a results file" in capsys.readouterr().err


@pytest.mark.parametrize("where, value, problem", [
    (("tests", 5, "metadata", "outcome"), "banana", "tests[5].metadata.outcome: 'banana' is not"),
    (("harness", "schema_version"), "9.9", "harness.schema_version: '9.9' is not supported")])
def test_a_file_the_report_would_reject_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              where: Any, value: str, problem: str) -> None:
    """A leg must not go green on a file whose column the report then drops (review r8)."""
    doc = results_doc(cases=CASES)
    node: Any = doc
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = value
    _write(tmp_path, doc)
    assert cli.main(["verify-leg", str(tmp_path), "--leg", "3.12"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a valid results file: " + problem in err, err


@pytest.mark.parametrize("share", ["0", "25", "x"])
def test_a_share_outside_0_to_1_is_a_usage_error(tmp_path: Path, share: str) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["verify-leg", str(tmp_path), "--max-broken", share])
    assert exc.value.code == 2


def test_a_leg_whose_children_die_at_start_fails() -> None:
    """Every spawn child dies at once (a broken launcher): the cases that start no child are
    still ok, and a dead child is an error (ChildDied), not a crash — only the canary shows it."""
    def observe(case_id: str, method: str) -> CellMeta:
        if method == "spawn" and case_id == legcheck.CANARY:
            return cell(case_id, method, outcome="error",
                        error={"type": "ChildDied", "message": "exit code 1", "where": "child"})
        return cell(case_id, method)
    assert legcheck.problems(results_doc(cases=CASES, observe=observe)) == [
        "spawn: %s did not start a child and get its answer (error: ChildDied)" % legcheck.CANARY]
    without = [c for c in CASES if c != legcheck.CANARY]
    assert legcheck.problems(results_doc(cases=without)) == [
        "%s: %s was not run: nothing shows a child started and answered" % (m, legcheck.CANARY)
        for m in ("fork", "spawn", "forkserver")]


def test_methods_a_selection_left_out_need_nothing() -> None:
    """`--methods spawn`: fork and forkserver have no cells, and the file says why (its
    ``not_selected``); without that record the same file fails."""
    doc = results_doc(cases=CASES, methods=["spawn"])
    assert len(legcheck.problems(doc)) == 4  # fork, forkserver: no ok cell, no canary
    doc["harness"]["environment"]["not_selected"] = {"by": "--methods spawn", "cells": [
        "%s[%s]" % (c, m) for c in CASES for m in ("fork", "forkserver")]}
    assert legcheck.problems(doc) == []


def test_an_interrupted_run_fails_and_says_so(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """Its finished cells may all be ok: the leg still did not run (review r13)."""
    doc = results_doc(cases=CASES)
    doc["harness"]["schema_version"] = results.written_version(results.RESULTS_SCHEMA)
    doc["harness"]["environment"]["interrupted"] = True
    _write(tmp_path, doc)
    assert cli.main(["verify-leg", str(tmp_path), "--leg", "3.12"]) == exits.EXIT_PARTIAL
    err = capsys.readouterr().err
    assert "the run was interrupted" in err
    assert "partial, but what it holds is this interpreter's" in err
    assert "harness: error:" not in err  # published, so CI's log shows no error for it (r2)


def _interrupted(doc: ResultsDoc) -> ResultsDoc:
    doc["harness"]["schema_version"] = results.written_version(results.RESULTS_SCHEMA)
    doc["harness"]["environment"]["interrupted"] = True
    return doc


def test_an_interrupted_run_of_another_interpreter_is_withheld(tmp_path: Path) -> None:
    """A step that overran is published as partial (exit 3) only when it is the leg's own
    interpreter: a 3.12 file in the 3.13 leg would replace the 3.12 leg's file in the
    report's download (merge-multiple overwrites files of the same name)."""
    _write(tmp_path, _interrupted(results_doc(cases=CASES)))
    assert cli.main(["verify-leg", str(tmp_path), "--leg", "3.13"]) == 1


def test_an_interrupted_run_of_broken_cells_is_withheld(tmp_path: Path) -> None:
    _write(tmp_path, _interrupted(results_doc(cases=CASES, observe=_crash)))
    assert cli.main(["verify-leg", str(tmp_path), "--leg", "3.12"]) == 1
    assert not legcheck.partial_but_sound(_interrupted(results_doc(cases=CASES, observe=_crash)))


@pytest.mark.parametrize("cause, said", [
    ("output closed", "the run was cut short (output closed): "),
    ("SIGTERM", "the run was interrupted by SIGTERM: "),
    ("2 cells missing", "the run was cut short (2 cells missing): "),
    ("SIGNAL lost", "the run was cut short (SIGNAL lost): "),  # not a signal's name
    ("odd " + "x" * 3000, "the run was cut short (odd %s…): " % ("x" * 115))])  # cut
def test_a_partial_run_says_why_it_is_partial(cause: str, said: str) -> None:
    """Not "interrupted (Ctrl-C, SIGTERM or SIGHUP)" for a run no signal stopped (results
    format 1.6 records the cause)."""
    doc = results_doc(cases=CASES)
    doc["harness"]["schema_version"] = results.written_version(results.RESULTS_SCHEMA)
    doc["harness"]["environment"].update({"interrupted": True, "partial_cause": cause})
    assert legcheck.problems(doc)[0].startswith(said)


def _child_died(case_id: str, method: str) -> CellMeta:
    return cell(case_id, method, outcome="error", error={"type": "ChildDied", "message": "x"})


def test_an_interrupted_run_whose_canary_ran_and_failed_is_withheld() -> None:
    """Interruption excuses a proof never reached, not one that ran and failed: children that
    die at start are `error` cells (not crash, so under the broken share), and the canary is
    what catches them (review r3)."""
    doc = _interrupted(results_doc(cases=CASES, observe=_child_died))
    assert not legcheck.partial_but_sound(doc, "3.12")
    ok_but_canary = _interrupted(results_doc(cases=CASES, observe=lambda c, m: (
        _child_died(c, m) if c == legcheck.CANARY else cell(c, m))))
    assert not legcheck.partial_but_sound(ok_but_canary, "3.12")
    # the canary never reached under spawn: that proof is excused
    unreached = _interrupted(results_doc(cases=CASES))
    unreached["tests"] = [t for t in unreached["tests"] if not (
        t["metadata"]["case"] == legcheck.CANARY and t["metadata"]["method"] == "spawn")]
    assert legcheck.partial_but_sound(unreached, "3.12")


def test_an_interrupted_run_with_a_method_whose_cells_all_failed_is_withheld() -> None:
    """The canary ran ok everywhere, but every other spawn cell that ran is an error: that
    method proves nothing, interrupted or not (review r4: no test held this rule)."""
    doc = _interrupted(results_doc(cases=CASES, observe=lambda c, m: (
        _child_died(c, m) if m == "spawn" and c != legcheck.CANARY else cell(c, m))))
    doc["tests"] = [t for t in doc["tests"] if not (
        t["metadata"]["case"] == legcheck.CANARY and t["metadata"]["method"] == "spawn")]
    assert not legcheck.partial_but_sound(doc, "3.12")
