"""`harness diff`: environments/cases/cells added, removed, changed; performance within noise."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Callable, Dict, List, cast

from harness import cli, diff, inputs, noise
from harness.documents import MatrixCell, MatrixDoc, RunRecord
from tests.unit.report_synth import partial_cell, partial_matrix


def _cell(case: str, env: str, method: str, outcome: str = "ok", observed: Any = 1,
          status: str = "as-expected") -> MatrixCell:
    return partial_cell(case=case, environment=env, method=method, outcome=outcome,
                        observed=observed, status=status, error=None)


def _matrix(envs: List[str], cases: List[str], cells: List[MatrixCell]) -> MatrixDoc:
    return partial_matrix(schema_version="1.0", environments=[{"id": e} for e in envs],
                   cases=[{"id": c} for c in cases], results=cells)


def _valid(matrix: MatrixDoc) -> Dict[str, Any]:
    """``matrix`` with what the shipped matrix schema requires filled in (a file `diff`
    reads is validated)."""
    doc: Dict[str, Any] = dict(copy.deepcopy(matrix), schema_version="1.3", generated_at="",
                               commits=[], case_methods={}, claims=[], rejected_files=[])
    for env in doc["environments"]:
        for key, value in (("minor_id", env["id"]), ("version_label", ""), ("os", "linux"),
                           ("implementation", "cpython"), ("python_version", "3.12.0"),
                           ("available_methods", []), ("default_method", None),
                           ("runs", [{"file": "r.json", "git_commit": None, "timestamp": None,
                                      "runner": "local"}])):
            env.setdefault(key, value)
    for case in doc["cases"]:
        case.update(category="c", title="t", source="s")
    for cell in doc["results"]:
        cell.update(category="c", verdict=None, flaky=False, sources=["r.json"], warnings=[])
    return doc


OLD = _matrix(["linux-cpython-3.12"], ["a.x", "a.y"], [
    _cell("a.x", "linux-cpython-3.12", "fork"), _cell("a.x", "linux-cpython-3.12", "spawn"),
    _cell("a.y", "linux-cpython-3.12", "fork", "timeout", None),
])


def test_identical_matrices_have_no_difference() -> None:
    """A matrix compared with itself: empty, every cell unchanged."""
    result = diff.diff_matrices(OLD, copy.deepcopy(OLD))
    assert result.empty
    assert result.cells_unchanged == 3


def test_added_removed_and_changed_are_listed_exactly() -> None:
    """A new case, a removed case, a changed outcome and value; an environment only NEW has is
    not compared (its cells are neither added nor deleted)."""
    new = _matrix(["linux-cpython-3.12", "linux-cpython-3.14"], ["a.x", "a.z"], [
        _cell("a.x", "linux-cpython-3.12", "fork", observed=2),
        _cell("a.x", "linux-cpython-3.12", "spawn"),
        _cell("a.x", "linux-cpython-3.14", "fork"),
        _cell("a.z", "linux-cpython-3.12", "fork"),
    ])
    result = diff.diff_matrices(OLD, new)
    assert result.environments_added == ["linux-cpython-3.14"]
    assert result.environments_removed == []
    assert (result.cases_added, result.cases_removed) == (["a.z"], ["a.y"])
    assert [(c.case, c.method, c.old_observed, c.new_observed) for c in result.cells_changed] \
        == [("a.x", "fork", 1, 2)]
    assert result.cells_removed == [("a.y", "linux-cpython-3.12", "fork")]
    assert result.cells_added == [("a.z", "linux-cpython-3.12", "fork")]
    assert result.cells_not_compared == [
        ("a.x", "linux-cpython-3.14", "fork", "environment only in NEW")]
    text = diff.format_diff(result, "old", "new").splitlines()
    assert "compared: 2 cells that ran in both (linux-cpython-3.12)" in text
    assert "not compared: 1 cell in environment only in NEW (linux-cpython-3.14)" in text
    assert "D case a.y" in text and "A case a.z" in text
    assert "C cell a.x linux-cpython-3.12 [fork]: ok 1 -> ok 2" in text


def test_cells_a_selection_left_out_are_not_compared_not_deleted() -> None:
    """A cell NEW's ``-k`` left out (the merge's "not run (not selected: -k …)") is neither
    deleted nor changed: not compared, with why; a case only NEW's catalog has and NEW did not
    run is not added. Nothing compared differs: empty, and the text says over how much."""
    new = copy.deepcopy(OLD)
    new["results"][2] = partial_cell(**dict(
        new["results"][2], status="not-run", outcome=None, observed=None,
        detail="not run (not selected: -k 'a and x')"))
    new["cases"] += partial_matrix(cases=[{"id": "a.new"}])["cases"]
    new["results"].append(partial_cell(**dict(
        _cell("a.new", "linux-cpython-3.12", "fork"), status="not-run", outcome=None,
        detail="not run (not selected: -k 'a and x')")))
    result = diff.diff_matrices(OLD, new)
    assert (result.cells_removed, result.cells_added, result.cells_changed) == ([], [], [])
    assert result.cells_not_compared == [
        ("a.y", "linux-cpython-3.12", "fork", "not run in NEW: -k 'a and x'")]
    assert result.cases_added == [] and result.cases_not_run == {"a.new": "NEW"}
    assert result.empty
    text = diff.format_diff(result, "old", "new").splitlines()
    assert text[1:3] == [
        "compared: 2 cells that ran in both (linux-cpython-3.12)",
        "not compared: 1 cell not run in NEW: -k 'a and x'"]
    assert "not compared: case only in NEW's catalog, not run in NEW: a.new" in text
    assert text[-1] == "no differences in the 2 compared cells"
    assert not [line for line in text if line[:2] in ("A ", "D ")]
    quick = copy.deepcopy(new)
    quick["results"][2]["detail"] = "not run (quick)"
    quick["results"][1].update({"status": "not-run", "outcome": None, "detail": None})  # no data
    both = diff.diff_matrices(quick, OLD)
    assert both.cells_not_compared == [
        ("a.x", "linux-cpython-3.12", "spawn", "not run in OLD: no data"),
        ("a.y", "linux-cpython-3.12", "fork", "not run in OLD: --quick")]
    assert "not compared: 2 cells (1 not run in OLD: --quick; 1 not run in OLD: no data)" \
        in diff.format_diff(both, "o", "n").splitlines()


def test_a_change_of_error_type_is_a_change_that_names_both() -> None:
    """AttributeError -> PicklingError (3.14's pickle errors) is shown, and in --json."""
    old = copy.deepcopy(OLD)
    new = copy.deepcopy(OLD)
    for doc, kind in ((old, "AttributeError"), (new, "PicklingError")):
        doc["results"][1].update({"outcome": "error", "observed": None,
                                  "error": {"type": kind, "message": "m"}})
    result = diff.diff_matrices(old, new)
    (change,) = result.cells_changed
    assert (change.old_error_type, change.new_error_type) == ("AttributeError", "PicklingError")
    assert "C cell a.x linux-cpython-3.12 [spawn]: error AttributeError -> error " \
        "PicklingError" in diff.format_diff(result, "o", "n").splitlines()
    assert result.to_dict()["cells_changed"][0]["new_error_type"] == "PicklingError"


def test_a_changed_object_shows_only_the_keys_that_differ() -> None:
    """Six keys, two changed: the line names those two, old -> new (a cut from the start read
    'ok {"generator": "TypeError", "lambda": "PicklingError", "local_class_in…' twice)."""
    value = {"generator": "TypeError", "lambda": "PicklingError",
             "local_class_instance": "AttributeError", "local_function": "AttributeError",
             "open_file": "TypeError", "threading_lock": "TypeError"}
    old = _matrix(["e"], ["p.u"], [_cell("p.u", "e", "spawn", observed=value)])
    new = _matrix(["e"], ["p.u"], [_cell("p.u", "e", "spawn", observed=dict(
        value, local_class_instance="PicklingError", local_function="PicklingError"))])
    assert "C cell p.u e [spawn]: ok, keys that differ: local_class_instance: AttributeError" \
        " -> PicklingError; local_function: AttributeError -> PicklingError" in diff.format_diff(
            diff.diff_matrices(old, new), "o", "n").splitlines()
    longer = _matrix(["e"], ["p.u"], [_cell("p.u", "e", "spawn", observed=[value, 1])])
    line = diff.format_diff(diff.diff_matrices(longer, _matrix(["e"], ["p.u"], [_cell(
        "p.u", "e", "spawn", observed=[value, 2])])), "o", "n").splitlines()[-1]
    old_text, new_text = line.split(": ", 1)[1].split(" -> ")
    assert old_text.startswith("ok …") and old_text.endswith("}, 1]"), line
    assert new_text.startswith("ok …") and new_text.endswith("}, 2]"), line


def test_a_reports_folder_is_read_by_its_matrix_json_else_its_results(tmp_path: Path,
                                                                      capsys: Any) -> None:
    """`nox -s matrix`'s reports/ (matrix.json, schemas, results/) is understood: its
    matrix.json first, else results/; the header names what was read."""
    reports = tmp_path / "reports"
    (reports / "results").mkdir(parents=True)
    (reports / "matrix.schema.json").write_text("{}")
    assert inputs.resolve(str(reports)) == str(reports / "results")
    (reports / "matrix.json").write_text(json.dumps(_valid(OLD)))
    assert inputs.resolve(str(reports)) == str(reports / "matrix.json")
    assert inputs.resolve(str(reports / "results")) == str(reports / "results")
    assert cli.main(["diff", str(reports), str(reports / "matrix.json")]) == 0
    assert capsys.readouterr().out.startswith("diff %s -> %s\n" % (
        reports / "matrix.json", reports / "matrix.json"))


def _perf(median: float, iqr: float) -> Dict[str, Any]:
    return {"fork": {"unit": "ms", "median": median, "iqr": iqr, "samples": [median] * 3}}


def test_performance_values_change_only_beyond_noise() -> None:
    """Medians within the spread (or 10 %) are the same; far beyond are a change."""
    assert noise.noise_aware_equal(_perf(10.0, 2.0), _perf(11.5, 1.0))
    assert noise.noise_aware_equal(_perf(100.0, 0.1), _perf(108.0, 0.1))
    assert not noise.noise_aware_equal(_perf(10.0, 1.0), _perf(20.0, 1.0))
    assert not noise.noise_aware_equal({"unit": "ms", "median": 1, "iqr": 0},
                                       {"unit": "MB", "median": 1, "iqr": 0})


def test_cli_diff_exit_codes_and_json(tmp_path: Path, capsys: Any) -> None:
    """Exit 0 when identical, 1 when different, 2 when an input is unreadable; --json."""
    old_path, new_path = tmp_path / "old.json", tmp_path / "new.json"
    old_path.write_text(json.dumps(_valid(OLD)))
    changed = _valid(OLD)
    changed["results"][0]["outcome"] = "error"
    new_path.write_text(json.dumps(changed))
    assert cli.main(["diff", str(old_path), str(old_path)]) == 0
    capsys.readouterr()
    assert cli.main(["diff", str(old_path), str(new_path), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["cells_changed"][0]["new_outcome"] == "error"
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    assert cli.main(["diff", str(old_path), str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("harness: error: %s" % bad)


def test_a_column_split_by_patch_release_is_compared_with_its_own_release() -> None:
    """Old `linux-cpython-3.13` (3.13.0) against new 3.13.0 and 3.13.18 columns: the 3.13.0
    cells are compared, only 3.13.18 is new; a different release is not paired."""
    old = _matrix(["linux-cpython-3.13"], ["a.x"], [_cell("a.x", "linux-cpython-3.13", "fork")])
    old["environments"][0]["python_version"] = "3.13.0"
    new = _matrix(["linux-cpython-3.13.0", "linux-cpython-3.13.18"], ["a.x"], [
        _cell("a.x", "linux-cpython-3.13.0", "fork", observed=2),
        _cell("a.x", "linux-cpython-3.13.18", "fork")])
    for env, version in zip(new["environments"], ("3.13.0", "3.13.18")):
        env.update({"minor_id": "linux-cpython-3.13", "python_version": version})
    result = diff.diff_matrices(old, new)
    assert result.environments_added == ["linux-cpython-3.13.18"]
    assert result.environments_removed == []
    assert [(c.environment, c.new_observed) for c in result.cells_changed] == [
        ("linux-cpython-3.13.0", 2)]
    old["environments"][0]["python_version"] = "3.13.5"  # neither new column is that release
    assert diff.diff_matrices(old, new).environments_removed == ["linux-cpython-3.13"]


def _run(commit: str, digests: Any = None) -> RunRecord:
    run: Dict[str, Any] = {"file": "r.json", "git_commit": commit, "timestamp": None,
                           "runner": "local"}
    if digests is not None:
        run["case_digests"] = digests
    return cast("RunRecord", run)  # only the fields diff reads


def _with_runs(matrix: MatrixDoc, run: RunRecord) -> MatrixDoc:
    matrix = copy.deepcopy(matrix)
    matrix["commits"] = [run["git_commit"]] if run["git_commit"] else []  # as merge says them
    for env in matrix["environments"]:
        env["runs"] = [run]
    for cell in matrix["results"]:
        cell["sources"] = ["r.json"]
    return matrix


def test_cells_whose_case_code_changed_are_apart_from_observation_changes() -> None:
    """a.x's code changed between the runs (digests differ): its differing cell is K (not
    compared), its equal cell unchanged; a.y, same code, is an ordinary change."""
    old = _with_runs(OLD, _run("1" * 40, {"a.x": "aaaaaaaaaaaa", "a.y": "cccccccccccc"}))
    new = copy.deepcopy(old)
    new["environments"][0]["runs"] = [_run("2" * 40, {"a.x": "bbbbbbbbbbbb",
                                                      "a.y": "cccccccccccc"})]
    new["results"][0]["observed"] = 2  # a.x fork
    new["results"][2].update({"outcome": "ok", "observed": 3})  # a.y fork: was a timeout
    result = diff.diff_matrices(old, new)
    assert [(c.case, c.method, c.case_code) for c in result.cells_case_changed] == [
        ("a.x", "fork", "changed")]
    assert [(c.case, c.method, c.case_code) for c in result.cells_changed] == [
        ("a.y", "fork", "same")]
    assert result.cells_unchanged == 1 and not result.empty
    text = diff.format_diff(result, "old", "new")
    # it differs (exit 1), so the summary does not call it "not compared" beside "0 changed"
    assert "1 changed, 1 unchanged cells, 1 differ where the case's code changed (K);" in text
    assert ("K case a.x: the case's code changed between these runs (commits %s → %s)" % (
        "1" * 12, "2" * 12)) in text.splitlines()
    assert "K cell a.x linux-cpython-3.12 [fork]: ok 1 -> ok 2 (case changed: not compared)" \
        in text.splitlines()
    assert "C cell a.y linux-cpython-3.12 [fork]: timeout -> ok 3" in text.splitlines()
    assert "note:" not in text
    doc = json.loads(json.dumps(result.to_dict()))
    assert [c["case"] for c in doc["cells_case_changed"]] == ["a.x"]
    assert doc["cases_code_changed"] == {"a.x": "the case's code changed between these runs "
                                                "(commits %s → %s)" % ("1" * 12, "2" * 12)}


def test_runs_of_two_commits_without_digests_get_a_note() -> None:
    """Old files (no digests) from two commits: the changed cell stays a change, and one note
    says the case itself may have changed; from one commit, no note."""
    old = _with_runs(OLD, _run("1" * 40))
    new = _with_runs(OLD, _run("2" * 40, {"a.x": "bbbbbbbbbbbb", "a.y": "cccccccccccc"}))
    new["results"][0]["observed"] = 2
    result = diff.diff_matrices(old, new)
    assert [(c.case, c.case_code) for c in result.cells_changed] == [("a.x", "unknown")]
    assert result.cells_case_changed == [] and result.unknown_code == 1
    assert ("note: 1 changed cell ran at different commits (old %s; new %s) whose results files "
            "record no case code digest (results format before 1.4): a change there may be the "
            "case's own" % ("1" * 12, "2" * 12)) in diff.format_diff(result, "o", "n")
    same_commit = _with_runs(new, _run("1" * 40))
    assert "note:" not in diff.format_diff(diff.diff_matrices(old, same_commit), "o", "n")


def test_a_measurement_that_moved_is_the_key_shown_by_its_median() -> None:
    """Of two measurements in one value, only the one beyond its spread is named, as a
    measurement (median, IQR, n), not as the first characters of its JSON."""
    old_value = dict(_perf(10.0, 0.5), rss=_perf(50.0, 1.0)["fork"])
    new_value = dict(_perf(30.0, 0.5), rss=_perf(50.5, 1.0)["fork"])  # rss within noise
    for doc_value in (old_value, new_value):
        for m in doc_value.values():
            m.update(q1=m["median"] - m["iqr"] / 2, q3=m["median"] + m["iqr"] / 2, n=3)
    old = _matrix(["e"], ["perf.m"], [_cell("perf.m", "e", "fork", observed=old_value)])
    new = _matrix(["e"], ["perf.m"], [_cell("perf.m", "e", "fork", observed=new_value)])
    line = diff.format_diff(diff.diff_matrices(old, new), "o", "n").splitlines()[-1]
    assert line.startswith("C cell perf.m e [fork]: ok, keys that differ: fork: 10")
    assert " -> 30" in line and "rss" not in line and "{" not in line, line


def test_two_sides_that_share_no_environment_are_not_compared(tmp_path: Path,
                                                              capsys: Any) -> None:
    """3.12 against 3.13 and 3.14: nothing is compared (one environment each side would be
    compared together), so not "no differences" and not exit 0: one line says why and the
    exit is 2."""
    other = _on("linux-cpython-3.13", OLD)
    other["environments"] += _matrix(["linux-cpython-3.14"], [], [])["environments"]
    result = diff.diff_matrices(OLD, other)
    assert result.nothing_compared and result.to_dict()["nothing_compared"] is True
    text = diff.format_diff(result, "o", "n")
    assert "no differences" not in text
    assert text.splitlines()[1].startswith(
        "nothing compared: the two sides share no environment (OLD: linux-cpython-3.12; NEW: "
        "linux-cpython-3.13, linux-cpython-3.14) — diff compares the environments both sides "
        "have, or the one each side holds")
    old_path, new_path = tmp_path / "old.json", tmp_path / "new.json"
    old_path.write_text(json.dumps(_valid(OLD)))
    new_path.write_text(json.dumps(_valid(other)))
    assert cli.main(["diff", str(old_path), str(new_path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1 and "nothing compared" in err
    assert not diff.diff_matrices(OLD, copy.deepcopy(OLD)).nothing_compared
    # --json writes its document all the same: nothing_compared is there to be read (r8)
    assert cli.main(["diff", str(old_path), str(new_path), "--json"]) == 2
    assert json.loads(capsys.readouterr().out)["nothing_compared"] is True


def test_a_bad_file_beside_good_ones_is_named_the_rest_compared_and_the_exit_is_2(
        tmp_path: Path, capsys: Any) -> None:
    """A folder with one good results file and a bad one: the good one is compared and shown,
    but "no differences" (exit 0) would hide the file left out (review r8)."""
    from tests.unit.report_synth import results_doc

    folder = tmp_path / "new"
    folder.mkdir()
    good = tmp_path / "good.json"
    good.write_text(json.dumps(results_doc()))
    (folder / "good.json").write_text(good.read_text())
    (folder / "bad.json").write_text("{")
    assert cli.main(["diff", str(good), str(folder)]) == 2
    out, err = capsys.readouterr()
    assert "0 changed" in out and err.count("\n") == 1 and "bad.json: not valid JSON" in err


def test_a_reports_folder_whose_matrix_json_is_broken_is_read_by_its_results(
        tmp_path: Path, capsys: Any) -> None:
    """The folder's results/ holds the same run: compared, the broken matrix.json named."""
    from tests.unit.report_synth import results_doc

    good = tmp_path / "good.json"
    good.write_text(json.dumps(results_doc()))
    reports = tmp_path / "reports"
    (reports / "results").mkdir(parents=True)
    (reports / "results" / "x.json").write_text(good.read_text())
    (reports / "matrix.json").write_text('{"results": [')
    assert cli.main(["diff", str(good), str(reports)]) == 2
    out, err = capsys.readouterr()
    assert "diff %s -> %s" % (good, reports / "results") in out
    assert err.count("\n") == 1 and "matrix.json: not valid JSON" in err


def test_a_malformed_matrix_json_is_one_line_naming_the_file_never_a_traceback(
        tmp_path: Path, capsys: Any) -> None:
    """Each way review r4 crashed `diff` (a run that is not an object, a source that is not a
    string, a cell or an environment without its keys) is one line from the matrix schema,
    naming the file, exit 2; a 1.2 matrix (no case digests) is still read."""
    good = tmp_path / "good.json"
    good.write_text(json.dumps(_valid(OLD)))
    breaks: Dict[str, Callable[[Dict[str, Any]], None]] = {
        "run": lambda d: d["environments"][0].update(runs=["x"]),
        "source": lambda d: d["results"][0].update(sources=[["a"]]),
        "cell": lambda d: d["results"].append({}),
        "environment": lambda d: d["environments"].append({}),
        "version": lambda d: d.update(schema_version="1.1")}
    for name, spoil in breaks.items():
        doc = _valid(OLD)
        spoil(doc)
        bad = tmp_path / ("%s.json" % name)
        bad.write_text(json.dumps(doc))
        assert cli.main(["diff", str(good), str(bad)]) == 2, name
        out, err = capsys.readouterr()
        assert out == "" and len(err.splitlines()) == 1, (name, err)
        assert err.startswith("harness: error: %s: not a valid matrix.json: " % bad), err
    old_format = dict(_valid(OLD), schema_version="1.2")
    good.write_text(json.dumps(old_format))
    assert cli.main(["diff", str(good), str(good)]) == 0


def test_a_warning_that_appeared_is_a_change_as_the_page_counts_it() -> None:
    """Same outcome and value, a DeprecationWarning new (3.12's fork with threads): a change,
    as merge.signature (the page's "Changes between versions") counts it, shown with the kind."""
    new = copy.deepcopy(OLD)
    new["results"][0]["warnings"] = [{"category": "DeprecationWarning", "message": "fork"}]
    result = diff.diff_matrices(OLD, new)
    assert [(c.case, c.method) for c in result.cells_changed] == [("a.x", "fork")]
    assert result.cells_unchanged == 2
    assert "C cell a.x linux-cpython-3.12 [fork]: ok 1 -> ok 1 + DeprecationWarning" \
        in diff.format_diff(result, "o", "n").splitlines()


def _hung(said: str) -> MatrixCell:
    detail = "no result within the hard timeout; process tree killed"
    return partial_cell(**dict(_cell("a.y", "linux-cpython-3.12", "fork", "timeout", None),
                               detail=detail + ("; last line on stderr: " + said if said else "")))


def test_a_hang_that_moved_is_a_change_one_that_said_nothing_is_not() -> None:
    """A hang at a held lock, then elsewhere: two behaviours (merge's rule for a cell's runs);
    a hang that quoted nothing (an older harness) is not counted against one that did."""
    def matrix(said: str) -> MatrixDoc:
        return _matrix(["linux-cpython-3.12"], ["a.y"], [_hung(said)])

    moved = diff.diff_matrices(matrix("blocked on a held lock"), matrix("in select()"))
    assert [(c.case, c.method) for c in moved.cells_changed] == [("a.y", "fork")]
    assert "C cell a.y linux-cpython-3.12 [fork]: timeout; last line on stderr: blocked on " \
        "a held lock -> timeout; last line on stderr: in select()" \
        in diff.format_diff(moved, "o", "n").splitlines()
    assert diff.diff_matrices(matrix(""), matrix("in select()")).empty


def test_values_of_another_type_differ_and_only_performance_numbers_are_noise_aware() -> None:
    """0 where False was, 1.0 where 1 was: a change (the one definition of the same value);
    a performance case's median within its spread is no change, another case's is."""
    for old_value, new_value in ((False, 0), (1, 1.0), ([True], [1])):
        result = diff.diff_matrices(
            _matrix(["e"], ["a.x"], [_cell("a.x", "e", "fork", observed=old_value)]),
            _matrix(["e"], ["a.x"], [_cell("a.x", "e", "fork", observed=new_value)]))
        assert len(result.cells_changed) == 1, (old_value, new_value)
    old, new = ({"ready": v, "n": 2} for v in (False, 0))
    assert "C cell a.x e [fork]: ok, keys that differ: ready: false -> 0" in diff.format_diff(
        diff.diff_matrices(_matrix(["e"], ["a.x"], [_cell("a.x", "e", "fork", observed=old)]),
                           _matrix(["e"], ["a.x"], [_cell("a.x", "e", "fork", observed=new)])),
        "o", "n").splitlines()

    def measured(case: str, category: str, median: float) -> MatrixDoc:
        doc = _matrix(["e"], [case], [_cell(case, "e", "fork", observed=_perf(median, 2.0))])
        doc["cases"][0]["category"] = category
        return doc

    assert diff.diff_matrices(measured("perf.m", "performance", 10.0),
                              measured("perf.m", "performance", 11.0)).empty
    assert not diff.diff_matrices(measured("perf.m", "performance", 10.0),
                                  measured("perf.m", "performance", 30.0)).empty
    assert not diff.diff_matrices(measured("api.m", "api", 10.0),
                                  measured("api.m", "api", 11.0)).empty


def _on(env: str, matrix: MatrixDoc) -> MatrixDoc:
    """``matrix``'s cells as if run on ``env`` instead."""
    return _matrix([env], [c["id"] for c in matrix["cases"]], [
        partial_cell(**dict(c, environment=env)) for c in matrix["results"]])


def test_one_environment_each_side_is_compared_cell_by_cell_and_said(
        tmp_path: Path, capsys: Any) -> None:
    """The same selection on 3.12 and on 3.13 (review r1 #4): each side holds one environment,
    so they are compared with each other, and the header says which with which."""
    new = _on("linux-cpython-3.13", OLD)
    new["results"][0]["observed"] = 2
    result = diff.diff_matrices(OLD, new)
    assert not result.nothing_compared and result.compared == 3
    assert result.environments_paired == {"linux-cpython-3.12": "linux-cpython-3.13"}
    assert [(c.case, c.environment, c.method) for c in result.cells_changed] == [
        ("a.x", "linux-cpython-3.13", "fork")]
    lines = diff.format_diff(result, "o", "n").splitlines()
    assert lines[1] == ("comparing linux-cpython-3.12 -> linux-cpython-3.13: each side holds "
                        "one environment")
    assert lines[2] == ("compared: 3 cells that ran in both (linux-cpython-3.12 -> "
                        "linux-cpython-3.13)")
    old_path, new_path = tmp_path / "old.json", tmp_path / "new.json"
    old_path.write_text(json.dumps(_valid(OLD)))
    new_path.write_text(json.dumps(_valid(new)))
    assert cli.main(["diff", str(old_path), str(new_path)]) == 1
    assert "C cell a.x linux-cpython-3.13 [fork]: ok 1 -> ok 2" in capsys.readouterr().out
    # the same environment on both sides, or a split by patch release: nothing paired
    assert diff.diff_matrices(OLD, copy.deepcopy(OLD)).environments_paired == {}


def test_a_flaky_side_is_said_in_the_text_as_in_the_json() -> None:
    """A side whose own runs disagree (two files of one environment, review r1 #5): the
    changed line says so, not only --json's status."""
    new = copy.deepcopy(OLD)
    new["results"][0] = partial_cell(**dict(new["results"][0], observed=2, status="flaky"))
    lines = diff.format_diff(diff.diff_matrices(OLD, new), "o", "n").splitlines()
    assert "C cell a.x linux-cpython-3.12 [fork]: ok 1 -> ok 2 (new side flaky: its runs " \
           "disagree)" in lines
    old = copy.deepcopy(new)
    old["results"][0] = partial_cell(**dict(new["results"][0], observed=3))
    lines = diff.format_diff(diff.diff_matrices(old, new), "o", "n").splitlines()
    assert "C cell a.x linux-cpython-3.12 [fork]: ok 3 -> ok 2 (both sides flaky: each " \
           "side's runs disagree)" in lines


def test_json_always_writes_its_document_naming_each_input_rejected(
        tmp_path: Path, capsys: Any) -> None:
    """--json with an unreadable side still writes its document (nothing compared), and a bad
    file in a folder given is named in it, not only on stderr (review r1 #6)."""
    good, empty = tmp_path / "good.json", tmp_path / "empty.json"
    good.write_text(json.dumps(_valid(OLD)))
    empty.write_text("")
    assert cli.main(["diff", str(empty), str(good), "--json"]) == 2
    out, err = capsys.readouterr()
    doc = json.loads(out)
    assert doc["rejected"] == [{"path": str(empty), "problem": "empty file"}]
    assert doc["nothing_compared"] is True and doc["environments_added"] == []
    assert (doc["old"], doc["new"]) == (str(empty), str(good))
    assert err == "harness: error: %s: empty file\n" % empty
    from tests.unit.report_synth import results_doc

    folder = tmp_path / "new"
    folder.mkdir()
    (folder / "good.json").write_text(json.dumps(results_doc()))
    (folder / "bad.json").write_text("{")
    assert cli.main(["diff", str(folder / "good.json"), str(folder), "--json"]) == 2
    doc = json.loads(capsys.readouterr().out)
    assert [r["path"] for r in doc["rejected"]] == [str(folder / "bad.json")]
    assert doc["rejected"][0]["problem"].startswith("not valid JSON")
    assert doc["cells_unchanged"] > 0


def test_a_reports_folder_whose_matrix_json_is_invalid_names_the_schema_problem(
        tmp_path: Path, capsys: Any) -> None:
    """A reports folder's matrix.json that parses but is no matrix: the line says what the
    schema check found, as a bad results file's line does, not "neither … nor …" (r1 #12)."""
    from tests.unit.report_synth import results_doc

    reports = tmp_path / "reports"
    (reports / "results").mkdir(parents=True)
    (reports / "results" / "x.json").write_text(json.dumps(results_doc()))
    (reports / "matrix.json").write_text('{"schema_version": "1.4"}')
    assert cli.main(["diff", str(reports), str(reports)]) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[0] == (
        "harness: error: %s: not a valid matrix.json: document: not a matrix.json of this tool "
        "(no 'environments' and 'results')" % (reports / "matrix.json")), err
    no_tests = tmp_path / "no_tests.json"  # a results file without its cells: the same path
    no_tests.write_text(json.dumps(dict(results_doc(), tests=None)))
    _, problems = inputs.load_matrix(str(no_tests))
    assert [r.line() for r in problems] == ["%s: not a valid results file: tests: None is not "
                                            "of type 'array'" % no_tests]
    other = tmp_path / "other.json"
    other.write_text('{"x": 1}')
    _, problems = inputs.load_matrix(str(other))
    assert [r.line() for r in problems] == ["%s: neither a matrix.json nor a results file" % other]


def _unavailable(case: str, env: str, method: str, detail: str) -> MatrixCell:
    return partial_cell(**dict(_cell(case, env, method, "unavailable", None, "unavailable"),
                               detail=detail))


def test_a_cell_unavailable_on_one_side_did_not_run_there_and_is_not_compared() -> None:
    """A Windows file against a macOS one (review r20 F7): fork is ``unavailable`` on Windows,
    a cell that did not run (as verify-leg counts it), so it is not compared, with why — not a
    change ``unavailable -> ok``, nor counted among the cells that ran in both."""
    win, mac = "windows-cpython-3.12", "macos-cpython-3.12"
    old = _matrix([win], ["a.x"], [
        _unavailable("a.x", win, "fork", "fork is not a start method on win32"),
        _cell("a.x", win, "spawn")])
    new = _matrix([mac], ["a.x"], [_cell("a.x", mac, "fork"), _cell("a.x", mac, "spawn")])
    result = diff.diff_matrices(old, new)
    assert (result.cells_changed, result.cells_added, result.cells_removed) == ([], [], [])
    assert result.compared == 1 and result.empty
    assert result.cells_not_compared == [
        ("a.x", mac, "fork", "not run in OLD: unavailable (fork is not a start method on win32)")]
    text = diff.format_diff(result, "o", "n").splitlines()
    assert text[2:4] == [
        "compared: 1 cell that ran in both (%s -> %s)" % (win, mac),
        "not compared: 1 cell not run in OLD: unavailable (fork is not a start method on win32)"]
    assert not [line for line in text if line.startswith("C ")]


def test_a_case_that_became_available_between_two_versions_is_said_not_hidden() -> None:
    """What one version lacks and the next has (3.10 -> 3.11) is not compared either, but its
    line says which side lacked it and why; both sides unavailable: not compared, not said."""
    old = _matrix(["linux-cpython-3.10"], ["a.x", "a.y"], [
        _unavailable("a.x", "linux-cpython-3.10", "fork", "max_tasks_per_child is new in 3.11"),
        _unavailable("a.y", "linux-cpython-3.10", "fork", "POSIX only")])
    new = _on("linux-cpython-3.11", old)
    new["results"][0] = _cell("a.x", "linux-cpython-3.11", "fork")
    result = diff.diff_matrices(old, new)
    assert result.cells_changed == [] and result.compared == 0
    assert "not compared: 1 cell not run in OLD: unavailable (max_tasks_per_child is new in " \
        "3.11)" in diff.format_diff(result, "o", "n").splitlines()


def test_a_cell_that_becomes_unavailable_in_the_same_environment_is_a_change() -> None:
    """Review r22 F4: what one environment ran and no longer runs (ok -> unavailable) is a
    change of that environment, said and counted (exit 1), not only a "not compared" line;
    the cross-environment rule above is for two different environments."""
    env = "linux-cpython-3.12"
    old = _matrix([env], ["a.x"], [_cell("a.x", env, "fork")])
    new = _matrix([env], ["a.x"], [_unavailable("a.x", env, "fork", "fork is not available")])
    result = diff.diff_matrices(old, new)
    assert [(c.case, c.method) for c in result.cells_changed] == [("a.x", "fork")]
    assert result.cells_not_compared == [] and not result.empty
    back = diff.diff_matrices(new, old)
    assert [(c.case, c.method) for c in back.cells_changed] == [("a.x", "fork")]
