"""Merging results files into matrix.json: combining, conflicts, statuses, provenance, bad
files, schema, determinism and scale."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, cast

import jsonschema
import pytest

from harness import cli, loading, merge, results
from harness.documents import MatrixCell, MatrixDoc, ResultsDoc
from tests.unit.report_synth import case_doc, cell, results_doc

NOW = datetime(2026, 1, 2, tzinfo=timezone.utc)


def _merge(*docs: ResultsDoc) -> MatrixDoc:
    loaded = [loading.Loaded.from_doc("file%d.json" % i, d) for i, d in enumerate(docs)]
    return merge.merge(loaded, now=NOW)


def _cell(matrix: MatrixDoc, case: str, env: str, method: str) -> MatrixCell:
    found = [c for c in matrix["results"] if (c["case"], c["environment"], c["method"]) ==
             (case, env, method)]
    assert len(found) == 1
    return found[0]


def test_two_files_same_environment_agreeing_combine_without_flaky() -> None:
    """Two runs of one environment that agree give one column, both runs recorded."""
    m = _merge(results_doc(commit="c1"), results_doc(commit="c2"))
    assert [e["id"] for e in m["environments"]] == ["linux-cpython-3.12"]
    runs = m["environments"][0]["runs"]
    assert [r["git_commit"] for r in runs] == ["c1", "c2"]
    assert all(r["runner"] == "local" for r in runs)
    c = _cell(m, "methods.a", "linux-cpython-3.12", "fork")
    assert c["status"] == "as-expected" and c["flaky"] is False
    assert c["runs"] == 2 and c["sources"] == ["file0.json", "file1.json"]
    assert "observations" not in c
    assert m["commits"] == ["c1", "c2"]


def test_disagreeing_cells_are_flaky_with_both_observations() -> None:
    """A cell observed differently by two runs is flaky and keeps both observations."""
    second = results_doc(observe=lambda c, m: cell(c, m, observed=2 if m == "spawn" else 1))
    m = _merge(results_doc(), second)
    spawn = _cell(m, "methods.a", "linux-cpython-3.12", "spawn")
    assert spawn["status"] == "flaky"
    assert [o["observed"] for o in spawn["observations"]] == [1, 2]
    assert [o["source_file"] for o in spawn["observations"]] == ["file0.json", "file1.json"]
    assert _cell(m, "methods.a", "linux-cpython-3.12", "fork")["status"] == "as-expected"


def test_runs_that_warned_differently_are_flaky() -> None:
    """Two runs of a cell alike but for a warning one of them emitted are flaky (the cell's ⚠
    was whichever file came first), as a change between versions counts warnings too."""
    warned = results_doc(observe=lambda c, m: cell(c, m, warnings=[
        {"category": "DeprecationWarning", "message": "multi-threaded"}] if m == "fork" else []))
    m = _merge(results_doc(), warned)
    fork = _cell(m, "methods.a", "linux-cpython-3.12", "fork")
    assert fork["status"] == "flaky"
    assert [len(o["warnings"]) for o in fork["observations"]] == [0, 1]
    assert _cell(m, "methods.a", "linux-cpython-3.12", "spawn")["status"] == "as-expected"


def test_performance_numbers_differing_are_not_flaky_but_outcomes_are() -> None:
    """Performance cells compare outcomes only: different numbers are not a conflict."""
    def perf(value: float, outcome: str = "ok") -> Any:
        return lambda c, m: cell(c, m, outcome=outcome if m == "spawn" else "ok",
                                 observed={"median": value, "unit": "ms"})
    a = results_doc(cases=["performance.start"], observe=perf(1.0))
    b = results_doc(cases=["performance.start"], observe=perf(9.0))
    m = _merge(a, b)
    assert {c["status"] for c in m["results"]} == {"as-expected"}
    m2 = _merge(a, results_doc(cases=["performance.start"], observe=perf(1.0, "timeout")))
    assert _cell(m2, "performance.start", "linux-cpython-3.12", "spawn")["status"] == "flaky"


@pytest.mark.parametrize(("outcome", "verdict", "status"), [
    ("ok", "as-expected", "as-expected"),
    ("ok", "unexpected", "unexpected"),
    ("ok", "no-expectation", "no-expectation"),
    ("timeout", "no-expectation", "timeout"),
    ("timeout", "as-expected", "as-expected"),
    ("timeout", "unexpected", "unexpected"),
    ("crash", "no-expectation", "crash"),
    ("unavailable", "as-expected", "unavailable"),
])
def test_status_derivation(outcome: str, verdict: str, status: str) -> None:
    """The status vocabulary keeps outcome and verdict apart."""
    m = _merge(results_doc(observe=lambda c, mm: cell(c, mm, outcome=outcome, verdict=verdict)))
    assert _cell(m, "methods.a", "linux-cpython-3.12", "fork")["status"] == status


def test_missing_environment_data_is_not_run_never_pass() -> None:
    """A case one environment did not run is `not-run` there, with no outcome."""
    a = results_doc(version="3.12.1", cases=["methods.a", "methods.b"])
    b = results_doc(version="3.13.0", cases=["methods.a"])
    m = _merge(a, b)
    c = _cell(m, "methods.b", "linux-cpython-3.13", "spawn")
    assert c["status"] == "not-run" and c["outcome"] is None and c["verdict"] is None


def test_environment_order_and_result_order_are_stable() -> None:
    """Environments sort by OS, CPython first, numeric version; output is deterministic."""
    docs = [results_doc(version=v, impl=i) for v, i in
            (("3.10.1", "cpython"), ("3.9.1", "cpython"), ("3.9.16", "pypy"))]
    m1 = _merge(*docs)
    m2 = _merge(*reversed(docs))
    assert [e["id"] for e in m1["environments"]] == [
        "linux-cpython-3.9", "linux-cpython-3.10", "linux-pypy-3.9"]
    def strip(m: MatrixDoc) -> str:
        return json.dumps([{k: v for k, v in c.items() if k not in ("sources", "observations")}
                           for c in m["results"]], sort_keys=True)
    assert strip(m1) == strip(m2)


def test_matrix_validates_against_published_schema() -> None:
    """matrix.json matches matrix.schema.json (flaky and not-run cells included)."""
    second = results_doc(observe=lambda c, m: cell(c, m, observed=2))
    m = _merge(results_doc(cases=["methods.a", "methods.b"]), second,
               results_doc(version="3.8.1"))
    m["rejected_files"] = [{"path": "x.json", "problem": "not valid JSON"}]
    jsonschema.validate(m, results.load_schema("matrix.schema.json"))
    assert m["schema_version"] == results.written_version(results.MATRIX_SCHEMA)


def test_bad_files_rejected_one_line_each_rest_built(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """Each bad file gives one stderr line naming it; the report lists it; exit status 1."""
    good = tmp_path / "good.json"
    good.write_text(json.dumps(results_doc()))
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{not json")
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"tests": []}))
    out = tmp_path / "out"
    code = cli.main(["report", str(good), str(bad_json), str(wrong),
                     str(tmp_path / "missing.json"), "-o", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert len(err) == 3
    assert any("bad.json" in line and "not valid JSON" in line for line in err)
    assert any("wrong.json" in line and "harness" in line for line in err)
    assert any("missing.json" in line and "no such file" in line for line in err)
    matrix = json.loads((out / "matrix.json").read_text())
    assert len(matrix["environments"]) == 1
    assert sorted(Path(r["path"]).name for r in matrix["rejected_files"]) == [
        "bad.json", "missing.json", "wrong.json"]
    html = (out / "index.html").read_text()
    assert "Rejected input files (3)" in html and "wrong.json" in html
    for name in ("matrix.schema.json", "results.schema.json", "summary.md"):
        assert (out / name).exists()


def test_all_good_files_exit_zero(tmp_path: Path) -> None:
    """A clean merge exits 0 and writes sorted JSON."""
    (tmp_path / "a.json").write_text(json.dumps(results_doc()))
    assert cli.main(["report", str(tmp_path), "-o", str(tmp_path / "out")]) == 0
    text = (tmp_path / "out" / "matrix.json").read_text()
    assert json.dumps(json.loads(text), sort_keys=True, indent=2, ensure_ascii=False) + "\n" \
        == text




# The merge's speed and its linear growth (100 vs 1,000 files, 60 cases x 3 methods each) are
# measured by `nox -s bench` (reports/bench.json), not in a timed unit test: on a shared
# machine a timing assertion fails for reasons that have nothing to do with the code.


SAMPLE = Path(__file__).resolve().parents[2] / "reports" / "sample"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def test_real_sample_with_bad_fixtures_builds_and_lists_rejections(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The committed real sample merges; hand-made bad files are named, listed, exit 1."""
    bad = [FIXTURES / "report_bad_version.json", FIXTURES / "report_truncated.json"]
    code = cli.main(["report", str(SAMPLE), *map(str, bad), "-o", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 1
    assert "report_bad_version.json" in err and "'9.9' is not supported" in err
    assert "report_truncated.json" in err and "not valid JSON" in err
    matrix = json.loads((tmp_path / "matrix.json").read_text())
    jsonschema.validate(matrix, results.load_schema("matrix.schema.json"))
    assert [e["id"] for e in matrix["environments"]] == ["linux-cpython-3.8",
                                                         "linux-cpython-3.12"]
    assert len(matrix["rejected_files"]) == 2
    ran = {c["case"] for c in matrix["results"] if c["status"] != "not-run"}
    assert ran and ran <= {c["id"] for c in matrix["cases"]}


@pytest.mark.parametrize(("where", "key", "value", "problem"), [
    ("case", "claims", None, "harness.cases[0].claims: None is not of type 'array'"),
    ("case", "sources", 5, "harness.cases[0].sources: 5 is not of type 'array'"),
    ("case", "doc", ["x"], "harness.cases[0].doc: ['x'] is not of type 'string'"),
    ("env", "ci", 1, "harness.environment.ci: 1 is not of type 'object', 'null'"),
    ("cell", "error", "boom", "tests[0].metadata.error: 'boom' is not of type 'object', 'null'"),
    ("cell", "expected", [1], "tests[0].metadata.expected: [1] is not of type 'object', 'null'"),
    ("cell", "warnings", ["not-an-object"],
     "tests[0].metadata.warnings[0]: 'not-an-object' is not of type 'object'"),
])
def test_odd_shapes_are_rejected_in_one_line_naming_the_field(where: str, key: str, value: Any,
                                                              problem: str) -> None:
    """A field of an odd shape that the page would read is rejected by the schema, in one
    line that names it (so the merge never meets it)."""
    doc = results_doc()
    # Any field by its name, of any shape: not one the TypedDicts allow.
    target = cast("Dict[str, Any]", {"case": doc["harness"]["cases"][0],
                                   "env": doc["harness"]["environment"],
                                   "cell": doc["tests"][0]["metadata"]}[where])
    target[key] = value
    assert results.validate_results(doc) == [problem]


def test_each_run_keeps_the_code_digests_its_file_recorded() -> None:
    """Matrix format 1.3: every run of a column carries its file's case code digests (two
    runs of one column may have run different code); a file without digests adds none."""
    first = results_doc(case_docs=[case_doc("methods.a", code_digest="aaaaaaaaaaaa")])
    second = results_doc(case_docs=[case_doc("methods.a", code_digest="bbbbbbbbbbbb")],
                         timestamp="2026-01-01T01:00:00+00:00")
    m = _merge(first, second, results_doc(version="3.8.1"))
    jsonschema.validate(m, results.load_schema("matrix.schema.json"))
    runs = {e["id"]: e["runs"] for e in m["environments"]}
    assert [r.get("case_digests") for r in runs["linux-cpython-3.12"]] == [
        {"methods.a": "aaaaaaaaaaaa"}, {"methods.a": "bbbbbbbbbbbb"}]
    assert ["case_digests" in r for r in runs["linux-cpython-3.8"]] == [False]
    assert "code_digest" not in m["cases"][0]  # one file's digest is not the case's
    assert m["schema_version"] == "1.6"


def test_matrix_json_names_files_without_the_builders_folders(tmp_path: Path) -> None:
    """matrix.json names a results file by its path inside the report folder, else by its
    name: never by the absolute path of the machine that built it (CI published
    /home/runner/work/… in runs[].file and rejected_files[].path)."""
    out = tmp_path / "site"
    inside = out / "results"
    elsewhere = tmp_path / "ci-results"
    inside.mkdir(parents=True)
    elsewhere.mkdir()
    (inside / "linux-cpython-3.12.json").write_text(json.dumps(results_doc(
        observe=lambda c, m: cell(c, m, observed=2 if m == "spawn" else 1))))
    (elsewhere / "linux-cpython-3.12.json").write_text(json.dumps(results_doc()))
    (elsewhere / "bad.json").write_text("{not json")
    assert cli.main(["report", str(inside), str(elsewhere), "-o", str(out)]) == 1
    text = (out / "matrix.json").read_text()
    assert str(tmp_path) not in text
    matrix = json.loads(text)
    names = ["results/linux-cpython-3.12.json", "linux-cpython-3.12.json"]
    assert sorted(r["file"] for r in matrix["environments"][0]["runs"]) == sorted(names)
    assert [r["path"] for r in matrix["rejected_files"]] == ["bad.json"]
    spawn = _cell(matrix, "methods.a", "linux-cpython-3.12", "spawn")
    assert sorted(spawn["sources"]) == sorted(names)
    assert sorted(o["source_file"] for o in spawn["observations"]) == sorted(names)


def test_shown_paths_tell_files_apart_by_as_little_of_their_path_as_needed() -> None:
    """Outside the report folder a file is its name, unless another input shares it."""
    shown = loading.shown_paths(["/w/a/x.json", "/w/b/x.json", "/w/b/y.json", "rep/results/z.json"],
                              "rep")
    # a tail outside the folder is marked as one: "results/x.json" would read as inside it
    assert shown == {"/w/a/x.json": "…/a/x.json", "/w/b/x.json": "…/b/x.json",
                     "/w/b/y.json": "y.json", "rep/results/z.json": "results/z.json"}


def _coded(digest: str, commit: str, spawn: int, hour: int = 0) -> ResultsDoc:
    return results_doc(case_docs=[case_doc("methods.a", code_digest=digest)], commit=commit,
                       timestamp="2026-01-01T0%d:00:00+00:00" % hour,
                       observe=lambda c, m: cell(c, m, observed=spawn if m == "spawn" else 1))


def test_runs_of_different_case_code_that_disagree_are_not_flaky() -> None:
    """Two runs of one column whose files record different code for the case ran two versions
    of it: their difference is no flakiness. The cell says so (``code_changed``, the words of
    "Not compared") and keeps both runs; runs of the same code that disagree stay flaky."""
    m = _merge(_coded("aaaaaaaaaaaa", "1" * 40, 1), _coded("bbbbbbbbbbbb", "2" * 40, 2, 1))
    jsonschema.validate(m, results.load_schema("matrix.schema.json"))
    spawn = _cell(m, "methods.a", "linux-cpython-3.12", "spawn")
    assert (spawn["flaky"], spawn["status"]) == (False, "as-expected")
    assert spawn["code_changed"] == ("the case's code changed between these runs (commits %s → "
                                     "%s)" % ("1" * 12, "2" * 12))
    assert [o["observed"] for o in spawn["observations"]] == [1, 2]
    assert "code_changed" not in _cell(m, "methods.a", "linux-cpython-3.12", "fork")
    same = _merge(_coded("aaaaaaaaaaaa", "1" * 40, 1), _coded("aaaaaaaaaaaa", "2" * 40, 2, 1))
    assert _cell(same, "methods.a", "linux-cpython-3.12", "spawn")["status"] == "flaky"
    # the second code's two runs disagree between themselves: flakiness, whatever the first did
    three = _merge(_coded("aaaaaaaaaaaa", "1" * 40, 1), _coded("bbbbbbbbbbbb", "2" * 40, 2, 1),
                   _coded("bbbbbbbbbbbb", "2" * 40, 3, 2))
    cell3 = _cell(three, "methods.a", "linux-cpython-3.12", "spawn")
    assert cell3["status"] == "flaky" and "code_changed" not in cell3


def test_a_code_changed_cell_shows_its_newest_run_whatever_the_order_fed() -> None:
    """Runs of two versions of a case that disagree: the cell's face (outcome, verdict,
    status) is the newest run's by timestamp, never whichever file came first (the old code's
    run when fed first); every run stays in ``observations``, oldest first."""
    old = results_doc(case_docs=[case_doc("methods.a", code_digest="a" * 12)], commit="1" * 40,
                      timestamp="2026-01-01T00:00:00+00:00",
                      observe=lambda c, m: cell(c, m, outcome="error" if m == "spawn" else "ok",
                                                observed=None if m == "spawn" else 1))
    new = _coded("bbbbbbbbbbbb", "2" * 40, 1, hour=1)
    for fed in ((old, new), (new, old)):
        spawn = _cell(_merge(*fed), "methods.a", "linux-cpython-3.12", "spawn")
        assert spawn["code_changed"]
        assert (spawn["outcome"], spawn["verdict"], spawn["status"]) == (
            "ok", "as-expected", "as-expected")
        assert [o["outcome"] for o in spawn["observations"]] == ["error", "ok"]
