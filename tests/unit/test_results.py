"""The results format: environment ids, atomic writes, validation in step with the schema."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Dict

import jsonschema
import pytest

from harness import results
from harness.documents import ResultsDoc


def minimal_doc() -> Dict[str, Any]:
    """The smallest valid results file: one environment, one case, one cell."""
    return {
        "created": 1.0, "duration": 1.0, "exitcode": 0, "summary": {"total": 1},
        "harness": {
            "schema_version": results.written_version(results.RESULTS_SCHEMA),
            "environment": {"os": "linux", "implementation": "cpython",
                            "python_version": "3.12.1", "available_methods": ["fork", "spawn"],
                            "default_method": "fork"},
            "cases": [{"id": "methods.available", "category": "methods", "title": "t",
                       "source": "https://docs.python.org/3/"}],
        },
        "tests": [{"nodeid": "x", "outcome": "passed", "metadata": {
            "case": "methods.available", "method": "fork", "outcome": "ok", "observed": 1,
            "expected": None, "verdict": "no-expectation", "duration_s": 0.1, "warnings": []}}],
    }


def _schema_ok(doc: Any) -> bool:
    try:
        jsonschema.validate(doc, results.load_schema())
    except jsonschema.ValidationError:
        return False
    return True


def test_minimal_document_is_valid() -> None:
    """The shipped JSON Schema accepts the minimal file."""
    doc = minimal_doc()
    assert results.validate_results(doc) == []
    assert _schema_ok(doc)


def test_versions_read_and_written_are_the_schemas_newest_last() -> None:
    """Each schema's version enum is the one list of formats read: oldest first, so that its
    last (what is written) is the newest."""
    for schema in (results.RESULTS_SCHEMA, results.MATRIX_SCHEMA):
        versions = results.accepted_versions(schema)
        assert list(versions) == sorted(versions, key=lambda v: tuple(map(int, v.split("."))))
        assert len(set(versions)) == len(versions)
        assert results.written_version(schema) == versions[-1]
    assert results.written_version(results.MATRIX_SCHEMA) == "1.6"


def _set(doc: Dict[str, Any], dotted: str, value: Any) -> Dict[str, Any]:
    doc = copy.deepcopy(doc)
    target: Any = doc
    keys = dotted.split(".")
    for key in keys[:-1]:
        target = target[int(key)] if key.isdigit() else target[key]
    if value is KeyError:
        del target[keys[-1]]
    else:
        target[keys[-1]] = value
    return doc


@pytest.mark.parametrize(("dotted", "value", "problem"), [
    ("harness", KeyError, "document: not a results file of this tool"),
    ("harness.schema_version", "0.9",
     "'0.9' is not supported (this tool reads 1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7)"),
    ("harness.schema_version", "2.0", "'2.0' is not supported"),
    ("harness.environment.os", KeyError, "harness.environment: 'os' is a required property"),
    ("tests.0.metadata.outcome", "passed", "tests[0].metadata.outcome: 'passed' is not one of"),
    ("tests.0.metadata.verdict", "fine", "tests[0].metadata.verdict: 'fine' is not one of"),
    ("tests.0.metadata.duration_s", "fast", "duration_s: 'fast' is not of type 'number'"),
    ("tests", {}, "tests: {} is not of type 'array'"),
])
def test_rejections_name_the_field(dotted: str, value: Any, problem: str) -> None:
    """Each kind of damage is rejected, naming where it is."""
    doc = _set(minimal_doc(), dotted, value)
    problems = results.validate_results(doc)
    assert any(problem in p for p in problems), problems
    assert not _schema_ok(doc)


def test_document_that_is_not_an_object() -> None:
    """A JSON list is not a results file."""
    assert results.validate_results([1, 2]) == [
        "document: not a results file of this tool (no 'harness' object)"]


def test_a_check_result_is_told_apart_from_a_results_file() -> None:
    """``report check.json`` of a ``check --json`` output said only "no 'harness' object"
    (review r13): the one line says what it is and what ``report`` reads instead."""
    check_doc = {"target": "run.py", "args": [], "results": [], "diagnoses": [], "ok": True}
    problems = results.validate_results(check_doc)
    assert len(problems) == 1 and "\n" not in problems[0]
    assert problems[0].startswith("document: this is `python -m harness check --json` output")
    assert "give `report` the files `run` writes" in problems[0]


def test_long_values_are_cut_to_one_short_line() -> None:
    """A huge bad value does not make a huge line."""
    doc = _set(minimal_doc(), "tests.0.metadata.outcome", "x\n" * 10_000)
    (problem,) = results.validate_results(doc)
    assert len(problem) < 250 and "\n" not in problem and problem.endswith("…")


@pytest.mark.parametrize(("env", "ident"), [
    ({"os": "linux", "implementation": "cpython", "python_version": "3.13.0"},
     "linux-cpython-3.13"),
    ({"os": "macos", "implementation": "cpython", "python_version": "3.14.1",
      "free_threading": True, "arch": "arm64"}, "macos-cpython-3.14t"),
    ({"os": "macos", "implementation": "cpython", "python_version": "3.13.1",
      "arch": "x86_64"}, "macos-cpython-3.13-x86_64"),
    ({"os": "windows", "implementation": "pypy", "python_version": "3.11.13"},
     "windows-pypy-3.11"),
])
def test_env_ids(env: Dict[str, Any], ident: str) -> None:
    """Environment ids are OS-implementation-version, t for free-threaded."""
    assert results.env_id(env) == ident


@pytest.mark.parametrize("name, identity", [
    ("3.8", ("cpython", "3.8", False)), ("3.14t", ("cpython", "3.14", True)),
    ("3.16", ("cpython", "3.16", False)), ("pypy3.11", ("pypy", "3.11", False))])
def test_a_session_name_is_read_back(name: str, identity: Any) -> None:
    """session_identity reads what session_name writes (nox's sessions, CI's legs)."""
    assert results.session_identity(name) == identity
    assert results.session_name(*identity) == name


def test_atomic_write_leaves_no_partial_file(tmp_path: Path) -> None:
    """A value that cannot be serialised leaves the old file intact and no temp file."""
    target = tmp_path / "out.json"
    results.atomic_write_json(target, {"a": 1})
    with pytest.raises(TypeError):
        results.atomic_write_json(target, {"a": object()})
    assert json.loads(target.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]



def _three_cells() -> Dict[str, Any]:
    """minimal_doc with three cells (fork, forkserver, spawn) and three catalog entries."""
    doc = minimal_doc()
    doc["tests"] = [copy.deepcopy(doc["tests"][0]) for _ in range(3)]
    for test, method in zip(doc["tests"], ("fork", "forkserver", "spawn")):
        test["metadata"]["method"] = method
    doc["harness"]["cases"] = [copy.deepcopy(doc["harness"]["cases"][0]) for _ in range(3)]
    return doc


@pytest.mark.parametrize("where", [0, 1, 2])
@pytest.mark.parametrize(("key", "value", "problem"), [
    ("case", None, "None is not of type 'string'"),
    ("case", 3, "3 is not of type 'string'"),
    ("method", ["fork"], "['fork'] is not of type 'string'"),
    ("outcome", ["ok"], "['ok'] is not one of"),
    ("outcome", None, "None is not one of"),
    ("verdict", {"a": 1}, "{'a': 1} is not one of"),
    ("duration_s", "0.1", "'0.1' is not of type 'number'"),
    ("duration_s", None, "None is not of type 'number'"),
    ("warnings", {}, "{} is not of type 'array'"),
])
def test_one_bad_cell_among_good_ones_is_named(where: int, key: str, value: Any,
                                               problem: str) -> None:
    """A bad cell is named, wherever it sits among good ones."""
    doc = _set(_three_cells(), "tests.%d.metadata.%s" % (where, key), value)
    problems = results.validate_results(doc)
    assert len(problems) == 1, problems
    assert problems[0].startswith("tests[%d].metadata.%s: %s" % (where, key, problem))


@pytest.mark.parametrize(("where", "index", "value", "problem"), [
    ("tests", 1, "a test", "tests[1]: 'a test' is not of type 'object'"),
    ("tests", 2, {"metadata": []}, "tests[2].metadata: [] is not of type 'object'"),
    ("cases", 1, {"id": "x.y", "category": "c", "title": 7, "source": "s"},
     "harness.cases[1].title: 7 is not of type 'string'"),
    ("cases", 2, "methods.available",
     "harness.cases[2]: 'methods.available' is not of type 'object'"),
])
def test_bad_test_or_case_entry_among_good_ones_is_named(where: str, index: int, value: Any,
                                                         problem: str) -> None:
    """A test that is not an object, or a catalog entry without its strings, is named."""
    doc = _three_cells()
    (doc["tests"] if where == "tests" else doc["harness"]["cases"])[index] = value
    assert results.validate_results(doc) == [problem]


def test_published_schemas_use_the_one_vocabulary() -> None:
    """The schemas' enums are exactly the words of harness.guest.words (the published copy)."""
    from harness.guest import words

    cell = results.load_schema()["properties"]["tests"]["items"]["properties"]["metadata"]
    assert tuple(cell["properties"]["outcome"]["enum"]) == words.OUTCOMES
    assert tuple(cell["properties"]["verdict"]["enum"]) == words.VERDICTS
    matrix = results.load_schema("matrix.schema.json")
    defs = matrix.get("$defs", matrix.get("definitions", {}))
    assert tuple(defs["status"]["enum"]) == words.STATUSES


