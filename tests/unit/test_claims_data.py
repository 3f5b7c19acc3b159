"""The claims data (cases/claims.py): well formed, paraphrased not copied from the article,
and the predicate language its checks are written in (harness/claimpred.py)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any, Dict, List, Set

import pytest

from cases.claims import CLAIMS
from harness import claimpred
from tests.unit.report_synth import partial_cell, timing

#: Hashes of the article's 7-word runs (vendored), and the article itself when ../shared sits
#: next to the checkout (then the hashes are checked against it).
GRAMS = Path(__file__).resolve().parents[1] / "fixtures" / "article-7grams.txt"
ARTICLE = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "article.txt"


@pytest.mark.parametrize(("pred", "observed", "expected"), [
    ({"path": ["a"], "equals": 1}, {"a": 1}, True),
    ({"path": ["a"], "equals": 1}, {"b": 1}, False),
    ({"path": [0], "in": ["x", "y"]}, ["y"], True),
    ({"path": [], "contains": "fork"}, ["spawn"], False),
    ({"path": [], "excludes": "fork"}, ["spawn"], True),
    ({"path": [], "contains_all": ["a", "b"]}, ["b", "a", "c"], True),
    ({"not": {"equals": 3}}, 3, False),
    ({"any": [{"equals": 3}, {"equals": 4}]}, 4, True),
    ({"outcome": ["timeout"]}, 1, False),
])
def test_predicates(pred: Dict[str, Any], observed: Any, expected: bool) -> None:
    """Claim predicates are evaluated over the observed value."""
    c = partial_cell(case="k.a", environment="e", method="fork", outcome="ok", observed=observed)
    assert claimpred.holds(pred, c, {}) is expected


@pytest.mark.parametrize("outcome", ["error", "crash", "timeout"])
def test_a_cell_that_did_not_return_decides_no_value_predicate(outcome: str) -> None:
    """A cell that raised, crashed or hung has no observation: a predicate over the value is
    undecided there, and so is its `not` (which read a failed counter-evidence cell as
    support); the predicates over the outcome itself still decide."""
    c = partial_cell(case="k.a", environment="e", method="spawn", outcome=outcome,
                     observed=None, error={"type": "OSError", "message": "harness broke"},
                     detail="no result within the hard timeout")
    for pred in ({"path": [], "equals": True}, {"not": {"path": ["x"], "equals": True}},
                 {"not": {"in": [1]}}, {"path": [], "contains": 1}, {"excludes": 1},
                 {"faster_than": "fork", "path": ["median"]},
                 {"path": [], "equals_cell": {"case": "k.b", "path": []}}):
        assert claimpred.holds(pred, c, {}) is None, pred
    assert claimpred.holds({"outcome": "ok"}, c, {}) is False
    assert claimpred.holds({"not": {"outcome": "ok"}}, c, {}) is True
    assert claimpred.holds({"error_contains": "nothing like it"}, c, {}) is False
    assert claimpred.holds({"hang_at": "BLOCKED"}, c, {}) is (None if outcome == "timeout"
                                                               else False)


def test_faster_than_compares_the_same_environment() -> None:
    """`faster_than` compares medians of two methods' cells; missing numbers → undecided."""
    fork = partial_cell(case="p.x", environment="e", method="fork", outcome="ok",
                        observed=timing(1.0))
    spawn = partial_cell(**dict(fork, method="spawn", observed=timing(5.0)))
    cells = {("p.x", "e", "fork"): fork, ("p.x", "e", "spawn"): spawn}
    pred = {"faster_than": "spawn", "path": ["median"]}
    assert claimpred.holds(pred, fork, cells) is True
    assert claimpred.holds({"faster_than": "fork", "path": ["median"]}, spawn, cells) is False
    assert claimpred.holds({"faster_than": "forkserver", "path": ["median"]}, fork,
                            cells) is None


def test_claims_data_is_well_formed_and_unique() -> None:
    """Every claim has a unique id, a paraphrase, and checks with a case and a predicate."""
    ids = [c["id"] for c in CLAIMS]
    assert len(ids) == len(set(ids)) >= 12
    for claim in CLAIMS:
        assert claim["claim"] and claim["section"]
        for check in claim["checks"]:
            assert "." in check["case"] and isinstance(check["holds"], dict)


def _words(text: str) -> List[str]:
    return re.findall(r"[a-z0-9']+", text.lower().replace("’", "'"))


def _gram_hashes(words: List[str]) -> Dict[str, str]:
    return {hashlib.sha256(" ".join(words[i:i + 7]).encode()).hexdigest()[:16]:
            " ".join(words[i:i + 7]) for i in range(len(words) - 6)}


def _vendored_grams() -> Set[str]:
    return {line for line in GRAMS.read_text(encoding="utf-8").split("\n")
            if line and not line.startswith("#")}


def test_claims_are_paraphrased_not_copied() -> None:
    """No claim shares a run of 7 words with the article (paraphrase, not quotation)."""
    grams = _vendored_grams()
    assert len(grams) > 500
    for claim in CLAIMS:
        copied = [g for h, g in _gram_hashes(_words(claim["claim"])).items() if h in grams]
        assert not copied, (claim["id"], copied)


@pytest.mark.skipif(not ARTICLE.exists(),
                    reason="needs ../shared/reference/article.txt next to the checkout")
def test_vendored_article_hashes_match_the_article() -> None:
    """The vendored hashes are those of the article in the shared reference folder."""
    assert set(_gram_hashes(_words(ARTICLE.read_text(encoding="utf-8")))) == _vendored_grams()
