"""Reading a JSON file and writing a file whole: one host helper each (``results.read_json``,
``results.atomic_write_text``), and every host reader keeps its own policy for a bad file
without ever raising a traceback (DEVELOPERS.md: bad input is one line, never a traceback)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from harness import (
    causes,
    check_left,
    chroot,
    cli,
    inputs,
    legcheck,
    provision,
    render,
    results,
    runner,
    waiting,
)
from harness.check_match import JOINED_FLUSHING
from harness.vocab import Outcome
from tests.unit.report_synth import cell, results_doc

ROOT = Path(__file__).resolve().parents[2]
#: Deeper than any recursion limit: ``json`` raises RecursionError, not a JSONDecodeError.
DEEP = "[" * 100000


@pytest.mark.parametrize(("text", "reason"), [
    ("", "empty file"),
    (DEEP, "not usable JSON (nested too deeply)"),
    ('{"x": NaN}', "not valid JSON (NaN is not a JSON number)"),
    ("[Infinity]", "not valid JSON (Infinity is not a JSON number)"),
    ("[-Infinity]", "not valid JSON (-Infinity is not a JSON number)"),
    ("[1e999]", "not valid JSON (1e999 is out of range for a number)"),
    ("{not json", "not valid JSON (Expecting property name enclosed in double quotes: line 1 "
                  "column 2)"),
    ('["cut', "not valid JSON (Unterminated string starting at: line 1 column 2)"),  # not "at at"
])
def test_read_json_refuses_each_bad_file_with_one_line(tmp_path: Path, text: str,
                                                       reason: str) -> None:
    """RFC 8259 has no NaN or Infinity (section 6: "Numeric values that cannot be represented
    ... such as Infinity and NaN are not permitted"); Python's json module accepts them
    (docs.python.org/3/library/json.html, "Infinite and NaN Number Values")."""
    path = tmp_path / "x.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(results.BadFile) as caught:
        results.read_json(path)
    assert str(caught.value) == reason


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX FIFOs")
def test_read_json_calls_a_fifo_not_a_regular_file(tmp_path: Path) -> None:
    """Review r5: a FIFO named x.json was an "empty file" (its size is 0); reading it would
    wait for a writer."""
    fifo = tmp_path / "x.json"
    os.mkfifo(str(fifo))
    with pytest.raises(results.BadFile) as caught:
        results.read_json(fifo)
    assert str(caught.value) == "not a regular file"


def test_read_json_names_missing_folders_bytes_and_size(tmp_path: Path) -> None:
    reasons = []
    for path in (tmp_path / "none.json", tmp_path):
        with pytest.raises(results.BadFile) as caught:
            results.read_json(path)
        reasons.append(str(caught.value))
    (tmp_path / "b.json").write_bytes(b'["\xff"]')
    (tmp_path / "big.json").write_text("[1, 2]", encoding="utf-8")
    for path, limit in ((tmp_path / "b.json", results.MAX_JSON_BYTES), (tmp_path / "big.json", 4)):
        with pytest.raises(results.BadFile) as caught:
            results.read_json(path, limit)
        reasons.append(str(caught.value))
    assert reasons == ["no such file", "is a folder, not a file", "not UTF-8 text (byte 2)",
                       "6 bytes is larger than the 4-byte limit"]
    assert results.read_json(tmp_path / "big.json") == [1, 2]


def test_atomic_write_text_sets_the_mode_before_the_replace_and_leaves_no_temp_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The mode is on the file when it appears under its name (a web server reading the
    folder never sees it unreadable), and two threads writing never share a temp file."""
    target = tmp_path / "out" / "index.html"
    seen = []
    real_replace = os.replace

    def replace(src: str, dst: str) -> None:
        seen.append((Path(src).name, stat.S_IMODE(os.stat(src).st_mode)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    results.atomic_write_text(target, "<p>é</p>", 0o640)
    thread = threading.Thread(target=results.atomic_write_text, args=(target, "<p>2</p>"))
    thread.start()
    thread.join()
    assert [mode for _, mode in seen] == [0o640, 0o644]
    assert seen[0][0] != seen[1][0] and all(name.endswith(".part") for name, _ in seen)
    assert target.read_text(encoding="utf-8") == "<p>2</p>"
    assert [p.name for p in target.parent.iterdir()] == ["index.html"]


def test_atomic_write_json_refuses_nan_and_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "matrix.json"
    results.atomic_write_json(target, {"a": 1.5})
    for bad in (float("nan"), float("inf")):
        with pytest.raises(ValueError):
            results.atomic_write_json(target, {"a": bad})
    assert results.read_json(target) == {"a": 1.5}
    assert [p.name for p in tmp_path.iterdir()] == ["matrix.json"]


def _deep(tmp_path: Path, name: str = "deep.json") -> Path:
    path = tmp_path / name
    path.write_text(DEEP, encoding="utf-8")
    return path


def test_diff_and_verify_leg_say_one_line_for_a_deeply_nested_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    deep = str(_deep(tmp_path))
    assert cli.main(["diff", deep, deep]) != 0
    err = capsys.readouterr().err
    assert "nested too deeply" in err and "Traceback" not in err
    assert cli.main(["verify-leg", deep]) == 1
    err = capsys.readouterr().err
    assert err == "harness: error: %s: not usable JSON (nested too deeply)\n" % deep


def test_a_corrupt_previous_results_file_assumes_no_cell_hangs(tmp_path: Path) -> None:
    """``harness run`` reads the previous file at collection: a bad one is no hint, not an
    INTERNALERROR."""
    assert waiting.timed_out_in(_deep(tmp_path)) is None
    assert waiting.timed_out_in(tmp_path / "none.json") is None
    (tmp_path / "list.json").write_text("[1]", encoding="utf-8")
    assert waiting.timed_out_in(tmp_path / "list.json") is None
    good = tmp_path / "good.json"
    good.write_text(json.dumps(results_doc(cases=["deadlock.a"], observe=lambda c, m: cell(
        c, m, outcome="timeout" if m == "fork" else "ok"))))
    assert waiting.timed_out_in(good) == {("deadlock.a", "fork")}


def test_the_run_and_check_readers_treat_a_bad_file_as_none(tmp_path: Path) -> None:
    """The case's result, the shepherd's status, a root's marker, a check's hang notes and the
    root's name: each a bad file means "none" to, never a traceback."""
    deep = _deep(tmp_path)
    assert runner._read_json(deep) is None
    (tmp_path / "nan.json").write_text('{"outcome": "ok", "observed": NaN}', encoding="utf-8")
    assert runner._read_json(tmp_path / "nan.json") is None
    (tmp_path / chroot.MARKER).write_text(DEEP, encoding="utf-8")
    assert provision.read_marker(tmp_path) is None
    assert chroot.root_name(str(tmp_path)) == "root %s" % tmp_path.name
    hang_dir = tmp_path / "hang"
    hang_dir.mkdir()
    from harness.guest.check_hang import JOIN_WAITS
    _deep(hang_dir, JOIN_WAITS % (1, 10))
    (hang_dir / (JOIN_WAITS % (2, 20))).write_text('{"child": "the child P-2"}', encoding="utf-8")
    run = runner.CaseRun("t", "fork", Outcome.TIMEOUT)
    assert check_left.hang_notes(run, hang_dir).observed == {
        JOINED_FLUSHING: ["the child P-2"]}


def test_a_leg_file_with_a_test_that_is_not_an_object_fails_as_the_report_would_reject_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """One line, never an AttributeError; and the leg fails: the report rejects such a file."""
    doc: Any = results_doc(cases=[legcheck.CANARY, "methods.a"])
    doc["tests"].append("junk")
    (tmp_path / "r.json").write_text(json.dumps(doc), encoding="utf-8")
    assert cli.main(["verify-leg", str(tmp_path / "r.json")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "r.json: not a valid results file: tests[" in err, err


def test_a_nan_results_file_is_one_line_and_the_rest_makes_a_strict_page(tmp_path: Path) -> None:
    """A NaN in one results file: that file is one line, the others still merge, and neither
    matrix.json nor the page's cell data holds a NaN (the page's JSON.parse would throw)."""
    folder = tmp_path / "results"
    folder.mkdir()
    good = results_doc(observe=lambda c, m: cell(c, m, observed={"x": 1}))
    (folder / "linux-cpython-3.12.json").write_text(json.dumps(good), encoding="utf-8")
    bad = results_doc("3.8.20", observe=lambda c, m: cell(c, m, observed={"x": float("nan")}))
    (folder / "linux-cpython-3.8.json").write_text(json.dumps(bad), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "harness", "report", str(folder), "-o",
                           str(tmp_path / "out")], cwd=str(ROOT), capture_output=True, text=True,
                          check=False)
    assert proc.stderr.count("harness: error:") == 1, proc.stderr
    assert "linux-cpython-3.8.json: not valid JSON (NaN is not a JSON number)" in proc.stderr
    assert "Traceback" not in proc.stderr
    matrix = json.loads((tmp_path / "out" / "matrix.json").read_text(encoding="utf-8"),
                        parse_constant=lambda name: pytest.fail("matrix.json holds " + name))
    assert [env["id"] for env in matrix["environments"]] == ["linux-cpython-3.12"]
    page = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    data = page.split('id="cell-data">', 1)[1].split("</script>", 1)[0]
    json.loads(data, parse_constant=lambda name: pytest.fail("the page's cell data holds " + name))


def test_the_page_refuses_to_write_a_nan(tmp_path: Path) -> None:
    """The page's JSON is strict too: a NaN that got past loading stops the page with a
    ValueError rather than shipping cell data its JSON.parse cannot read."""
    env = render._environment()
    with pytest.raises(ValueError):
        env.from_string("{{ v|tojson }}").render(v={"x": float("nan")})


def test_diff_reads_a_matrix_json_strictly(tmp_path: Path) -> None:
    (tmp_path / "m.json").write_text('{"results": [], "environments": [], "x": NaN}')
    matrix, problems = inputs.load_matrix(str(tmp_path / "m.json"))
    assert matrix is None and [r.line() for r in problems] == [
        "%s: not valid JSON (NaN is not a JSON number)" % (tmp_path / "m.json")]


# -- guest side: harness/guest/_files.py, and the case parent's result ------------------------

_CASES = '''
from harness.guest.catalog import case


@case("odd.nan", title="returns a NaN", source="https://example.invalid", timeout=30)
def nan(ctx):
    """Returns a float JSON cannot hold."""
    return {"x": float("nan"), "y": 1}


@case("odd.a_set", title="returns a set", source="https://example.invalid", timeout=30)
def a_set(ctx):
    """Returns a value JSON has no type for."""
    return [1, {2, 3}]


@case("odd.fine", title="returns JSON", source="https://example.invalid", timeout=30)
def fine(ctx):
    """Control: a value JSON holds as it is."""
    return {"b": [1.5, None, True], "a": "x"}
'''


@pytest.fixture(scope="module")
def odd_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project root of three cases (a ``cases/`` folder and a ``harness`` link)."""
    root = tmp_path_factory.mktemp("odd_root")
    (root / "cases").mkdir()
    (root / "cases" / "__init__.py").write_text("", encoding="utf-8")
    (root / "cases" / "odd.py").write_text(_CASES, encoding="utf-8")
    (root / "harness").symlink_to(ROOT / "harness")
    return root


@pytest.mark.parametrize(("case", "message"), [
    ("odd.nan", "observed['x'] is nan"),
    ("odd.a_set", "observed[1] is a set: {2, 3}"),
])
def test_an_observation_json_cannot_hold_is_an_error_cell_saying_what_it_was(
        odd_root: Path, tmp_path: Path, case: str, message: str) -> None:
    """Never a NaN in the results file (the report would refuse it) nor a repr passed off as
    the observation: the cell is an error that names the value, the case's own (review r18:
    as the harness's, it made the run partial, and no later run of that interpreter ever
    replaced its results file: a finding of the catalog, not a cell the harness could not run)."""
    run = runner.run_case(case, "spawn", 60, root=odd_root, tmp_base=str(tmp_path))
    assert (run.outcome, run.observed) == (Outcome.ERROR, None), run
    assert run.error == {"type": "NotJSON", "where": "parent", "message":
                         "the case's result cannot be written as JSON: " + message}
    assert not causes.is_harness_error({"error": run.error})


def test_an_observation_json_holds_is_written_as_it_is(odd_root: Path, tmp_path: Path) -> None:
    run = runner.run_case("odd.fine", "spawn", 60, root=odd_root, tmp_base=str(tmp_path))
    assert (run.outcome, run.observed, run.error) == (
        Outcome.OK, {"a": "x", "b": [1.5, None, True]}, None)


def test_the_guest_write_is_strict_whole_and_leaves_no_temp_file(tmp_path: Path) -> None:
    from harness.guest import _files

    target = str(tmp_path / "r.json")
    _files.write_json(target, {"b": 1, "a": [1.5]}, sort_keys=True)
    for bad in ({"a": float("inf")}, {"a": {1}}):
        with pytest.raises((ValueError, TypeError)):
            _files.write_json(target, bad)
    assert (tmp_path / "r.json").read_text(encoding="utf-8") == '{"a": [1.5], "b": 1}'
    _files.write_json(target, {"a": {1}}, default=repr)
    assert results.read_json(tmp_path / "r.json") == {"a": "{1}"}
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


@pytest.mark.parametrize("links", [True, False])
def test_a_new_write_never_replaces_a_file_and_is_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, links: bool) -> None:
    """``new``: the name is taken only where no file is (a hard link, or where a filesystem
    has none an exclusive create filled by a rename); a taken one raises, nothing is left."""
    from harness.guest import _files

    if not links:
        def no_links(src: str, dst: str) -> None:
            raise PermissionError(1, "Operation not permitted")
        monkeypatch.setattr(os, "link", no_links)
    target = tmp_path / "r.json"
    _files.write_text(str(target), "first", new=True)
    with pytest.raises(FileExistsError):
        _files.write_text(str(target), "second", new=True)
    assert target.read_text() == "first" and [p.name for p in tmp_path.iterdir()] == ["r.json"]


@pytest.mark.parametrize(("value", "found"), [
    ({"a": [1, 2.5, None, "x", True]}, ""),
    ({"a": [1, float("-inf")]}, "v['a'][1] is -inf"),
    ({(1, 2): 3}, "v has the key (1, 2), a tuple"),
    ({"a": object}, "v['a'] is a type: <class 'object'>"),
    ({"a": "x" * 300, "b": b"y" * 300}, "v['b'] is a bytes: b'" + "y" * 195 + "..."),
])
def test_non_json_names_the_first_part_json_cannot_hold(value: Any, found: str) -> None:
    from harness.guest import _files

    assert _files.non_json(value, "v") == found


def test_a_results_file_the_plugin_cannot_write_as_strict_json_is_one_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Defence in depth: no NaN reaches the plugin (the runner reads results strictly), but if
    one did, the run ends with one line, not a traceback."""
    import types

    from harness import plugin

    state = types.SimpleNamespace(environment={"os": "linux"}, quick=False, deselected=[],
                                  cases={}, results_dir=tmp_path, written=None,
                                  interrupted=False, output_closed=False, items=[],
                                  kept=None, kept_why="", aside=None)
    monkeypatch.setattr(plugin, "_CONFIG", [object()])
    monkeypatch.setattr(plugin, "_state", lambda config: state)
    monkeypatch.setattr(plugin, "_finished_unreported", lambda state, report: [])
    plugin.pytest_json_modifyreport({"tests": [{"metadata": {"observed": float("nan")}}]})
    err = capsys.readouterr().err
    assert err.startswith("harness: error: ") and err.count("\n") == 1, err
    assert "cannot write the results file (Out of range float values are not JSON " in err
    assert state.written is None and list(tmp_path.iterdir()) == []


def test_a_placed_file_is_written_even_when_its_temp_name_cannot_go(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Once the hard link placed the file, the write is done: a temp name a scanner holds
    (Windows) made write_text raise, and the run said "cannot write" of a written file
    (review r9 F3)."""
    from harness.guest import _files

    unlink = os.unlink

    def held(path: Any, *args: Any, **kwargs: Any) -> None:
        if str(path).endswith(".part") or ".tmp" in str(path):
            raise PermissionError(13, "held by another process")
        unlink(path, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", held)
    target = tmp_path / "r.json"
    _files.write_text(str(target), "cells", new=True)
    assert target.read_text() == "cells"


def test_the_commit_a_run_is_given_is_a_commit_id_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """HARNESS_GIT_COMMIT with a final newline passed the probe's "^…$" and was then dropped
    by the report as no commit id (review r9 F9): the probe asks git instead."""
    from harness.guest import probe

    sha = "a" * 40
    monkeypatch.setenv("HARNESS_GIT_COMMIT", sha)
    assert probe.collect_run()["git_commit"] == sha
    monkeypatch.setenv("HARNESS_GIT_COMMIT", sha + "\n")
    monkeypatch.setattr(probe, "git_commit", lambda: None)
    assert probe.collect_run()["git_commit"] is None


def test_a_case_module_that_fails_to_import_adds_no_case_to_the_catalog(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """catalog.whole: a module that registered a case and then raised left that case in the
    catalog, against its word (review r9 F5)."""
    import importlib

    from harness.guest import catalog

    real = importlib.import_module

    def first(ctx: Any) -> None:
        """A case registered before its module's failing line."""

    def broken(name: str, *args: Any) -> Any:
        if name == "cases.api":
            catalog.case("zz_broken.first", title="t", source="s")(first)
            raise RuntimeError("a line after the first case failed")
        return real(name, *args)

    folder = Path(__file__).resolve().parents[2] / "cases"
    catalog.whole(folder)  # every module imported into the real registry first: one imported
    # only under the copy below would register nothing for the tests after this one
    monkeypatch.setattr(importlib, "import_module", broken)
    monkeypatch.setattr(catalog, "_REGISTRY", dict(catalog._REGISTRY))
    ids = [c.id for c in catalog.whole(folder)]
    assert "zz_broken.first" not in ids and "methods.default" in ids
