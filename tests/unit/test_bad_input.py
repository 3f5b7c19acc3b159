"""Bad input never crashes the tool and never loses the good data: malformed results files
(fixed cases and hypothesis-generated ones) for `report`, bad interpreters and folders for
`run` -- each is one line naming the input and the problem, with a documented exit code."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any, List, Tuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness import cli, loading, merge, render
from tests.unit.report_synth import cell, results_doc

ROOT = Path(__file__).resolve().parent.parent.parent
#: What a Python 2 answers to the probe's Python 3 code (a SyntaxError, exit 1): a fake
#: ``python2``, so the test runs everywhere; the harness sees only the exit and stderr.
PY2_ANSWER = """#!/bin/sh
echo '  File "<string>", line 1' >&2
echo 'SyntaxError: invalid syntax' >&2
exit 1
"""
EXIT_FAILED, EXIT_USAGE = 1, 2

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=12,
)


def report(capsys: pytest.CaptureFixture[str], tmp_path: Path, *files: Path) -> Any:
    """Run `report` in-process; return (exit code, stderr lines, matrix)."""
    out = tmp_path / "out"
    code = cli.main(["report", *map(str, files), "-o", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    matrix = json.loads((out / "matrix.json").read_text(encoding="utf-8"))
    return code, err, matrix


GOOD = json.dumps(results_doc(cases=["methods.a", "methods.b"]))
TRUNCATED = GOOD[: len(GOOD) // 2]


@pytest.mark.parametrize(("content", "problem"), [
    (b"", "empty file"),
    (TRUNCATED.encode(), "not valid JSON"),
    (GOOD.replace('"schema_version": "1.0"', '"schema_version": "0.9"').encode(),
     "'0.9' is not supported"),
    (GOOD.replace('"schema_version": "1.0"', '"schema_version": "9.0"').encode(),
     "'9.0' is not supported"),
    (json.dumps({"created": 1, "tests": [], "summary": {}}).encode(),
     "not a results file of this tool"),
    (json.dumps({"name": "pkg", "version": "1"}).encode(), "not a results file of this tool"),
    (b"[1, 2, 3]", "not a results file of this tool"),
    (GOOD.replace('"outcome": "ok"', '"outcome": "exploded"', 1).encode(), "'exploded'"),
    (GOOD.replace('"verdict": "as-expected"', '"verdict": "maybe"', 1).encode(), "'maybe'"),
    (b"\xff\xfe{\x00}", "not UTF-8"),
    (GOOD.encode()[:40] + b"\xc3\x28" + GOOD.encode()[40:], "not UTF-8"),
    (b"[" * 100000 + b"]" * 100000, "nested too deeply"),
], ids=["empty", "truncated", "older-schema", "newer-schema", "pytest-json-report-only",
        "package-json", "json-list", "unknown-outcome", "unknown-verdict", "utf-16-bom",
        "bad-utf8-inside", "deep-nesting"])
def test_bad_file_is_one_line_naming_it_and_the_good_file_still_merges(
        content: bytes, problem: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Each bad file: exit 1, one stderr line with its path and the problem; the good file's
    cells are all in the matrix."""
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    good = tmp_path / "good.json"
    good.write_text(GOOD, encoding="utf-8")
    code, err, matrix = report(capsys, tmp_path, good, bad)
    assert code == EXIT_FAILED
    assert len(err) == 1 and str(bad) in err[0] and problem in err[0], err
    assert len(err[0]) < 400
    assert {(c["case"], c["method"]) for c in matrix["results"] if c["status"] != "not-run"} == {
        (case, m) for case in ("methods.a", "methods.b") for m in ("fork", "forkserver", "spawn")}


