"""A complete run narrower than a full one (-k, -m, --methods, --deselect, --quick) still
replaces its results file, but keeps the file it replaces in ``replaced/`` and says so (review
r5: ``-k pickling`` replaced a 324-cell file with 25 cells, and said only "results written")."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from harness import interrupted, loading, merge, replaced, results
from tests.unit.report_synth import case_doc, cell, results_doc
from tests.unit.test_interrupted_run import ENV, _session_end

NAME = "linux-cpython-3.12.json"
STAMP = "2026-12-01T10:20:30+00:00"  # the earlier run's time: its name in replaced/


def _full(folder: Path, observed: int = 1, stamp: str = STAMP) -> str:
    """A complete earlier run: methods.a and methods.b under three methods (6 cells)."""
    doc = results_doc(cases=("methods.a", "methods.b"), timestamp=stamp,
                      observe=lambda case, method: cell(case, method, observed=observed))
    doc["harness"]["schema_version"] = results.written_version(results.RESULTS_SCHEMA)
    text = json.dumps(doc)
    (folder / NAME).write_text(text)
    return text


def test_a_selection_keeps_the_file_it_replaces_and_says_how_to_see_both(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    earlier = _full(tmp_path)
    state = _session_end(monkeypatch, tmp_path, interrupted=False,
                         deselected=("methods.b[fork]",))
    kept = tmp_path / "replaced" / ("linux-cpython-3.12.20261201T102030Z.json")
    assert kept.read_text() == earlier  # byte for byte
    assert state.written == tmp_path / NAME  # the newer run is the one the report shows
    assert len(json.loads(state.written.read_text())["tests"]) == 1
    assert sorted(p.name for p in tmp_path.glob("*.json")) == [NAME]  # one file per interpreter
    assert interrupted.summary_lines(state) == [
        "harness: results written to %s" % state.written,
        "harness: the earlier %s (6 cells) was moved to %s: `python -m harness report %s %s` "
        "shows both as one column (the newer run's cells, the earlier file's for the rest; "
        "where the two disagree, flaky, or not compared if the case's code changed)" % (
            NAME, kept, shlex.quote(str(tmp_path)), shlex.quote(str(kept)))]


def test_the_report_of_both_is_what_the_line_says(monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    """One column; the cell the newer run ran is its (it observed 1, the earlier 2: flaky,
    both kept); every other cell is the earlier file's, none "not run"."""
    _full(tmp_path, observed=2)
    state = _session_end(monkeypatch, tmp_path, interrupted=False,
                         deselected=("methods.b[fork]",))
    state.written.write_text(state.written.read_text().replace(  # a time, as the probe's
        '"python_version"', '"timestamp": "2026-12-07T03:00:00+00:00", "python_version"', 1))
    loaded, rejected = loading.load_results(
        [str(state.written), str(state.aside.kept_at)])
    assert rejected == []
    matrix = merge.merge(loaded, rejected)
    assert [e["id"] for e in matrix["environments"]] == ["linux-cpython-3.12"]
    cells = {(c["case"], c["method"]): c for c in matrix["results"]}
    assert len(cells) == 6 and all(c["outcome"] == "ok" for c in cells.values())
    assert cells[("methods.a", "fork")]["observed"] == 1  # the newer run's
    assert cells[("methods.a", "fork")]["flaky"] is True
    assert {c["observed"] for k, c in cells.items() if k != ("methods.a", "fork")} == {2}