def test_a_case_code_digest_is_read_and_files_without_one_still_load() -> None:
    """Format 1.4 adds ``harness.cases[].code_digest``: a file with it is valid; a 1.3 file
    has none and still loads; a digest that is not text is named, as other fields are."""
    doc = minimal_doc()
    doc["harness"]["cases"][0]["code_digest"] = "0123456789ab"
    doc["harness"]["schema_version"] = "1.4"
    assert results.validate_results(doc) == []
    old = minimal_doc()
    old["harness"]["schema_version"] = "1.3"
    assert results.validate_results(old) == []
    doc["harness"]["cases"][0]["code_digest"] = 12
    assert results.validate_results(doc) == [
        "harness.cases[0].code_digest: 12 is not of type 'string'"]


def test_a_malformed_code_digest_costs_its_case_digest_not_the_file(tmp_path: Path,
                                                                     capsys: Any) -> None:
    """A ``code_digest`` that is not text (123) is dropped with one warning line naming the
    file; every cell of the file still loads, and against a run of another commit that case
    compares as 'unknown' while a case with its digest intact compares by digest."""
    from harness import diff, inputs, loading
    from tests.unit.report_synth import case_doc, cell, results_doc

    def doc(commit: str, digest_a: Any) -> ResultsDoc:
        made = results_doc(commit=commit, cases=("methods.a", "methods.b"), case_docs=[
            case_doc("methods.a", code_digest=digest_a),
            case_doc("methods.b", code_digest="bbbbbbbbbbbb")],
            observe=lambda c, m: cell(c, m, observed=commit))
        made["harness"]["schema_version"] = "1.4"
        return made

    bad, good = tmp_path / "bad.json", tmp_path / "good.json"
    bad.write_text(json.dumps(doc("1" * 40, 123)))
    good.write_text(json.dumps(doc("2" * 40, "aaaaaaaaaaaa")))
    loaded, rejected = loading.load_results([str(bad)])
    err = capsys.readouterr().err
    assert rejected == [] and len(loaded[0].cells) == 6
    assert err == ("harness: warning: %s: harness.cases[0].code_digest 123 is not a string: "
                   "dropped (that case compares as 'unknown': the case's code may have "
                   "changed)\n" % bad)
    old, _ = inputs.load_matrix(str(bad))
    new, _ = inputs.load_matrix(str(good))
    assert old is not None and new is not None
    result = diff.diff_matrices(old, new)
    assert {c.case: c.case_code for c in result.cells_changed} == {"methods.a": "unknown",
                                                                   "methods.b": "same"}


