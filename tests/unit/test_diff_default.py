"""`harness diff` across a change of the default start method (review r16 #5, #8): the switch
said first, each side's default-method cell compared with the other's, a change alike under
every method said once, each side's release and system named."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Dict, List, Optional

from harness import cli, diff
from harness.documents import MatrixCell, MatrixDoc
from tests.unit.report_synth import partial_cell
from tests.unit.test_diff import _cell, _matrix, _valid

OLD_ENV, NEW_ENV = "linux-cpython-3.12", "linux-cpython-3.14"
ROOT = "debootstrap sid minbase root sid-root (built 2026-12-07T02:31:54+00:00)"


def _error(case: str, env: str, method: str, kind: str) -> MatrixCell:
    return partial_cell(**dict(_cell(case, env, method, "error", None),
                               error={"type": kind, "message": "m"}))


def _side(env: str, default: str, version: str, cells: List[MatrixCell],
          root: Optional[str] = None) -> MatrixDoc:
    doc = _matrix([env], sorted({c["case"] for c in cells}), cells)
    doc["environments"][0].update({
        "default_method": default, "executor_default_method": default,
        "python_version": version, "implementation": "cpython", "root": root})
    return doc


def _each(case: str, env: str, outcome: Dict[str, Any]) -> List[MatrixCell]:
    """``case``'s cells under the three methods: an ok value, or an error type ("!Type")."""
    return [_error(case, env, m, v[1:]) if isinstance(v, str) and v.startswith("!")
            else _cell(case, env, m, observed=v) for m, v in sorted(outcome.items())]


def _story() -> Dict[str, MatrixDoc]:
    """3.12 (fork by default, on the host) and 3.14 (forkserver, in the Debian root): under
    each method alike, except that a.x fails where it is not forked (the default moved onto
    that), a.y's hang under fork is a hang in both, and a.z changed alike under every method."""
    three = {"fork": 1, "forkserver": "!PicklingError", "spawn": "!PicklingError"}
    old = _side(OLD_ENV, "fork", "3.12.1", _each("a.x", OLD_ENV, three) + [
        _cell("a.y", OLD_ENV, "fork", "timeout", None)] + _each("a.y", OLD_ENV, {
            "forkserver": 2, "spawn": 2}) + _each("a.z", OLD_ENV, dict.fromkeys(three, 1)))
    new = _side(NEW_ENV, "forkserver", "3.14.10", _each("a.x", NEW_ENV, three) + [
        _cell("a.y", NEW_ENV, "fork", "timeout", None)] + _each("a.y", NEW_ENV, {
            "forkserver": 2, "spawn": 2}) + _each("a.z", NEW_ENV, dict.fromkeys(three, 5)),
        root=ROOT)
    return {"old": old, "new": new}


def test_a_changed_default_is_said_first_and_each_sides_default_cells_are_compared() -> None:
    """Per method only a.z changed; code that used the default went from fork's cell to
    forkserver's: a.x from ok to an error, a.y from a hang to ok (review r16 #5: none of that
    was shown, and the switch itself only as methods.default's value, once per method)."""
    sides = _story()
    result = diff.diff_matrices(sides["old"], sides["new"])
    lines = diff.format_diff(result, "o", "n").splitlines()
    assert lines[1] == "default start method: fork -> forkserver; ProcessPoolExecutor's: " \
                       "fork -> forkserver"
    assert [(c.case, c.old_method, c.method) for c in result.cells_changed_under_default] == [
        ("a.x", "fork", "forkserver"), ("a.y", "fork", "forkserver"),
        ("a.z", "fork", "forkserver")]
    # a.a, first by id, changed only its value: listed after the changes of outcome
    for side, env, value in ((sides["old"], OLD_ENV, 1), (sides["new"], NEW_ENV, 2)):
        side["results"] += _each("a.a", env, {"fork": 1, "forkserver": value})
        side["cases"] += _matrix([], ["a.a"], [])["cases"]
    lines = diff.format_diff(diff.diff_matrices(sides["old"], sides["new"]), "o",
                             "n").splitlines()
    start = lines.index("under each side's default method (fork -> forkserver): 4 of 4 cases "
                        "differ: 1 ok -> error, 1 timeout -> ok, 2 ok -> ok")
    assert lines[start + 1:start + 6] == [
        "C default a.x linux-cpython-3.14 [fork -> forkserver]: ok 1 -> error PicklingError",
        "C default a.y linux-cpython-3.14 [fork -> forkserver]: timeout -> ok 2",
        "C default a.a linux-cpython-3.14 [fork -> forkserver]: ok 1 -> ok 2",
        "C default a.z linux-cpython-3.14 [fork -> forkserver]: ok 1 -> ok 5",
        "method by method (each method's cell with the same method's):"]
    # a case only OLD's default ran (NEW ran it under spawn only) is counted, not compared
    sides["old"]["results"] += _each("a.b", OLD_ENV, {"fork": 1})
    sides["new"]["results"] += _each("a.b", NEW_ENV, {"spawn": 1})
    assert diff.format_diff(diff.diff_matrices(sides["old"], sides["new"]), "o", "n").count(
        "ok -> ok; 1 not compared (run under one side's default only)\n") == 1
    # only ProcessPoolExecutor's default moved: said, and no section (the cells' default is one)
    pool = copy.deepcopy(sides["old"])
    pool["environments"][0]["executor_default_method"] = "spawn"
    text = diff.format_diff(diff.diff_matrices(sides["old"], pool), "o", "n").splitlines()
    assert text[1] == "ProcessPoolExecutor's default start method: fork -> spawn"
    assert not [line for line in text if line.startswith("under each side's default")]
    # the same default on both sides: no line, no section (the per-method lines hold it all)
    same = diff.format_diff(diff.diff_matrices(sides["old"], copy.deepcopy(sides["old"])),
                            "o", "n")
    assert "default start method" not in same and "under each side's default" not in same


