"""`harness diff` given `check --json` documents (r10 F-O): one line saying what diff
compares, exit 2, not "not a matrix.json of this tool (no 'environments' and 'results')"
about a document that has 'results'."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness import check, cli, discovery
from harness.runner import CaseRun
from harness.vocab import Outcome


def _check_json(monkeypatch: pytest.MonkeyPatch, capsys: Any, pytest_mode: bool) -> str:
    """What `check --json` writes, from runs made up here (nothing is run)."""
    interp = discovery.Interpreter(path="/x/python3.12", real_path="/x/python3.12",
                                   implementation="cpython", version=(3, 12, 1),
                                   free_threading=False, origin="PATH")
    monkeypatch.setattr(check, "select_interpreters", lambda *a, **k: [interp])
    monkeypatch.setattr(check, "check", lambda *a, **k: {("3.12", m): CaseRun(
        case="t", method=m, outcome=Outcome.OK, observed={"start_attempts": 1,
                                                           "methods_used": [m]})
        for m in ("fork", "forkserver", "spawn")})
    cli.main(["check", "--json"] + (["--pytest", "-q"] if pytest_mode else ["fine.py"]))
    return str(capsys.readouterr().out)


@pytest.mark.parametrize("pytest_mode", [False, True])
def test_check_documents_are_named_as_such(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: Any, pytest_mode: bool) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "fine.py").write_text("")
    doc = tmp_path / "a.json"
    doc.write_text(_check_json(monkeypatch, capsys, pytest_mode))
    assert cli.main(["diff", str(doc), str(doc)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == ["harness: error: %s: a `check --json` document: diff compares "
                                "matrix runs and results files only" % doc] * 2, err


def test_a_document_with_results_alone_is_told_what_it_lacks(tmp_path: Path) -> None:
    from harness import inputs

    half = tmp_path / "half.json"
    half.write_text('{"results": []}')
    _, problems = inputs.load_matrix(str(half))
    assert [r.line() for r in problems] == [
        "%s: not a valid matrix.json: document: not a matrix.json of this tool (no "
        "'environments')" % half]
