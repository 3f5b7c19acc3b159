"""`harness diff` says a changed key in the case's words (``@case(labels=...)``, results format
1.7) as the page's change lines do: "what differs: the child's own atexit handler runs: now yes
(was no)", not "keys that differ: own_ran: false -> true"; files without labels read as before,
and ``--json`` keeps the raw keys."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from harness import cli, groups, history, loading, merge
from harness.documents import CellMeta, MatrixCell, ResultsDoc
from tests.unit.report_synth import case_doc, cell, matrix_cell, results_doc

OWN = "the child's own atexit handler runs"
CASE = "inheritance.atexit_handler"
SAID = "what differs: %s: now yes (was no)" % OWN
RAW = "keys that differ: own_ran: false -> true"


def _file(tmp_path: Path, version: str, labels: Optional[Dict[str, str]], default: str = "fork",
          name: str = "") -> str:
    """A results file of ``version`` whose case returns own_ran true from 3.13 on (under every
    method), its catalog entry with ``labels`` (None: an older file, no labels)."""
    def observe(case_id: str, method: str) -> CellMeta:
        return cell(case_id, method, observed={"inherited_ran": False,
                                               "own_ran": version >= "3.13"})
    extra = {"labels": labels} if labels is not None else {}
    doc = results_doc(version=version, cases=[CASE], observe=observe, default=default,
                      case_docs=[case_doc(CASE, **extra)])
    path = tmp_path / (name or "%s.json" % version)
    path.write_text(json.dumps(doc))
    return str(path)


def _diff(capsys: Any, *args: str) -> List[str]:
    cli.main(["diff", *args])
    out: str = capsys.readouterr().out
    return out.splitlines()


def test_a_labelled_key_reads_in_the_cases_words_as_on_the_page(tmp_path: Path,
                                                                 capsys: Any) -> None:
    """NEW's catalog gives words for own_ran: the line says them (it said the raw key)."""
    old, new = _file(tmp_path, "3.12.1", {"own_ran": OWN}), _file(tmp_path, "3.13.0",
                                                                   {"own_ran": OWN})
    line = "C cell %s linux-cpython-3.13 [all methods]: ok, %s" % (CASE, SAID)
    assert line in _diff(capsys, old, new)


def test_old_files_without_labels_read_as_before_and_json_keeps_the_raw_keys(
        tmp_path: Path, capsys: Any) -> None:
    old, new = _file(tmp_path, "3.12.1", None), _file(tmp_path, "3.13.0", None)
    assert "C cell %s linux-cpython-3.13 [all methods]: ok, %s" % (CASE, RAW) in _diff(
        capsys, old, new)
    labelled = _file(tmp_path, "3.13.0", {"own_ran": OWN}, name="labelled.json")
    doc = json.loads("\n".join(_diff(capsys, "--json", old, labelled)))
    assert doc["schema_version"] == "1.1" and "labels" not in doc
    assert {(c["old_observed"]["own_ran"], c["new_observed"]["own_ran"])
            for c in doc["cells_changed"]} == {(False, True)}


def test_labels_come_from_new_else_from_old(tmp_path: Path, capsys: Any) -> None:
    """A NEW side of an older format (no labels) takes OLD's words; NEW's win where both
    give them."""
    old = _file(tmp_path, "3.12.1", {"own_ran": OWN})
    assert any(line.endswith(SAID) for line in _diff(capsys, old, _file(
        tmp_path, "3.13.0", None)))
    new = _file(tmp_path, "3.13.0", {"own_ran": "own handler"})
    assert any(line.endswith("what differs: own handler: now yes (was no)")
               for line in _diff(capsys, old, new))


def test_the_default_method_section_says_the_words_too(tmp_path: Path, capsys: Any) -> None:
    """3.12 (fork) against 3.14 (forkserver): the `C default` line is worded as the rest."""
    old = _file(tmp_path, "3.12.1", {"own_ran": OWN})
    new = _file(tmp_path, "3.14.0", {"own_ran": OWN}, default="forkserver")
    assert "C default %s linux-cpython-3.14 [fork -> forkserver]: ok, %s" % (CASE, SAID) in \
        _diff(capsys, old, new)


def test_a_platform_difference_names_a_labelled_key_in_its_words() -> None:
    """The page's "Differs between … at the same Python version" lines: a labelled key as
    ``label: yes``, an unlabelled one as before; words that would read two values alike
    (``null`` and ``[]`` are both "none") keep the raw form."""
    def doc(impl: str, labels: Dict[str, str]) -> ResultsDoc:
        return results_doc(version="3.11.7", impl=impl, cases=[CASE], methods=["fork"],
                           observe=lambda c, m: cell(c, m, observed={
                               "own_ran": impl == "pypy", "n": len(impl)}),
                           case_docs=[case_doc(CASE, labels=labels)])
    def lines(labels: Dict[str, str]) -> Tuple[str, ...]:
        matrix = merge.merge([loading.Loaded.from_doc("%s.json" % impl, doc(impl, labels))
                              for impl in ("cpython", "pypy")])
        return groups.difference_lines(history.platform_differences(matrix))
    assert lines({"own_ran": OWN}) == (
        "3.11 fork: Linux 3.11 ok {n: 7, %s: no}; Linux PyPy 3.11 ok {n: 4, %s: yes}" % (
            OWN, OWN),)
    assert lines({}) == (
        "3.11 fork: Linux 3.11 ok {n: 7, own_ran: false}; Linux PyPy 3.11 ok {n: 4, own_ran: "
        "true}",)

    def cells(observed: Dict[str, Any]) -> List[MatrixCell]:
        return [matrix_cell(CASE, "fork", observed=observed)]
    assert history.apart(cells({"own_ran": None}) + cells({"own_ran": []}),
                         labels={"own_ran": OWN}) == ["ok {own_ran: null}", "ok {own_ran: []}"]