def test_a_file_whose_commit_is_not_a_commit_id_still_loads(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The probe writes only a commit id (or null) now; a file written before, whose commit
    has git's stderr mixed in (nox's silent runs did so), still holds sound cells: kept, not
    refused for its label. The label is read as none, in one line: it was the page's commit,
    summary.md's and the matrix's ``commits`` (review r6)."""
    from harness import loading, merge
    from tests.unit.report_synth import results_doc

    path = tmp_path / "r.json"
    path.write_text(json.dumps(results_doc(
        commit="warning: refname 'HEAD' is ambiguous.\n" + "a" * 40)))
    loaded, rejected = loading.load_results([str(path)])
    assert rejected == [] and len(loaded) == 1
    assert loaded[0].harness["environment"]["git_commit"] is None
    assert merge.merge(loaded)["commits"] == []
    assert capsys.readouterr().err == (
        "harness: warning: %s: environment.git_commit \"warning: refname 'HEAD' is "
        "ambiguous.\\… is not a commit id: read as none (its cells are kept)\n" % path)


@pytest.mark.parametrize("env", [
    {"os": "linux", "implementation": "cpython", "python_version": "3.13.18"},
    {"os": "linux", "implementation": "cpython", "python_version": "3.15.0a5",
     "free_threading": True},
    {"os": "macos", "implementation": "cpython", "python_version": "3.13.1", "arch": "x86_64"},
    {"os": "windows", "implementation": "pypy", "python_version": "3.11.9", "arch": "AMD64"},
])
def test_an_environment_id_parses_back_into_what_wrote_it(env: Dict[str, Any]) -> None:
    """results.env_id writes the id, results.parse_env_id reads it: one grammar, written once
    (review r2 F14: seven places split ids by hand)."""
    from harness import merge
    from harness.results import EnvParts, env_id, minor_version, parse_env_id

    for patch in (False, True):
        parts = parse_env_id(env_id(env, patch=patch))
        assert parts == EnvParts(env["os"], env["implementation"], str(
            env["python_version"]) if patch else minor_version(env),
            bool(env.get("free_threading")), "x86_64" if env["os"] == "macos" else "")
        assert parts.ident == env_id(env, patch=patch)
        # a patch-level id at its minor version is the minor-level id (3.15.0a5t read 3.15a5t)
        assert merge.minor_level(env_id(env, patch=patch)) == env_id(env)
    assert [parse_env_id(bad) for bad in ("linux", "linux-cpython", "linux-cpython-3", "")] == [
        None] * 4
