"""A case's words for the keys of its value (``@case(labels=...)``, results format 1.7, matrix
1.6): the change lines and an "ok A" tooltip say what a labelled key means, an unlabelled key
reads as before (review r16 #7: "a returned value changed" told a reader nothing)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional

import pytest
from markupsafe import escape

from harness import cellview, changetext, history, loading, merge, model, picks, render, results
from harness.documents import CellMeta, MatrixDoc, ResultsDoc
from harness.guest import catalog
from tests.unit.report_synth import case_doc, cell, matrix_cell, results_doc

NOW = datetime(2026, 1, 2, tzinfo=timezone.utc)
OWN = "the child's own atexit handler runs"
#: Two cases return the same change under the same key; only the first gives words for it.
LABELLED, PLAIN = "inheritance.a_atexit", "inheritance.b_atexit"


def _docs(labels: Dict[str, str]) -> List[ResultsDoc]:
    def observe(version: str) -> Any:
        def cell_of(case: str, method: str) -> CellMeta:
            return cell(case, method, observed={"inherited_ran": False,
                                                "own_ran": version == "3.13.0"})
        return cell_of
    return [results_doc(version=v, cases=[LABELLED, PLAIN], observe=observe(v),
                        case_docs=[case_doc(LABELLED, labels=labels), case_doc(PLAIN)])
            for v in ("3.12.1", "3.13.0")]


def _matrix(labels: Optional[Dict[str, str]] = None) -> MatrixDoc:
    docs = _docs({"own_ran": OWN} if labels is None else labels)
    return merge.merge([loading.Loaded.from_doc("f%d.json" % i, d) for i, d in enumerate(docs)],
                       now=NOW)


def test_a_labelled_key_reads_in_its_words_an_unlabelled_one_as_before() -> None:
    matrix = _matrix()
    changes = {ch.case: ch for ch in history.walk(matrix)[0]}
    assert changetext.change_text(changes[LABELLED]).endswith(
        ": fork, forkserver, spawn: ok, what differs from 3.12: %s: now yes (was no)" % OWN)
    assert changetext.change_text(changes[PLAIN]).endswith(
        ": fork, forkserver, spawn: ok, keys that differ from 3.12: own_ran: false → true")
    titles = {LABELLED: "Labelled", PLAIN: "Plain"}
    (labelled,) = picks.change_examples(matrix, [changes[LABELLED]], titles)
    assert labelled.text == "Labelled — %s: now yes (was no)" % OWN
    (plain,) = picks.change_examples(matrix, [changes[PLAIN]], titles)
    assert plain.text == "Plain — " + picks.VALUE_CHANGED


def test_the_matrix_and_the_schemas_carry_the_labels() -> None:
    for doc in _docs({"own_ran": OWN}):
        assert results.validate_results(json.loads(json.dumps(doc))) == []
    matrix = _matrix()
    assert {c["id"]: c.get("labels") for c in matrix["cases"]} == {
        LABELLED: {"own_ran": OWN}, PLAIN: None}
    assert results.validate_matrix(json.loads(json.dumps(matrix))) == []
    assert picks.labels_of(matrix) == {LABELLED: {"own_ran": OWN}}


def test_an_ok_letter_tooltip_names_a_labelled_key_in_its_words() -> None:
    lookup = {("e", m): matrix_cell(LABELLED, m, observed={"own_ran": m == "spawn", "n": len(m)})
              for m in ("fork", "spawn")}  # two keys differ: the cells read "ok A", "ok B"
    args = (LABELLED, ["e"], ["fork", "spawn"], lookup)
    fork, _spawn = cellview.row_cells(*args, [], labels={"own_ran": OWN})
    assert fork.title == "ok A = n: 4; %s: no" % OWN
    plain, _ = cellview.row_cells(*args, [])
    assert plain.title == 'ok A = {"n": 4, "own_ran": false}'


def test_a_cell_that_shows_one_keys_value_names_the_key_in_its_words() -> None:
    """Its text is the value alone ("false"): the label says what it is a value of (the panel
    says it too, for a phone: ``panel_data``'s "l")."""
    lookup = {("e", m): matrix_cell(LABELLED, m, observed={"own_ran": m == "spawn", "n": 1})
              for m in ("fork", "spawn")}
    args = (LABELLED, ["e"], ["fork", "spawn"], lookup)
    row = cellview.row_cells(*args, [], labels={"own_ran": OWN})
    assert [(c.text, c.title) for c in row] == [("false", OWN + ": no"), ("true", OWN + ": yes")]
    assert [c.title for c in cellview.row_cells(*args, [])] == ["", ""]
    assert cellview.panel_data([], [], row, {"own_ran": OWN})["l"] == {"own_ran": OWN}
    assert "l" not in cellview.panel_data([], [], row)


def test_a_label_is_escaped_on_the_page() -> None:
    label = '<b>"own" & handlers</b>'
    matrix = _matrix({"own_ran": label})
    page = render.render_html(matrix, model.build(matrix))
    assert label not in page
    assert "what differs from 3.12: %s: now yes (was no)" % escape(label) in page


def test_the_decorator_writes_the_labels_and_wants_words(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalog, "_REGISTRY", {})  # the catalog is the process's
    def f(ctx: Any) -> object:
        """Doc."""
        return {}
    with pytest.raises(ValueError, match="label"):
        catalog.case("t.empty_label", "T", "https://x", labels={"own_ran": " "})(f)
    catalog.case("t.label", "T", "https://x", labels={"own_ran": OWN})(f)
    assert catalog._REGISTRY["t.label"].to_dict()["labels"] == {"own_ran": OWN}


def test_every_label_of_the_catalog_names_a_key_its_case_returns() -> None:
    """A label for a key no rule of its case expects is a typo: it would never be shown."""
    from pathlib import Path

    cases = catalog.whole(Path(__file__).resolve().parents[2] / "cases")
    assert sum(1 for c in cases if c.labels) >= 11
    assert [(c.id, k) for c in cases for k in c.labels if not any(
        isinstance(r.to_dict().get("value"), dict) and k in r.to_dict()["value"]
        for r in c.expect)] == []