def test_a_difference_only_under_the_defaults_exits_1_and_is_in_json(tmp_path: Path,
                                                                      capsys: Any) -> None:
    """Nothing differs method by method, a.x differs between the two defaults: exit 1 (a
    difference), and --json (schema_version 1.1) holds the defaults and that cell."""
    sides = _story()
    for doc in sides.values():
        doc["results"] = [c for c in doc["results"] if c["case"] == "a.x"]
        doc["cases"] = [c for c in doc["cases"] if c["id"] == "a.x"]
    paths = []
    for name, doc in sides.items():
        path = tmp_path / ("%s.json" % name)
        path.write_text(json.dumps(_valid(doc)))
        paths.append(str(path))
    assert cli.main(["diff"] + paths) == 1
    assert "C default a.x linux-cpython-3.14 [fork -> forkserver]: ok 1 -> error " \
           "PicklingError" in capsys.readouterr().out.splitlines()
    assert cli.main(["diff"] + paths + ["--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema_version"] == diff.JSON_VERSION == "1.1"
    assert doc["cells_changed"] == []
    assert doc["default_methods"] == {NEW_ENV: {
        "old": "fork", "new": "forkserver", "old_executor": "fork", "new_executor": "forkserver"}}
    (cell,) = doc["cells_changed_under_default"]
    assert (cell["case"], cell["old_method"], cell["method"], cell["new_error_type"]) == (
        "a.x", "fork", "forkserver", "PicklingError")


def test_a_change_alike_under_every_method_is_one_line() -> None:
    """a.z went 1 -> 5 under fork, forkserver and spawn: one line "[all methods]", not three;
    a change alike under two of three methods names the two; --json keeps every cell."""
    sides = _story()
    result = diff.diff_matrices(sides["old"], sides["new"])
    lines = diff.format_diff(result, "o", "n").splitlines()
    assert "C cell a.z linux-cpython-3.14 [all methods]: ok 1 -> ok 5" in lines
    assert not [line for line in lines if line.startswith("C cell a.z") and "all" not in line]
    assert len(result.cells_changed) == 3
    new = copy.deepcopy(sides["new"])
    for cell in new["results"]:
        if cell["case"] == "a.y" and cell["method"] != "fork":
            cell["observed"] = 3
    lines = diff.format_diff(diff.diff_matrices(sides["old"], new), "o", "n").splitlines()
    assert "C cell a.y linux-cpython-3.14 [forkserver, spawn]: ok 2 -> ok 3" in lines
    # a case that runs under one method only is named by it, never "all methods"
    one = _matrix(["e"], ["a.x"], [_cell("a.x", "e", "spawn")])
    two = _matrix(["e"], ["a.x"], [_cell("a.x", "e", "spawn", observed=2)])
    assert diff.format_diff(diff.diff_matrices(one, two), "o", "n").splitlines()[-1] == \
        "C cell a.x e [spawn]: ok 1 -> ok 2"


def test_the_header_names_each_sides_release_and_where_it_ran() -> None:
    """3.12.1 on the host against 3.14.10 in the Debian root (review r16 #8: the header named
    only the ids); the same column at two releases names both."""
    sides = _story()
    lines = diff.format_diff(diff.diff_matrices(sides["old"], sides["new"]), "o", "n")
    assert "comparing linux-cpython-3.12 (3.12.1, the host) -> linux-cpython-3.14 (3.14.10, " \
           "the Debian root): each side holds one environment" in lines.splitlines()
    later = copy.deepcopy(sides["old"])
    later["environments"][0]["python_version"] = "3.12.4"
    text = diff.format_diff(diff.diff_matrices(sides["old"], later), "o", "n").splitlines()
    assert "compared: 9 cells that ran in both (linux-cpython-3.12: 3.12.1, the host -> 3.12.4, " \
           "the host)" in text


def _breaking() -> Dict[str, MatrixDoc]:
    """``_story`` with a.g, which declares ``breaks=("spawn", "forkserver")`` (as
    inheritance.missing_main_guard does): its value there, 2, is the program failing, fork's 1
    the program working."""
    sides = _story()
    for side, env in ((sides["old"], OLD_ENV), (sides["new"], NEW_ENV)):
        side["results"] += _each("a.g", env, {"fork": 1, "forkserver": 2, "spawn": 2})
        side["cases"] += _matrix([], ["a.g"], [])["cases"]
        side["cases"][-1]["breaks"] = ["spawn", "forkserver"]
    return sides


def test_a_value_the_case_breaks_under_is_counted_as_the_program_failing() -> None:
    """Review r18 #3: a.g went from fork's 1 to forkserver's 2, the program it models failing
    there (the page counts that cell as failing, ``picks.broken``); diff counted it "ok -> ok",
    alike to a value that changed. Both ways (a diff of 3.14 against 3.12 says it stopped
    failing), in --json too; a case that returns the same value both sides is alike."""
    sides = _breaking()
    result = diff.diff_matrices(sides["old"], sides["new"])
    lines = diff.format_diff(result, "o", "n").splitlines()
    start = lines.index("under each side's default method (fork -> forkserver): 4 of 4 cases "
                        "differ: 1 ok -> error, 1 ok -> ok but the program failed, "
                        "1 timeout -> ok, 1 ok -> ok")
    assert lines[start + 2] == "C default a.g linux-cpython-3.14 [fork -> forkserver]: ok 1 -> " \
                               "ok 2 (the program failed under forkserver: the case's docs say " \
                               "it breaks there)"
    (cell,) = [c for c in result.to_dict()["cells_changed_under_default"] if c["case"] == "a.g"]
    assert cell["program_failed"] == "new"
    assert [c["program_failed"] for c in result.to_dict()["cells_changed_under_default"]
            if c["case"] != "a.g"] == [None, None, None]
    back = diff.diff_matrices(sides["new"], sides["old"])
    text = diff.format_diff(back, "n", "o").splitlines()
    assert "C default a.g linux-cpython-3.12 [forkserver -> fork]: ok 2 -> ok 1 (the program " \
           "failed under forkserver: the case's docs say it breaks there)" in text
    assert [line for line in text if line.startswith("under each")] == [
        "under each side's default method (forkserver -> fork): 4 of 4 cases differ: "
        "1 error -> ok, 1 ok -> timeout, 1 ok but the program failed -> ok, 1 ok -> ok"]
    # NEW's catalog no longer says a.g breaks (OLD's does): NEW's word is the one read
    unsaid = copy.deepcopy(sides["new"])
    unsaid["cases"][-1].pop("breaks")
    assert [c.program_failed for c in diff.diff_matrices(
        sides["old"], unsaid).cells_changed_under_default if c.case == "a.g"] == [None]
    for cell in sides["new"]["results"]:
        if cell["case"] == "a.g" and cell["method"] == "forkserver":
            cell["observed"] = 1
    result = diff.diff_matrices(sides["old"], sides["new"])
    assert "a.g" not in [c.case for c in result.cells_changed_under_default]
    assert result.cases_unchanged_under_default == 1


def test_a_cell_the_harness_could_not_run_is_counted_apart_with_why() -> None:
    """Review r18 #4: NEW's forkserver cell of a.x is one the harness could not run (the
    interpreter did not start; the merge writes it as not run, with that reason): the case ran
    under both defaults, so not "run under one side's default only"; it is counted apart with
    the method-by-method line's why. A matrix merged before that holds it as an error whose
    ``where`` is the harness: alike."""
    sides = _story()
    for cell in sides["new"]["results"]:
        if cell["case"] == "a.x" and cell["method"] == "forkserver":
            cell.update({"outcome": None, "observed": None, "error": None, "status": "not-run",
                         "detail": "not run (the harness could not start the interpreter)"})
    result = diff.diff_matrices(sides["old"], sides["new"])
    lines = diff.format_diff(result, "o", "n").splitlines()
    assert [line for line in lines if line.startswith("under each")] == [
        "under each side's default method (fork -> forkserver): 2 of 2 cases differ: "
        "1 timeout -> ok, 1 ok -> ok; 1 not compared (not run in NEW: the harness could not "
        "start the interpreter)"]
    assert result.cases_not_compared_under_default == 0
    assert result.to_dict()["cells_not_compared_under_default"] == [[
        "a.x", NEW_ENV, "forkserver", "not run in NEW: the harness could not start the "
                                      "interpreter"]]
    # OLD's cell, as an older matrix holds it, NEW's default not run at all: the harness's why
    # still; a case only OLD's default ran is counted as before
    for cell in sides["old"]["results"]:
        if cell["case"] == "a.x" and cell["method"] == "fork":
            cell.update({"outcome": "error", "detail": None, "error": {
                "type": "HarnessError", "where": "harness", "message": "boom"}})
    sides["new"]["results"] = [c for c in sides["new"]["results"] if not (
        c["case"] == "a.x" and c["method"] == "forkserver")]
    sides["old"]["results"] += _each("a.b", OLD_ENV, {"fork": 1})
    text = diff.format_diff(diff.diff_matrices(sides["old"], sides["new"]), "o", "n")
    assert "; 1 not compared (run under one side's default only); 1 not compared (not run in " \
           "OLD: the harness could not run it: HarnessError: boom)\n" in text