def test_two_narrower_runs_in_a_row_lose_neither_earlier_file(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The second file kept has the same time as the first: a new name, never over it."""
    first = _full(tmp_path, observed=1)
    _session_end(monkeypatch, tmp_path, interrupted=False, quick=True)
    second = _full(tmp_path, observed=2)  # same time (a copy of the full run put back)
    state = _session_end(monkeypatch, tmp_path, interrupted=False,
                         deselected=("methods.b[fork]",))
    folder = tmp_path / "replaced"
    assert sorted(p.name for p in folder.iterdir()) == [
        "linux-cpython-3.12.20261201T102030Z-2.json", "linux-cpython-3.12.20261201T102030Z.json"]
    assert (folder / "linux-cpython-3.12.20261201T102030Z.json").read_text() == first
    assert state.aside.kept_at.read_text() == second


def test_a_file_without_a_time_is_named_by_its_mtime(monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    import os

    (tmp_path / NAME).write_text("not JSON")
    os.utime(tmp_path / NAME, (1764584430, 1764584430))  # 2025-12-01T10:20:30Z
    state = _session_end(monkeypatch, tmp_path, interrupted=False, quick=True)
    assert state.aside.kept_at == tmp_path / "replaced" / "linux-cpython-3.12.20251201T102030Z.json"
    assert state.aside.kept_at.read_text() == "not JSON"
    assert "the earlier %s (not a readable results file) was moved" % NAME in \
        interrupted.summary_lines(state)[1]


def test_a_full_run_replaces_the_file_and_moves_nothing(monkeypatch: pytest.MonkeyPatch,
                                                       tmp_path: Path) -> None:
    _full(tmp_path)
    state = _session_end(monkeypatch, tmp_path, interrupted=False)
    assert state.aside is None and not (tmp_path / "replaced").exists()
    assert interrupted.summary_lines(state) == ["harness: results written to %s" % (
        tmp_path / NAME)]


def test_a_partial_selection_still_goes_to_interrupted(monkeypatch: pytest.MonkeyPatch,
                                                       tmp_path: Path) -> None:
    earlier = _full(tmp_path)
    state = _session_end(monkeypatch, tmp_path, interrupted=True,
                         deselected=("methods.c[fork]",))
    assert state.written.parent == tmp_path / "interrupted" and state.aside is None
    assert (tmp_path / NAME).read_text() == earlier and not (tmp_path / "replaced").exists()


def test_when_replaced_cannot_hold_the_earlier_file_it_stays_and_the_run_goes_aside(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """replaced/ is a file here: the earlier (fuller) file stays where it is, the narrower
    run goes to not-replacing/, and one line says both and how to see them together."""
    earlier = _full(tmp_path)
    (tmp_path / "replaced").write_text("in the way")
    state = _session_end(monkeypatch, tmp_path, interrupted=False, quick=True)
    assert (tmp_path / NAME).read_text() == earlier
    assert state.written.parent == tmp_path / "not-replacing"
    assert state.written.name.startswith("linux-cpython-3.12.")
    assert len(json.loads(state.written.read_text())["tests"]) == 1
    lines: List[str] = interrupted.summary_lines(state)
    assert lines[0] == "harness: results written to %s" % state.written
    assert lines[1].startswith(
        "harness: the earlier %s (6 cells) was kept as it was: it could not be moved to "
        "replaced/ (%s: not a folder), so this narrower run went to %s instead: `python -m "
        "harness report %s %s` shows both" % (tmp_path / NAME, tmp_path / "replaced",
                                             state.written, tmp_path, state.written)), lines[1]
    assert len(lines) == 2


def test_a_new_file_that_cannot_be_written_leaves_no_copy_behind(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The earlier file is still in place, so its copy in replaced/ would be a duplicate."""
    earlier = _full(tmp_path)

    def full_disk(path: Path, data: object) -> None:
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(results, "atomic_write_json", full_disk)
    state = _session_end(monkeypatch, tmp_path, interrupted=False, quick=True)
    assert state.written is None and state.aside is None
    assert (tmp_path / NAME).read_text() == earlier
    assert list((tmp_path / "replaced").iterdir()) == []


def test_a_dangling_link_where_the_file_was_is_nothing_to_keep(tmp_path: Path) -> None:
    """A results file that is a link to nothing: the narrower run writes in its place, and no
    line blames replaced/ for a copy that had no source (review r6)."""
    link = tmp_path / NAME
    link.symlink_to(tmp_path / "gone.json")
    target, aside = replaced.keep_earlier(link, {"not_selected": {"by": "-k x", "cells": []}})
    assert (target, aside) == (link, None)
    assert not (tmp_path / replaced.REPLACED_DIR).exists()


def test_a_results_file_that_is_a_folder_is_named_as_the_problem(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Review r5: the line blamed replaced/ ("Is a directory") when the source could not be
    read, and an empty replaced/ was left behind."""
    (tmp_path / NAME).mkdir()
    state = _session_end(monkeypatch, tmp_path, interrupted=False, quick=True)
    assert state.written.parent == tmp_path / "not-replacing"
    assert state.aside.problem.startswith("%s: " % (tmp_path / NAME)), state.aside.problem
    assert not (tmp_path / "replaced").exists()


def _aside(folder: Path, name: str, cases: Tuple[str, ...] = ("methods.a",),
           methods: Tuple[str, ...] = ("fork",), version: str = "3.12.1",
           stamp: str = STAMP) -> Path:
    """A results file an earlier run set aside in ``folder`` (replaced/, interrupted/)."""
    folder.mkdir(exist_ok=True)
    doc = results_doc(version=version, cases=cases, methods=methods, timestamp=stamp)
    (folder / name).write_text(json.dumps(doc))
    return folder / name


def test_a_complete_run_removes_the_files_set_aside_that_it_ran_every_cell_of(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """replaced/ and interrupted/ grew by a file each narrower or interrupted run and were
    never cleaned. A complete run removes those of its interpreter it ran every cell of again
    (the results file holds each newer) and says so; every other file stays: one with a cell
    it did not run, another interpreter's, a later run's, one that is not a results file."""
    _full(tmp_path)
    old, stopped = tmp_path / "replaced", tmp_path / "interrupted"
    covered = [_aside(old, "linux-cpython-3.12.20261101T000000Z.json"),
               _aside(stopped, "linux-cpython-3.12.20261102T000000Z-2.json")]
    kept = [_aside(old, "linux-cpython-3.12.20261103T000000Z.json", methods=("fork", "spawn")),
            _aside(old, "linux-cpython-3.12.20261104T000000Z.json", version="3.13.0"),
            _aside(old, "linux-cpython-3.12t.20261105T000000Z.json"),
            _aside(stopped, "linux-cpython-3.12.20991231T000000Z.json",
                   stamp="2099-12-31T00:00:00+00:00"),
            _aside(stopped, "notes.json")]
    (old / "linux-cpython-3.12.20261106T000000Z.json").write_text("not JSON")
    kept.append(old / "linux-cpython-3.12.20261106T000000Z.json")
    state = _session_end(monkeypatch, tmp_path, interrupted=False)
    assert state.pruned == covered
    assert not any(path.exists() for path in covered)
    assert all(path.exists() for path in kept)
    assert interrupted.summary_lines(state)[-1] == (
        "harness: removed 2 earlier files this run ran every cell of again: "
        "replaced/linux-cpython-3.12.20261101T000000Z.json, "
        "interrupted/linux-cpython-3.12.20261102T000000Z-2.json")


def test_a_file_a_selection_just_set_aside_stays_until_a_later_run_covers_it(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The same -k run twice: the first run's file, moved to replaced/ by the second (whose
    line names it), stays; the third run removes it, and keeps the second's: one file per
    repeated selection, not one per run."""
    _aside(tmp_path, NAME)  # an earlier methods.a[fork] run, as the results file
    kept = []
    for day in (2, 3, 4):  # each run's own time (the probe's), as its file is named by
        monkeypatch.setitem(ENV, "timestamp", "2026-12-0%dT10:00:00+00:00" % day)
        state = _session_end(monkeypatch, tmp_path, interrupted=False,
                             deselected=("methods.b[fork]",))
        kept.append(state.aside.kept_at)
    assert kept[0] is not None and not kept[0].exists()
    assert [p.name for p in (tmp_path / "replaced").iterdir()] == [kept[2].name]
    assert state.pruned == [kept[1]]


SAME_CODE = {"methods.a": "aaaaaaaaaaaa", "methods.b": "bbbbbbbbbbbb"}


@pytest.mark.parametrize(("version", "digests", "commit", "removed"), [
    ("3.12.1", SAME_CODE, "c1", True),  # the same release and code: the results file has all
    ("3.12.1", dict(SAME_CODE, **{"methods.b": "b2"}), "c2", True),  # a case it has no cell of
    ("3.12.0", SAME_CODE, "c1", False),  # another patch release: a column of its own
    ("3.12.1", dict(SAME_CODE, **{"methods.a": "a2"}), "c2", False),  # older code of its case
    ("3.12.1", {}, "c2", False),  # no digests (format 1.3) and another commit: may be older
], ids=["same", "other-case-changed", "patch-release", "case-changed", "no-digest-other-commit"])
def test_a_file_set_aside_is_removed_only_if_of_the_same_release_and_case_code(
        tmp_path: Path, version: str, digests: Dict[str, str], commit: str,
        removed: bool) -> None:
    """Review r18: a 3.12.0 file set aside, then a complete 3.12.1 run, removed the only
    3.12.0 cells (the report shows patch releases as columns apart), and so it did the cells
    of older case code: it compared the cells and the minor version only."""
    doc = results_doc(cases=("methods.a", "methods.b"), commit="c1",
                      timestamp="2026-12-07T10:00:00+00:00",
                      case_docs=[case_doc(c, code_digest=d) for c, d in SAME_CODE.items()])
    written = tmp_path / NAME
    written.write_text(json.dumps(doc))
    earlier = _aside(tmp_path / "replaced", "linux-cpython-3.12.20261201T102030Z.json",
                     version=version)
    held = json.loads(earlier.read_text())
    held["harness"]["environment"]["git_commit"] = commit
    held["harness"]["cases"] = [case_doc(c, **({"code_digest": digests[c]} if digests else {}))
                                for c in SAME_CODE]
    earlier.write_text(json.dumps(held))
    assert replaced.prune(written, doc, None) == ([earlier] if removed else [])
    assert earlier.exists() is not removed