def test_missing_file_and_folder_are_one_line_each(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """A file that does not exist is one line, beside a good one; exit 1."""
    good = tmp_path / "good.json"
    good.write_text(GOOD, encoding="utf-8")
    code, err, _ = report(capsys, tmp_path, good, tmp_path / "nope.json")
    assert code == EXIT_FAILED and len(err) == 1 and "nope.json: no such file" in err[0]


def test_no_usable_file_leaves_the_previous_report_as_it_was(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A mistyped path (or only bad files) must not replace a good report with an empty one:
    exit 1, one line per bad file and one saying nothing was written; the old files stay."""
    good = tmp_path / "good.json"
    good.write_text(GOOD, encoding="utf-8")
    _, _, before = report(capsys, tmp_path, good)
    page = (tmp_path / "out" / "index.html").read_bytes()
    bad = tmp_path / "bad.json"
    bad.write_text(TRUNCATED, encoding="utf-8")
    code = cli.main(["report", str(tmp_path / "typo.json"), str(bad), "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == EXIT_FAILED
    assert len(err) == 3 and "typo.json: no such file" in err[0] and "bad.json" in err[1], err
    assert "no usable results file among 2: nothing written" in err[2], err
    assert json.loads((tmp_path / "out" / "matrix.json").read_text(encoding="utf-8")) == before
    assert (tmp_path / "out" / "index.html").read_bytes() == page


def test_duplicate_environments_unknown_cases_and_huge_strings_merge(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The same environment twice, a cell of a case the catalog does not list, and a 2 MB
    string: accepted, merged, rendered."""
    huge = "<script>" + "x" * (2 << 20)
    doc = results_doc(observe=lambda c, m: cell(c, m, observed=huge if m == "spawn" else 1))
    doc["tests"].append({"nodeid": "cases/x.py::ghost.case[fork]", "outcome": "passed",
                         "metadata": cell("ghost.case", "fork")})
    paths = []
    for name in ("a.json", "b.json"):
        path = tmp_path / name
        path.write_text(json.dumps(doc), encoding="utf-8")
        paths.append(path)
    code, err, matrix = report(capsys, tmp_path, *paths)
    assert (code, err) == (0, [])
    assert [len(e["runs"]) for e in matrix["environments"]] == [2]
    assert any(c["case"] == "ghost.case" for c in matrix["results"])


def _paths(doc: Any, prefix: Tuple[Any, ...] = ()) -> List[Tuple[Any, ...]]:
    found = [prefix]
    if isinstance(doc, dict):
        for key, value in doc.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            found += _paths(value, (*prefix, index))
    return found


def _mutate(doc: Any, path: Tuple[Any, ...], value: Any, delete: bool) -> Any:
    if not path:
        return value
    target = doc
    for key in path[:-1]:
        target = target[key]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


_SCRATCH: List[Path] = []


def _scratch() -> Path:
    """One file rewritten by every hypothesis example (no folder churn per example)."""
    if not _SCRATCH:
        import atexit
        import tempfile

        folder = tempfile.mkdtemp(prefix="smm-bad-input-")
        atexit.register(lambda: __import__("shutil").rmtree(folder, ignore_errors=True))
        _SCRATCH.append(Path(folder) / "r.json")
    return _SCRATCH[0]


BASE = results_doc(cases=["methods.a"])
BASE_PATHS = _paths(BASE)


@settings(max_examples=80, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(BASE_PATHS), json_values, st.booleans())
def test_any_mutated_results_document_is_loaded_or_rejected_never_raises(
        path: Tuple[Any, ...], value: Any, delete: bool) -> None:
    """Replace or delete any part of a valid file: load_results never raises, a rejection is
    one line naming the file, and what loads also merges and renders."""
    doc = _mutate(copy.deepcopy(BASE), path, value, delete and bool(path))
    file = _scratch()
    file.write_text(json.dumps(doc), encoding="utf-8")
    loaded, rejected = loading.load_results([str(file)])
    assert len(loaded) + len(rejected) == 1
    for bad in rejected:
        assert "\n" not in bad.line() and bad.line().startswith(str(file))
    assert "<html" in render.render_html(merge.merge(loaded, rejected)).lower()


@pytest.mark.parametrize(("path", "value"), [
    (("harness", "cases", 0, "claims"), None),   # model: 'NoneType' object is not iterable
    (("harness", "environment", "ci"), 1),        # merge: AttributeError
], ids=["claims-null", "ci-number"])
def test_what_loads_also_merges_and_renders(path: Tuple[Any, ...], value: Any) -> None:
    """Found by the hypothesis test above (fixed in merge, cf87256): a file that passes
    validation must merge and render (else one odd file stops the whole report)."""
    doc = _mutate(copy.deepcopy(BASE), path, value, delete=False)
    loaded = [loading.Loaded.from_doc("r.json", doc)]
    assert "<html" in render.render_html(merge.merge(loaded)).lower()


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.binary(max_size=300) | st.integers(0, len(GOOD)).map(lambda n: GOOD[:n].encode()))
def test_arbitrary_bytes_and_truncations_never_raise(data: bytes) -> None:
    """Random bytes and every kind of truncated file: rejected with one line, never raised."""
    file = _scratch()
    file.write_bytes(data)
    loaded, rejected = loading.load_results([str(file)])
    assert len(loaded) + len(rejected) == 1
    assert all("\n" not in r.line() for r in rejected)


@pytest.mark.parametrize(("python", "problem"), [
    ("python2", "not a working Python 3"),
    ("/bin/echo", "did not answer like a Python interpreter"),
    ("/etc/hostname", "cannot run"),
    ("/nonexistent/python", "cannot run"),
])
def test_run_with_an_interpreter_that_is_not_python_3_is_a_usage_error(
        python: str, problem: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`run --python X` for something that is not Python 3.8+: exit 2, one line naming it."""
    if python == "python2":
        python = str(tmp_path / "bin" / "python2")
        (tmp_path / "bin").mkdir()
        Path(python).write_text(PY2_ANSWER)
        Path(python).chmod(0o755)
    code = cli.main(["run", "--python", python, "--results-dir", str(tmp_path)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == EXIT_USAGE
    assert len(err) == 1 and python in err[0] and problem in err[0], err


@pytest.mark.parametrize("where", ["under-a-file", "unwritable"])
def test_run_with_a_results_folder_it_cannot_use_is_a_usage_error(
        where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A results folder that cannot be created or written: exit 2 before anything runs."""
    (tmp_path / "file").write_text("x")
    folder = str(tmp_path / "file" / "results") if where == "under-a-file" else "/proc"
    code = cli.main(["run", "--results-dir", folder])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == EXIT_USAGE
    assert len(err) == 1 and folder in err[0], err


def test_report_errors_are_never_tracebacks_in_a_real_process(tmp_path: Path) -> None:
    """The same through `python -m harness report`: stderr has no traceback, exit 1."""
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"[" * 50000)
    proc = subprocess.run([sys.executable, "-m", "harness", "report", str(bad), "-o",
                           str(tmp_path / "out")], cwd=str(ROOT), capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == EXIT_FAILED
    assert "Traceback" not in proc.stderr and str(bad) in proc.stderr


def test_a_missing_report_package_is_one_line(monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """Without jsonschema (or jinja2) the report says what to install, in one line, exit 2 (a
    usage error, as for `run`); any other missing module is a bug and still raises."""
    monkeypatch.setitem(sys.modules, "jsonschema", None)  # import jsonschema now fails
    sample = Path(__file__).resolve().parents[2] / "reports" / "sample"
    assert cli.main(["report", str(sample), "-o", str(Path(cli.__file__).parent / "nowhere")]) \
        == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "jsonschema is not installed" in err[0], err
    assert not (Path(cli.__file__).parent / "nowhere").exists()

    def broken(args: Any) -> int:
        import harness_no_such_module  # type: ignore[import-not-found]  # noqa: F401
        return 0

    monkeypatch.setattr(cli, "_cmd_interpreters", broken)
    with pytest.raises(ModuleNotFoundError):
        cli.main(["interpreters"])
