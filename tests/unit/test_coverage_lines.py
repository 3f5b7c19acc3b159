"""The last lines of `nox -s matrix`: what the report covers, what it does not and how to get
it (the Debian root, CI) — two or three lines, each only when it is true."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, List

import pytest

from harness import chroot, coverage, loading, merge
from harness.documents import MatrixDoc, ResultsDoc
from tests.unit.report_synth import results_doc

KNOWN = ["3.8", "3.13", "3.13t", "3.14", "3.15", "pypy3.9", "pypy3.10", "pypy3.11"]
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the root: Linux")


def _matrix(*docs: ResultsDoc) -> MatrixDoc:
    loaded = [loading.Loaded.from_doc("f%d.json" % i, d) for i, d in enumerate(docs)]
    return merge.merge(loaded, now=datetime(2026, 1, 2, tzinfo=timezone.utc))


def _root(tmp_path: Path, programs: Dict[str, str]) -> Path:
    root = tmp_path / "sid-root"
    root.mkdir()
    (root / chroot.MARKER).write_text(json.dumps({"suite": "sid", "interpreters": {
        p: {"version": v} for p, v in programs.items()}}))
    return root


def _from_root(doc: ResultsDoc) -> ResultsDoc:
    doc["harness"]["environment"]["root"] = "debootstrap sid minbase root sid-root"
    return doc


ALL = {"/usr/bin/python3.13": "3.13.18", "/usr/bin/python3.14": "3.14.10",
       "/usr/bin/python3.15": "3.15.2", "/usr/bin/pypy3": "3.11.17"}


def test_no_root_says_how_to_provision_and_what_only_ci_runs(tmp_path: Path) -> None:
    m = _matrix(results_doc(version="3.8.18"), results_doc(version="3.13.0"),
                results_doc(version="3.9.16", impl="pypy"))
    lines: List[str] = coverage.coverage_lines(m, KNOWN, ["3.8", "3.13", "pypy3.9"],
                                               tmp_path / "none", environ={})
    assert lines == [
        "covered: 3 interpreters: Linux CPython 3.8, 3.13; Linux PyPy 3.9",
        "not here: python3.13, python3.14, python3.15, pypy3 of the Debian root: `nox -s "
        "provision`, then `nox -s matrix`, both as root (README: More interpreters from a Debian "
        "root)",
        "not on this machine: macOS, Windows, 3.13t, pypy3.10, pypy3.11 — GitHub Actions runs "
        "them (.github/workflows/matrix.yml)"]


def test_with_the_root_run_its_columns_are_named_and_no_root_line(tmp_path: Path) -> None:
    root = _root(tmp_path, ALL)
    m = _matrix(results_doc(version="3.13.0"), _from_root(results_doc(version="3.13.18")),
                _from_root(results_doc(version="3.11.17", impl="pypy")))
    lines = coverage.coverage_lines(m, ["3.13", "pypy3.11", "3.14t"], ["3.13"], root,
                                    environ={})
    assert lines == [
        "covered: 3 interpreters: Linux CPython 3.13.0, 3.13.18 (root); Linux PyPy 3.11 (root)",
        "not on this machine: macOS, Windows, 3.14t — GitHub Actions runs them "
        "(.github/workflows/matrix.yml)"]


def test_an_old_root_names_what_provision_adds_and_idle_interpreters_are_named(
        tmp_path: Path) -> None:
    root = _root(tmp_path, {"/usr/bin/python3.14": "3.14.10", "/usr/bin/python3.15": "3.15.2"})
    m = _matrix(results_doc(version="3.8.18"))
    lines = coverage.coverage_lines(m, [], ["3.8", "3.12"], root, environ={})
    assert lines[0] == ("covered: 1 interpreter: Linux CPython 3.8 (found here but not in this "
                        "report: 3.12: not run, or its session failed — nox's summary says "
                        "which; `nox` runs them all)")
    assert lines[1] == ("not here: python3.13, pypy3 of the Debian root (it predates them): "
                        "`nox -s provision`, as root, adds them in place")
    assert len(lines) == 3  # macOS and Windows: CI


def test_a_root_not_run_says_why(tmp_path: Path) -> None:
    root = _root(tmp_path, ALL)
    m = _matrix(results_doc(version="3.8.18"))
    assert "HARNESS_NO_ROOT is set" in coverage.coverage_lines(
        m, [], [], root, environ={"HARNESS_NO_ROOT": "1"})[1]
    assert "`nox -s matrix` runs them, as root" in coverage.coverage_lines(
        m, [], [], root, environ={})[1]


def test_in_ci_there_is_no_root_line(tmp_path: Path) -> None:
    m = _matrix(results_doc(version="3.8.18"), results_doc(version="3.13.5", os_name="macos"),
                results_doc(version="3.13.5", os_name="windows"))
    assert coverage.coverage_lines(m, ["3.8"], [], tmp_path / "none", environ={"CI": "1"}) == [
        "covered: 3 interpreters: Linux CPython 3.8; macOS CPython 3.13; Windows CPython 3.13"]


def test_each_interpreter_looked_for_and_not_run_says_why(tmp_path: Path) -> None:
    """What `nox -s report` passes as --not-run: every session name looked for, with why it
    may have no data: found here, in the root, found but broken (its line), or not found."""
    from harness import discovery

    found = [discovery.Interpreter("/p/python3.12", "/p/python3.12", "cpython", (3, 12, 1),
                                   False, "pyenv")]
    rejected = [discovery.Rejected("/p/python3.13t", "not a working Python 3 (exit 1: boom)"),
                discovery.Rejected("/p/python3", "did not answer like a Python interpreter")]
    root = _root(tmp_path, {"/usr/bin/python3.14": "3.14.10"})
    reasons = coverage.not_run_here(["3.12", "3.13t", "3.14", "pypy3.11"], found, rejected,
                                    root, environ={})
    assert reasons == [
        # if it has no data: not run, or its session crashed before writing its file
        ("linux-cpython-3.12", "found here; no results file from it"),
        ("linux-cpython-3.13t", "found but broken: not a working Python 3 (exit 1: boom)"),
        ("linux-cpython-3.14", "in the Debian root (`nox -s matrix` runs it, as root)"),
        ("linux-pypy-3.11", "not found ($HARNESS_PYTHONS, pyenv, PATH)")]  # where it looked
    assert coverage.not_run_here(["3.14"], found, rejected, tmp_path / "none", environ={
        "HARNESS_NO_ROOT": "1"}) == [("linux-cpython-3.14", "not found ($HARNESS_PYTHONS, "
                                                            "pyenv, PATH)")]
    assert coverage.not_run_here(["3.14"], found, rejected, root, environ={
        "HARNESS_NO_ROOT": "1"}) == [("linux-cpython-3.14", "in the Debian root (HARNESS_NO_ROOT "
                                                            "is set)")]
